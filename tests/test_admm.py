"""ADMM (solver="admm") against cvxpy, on ill-conditioned designs."""

import warnings

import numpy as np
import pytest
from conftest import objective
from sklearn.exceptions import ConvergenceWarning
from test_cd import ill_conditioned

import skmtl

MODELS = [
    ("TraceNorm", {"alpha": 0.05}),
    ("SharedSubspace", {"alpha": 0.05, "beta": 0.01, "n_components": 2}),
    ("Clustered", {"alpha": 0.05, "beta": 0.01, "n_clusters": 2}),
    ("ClusterNorm", {"n_clusters": 2}),
    ("TaskRelation", {"alpha": 0.05, "beta": 0.01}),
    ("MeanRegularized", {"alpha": 0.05, "beta": 0.01}),
    ("Dirty", {"alpha_shared": 0.05, "alpha_specific": 0.03}),
    ("RobustLowRank", {"alpha_lowrank": 0.05, "alpha_outlier": 0.05}),
]


@pytest.mark.parametrize("name, params", MODELS, ids=[m[0] for m in MODELS])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_admm_matches_cvxpy(name, params, loss):
    X, y, tasks = ill_conditioned(loss, seed=2)
    Est = getattr(skmtl, name + ("Regressor" if loss == "squared" else "Classifier"))
    ours = Est(solver="admm", tol=1e-12, max_iter=200_000, **params).fit(X, y, tasks=tasks)
    ref = Est(solver="cvxpy", **params).fit(X, y, tasks=tasks)
    assert 0 <= ours.dual_gap_ <= 1e-9 * max(1.0, abs(ours.objective_))
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    if name not in ("Dirty", "RobustLowRank"):  # their penalty is on the parts
        penalty = ours._make_penalty(3, X.shape[1])
        mine = objective(ours.coef_, ours.intercept_, X, y, tasks, penalty, loss)
        assert mine == pytest.approx(ours.objective_, rel=1e-9)


@pytest.mark.parametrize("name, params", MODELS, ids=[m[0] for m in MODELS])
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_admm_certifies_tight_gaps_next_to_a_large_scale_column(name, params, loss):
    """A column of scale 1000 beside one-hot ones (curvatures 1e6 against rho of
    order 0.1): the data step's result is taken as solved, not as ``a - g / rho``,
    whose round-off the curvature amplified. Before, the gap stalled at 1e-9 to
    2e-6 relative (ADMM stopped as "stalled" without a warning, or ran out)."""
    X, y, tasks = ill_conditioned(loss, seed=2)
    X[:, 5] *= 50
    Est = getattr(skmtl, name + ("Regressor" if loss == "squared" else "Classifier"))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        fit = Est(solver="admm", tol=1e-12, max_iter=5000, **params).fit(X, y, tasks=tasks)
    assert 0 <= fit.dual_gap_ <= 1e-10 * max(1.0, abs(fit.objective_))


POOLED = ["TraceNorm", "Clustered", "TaskRelation", "RobustLowRank"]


@pytest.mark.parametrize("name", POOLED)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("pooling", [3.0, np.inf])
def test_admm_with_pooled_intercepts_matches_cvxpy(name, loss, pooling):
    """Pooled intercepts: the W-step solves for the shared intercept too (exactly)."""
    params = dict(MODELS)[name] | {"intercept_pooling": pooling}
    X, y, tasks = ill_conditioned(loss, seed=4)
    Est = getattr(skmtl, name + ("Regressor" if loss == "squared" else "Classifier"))
    ours = Est(solver="admm", tol=1e-12, max_iter=200_000, **params).fit(X, y, tasks=tasks)
    ref = Est(solver="cvxpy", **params).fit(X, y, tasks=tasks)
    assert 0 <= ours.dual_gap_ <= 1e-9 * max(1.0, abs(ours.objective_))
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-3)


