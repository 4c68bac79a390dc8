"""The parts of the named estimators' docstrings that they all share."""

from __future__ import annotations

import re
import textwrap

_TOL_UNIT = {
    "squared": "``sum_t tau_t/n_t ||y_t - mean(y_t)||^2`` (twice the data term of the "
    "model without features; sklearn's convention) for the squared loss, the data term of "
    "the model without features for the Poisson loss, and for the Huber and quantile "
    "losses the data term with no features and each task's intercept at ``mean(y_t)``",
    "logistic": "``T log 2`` (the logistic loss of the zero model; ``T log K`` with ``K`` "
    "classes, ``T`` for the squared hinge)",
}
_LOSS_PARAMETER = {
    "squared": """    loss : {"squared", "huber", "poisson", "quantile"} or Loss, default=None
        The data-fitting loss, by name or as a :class:`~skmtl.losses.Loss` instance
        (None: ``"squared"``). ``"huber"`` (:class:`~skmtl.losses.HuberLoss`) for
        targets with outliers: quadratic in the residual up to ``epsilon=1.35``, in
        the units of ``y``, linear beyond (``HuberLoss(epsilon=...)`` for another
        threshold). ``"poisson"`` (:class:`~skmtl.losses.PoissonLoss`) for counts:
        half the Poisson deviance with the log link, so that :meth:`predict` gives
        ``exp(x^T w_t + b_t)``. ``"quantile"`` (:class:`~skmtl.losses.QuantileLoss`)
        for conditional quantiles: the pinball loss of the median
        (``QuantileLoss(quantile=...)`` for another quantile). The objective's data
        term is then ``sum_t tau_t/n_t sum_i loss(y_ti, x_ti^T w_t + b_t)``.
""",
    "logistic": """    loss : {"logistic", "squared_hinge"} or Loss, default=None
        The data-fitting loss on labels ``y_ti`` in {-1, +1}, by name or as a
        :class:`~skmtl.losses.Loss` instance (None: ``"logistic"``).
        ``"squared_hinge"`` (:class:`~skmtl.losses.SquaredHingeLoss`) is
        ``max(0, 1 - y z)^2``, the margin loss of the L2-loss linear SVM; it has no
        probability model, so ``predict_proba`` is not available with it. The
        objective's data term is then ``sum_t tau_t/n_t sum_i loss(y_ti, x_ti^T w_t
        + b_t)``.
""",
}
_PRECOMPUTE = {
    "squared": "Solve through per-task Gram matrices when rows far outnumber features "
    "(``'auto'`` decides by cost; squared loss), or when the features are badly scaled "
    "(their curvatures spread by 100 or more, up to 100 features: coordinate descent "
    "or ADMM then solve them). With the other losses and up to 100 "
    "features, solve by proximal Newton steps whose quadratic models use per-task Gram "
    "matrices; ``False`` forces plain FISTA.",
    "logistic": "With up to 100 features, solve by proximal Newton steps whose quadratic "
    "models use per-task Gram matrices; ``False`` forces plain FISTA.",
}


def _wrap(text):
    return textwrap.fill(text, 88, initial_indent=" " * 8, subsequent_indent=" " * 8)


