"""Partial pooling of the task intercepts: cvxpy optimum for every model and both
losses, the two exact limits, the random-intercept shrinkage and cold starts."""

import warnings
from functools import partial

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import check_fista_against_cvxpy, make_tasks
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression, MultiTaskLasso
from test_low_rank import MODELS as LOW_RANK_MODELS
from test_low_rank import _split_parts
from test_task_relations import MODELS as RELATION_MODELS

from skmtl import (
    GroupLassoClassifier,
    GroupLassoRegressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
)
from skmtl.datasets import load_radon

MODELS = {
    "group-lasso": (GroupLassoRegressor, GroupLassoClassifier, dict(alpha=0.05)),
    "sparse-group-linf": (
        GroupLassoRegressor,
        GroupLassoClassifier,
        dict(alpha=0.05, l1_ratio=0.5, group_norm="linf"),
    ),
    **RELATION_MODELS,
    **LOW_RANK_MODELS,
}
SPLIT = ("dirty", "dirty-l2", "robust")


def _estimator(name, loss, **kw):
    regressor, classifier, params = MODELS[name]
    return (regressor if loss == "squared" else classifier)(**{**params, **kw})


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize(
    "pooling, variant", [(4.0, "sparse+weights"), (np.inf, "dense")], ids=["4", "inf"]
)
def test_pooled_objective_matches_cvxpy(name, loss, pooling, variant):
    check_fista_against_cvxpy(
        partial(_estimator, name, loss, intercept_pooling=pooling),
        loss,
        variant,
        seed=40,
        max_iter=100_000,
        split_parts=_split_parts if name in SPLIT else None,
        recompute_reference=name not in SPLIT,
    )


@pytest.mark.parametrize("precompute", [True, False])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_solver_paths_agree_on_pooled_intercepts(loss, precompute):
    """Gram statistics (intercepts minimised out) and rows (intercepts as variables),
    proximal Newton and FISTA, working sets (d > 100): one optimum."""
    X, y, tasks = make_tasks(n_features=120, loss=loss, seed=41, offset=2.0)
    Est = GroupLassoRegressor if loss == "squared" else GroupLassoClassifier
    kw = dict(alpha=0.05 if loss == "squared" else 0.01, intercept_pooling=5.0, tol=1e-12)
    ours = Est(precompute=precompute, max_iter=100_000, **kw).fit(X, y, tasks=tasks)
    ref = Est(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)


def test_zero_pooling_is_sklearn_multitask_lasso():
    rng = np.random.RandomState(0)
    X = rng.randn(50, 8) + 2.0
    Y = X[:, :3] @ rng.randn(3, 4) + rng.randn(4) * 3 + 0.1 * rng.randn(50, 4)
    ours = GroupLassoRegressor(alpha=0.1, intercept_pooling=0.0, tol=1e-12).fit(X, Y)
    ref = MultiTaskLasso(alpha=0.1, tol=1e-12, max_iter=100_000).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-8)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_infinite_pooling_is_one_common_intercept(loss):
    """``intercept_pooling=inf`` is one unpenalized intercept for all tasks: a ridge
    on ``W`` (the mean penalty with ``alpha = beta / T``) against the same model on a
    block design with one intercept (normal equations; sklearn's
    LogisticRegression)."""
    X, y, tasks = make_tasks(n_features=4, loss=loss, seed=42, offset=1.0)
    T, d, ridge = 3, 4, 0.02
    block = np.zeros((len(y), T * d))
    for t in range(T):
        block[tasks == t, t * d : (t + 1) * d] = X[tasks == t]
    sw = np.full(len(y), T / len(y))  # every sample counts once: weights n_t T / N
    Est = MeanRegularizedRegressor if loss == "squared" else MeanRegularizedClassifier
    model = Est(alpha=ridge, beta=ridge * T, intercept_pooling=np.inf, tol=1e-13)
    model.fit(X, y, tasks=tasks)  # penalty: ridge * ||W||_F^2
    if loss == "squared":
        A = np.column_stack([block, np.ones(len(y))])
        H = A.T @ (sw[:, None] * A)
        H[: T * d, : T * d] += 2 * ridge * np.eye(T * d)
        solution = np.linalg.solve(H, A.T @ (sw * y))
    else:  # C sum_i sw_i loss_i + ||w||^2 / 2 with C = 1 / (2 ridge)
        ref = LogisticRegression(C=1 / (2 * ridge), tol=1e-12, max_iter=10_000)
        ref.fit(block, y, sample_weight=sw)
        solution = np.append(ref.coef_.ravel(), ref.intercept_)
    np.testing.assert_allclose(model.intercept_, np.full(T, solution[-1]), atol=1e-6)
    np.testing.assert_allclose(model.coef_.ravel(), solution[:-1], atol=1e-6)


