"""Block coordinate descent (solver="cd") against cvxpy, on ill-conditioned designs."""

import warnings

import numpy as np
import pytest
from conftest import objective
from sklearn.exceptions import ConvergenceWarning

from skmtl import (
    DirtyClassifier,
    DirtyRegressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
    TraceNormRegressor,
)

ESTIMATORS = {"squared": GroupLassoRegressor, "logistic": GroupLassoClassifier}
PENALTIES = [
    {"l1_ratio": 0.0},
    {"l1_ratio": 1.0},
    {"l1_ratio": 0.5},
    {"group_norm": "linf"},
    {"group_norm": "linf", "l1_ratio": 0.3},
]


def ill_conditioned(loss, seed=0, n_tasks=3):
    """Full one-hot blocks (singular centred Grams), a duplicated column and
    continuous columns on scales from 0.05 to 20."""
    rng = np.random.RandomState(seed)
    sizes = np.array([18, 30, 45][:n_tasks])
    tasks = np.repeat(np.arange(n_tasks), sizes)
    n = len(tasks)
    onehot = np.eye(3)[rng.randint(0, 3, n)]
    cont = rng.randn(n, 3) @ rng.randn(3, 3) * np.array([0.05, 1.0, 20.0])
    X = np.hstack([onehot, cont, cont[:, :1]])  # the last column duplicates one
    W = rng.randn(X.shape[1], n_tasks) / X.std(axis=0)[:, None]
    z = np.einsum("ij,ji->i", X, W[:, tasks])
    z = (z - z.mean()) / z.std() + 0.3 * rng.randn(n)
    y = (z > 0).astype(int) if loss == "logistic" else z
    return X, y, tasks


