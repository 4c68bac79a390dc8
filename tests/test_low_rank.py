"""Shared-subspace and split models against cvxpy and planted truth."""

import warnings
from functools import partial

import numpy as np
import pytest
from conftest import check_fista_against_cvxpy, make_tasks
from sklearn.model_selection import GridSearchCV, KFold

from skmtl import (
    DirtyClassifier,
    DirtyClassifierCV,
    DirtyRegressor,
    RobustFeatureLearningRegressor,
    RobustLowRankClassifier,
    RobustLowRankClassifierCV,
    RobustLowRankRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
    SparseLowRankClassifier,
    SparseLowRankClassifierCV,
    SparseLowRankRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)
from skmtl.datasets import make_low_rank_tasks, make_shared_specific_tasks

MODELS = {
    "trace": (TraceNormRegressor, TraceNormClassifier, dict(alpha=0.1)),
    "squared-trace": (
        TraceNormRegressor,
        TraceNormClassifier,
        dict(alpha=0.1, squared=True),
    ),
    "subspace": (
        SharedSubspaceRegressor,
        SharedSubspaceClassifier,
        dict(alpha=0.3, beta=0.05, n_components=2),
    ),
    "dirty": (DirtyRegressor, DirtyClassifier, dict(alpha_shared=0.1, alpha_specific=0.05)),
    "dirty-l2": (
        DirtyRegressor,
        DirtyClassifier,
        dict(alpha_shared=0.08, alpha_specific=0.05, group_norm="l2"),
    ),
    "robust": (
        RobustLowRankRegressor,
        RobustLowRankClassifier,
        dict(alpha_lowrank=0.1, alpha_outlier=0.1),
    ),
}


def _estimator(name, loss, **kw):
    regressor, classifier, params = MODELS[name]
    return (regressor if loss == "squared" else classifier)(**{**params, **kw})


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("variant", ["dense", "sparse+weights"])
def test_objective_matches_cvxpy(name, loss, fit_intercept, variant):
    ours = check_fista_against_cvxpy(
        partial(_estimator, name, loss, fit_intercept=fit_intercept),
        loss,
        variant,
        seed=30,
        max_iter=100_000,
        split_parts=_split_parts if name.startswith(("dirty", "robust")) else None,
        recompute_reference=False,
    )
    assert np.any(ours.coef_)


def _split_parts(model):
    """The parts W = P + Q of a split model, stacked: its penalty is valued at them."""
    if hasattr(model, "shared_coef_"):
        return np.vstack([model.shared_coef_.T, model.specific_coef_.T])
    return np.vstack([model.lowrank_coef_.T, model.outlier_coef_.T])


@pytest.mark.parametrize("Est", [TraceNormRegressor, TraceNormClassifier])
def test_trace_norm_zero_above_alpha_max_rank_one_below(Est):
    loss = "squared" if Est is TraceNormRegressor else "logistic"
    X, y, tasks = make_tasks(loss=loss, seed=31, offset=0.3)
    alpha_max = Est().alpha_max(X, y, tasks)
    above = Est(alpha=alpha_max * 1.001, tol=1e-10).fit(X, y, tasks=tasks)
    below = Est(alpha=alpha_max * 0.999, tol=1e-12, max_iter=20_000).fit(X, y, tasks=tasks)
    assert not np.any(above.coef_) and above.rank_ == 0
    assert below.rank_ == 1


def test_planted_rank_is_recovered():
    """Rank 3 in 20 tasks of 10 features, 100 rows per task, noise 0.5."""
    X, y, tasks, coef, _ = make_low_rank_tasks(
        n_tasks=20, rank=3, n_samples=100, n_features=10, noise=0.5, random_state=0
    )
    alpha = 0.1 * TraceNormRegressor().alpha_max(X, y, tasks)
    model = TraceNormRegressor(alpha=alpha).fit(X, y, tasks=tasks)
    assert model.rank_ == 3
    # the learned subspace is the planted one
    planted = np.linalg.svd(coef.T, full_matrices=False)[0][:, :3]
    cosines = np.linalg.svd(planted.T @ model.components_.T, compute_uv=False)
    assert cosines.min() > 0.95
    subspace = SharedSubspaceRegressor(alpha=1.0, beta=0.01, n_components=3)
    cosines = np.linalg.svd(
        planted.T @ subspace.fit(X, y, tasks=tasks).components_.T, compute_uv=False
    )
    assert cosines.min() > 0.95


