"""Each penalty's prox against its definition, its dual norm against a conic solve."""

import numpy as np
import pytest

from skmtl.penalties import L1, L21, ColumnL21, L1Linf, Penalty, SparseGroupNorm, TraceNorm

cp = pytest.importorskip("cvxpy")


class RowLasso(Penalty):  # L21 written by a user
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def value(self, W):
        return self.alpha * np.sqrt((W * W).sum(axis=1)).sum()

    def prox(self, V, step):
        return L21(self.alpha).prox(V, step)

    def dual_scale(self, G):
        return L21(self.alpha).dual_scale(G)

    def conjugate(self, G):
        return 0.0


PENALTIES = [
    L21(0.7),
    L1(0.7),
    L1Linf(0.7),
    SparseGroupNorm(0.7, l1_ratio=0.3, group_norm="l2"),
    SparseGroupNorm(0.7, l1_ratio=0.8, group_norm="l2"),
    SparseGroupNorm(0.7, l1_ratio=0.3, group_norm="linf"),
    SparseGroupNorm(0.7, l1_ratio=0.0, group_norm="l2"),
    SparseGroupNorm(0.7, l1_ratio=1.0, group_norm="linf"),
    TraceNorm(0.7),
    ColumnL21(0.7),
]


def _solve(objective, constraints=()):
    problem = cp.Problem(objective, list(constraints))
    problem.solve(solver=cp.CLARABEL)
    return problem


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_prox_matches_definition(penalty):
    rng = np.random.RandomState(0)
    V = rng.randn(6, 4) * 0.6
    V[2] = 0.0  # a zero row must be handled
    step = 0.8
    W = cp.Variable(V.shape)
    _solve(cp.Minimize(penalty.cvxpy(W) + cp.sum_squares(W - V) / (2 * step)))
    prox = penalty.prox(V, step)
    objective = lambda U: penalty.value(U) + np.sum((U - V) ** 2) / (2 * step)
    assert objective(prox) <= objective(W.value) + 1e-9
    np.testing.assert_allclose(prox, W.value, atol=1e-4)


@pytest.mark.parametrize(
    "penalty", [p for p in PENALTIES if getattr(p, "diagonal_prox", False)], ids=repr
)
def test_prox_diagonal_minimises_the_row_model(penalty):
    """``prox_diagonal(V, c)`` minimises ``sum_ij c_j (W_ij - V_ij)^2 / 2 + R(W)``
    (coordinate descent's row update), for curvatures over eight orders of
    magnitude, against cvxpy and the optimality conditions; equal curvatures give
    the prox with step ``1 / c``."""
    rng = np.random.RandomState(4)
    V = rng.randn(6, 9)
    V[2] = 0.0
    c = 10.0 ** rng.uniform(-4, 4, 9)
    V[3] = 0.5 / c  # ||c v|| = 1.5: the row is kept, its zero entries are not
    out = penalty.prox_diagonal(V, c)
    W = cp.Variable(V.shape)
    model = cp.sum(cp.multiply(c, cp.square(W - V))) / 2
    _solve(cp.Minimize(model + penalty.cvxpy(W)))
    objective = lambda U: penalty.value(U) + np.sum(c * (U - V) ** 2) / 2
    assert objective(out) <= objective(W.value) + 1e-9 * abs(objective(W.value))
    G = c * (V - out)  # a subgradient of R at out: in the dual ball, on its face
    assert penalty.dual_norm(G) <= penalty.alpha * (1 + 1e-9)
    assert np.vdot(G, out) == pytest.approx(penalty.value(out), rel=1e-9)
    np.testing.assert_allclose(
        penalty.prox_diagonal(V, np.full(9, 2.5)), penalty.prox(V, 1 / 2.5), rtol=1e-12, atol=1e-15
    )


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_dual_norm_matches_conic_solve(penalty):
    """dual_norm(G) = max <G, U> over the unit ball of the norm."""
    rng = np.random.RandomState(1)
    G = rng.randn(5, 4)
    U = cp.Variable(G.shape)
    unit = (
        type(penalty)(1.0)
        if not isinstance(penalty, SparseGroupNorm)
        else SparseGroupNorm(1.0, penalty.l1_ratio, penalty.group_norm)
    )
    problem = _solve(cp.Maximize(cp.sum(cp.multiply(G, U))), [unit.cvxpy(U) <= 1])
    assert penalty.dual_norm(G) == pytest.approx(problem.value, rel=1e-6)


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_prox_is_zero_exactly_below_threshold(penalty):
    """prox(V, step) = 0 iff dual_norm(V) <= step * alpha (Moreau)."""
    rng = np.random.RandomState(2)
    V = rng.randn(5, 3)
    step = penalty.dual_norm(V) / penalty.alpha
    assert not np.any(penalty.prox(V, step * 1.0001))
    assert np.any(penalty.prox(V, step * 0.999))


