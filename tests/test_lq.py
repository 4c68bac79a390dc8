"""L1/Lq (group_norm=q): the prox against cvxpy and its optimality conditions, the
optimum against cvxpy for both losses, q = 2 against L2,1, large q against L1/Linf."""

import numpy as np
import pytest
from conftest import check_fista_against_cvxpy, make_tasks

from skmtl import GroupLassoClassifier, GroupLassoRegressor, MultiTaskEstimator
from skmtl.penalties import L1Lq
from skmtl.penalties.lq import lq_prox, project_lp_ball

ESTIMATORS = {"squared": GroupLassoRegressor, "logistic": GroupLassoClassifier}


def _rows(seed, n=40, T=7):
    rng = np.random.RandomState(seed)
    V = rng.randn(n, T) * rng.choice([1e-3, 1.0, 1e3], size=(n, 1))
    V[0] = 0.0
    V[1, :3] = 0.0  # zero entries
    return V


@pytest.mark.parametrize("q", [1.2, 1.5, 2.0, 3.0, 10.0])
def test_prox_meets_its_optimality_conditions(q):
    V, t = _rows(0), 0.7
    P = lq_prox(V * 1.0, t, q)
    p = q / (q - 1)
    G = V - P  # must lie in t * subdifferential of ||.||_q at P
    dual = np.sum(np.abs(G) ** p, axis=1) ** (1 / p)
    primal = np.sum(np.abs(P) ** q, axis=1) ** (1 / q)
    nonzero = primal > 0
    scale = np.abs(V).max(axis=1)
    # zero rows: ||V_j||_p <= t; the others: ||G_j||_p = t and <G_j, P_j> = t ||P_j||_q
    assert np.all(dual[~nonzero] <= t * (1 + 1e-12))
    np.testing.assert_allclose(dual[nonzero], t, rtol=1e-12)
    inner = np.sum(G * P, axis=1)
    assert np.all(np.abs(inner - t * primal)[nonzero] <= 1e-12 * (t * primal + scale**2)[nonzero])
    assert nonzero.sum() > 10 and (~nonzero).sum() > 3


@pytest.mark.parametrize("q", [1.5, 3.0])
def test_prox_matches_cvxpy(q):
    cp = pytest.importorskip("cvxpy")
    V, t = _rows(1, n=6, T=5), 0.9
    V[2:] = np.random.RandomState(2).randn(4, 5)
    P = lq_prox(V, t, q)
    for j in range(len(V)):
        x = cp.Variable(V.shape[1])
        objective = 0.5 * cp.sum_squares(x - V[j]) + t * cp.norm(x, q)
        cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL, tol_gap_rel=1e-10)
        # the conic solver is the less accurate of the two (its power cones): ours
        # is at least as good in objective, and close
        mine = 0.5 * np.sum((P[j] - V[j]) ** 2) + t * np.linalg.norm(P[j], q)
        assert mine <= objective.value + 1e-10 * max(1.0, objective.value)
        np.testing.assert_allclose(P[j], x.value, atol=1e-4 * max(1.0, np.abs(V[j]).max()))


def test_projection_inside_the_ball_is_the_identity():
    V = np.random.RandomState(3).randn(5, 4)
    np.testing.assert_array_equal(project_lp_ball(V, 100.0, 1.5), V)
    assert not project_lp_ball(V, 0.0, 3.0).any()


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("q", [1.5, 3.0])
def test_objective_matches_cvxpy(loss, q):
    pytest.importorskip("cvxpy")
    alpha = 0.1 if loss == "squared" else 0.02
    est = ESTIMATORS[loss]
    check_fista_against_cvxpy(
        lambda **kw: est(alpha=alpha, group_norm=q, **kw),
        loss,
        "dense",
        seed=0,
        max_iter=20000,
    )


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_q_two_equals_l21(loss):
    X, y, tasks = make_tasks(loss=loss, seed=4)
    alpha = 0.1 if loss == "squared" else 0.02
    est = ESTIMATORS[loss]
    lq = MultiTaskEstimator(loss=loss, penalty=L1Lq(alpha, 2.0), tol=1e-12, max_iter=20000)
    lq.fit(X, y, tasks=tasks)
    l2 = est(alpha=alpha, group_norm="l2", tol=1e-12, max_iter=20000).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(lq.coef_, l2.coef_, atol=1e-7)
    assert lq.objective_ == pytest.approx(l2.objective_, rel=1e-10)


def test_group_norm_two_and_inf_are_l2_and_linf():
    """The numbers 2 and inf name the L2,1 and L1/Linf norms (also mixed with L1)."""
    for q, name in ((2, "l2"), (2.0, "l2"), (np.inf, "linf")):
        for l1_ratio in (0.0, 0.5):
            number = GroupLassoRegressor(group_norm=q, l1_ratio=l1_ratio)._make_penalty(3, 5)
            text = GroupLassoRegressor(group_norm=name, l1_ratio=l1_ratio)._make_penalty(3, 5)
            assert repr(number) == repr(text)


def test_large_q_approaches_l1_linf():
    X, y, tasks = make_tasks(seed=5)
    linf = GroupLassoRegressor(alpha=0.1, group_norm="linf", tol=1e-10).fit(X, y, tasks=tasks)
    gaps = []
    for q in (4.0, 64.0):
        lq = GroupLassoRegressor(alpha=0.1, group_norm=q, tol=1e-10, max_iter=20000)
        gaps.append(np.abs(lq.fit(X, y, tasks=tasks).coef_ - linf.coef_).max())
    assert gaps[1] < 0.2 * gaps[0]
    assert gaps[1] < 0.05 * np.abs(linf.coef_).max()


def test_zero_exactly_above_alpha_max():
    X, y, tasks = make_tasks(seed=6)
    model = GroupLassoRegressor(group_norm=3.0)
    alpha_max = model.alpha_max(X, y, tasks=tasks)
    assert not model.set_params(alpha=alpha_max * 1.001).fit(X, y, tasks=tasks).coef_.any()
    assert model.set_params(alpha=alpha_max * 0.95).fit(X, y, tasks=tasks).coef_.any()


@pytest.mark.parametrize("group_norm", [1.0, 0.5, -np.inf, np.nan, "l3", True])
def test_bad_group_norm_names_the_argument(group_norm):
    X, y, tasks = make_tasks(seed=7)
    with pytest.raises(ValueError, match="group_norm"):
        GroupLassoRegressor(group_norm=group_norm).fit(X, y, tasks=tasks)


def test_numeric_group_norm_with_mixed_l1_ratio_raises():
    X, y, tasks = make_tasks(seed=7)
    with pytest.raises(ValueError, match="l1_ratio"):
        GroupLassoRegressor(group_norm=3.0, l1_ratio=0.5).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="q must"):
        L1Lq(1.0, 1.0)