def test_outlier_tasks_are_found():
    """Rank 2 in 12 tasks of which the last 2 are outliers, 80 rows per task."""
    X, y, tasks, _, outliers = make_low_rank_tasks(
        n_tasks=12,
        rank=2,
        n_samples=80,
        n_features=10,
        n_outliers=2,
        noise=0.3,
        random_state=1,
    )
    model = RobustLowRankRegressor(alpha_lowrank=0.3, alpha_outlier=0.3)
    model.fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(model.outlier_tasks_, outliers)
    np.testing.assert_allclose(model.coef_, model.lowrank_coef_ + model.outlier_coef_)


def test_dirty_model_separates_shared_and_specific_supports():
    X, y, tasks, _, (shared, specific) = make_shared_specific_tasks(
        n_tasks=5,
        n_samples=100,
        n_features=20,
        n_shared=4,
        n_specific=1,
        noise=0.3,
        random_state=2,
    )
    model = DirtyRegressor(alpha_shared=0.1, alpha_specific=0.04).fit(X, y, tasks=tasks)
    found_shared = np.flatnonzero(np.abs(model.shared_coef_).sum(axis=0) > 1e-8)
    assert set(range(4)) <= set(found_shared)
    big_specific = np.abs(model.specific_coef_) > 0.5
    np.testing.assert_array_equal(big_specific, specific != 0)


def test_squared_trace_norm_traces_the_trace_norm_path():
    """Spec 4.2: the squared model at gamma equals the trace model at 2 gamma ||W*||_*."""
    X, y, tasks = make_tasks(seed=32)
    gamma = 0.05
    squared = TraceNormRegressor(alpha=gamma, squared=True, tol=1e-13, max_iter=100_000)
    W = squared.fit(X, y, tasks=tasks).coef_
    nuclear = np.linalg.svd(W, compute_uv=False).sum()
    trace = TraceNormRegressor(alpha=2 * gamma * nuclear, tol=1e-13, max_iter=100_000)
    np.testing.assert_allclose(trace.fit(X, y, tasks=tasks).coef_, W, rtol=1e-6, atol=1e-8)


def test_grid_search_over_alpha():
    X, y, tasks, _, _ = make_low_rank_tasks(n_tasks=6, rank=2, random_state=3)
    search = GridSearchCV(
        TraceNormRegressor(task_column=0),
        {"alpha": [0.01, 0.1, 1.0]},
        cv=KFold(3, shuffle=True, random_state=0),
    )
    search.fit(np.column_stack([tasks, X]), y)
    assert search.best_params_["alpha"] in (0.01, 0.1)


@pytest.mark.parametrize(
    "est, message",
    [
        (
            SharedSubspaceRegressor(n_components=7),
            r"n_components=7 is larger than the number "
            r"of features \(n_features = 6\)",
        ),
        (
            SharedSubspaceRegressor(n_components=0),
            "n_components must be a positive integer",
        ),
        (TraceNormRegressor(alpha=-1), "alpha must be >= 0"),
        (TraceNormRegressor(alpha=0, squared=True), "alpha must be > 0"),
        (DirtyRegressor(group_norm="l1"), "group_norm must be one of"),
        (RobustLowRankRegressor(alpha_outlier=0), "alpha_outlier must be > 0"),
    ],
)
def test_clear_errors(est, message):
    X, y, tasks = make_tasks(seed=33)
    with pytest.raises(ValueError, match=message):
        est.fit(X, y, tasks=tasks)


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(alpha_shared=0.05, alpha_specific=0.1), "specific part is never needed"),
        (dict(alpha_shared=0.5, alpha_specific=0.1), "shared part is never needed"),
    ],
)
def test_dirty_warns_when_a_part_is_useless(params, message):
    X, y, tasks = make_tasks(seed=34)
    with pytest.warns(UserWarning, match=message):
        DirtyRegressor(**params).fit(X, y, tasks=tasks)


@pytest.mark.parametrize(
    "cls, first, parts, low",
    [
        (RobustLowRankRegressor, "alpha_lowrank", ("lowrank", "low-rank"), lambda d: 1.0),
        (
            RobustFeatureLearningRegressor,
            "alpha_shared",
            ("shared", "shared"),
            lambda d: 1 / np.sqrt(d),
        ),
    ],
)
def test_split_models_warn_outside_their_useful_range(cls, first, parts, low):
    """Outside its useful range a split model warns, and the part it names is zero:
    robust low rank (1, sqrt T), robust feature learning (1 / sqrt d, sqrt T)."""
    X, y, tasks = make_tasks(seed=34)
    low, high = low(X.shape[1]), np.sqrt(len(np.unique(tasks)))
    attribute, name = parts
    for ratio, zero, named in ((0.9 * low, "outlier", "outlier"), (1.1 * high, attribute, name)):
        est = cls(**{first: 0.05, "alpha_outlier": 0.05 / ratio}, tol=1e-10, max_iter=100_000)
        with pytest.warns(UserWarning, match=f"the {named} part is never needed"):
            est.fit(X, y, tasks=tasks)
        assert np.abs(getattr(est, f"{zero}_coef_")).max() == 0.0
        assert np.abs(est.coef_).max() > 0.0
    inside = cls(**{first: 0.05, "alpha_outlier": 0.05 / np.sqrt(low * high)})
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        inside.fit(X, y, tasks=tasks)