@pytest.mark.parametrize("penalty", PENALTIES, ids=repr)
def test_value_is_a_norm_consistent_with_dual(penalty):
    """Hoelder: <G, W> <= norm(W) * dual_norm(G), tight for G = subgradient."""
    rng = np.random.RandomState(3)
    for _ in range(5):
        W, G = rng.randn(4, 3), rng.randn(4, 3)
        assert np.vdot(G, W) <= penalty.norm(W) * penalty.dual_norm(G) + 1e-12


def test_sparse_group_dual_norm_edge_cases():
    G = np.array([[3.0, -1.0, 0.5], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    assert SparseGroupNorm(1, 1.0).dual_norm(G) == pytest.approx(3.0)
    assert SparseGroupNorm(1, 0.0).dual_norm(G) == pytest.approx(np.linalg.norm(G[0]))
    assert SparseGroupNorm(1, 0.0, "linf").dual_norm(G) == pytest.approx(4.5)
    assert SparseGroupNorm(1, 0.5).dual_norm(np.zeros((2, 3))) == 0.0


def test_trace_norm_partial_svd_equals_full_svd(monkeypatch):
    rng = np.random.RandomState(4)
    V = rng.randn(300, 3) @ rng.randn(3, 120) + 0.01 * rng.randn(300, 120)
    penalty = TraceNorm(1.0)
    sigma = np.linalg.svd(V, compute_uv=False)
    step = 0.5 * (sigma[2] + sigma[3])  # keeps the 3 large values
    full = penalty.prox(V, step)
    monkeypatch.setattr(TraceNorm, "_PARTIAL_MIN_SIZE", 60)  # take the partial path
    partial = penalty.prox(V, step)
    np.testing.assert_allclose(partial, full, atol=1e-10)
    assert np.linalg.matrix_rank(partial) == 3
    monkeypatch.setattr(TraceNorm, "_PARTIAL_RANK", 2)  # too few: the full SVD follows
    np.testing.assert_allclose(penalty.prox(V, step), full, atol=1e-10)


@pytest.mark.parametrize("shape", [(27, 20), (20, 27), (6, 40)])
def test_trace_norm_prox_from_the_gram_equals_the_svd_definition(shape):
    """The prox from the eigendecomposition of the Gram matrix of V's short side
    equals ``U diag((sigma - threshold)_+) V^T`` from the SVD, on spectra spread over
    eight decades, for thresholds down to the Gram route's range and below it
    (where the SVD serves), at any scale of V."""
    rng = np.random.RandomState(5)
    k = min(shape)
    U = np.linalg.qr(rng.randn(shape[0], k))[0]
    Vt = np.linalg.qr(rng.randn(shape[1], k))[0].T
    sigma = np.logspace(0, -8, k)
    V = (U * sigma) @ Vt
    for threshold in (0.5, 1e-2, 1.01e-3, 1e-5):
        expected = (U * np.maximum(sigma - threshold, 0.0)) @ Vt
        prox = TraceNorm(2.0).prox(V, threshold / 2.0)
        np.testing.assert_allclose(prox, expected, rtol=0, atol=1e-13)
        # far from unit scale: the Gram of V itself would underflow or overflow
        for scale in (1e-165, 1e160):
            prox = TraceNorm(2.0).prox(scale * V, scale * threshold / 2.0)
            np.testing.assert_allclose(prox / scale, expected, rtol=0, atol=1e-13)


def test_a_penalty_without_a_conjugate_is_refused_by_name():
    """A user penalty with value and prox only: the solver names what the gap needs."""
    from skmtl import MultiTaskEstimator
    from skmtl.penalties import Penalty

    class Ridge(Penalty):
        def value(self, W):
            return float(np.sum(W**2))

        def prox(self, V, step):
            return V / (1 + 2 * step)

    X, Y = np.random.RandomState(0).randn(20, 3), np.random.RandomState(1).randn(20, 2)
    with pytest.raises(TypeError, match="Ridge does not implement conjugate"):
        MultiTaskEstimator(penalty=Ridge(), solver="fista").fit(X, Y)

    class NoValue(Ridge):  # (value was asked for mid-solve, by NotImplementedError)
        value = Penalty.value

    with pytest.raises(TypeError, match="NoValue does not implement value"):
        MultiTaskEstimator(penalty=NoValue()).fit(X, Y)


def test_row_declarations_are_checked_before_the_solve():
    """``row_separable`` on a plain Penalty (the row solvers' methods missing) and a
    row penalty with one weight per row but the default ``restrict`` (working sets and
    CD would pair rows with other rows' weights): TypeErrors that name the fix, not an
    AttributeError or a broadcasting error from inside a solver, nor a wrong fit."""
    from skmtl import MultiTaskEstimator
    from skmtl.penalties import L1, L21, Params, RowNormPenalty
    from skmtl.penalties.split import SplitPenalty

    pytest.importorskip("cvxpy")

    class RowFlag(Params, RowLasso):  # declared row_separable, not a RowNormPenalty
        row_separable = True

        def dual_norm_rows(self, G):
            return L21(self.alpha).dual_norm_rows(G)

    class WeightedRows(RowNormPenalty):  # sum_j weights_j ||W_j||, alpha = 1
        def __init__(self, weights):
            self.alpha, self.weights = 1.0, weights

        def norm(self, W):
            return float(self.weights @ np.linalg.norm(W, axis=1))

        def prox(self, V, step):
            norms = np.linalg.norm(V, axis=1)
            return V * np.maximum(1 - step * self.weights / np.maximum(norms, 1e-300), 0)[:, None]

        def dual_norm_rows(self, G):
            return np.linalg.norm(G, axis=1) / self.weights

        def cvxpy_norm(self, W):
            import cvxpy as cp

            return cp.sum(cp.multiply(self.weights, cp.norm(W, 2, axis=1)))

    X, Y = np.random.RandomState(0).randn(30, 4), np.random.RandomState(1).randn(30, 2)
    for solver in ("auto", "fista", "cd", "admm"):
        with pytest.raises(TypeError, match="free_rows, restrict, safe_rows.*RowNormPenalty"):
            MultiTaskEstimator(penalty=RowFlag(0.1), solver=solver).fit(X, Y)
        with pytest.raises(TypeError, match=r"WeightedRows.restrict\(rows\) is not the penalty"):
            MultiTaskEstimator(penalty=WeightedRows(np.arange(1.0, 5.0)), solver=solver).fit(X, Y)
        split = SplitPenalty(WeightedRows(np.arange(1.0, 5.0)), L1(0.1))  # (each part)
        with pytest.raises(TypeError, match=r"WeightedRows.restrict\(rows\) is not the penalty"):
            MultiTaskEstimator(penalty=split, solver=solver).fit(X, Y)

    class TaskWeighted(RowNormPenalty):  # per-column weights: every row alike
        def __init__(self, task_weights, groups=None):
            self.alpha, self.task_weights, self.groups = 1.0, task_weights, groups

        def norm(self, W):
            return float(np.linalg.norm(W * self.task_weights, axis=1).sum())

        def prox(self, V, step):  # (the scaled rows' prox, for the check only)
            return L21(1.0).prox(V, step)

        def dual_norm_rows(self, G):
            return np.linalg.norm(G / self.task_weights, axis=1)

    # no false alarm on a parameter as long as the rows (T = d) or a ragged list
    X3, Y3 = X[:, :3], np.random.RandomState(2).randn(30, 3)
    penalty = TaskWeighted(np.array([1.0, 2.0, 3.0]), groups=[[0, 1], [2]])
    MultiTaskEstimator(penalty=penalty, solver="cd", max_iter=5).fit(X3, Y3)

    class Restricted(WeightedRows):
        def restrict(self, rows):
            return Restricted(self.weights[rows])

    weights = np.array([0.05, 0.1, 0.2, 0.4])
    for solver in ("auto", "cd", "admm", "fista"):  # then each matches cvxpy
        model = MultiTaskEstimator(penalty=Restricted(weights), solver=solver, tol=1e-10)
        reference = MultiTaskEstimator(penalty=Restricted(weights), solver="cvxpy")
        objective = reference.fit(X, Y).objective_
        assert abs(model.fit(X, Y).objective_ - objective) <= 1e-7 * abs(objective)


def test_a_wrong_conjugate_is_flagged_by_its_negative_gap():
    """An L1 norm written as a plain Penalty (conjugate 0 everywhere, the default
    dual_scale): its dual objective can exceed the primal one, which weak duality
    forbids; the fit says so instead of reporting a negative gap as a certificate.
    The NormPenalty L1 fits silently."""
    import warnings

    from skmtl import MultiTaskEstimator
    from skmtl.datasets import make_joint_sparse
    from skmtl.penalties import Penalty

    class NaiveL1(Penalty):
        def __init__(self, alpha):
            self.alpha = alpha

        def value(self, W):
            return self.alpha * np.abs(W).sum()

        def prox(self, V, step):
            return np.sign(V) * np.maximum(np.abs(V) - step * self.alpha, 0)

        def conjugate(self, G):
            return 0.0  # (the indicator of the dual ball: +inf outside it)

    X, Y, _, _ = make_joint_sparse(
        n_tasks=4,
        n_samples=80,
        n_features=40,
        n_informative=4,
        shared_design=True,
        random_state=0,
    )
    with pytest.warns(UserWarning, match="duality gap is negative"):
        naive = MultiTaskEstimator(penalty=NaiveL1(0.01)).fit(X, Y)
    assert naive.dual_gap_ < -naive.gap_threshold_
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        MultiTaskEstimator(penalty=L1(0.01)).fit(X, Y)


@pytest.mark.parametrize("solver", ["auto", "cvxpy"])
def test_penalties_keep_no_state(solver):
    """Fitting leaves the penalty objects exactly as they were."""
    import copy

    from skmtl import MultiTaskEstimator
    from skmtl.penalties import L1, SplitPenalty, TraceNorm

    X, Y = np.random.RandomState(0).randn(30, 4), np.random.RandomState(1).randn(30, 3)
    for penalty in (TraceNorm(0.1), SplitPenalty(TraceNorm(0.1), L1(0.05))):
        before = copy.deepcopy(vars(penalty))
        MultiTaskEstimator(penalty=penalty, solver=solver).fit(X, Y)
        assert vars(penalty).keys() == before.keys()


@pytest.mark.parametrize("seed", range(40))
def test_water_fill_solves_its_equation(seed):
    """``x = clip(a tau - shift, low, high)`` sums to ``total``, with ``tau`` found
    independently by bisection; zero entries (padded spectra) all take one value."""
    from scipy.optimize import brentq

    from skmtl.penalties.spectral import water_fill

    rng = np.random.RandomState(seed)
    n = rng.randint(2, 70)
    a = np.zeros(n)
    k = rng.randint(1, n + 1)
    a[:k] = rng.exponential(size=k) * 10 ** rng.uniform(-3, 3)
    shift = 10 ** rng.uniform(-3, 1)
    low, high = (0.0, 1.0) if seed % 2 else (rng.uniform(0, 0.5), rng.uniform(1, 3))
    total = rng.uniform(low * n, min(high * n, high * k + min(max(-shift, low), high) * (n - k)))
    x = water_fill(a, shift, total, low, high)
    np.testing.assert_allclose(x.sum(), total, rtol=1e-12)

    def excess(tau):
        return np.clip(a * tau - shift, low, high).sum() - total

    tau = brentq(excess, 0.0, (high + shift) / a[a > 0].min(), xtol=1e-15, rtol=1e-15)
    np.testing.assert_allclose(x, np.clip(a * tau - shift, low, high), atol=1e-9)


@pytest.mark.parametrize("shape", [(1, 7), (7, 1), (1, 1), (3, 5), (5, 3)])
@pytest.mark.parametrize("zero", [False, True])
def test_thin_svd_and_singular_values_match_numpy(shape, zero):
    """A single row or column takes the vector fast path: the same factors' product,
    orthonormal factors and numpy's singular values (also for the zero matrix)."""
    from skmtl.penalties.spectral import singular_values, thin_svd

    A = np.zeros(shape) if zero else np.random.RandomState(0).randn(*shape)
    U, sigma, Vt = thin_svd(A)
    k = min(shape)
    assert U.shape == (shape[0], k) and sigma.shape == (k,) and Vt.shape == (k, shape[1])
    np.testing.assert_allclose((U * sigma) @ Vt, A, atol=1e-14)
    np.testing.assert_allclose(U.T @ U, np.eye(k), atol=1e-14)
    np.testing.assert_allclose(Vt @ Vt.T, np.eye(k), atol=1e-14)
    expected = np.linalg.svd(A, compute_uv=False)
    np.testing.assert_allclose(sigma, expected, atol=1e-14)
    np.testing.assert_allclose(singular_values(A), expected, atol=1e-14)


def test_penalties_that_multitaskestimator_cannot_take_are_named():
    from skmtl import MultiTaskEstimator
    from skmtl.penalties import (
        BlockMCP,
        MeanPenalty,
        Penalty,
        QuadraticPenalty,
        RowCappedL1,
        for_classes,
    )

    rng = np.random.RandomState(0)
    X, tasks = rng.randn(30, 3), np.arange(30) % 3
    y = X[:, 0] + rng.randn(30)
    for penalty, match in (
        (BlockMCP(0.1), "non-convex.*BlockMCPRegressor"),
        (RowCappedL1(0.1), "non-convex.*CappedL1Regressor"),
        (for_classes(MeanPenalty(3), 3), "TaskBlocks is built by the estimators"),
    ):
        with pytest.raises(ValueError, match=match):
            MultiTaskEstimator(penalty=penalty).fit(X, y, tasks=tasks)

    class Ridge(Penalty):  # declares quadratic, without its matrix M
        quadratic = True

        def value(self, W):
            return 0.5 * np.sum(W * W)

        def prox(self, V, step):
            return V / (1.0 + step)

        def conjugate(self, G):
            return 0.5 * np.sum(G * G)

    with pytest.raises(TypeError, match="Ridge declares quadratic = True but has no matrix M"):
        MultiTaskEstimator(penalty=Ridge()).fit(X, y, tasks=tasks)
    # every penalty prints its parameters, matrices by their shape
    assert repr(MeanPenalty(4, alpha=2.0)) == (
        "MeanPenalty(n_tasks=4, alpha=2.0, beta=1.0, allow_singular=False)"
    )
    assert "M=<array of shape (4, 4)>" in repr(QuadraticPenalty(np.eye(4)))


def test_penalty_parameters_are_nested_estimator_parameters():
    """GridSearchCV over penalty__alpha: each point is the fit with that penalty,
    the user's penalty untouched; a bad value raises and leaves the penalty."""
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    from skmtl import MultiTaskEstimator
    from skmtl.penalties import (
        ClusterPenalty,
        FusedSparseGroupNorm,
        GraphPenalty,
        MeanPenalty,
        SparseGroupNorm,
        SubspacePenalty,
        TaskCovariancePenalty,
        WeightedL21,
    )

    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y = X[:, 0] - X[:, 1] + rng.randn(60)
    penalty = L21(0.1)
    model = MultiTaskEstimator(penalty=penalty)
    search = GridSearchCV(model, {"penalty__alpha": [0.01, 0.3]}, cv=3).fit(X, y)
    best = search.best_params_["penalty__alpha"]
    refit = MultiTaskEstimator(penalty=L21(best)).fit(X, y)
    np.testing.assert_allclose(search.best_estimator_.coef_, refit.coef_, rtol=1e-10)
    assert penalty.alpha == 0.1
    with pytest.raises(ValueError, match="alpha must be a finite number >= 0"):
        model.set_params(penalty__alpha=-1.0)
    assert penalty.alpha == 0.1
    for built_in in (  # clone's check: the constructor keeps each parameter as given
        SparseGroupNorm(0.1, 0.5),
        WeightedL21(0.1, np.ones(4)),
        MeanPenalty(3, 0.5, 0.1),
        GraphPenalty(np.ones((3, 3)) - np.eye(3), 0.5, 0.1),
        ClusterPenalty(1.0, 2.0, 2),
        SubspacePenalty(1.0, 2.0, 2),
        TaskCovariancePenalty(1.0, 2.0),
        FusedSparseGroupNorm(0.1, 0.2, 0.3),
        TraceNorm(0.2),
    ):
        copy = clone(built_in)
        assert copy is not built_in and repr(copy) == repr(built_in)


def test_a_users_penalty_is_tuned_by_its_nested_parameters():
    """A Penalty subclass that takes Params first (as the add-a-penalty tutorial's)
    gets get_params/set_params: GridSearchCV tunes penalty__alpha, each point the
    fit with that penalty. One without Params is cloned by copy, with its settings
    (those made after construction too), and asking for its nested parameters
    names the fix."""
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV, cross_val_score

    from skmtl import MultiTaskEstimator
    from skmtl.penalties import Params

    class TunableRowLasso(Params, RowLasso):
        pass

    rng = np.random.RandomState(0)
    X = rng.randn(60, 4)
    y = X[:, 0] - X[:, 1] + rng.randn(60)
    penalty = TunableRowLasso(0.1)
    assert penalty.get_params() == {"alpha": 0.1}
    model = MultiTaskEstimator(penalty=penalty, tol=1e-10)
    search = GridSearchCV(model, {"penalty__alpha": [0.01, 0.3, 1.0]}, cv=3).fit(X, y)
    builtin = GridSearchCV(MultiTaskEstimator(penalty=L21(), tol=1e-10), search.param_grid, cv=3)
    builtin.fit(X, y)
    np.testing.assert_allclose(
        search.cv_results_["mean_test_score"], builtin.cv_results_["mean_test_score"], rtol=1e-8
    )
    np.testing.assert_allclose(
        search.best_estimator_.coef_, builtin.best_estimator_.coef_, rtol=1e-8
    )
    assert penalty.alpha == 0.1  # the user's object untouched
    # without Params: copied as it is, a setting made after construction included
    plain = RowLasso()
    plain.alpha = 0.1
    assert not hasattr(plain, "get_params")
    assert clone(MultiTaskEstimator(penalty=plain)).penalty.alpha == 0.1
    scores = cross_val_score(MultiTaskEstimator(penalty=plain, tol=1e-10), X, y, cv=3)
    reference = MultiTaskEstimator(penalty=L21(0.1), tol=1e-10)
    np.testing.assert_allclose(scores, cross_val_score(reference, X, y, cv=3), rtol=1e-8)
    with pytest.raises(ValueError, match=r"RowLasso has no set_params.*Params"):
        MultiTaskEstimator(penalty=plain).set_params(penalty__alpha=0.3)
    with pytest.raises(ValueError, match=r"penalty is None.*penalty=L21\(\)"):
        MultiTaskEstimator().set_params(penalty__alpha=0.3)


def test_set_params_leaves_no_state_of_the_old_values():
    """A penalty's set_params rebuilds it: a matrix cached from the old strengths
    goes (MeanPenalty.M kept the old alpha's, so a refit used a stale gradient)."""
    from skmtl.penalties import MeanPenalty

    penalty = MeanPenalty(3, alpha=1.0, beta=0.1)
    _ = penalty.M  # cached
    penalty.set_params(alpha=100.0)
    np.testing.assert_allclose(penalty.M, MeanPenalty(3, alpha=100.0, beta=0.1).M)


def test_fit_checks_values_assigned_after_construction():
    """``penalty.alpha = -1`` skips the constructor's checks; fit runs them again
    (a negative strength fitted a model of negative objective, blamed on the gap)."""
    from conftest import make_tasks

    from skmtl import GroupLassoRegressor, MultiTaskEstimator
    from skmtl.losses import HuberLoss

    X, y, tasks = make_tasks(seed=0)
    penalty = L21(0.1)
    penalty.alpha = -1.0
    with pytest.raises(ValueError, match=r"penalty=L21\(alpha=-1.0\) is invalid: alpha must"):
        MultiTaskEstimator(penalty=penalty).fit(X, y, tasks=tasks)
    # a value that passes is the one fitted (a graph penalty's eigendecomposition
    # was the old alpha's): the fit equals set_params'
    from skmtl.penalties import GraphPenalty

    T = len(np.unique(tasks))
    graph = GraphPenalty(np.ones((T, T)) - np.eye(T), alpha=1.0, beta=0.1)
    graph.alpha = 50.0
    assigned = MultiTaskEstimator(penalty=graph, tol=1e-10).fit(X, y, tasks=tasks)
    graph_set = GraphPenalty(np.ones((T, T)) - np.eye(T), alpha=1.0, beta=0.1)
    expected = MultiTaskEstimator(penalty=graph_set.set_params(alpha=50.0), tol=1e-10)
    np.testing.assert_allclose(assigned.coef_, expected.fit(X, y, tasks=tasks).coef_, atol=1e-8)
    loss = HuberLoss(1.0)
    loss.epsilon = 0.0
    with pytest.raises(ValueError, match=r"loss=HuberLoss\(epsilon=0.0\) is invalid: epsilon"):
        GroupLassoRegressor(loss=loss).fit(X, y, tasks=tasks)


def test_a_penalty_whose_constructor_takes_args_is_fitted_as_given():
    """A constructor that keywords cannot call (``*args``) is not rebuilt at fit."""
    from conftest import make_tasks

    from skmtl import MultiTaskEstimator

    class Scaled(L21):
        def __init__(self, *scales, alpha=1.0):
            if not scales:
                raise ValueError("give at least one scale")
            super().__init__(alpha * scales[0])
            self.scales = scales

    X, y, tasks = make_tasks(seed=0)
    fitted = MultiTaskEstimator(penalty=Scaled(2.0, alpha=0.05), tol=1e-10).fit(X, y, tasks=tasks)
    plain = MultiTaskEstimator(penalty=L21(0.1), tol=1e-10).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(fitted.coef_, plain.coef_, atol=1e-10)


def test_a_users_penalty_is_checked_but_fitted_as_given():
    """Rebuilt from get_params, a penalty of one's own could lose what its
    constructor does not store (here **options): it is checked, not replaced."""
    from conftest import make_tasks

    from skmtl import MultiTaskEstimator

    class Scaled(L21):
        def __init__(self, alpha=1.0, **options):
            super().__init__(alpha)
            self.scale = options.get("scale", 1.0)

        def norm(self, W):
            return self.scale * super().norm(W)

        def dual_norm(self, G):
            return super().dual_norm(G) / self.scale

        def dual_norm_rows(self, G):
            return super().dual_norm_rows(G) / self.scale

        def prox(self, V, step):
            return super().prox(V, step * self.scale)

    X, y, tasks = make_tasks(seed=0)
    scaled = MultiTaskEstimator(penalty=Scaled(0.01, scale=10.0), tol=1e-10, solver="fista")
    plain = MultiTaskEstimator(penalty=L21(0.1), tol=1e-10, solver="fista")
    np.testing.assert_allclose(
        scaled.fit(X, y, tasks=tasks).coef_, plain.fit(X, y, tasks=tasks).coef_, atol=1e-8
    )


@pytest.mark.parametrize("alpha, beta", [(0.7, 0.05), (1e-3, 4.0)])
def test_mean_penalty_equals_its_matrix_form(alpha, beta):
    """The mean penalty works on the mean and the deviations (O(d T)); each method
    equals the T x T matrix form tr(W M W^T) it stands for."""
    from skmtl.penalties import MeanPenalty, QuadraticPenalty
    from skmtl.penalties.quadratic import mean_matrix

    T = 6
    mean, dense = MeanPenalty(T, alpha, beta), QuadraticPenalty(mean_matrix(T, alpha, beta))
    W = np.random.RandomState(0).randn(4, T)
    np.testing.assert_allclose(mean.value(W), dense.value(W), rtol=1e-12)
    np.testing.assert_allclose(mean.gradient(W), dense.gradient(W), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mean.prox(W, 0.3), dense.prox(W, 0.3), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(mean.conjugate(W), dense.conjugate(W), rtol=1e-12)
    np.testing.assert_allclose(mean.lipschitz(), dense.lipschitz(), rtol=1e-12)
    np.testing.assert_allclose(mean.M, dense.M, rtol=1e-12)
    with pytest.raises(ValueError, match="positive definite"):
        MeanPenalty(T, alpha, 0.0)


def test_mean_model_on_one_task_is_ridge_whatever_alpha():
    """One task has no deviations from the mean: alpha=0 is allowed and the model is
    scikit-learn's Ridge with alpha = 2 n beta (it raised 'add a ridge term' for a
    while, beta > 0 given)."""
    from sklearn.linear_model import Ridge

    from skmtl import MeanRegularizedRegressor
    from skmtl.penalties import MeanPenalty

    rng = np.random.RandomState(0)
    X, y = rng.randn(30, 4), rng.randn(30)
    ours = MeanRegularizedRegressor(alpha=0.0, beta=0.1).fit(X, y)
    ridge = Ridge(alpha=2 * 30 * 0.1).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ridge.coef_, rtol=1e-9)
    one = MeanPenalty(1, 0.0, 0.1)
    assert one.lipschitz() == pytest.approx(0.2)
    assert one.conjugate(np.ones((4, 1))) == pytest.approx(4 / (4 * 0.1))