def test_squared_pooling_is_the_random_intercept_shrinkage():
    """Given W, each intercept is ``(n_t rbar_t + k b_0) / (n_t + k)``: checked with
    no features (W = 0), where ``b_0`` is the weighted mean of ``rbar``."""
    rng = np.random.RandomState(3)
    sizes = np.array([1, 2, 5, 40, 200])
    tasks = np.repeat(np.arange(5), sizes)
    y = rng.randn(5)[tasks] + rng.randn(len(tasks))
    X = np.zeros((len(y), 1))
    k = 7.0
    model = GroupLassoRegressor(alpha=1.0, intercept_pooling=k).fit(X, y, tasks=tasks)
    rbar = np.bincount(tasks, weights=y) / sizes
    tau = sizes * len(sizes) / sizes.sum()  # the default task weights: every sample once
    delta = tau * k / (sizes + k)  # tau_t p_t / (tau_t + p_t) with p_t = k tau_t / n_t
    b0 = delta @ rbar / delta.sum()
    np.testing.assert_allclose(model.intercept_, (sizes * rbar + k * b0) / (sizes + k))
    assert model.population_intercept_ == pytest.approx(b0)
    # the shrinkage grows as the tasks get smaller
    shrink = np.abs(model.intercept_ - rbar) / np.abs(b0 - rbar)
    assert np.all(np.diff(shrink) < 0)


def test_mean_regularized_model_is_the_random_slopes_blup():
    """The mapping of the user guide: MeanRegularizedRegressor(alpha=T s2 / (2 N
    s2_s), beta -> 0, intercept_pooling=s2 / s2_b) gives the BLUPs of a mixed model
    with random intercepts and slopes of known variances, from Henderson's mixed
    model equations (a ridge over the random effects, flat on the fixed ones)."""
    rng = np.random.RandomState(8)
    sizes = np.array([3, 7, 12, 25, 40, 60])
    T, N, d = len(sizes), sizes.sum(), 2
    tasks = np.repeat(np.arange(T), sizes)
    X = rng.randn(N, d)
    s2, s2_b, s2_s = 1.0, 0.5, 0.2
    y = (
        0.3
        + X @ [1.0, -0.5]
        + rng.randn(T)[tasks] * np.sqrt(s2_b)
        + np.einsum("ij,ij->i", X, rng.randn(T, d)[tasks] * np.sqrt(s2_s))
        + rng.randn(N)
    )
    onehot = np.eye(T)[tasks]
    design = np.hstack(
        [np.ones((N, 1)), X, onehot, (X[:, :, None] * onehot[:, None]).reshape(N, -1)]
    )
    ridge = np.r_[
        np.zeros(1 + d), np.full(T, np.sqrt(s2 / s2_b)), np.full(d * T, np.sqrt(s2 / s2_s))
    ]
    theta = np.linalg.lstsq(np.vstack([design, np.diag(ridge)]), np.r_[y, np.zeros(len(ridge))])[0]
    b0, w, u_b, u_s = theta[0], theta[1 : 1 + d], theta[1 + d : 1 + d + T], theta[1 + d + T :]
    model = MeanRegularizedRegressor(
        alpha=T * s2 / (2 * N * s2_s), beta=1e-12, intercept_pooling=s2 / s2_b
    ).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, w + u_s.reshape(d, T).T, atol=1e-8)
    np.testing.assert_allclose(model.intercept_, b0 + u_b, atol=1e-8)


