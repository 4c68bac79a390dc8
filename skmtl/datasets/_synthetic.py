"""Seeded synthetic multi-task problems with a planted structure.

Every generator draws the true coefficients ``coef`` (n_tasks x n_features) with
the structure a model assumes, then samples data from them with
:func:`_sample_tasks`.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.utils import check_random_state, check_scalar

_SAMPLING = """    n_samples : int or array-like of int, default={n_samples}
        Samples per task (one value for all tasks, or one per task; an int with
        ``shared_design``).
    n_features : int, default={n_features}
    noise : float, default={noise}
        Standard deviation of the Gaussian noise added to the linear predictor.
    loss : {{"squared", "logistic"}}, default="squared"
        ``"logistic"`` thresholds the noisy linear predictor into 0/1 labels.
    shared_design : bool, default=False
        If True, every task sees the same rows and ``y`` has shape
        ``(n_samples, n_tasks)`` (``tasks`` is then None).
    random_state : int, RandomState or None, default=None"""

_RETURNS = """    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,) or (n_samples, n_tasks)
    tasks : ndarray of shape (n_rows,) or None
        Task of each row (None with ``shared_design``).
    coef : ndarray of shape (n_tasks, n_features)
        The true coefficients."""


def _check_sizes(noise, **sizes):
    """The ``sizes`` (ints >= 1) and the noise (a finite number >= 0) of a
    generator, with errors that name them."""
    for name, value in sizes.items():
        _check_count(value, name, 1)
    check_scalar(noise, "noise", numbers.Real, min_val=0)
    if not np.isfinite(noise):
        raise ValueError(f"noise must be a finite number >= 0; got {noise!r}.")


def _check_count(value, name, low, high=None, bound=None):
    """An int (not a bool) in ``[low, high]``, with errors that name it (and what
    ``high`` is, ``bound``)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be an int; got the bool {value!r}.")
    try:
        check_scalar(value, name, numbers.Integral, min_val=low, max_val=high)
    except ValueError as error:
        raise ValueError(f"{error} ({bound})" if bound else str(error)) from None


def _task_sizes(n_samples, n_tasks, shared_design):
    """``n_samples`` as one count per task (an int for a shared design)."""
    if shared_design or np.ndim(n_samples) == 0:
        _check_count(n_samples, "n_samples", 1)
        return n_samples if shared_design else np.full(n_tasks, n_samples)
    counts = np.asarray(n_samples)
    bools = any(isinstance(c, (bool, np.bool_)) for c in np.ravel(np.asarray(n_samples, object)))
    if counts.shape != (n_tasks,) or counts.dtype.kind not in "iu" or bools or counts.min() < 1:
        raise ValueError(
            f"n_samples must be an int >= 1 or one int >= 1 per task ({n_tasks}); got "
            f"{n_samples!r}."
        )
    return counts


def _sample_tasks(coef, n_samples, noise, loss, shared_design, rng):
    """Draw Gaussian features and targets ``x^T w_t + noise`` for every task."""
    if loss not in ("squared", "logistic"):
        raise ValueError(f"loss must be 'squared' or 'logistic'; got {loss!r}.")
    n_tasks, n_features = coef.shape
    counts = _task_sizes(n_samples, n_tasks, shared_design)
    if shared_design:
        X = rng.standard_normal((counts, n_features))
        z = X @ coef.T + noise * rng.standard_normal((X.shape[0], n_tasks))
        tasks = None
    else:
        tasks = np.repeat(np.arange(n_tasks), counts)
        X = rng.standard_normal((len(tasks), n_features))
        z = np.einsum("ij,ij->i", X, coef[tasks]) + noise * rng.standard_normal(len(tasks))
    y = (z > 0).astype(int) if loss == "logistic" else z
    return X, y, tasks


def make_joint_sparse(
    n_tasks=10,
    n_samples=50,
    n_features=30,
    n_informative=5,
    *,
    noise=0.5,
    loss="squared",
    shared_design=False,
    random_state=None,
):
    _check_sizes(noise, n_tasks=n_tasks, n_features=n_features)
    rng = check_random_state(random_state)
    _check_count(n_informative, "n_informative", 0, n_features, "n_features")
    coef = np.zeros((n_tasks, n_features))
    coef[:, :n_informative] = rng.standard_normal((n_tasks, n_informative)) + 1.0
    return (*_sample_tasks(coef, n_samples, noise, loss, shared_design, rng), coef)


