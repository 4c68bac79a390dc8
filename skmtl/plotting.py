"""Pictures of what a multi-task model learned (needs matplotlib: ``skmtl[plot]``).

Every function draws on ``ax`` (a new figure when None), gives the axes a title and
axis labels that say what is shown (``title=`` replaces the default title) and
returns the axes.
"""

from __future__ import annotations

import numpy as np

from ._inputs import task_column_name


def _axes(ax, **figure):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("skmtl.plotting needs matplotlib: pip install 'skmtl[plot]'") from error
    return plt.subplots(**figure)[1]


def _model_name(model):
    """The class name of a model, or of the model a ``*CV`` estimator tuned."""
    return type(getattr(model, "estimator_", model)).__name__


def _not_a_model(function, model, what):
    """The error for a ``model`` that ``function`` cannot read ``what`` from: it
    names the model to pass instead (a pipeline's last step, a search's best
    estimator) or says to fit it."""
    name = type(model).__name__
    if hasattr(model, "steps"):
        fix = f"pass its last step, {function}(pipe[-1])"
    elif hasattr(model, "best_estimator_") or hasattr(model, "param_grid"):
        fix = f"pass the search's best model, {function}(search.best_estimator_), after fit"
    elif hasattr(model, "fit") and _is_fitted(model):
        fix = "this fitted model is not one"
    elif hasattr(model, "fit"):
        fix = "fit it first"
    else:
        fix = f"pass {what}"
    return ValueError(f"{function} takes {what}; got a {name}: {fix}.")