def _common_parameters(loss):
    tol = _wrap(f"Stop when the duality gap is below ``tol`` times {_TOL_UNIT[loss]}.")
    text = f"""{_LOSS_PARAMETER[loss]}    fit_intercept : bool, default=True
        Fit one intercept per task.
{_INTERCEPT_POOLING}    max_iter : int, default=10000
        Maximum number of iterations (FISTA or ADMM iterations, CD epochs). Proximal
        Newton steps (losses other than the squared one) and the rounds of the
        quantile loss count the iterations of their inner solves together, which
        is why the default is higher than scikit-learn's 1000 epochs: a fit that
        certifies sooner stops sooner.
    tol : float, default=1e-4
{tol}
    warm_start : bool, default=False
        Start from the previous solution when refitting on the same tasks.
    solver : {{"auto", "fista", "cd", "admm", "closed_form", "cvxpy"}}, default="auto"
        ``"auto"`` solves exactly where a closed form exists (squared loss with a
        quadratic penalty). Otherwise, with per-task Gram matrices (squared loss with
        ``precompute``, or the proximal Newton steps of the logistic loss), up to 100
        features and free intercepts, when the features' curvatures are spread
        (unscaled features: FISTA's Lipschitz constant at least 100 times the
        smallest feature's): block coordinate descent over features (``"cd"``) for
        the L2,1 and L1 group lasso, ADMM with per-task factorizations
        (``"admm"``) for the other penalties (L1/Linf and sparse-group lasso, the
        dirty model, the low-rank and task-relation models); coordinate descent
        also for the L2,1 and L1 norms on at most 5 features whatever their
        scales, and ADMM for the split models (``W = P + Q``); FISTA
        (``"fista"``) in every other case (also on well-scaled features, where it
        is faster). The full rule: :ref:`extending-skmtl`. Both keep
        their iteration count when features are unscaled or collinear, where
        FISTA's grows. Each can
        be forced (``"cd"`` serves the group lasso and dirty models, ``"admm"`` every
        penalty but a quadratic plus a norm (the graph penalty with ``alpha_l1`` or
        ``alpha_l21``); both raise a ValueError where they do not apply). ``"cvxpy"``
        solves the same objective with cvxpy (the reference solver; ``pip install
        'skmtl[cvxpy]'``) to its conic solver's accuracy: entries that are zero at
        the optimum come out near 1e-9, not 0, so the attributes that count zeros or
        ranks (``rank_``, ``outlier_tasks_``, the parts' sparsity) count them too.
    precompute : {{"auto", True, False}}, default="auto"
{_wrap(_PRECOMPUTE[loss])}
    task_column : int or str, default=None
        Column of ``X`` holding each row's task label (removed from the features):
        its position, or its name in a DataFrame (an int that is a column's label
        at another position is refused as ambiguous). With it, every scorer and
        ``cross_val_predict`` work without metadata routing.
"""
    text += _UNKNOWN_TASK
    return (
        text
        + """    task_weights : None, str, dict or array-like, default=None
        The weights ``tau_t`` of the tasks' mean losses in the objective. None: every
        sample counts once, ``tau_t = n_t T / N`` (``n_t`` the task's number of
        samples, or sum of sample weights, ``N`` their total: weights of mean one),
        which is ``tau_t = 1`` when the tasks have the same size (a 2-D ``y``
        without missing entries, scikit-learn's ``MultiTaskLasso``). As in a
        multilevel model, a large task's coefficients then follow its data more
        than a small task's, which borrows more from the others. ``"tasks"``: each
        task's mean loss counts once (``tau_t = 1``, RMTL's convention), however
        many samples it has; ``"samples"``: ``tau_t = n_t``, the sum-of-squares
        objective of MALSAR (the default with strengths scaled by ``N / T``, for
        the convex penalties and the capped L1; not for MCP and SCAD, whose
        ``gamma`` is in units of the objective); a
        dict by task label or an array in the order of ``tasks_``;
        ``"uncertainty"`` (or an :class:`~skmtl.UncertaintyWeights`), learned from
        each task's noise level. A zero weight removes a task's data term, while
        the task still takes part in any coupling of the penalty; its free
        intercept minimises its own loss given its coefficients.
    main_task : task label, default=None
        The task of interest: all tasks are fitted, but ``score`` (and so model
        selection) uses this task's samples only.
    verbose : int, default=0
        Print the objective and the duality gap during the solve.
"""
    )