make_joint_sparse.__doc__ = f"""Tasks that share the same few informative features.

    Every task uses the first ``n_informative`` features, with coefficients of its
    own: the structure the group lasso assumes.

    Parameters
    ----------
    n_tasks : int, default=10
{_SAMPLING.format(n_samples=50, n_features=30, noise=0.5)}
    n_informative : int, default=5
        Number of features with non-zero coefficients (the same for every task).

    Returns
    -------
{_RETURNS}

    Examples
    --------
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks, coef = make_joint_sparse(n_tasks=3, n_samples=20, random_state=0)
    >>> X.shape, y.shape, coef.shape
    ((60, 30), (60,), (3, 30))
    """


def make_mean_tasks(
    n_tasks=10,
    n_samples=30,
    n_features=10,
    *,
    spread=0.3,
    noise=0.5,
    loss="squared",
    shared_design=False,
    random_state=None,
):
    _check_sizes(noise, n_tasks=n_tasks, n_features=n_features)
    rng = check_random_state(random_state)
    mean = rng.standard_normal(n_features)
    coef = mean + spread * rng.standard_normal((n_tasks, n_features))
    return (*_sample_tasks(coef, n_samples, noise, loss, shared_design, rng), coef)


make_mean_tasks.__doc__ = f"""Tasks scattered around a common model.

    ``w_t = w_0 + spread * N(0, I)``: the structure mean-regularized MTL assumes.

    Parameters
    ----------
    n_tasks : int, default=10
{_SAMPLING.format(n_samples=30, n_features=10, noise=0.5)}
    spread : float, default=0.3
        Standard deviation of each task around the common model.

    Returns
    -------
{_RETURNS}

    Examples
    --------
    >>> from skmtl.datasets import make_mean_tasks
    >>> X, y, tasks, coef = make_mean_tasks(n_tasks=4, random_state=0)
    >>> X.shape, coef.shape
    ((120, 10), (4, 10))
    """


def make_clustered_tasks(
    n_tasks=12,
    n_clusters=3,
    n_samples=30,
    n_features=10,
    *,
    spread=0.1,
    noise=0.5,
    loss="squared",
    shared_design=False,
    random_state=None,
):
    _check_sizes(noise, n_tasks=n_tasks, n_features=n_features)
    rng = check_random_state(random_state)
    _check_count(n_clusters, "n_clusters", 1, n_tasks, "n_tasks")
    labels = np.arange(n_tasks) % n_clusters
    centers = 2.0 * rng.standard_normal((n_clusters, n_features))
    coef = centers[labels] + spread * rng.standard_normal((n_tasks, n_features))
    X, y, tasks = _sample_tasks(coef, n_samples, noise, loss, shared_design, rng)
    return X, y, tasks, coef, labels


make_clustered_tasks.__doc__ = f"""Tasks in planted clusters.

    Task ``t`` belongs to cluster ``t % n_clusters``; its model is the cluster's
    center plus ``spread * N(0, I)``: the structure clustered MTL assumes.

    Parameters
    ----------
    n_tasks : int, default=12
    n_clusters : int, default=3
{_SAMPLING.format(n_samples=30, n_features=10, noise=0.5)}
    spread : float, default=0.1
        Standard deviation of each task around its cluster center.

    Returns
    -------
{_RETURNS}
    labels : ndarray of shape (n_tasks,)
        The planted cluster of each task.

    Examples
    --------
    >>> from skmtl.datasets import make_clustered_tasks
    >>> X, y, tasks, coef, labels = make_clustered_tasks(n_tasks=6, n_clusters=2,
    ...                                                  random_state=0)
    >>> labels.tolist()
    [0, 1, 0, 1, 0, 1]
    """


def make_chain_tasks(
    n_tasks=10,
    n_samples=30,
    n_features=10,
    *,
    step=0.3,
    noise=0.5,
    loss="squared",
    shared_design=False,
    random_state=None,
):
    _check_sizes(noise, n_tasks=n_tasks, n_features=n_features)
    rng = check_random_state(random_state)
    steps = step * rng.standard_normal((n_tasks, n_features))
    steps[0] = rng.standard_normal(n_features)
    coef = np.cumsum(steps, axis=0)
    graph = np.diag(np.ones(n_tasks - 1), 1)
    X, y, tasks = _sample_tasks(coef, n_samples, noise, loss, shared_design, rng)
    return X, y, tasks, coef, graph + graph.T


