"""Seeded synthetic multi-task problems with a planted structure."""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state


def make_joint_sparse(n_tasks=10, n_samples=50, n_features=30, n_informative=5, *,
                      noise=0.5, loss="squared", shared_design=False, random_state=None):
    """Tasks that share the same few informative features (joint sparsity).

    Every task uses the same ``n_informative`` features, with its own coefficients:
    the structure the group lasso assumes.

    Parameters
    ----------
    n_tasks : int, default=10
    n_samples : int or array-like of int, default=50
        Samples per task (one value for all tasks, or one per task).
    n_features : int, default=30
    n_informative : int, default=5
        Number of features with non-zero coefficients (the same for every task).
    noise : float, default=0.5
        Standard deviation of the Gaussian noise added to the linear predictor.
    loss : {"squared", "logistic"}, default="squared"
        ``"logistic"`` thresholds the noisy linear predictor into 0/1 labels.
    shared_design : bool, default=False
        If True, every task sees the same rows and ``y`` has shape
        ``(n_samples, n_tasks)`` (``tasks`` is then None).
    random_state : int, RandomState or None, default=None

    Returns
    -------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,) or (n_samples, n_tasks)
    tasks : ndarray of shape (n_rows,) or None
        Task of each row (None with ``shared_design``).
    coef : ndarray of shape (n_tasks, n_features)
        The true coefficients; the informative features are the first
        ``n_informative`` columns.

    Examples
    --------
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks, coef = make_joint_sparse(n_tasks=3, n_samples=20, random_state=0)
    >>> X.shape, y.shape, coef.shape
    ((60, 30), (60,), (3, 30))
    """
    if loss not in ("squared", "logistic"):
        raise ValueError(f"loss must be 'squared' or 'logistic'; got {loss!r}.")
    if not 0 <= n_informative <= n_features:
        raise ValueError(f"n_informative must be in [0, n_features={n_features}]; "
                         f"got {n_informative}.")
    rng = check_random_state(random_state)
    coef = np.zeros((n_tasks, n_features))
    coef[:, :n_informative] = rng.standard_normal((n_tasks, n_informative)) + 1.0
    if shared_design:
        X = rng.standard_normal((int(n_samples), n_features))
        z = X @ coef.T + noise * rng.standard_normal((X.shape[0], n_tasks))
        tasks = None
    else:
        counts = np.broadcast_to(np.asarray(n_samples, dtype=int), (n_tasks,))
        tasks = np.repeat(np.arange(n_tasks), counts)
        X = rng.standard_normal((len(tasks), n_features))
        z = np.einsum("ij,ij->i", X, coef[tasks]) + noise * rng.standard_normal(len(tasks))
    y = (z > 0).astype(int) if loss == "logistic" else z
    return X, y, tasks, coef
