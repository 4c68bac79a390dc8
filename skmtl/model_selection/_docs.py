"""The docstrings of the ``*CV`` estimators, assembled from the docstring of the
estimator each one tunes (its objective, parameters and fitted attributes), so that
the two never disagree."""

from __future__ import annotations

import inspect
import re
import textwrap

#: a numpydoc entry: ``name : type`` (or a bare ``name``) at four spaces
_ENTRY = re.compile(r"^    (\w[\w, ]*?)(?: : .*)?$")

_CV_PARAMETERS = {
    "eps": """    eps : float, default={default}
        ``alpha_min / alpha_max`` of the automatic grid from ``alpha_max`` (unused by
        grids without one).
""",
    "cv": """    cv : int, cross-validation generator or iterable, default=None
        None or an int ``n`` (default 5): ``n`` folds,
        :class:`~skmtl.model_selection.TaskStratifiedKFold` when each sample has a
        task label, :class:`~sklearn.model_selection.KFold` for a shared design.
        The folds split each task's samples. A classifier's folds split each
        task's samples of each class only when the search fits free intercepts
        alone (``intercept_poolings=[0]``, which need every class of every task in
        training) or when a class would otherwise be missing from some training
        fold: such folds give every task's held-out samples the class mix of its
        training ones, which hides the noise that pooling the intercepts guards
        against and steers the search towards free intercepts (simulated
        random-intercept data, 30 tasks of 10 samples, 12 simulations: log-loss on
        new samples 0.650 on average against 0.631 with folds by task). The folds
        deal each task's samples out in their order: shuffle them
        (``TaskStratifiedKFold(n, shuffle=True)``) if they are sorted by class. A
        grid point of free intercepts scores an infinite error in a fold where a
        task's training samples lack a class (or hold only zero counts), as its
        free intercept is infinite there.
""",
    "warm_start": """    warm_start : bool, default={default}
        The refit on all the data starts from the last fit's solution (on the same
        tasks); the folds' paths start afresh.
""",
    "n_jobs": """    n_jobs : int, default=None
        Folds run in parallel through joblib (a Dask or Ray backend spreads them over
        a cluster). The first parallel call of a session starts joblib's worker
        processes (1.5 s on a 2-core machine, where the whole sequential fit of
        ``GroupLassoRegressorCV`` on Exam takes 0.13 s): worth it for fits of
        seconds or more.
""",
    "verbose": """    verbose : int, default=0
        Print each fold's number of fits and time, and the refit's objective and
        duality gap.
""",
    "intercept_poolings": """    intercept_poolings : array-like, default=None
        Grid of ``intercept_pooling``, searched with the other strengths when it
        has more than one value. None, when each row has a task label (``tasks=`` or
        ``task_column``) and intercepts are fitted: with the squared loss, the one
        value a random-intercept model's variances give, estimated by the method of
        moments on all the data (the noise variance of least squares with free task
        intercepts over the variance of the tasks' mean residuals of least squares
        with one intercept; ``inf`` when that is not positive; ``sample_weight`` read
        as precision weights there, so that scaling every weight changes nothing,
        while integer weights are not repeated rows); with the logistic loss (also
        its multinomial form: one intercept per class, independent with equal
        variances) and the Poisson loss, ``1 / tau^2`` of a random-intercept model
        (``tau^2`` the variance of the task intercepts, on the scale of the
        predictions), fitted by the Laplace approximation of its restricted
        likelihood (sample weights read as repeated rows); with the Huber and
        pinball (quantile) losses (a loss's ``location``), ``E[psi^2] / (E[psi']
        tau^2)`` of the same random-intercept model for that M-estimator (``psi``
        the loss's derivative in the residual, over the residuals and with the
        ``tau^2`` of the method of moments above, sample weights read as precision
        weights again); with the squared hinge (a loss's ``margin``), twice the
        squared loss's estimate on the -1/+1 labels (its curvature inside the
        margin times that of a random-intercept linear probability model); the
        estimates leave ``task_weights`` out (the multilevel model weighs every
        row alike); with another loss, too few samples, labels without noise
        within the tasks (the squared hinge, every task of one class) or over 1000
        features (1000 / ``K`` with ``K`` classes) for these estimates,
        ``POOLING_GRID`` (0, 1, 4, 16, 64 and inf pseudo-samples per task, in units
        of the sample weights), without 0 when a task's free intercept would be infinite (its
        samples of one class, or its counts all zero; a grid given must then leave 0
        out). Otherwise 0 (free intercepts, as sklearn's ``MultiTaskLassoCV`` for wide
        ``y``), or that grid without 0 where free intercepts would be infinite.
""",
}


