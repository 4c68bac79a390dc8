"""The fused sparse group lasso over time (cFSGL): the exact 1-D total-variation prox,
the composed prox and dual norm, and the model against cvxpy."""

from functools import partial

import numpy as np
import pytest
from conftest import check_fista_against_cvxpy, make_tasks
from test_malsar import check_input_forms

from skmtl import (
    FusedSparseGroupLassoClassifier,
    FusedSparseGroupLassoRegressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
)
from skmtl.penalties import FusedSparseGroupNorm
from skmtl.penalties._tv import tv_prox_condat
from skmtl.penalties.fused import tv_prox


def _tv_rows():
    rng = np.random.RandomState(0)
    rows = [rng.randn(30, 8), np.round(rng.randn(20, 8)), 3 * rng.randn(10, 8)]
    special = [
        np.ones(8),  # constant
        [1, 1, 2, 2, 1, 1, 0, 0],  # ties
        [0, 0, 0, 5, 5, 5, 0, 0],
        np.arange(8.0),  # a ramp
        [1e-3, -1e-3] * 4,
    ]
    return np.vstack(rows + [np.asarray(special, float)])


def test_tv_prox_is_optimal():
    """Optimality certificate: ``y - x = D^T u`` with ``|u| <= lam`` and ``u = lam *
    sign`` of every jump of ``x``; ``u`` is minus the running sum of ``y - x``."""
    Y = _tv_rows()
    lam = np.random.RandomState(1).uniform(0.05, 2.0, len(Y))
    X = tv_prox(Y, lam)
    c = np.cumsum(Y - X, axis=1)
    scale = 1e-10 * (1 + np.abs(Y).max())
    assert np.all(np.abs(c[:, -1]) <= scale)
    assert np.all(np.abs(c[:, :-1]) <= lam[:, None] + scale)
    jumps = np.diff(X, axis=1)
    up, down = jumps > 1e-12, jumps < -1e-12
    assert np.all(np.abs((c[:, :-1] + lam[:, None])[up]) <= scale)
    assert np.all(np.abs((c[:, :-1] - lam[:, None])[down]) <= scale)
    assert np.any(up) and np.any(down) and np.any(np.abs(jumps) <= 1e-12)


def test_tv_prox_against_cvxpy_and_edge_cases():
    cp = pytest.importorskip("cvxpy")
    Y = _tv_rows()[::7]
    for y in Y:
        x = cp.Variable(len(y))
        cp.Problem(cp.Minimize(0.5 * cp.sum_squares(x - y) + 0.7 * cp.norm1(cp.diff(x)))).solve()
        np.testing.assert_allclose(tv_prox(y[None], 0.7)[0], x.value, atol=1e-6)
    # one time point: the identity; a huge strength: the row mean
    np.testing.assert_array_equal(tv_prox(Y[:, :1], 1.0), Y[:, :1])
    big = tv_prox(Y, 1e6)
    np.testing.assert_allclose(big, np.repeat(Y.mean(axis=1, keepdims=True), 8, axis=1))
    np.testing.assert_allclose(tv_prox(Y, 0.0), Y, rtol=0, atol=1e-12)


def test_tv_prox_of_two_time_points():
    """Two time points (two tasks) leave one difference per row; with one row, the
    Newton system has one equation, which LAPACK's gtsv refused (a ValueError from
    every fused model on two tasks): the prox is Condat's, and a fit matches cvxpy."""
    Y = np.array([[0.0, 1.0]])
    for lam in (0.1, 0.6):
        np.testing.assert_allclose(tv_prox(Y, lam), tv_prox_condat(Y, np.array([lam])))
    pytest.importorskip("cvxpy")
    for loss in ("squared", "logistic"):
        X, y, tasks = make_tasks(n_tasks=2, loss=loss, seed=4)
        ours = _fused(loss, tol=1e-10).fit(X, y, tasks=tasks)
        ref = _fused(loss, solver="cvxpy").fit(X, y, tasks=tasks)
        assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6