_INTERCEPT_POOLING = """    intercept_pooling : float, default=0.0
        Partial pooling of the task intercepts towards a shared intercept ``b_0``:
        the objective gains ``intercept_pooling / 2 * sum_t tau_t / n_t * (b_t -
        b_0)^2`` (minimised over ``b_0``; ``n_t`` the task's number of samples, or
        sum of sample weights, and ``tau_t`` its weight, see ``task_weights``). It
        acts as ``intercept_pooling`` pseudo-samples at ``b_0`` for every task: with
        the squared loss a task's intercept is ``(n_t r_t + intercept_pooling b_0) /
        (n_t + intercept_pooling)`` (``r_t`` its mean residual), the shrinkage of a
        random-intercept multilevel model whose noise-to-intercept variance ratio is
        ``intercept_pooling``, so that small tasks borrow their intercept from the
        others. ``0`` leaves the intercepts free (no pooling), ``np.inf`` fits one
        common intercept (complete pooling of the intercepts). The ``*CV``
        estimators set it: with the squared loss to that variance ratio estimated
        from the data, with the logistic (also multinomial) and Poisson losses to
        the inverse variance of random task intercepts, estimated from the data,
        with the Huber and quantile losses to the same random-intercept model's
        pooling for an M-estimator (in the targets' units), and with the squared
        hinge to twice that variance ratio of the -1/+1 labels (a linear
        probability model).
"""
_UNKNOWN_TASK = """    unknown_task : {"warn", "error", "mean"}, default="warn"
        A task label not seen in fit (a new task: the cold start) is predicted with
        the population model (``population_coef_``, ``population_intercept_``: the
        average of the task models and the shared intercept), with an
        :class:`~skmtl.UnknownTaskWarning` that names the cause and the fix
        (``"warn"``), silently (``"mean"``); or raises (``"error"``).
"""


def _common_attributes(loss):
    text = """    coef_ : ndarray of shape (n_tasks, n_features), or (n_features,) for one task
    intercept_ : ndarray of shape (n_tasks,), or float for one task
    tasks_ : ndarray of shape (n_tasks,)
        Task labels seen in fit, sorted (column positions when ``y`` is 2-D, whose
        column names are not kept, as in scikit-learn's multi-output models).
"""
    if loss == "logistic":
        text = """    coef_ : ndarray of shape (n_tasks, n_features), or (n_features,) for one task
        With more than two classes, (n_tasks, n_classes, n_features), or
        (n_classes, n_features) for one task: one model per class (multinomial).
    intercept_ : ndarray of shape (n_tasks,), or float for one task
        With more than two classes, (n_tasks, n_classes) or (n_classes,); a
        softmax's intercepts are defined up to a shift, so free ones sum to zero
        over the classes of each task (pooled ones over all tasks and classes).
    tasks_ : ndarray of shape (n_tasks,)
        Task labels seen in fit, sorted (column positions when ``y`` is 2-D, whose
        column names are not kept, as in scikit-learn's multi-output models).
    classes_ : ndarray of shape (n_classes,)
        The class labels of all tasks (sorted); with two, ``classes_[1]`` is the
        positive class. More than two make the logistic loss the multinomial one
        (scikit-learn's ``LogisticRegression``): the ``n_classes`` models of every
        task are fitted as ``n_classes * n_tasks`` task-class columns of ``W``
        (n_features x n_classes * n_tasks, class by class), on which penalties on
        features act alike (a feature is kept for every task and class) and the
        low-rank ones take this matrix's singular values, while penalties built from
        a task structure (mean, graph, clusters, task covariance) couple the same
        class across tasks: they act on the (n_classes * n_features, n_tasks) stack
        of the classes' blocks, with one task structure (clusters, covariance)
        shared by all classes. So the clustered and shared-subspace models, and
        the task-relation and squared trace-norm models, equal for two classes,
        differ with more.
"""
    return (
        text
        + """    population_coef_ : ndarray of shape (n_features,)
        The model of a task not seen in fit: the average of the task models
        ((n_classes, n_features) with more than two classes).
    population_intercept_ : float
        Its intercept: the shared intercept ``b_0`` with ``intercept_pooling`` > 0
        (the mean of the intercepts weighted by ``tau_t / n_t``), else their mean
        (an ndarray of shape (n_classes,) with more than two classes).
    task_weights_ : ndarray of shape (n_tasks,)
        The weight of each task's data term used in the fit.
    task_noise_ : ndarray of shape (n_tasks,)
        The learned noise level of each task (``task_weights="uncertainty"`` only).
    n_iter_ : int
        Number of iterations run (FISTA or ADMM iterations, CD epochs; inner ones summed
        for the proximal Newton steps of the logistic loss).
    dual_gap_ : float
        Duality gap at the solution, in units of the objective.
    gap_threshold_ : float
        The gap below which the solver stopped: ``tol`` times the objective's scale
        (see ``tol``). ``dual_gap_`` exceeds it only when ``max_iter`` was reached
        (with a ``ConvergenceWarning``); NaN with ``solver="cvxpy"``.
    objective_ : float
        Objective value at the solution.
    n_features_in_ : int
        Number of columns of the ``X`` given to fit (with ``task_column``, the task
        column too).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of those columns, defined when ``X`` has string column names. With
        ``task_column`` the task column is among them but not among the columns
        of ``coef_``: those are the others (the task column found by its name, its
        ColumnTransformer name ``"<transformer>__<name>"`` or its position).
    statistics_ : TaskStatistics
        After ``partial_fit`` (estimators that have it): the sums over the chunks
        seen so far (:class:`~skmtl.statistics.TaskStatistics`), from which each
        call refits.
"""
    )