make_chain_tasks.__doc__ = f"""Tasks on a chain: each task a small step from the previous.

    ``w_t = w_(t-1) + step * N(0, I)``: the structure a graph penalty on the chain
    assumes (e.g. tasks ordered in time).

    Parameters
    ----------
    n_tasks : int, default=10
{_SAMPLING.format(n_samples=30, n_features=10, noise=0.5)}
    step : float, default=0.3
        Standard deviation of the step between neighbouring tasks.

    Returns
    -------
{_RETURNS}
    graph : ndarray of shape (n_tasks, n_tasks)
        Adjacency matrix of the chain (1 between tasks t and t + 1).

    Examples
    --------
    >>> from skmtl.datasets import make_chain_tasks
    >>> X, y, tasks, coef, graph = make_chain_tasks(n_tasks=4, random_state=0)
    >>> graph.sum(axis=1).tolist()
    [1.0, 2.0, 2.0, 1.0]
    """


def make_low_rank_tasks(
    n_tasks=10,
    rank=2,
    n_samples=30,
    n_features=10,
    *,
    n_outliers=0,
    noise=0.5,
    loss="squared",
    shared_design=False,
    random_state=None,
):
    _check_sizes(noise, n_tasks=n_tasks, n_features=n_features)
    rng = check_random_state(random_state)
    _check_count(rank, "rank", 1, min(n_tasks, n_features), "min(n_tasks, n_features)")
    _check_count(n_outliers, "n_outliers", 0, n_tasks - 1, "n_tasks - 1")
    basis = np.linalg.qr(rng.standard_normal((n_features, rank)))[0]
    coef = 2.0 * rng.standard_normal((n_tasks, rank)) @ basis.T
    outliers = np.arange(n_tasks - n_outliers, n_tasks)
    coef[outliers] = 2.0 * rng.standard_normal((n_outliers, n_features))
    X, y, tasks = _sample_tasks(coef, n_samples, noise, loss, shared_design, rng)
    return X, y, tasks, coef, outliers


make_low_rank_tasks.__doc__ = f"""Task models in a shared low-dimensional subspace, with
    optional outlier tasks outside it.

    The regular tasks' coefficients are combinations of ``rank`` orthonormal
    directions: the structure the trace norm and cASO assume; the last
    ``n_outliers`` tasks are drawn freely (robust MTL's outlier tasks).

    Parameters
    ----------
    n_tasks : int, default=10
    rank : int, default=2
        Dimension of the shared subspace.
{_SAMPLING.format(n_samples=30, n_features=10, noise=0.5)}
    n_outliers : int, default=0
        Number of tasks outside the subspace (the last ones).

    Returns
    -------
{_RETURNS}
    outliers : ndarray
        Indices of the outlier tasks.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks, coef, outliers = make_low_rank_tasks(n_tasks=6, rank=2,
    ...                                                   n_outliers=1, random_state=0)
    >>> int(np.linalg.matrix_rank(coef[:5])), outliers.tolist()
    (2, [5])
    """


def make_shared_specific_tasks(
    n_tasks=10,
    n_samples=30,
    n_features=30,
    *,
    n_shared=5,
    n_specific=2,
    noise=0.5,
    loss="squared",
    shared_design=False,
    random_state=None,
):
    _check_sizes(noise, n_tasks=n_tasks, n_features=n_features)
    rng = check_random_state(random_state)
    _check_count(n_shared, "n_shared", 0)
    _check_count(n_specific, "n_specific", 0)
    if n_shared + n_specific > n_features:
        raise ValueError("n_shared + n_specific must not exceed n_features.")
    shared = np.zeros((n_tasks, n_features))
    shared[:, :n_shared] = rng.uniform(1.0, 2.0, (n_tasks, n_shared))
    specific = np.zeros((n_tasks, n_features))
    for t in range(n_tasks):  # data generation, not a hot path
        rows = n_shared + rng.choice(n_features - n_shared, n_specific, replace=False)
        specific[t, rows] = rng.choice([-2.0, 2.0], n_specific)
    coef = shared + specific
    X, y, tasks = _sample_tasks(coef, n_samples, noise, loss, shared_design, rng)
    return X, y, tasks, coef, (shared, specific)