def test_pooling_with_statistics_equals_fit():
    """partial_fit (sufficient statistics) solves the same pooled objective."""
    X, y, tasks = make_tasks(seed=43, offset=1.0)
    kw = dict(alpha=0.05, intercept_pooling=3.0, tol=1e-12, task_weights="samples")
    full = GroupLassoRegressor(**kw).fit(X, y, tasks=tasks)
    chunked = GroupLassoRegressor(**kw)
    for rows in np.array_split(np.arange(len(y)), 3):
        chunked.partial_fit(X[rows], y[rows], tasks=tasks[rows])
    np.testing.assert_allclose(chunked.coef_, full.coef_, atol=1e-7)
    np.testing.assert_allclose(chunked.intercept_, full.intercept_, atol=1e-7)


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_cold_start_predicts_with_the_population_model(name, loss):
    X, y, tasks = make_tasks(loss=loss, seed=44, offset=0.5)
    model = _estimator(name, loss, unknown_task="mean", intercept_pooling=2.0)
    model.fit(X, y, tasks=tasks)
    new = np.full(5, 99)
    expected = X[:5] @ model.population_coef_ + model.population_intercept_
    np.testing.assert_allclose(model.population_coef_, model.coef_.mean(axis=0))
    if loss == "squared":
        np.testing.assert_allclose(model.predict(X[:5], tasks=new), expected)
    else:
        np.testing.assert_allclose(model.decision_function(X[:5], tasks=new), expected)
        proba = model.predict_proba(X[:5], tasks=new)[:, 1]
        np.testing.assert_allclose(proba, 1 / (1 + np.exp(-expected)))
    # seen tasks are unaffected by the presence of unseen ones in the same call
    mixed = np.r_[tasks[:3], new[:2]]
    seen = model._decision(X[:5], mixed)[:3]
    np.testing.assert_allclose(seen, model._decision(X[:3], tasks[:3]))
    with pytest.raises(ValueError, match="Unknown task"):
        model.set_params(unknown_task="error")._decision(X[:5], new)


def test_pooling_without_intercepts_says_it_does_nothing():
    """With fit_intercept=False there is nothing to pool: a pooling warns (it was a
    silent no-op) and a *CV searches 0 only (it reported a pooling it never used)."""
    from skmtl.model_selection import GroupLassoRegressorCV

    X, y, tasks = make_tasks()
    unused = GroupLassoRegressor(intercept_pooling=1.0, fit_intercept=False)
    with pytest.warns(UserWarning, match="has no effect with fit_intercept=False") as caught:
        unused.fit(X, y, tasks=tasks)
    assert caught[0].filename == __file__
    with pytest.warns(UserWarning, match="has no effect with fit_intercept=False"):
        unused.partial_fit(X, y, tasks=tasks)
    cv = GroupLassoRegressorCV(intercept_poolings=[1.0, 10.0], fit_intercept=False, cv=3)
    with pytest.warns(UserWarning, match="intercept_poolings has no effect"):
        cv.fit(X, y, tasks=tasks)
    assert cv.intercept_pooling_ == 0.0


@pytest.mark.parametrize("bad", [-1.0, "a", None, True, np.nan])
def test_bad_pooling_is_a_clear_error(bad):
    X, y, tasks = make_tasks()
    with pytest.raises(ValueError, match="intercept_pooling must be a number >= 0"):
        GroupLassoRegressor(intercept_pooling=bad).fit(X, y, tasks=tasks)


def test_sparse_and_dense_pooled_fits_agree():
    X, y, tasks = make_tasks(seed=45, offset=1.0)
    kw = dict(alpha=0.05, intercept_pooling=3.0, tol=1e-12)
    dense = GroupLassoRegressor(**kw).fit(X, y, tasks=tasks)
    sparse = GroupLassoRegressor(**kw).fit(sp.csr_matrix(X), y, tasks=tasks)
    np.testing.assert_allclose(sparse.coef_, dense.coef_, atol=1e-8)
    np.testing.assert_allclose(sparse.intercept_, dense.intercept_, atol=1e-8)


@pytest.mark.parametrize("name", ["mean", "graph"])
@pytest.mark.parametrize("pooling", [3.0, np.inf])
def test_pooled_closed_form_equals_fista(name, pooling):
    X, y, tasks = make_tasks(n_features=5, seed=46, offset=2.0)
    kw = dict(intercept_pooling=pooling)
    exact = _estimator(name, "squared", solver="closed_form", **kw).fit(X, y, tasks=tasks)
    iterative = _estimator(name, "squared", solver="fista", tol=1e-15, max_iter=100_000, **kw)
    iterative.fit(X, y, tasks=tasks)
    assert exact.n_iter_ == 1 and exact.dual_gap_ <= 1e-12 * exact.objective_
    np.testing.assert_allclose(exact.coef_, iterative.coef_, atol=1e-6)
    np.testing.assert_allclose(exact.intercept_, iterative.intercept_, atol=1e-6)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_pooling_with_task_weights_matches_cvxpy(loss):
    """The precision ``k tau_t / n_t`` follows the task weights (here MALSAR's sum
    of squares, ``tau_t`` proportional to ``n_t``: one precision for every task)."""
    X, y, tasks = make_tasks(loss=loss, seed=47, offset=1.0)
    Est = GroupLassoRegressor if loss == "squared" else GroupLassoClassifier
    kw = dict(alpha=0.02, intercept_pooling=3.0, task_weights="samples")
    ours = Est(tol=1e-12, max_iter=100_000, **kw).fit(X, y, tasks=tasks)
    ref = Est(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-5)