@pytest.mark.parametrize("params", PENALTIES, ids=str)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("fit_intercept", [True, False])
def test_cd_matches_cvxpy(params, loss, fit_intercept):
    X, y, tasks = ill_conditioned(loss)
    Est = ESTIMATORS[loss]
    alpha = 0.05 * Est(**params, fit_intercept=fit_intercept).alpha_max(X, y, tasks)
    kw = dict(alpha=alpha, fit_intercept=fit_intercept, **params)
    ours = Est(solver="cd", tol=1e-12, max_iter=100_000, **kw).fit(X, y, tasks=tasks)
    ref = Est(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    penalty = ours._make_penalty(3)
    mine = objective(ours.coef_, ours.intercept_, X, y, tasks, penalty, loss)
    theirs = objective(ref.coef_, ref.intercept_, X, y, tasks, penalty, loss)
    assert mine == pytest.approx(ours.objective_, rel=1e-10)
    assert (mine - theirs) / abs(theirs) < 1e-6
    assert 0 <= ours.dual_gap_ <= 1e-9 * max(1.0, abs(mine))
    assert np.any(ours.coef_)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_cd_and_fista_agree_on_shared_design(loss):
    rng = np.random.RandomState(1)
    X = rng.randn(60, 8) * np.geomspace(0.1, 10, 8)
    Y = X[:, :3] @ (rng.randn(3, 4) / np.geomspace(0.1, 10, 8)[:3, None])
    Y = Y + 0.3 * rng.randn(60, 4)
    if loss == "logistic":
        Y = (Y > 0).astype(int)
    Est = ESTIMATORS[loss]
    fits = [
        Est(alpha=0.02, solver=s, tol=1e-12, max_iter=100_000).fit(X, Y) for s in ("cd", "fista")
    ]
    assert fits[0].objective_ == pytest.approx(fits[1].objective_, rel=1e-9)
    np.testing.assert_allclose(fits[0].coef_, fits[1].coef_, atol=1e-5)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_auto_chooses_cd_for_row_penalties_with_few_features(loss):
    """The same iterates as solver="cd" for the logistic loss (whose Newton models
    both solve by CD with Newton steps on the support); for the squared loss, CD
    that goes on with Newton steps on the support after 20 epochs: the same model,
    in fewer epochs than CD alone."""
    X, y, tasks = ill_conditioned(loss)
    Est = ESTIMATORS[loss]
    auto, cd = [Est(alpha=0.01, solver=s, tol=1e-8).fit(X, y, tasks=tasks) for s in ("auto", "cd")]
    if loss == "logistic":
        assert auto.n_iter_ == cd.n_iter_
        np.testing.assert_array_equal(auto.coef_, cd.coef_)
    else:
        assert 20 < auto.n_iter_ < cd.n_iter_
        assert abs(auto.objective_ - cd.objective_) <= auto.dual_gap_ + cd.dual_gap_
    fista = Est(alpha=0.01, solver="fista", tol=1e-8).fit(X, y, tasks=tasks)
    assert fista.n_iter_ > auto.n_iter_


def test_forcing_cd_where_it_does_not_apply_raises():
    X, y, tasks = ill_conditioned("squared")
    with pytest.raises(ValueError, match="solver='cd'"):
        TraceNormRegressor(alpha=0.1, solver="cd").fit(X, y, tasks=tasks)
    # a quadratic plus a norm: refused whatever the route (it was ignored without
    # precompute, and said 'needs L1 ... got L1' with it)
    from skmtl import GraphRegularizedClassifier

    labels = (y > np.median(y)).astype(int)
    for solver in ("cd", "admm"):
        for precompute in ("auto", False):
            model = GraphRegularizedClassifier(alpha_l1=0.01, solver=solver, precompute=precompute)
            with pytest.raises(ValueError, match=f"solver='{solver}' does not serve a quadratic"):
                model.fit(X, labels, tasks=tasks)


def test_solver_parameter_is_validated():
    X, y, tasks = ill_conditioned("squared")
    with pytest.raises(ValueError, match="solver must be one of"):
        GroupLassoRegressor(solver="newton").fit(X, y, tasks=tasks)


@pytest.mark.parametrize("params", [{"l1_ratio": 0.0}, {"group_norm": "linf", "l1_ratio": 0.3}])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("pooling", [3.0, np.inf])
def test_cd_with_pooled_intercepts_matches_cvxpy(params, loss, pooling):
    """Pooled intercepts: the shared intercept is a block of its own."""
    X, y, tasks = ill_conditioned(loss, seed=2)
    Est = ESTIMATORS[loss]
    kw = dict(alpha=0.03 * Est(**params).alpha_max(X, y, tasks), intercept_pooling=pooling)
    ours = Est(solver="cd", tol=1e-12, max_iter=100_000, **params, **kw).fit(X, y, tasks=tasks)
    ref = Est(solver="cvxpy", **params, **kw).fit(X, y, tasks=tasks)
    assert 0 <= ours.dual_gap_ <= 1e-9 * max(1.0, abs(ours.objective_))
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)
    if loss == "squared":  # the solve itself is CD: no more epochs than FISTA's iterations
        fista = Est(solver="fista", tol=1e-12, max_iter=100_000, **params, **kw)
        assert ours.n_iter_ <= fista.fit(X, y, tasks=tasks).n_iter_


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_cd_on_the_dirty_model_matches_cvxpy(loss):
    X, y, tasks = ill_conditioned(loss, seed=3)
    Est = DirtyRegressor if loss == "squared" else DirtyClassifier
    kw = dict(alpha_shared=0.05, alpha_specific=0.03)
    ours = Est(solver="cd", tol=1e-12, max_iter=200_000, **kw).fit(X, y, tasks=tasks)
    ref = Est(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert 0 <= ours.dual_gap_ <= 1e-9 * max(1.0, abs(ours.objective_))
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6


class _Grams:
    """Gram statistics with the two things ``curvature_spread`` reads."""

    def __init__(self, grams):
        self.grams = np.asarray(grams, dtype=float)

    def held_grams(self):
        return self.grams

    def lipschitz(self):
        return float(np.linalg.eigvalsh(self.grams)[:, -1].max())


def test_curvature_spread_is_lipschitz_over_the_least_curved_feature():
    from skmtl.solvers.cd import curvature_spread

    # two tasks, diagonal Grams: L = 400 (task 1, feature 0); the blocks' own
    # constants max_t C_t[j, j] = 400, 9, 4; feature 3 is constant (left out)
    grams = [np.diag([100.0, 9.0, 1.0, 0.0]), np.diag([400.0, 1.0, 4.0, 0.0])]
    assert curvature_spread(_Grams(grams)) == pytest.approx(100.0)
    # a correlation raises L only: [[1, 1], [1, 1]] has L = 2, diagonal 1
    assert curvature_spread(_Grams([np.ones((2, 2))])) == pytest.approx(2.0)
    assert curvature_spread(_Grams([np.zeros((2, 2))])) == 1.0


def well_scaled(loss, seed=0, n_tasks=3):
    """Gaussian features of unit scale: a curvature spread far below 100."""
    rng = np.random.RandomState(seed)
    tasks = np.repeat(np.arange(n_tasks), [25, 40, 60][:n_tasks])
    X = rng.randn(len(tasks), 6)
    W = rng.randn(6, n_tasks) * (rng.rand(6, 1) < 0.6)
    z = np.einsum("ij,ji->i", X, W[:, tasks]) + 0.5 * rng.randn(len(tasks))
    return X, ((z > 0).astype(int) if loss == "logistic" else z), tasks


@pytest.mark.parametrize("params", [{"l1_ratio": 0.0}, {"group_norm": "linf"}], ids=str)
def test_auto_chooses_fista_on_well_scaled_features(params):
    """The same iterates as solver="fista" where the spread is below MIN_SPREAD, and
    the rule reads the spread: CD again once one feature is scaled down."""
    from skmtl.solvers import cd as cd_module

    X, y, tasks = well_scaled("squared")
    kw = dict(alpha=0.05, tol=1e-10, max_iter=100_000, **params)
    fits = [
        GroupLassoRegressor(solver=s, **kw).fit(X, y, tasks=tasks) for s in ("auto", "fista", "cd")
    ]
    assert fits[0].n_iter_ == fits[1].n_iter_ != fits[2].n_iter_
    np.testing.assert_array_equal(fits[0].coef_, fits[1].coef_)
    assert fits[0].objective_ == pytest.approx(fits[2].objective_, rel=1e-9)
    X2 = X.copy()
    X2[:, 0] *= 0.01  # curvature 1e-4 against L of order 1: spread above 1e4
    # L1/Linf: ADMM on such features (select.ADMM_FIRST), L2,1: CD
    chosen = "admm" if params.get("group_norm") == "linf" else "cd"
    auto, cd = (
        GroupLassoRegressor(solver=s, **kw).fit(X2, y, tasks=tasks) for s in ("auto", chosen)
    )
    assert auto.n_iter_ == cd.n_iter_
    np.testing.assert_array_equal(auto.coef_, cd.coef_)
    assert cd_module.MIN_SPREAD == 100.0  # the documented threshold


@pytest.mark.parametrize("params", [{"l1_ratio": 0.0}, {"l1_ratio": 1.0}], ids=str)
def test_auto_chooses_cd_for_l21_and_l1_on_few_features(params):
    """Up to FEW_FEATURES well-scaled features the group lasso and the lasso take CD
    (the same iterates as solver="cd"), one feature more FISTA."""
    from skmtl.solvers import cd as cd_module

    X, y, tasks = well_scaled("squared")
    kw = dict(alpha=0.05, tol=1e-10, max_iter=100_000, **params)
    few = X[:, : cd_module.FEW_FEATURES]
    for data, chosen in ((few, "cd"), (np.hstack([few, X[:, :1] + 1.0]), "fista")):
        auto, forced = (
            GroupLassoRegressor(solver=s, **kw).fit(data, y, tasks=tasks) for s in ("auto", chosen)
        )
        assert auto.n_iter_ == forced.n_iter_
        np.testing.assert_array_equal(auto.coef_, forced.coef_)


@pytest.mark.parametrize("l1_ratio", [0.0, 1.0])
def test_cd_row_updates_are_exact_on_tasks_of_unequal_curvature(l1_ratio):
    """The row of feature ``j`` meets each task's own curvature ``C_t[j, j]``; with
    400 tasks of 3 to 29 samples, free intercepts and columns on scales 0.1 to 10
    these differ by orders of magnitude. A step of ``1 / max_t C_t[j, j]`` for the
    whole row left the group lasso 6e6 times above its gap threshold after 5000
    epochs (the lasso needed 840); the exact minimiser of the row's model
    (``prox_diagonal``) certifies both at cvxpy's optimum in under 200 epochs."""
    pytest.importorskip("cvxpy")
    rng = np.random.RandomState(2)
    tasks = np.repeat(np.arange(400), rng.randint(3, 30, 400))
    X = rng.randn(len(tasks), 3) * [1.0, 10.0, 0.1] + rng.randn(400, 3)[tasks]
    y = X @ [1.0, -0.2, 3.0] + 0.5 * rng.randn(400)[tasks] + rng.randn(len(tasks))
    kw = dict(alpha=0.01, l1_ratio=l1_ratio)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = GroupLassoRegressor(solver="cd", tol=1e-10, max_iter=200, **kw).fit(
            X, y, tasks=tasks
        )
    ref = GroupLassoRegressor(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert abs(ours.objective_ - ref.objective_) / ref.objective_ < 1e-8


def test_a_stall_far_above_the_tolerance_warns():
    """A row penalty whose restriction to some rows has the right value but the wrong
    prox (the first row's weight on every row it sees) makes coordinate descent's row
    proxes wrong: the epochs stop moving at a large gap, which warns instead of
    returning silently. (Restrictions of the wrong value are refused before the
    solve: tests/test_penalties.py)"""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from skmtl import MultiTaskEstimator
    from skmtl.datasets import make_joint_sparse
    from skmtl.penalties import RowNormPenalty

    class HeavyFirstRow(RowNormPenalty):  # alpha (10 ||W_0|| + sum_j>0 ||W_j||)
        def __init__(self, alpha=1.0, first=True):  # first: row 0 is among its rows
            self.alpha, self.first = alpha, first

        def restrict(self, rows):
            return HeavyFirstRow(self.alpha, first=self.first and rows[0] == 0)

        def _weights(self, n_rows):
            return np.r_[10.0 if self.first else 1.0, np.ones(n_rows - 1)]

        def norm(self, W):
            return float(self._weights(len(W)) @ np.linalg.norm(W, axis=1))

        def dual_norm_rows(self, G):
            return np.linalg.norm(G, axis=1) / self._weights(len(G))

        def prox(self, V, step):  # (wrong on a restriction without row 0)
            weights = np.r_[10.0, np.ones(len(V) - 1)]
            norms = np.linalg.norm(V, axis=1)
            kept = np.maximum(norms - step * self.alpha * weights, 0.0)
            return V * np.divide(kept, norms, out=np.zeros_like(norms), where=norms > 0)[:, None]

    X, Y, tasks, _ = make_joint_sparse(n_tasks=3, n_samples=50, n_features=8, random_state=0)
    with pytest.warns(ConvergenceWarning, match="stopped moving at a duality gap"):
        model = MultiTaskEstimator(penalty=HeavyFirstRow(0.3), solver="cd").fit(X, Y, tasks=tasks)
    assert model.dual_gap_ > 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # FISTA's full prox is right
        MultiTaskEstimator(penalty=HeavyFirstRow(0.3), solver="fista").fit(X, Y, tasks=tasks)


@pytest.mark.parametrize("n_features", [6, 40])
@pytest.mark.parametrize("name", ["GroupLassoRegressor", "TraceNormRegressor"])
def test_one_large_task_among_tiny_ones_certifies_by_default(name, n_features):
    """One task of 6000 rows next to 200 of 3, standardized features: their task
    weights differ 2000-fold, and one FISTA step for all moved the tiny tasks by
    steps as much shorter (1000 iterations, a gap 50 times the tolerance); the
    tasks' curvature spread routes such data to CD and ADMM, whose steps are each
    block's or each task's own (with 40 features the rows cost less than the
    statistics: the task weights' spread takes the statistics all the same). The
    fit certifies within the default budget and equals a long FISTA solve's
    objective."""
    import skmtl

    rng = np.random.default_rng(0)
    tasks = np.repeat(np.arange(201), [6000] + [3] * 200)
    X = rng.normal(size=(len(tasks), n_features))
    X = (X - X.mean(0)) / X.std(0)
    y = X[:, :6] @ np.arange(1, 7) * 0.3 + rng.normal(size=201)[tasks] + rng.normal(size=len(tasks))
    Est = getattr(skmtl, name)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        fit = Est(alpha=0.01, tol=1e-8).fit(X, y, tasks=tasks)
    assert fit.n_iter_ < 200
    long = Est(alpha=0.01, tol=1e-8, solver="fista", max_iter=100_000).fit(X, y, tasks=tasks)
    assert abs(fit.objective_ - long.objective_) <= 1e-7 * abs(long.objective_)


def test_spread_reaches_decides_from_the_diagonals_when_it_can():
    """The spread test equals the one on the exact spread (Lipschitz constant over the
    least curved feature, and over the least curved task), and needs no eigenvalue
    when the diagonals alone reach the bound (the largest diagonal entry bounds L
    from below)."""
    from skmtl.solvers.cd import spread_reaches

    class Counted(_Grams):
        calls = 0

        def lipschitz(self):
            Counted.calls += 1
            return super().lipschitz()

    rng = np.random.RandomState(0)
    for _ in range(50):
        T, d = rng.randint(1, 4), rng.randint(1, 5)
        A = rng.randn(T, d, 6) * np.exp(rng.uniform(-4, 4, (T, d, 1)))
        grams = Counted(A @ A.transpose(0, 2, 1))
        diagonals = np.diagonal(grams.grams, axis1=1, axis2=2)
        L = grams.lipschitz()
        features = L / diagonals.max(axis=0).min()
        both = max(features, L / diagonals.max(axis=1).min())
        for bound in (1.5, 10.0, 100.0, 1e4):
            assert spread_reaches(grams, bound, tasks=False) == (features >= bound)
            assert spread_reaches(grams, bound) == (both >= bound)
    grams = Counted([np.diag([1e4, 1.0])])  # the diagonals decide: L is not computed
    Counted.calls = 0
    assert spread_reaches(grams, 100.0) and Counted.calls == 0


def test_spread_reaches_with_pooled_intercepts_equals_the_exact_spread():
    """With pooled intercepts the held Grams' diagonals can exceed L (a task-level
    covariate of large mean): the shortcut's lower bound comes from the Grams
    without the pooled term, and the decisions equal those of the exact spread."""
    from skmtl._datafit import GramDatafit
    from skmtl.solvers.cd import _held_diagonals, _over_smallest, spread_reaches

    rng = np.random.RandomState(0)
    for _ in range(200):
        T, d = rng.randint(1, 5), rng.randint(2, 5)
        A = rng.randn(T, 8, d) * np.exp(rng.uniform(-1, 1, d))
        A[:, :, 0] = 0.0  # constant within each task
        x_mean = rng.randn(d, T) * np.exp(rng.uniform(0, 3))
        gram = GramDatafit(
            np.einsum("tij,tik->tjk", A, A) / 8,
            rng.randn(d, T),
            np.ones(T),
            x_mean,
            np.zeros(T),
            True,
            np.exp(rng.uniform(-2, 3, T)),
        )
        diagonals, L = _held_diagonals(gram), gram.lipschitz()
        features = _over_smallest(L, diagonals.max(axis=0))
        tops = diagonals.max(axis=1)
        both = max(features, _over_smallest(L, tops, 1e-10 * tops.max()))
        for bound in (3.0, 30.0, 100.0):
            assert spread_reaches(gram, bound, tasks=False) == (features >= bound)
            assert spread_reaches(gram, bound) == (both >= bound)