make_shared_specific_tasks.__doc__ = f"""Tasks with a shared support plus a few features
    of their own.

    Every task uses the first ``n_shared`` features; each adds ``n_specific`` others
    chosen at random: the structure the dirty model assumes.

    Parameters
    ----------
    n_tasks : int, default=10
{_SAMPLING.format(n_samples=30, n_features=30, noise=0.5)}
    n_shared : int, default=5
    n_specific : int, default=2

    Returns
    -------
{_RETURNS}
    parts : tuple of two ndarrays of shape (n_tasks, n_features)
        The shared and the task-specific coefficients (``coef`` is their sum).

    Examples
    --------
    >>> from skmtl.datasets import make_shared_specific_tasks
    >>> X, y, tasks, coef, (shared, specific) = make_shared_specific_tasks(
    ...     n_tasks=3, random_state=0)
    >>> (shared != 0).sum(axis=1).tolist(), (specific != 0).sum(axis=1).tolist()
    ([5, 5, 5], [2, 2, 2])
    """


def make_disease_progression(
    n_samples=200,
    n_features=20,
    n_time_points=6,
    n_informative=5,
    *,
    noise=0.5,
    dropout=0.1,
    loss="squared",
    random_state=None,
):
    _check_sizes(noise, n_samples=n_samples, n_features=n_features, n_time_points=n_time_points)
    rng = check_random_state(random_state)
    if loss not in ("squared", "logistic"):
        raise ValueError(f"loss must be 'squared' or 'logistic'; got {loss!r}.")
    _check_count(n_informative, "n_informative", 1, n_features, "n_features")
    if not 0 <= dropout < 1:
        raise ValueError(f"dropout must be in [0, 1); got {dropout!r}.")
    T = n_time_points
    coef = np.zeros((T, n_features))
    informative = rng.choice(n_features, n_informative, replace=False)
    for j in informative:  # a few jumps between piecewise constant stretches
        level = rng.standard_normal()
        jumps = rng.random_sample(T - 1) < 0.3
        steps = np.where(jumps, 0.7 * rng.standard_normal(T - 1), 0.0)
        coef[:, j] = level + np.concatenate([[0.0], np.cumsum(steps)])
    X = rng.standard_normal((n_samples, n_features))
    z = X @ coef.T + noise * rng.standard_normal((n_samples, T))
    Y = (z > 0).astype(float) if loss == "logistic" else z
    # a patient who drops out misses every later visit (never the first)
    last = np.minimum(rng.geometric(dropout, n_samples) if dropout else np.full(n_samples, T), T)
    Y[np.arange(T)[None, :] >= last[:, None]] = np.nan
    return X, Y, coef


make_disease_progression.__doc__ = """Disease-progression-style tasks: one score at
    consecutive time points, all predicted from the same baseline features.

    ``n_informative`` features matter, at every time point; each one's effect is
    piecewise constant over time with a few jumps (the structure of the fused sparse
    group lasso and, more loosely, the temporal group lasso). Each patient drops out
    after a geometric number of visits (probability ``dropout`` per visit), so the
    later time points have fewer labels (NaN in ``Y``).

    Parameters
    ----------
    n_samples : int, default=200
        Patients (rows, shared by every time point).
    n_features : int, default=20
    n_time_points : int, default=6
        Tasks, in time order.
    n_informative : int, default=5
        Features with an effect.
    noise : float, default=0.5
        Standard deviation of the Gaussian noise.
    dropout : float, default=0.1
        Probability of leaving the study at each visit after the first; 0: none.
    loss : {"squared", "logistic"}, default="squared"
        ``"logistic"`` thresholds the noisy score into 0/1 labels.
    random_state : int, RandomState or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    Y : ndarray of shape (n_samples, n_time_points)
        The score at each time point; NaN after a patient's dropout.
    coef : ndarray of shape (n_time_points, n_features)
        The true coefficients.

    Examples
    --------
    >>> from skmtl.datasets import make_disease_progression
    >>> X, Y, coef = make_disease_progression(random_state=0)
    >>> X.shape, Y.shape, coef.shape
    ((200, 20), (200, 6), (6, 20))
"""