def test_pooling_term_prox_conjugate_and_newton_step():
    """``1/2 b^T M(p) b`` with ``M(p) = diag(p) - p p^T / sum(p)``, written out."""
    from skmtl import _pooling

    rng = np.random.RandomState(0)
    p, v, h = rng.uniform(0.1, 3.0, 6), rng.randn(6), rng.uniform(0.0, 2.0, 6)
    M = np.diag(p) - np.outer(p, p) / p.sum()
    b0 = p @ v / p.sum()
    assert _pooling.value(p, v) == pytest.approx(0.5 * np.sum(p * (v - b0) ** 2))
    assert _pooling.value(p, v) == pytest.approx(0.5 * v @ M @ v)
    step = 0.7
    prox = _pooling.solve_shifted(p, np.full(6, 1 / step), v / step)
    np.testing.assert_allclose((prox - v) / step + M @ prox, 0.0, atol=1e-12)
    newton = _pooling.solve_shifted(p, h, v)
    np.testing.assert_allclose((np.diag(h) + M) @ newton, v, atol=1e-12)
    # Fenchel-Young with equality at u = M b: the gap's conjugate term is exact
    u = M @ v
    assert _pooling.conjugate(p, u) == pytest.approx(u @ v - _pooling.value(p, v))
    # infinite precision: the projection on constant vectors, and a zero term
    inf = np.full(6, np.inf)
    np.testing.assert_allclose(_pooling.solve_shifted(inf, np.full(6, 1.0), v), v.mean())
    assert _pooling.value(inf, np.ones(6)) == 0.0
    assert _pooling.value(inf, v) == np.inf  # off the constraint b_t = b_0
    # a common shift of the intercepts changes nothing, also far from zero
    assert _pooling.value(p, v + 1e8) == pytest.approx(_pooling.value(p, v), rel=1e-6)


@pytest.mark.parametrize("loss", ["huber", "quantile"])
def test_pooled_fit_of_a_location_loss_follows_a_shift_of_the_targets(loss):
    """The Huber and pinball losses depend on ``y - z`` only: adding a constant to
    the targets moves the intercepts by it and nothing else, with the same objective,
    also where the intercepts are far from zero (radon's log radon plus 1e4 and
    1e8): the gap's dual value was dominated by the round-off of the intercepts'
    optimality times the targets' level (Huber: a gap of zero 0.018 above the
    optimum), and the pooling term's value by that of the intercepts themselves
    (negative objectives at 1e8)."""
    bunch = load_radon()
    X, y, tasks = bunch.data, bunch.target, bunch.tasks
    params = dict(alpha=0.684, loss=loss, intercept_pooling=4.56)
    base = GroupLassoRegressor(**params).fit(X, y, tasks=tasks)
    for shift in (1e4, 1e8):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            moved = GroupLassoRegressor(**params).fit(X, y + shift, tasks=tasks)
        tol = 2 * max(base.dual_gap_, moved.dual_gap_, 1e-4 * abs(base.objective_))
        assert abs(moved.objective_ - base.objective_) <= tol
        np.testing.assert_allclose(moved.coef_, base.coef_, atol=1e-3)
        np.testing.assert_allclose(moved.intercept_ - shift, base.intercept_, atol=1e-3)


