"""Properties that must hold for every penalty and model, on generated inputs."""

import numpy as np
import pytest
from conftest import make_tasks
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import skmtl
from skmtl._datafit import DesignDatafit
from skmtl._inputs import build_task_data
from skmtl.losses import LogisticLoss, SquaredLoss
from skmtl.penalties import (
    L1,
    L21,
    ClusterNormPenalty,
    ClusterPenalty,
    ColumnL21,
    GraphPenalty,
    L1Linf,
    MeanPenalty,
    NormPenalty,
    SparseGroupNorm,
    SubspacePenalty,
    TaskCovariancePenalty,
    TraceNorm,
)
from skmtl.solvers.fista import duality_gap

T = 4
PENALTIES = [
    L21(0.3),
    L1(0.3),
    L1Linf(0.3),
    SparseGroupNorm(0.3, 0.4),
    SparseGroupNorm(0.3, 0.6, "linf"),
    TraceNorm(0.3),
    ColumnL21(0.3),
    MeanPenalty(T, 0.3, 0.1),
    GraphPenalty(np.ones((T, T)) - np.eye(T), 0.2, 0.1),
    ClusterPenalty(0.5, 0.2, 2),
    ClusterNormPenalty(0.2, 0.1, 0.8, 2),
    SubspacePenalty(0.5, 0.2, 2),
    TaskCovariancePenalty(0.4, 0.1),
]
matrices = arrays(np.float64, (3, T), elements=st.floats(-3, 3, allow_subnormal=False))
steps = st.floats(0.05, 3.0)


def _fenchel_young(penalty, P, U):
    """R(P) + R*(U) - <U, P> >= 0, zero iff U is a subgradient of R at P."""
    if isinstance(penalty, NormPenalty):
        assert penalty.dual_norm(U) <= penalty.alpha * (1 + 1e-9) + 1e-12
        conjugate = 0.0
    else:
        conjugate = penalty.conjugate(U)
    return penalty.value(P) + conjugate - np.vdot(U, P)


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: type(p).__name__)
@settings(max_examples=40, deadline=None)
@given(V=matrices, step=steps)
def test_prox_optimality_and_moreau(penalty, V, step):
    """p = prox(V) iff (V - p) / step is a subgradient at p (Moreau's decomposition
    with the conjugate): the Fenchel-Young gap of (p, (V - p)/step) is zero."""
    P = penalty.prox(V, step)
    U = (V - P) / step
    gap = _fenchel_young(penalty, P, U)
    scale = 1.0 + penalty.value(P) + abs(np.vdot(U, P))
    assert -1e-9 * scale <= gap <= 1e-7 * scale


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: type(p).__name__)
@settings(max_examples=30, deadline=None)
@given(V1=matrices, V2=matrices, step=steps)
def test_prox_is_non_expansive(penalty, V1, V2, step):
    distance = np.linalg.norm(penalty.prox(V1, step) - penalty.prox(V2, step))
    assert distance <= np.linalg.norm(V1 - V2) * (1 + 1e-9) + 1e-12


@pytest.mark.parametrize("penalty", PENALTIES, ids=lambda p: type(p).__name__)
@pytest.mark.parametrize("loss", [SquaredLoss(), LogisticLoss()], ids=["squared", "logistic"])
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(W=matrices)
def test_duality_gap_is_never_negative(penalty, loss, W):
    X, y, tasks = make_tasks(n_tasks=T, n_features=3, sizes=(8, 10, 12, 9), loss=loss.name, seed=0)
    data, _ = build_task_data(X, y, tasks, None, loss=loss)
    datafit = DesignDatafit(loss, data, fit_intercept=True)
    C = np.vstack([W, np.zeros((datafit.n_rows - 3, T))])
    gap, primal, _, _ = duality_gap(datafit, penalty, C, datafit.linear(C))
    assert gap >= -1e-12 * max(1.0, abs(primal))


MODELS = [
    skmtl.GroupLassoRegressor(alpha=0.05),
    skmtl.GroupLassoClassifier(alpha=0.02),
    skmtl.MeanRegularizedRegressor(),
    skmtl.ClusteredRegressor(),
    skmtl.TaskRelationClassifier(),
    skmtl.TraceNormRegressor(alpha=0.05),
    skmtl.SharedSubspaceRegressor(),
    skmtl.DirtyRegressor(),
    skmtl.RobustLowRankRegressor(),
    skmtl.ClusterNormRegressor(),
]


def _data(model, seed):
    loss = "logistic" if model._is_classifier else "squared"
    return make_tasks(n_tasks=3, n_features=5, loss=loss, seed=seed, offset=0.3)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_invariant_to_sample_order_and_task_names(model, seed):
    X, y, tasks = _data(model, seed % 7)
    kw = dict(tol=1e-12, max_iter=100_000)
    reference = type(model)(**{**model.get_params(deep=False), **kw}).fit(X, y, tasks=tasks)
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(y))
    names = np.array(["zeta", "alpha", "mid"])  # sorted order differs from 0, 1, 2
    shuffled = type(model)(**{**model.get_params(deep=False), **kw}).fit(
        X[order], y[order], tasks=names[tasks[order]]
    )
    position = np.searchsorted(shuffled.tasks_, names)  # row of each original task
    np.testing.assert_allclose(shuffled.coef_[position], reference.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(
        shuffled.predict(X, tasks=names[tasks]), reference.predict(X, tasks=tasks)
    )


@pytest.mark.parametrize(
    "Est",
    [
        skmtl.GroupLassoRegressor,
        skmtl.GroupLassoClassifier,
        skmtl.TraceNormRegressor,
        skmtl.TraceNormClassifier,
    ],
)
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 10_000), factor=st.floats(1.0001, 100.0))
def test_alpha_at_or_above_alpha_max_gives_zero(Est, seed, factor):
    loss = Est._default_loss
    X, y, tasks = make_tasks(n_tasks=3, n_features=5, loss=loss, seed=seed % 50)
    alpha_max = Est().alpha_max(X, y, tasks)
    assert not np.any(Est(alpha=factor * alpha_max).fit(X, y, tasks=tasks).coef_)