def _section(doc, title):
    """The body of a numpydoc section of ``doc`` (up to the next section)."""
    start = doc.index(f"    {title}\n    {'-' * len(title)}\n")
    body = doc[start:].split("\n", 2)[2]
    end = re.search(r"\n    \S[^\n]*\n    -{3,}\n", body)
    return body[: end.start() + 1] if end else body


def _entries(section):
    """The entries of a Parameters or Attributes section, by each name they document."""
    entries, current = {}, None
    for line in section.splitlines(keepends=True):
        found = _ENTRY.match(line)
        if found:
            current = [line]
            for name in found[1].split(","):
                entries[name.strip()] = current
        elif current is not None and line.strip():
            current.append(line)
    return {name: "".join(lines) for name, lines in entries.items()}


def _objective(doc):
    """The objective block (``::`` literal) of an estimator's docstring."""
    start = doc.index("Minimizes")
    block = doc[start:].split("::\n\n", 1)[1]
    return block[: block.index("\n\n")]


def _has_alpha_max(model):
    """Whether the estimator's default penalty is a norm with an ``alpha_max``."""
    try:
        return hasattr(model()._make_penalty(3, 3), "alpha_max")
    except (ValueError, TypeError):  # pragma: no cover
        return False


def _wrap(text, indent):
    pad = " " * indent
    return textwrap.fill(
        text, 88, initial_indent=pad, subsequent_indent=pad, break_on_hyphens=False
    )


def _grid_entry(name, default, first, decades, model, alpha_max=None):
    param = f"{name}s"
    if decades is not None:
        auto = f"``logspace({decades[0]:g}, {decades[1]:g}, {param})``"
        if len(decades) > 2:  # relative to another parameter
            auto = f"``{decades[2]} * logspace({decades[0]:g}, {decades[1]:g}, {param})``"
    if not first:
        text = f"Grid of ``{name}``, one axis of the search. An int: that many values {auto}."
        if default is None:
            text = (
                f"Grid of ``{name}``, then one axis of the search. None: not searched, the "
                f"parameter ``{name}`` is used. An int: that many values {auto}."
            )
    else:
        text = f"Grid of ``{name}``, solved in decreasing order along each fold's path. An int:"
        if decades is None:
            text += " that many values ``geomspace(alpha_max, eps * alpha_max)``"
            text += f", ``alpha_max`` {alpha_max}." if alpha_max else "."
        elif _has_alpha_max(model):
            text += (
                " that many values ``geomspace(alpha_max, eps * alpha_max)`` where the "
                f"penalty is a norm with an ``alpha_max``, else {auto}."
            )
        else:
            text += f" that many values {auto}."
    if first and default is None:
        text += (
            " None: 20 values when each row has a task label and intercepts are "
            "fitted, or ``intercept_pooling`` is searched; else 100 (as scikit-learn's "
            "``MultiTaskLassoCV``)."
        )
    text += " An array: these values (scikit-learn's ``alphas`` convention)."
    kind = "int, array-like or None" if default is None else "int or array-like"
    return f"    {param} : {kind}, default={default!r}\n{_wrap(text, 8)}\n"