def _is_fitted(model):
    """Whether scikit-learn's ``check_is_fitted`` passes."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError):
        return False
    return True


def _integer_ticks(axis):
    """Ticks at whole positions only (the rows or columns of an image)."""
    from matplotlib.ticker import MaxNLocator

    axis.set_major_locator(MaxNLocator(integer=True))


def plot_coefficients(coef, *, feature_names=None, task_names=None, title=None, ax=None):
    """Heat map of the coefficients, tasks x features (a fitted model or ``coef_``);
    for more than two classes (``coef_`` of shape (n_tasks, n_classes, n_features)),
    a row for each task's model of each class, class by class within each task.

    Shared sparsity shows as whole empty columns, a shared subspace as similar rows.
    For a fitted model the default title names it, and the rows and columns are
    named by its ``tasks_`` (and ``classes_``) and feature names (``feature_names_in_``
    without a task column), where not given.
    """
    model = coef
    if hasattr(model, "fit") and not hasattr(model, "coef_"):
        raise _not_a_model("plot_coefficients", model, "a fitted skmtl model or its coef_")
    coef = np.asarray(getattr(coef, "coef_", coef))
    if coef.dtype == object:
        raise _not_a_model("plot_coefficients", model, "a fitted skmtl model or its coef_")
    fitted = hasattr(model, "fit")  # (not coef_ itself: an array, a list, a DataFrame)
    if fitted:
        feature_names, task_names = _default_names(model, feature_names, task_names)
    if not 1 <= coef.ndim <= 3:
        raise ValueError(
            "plot_coefficients takes a fitted model or its coef_, of shape (n_features,), "
            "(n_tasks, n_features) or (n_tasks, n_classes, n_features); got shape "
            f"{coef.shape}."
        )
    ylabel = None
    if coef.ndim == 2 and getattr(model, "_layout", None) == "single":
        if getattr(model, "_n_classes", 1) > 1:  # one task, a row per class
            coef = coef[None]
    if coef.ndim == 3:
        n_tasks, n_classes, _ = coef.shape
        coef = coef.reshape(n_tasks * n_classes, -1)
        ylabel = f"task and class ({n_classes} classes in each task)"
        if task_names is not None:
            classes = getattr(model, "classes_", range(n_classes))
            task_names = [f"{t}: {c}" for t in task_names for c in classes]
    coef = np.atleast_2d(coef)
    for names, size, what in (
        (feature_names, coef.shape[1], "features"),
        (task_names, coef.shape[0], "rows (tasks, or task and class)"),
    ):
        if names is not None and len(names) != size:
            raise ValueError(
                f"plot_coefficients got {len(names)} names for {size} {what}; give one "
                "name each (or None)."
            )
    ax = _axes(ax, figsize=(max(4, 0.4 * coef.shape[1] + 2), max(3, 0.15 * coef.shape[0] + 2)))
    limit = np.abs(coef).max() or 1.0
    image = ax.imshow(
        coef, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
    )
    ax.figure.colorbar(image, ax=ax, label="coefficient")
    ax.set_xlabel("feature")
    ax.set_ylabel(ylabel or f"task ({coef.shape[0]} tasks)")
    if feature_names is not None:
        ax.set_xticks(range(len(feature_names)), feature_names, rotation=90)
    else:
        _integer_ticks(ax.xaxis)
    if task_names is not None and len(task_names) <= 40:
        ax.set_yticks(range(len(task_names)), task_names)
    else:
        _integer_ticks(ax.yaxis)
    if title is None:
        title = f"{_model_name(model)} coefficients" if fitted else "coefficients"
    ax.set_title(title)
    return ax


def _default_names(model, feature_names, task_names):
    """A fitted model's names of its features (``feature_names_in_`` without a task
    column) and tasks (``tasks_``; None for one task), where not given."""
    if feature_names is None and hasattr(model, "feature_names_in_"):
        feature_names = list(model.feature_names_in_)
        column = getattr(model, "task_column", None)
        if column is not None:  # (by name, renamed by a ColumnTransformer, or position)
            try:
                feature_names.remove(task_column_name(feature_names, column))
            except ValueError:  # (task_column set after a fit without it)
                pass
    if task_names is None and getattr(model, "_layout", None) not in (None, "single"):
        task_names = [str(t) for t in np.asarray(model.tasks_).tolist()]
    return feature_names, task_names


def plot_path(
    alphas, coefs, *, param="alpha", feature_names=None, title="Regularization path", ax=None
):
    """Regularization path: the norm of each feature's row across tasks (and classes)
    against the strength ``param`` (``regularization_path``'s).

    ``alphas`` and ``coefs`` as returned by
    :func:`skmtl.model_selection.regularization_path`; ``feature_names`` (one per
    feature) label the lines in a legend.
    """
    coefs = np.asarray(coefs)
    if coefs.ndim not in (3, 4):
        raise ValueError(
            "plot_path takes the coefs of regularization_path, of shape (n_alphas, "
            "n_tasks, n_features) or (n_alphas, n_tasks, n_classes, n_features); got "
            f"shape {coefs.shape}."
        )
    ax = _axes(ax)
    # (n_alphas, n_features): over tasks (and classes)
    norms = np.sqrt(np.sum(coefs**2, axis=tuple(range(1, coefs.ndim - 1))))
    if feature_names is not None and len(feature_names) != norms.shape[1]:
        raise ValueError(
            f"plot_path got {len(feature_names)} feature_names for {norms.shape[1]} "
            "features; give one each (or None)."
        )
    lines = ax.plot(alphas, norms)
    if feature_names is not None:
        ax.legend(lines, feature_names, fontsize="small")
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel(param)
    ax.set_ylabel("norm of each feature's coefficients across tasks")
    ax.set_title(title)
    return ax


def cv_slice(model):
    """The index of the chosen value of each secondary strength of a fitted ``*CV``
    estimator (those after the path's axis): ``mse_path_[cv_slice(model)]`` (or
    ``score_path_``) is the held-out error along the path at the chosen values,
    shape ``(n_alphas, n_folds)``."""
    index = []
    for name in model.searched_strengths_[1:]:
        grid = np.asarray(getattr(model, f"{name}s_"), dtype=float)
        index.append(int(np.flatnonzero(grid == getattr(model, f"{name}_"))[0]))
    return tuple(index)


def plot_cv(model, *, slices="chosen", title=None, ax=None):
    """Held-out error (mean and spread over folds) along a fitted ``*CV`` estimator's
    path (its first strength).

    For a model with more strengths, ``slices="chosen"`` draws the path at the chosen
    values of the others; ``slices="all"`` draws one labelled line per combination
    of their values (the chosen one thicker, with its spread).
    """
    if slices not in ("chosen", "all"):
        raise ValueError(f"slices must be 'chosen' or 'all'; got {slices!r}.")
    if not hasattr(model, "searched_strengths_"):
        raise _not_a_model(
            "plot_cv", model, "a fitted skmtl *CV estimator (e.g. GroupLassoRegressorCV)"
        )
    ax = _axes(ax)
    name, others = model.searched_strengths_[0], model.searched_strengths_[1:]
    grid = np.asarray(getattr(model, f"{name}s_"), dtype=float)
    path = getattr(model, "mse_path_", None)
    loss = model.estimator_._fitted_loss
    # (a loss that is not smooth, the pinball loss, is scored by itself)
    what = "mean squared error" if loss.smooth else f"mean {loss.name} loss"
    what = what.replace("quantile loss", "pinball loss")
    if path is None:
        probabilities = model.estimator_._fitted_loss.probabilistic
        path, what = model.score_path_, "minus log-loss" if probabilities else "accuracy"
    chosen = cv_slice(model)
    grids = [np.asarray(getattr(model, f"{s}s_"), dtype=float) for s in others]
    index = list(np.ndindex(path.shape[:-2])) if slices == "all" else [chosen]

    def describe(idx):
        return ", ".join(f"{s}={g[i]:.3g}" for s, g, i in zip(others, grids, idx, strict=True))

    for idx in index:
        values = path[idx]  # (n_alphas, n_folds)
        if slices == "all" and not np.isfinite(values).any():
            continue  # free intercepts, infinite in some fold at every strength
        with np.errstate(invalid="ignore"):  # a point infinite in some fold
            mean, spread = values.mean(axis=-1), values.std(axis=-1)
        best = idx == chosen
        label = describe(idx) or "mean over folds"
        if best and others:
            label += " (chosen)"
        ax.plot(grid, mean, marker=".", linewidth=2.0 if best else 1.0, label=label)
        if best:
            ax.fill_between(grid, mean - spread, mean + spread, alpha=0.2, label="± std over folds")
    value = getattr(model, f"{name}_")
    ax.axvline(value, color="k", linestyle="--", label=f"chosen {name}={value:.3g}")
    if np.all(grid > 0):
        ax.set_xscale("log")
    ax.set_xlabel(name)
    ax.set_ylabel(f"held-out {what} ({path.shape[-1]} folds)")
    if title is None:
        title = f"{_model_name(model)}: cross-validation along {name}"
        if others and slices == "chosen":
            title += f" at {describe(chosen)}"
    ax.set_title(title)
    ax.legend(fontsize="small")
    return ax


def task_order(matrix, clusters=None):
    """An order of the tasks that shows the structure of a task x task matrix as
    blocks: the leaf order of a hierarchical clustering (average linkage) of its rows,
    grouped by ``clusters`` (e.g. ``task_clusters_``) when given."""
    from scipy.cluster.hierarchy import leaves_list, linkage

    matrix = np.asarray(matrix, dtype=float)
    T = len(matrix)
    if T < 3:
        leaves = np.arange(T)
    else:
        leaves = leaves_list(linkage(matrix, method="average", optimal_ordering=True))
    if clusters is None:
        return np.asarray(leaves)
    clusters = np.asarray(clusters)
    position = np.empty(T)
    position[leaves] = np.arange(T)
    labels = np.unique(clusters)
    # clusters in the order of their members' mean position, members in leaf order
    centre = {c: position[clusters == c].mean() for c in labels}
    return np.array(sorted(range(T), key=lambda t: (centre[clusters[t]], position[t])))


def plot_task_matrix(
    matrix,
    *,
    labels=None,
    order="leaves",
    clusters=None,
    title="Task x task matrix",
    value_label=None,
    ax=None,
):
    """A task x task matrix (``task_similarity_``, ``task_correlation_``, ...) with
    the tasks reordered so that clusters show as blocks.

    ``order``: ``"leaves"`` (default) orders by :func:`task_order` (by ``clusters``
    when given, lines between the clusters), None keeps the given order, an array is
    the order. Tasks are named by ``labels`` (up to 40; else the clusters are).
    """
    try:
        matrix = np.asarray(matrix, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            "plot_task_matrix takes a task x task matrix (e.g. a model's "
            f"task_similarity_), not a {type(matrix).__name__}."
        ) from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or not np.isfinite(matrix).all():
        raise ValueError(
            "plot_task_matrix takes a square, finite task x task matrix (e.g. a model's "
            f"task_similarity_ or task_correlation_); got shape {matrix.shape}"
            + ("" if matrix.ndim != 2 or np.isfinite(matrix).all() else " with NaN or inf")
            + "."
        )
    T = len(matrix)
    if labels is not None and len(labels) != T:
        raise ValueError(f"labels has {len(labels)} names for {T} tasks; give one per task.")
    if clusters is not None and len(clusters) != T:
        raise ValueError(f"clusters has {len(clusters)} labels for {T} tasks; give one per task.")
    if order is None:
        order, how = np.arange(T), ""
    elif isinstance(order, str):
        if order != "leaves":
            raise ValueError(f"order must be 'leaves', None or an array; got {order!r}.")
        order = task_order(matrix, clusters)
        how = " ordered by cluster" if clusters is not None else " in hierarchical-clustering order"
    else:
        order, how = np.asarray(order), " reordered"
        if not np.array_equal(np.sort(order), np.arange(T)):
            raise ValueError(
                f"order must hold each task's position 0 to {T - 1} once; got {len(order)} "
                "entries that do not."
            )
    ax = _axes(ax, figsize=(5, 4))
    image = ax.imshow(matrix[np.ix_(order, order)], cmap="viridis", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax, label=value_label or "value")
    if labels is not None and T <= 40:
        names = np.asarray(labels)[order]
        ax.set_xticks(range(T), names, rotation=90)
        ax.set_yticks(range(T), names)
    if clusters is not None:
        sorted_clusters = np.asarray(clusters)[order]
        bounds = np.flatnonzero(sorted_clusters[1:] != sorted_clusters[:-1]) + 0.5
        for b in bounds:
            ax.axhline(b, color="w", linewidth=1.5)
            ax.axvline(b, color="w", linewidth=1.5)
        if labels is None or T > 40:  # name the blocks
            edges = np.concatenate([[-0.5], bounds, [T - 0.5]])
            centres = (edges[:-1] + edges[1:]) / 2
            names = [
                f"cluster {c} ({np.sum(sorted_clusters == c)})"
                for c in sorted_clusters[np.ceil(edges[:-1]).astype(int)]
            ]
            ax.set_xticks(centres, names, rotation=90)
            ax.set_yticks(centres, names)
    ax.set_xlabel(f"task ({T} tasks{how})")
    ax.set_ylabel("task")
    ax.set_title(title)
    return ax


def plot_samples_per_task(
    sizes, scores, *, title="Held-out score against training samples per task", ax=None
):
    """Test score against the number of training samples per task, one line per
    method (e.g. ``{"multi-task": [...], "single-task": [...]}``): where MTL helps."""
    ax = _axes(ax)
    for name, values in scores.items():
        ax.plot(sizes, values, marker="o", label=name)
    ax.set_xlabel("training samples per task")
    ax.set_ylabel("test score")
    ax.set_title(title)
    ax.legend()
    return ax


def plot_scores(names, scores, *, errors=None, label="test score", title="Scores", ax=None):
    """Horizontal bars: one score per model (``errors``: e.g. the std over splits)."""
    if np.size(scores) != len(names):
        raise ValueError(
            f"plot_scores got {np.size(scores)} scores for {len(names)} names; give one per name."
        )
    ax = _axes(ax, figsize=(6, 0.35 * len(names) + 1.5))
    ax.barh(range(len(names)), scores, xerr=errors)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(label)
    ax.set_ylabel("model")
    ax.set_title(title)
    return ax