@pytest.mark.parametrize(
    "name, chosen",
    [
        ("TraceNorm", "fista"),
        ("Clustered", "fista"),
        ("TaskRelation", "fista"),
        ("RobustLowRank", "admm"),
        ("Dirty", "admm"),
    ],
)
def test_auto_choice_on_well_scaled_features(name, chosen):
    """The ADMM rule reads the curvature spread as coordinate descent's does: on
    well-scaled features solver="auto" runs FISTA (the same iterates), and ADMM
    again once one feature is scaled down (spread above ``MIN_SPREAD``). Split
    models ``W = P + Q`` take ADMM on well-scaled features too (FISTA on the parts
    crawls where a strong penalty on one part meets a weak one on the other). Either
    way at the minimum the other method finds."""
    from test_cd import well_scaled

    from skmtl.solvers import admm as admm_module

    X, y, tasks = well_scaled("squared")
    Est = getattr(skmtl, name + "Regressor")
    kw = dict(dict(MODELS)[name], tol=1e-10, max_iter=100_000)
    fits = {s: Est(solver=s, **kw).fit(X, y, tasks=tasks) for s in ("auto", "fista", "admm")}
    other = "admm" if chosen == "fista" else "fista"
    assert fits["auto"].n_iter_ == fits[chosen].n_iter_
    np.testing.assert_array_equal(fits["auto"].coef_, fits[chosen].coef_)
    assert fits["auto"].objective_ == pytest.approx(fits[other].objective_, rel=1e-8)
    if chosen == "fista":
        X2 = X.copy()
        X2[:, 0] *= 0.01  # curvature 1e-4 against L of order 1: spread above 1e4
        auto, admm = (Est(solver=s, **kw).fit(X2, y, tasks=tasks) for s in ("auto", "admm"))
        assert auto.n_iter_ == admm.n_iter_
        np.testing.assert_array_equal(auto.coef_, admm.coef_)
    assert admm_module.MIN_SPREAD == 100.0  # the documented threshold


@pytest.mark.parametrize("name", ["TraceNorm", "Clustered", "RobustLowRank"])
def test_anderson_extrapolation_cuts_iterations(name, monkeypatch):
    """Anderson extrapolation of ADMM's fixed-point iteration (kept only where it
    lowers the fixed-point residual): the same minimum, certified, in fewer
    iterations on the ill-conditioned design (one-hot blocks, a duplicated column,
    scales 0.05 to 20)."""
    from skmtl.solvers import admm as admm_module

    X, y, tasks = ill_conditioned("squared", seed=2)
    Est = getattr(skmtl, name + "Regressor")
    kw = dict(dict(MODELS)[name], solver="admm", tol=1e-10, max_iter=200_000)
    fast = Est(**kw).fit(X, y, tasks=tasks)
    monkeypatch.setitem(admm_module.admm.__kwdefaults__, "anderson", False)
    plain = Est(**kw).fit(X, y, tasks=tasks)
    assert fast.n_iter_ < plain.n_iter_
    for fit in (fast, plain):
        assert 0 <= fit.dual_gap_ <= 1e-9 * max(1.0, abs(fit.objective_))
    assert fast.objective_ == pytest.approx(plain.objective_, rel=1e-9)


ROW_MODELS = [
    ("GroupLasso", {"alpha": 0.03, "group_norm": "linf"}),
    ("GroupLasso", {"alpha": 0.03, "l1_ratio": 0.5}),
    ("GroupLasso", {"alpha": 0.03, "group_norm": "linf", "l1_ratio": 0.3}),
    ("Dirty", {"alpha_shared": 0.05, "alpha_specific": 0.03}),
    ("Dirty", {"alpha_shared": 0.05, "alpha_specific": 0.03, "group_norm": "linf"}),
]