def test_tv_prox_newton_matches_condat():
    """The projected-Newton prox and Condat's direct algorithm (exact by
    construction) agree to round-off: random, random-walk and piecewise-constant
    rows, strengths from 1e-4 to 10 times the data's scale (one row unpenalized)."""
    rng = np.random.RandomState(3)
    for kind in range(3):
        for T in (2, 3, 17, 140):
            Y = rng.randn(25, T) * 10.0 ** rng.uniform(-3, 3)
            if kind == 1:
                Y = Y.cumsum(axis=1)
            if kind == 2:
                steps = np.repeat(rng.randn(25, 5), -(-T // 5), axis=1)[:, :T]
                Y = steps * np.abs(Y).max() + 1e-3 * Y
            lam = np.abs(Y).max() * 10.0 ** rng.uniform(-4, 1, 25)
            lam[0] = 0.0
            scale = np.abs(Y).max() + lam.max()
            assert np.abs(tv_prox(Y, lam) - tv_prox_condat(Y, lam)).max() <= 1e-13 * scale


def _bisected_dual_norm_rows(penalty, G, steps=100):
    """The smallest ``nu`` whose prox maps each row to zero, by plain bisection."""
    low, high = (
        np.zeros(len(G)),
        np.sqrt((G**2).sum(axis=1)) / max(penalty.alpha_l1, penalty.alpha_l21),
    )
    for _ in range(steps):
        mid = 0.5 * (low + high)
        zero = ~np.any(
            np.vstack([penalty.prox(g[None], m) for g, m in zip(G, mid, strict=True)]), axis=1
        )
        high, low = np.where(zero, mid, high), np.where(zero, low, mid)
    return high


@pytest.mark.parametrize("strengths", [(0.3, 0.5, 0.4), (0.0, 2.0, 0.1), (0.3, 0.5, 0.0)])
def test_fused_dual_norm_newton_is_a_tight_upper_bound(strengths):
    penalty = FusedSparseGroupNorm(*strengths)
    rng = np.random.RandomState(4)
    G = np.vstack([rng.randn(12, 30) * 10.0 ** rng.uniform(-3, 3, (12, 1)), np.zeros((1, 30))])
    ours, ref = penalty.dual_norm_rows(G), _bisected_dual_norm_rows(penalty, G)
    # feasible (the prox at it is zero) and within 1e-11 of the bisection's
    for g, nu in zip(G, ours, strict=True):
        assert not np.any(penalty.prox(g[None], nu))
    np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=0)


@pytest.mark.parametrize("strengths", [(0.3, 0.5, 0.4), (0.0, 0.5, 0.4), (0.3, 0.5, 0.0)])
def test_fused_prox_and_dual_norm_match_cvxpy(strengths):
    cp = pytest.importorskip("cvxpy")
    rng = np.random.RandomState(2)
    penalty = FusedSparseGroupNorm(*strengths)
    V, step = rng.randn(10, 6), 0.7

    def prox_objective(W):
        return np.sum((W - V) ** 2) / (2 * step) + penalty.value(W)

    W = cp.Variable((10, 6))
    cp.Problem(cp.Minimize(cp.sum_squares(W - V) / (2 * step) + penalty.cvxpy(W))).solve()
    ours = penalty.prox(V, step)
    assert prox_objective(ours) <= prox_objective(W.value) + 1e-9
    np.testing.assert_allclose(ours, W.value, atol=1e-5)
    G = rng.randn(10, 6)
    U = cp.Variable((10, 6))
    support = cp.Problem(cp.Maximize(cp.sum(cp.multiply(G, U))), [penalty.cvxpy(U) <= 1])
    support.solve()
    assert penalty.dual_norm_rows(G).max() == pytest.approx(support.value, rel=1e-7)


def _fused(loss, **kw):
    scale = 2.0 if loss == "squared" else 1.0
    Est = FusedSparseGroupLassoRegressor if loss == "squared" else FusedSparseGroupLassoClassifier
    params = dict(alpha_l1=0.03 * scale, alpha_fused=0.1 * scale, alpha_l21=0.05 * scale)
    return Est(**{**params, **kw})


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("variant", ["dense", "sparse+weights"])
def test_fused_matches_cvxpy(loss, variant):
    ours = check_fista_against_cvxpy(partial(_fused, loss), loss, variant, seed=3, max_iter=10**5)
    W = ours.coef_.T
    assert 0 < np.count_nonzero(W) < W.size
    assert np.any(np.diff(W, axis=1) == 0)  # fused: equal effects at consecutive times


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_no_fusion_is_the_sparse_group_lasso(loss):
    X, y, tasks = make_tasks(loss=loss, seed=11)
    ours = _fused(loss, alpha_fused=0.0, tol=1e-12).fit(X, y, tasks=tasks)
    GroupLasso = GroupLassoRegressor if loss == "squared" else GroupLassoClassifier
    total = ours.alpha_l1 + ours.alpha_l21
    ref = GroupLasso(alpha=total, l1_ratio=ours.alpha_l1 / total, tol=1e-12)
    np.testing.assert_allclose(ours.coef_, ref.fit(X, y, tasks=tasks).coef_, atol=1e-8)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_fused_zero_from_alpha_max(loss):
    X, y, tasks = make_tasks(loss=loss, seed=12)
    model = _fused(loss, tol=1e-10)
    factor = model.alpha_max(X, y, tasks=tasks)  # common factor of the three strengths
    strengths = {k: v * factor for k, v in model.get_params().items() if k.startswith("alpha_")}
    assert not np.any(
        model.set_params(**{k: v * 1.0001 for k, v in strengths.items()})
        .fit(X, y, tasks=tasks)
        .coef_
    )
    assert np.any(
        model.set_params(**{k: v * 0.99 for k, v in strengths.items()}).fit(X, y, tasks=tasks).coef_
    )


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_fused_input_forms(loss):
    check_input_forms(partial(_fused, loss, tol=1e-10), loss)


def test_fused_bad_input():
    X, y, tasks = make_tasks(seed=0)
    with pytest.raises(ValueError, match="cannot both be 0"):
        FusedSparseGroupLassoRegressor(alpha_l1=0.0, alpha_l21=0.0).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="alpha_fused"):
        FusedSparseGroupLassoRegressor(alpha_fused=-1.0).fit(X, y, tasks=tasks)


