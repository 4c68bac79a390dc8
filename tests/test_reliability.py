"""Reliability classes of issue 16: guarded warm starts, scale-free stopping, atomic
calls (a call that raises leaves the estimator as it was), inputs never modified,
parameters validated with type and range, and a closed form held to ``tol``."""

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.exceptions import ConvergenceWarning

import skmtl
from skmtl import MultiTaskEstimator
from skmtl.estimators import __all__ as ESTIMATORS
from skmtl.penalties import L21

CLASSIFIERS = [name for name in ESTIMATORS if name.endswith("Classifier")]
REGRESSORS = [name for name in ESTIMATORS if name.endswith("Regressor")]


def binary_tasks(seed, n=45, d=5, T=3, scale=3.0):
    """45 rows, 5 features, 3 tasks, labels from a strong linear model."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    tasks = np.arange(n) % T
    W = scale * rng.randn(d, T)
    y = (np.einsum("ij,ji->i", X, W[:, tasks]) + 0.3 * rng.randn(n) > 0).astype(int)
    return X, y, tasks


def regression_tasks(seed, n=45, d=5, T=3):
    rng = np.random.RandomState(seed)
    X = rng.randn(n, d)
    tasks = np.arange(n) % T
    W = rng.randn(d, T)
    y = np.einsum("ij,ji->i", X, W[:, tasks]) + 0.1 * rng.randn(n)
    return X, y, tasks


def make(name, **params):
    return getattr(skmtl, name)(**params)


# ---------------------------------------------------------------- 1. warm starts
def _refit_objectives(model, data1, data2):
    """Objective of a warm-started refit on ``data2`` (after a fit on ``data1``) and
    of a cold fit on ``data2``, and the warm refit's warnings."""
    X1, y1, t1 = data1
    X2, y2, t2 = data2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X1, y1, tasks=t1)
        cold = type(model)(**{**model.get_params(), "warm_start": False}).fit(X2, y2, tasks=t2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X2, y2, tasks=t2)
    return model.objective_, cold.objective_, caught


@pytest.mark.parametrize("precompute", [False, "auto"])
@pytest.mark.parametrize("seed", range(3))
def test_warm_refit_on_new_data_is_no_worse_than_cold(precompute, seed):
    """The issue's case: a warm start from another data set's solution diverged."""
    model = skmtl.GroupLassoClassifier(alpha=0.01, warm_start=True, precompute=precompute)
    warm, cold, caught = _refit_objectives(
        model, binary_tasks(2 * seed), binary_tasks(2 * seed + 1)
    )
    assert np.isfinite(warm)
    assert warm <= cold + 1e-3 * abs(cold)
    assert not [w for w in caught if issubclass(w.category, ConvergenceWarning)]


def test_warm_refit_generic_logistic_l21():
    model = MultiTaskEstimator("logistic", L21(0.01), warm_start=True)
    warm, cold, _ = _refit_objectives(model, binary_tasks(10), binary_tasks(11))
    assert warm <= cold + 1e-3 * abs(cold)


@pytest.mark.parametrize("name", ESTIMATORS)
def test_warm_refit_every_model(name):
    """Every model and its default solver path: warm refit on new data."""
    data = (binary_tasks, regression_tasks)[name in REGRESSORS]
    for params in ({}, {"precompute": False}, {"solver": "fista"}):
        model = make(name, warm_start=True, **params)
        warm, cold, _ = _refit_objectives(model, data(20), data(21))
        assert np.isfinite(warm)
        assert warm <= cold + 1e-3 * abs(cold) + 1e-12, params


def test_polish_never_increases_the_loss():
    """The Newton steps on logistic intercepts are damped: from far off (confident
    rows) the undamped step overshot and the loss exploded."""
    from skmtl._datafit import DesignDatafit
    from skmtl._inputs import build_task_data
    from skmtl.losses import LogisticLoss

    X, y, tasks = binary_tasks(3)
    data, _ = build_task_data(X, y, tasks, None, classifier=True)
    full = DesignDatafit(LogisticLoss(), data, True)
    C = np.zeros((6, 3))
    C[:5] = 8.0 * np.random.RandomState(0).randn(5, 3)
    C[5] = [30.0, -30.0, 12.0]
    z = full.linear(C)
    _, z_pol = full.polish(C, z)
    assert full.value(z_pol) <= full.value(z)


# ------------------------------------------------------- 2. scale-free stopping
# (model, its strengths, extra parameters, degree of the penalty's homogeneity in W)
SCALED = [
    ("GroupLassoRegressor", ("alpha",), {}, 1),
    ("GroupLassoRegressor", ("alpha",), {"l1_ratio": 0.5, "precompute": False}, 1),
    ("GroupLassoRegressor", ("alpha",), {"group_norm": "linf"}, 1),
    ("DirtyRegressor", ("alpha_shared", "alpha_specific"), {}, 1),
    ("TraceNormRegressor", ("alpha",), {}, 1),
    ("TraceNormRegressor", ("alpha",), {"squared": True}, 2),
    ("RobustLowRankRegressor", ("alpha_lowrank", "alpha_outlier"), {}, 1),
    ("ClusteredRegressor", ("alpha", "beta"), {}, 2),
    ("SharedSubspaceRegressor", ("alpha", "beta"), {}, 2),
    ("TaskRelationRegressor", ("alpha", "beta"), {}, 2),
    ("ClusterNormRegressor", ("alpha_mean", "alpha_between", "alpha_within"), {}, 2),
    ("MeanRegularizedRegressor", ("alpha", "beta"), {"solver": "fista"}, 2),
    ("GraphRegularizedRegressor", ("alpha", "beta"), {"solver": "fista"}, 2),
]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    case=st.sampled_from(SCALED),
    c=st.sampled_from([1e-8, 1.0, 1e8]),
    scale_x=st.booleans(),
)
def test_solution_scales_exactly(case, c, scale_x):
    """Scaling y by c (strengths by c^(2-k) for a penalty of degree k) scales the
    solution by c; scaling X by c (strengths by c^k) scales W by 1/c. The solver
    takes the same iterations: no stopping test depends on an absolute floor."""
    name, strengths, extra, k = case
    X, y, tasks = regression_tasks(5, n=60, d=6)
    ref = make(name, **extra).fit(X, y, tasks=tasks)
    model = make(name, **extra)
    factor = c**k if scale_x else c ** (2 - k)
    model.set_params(**{s: factor * getattr(ref, s) for s in strengths})
    model.fit(c * X if scale_x else X, y if scale_x else c * y, tasks=tasks)
    coef = model.coef_ * c if scale_x else model.coef_ / c
    intercept = model.intercept_ if scale_x else model.intercept_ / c
    assert model.n_iter_ == ref.n_iter_
    np.testing.assert_allclose(coef, ref.coef_, rtol=1e-9, atol=1e-12 * np.abs(ref.coef_).max())
    np.testing.assert_allclose(intercept, ref.intercept_, rtol=1e-9, atol=1e-12)
    gap = model.dual_gap_ if scale_x else model.dual_gap_ / c**2
    assert gap == pytest.approx(ref.dual_gap_, rel=1e-6, abs=1e-12 * np.var(y))