@pytest.mark.parametrize("name, params", ROW_MODELS, ids=[str(m) for m in ROW_MODELS])
@pytest.mark.parametrize("pooling", [0.0, 3.0])
def test_auto_takes_admm_for_costly_row_proxes_on_badly_scaled_features(
    name, params, pooling, monkeypatch
):
    """On badly scaled features (one-hot blocks, so singular centred Grams, a
    duplicated column, scales 0.05 to 20) solver="auto" runs ADMM, not CD alone, for
    L1/Linf, the sparse-group norms and the dirty model (on ``W``, its row norm),
    finished by CD where ADMM's gap stalls: at cvxpy's objective, certified to
    tol=1e-12 (which ADMM alone does not reach on some of them)."""
    from skmtl.solvers import select

    assert len(select.ADMM_FIRST) == 3
    calls = []
    admm = select._admm.admm
    monkeypatch.setattr(select._admm, "admm", lambda *a, **k: calls.append(1) or admm(*a, **k))
    X, y, tasks = ill_conditioned("squared", seed=5)
    Est = getattr(skmtl, name + "Regressor")
    kw = dict(params, intercept_pooling=pooling)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        auto = Est(tol=1e-12, max_iter=200_000, **kw).fit(X, y, tasks=tasks)
    assert calls
    ref = Est(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert 0 <= auto.dual_gap_ <= 1e-11 * max(1.0, abs(auto.objective_))
    assert (auto.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    np.testing.assert_allclose(auto.intercept_, ref.intercept_, atol=1e-3)
    if name == "Dirty":  # the parts of W, from its row norm
        P, Q = auto.shared_coef_, auto.specific_coef_
        np.testing.assert_allclose(P + Q, auto.coef_, atol=1e-12)


@pytest.mark.parametrize("norm", ["l2", "l1"])
def test_row_metric_makes_admm_invariant_to_feature_scales(norm):
    """Rescaling column j by s_j and its row's weight by s_j is the same problem
    (``W_j / s_j``). With each feature's curvature as ADMM's metric the iterates
    follow: the same iteration count and the same model. With one rho for all
    features (the old code) the rescaled problem took 2-3x more iterations."""
    from skmtl import MultiTaskEstimator
    from skmtl.penalties import WeightedL1, WeightedL21

    rng = np.random.RandomState(0)
    tasks = np.repeat(np.arange(3), [30, 40, 50])
    X = rng.randn(len(tasks), 5)
    y = X @ rng.randn(5) + 0.5 * rng.randn(len(tasks))
    scales = np.array([0.01, 0.3, 1.0, 10.0, 300.0])
    weights = np.array([1.0, 0.5, 2.0, 1.0, 1.5])
    Penalty = WeightedL21 if norm == "l2" else WeightedL1
    kw = dict(solver="admm", tol=1e-10, max_iter=100_000)
    fits = [
        MultiTaskEstimator(penalty=Penalty(0.05, w), **kw).fit(X * s, y, tasks=tasks)
        for s, w in ((1.0, weights), (scales, weights * scales))
    ]
    assert abs(fits[0].n_iter_ - fits[1].n_iter_) <= 5
    np.testing.assert_allclose(fits[1].coef_ * scales, fits[0].coef_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("name", ["TaskRelation", "RobustLowRank", "TraceNorm"])
def test_prox_newton_starts_admm_from_the_last_dual(name, monkeypatch):
    """Inside proximal Newton each ADMM solve (penalties without a row metric)
    starts from the last solve's dual variable rather than minus the new model's
    gradient: the same certified minimum in fewer ADMM iterations (ill-conditioned
    design, logistic loss)."""
    from skmtl.solvers import admm as admm_module

    X, y, tasks = ill_conditioned("logistic", seed=2)
    Est = getattr(skmtl, name + "Classifier")
    kw = dict(dict(MODELS)[name], solver="admm", tol=1e-10, max_iter=200_000)
    warm = Est(**kw).fit(X, y, tasks=tasks)
    admm = admm_module.admm

    def cold(*args, dual=None, **options):  # the gradient's dual at every start
        return admm(*args, **options)

    monkeypatch.setattr(admm_module, "admm", cold)
    plain = Est(**kw).fit(X, y, tasks=tasks)
    assert warm.n_iter_ < plain.n_iter_
    for fit in (warm, plain):
        assert 0 <= fit.dual_gap_ <= 1e-9 * max(1.0, abs(fit.objective_))
    assert warm.objective_ == pytest.approx(plain.objective_, rel=1e-9)


def test_admm_then_cd_warns_with_the_fit_s_tol_and_all_its_iterations():
    """ADMM handing over to coordinate descent warns once, with the fit's tol and the
    iterations of both (coordinate descent's own warning said tol=0.0001 and counted
    its 45 epochs of a 200-iteration budget)."""
    rng = np.random.default_rng(1)
    tasks = np.repeat(np.arange(3), 30)
    X = rng.standard_normal((90, 5))
    X = np.column_stack([X, X[:, 0] + 1e-9 * rng.standard_normal(90)])  # nearly collinear
    y = np.einsum("ij,ji->i", X[:, :5], rng.standard_normal((5, 3))[:, tasks])
    y = y + 0.3 * rng.standard_normal(90)
    model = skmtl.DirtyRegressor(alpha_shared=1e-9, tol=1e-8, max_iter=200)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y, tasks=tasks)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert model.n_iter_ == 200
    assert len(messages) == 1
    assert "after 200 iterations" in messages[0] and "tol=1e-08" in messages[0]