def _attributes(strengths, model, loss, extra):
    lines = []
    for name in strengths:
        order = " (decreasing)" if name == strengths[0] else ""
        lines.append(
            f"    {name}_ : float\n        The chosen ``{name}``.\n"
            f"    {name}s_ : ndarray\n        The grid of ``{name}``{order}.\n"
        )
    lines.append(extra)
    lines.append(
        """    searched_strengths_ : tuple of str
        The strengths searched, the path's first; the error path has an axis for each
        of the others in this order, then the path's, then the folds
        (``intercept_pooling`` is searched only when its grid has more than one value).
"""
    )
    if loss == "squared":
        lines.append(
            """    mse_path_ : ndarray of shape (one axis per searched grid..., n_folds)
        Held-out mean squared error (the path's axis is the last grid); with
        ``loss="quantile"``, the held-out mean pinball loss instead. Infinite at
        ``intercept_pooling=0`` in a fold where free intercepts are (see ``cv``).
"""
        )
    else:
        lines.append(
            """    score_path_ : ndarray of shape (one axis per searched grid..., n_folds)
        Held-out score (the path's axis is the last grid): minus the mean log-loss
        for a loss with probabilities (the default logistic loss, as scikit-learn's
        ``scoring="neg_log_loss"``), else the accuracy. Minus infinity at
        ``intercept_pooling=0`` in a fold where free intercepts are infinite (see
        ``cv``).
"""
        )
    lines.append(
        f"""    estimator_ : {model.__name__}
        The estimator refitted on all data with the chosen strengths; its fitted
        attributes (below) are also set on this estimator.
"""
    )
    return "".join(lines) + _section(model.__doc__, "Attributes").rstrip("\n") + "\n"


def cv_docstring(
    summary,
    model,
    init,
    ranges,
    *,
    example,
    optional=(),
    alpha_max=None,
    grid_entries=None,
    attributes="",
):
    """The docstring of the ``*CV`` estimator of ``model`` whose ``__init__`` is
    ``init`` and whose searched strengths (the path's first) have the automatic
    grids ``ranges``; ``example`` is the body of its Examples section. ``optional``:
    the strengths searched only when their grid is given; ``alpha_max``: what the
    top of the path's automatic grid is, when not the estimator's ``alpha_max``;
    ``grid_entries``: the Parameters entry of a strength's grid, by strength, where
    the generic one does not fit (a searched ratio); ``attributes``: more fitted
    attributes (the strength a ratio sets)."""
    grid_entries = grid_entries or {}
    doc = model.__doc__
    loss = "logistic" if model.__name__.endswith("Classifier") else "squared"
    strengths = (*ranges, "intercept_pooling")
    model_entries = _entries(_section(doc, "Parameters"))
    parameters = []
    for name, p in list(inspect.signature(init).parameters.items())[1:]:
        if name in _CV_PARAMETERS:
            parameters.append(_CV_PARAMETERS[name].format(default=p.default))
        elif name[:-1] in grid_entries:
            parameters.append(grid_entries[name[:-1]])
        elif name.endswith("s") and name[:-1] in ranges:
            first = name[:-1] == strengths[0]
            parameters.append(
                _grid_entry(name[:-1], p.default, first, ranges[name[:-1]], model, alpha_max)
            )
        else:
            parameters.append(model_entries[name])
    names = [f"``{s}``" for s in strengths if s not in optional]
    searched = ", ".join(names[:-1]) + " and " + names[-1]
    searched += "".join(f" (and ``{s}`` when ``{s}s`` is given)" for s in optional)
    kind, other = ("Regressor", "Classifier") if loss == "squared" else ("Classifier", "Regressor")
    other_loss = "logistic" if loss == "squared" else "squared"
    error = (
        'mean squared error (mean pinball loss for ``loss="quantile"``)'
        if loss == "squared"
        else "log-loss (misclassification rate for a loss without probabilities)"
    )
    stem = model.__name__[: -len(kind)]
    intro = (
        f"with {searched} chosen from the grids below by cross-validation (the other "
        f"parameters are fixed): each fold solves a warm-started path of ``{strengths[0]}`` "
        f"for each point of the other grids, and the strengths with the lowest held-out "
        f"{error}, averaged over the folds, are refitted on all data (errors along "
        f"the path within 1e-7 of the lowest, relatively, are ties: the strongest wins)."
    )
    return f"""{summary}

    The objective of :class:`~skmtl.{model.__name__}`, minimized over ``W``
    (n_features x n_tasks) and intercepts ``b``::

{_objective(doc)}

{_wrap(intro, 4)}

    Parameters
    ----------
{"".join(parameters)}
    Attributes
    ----------
{_attributes(strengths, model, loss, attributes)}
    See Also
    --------
    skmtl.{model.__name__} : The model with fixed strengths.
    skmtl.{stem}{other}CV : The same search with the {other_loss} loss.
    skmtl.model_selection.TaskStratifiedKFold : The default splitter with task labels.
    skmtl.model_selection.regularization_path : One warm-started path, no cross-validation.

    Examples
    --------
{example}"""