#: related models of each model family (named by the stem of its class names), with
#: what each offers instead; rendered as the "See Also" section of both estimators
_SEE_ALSO = {
    "GroupLasso": [
        ("Dirty", "Shared features plus a few task-specific ones."),
        ("TraceNorm", "A shared subspace instead of shared features."),
    ],
    "CappedL1": [
        ("GroupLasso", "The convex first stage (l1_ratio=1: a lasso per task)."),
        ("BlockMCP", "A non-convex penalty on the row 2-norms."),
    ],
    "BlockMCP": [
        ("GroupLasso", "The convex first stage."),
        ("BlockSCAD", "Another non-convex penalty on the row 2-norms."),
    ],
    "BlockSCAD": [
        ("GroupLasso", "The convex first stage."),
        ("BlockMCP", "Another non-convex penalty on the row 2-norms."),
    ],
    "MeanRegularized": [
        ("GraphRegularized", "Tasks pulled together along a graph."),
        ("Clustered", "Several group means, found from the data."),
        ("TaskRelation", "Task relations learned as a covariance."),
    ],
    "GraphRegularized": [
        ("MeanRegularized", "Every task pulled towards one mean."),
        ("Clustered", "Groups of tasks found from the data."),
    ],
    "Clustered": [
        ("ClusterNorm", "Another convex relaxation of clustered tasks."),
        ("MeanRegularized", "A single cluster."),
    ],
    "ClusterNorm": [
        ("Clustered", "The relaxed k-means of the task models."),
        ("MeanRegularized", "A single cluster."),
    ],
    "TaskRelation": [
        ("TraceNorm", "The squared trace norm without the ridge (squared=True)."),
        ("MeanRegularized", "A fixed relation: every task close to the mean."),
    ],
    "TraceNorm": [
        ("SharedSubspace", "A subspace of a given dimension."),
        ("RobustLowRank", "A low-rank part plus outlier tasks."),
        ("TaskRelation", "The squared trace norm with a ridge."),
    ],
    "SharedSubspace": [
        ("TraceNorm", "A low-rank subspace of free dimension."),
        ("Clustered", "The same relaxation applied to the tasks."),
    ],
    "Dirty": [
        ("GroupLasso", "Shared features only."),
        ("RobustLowRank", "A shared low-rank part plus outlier tasks."),
    ],
    "RobustLowRank": [
        ("TraceNorm", "The low-rank part alone."),
        ("Dirty", "Shared plus task-specific sparse features."),
    ],
    "SparseLowRank": [
        ("Dirty", "Shared rows plus task-specific entries."),
        ("RobustLowRank", "A low-rank part plus outlier tasks."),
    ],
    "RobustFeatureLearning": [
        ("RobustLowRank", "A low-rank part instead of shared rows."),
        ("GroupLasso", "Shared features only."),
    ],
    "FeatureGroupLasso": [
        ("GroupLasso", "Each feature its own group."),
        ("IncompleteMultiSource", "Sources missing in blocks of samples."),
    ],
    "FusedSparseGroupLasso": [
        ("GraphRegularized", "A chain of tasks with alpha_l21 (the temporal group lasso)."),
        ("GroupLasso", "No fusion over the task order."),
    ],
}