def test_split_model_on_one_task_says_its_range_is_one_ratio():
    """One task of three classes: the dirty model's useful range is the single ratio
    2 (it warned "the useful range is 2 < ratio < 2"); away from it one part is zero,
    as said."""
    X, y, tasks = make_tasks(seed=34)
    one = tasks == tasks[0]
    classes = np.digitize(y[one], np.quantile(y[one], [1 / 3, 2 / 3]))
    est = DirtyClassifier(alpha_shared=0.1, alpha_specific=0.1, tol=1e-8)
    with pytest.warns(UserWarning, match="with one task only the ratio 2 uses both parts"):
        est.fit(X[one], classes)
    assert np.abs(est.shared_coef_).max() == 0.0 or np.abs(est.specific_coef_).max() == 0.0


def test_sparse_low_rank_regressor_warns_on_both_sides_of_its_range():
    """Below 1 the sparse part stays zero, above sqrt(d T) the low-rank part: both
    with a warning that names it."""
    X, y, tasks = make_tasks(seed=34)
    high = np.sqrt(X.shape[1] * len(np.unique(tasks)))
    for ratio, zero, named in ((0.9, "sparse", "sparse"), (1.1 * high, "lowrank", "low-rank")):
        est = SparseLowRankRegressor(alpha_lowrank=0.05, alpha_sparse=0.05 / ratio, tol=1e-10)
        with pytest.warns(UserWarning, match=f"the {named} part is never needed"):
            est.fit(X, y, tasks=tasks)
        assert np.abs(getattr(est, f"{zero}_coef_")).max() == 0.0
        assert np.abs(est.coef_).max() > 0.0


@pytest.mark.parametrize(
    "cls, first, second, parts, top",
    [
        (RobustLowRankRegressor, "alpha_lowrank", "alpha_outlier", ("lowrank", "outlier"), 1),
        (SparseLowRankRegressor, "alpha_lowrank", "alpha_sparse", ("lowrank", "sparse"), "dT"),
        (DirtyRegressor, "alpha_shared", "alpha_specific", ("shared", "specific"), "T2"),
    ],
)
@pytest.mark.parametrize("n_tasks", [2, 4])
def test_split_models_default_ratio_is_the_middle_of_the_useful_range(
    cls, first, second, parts, top, n_tasks
):
    """The second strength's default (None) puts ``first / second`` at the geometric
    middle of the useful range ``(1, sqrt(top))`` (the dirty model's ``(1, T)``): the
    same fit as that strength given, no warning (also with two tasks), and both parts
    nonzero."""
    X, y, tasks = make_tasks(n_tasks, sizes=(15, 25, 40, 30), seed=34)
    d, T = X.shape[1], n_tasks
    top = {1: T, "dT": d * T, "T2": T * T}[top]
    kw = {first: 0.05, "tol": 1e-10, "max_iter": 100_000}
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        default = cls(**kw).fit(X, y, tasks=tasks)
    given = cls(**kw, **{second: 0.05 / top**0.25}).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(default.coef_, given.coef_, rtol=0, atol=1e-12)
    for part in parts:
        assert np.abs(getattr(default, f"{part}_coef_")).max() > 0.0


def test_subspace_default_components_on_one_feature_is_ridge():
    """``n_components=None`` on one feature puts it in the subspace (``M = I``): the
    penalty is the ridge ``beta ||W||^2``, the graph model with an empty graph."""
    from skmtl import GraphRegularizedRegressor

    X, y, tasks = make_tasks(seed=5)
    X = X[:, :1]
    subspace = SharedSubspaceRegressor(alpha=0.3, beta=0.05, tol=1e-12, max_iter=10000)
    subspace.fit(X, y, tasks=tasks)
    T = len(np.unique(tasks))
    ridge = GraphRegularizedRegressor(np.zeros((T, T)), alpha=0.0, beta=0.05).fit(X, y, tasks=tasks)
    assert subspace.components_.shape == (1, 1)
    assert subspace.objective_ == pytest.approx(ridge.objective_, rel=1e-9)


def test_round_off_steps_do_not_hang_backtracking():
    """sklearn's one-feature check: FISTA's steps reach the round-off of the
    iterate, where the backtracking test compares round-off; doubling L forever
    (up to inf and a NaN bound) hung the fit. Now it ends at cvxpy's optimum."""
    rng = np.random.RandomState(0)
    X = 3 * rng.uniform(size=(10, 1))
    y = X[:, 0].astype(int).astype(float)
    fit = RobustLowRankRegressor(tol=1e-10).fit(X, y)
    ref = RobustLowRankRegressor(solver="cvxpy").fit(X, y)
    assert abs(fit.objective_ - ref.objective_) <= 1e-6 * abs(ref.objective_)


