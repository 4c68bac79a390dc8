"""School-sized multi-task data generators (stacked rows, a task label per row, 27
features; a regression target and a binary one from the same linear model).

``school_sized`` (``bench_nonconvex.py``, ``bench_losses.py``, ``bench_malsar.py``)
    139 tasks of 90 to 130 rows (about 110, as the School data), 20 one-hot columns
    (blocks of 3, 2, 4 and 11 levels) and 7 unscaled continuous ones (scales 1 to
    1000), a sparse true model.

For ``bench_conditioning.py``, 139 tasks of 20 to 250 rows:

``school_like``
    Real tabular data: 4 categorical variables (3, 3, 4 and 4 levels) as *full*
    one-hot blocks (every block sums to one on each row, so each task's centred Gram
    matrix is singular), next to 13 correlated continuous columns on scales from
    0.05 to 20 (raw, unscaled). The Lipschitz constants are in the hundreds while
    the smallest curvature is zero: first-order methods need thousands of
    iterations.
``gaussian``
    The well-conditioned reference: i.i.d. standard normal features, the same sizes.
"""

from __future__ import annotations

import numpy as np

N_TASKS, N_FEATURES = 139, 27
LEVELS = (3, 3, 4, 4)  # one-hot blocks: 14 columns
N_CONTINUOUS = N_FEATURES - sum(LEVELS)  # 13


def task_sizes(rng, n_tasks=N_TASKS, low=20, high=250):
    return rng.integers(low, high + 1, size=n_tasks)


def _targets(X, tasks, rng, noise=0.5):
    """Regression and binary targets of a model shared across tasks, with a
    task-specific part on a few features and task intercepts."""
    n, d = X.shape
    T = tasks.max() + 1
    shared = rng.standard_normal(d) * (rng.random(d) < 0.6)
    specific = rng.standard_normal((d, T)) * 0.3 * (rng.random((d, 1)) < 0.3)
    W = shared[:, None] + specific
    # a unit change of the linear predictor per feature's typical spread
    W /= np.maximum(X.std(axis=0), 1e-12)[:, None]
    intercepts = rng.standard_normal(T)
    z = np.einsum("ij,ji->i", X, W[:, tasks]) + intercepts[tasks]
    z = (z - z.mean()) / z.std()
    y_reg = 3.0 * z + noise * 3.0 * rng.standard_normal(n)
    y_clf = (z + 0.5 * rng.standard_normal(n) > 0).astype(int)
    return y_reg, y_clf


#: the one-hot blocks of ``school_sized``: columns 0-2, 3-4, 5-8 and 9-19
ONEHOT_BLOCKS = (3, 2, 4, 11)
#: the scales of its 7 continuous columns (20-26)
CONTINUOUS_SCALES = (1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0)


def school_sized(n_tasks=N_TASKS, seed=0):
    """``(X, y_regression, y_binary, tasks)``: 20 one-hot and 7 unscaled continuous
    columns, tasks of 90 to 130 rows, a true model on 6 features."""
    rng = np.random.RandomState(seed)
    sizes = rng.randint(90, 131, n_tasks)
    tasks = np.repeat(np.arange(n_tasks), sizes)
    n = len(tasks)
    onehot = np.hstack([np.eye(k)[rng.randint(k, size=n)] for k in ONEHOT_BLOCKS])
    scales = np.array(CONTINUOUS_SCALES)
    continuous = (rng.randn(n, 7) + rng.randn(7)) * scales
    X = np.hstack([onehot, continuous])
    W = np.zeros((N_FEATURES, n_tasks))
    support = [0, 4, 9, 21, 23, 25]
    W[support] = rng.randn(len(support), 1) + 0.3 * rng.randn(len(support), n_tasks)
    W[20:] /= scales[:, None]
    z = np.einsum("ij,ji->i", X, W[:, tasks])
    y = z + rng.randn(n)
    labels = (z + 0.5 * rng.randn(n) > np.median(z)).astype(int)
    return X, y, labels, tasks


def school_like(seed=0):
    """``(X, y_regression, y_binary, tasks)``: ill-conditioned tabular data."""
    rng = np.random.default_rng(seed)
    sizes = task_sizes(rng)
    tasks = np.repeat(np.arange(N_TASKS), sizes)
    n = len(tasks)
    blocks = []
    for k in LEVELS:
        # level frequencies vary by task, as in school or region data
        logits = rng.standard_normal((N_TASKS, k))
        p = np.exp(logits[tasks])
        p /= p.sum(axis=1, keepdims=True)
        level = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
        blocks.append(np.eye(k)[np.minimum(level, k - 1)])
    # correlated continuous columns: a few latent factors plus noise, task shifts,
    # then scales from 0.05 to 20
    factors = rng.standard_normal((n, 3))
    loadings = rng.standard_normal((3, N_CONTINUOUS))
    cont = factors @ loadings + 0.5 * rng.standard_normal((n, N_CONTINUOUS))
    cont += 0.5 * rng.standard_normal((N_TASKS, N_CONTINUOUS))[tasks]
    cont /= cont.std(axis=0)
    scales = np.geomspace(0.05, 20.0, N_CONTINUOUS)
    rng.shuffle(scales)
    cont = cont * scales + rng.uniform(-1, 3, N_CONTINUOUS) * scales
    X = np.hstack([*blocks, cont])
    X = X[:, rng.permutation(N_FEATURES)]
    y_reg, y_clf = _targets(X, tasks, rng)
    return X, y_reg, y_clf, tasks


def gaussian(seed=0):
    """``(X, y_regression, y_binary, tasks)``: well-conditioned Gaussian data."""
    rng = np.random.default_rng(seed)
    sizes = task_sizes(rng)
    tasks = np.repeat(np.arange(N_TASKS), sizes)
    X = rng.standard_normal((len(tasks), N_FEATURES))
    y_reg, y_clf = _targets(X, tasks, rng)
    return X, y_reg, y_clf, tasks


GENERATORS = {"gaussian": gaussian, "school-like": school_like}


def conditioning(X, tasks):
    """``(largest, smallest nonzero)`` eigenvalue over the tasks' centred Grams
    ``X_t^T X_t / n_t``, and how many tasks' Grams are singular."""
    top, bottom, singular = 0.0, np.inf, 0
    for t in np.unique(tasks):
        A = X[tasks == t]
        A = A - A.mean(axis=0)
        ev = np.linalg.eigvalsh(A.T @ A / len(A))
        top = max(top, ev[-1])
        positive = ev[ev > 1e-10 * ev[-1]]
        bottom = min(bottom, positive[0])
        singular += int(ev[0] <= 1e-10 * ev[-1])
    return top, bottom, singular