def _see_also(examples):
    """The "See Also" section of the estimator whose example imports it."""
    found = re.search(r"from skmtl import (\w+?)(Regressor|Classifier)\b", examples)
    if found is None or found[1] not in _SEE_ALSO:
        return ""
    stem, kind = found[1], found[2]
    other = "Classifier" if kind == "Regressor" else "Regressor"
    loss = "logistic" if other == "Classifier" else "squared"
    lines = [
        f"    skmtl.{stem}{other} : The same penalty with the {loss} loss.",
        f"    skmtl.model_selection.{stem}{kind}CV : Its strengths chosen by cross-validation.",
    ]
    lines += [f"    skmtl.{name}{kind} : {what}" for name, what in _SEE_ALSO[stem]]
    return "    See Also\n    --------\n" + "\n".join(lines) + "\n\n"


def docstring(summary, objective, parameters, *, loss, attributes="", examples=""):
    """Assemble a numpydoc docstring: summary, objective, parameters, attributes,
    related models and examples."""
    return f"""{summary}

    Minimizes, over ``W`` (n_features x n_tasks) and intercepts ``b``::

{objective}
            + intercept_pooling / 2 * sum_t tau_t / n_t (b_t - b_0)^2   (over b_0 too)

    with ``n_t`` task ``t``'s number of samples (sum of sample weights) and
    ``tau_t`` its weight: by default ``n_t T / N``, so that every sample counts once
    (``tau_t = 1`` for tasks of equal size; see ``task_weights``).

    Parameters
    ----------
{parameters}{_common_parameters(loss)}
    Attributes
    ----------
{attributes}{_common_attributes(loss)}
{_see_also(examples)}    Examples
    --------
{examples}"""


_LOSS_TERM = {
    "squared": "sum_t tau_t/(2 n_t) ||y_t - X_t w_t - b_t||^2",
    "logistic": "sum_t tau_t/n_t sum_i log(1 + exp(-y_ti (x_ti^T w_t + b_t)))\n"
    "            (more than two classes: sum_t tau_t/n_t sum_i [logsumexp_k z_tik - z_ti,y_ti]\n"
    "             with z_tik = x_ti^T w_tk + b_tk, the penalty on every class's models)",
}
_NAMES = {
    "squared": ("Regressor", "regression"),
    "logistic": ("Classifier", "classification"),
}


def model_docstring(spec, loss):
    """The docstring of one model's regressor or classifier from a shared ``spec``:
    ``summary`` (with ``{task}``), ``penalty``, ``parameters``, ``attributes`` and
    ``example`` (with ``{name}`` for Regressor/Classifier and ``{cls}`` for the
    generator's ``loss`` argument)."""
    name, task = _NAMES[loss]
    cls = ', loss="logistic"' if loss == "logistic" else ""
    return docstring(
        spec["summary"].format(task=task),
        f"        {_LOSS_TERM[loss]}\n            + {spec['penalty']}",
        spec["parameters"],
        loss=loss,
        attributes=spec["attributes"],
        examples=spec["example"].replace("{cls}", cls).format(name=name),
    )
