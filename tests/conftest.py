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


def default_task_weights(sizes):
    """The default weights of the tasks' mean losses, ``tau_t = n_t T / N``: every
    sample counts once."""
    sizes = np.asarray(sizes, float)
    return sizes * len(sizes) / sizes.sum()


def pooling_term(intercept, sizes, pooling, tau=None):
    """``pooling / 2 sum_t tau_t / n_t (b_t - b_0)^2`` at the best ``b_0`` (by default
    ``tau_t = n_t T / N``); for ``pooling=inf`` the intercepts must be equal and the
    term is 0."""
    if not pooling:
        return 0.0
    if np.isinf(pooling):
        assert np.ptp(intercept) <= 1e-9 * max(1.0, np.abs(intercept).max())
        return 0.0
    tau = default_task_weights(sizes) if tau is None else np.asarray(tau, float)
    p = pooling * tau / np.asarray(sizes, float)
    b0 = p @ intercept / p.sum()
    return 0.5 * np.sum(p * (intercept - b0) ** 2)


def objective(coef, intercept, X, y, tasks, penalty, loss, sample_weight=None, pooling=0.0):
    """The library objective computed independently, task by task (spec 0.1), with
    the intercept pooling term and the default task weights ``n_t T / N``."""
    coef, intercept = np.atleast_2d(coef), np.atleast_1d(intercept)
    X = X.toarray() if sp.issparse(X) else X
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    sizes = [np.sum(sw[tasks == label]) for label in np.unique(tasks)]
    tau = default_task_weights(sizes)
    total = pooling_term(intercept, sizes, pooling, tau)
    for t, label in enumerate(np.unique(tasks)):
        rows = tasks == label
        z = X[rows] @ coef[t] + intercept[t]
        if loss == "squared":
            per_sample = 0.5 * (y[rows] - z) ** 2
        else:
            s = np.where(y[rows] == np.max(y), 1.0, -1.0)
            per_sample = np.logaddexp(0, -s * z)
        total += tau[t] * np.sum(sw[rows] * per_sample) / np.sum(sw[rows])
    return total + penalty.value(coef.T)


class _NoPenalty:
    def value(self, W):
        return 0.0


def check_fista_against_cvxpy(
    make_estimator,
    loss,
    variant,
    *,
    seed,
    max_iter,
    split_parts=None,
    recompute_reference=True,
):
    """Fit ``make_estimator(**params)`` with skmtl's solver (tol=1e-11) and with
    ``solver="cvxpy"`` on ``make_tasks(loss=loss, seed=seed, offset=0.5)``, and check
    the skmtl fit against the reference; returns the skmtl fit.

    ``variant`` is "dense", or else a sparse X with sample weights. Checked: the
    objective recomputed from ``coef_``/``intercept_`` is ``objective_`` (1e-10
    relative), it is within 1e-6 relative of the reference's, and the duality gap is
    at most 1e-9 max(1, objective). ``split_parts(model)``, for the models fitted as
    a split W = P + Q, gives the stacked parts the penalty is valued at. With
    ``recompute_reference`` both objectives compared are recomputed; otherwise they
    are the ``objective_`` the two fits report.
    """
    X, y, tasks = make_tasks(loss=loss, seed=seed, offset=0.5)
    sw = None
    if variant != "dense":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
        sw = np.random.RandomState(0).uniform(0.2, 2.0, len(y))
    ours = make_estimator(tol=1e-11, max_iter=max_iter)
    ours.fit(X, y, tasks=tasks, sample_weight=sw)
    ref = make_estimator(solver="cvxpy")
    ref.fit(X, y, tasks=tasks, sample_weight=sw)
    penalty = ours._make_penalty(len(np.unique(tasks)), X.shape[1])

    pooling = ours.get_params().get("intercept_pooling", 0.0) if ours.fit_intercept else 0.0

    def recomputed(model):
        args = (model.coef_, model.intercept_, X, y, tasks)
        if split_parts is None:
            return objective(*args, penalty, loss, sw, pooling)
        loss_value = objective(*args, _NoPenalty(), loss, sw, pooling)
        return loss_value + penalty.value(split_parts(model))

    mine = recomputed(ours)
    assert mine == pytest.approx(ours.objective_, rel=1e-10)
    if recompute_reference:
        value, reference = mine, recomputed(ref)
    else:
        value, reference = ours.objective_, ref.objective_
    assert (value - reference) / abs(reference) < 1e-6
    assert 0 <= ours.dual_gap_ <= 1e-9 * max(1.0, abs(mine))
    return ours


@pytest.fixture
def tasks_data():
    return make_tasks()
