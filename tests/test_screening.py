"""Gap-safe screening: rows it discards are zero at the optimum, and it discards."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_tasks

from skmtl import GroupLassoClassifier, GroupLassoRegressor
from skmtl._datafit import DesignDatafit
from skmtl._inputs import build_task_data
from skmtl.losses import LogisticLoss, SquaredLoss
from skmtl.penalties import L1, L21
from skmtl.solvers.fista import duality_gap, fista
from skmtl.solvers.working_set import safe_rows


def test_column_norms():
    X, y, tasks = make_tasks(seed=80, offset=2.0)
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    data, _ = build_task_data(sp.csr_matrix(X), y, tasks, sw, loss=SquaredLoss())
    norms = DesignDatafit(SquaredLoss(), data, True).column_norms()
    for t in range(3):
        rows = tasks == t
        w = sw[rows] / sw[rows].sum()
        Xc = X[rows] - w @ X[rows]
        np.testing.assert_allclose(norms[:, t], np.sqrt(w @ Xc**2), rtol=1e-10)


@pytest.mark.parametrize("n", [20, 150])  # under d / 2: theta is centred, not X^T theta
def test_shared_gradient_with_weights_and_centering(n):
    rng = np.random.RandomState(3)
    d, T = 60, 3
    X, Y = rng.randn(n, d) + 2.0, rng.randn(n, T) + 1.0
    sw = rng.uniform(0.5, 2.0, n)
    data, _ = build_task_data(X, Y, None, sw, loss=SquaredLoss())
    full = DesignDatafit(SquaredLoss(), data, True)
    W = rng.randn(d, T)
    w = sw / sw.sum()
    Xc, Yc = X - w @ X, Y - w @ Y
    expected = -Xc.T @ (w[:, None] * (Yc - Xc @ W))
    np.testing.assert_allclose(full.gradient(full.linear(W)), expected, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("loss", [SquaredLoss(), LogisticLoss()], ids=["squared", "logistic"])
@pytest.mark.parametrize("Penalty", [L21, L1])
def test_screened_rows_are_zero_at_the_optimum(loss, Penalty):
    X, y, tasks = make_tasks(loss=loss.name, n_features=40, seed=81, offset=0.3)
    data, _ = build_task_data(X, y, tasks, None, loss=loss)
    full = DesignDatafit(loss, data, True)
    C0 = np.zeros((full.n_rows, 3))
    G0 = -full.gradient(full.linear(C0))[:40]
    penalty = Penalty(0.3 * Penalty().dual_norm(G0))
    rough = fista(full, penalty, C0, max_iter=15, tol=0.0).coef  # far from optimal
    optimum = fista(full, penalty, rough, max_iter=100_000, tol=1e-14).coef

    def screen(C):
        gap, _, C, z = duality_gap(full, penalty, C, full.linear(C))
        return safe_rows(full, penalty, -full.gradient(z)[:40], gap)

    early, late = screen(rough), screen(optimum)
    zero = ~np.any(optimum[:40] != 0, axis=1)
    assert not np.any(optimum[:40][early]) and np.all(zero[late])  # safe
    assert late.sum() >= 0.9 * zero.sum()  # useful: near the optimum, all but a few


def test_screening_inside_working_sets_keeps_the_solution():
    X, y, tasks = make_tasks(n_features=300, sizes=(40, 50, 60), seed=82)
    for Est in (GroupLassoRegressor, GroupLassoClassifier):
        yy = (y > np.median(y)).astype(int) if Est is GroupLassoClassifier else y
        alpha = 0.2 * Est().alpha_max(X, yy, tasks)
        model = Est(alpha=alpha, tol=1e-10, max_iter=100_000).fit(X, yy, tasks=tasks)
        plain = Est(alpha=alpha, tol=1e-10, max_iter=100_000, precompute=False)
        # with precompute=False the classifier runs working sets too; compare objectives
        plain.fit(X, yy, tasks=tasks)
        assert model.objective_ == pytest.approx(plain.objective_, rel=1e-8)


@pytest.mark.parametrize("loss", [SquaredLoss(), LogisticLoss()], ids=["squared", "logistic"])
def test_sequential_screening_along_a_path(loss):
    """A path's first working set at alpha_k screens with the previous solution (its
    dual point rescaled for alpha_k): what it discards is zero at alpha_k's optimum,
    and it discards most of the zero rows."""
    X, y, tasks = make_tasks(loss=loss.name, n_features=60, seed=83, offset=0.3)
    data, _ = build_task_data(X, y, tasks, None, loss=loss)
    full = DesignDatafit(loss, data, True)
    C0 = np.zeros((full.n_rows, 3))
    alpha_max = L21().dual_norm(-full.gradient(full.linear(C0))[:60])
    previous = fista(full, L21(0.4 * alpha_max), C0, max_iter=100_000, tol=1e-14).coef
    penalty = L21(0.35 * alpha_max)  # the next alpha of a path
    gap, _, C, z = duality_gap(full, penalty, previous, full.linear(previous))
    screened = safe_rows(full, penalty, -full.gradient(z)[:60], gap)
    optimum = fista(full, penalty, previous, max_iter=100_000, tol=1e-14).coef
    zero = ~np.any(optimum[:60] != 0, axis=1)
    assert np.all(zero[screened])  # safe
    assert screened.sum() >= 0.3 * zero.sum() > 0  # and it discards
