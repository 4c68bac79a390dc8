"""Pictures of what a multi-task model learned (needs matplotlib: ``skmtl[plot]``).

Every function draws on ``ax`` (a new figure when None) and returns the axes.
"""

from __future__ import annotations

import numpy as np


def _axes(ax, **figure):
    if ax is not None:
        return ax
    try:
        import matplotlib.pyplot as plt
    except ImportError as error:
        raise ImportError("skmtl.plotting needs matplotlib: pip install 'skmtl[plot]'") from error
    return plt.subplots(**figure)[1]


def plot_coefficients(coef, *, feature_names=None, task_names=None, ax=None):
    """Heat map of the coefficients, tasks x features (a fitted model or ``coef_``).

    Shared sparsity shows as whole empty columns, a shared subspace as similar rows.
    """
    coef = np.atleast_2d(getattr(coef, "coef_", coef))
    ax = _axes(ax, figsize=(max(4, 0.4 * coef.shape[1] + 2), max(3, 0.15 * coef.shape[0] + 2)))
    limit = np.abs(coef).max() or 1.0
    image = ax.imshow(
        coef, aspect="auto", cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
    )
    ax.figure.colorbar(image, ax=ax, label="coefficient")
    ax.set_xlabel("feature")
    ax.set_ylabel("task")
    if feature_names is not None:
        ax.set_xticks(range(len(feature_names)), feature_names, rotation=90)
    if task_names is not None and len(task_names) <= 40:
        ax.set_yticks(range(len(task_names)), task_names)
    return ax


def plot_path(alphas, coefs, *, ax=None):
    """Regularization path: the norm of each feature's row across tasks against alpha.

    ``alphas`` and ``coefs`` as returned by
    :func:`skmtl.model_selection.regularization_path`.
    """
    ax = _axes(ax)
    norms = np.linalg.norm(np.asarray(coefs), axis=1)  # (n_alphas, n_features)
    ax.plot(alphas, norms)
    ax.set_xscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("alpha")
    ax.set_ylabel("norm of each feature's coefficients across tasks")
    return ax


def plot_cv(model, *, ax=None):
    """Held-out error (mean and spread over folds) along a ``*CV`` estimator's path."""
    ax = _axes(ax)
    name = next(s for s in model._strengths)
    grid = getattr(model, f"{name}s_")
    path = getattr(model, "mse_path_", None)
    label = "held-out mean squared error"
    if path is None:
        path, label = model.score_path_, "held-out accuracy"
    path = path.reshape(-1, len(grid), path.shape[-1])[0]  # the first secondary value
    mean, spread = path.mean(axis=-1), path.std(axis=-1)
    ax.plot(grid, mean, marker=".")
    ax.fill_between(grid, mean - spread, mean + spread, alpha=0.2)
    ax.axvline(getattr(model, f"{name}_"), color="k", linestyle="--", label="chosen")
    ax.set_xscale("log")
    ax.set_xlabel(name)
    ax.set_ylabel(label)
    ax.legend()
    return ax


def plot_task_matrix(matrix, *, labels=None, order=None, title=None, ax=None):
    """A task x task matrix (``task_similarity_``, ``task_correlation_``, ...), with the
    tasks optionally reordered (e.g. ``np.argsort(task_clusters_)``) so that
    clusters show as blocks."""
    matrix = np.asarray(matrix)
    order = np.arange(len(matrix)) if order is None else np.asarray(order)
    ax = _axes(ax, figsize=(5, 4))
    image = ax.imshow(matrix[np.ix_(order, order)], cmap="viridis", interpolation="nearest")
    ax.figure.colorbar(image, ax=ax)
    ax.set_xlabel("task")
    ax.set_ylabel("task")
    if labels is not None and len(labels) <= 40:
        names = np.asarray(labels)[order]
        ax.set_xticks(range(len(names)), names, rotation=90)
        ax.set_yticks(range(len(names)), names)
    if title:
        ax.set_title(title)
    return ax


def plot_samples_per_task(sizes, scores, *, ax=None):
    """Test score against the number of training samples per task, one line per
    method (e.g. ``{"multi-task": [...], "single-task": [...]}``): where MTL helps."""
    ax = _axes(ax)
    for name, values in scores.items():
        ax.plot(sizes, values, marker="o", label=name)
    ax.set_xlabel("training samples per task")
    ax.set_ylabel("test score")
    ax.legend()
    return ax


def plot_scores(names, scores, *, label="test score", ax=None):
    """Horizontal bars: one score per model."""
    ax = _axes(ax, figsize=(6, 0.35 * len(names) + 1.5))
    ax.barh(range(len(names)), scores)
    ax.set_yticks(range(len(names)), names)
    ax.invert_yaxis()
    ax.set_xlabel(label)
    return ax