def _three_class_tasks(T=3, n=80, d=6, K=3, seed=1):
    rng = np.random.RandomState(seed)
    X, tasks = rng.randn(T * n, d), np.repeat(np.arange(T), n)
    W = np.zeros((T, K, d))
    W[:, :, :2] = 2.0 * rng.randn(T, K, 2)  # features 0 and 1 shared
    Z = np.einsum("ij,ikj->ik", X, W[tasks])
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    y = (rng.rand(len(P), 1) > np.cumsum(P, axis=1)).sum(axis=1)
    return X, y, tasks


@pytest.mark.parametrize(
    "make, parts, inside, low, high",
    [
        # the dirty model's rows hold K T task-class gradients, each task's K summing
        # to zero: range (2, 2 floor(K / 2) T) = (2, 6), not the two-class (1, 3)
        (
            lambda r: DirtyClassifier(alpha_shared=0.05, alpha_specific=0.05 / r),
            ("shared", "specific"),
            4.0,
            2.0,
            6.0,
        ),
        # a task's outlier column: a d x K gradient block of rank <= K - 1 = 2
        (
            lambda r: RobustLowRankClassifier(alpha_lowrank=0.05, alpha_outlier=0.05 / r),
            ("lowrank", "outlier"),
            0.95,
            1 / np.sqrt(2),
            np.sqrt(3),
        ),
        # (sqrt(K / (K - 1)), sqrt(2 floor(K / 2) d T)) = (1.22, 6)
        (
            lambda r: SparseLowRankClassifier(alpha_lowrank=0.05, alpha_sparse=0.05 / r),
            ("lowrank", "sparse"),
            3.0,
            np.sqrt(1.5),
            6.0,
        ),
    ],
    ids=["Dirty", "RobustLowRank", "SparseLowRank"],
)
def test_split_model_ranges_count_the_classes(make, parts, inside, low, high):
    """Three classes: inside the range of the task-class gradients both parts are
    used, at cvxpy's optimum, with no warning; beyond either end the part that
    cvxpy leaves zero is named by a warning. The *CV's ratios lie inside."""
    pytest.importorskip("cvxpy")
    X, y, tasks = _three_class_tasks()
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model = make(inside).set_params(tol=1e-10, max_iter=100_000).fit(X, y, tasks=tasks)
    reference = make(inside).set_params(solver="cvxpy").fit(X, y, tasks=tasks)
    assert model.objective_ == pytest.approx(reference.objective_, rel=1e-6)
    for part in parts:
        assert np.abs(getattr(reference, f"{part}_coef_")).max() > 1e-3
    for ratio, zero in ((0.9 * low, parts[1]), (1.1 * high, parts[0])):
        named = {"lowrank": "low-rank", "specific": "task-specific"}.get(zero, zero)
        with pytest.warns(UserWarning, match=f"the {named} part is never needed"):
            make(ratio).fit(X, y, tasks=tasks)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            reference = make(ratio).set_params(solver="cvxpy").fit(X, y, tasks=tasks)
        assert np.abs(getattr(reference, f"{zero}_coef_")).max() < 1e-6
    cv_class = {
        DirtyClassifier: DirtyClassifierCV,
        RobustLowRankClassifier: RobustLowRankClassifierCV,
        SparseLowRankClassifier: SparseLowRankClassifierCV,
    }[type(model)]
    ratios = cv_class(cv=2)._ratio_grid(model._prepare(X, y, tasks, None, True)[0])
    assert np.all((ratios > low) & (ratios < high))


@pytest.mark.parametrize(
    "model, parts",
    [
        (DirtyRegressor(), ("shared", "specific")),
        (RobustLowRankRegressor(), ("lowrank", "outlier")),
        (SparseLowRankRegressor(), ("sparse", "lowrank")),
        (RobustFeatureLearningRegressor(), ("shared", "outlier")),
    ],
    ids=lambda v: type(v).__name__ if hasattr(v, "fit") else "",
)
def test_split_parts_take_the_shape_of_coef(model, parts):
    """One task (1-D y): coef_ is (d,), and so is each part (they were (1, d))."""
    X, y, tasks = make_tasks(seed=35)
    model.fit(X, y)
    first, second = (getattr(model, f"{p}_coef_") for p in parts)
    assert first.shape == second.shape == model.coef_.shape == (X.shape[1],)
    np.testing.assert_allclose(first + second, model.coef_, rtol=1e-12)