@pytest.mark.parametrize("alpha", [100.0, 0.01])
def test_infinite_pooling_of_logistic_intercepts_from_unequal_base_rates(alpha):
    """Tasks whose base rates differ start the solver at one intercept (the pooled
    null model), not at each task's own: from those the objective missed the
    constraint, and proximal Newton stalled at infeasible intercepts whose objective
    was below the optimum (found on Contraception with the default pooling grid)."""
    rng = np.random.RandomState(3)
    tasks = np.repeat(np.arange(4), [40, 60, 30, 50])
    X = np.column_stack([rng.randn(len(tasks)) * 9.0, rng.rand(len(tasks)) < 0.5])
    logit = np.array([-2.0, -0.5, 0.5, 2.0])[tasks] + 0.05 * X[:, 0]
    y = (rng.rand(len(tasks)) < 1 / (1 + np.exp(-logit))).astype(int)
    kw = dict(alpha=alpha, beta=0.01, intercept_pooling=np.inf)
    ours = MeanRegularizedClassifier(tol=1e-10, **kw).fit(X, y, tasks=tasks)
    ref = MeanRegularizedClassifier(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert np.ptp(ours.intercept_) == 0.0
    assert abs(ours.objective_ - ref.objective_) <= 1e-6 * abs(ref.objective_)
    assert ours.dual_gap_ <= 1e-8


@pytest.mark.parametrize("p", [[4.0, 4.0, 4.0, 4.0], [np.inf] * 4, [0.0] * 4, [1.0, 2.0, 3.0, 0.0]])
def test_profiled_intercepts_of_a_stack_are_those_of_each_model(p):
    """A path's intercepts at once (the CV's closed-form paths) equal one call per
    model, infinite pooling included (its shared intercept is weighted by n_t)."""
    from skmtl._pooling import profiled_intercepts

    p, totals = np.array(p), np.array([10.0, 20.0, 30.0, 5.0])
    rbar = np.random.default_rng(0).standard_normal((3, 4))
    one_by_one = np.array([profiled_intercepts(p, totals, r) for r in rbar])
    np.testing.assert_allclose(profiled_intercepts(p, totals, rbar), one_by_one, rtol=1e-14)


@pytest.mark.parametrize("classes", [1, 3])
@pytest.mark.parametrize("case", ["random", "repeated", "zero_means"])
def test_pooled_lipschitz_is_the_hessians_largest_eigenvalue(classes, case):
    """The largest eigenvalue of the pooled Gram statistics' Hessian, from the
    secular equation of its rank-one downdates (one per class), equals a dense
    eigendecomposition: for random tasks, for identical tasks (a repeated top
    eigenvalue, which the downdate leaves) and for centred features (no downdate)."""
    from skmtl._datafit import _pooled_largest_eigenvalue

    rng = np.random.RandomState(0)
    d, T = 3, 4 * classes
    A = rng.randn(T, d, d)
    held = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(d)
    x_mean = rng.randn(d, T) + 1.0
    delta = rng.uniform(0.5, 2.0, T)
    if case == "repeated":
        held, x_mean = np.broadcast_to(held[0], held.shape), np.ones((d, T))
        delta = np.ones(T)
    if case == "zero_means":
        x_mean = np.zeros((d, T))
    dense = np.zeros((d * T, d * T))  # task-major blocks
    for t in range(T):
        dense[t * d : (t + 1) * d, t * d : (t + 1) * d] = held[t]
    cols, gammas = np.zeros((classes, d, T)), np.zeros(classes)
    for k, members in enumerate(np.arange(T).reshape(classes, -1)):
        u = np.zeros((T, d))
        u[members] = (x_mean * delta).T[members]
        cols[k], gammas[k] = u.T, 1 / delta[members].sum()
        dense -= np.outer(u.ravel(), u.ravel()) * gammas[k]
    expected = np.linalg.eigvalsh(dense)[-1]
    assert _pooled_largest_eigenvalue(held, cols, gammas) == pytest.approx(expected, rel=1e-12)


def test_pooling_counts_pseudo_samples_in_units_of_weight():
    """As fit's docstring says: n_t is a task's total weight, so doubling every
    weight halves the pooling's pull (the fit with pooling k equals pooling k / 2
    without weights)."""
    rng = np.random.RandomState(0)
    X, tasks = rng.randn(60, 3), np.repeat([0, 1, 2], 20)
    y = X[:, 0] + tasks + rng.randn(60)
    weighted = GroupLassoRegressor(alpha=0.01, intercept_pooling=5.0, tol=1e-12)
    weighted.fit(X, y, tasks=tasks, sample_weight=np.full(60, 2.0))
    plain = GroupLassoRegressor(alpha=0.01, intercept_pooling=2.5, tol=1e-12)
    plain.fit(X, y, tasks=tasks)
    np.testing.assert_allclose(weighted.coef_, plain.coef_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(weighted.intercept_, plain.intercept_, rtol=1e-10)
