import numpy as np
import pytest
import scipy.sparse as sp


def make_tasks(n_tasks=3, n_features=6, sizes=(15, 25, 40), loss="squared", seed=0, offset=0.0):
    """Per-task designs of unequal sizes with a shared support (first 3 features)."""
    rng = np.random.RandomState(seed)
    sizes = np.asarray(sizes[:n_tasks])
    tasks = np.repeat(np.arange(n_tasks), sizes)
    X = rng.randn(len(tasks), n_features) + offset
    W = np.zeros((n_features, n_tasks))
    W[:3] = rng.randn(min(3, n_features), n_tasks)
    z = np.einsum("ij,ji->i", X, W[:, tasks]) + 0.5 + 0.5 * rng.randn(len(tasks))
    y = (z > 0.5).astype(int) if loss == "logistic" else z
    return X, y, tasks


def objective(coef, intercept, X, y, tasks, penalty, loss, sample_weight=None):
    """The library objective computed independently, task by task (spec 0.1)."""
    coef, intercept = np.atleast_2d(coef), np.atleast_1d(intercept)
    X = X.toarray() if sp.issparse(X) else X
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    total = 0.0
    for t, label in enumerate(np.unique(tasks)):
        rows = tasks == label
        z = X[rows] @ coef[t] + intercept[t]
        if loss == "squared":
            per_sample = 0.5 * (y[rows] - z) ** 2
        else:
            s = np.where(y[rows] == np.max(y), 1.0, -1.0)
            per_sample = np.logaddexp(0, -s * z)
        total += np.sum(sw[rows] * per_sample) / np.sum(sw[rows])
    return total + penalty.value(coef.T)


@pytest.fixture
def tasks_data():
    return make_tasks()