def test_disease_progression_generator():
    from skmtl.datasets import make_disease_progression

    X, Y, coef = make_disease_progression(n_samples=400, dropout=0.2, random_state=0)
    assert X.shape == (400, 20) and Y.shape == (400, 6) and coef.shape == (6, 20)
    # the informative features matter at every time point, each piecewise constant
    assert np.count_nonzero(np.any(coef, axis=0)) == 5
    assert np.all(np.count_nonzero(coef, axis=1) == 5)
    # dropout: the first visit complete, labels only thinning out over time
    missing = np.isnan(Y)
    assert not missing[:, 0].any() and np.all(np.diff(missing.mean(axis=0)) >= 0)
    assert np.all(missing[:, :-1] <= missing[:, 1:])  # once gone, gone
    # fitted on the wide Y with NaN: the fused model keeps the strong effects and
    # drops most of the uninformative features
    model = FusedSparseGroupLassoRegressor(alpha_l1=0.02, alpha_fused=0.05, alpha_l21=0.3)
    kept = np.any(model.fit(X, Y).coef_, axis=0)
    assert np.all(kept[np.abs(coef).mean(axis=0) > 0.3])
    assert np.count_nonzero(kept & ~np.any(coef, axis=0)) < 5
    with pytest.raises(ValueError, match="dropout"):
        make_disease_progression(dropout=1.0)


def test_alpha_max_scales_the_three_strengths_together():
    """The model has no alpha: alpha_max is the factor of all three strengths at
    which every coefficient is zero (nonzero just below it)."""
    from skmtl import FusedSparseGroupLassoRegressor
    from skmtl.datasets import make_joint_sparse

    X, y, tasks, _ = make_joint_sparse(n_tasks=4, n_samples=30, n_features=6, random_state=0)
    strengths = dict(alpha_l1=0.02, alpha_fused=0.3, alpha_l21=0.05)
    c = FusedSparseGroupLassoRegressor(**strengths).alpha_max(X, y, tasks)
    for factor, zero in ((1.0, True), (0.99, False)):
        scaled = {k: v * c * factor for k, v in strengths.items()}
        fitted = FusedSparseGroupLassoRegressor(**scaled, tol=1e-8).fit(X, y, tasks=tasks)
        assert (np.abs(fitted.coef_).max() == 0) == zero
