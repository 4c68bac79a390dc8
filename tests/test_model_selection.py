"""Paths, *CV estimators and the task-aware splitter."""

import re
import warnings

import numpy as np
import pytest
import sklearn
from conftest import make_tasks
from sklearn.base import clone
from sklearn.linear_model import MultiTaskLassoCV
from sklearn.model_selection import GridSearchCV, KFold, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import skmtl
from skmtl import (
    ClusterNormRegressor,
    DirtyRegressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
    MeanRegularizedRegressor,
    RobustFeatureLearningRegressor,
    RobustLowRankRegressor,
    SparseLowRankRegressor,
)
from skmtl.datasets import (
    make_clustered_tasks,
    make_joint_sparse,
    make_low_rank_tasks,
    make_mean_tasks,
)
from skmtl.model_selection import (
    POOLING_GRID,
    ClusterNormRegressorCV,
    DirtyRegressorCV,
    GroupLassoClassifierCV,
    GroupLassoRegressorCV,
    MeanRegularizedRegressorCV,
    RobustFeatureLearningRegressorCV,
    RobustLowRankRegressorCV,
    SparseLowRankRegressorCV,
    TaskStratifiedKFold,
    TraceNormRegressorCV,
    regularization_path,
)


def test_cv_equals_sklearn_multitask_lasso_cv():
    X, Y, _, _ = make_joint_sparse(
        n_tasks=4, n_samples=80, n_features=12, shared_design=True, random_state=0
    )
    ours = GroupLassoRegressorCV(alphas=30, tol=1e-12, max_iter=100_000).fit(X, Y)
    ref = MultiTaskLassoCV(alphas=30, tol=1e-12, max_iter=100_000).fit(X, Y)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-12)
    np.testing.assert_allclose(ours.mse_path_, ref.mse_path_, rtol=1e-6)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)  # the same grid point
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-9)


def test_default_grid_is_sklearns_for_wide_y_and_shorter_with_poolings():
    """alphas=None: scikit-learn's 100 values for wide y (the same grid and choice as
    MultiTaskLassoCV's defaults), 20 on data with task labels, whether the 12
    poolings are searched or the pooling is estimated (the squared loss's default)."""
    X, Y, _, _ = make_joint_sparse(
        n_tasks=3, n_samples=60, n_features=8, shared_design=True, random_state=1
    )
    ours = GroupLassoRegressorCV(tol=1e-12, max_iter=100_000).fit(X, Y)
    ref = MultiTaskLassoCV(tol=1e-12, max_iter=100_000).fit(X, Y)
    np.testing.assert_allclose(ours.alphas_, ref.alphas_, rtol=1e-12)
    assert ours.alpha_ == pytest.approx(ref.alpha_, rel=1e-12)
    X, y, tasks = make_tasks(seed=41, offset=0.5)
    for Est in (GroupLassoRegressorCV, TraceNormRegressorCV):
        search = Est(cv=3, intercept_poolings=POOLING_GRID).fit(X, y, tasks=tasks)
        assert search.mse_path_.shape == (len(POOLING_GRID), 20, 3)
        assert Est(cv=3).fit(X, y, tasks=tasks).mse_path_.shape == (20, 3)  # grouped


@pytest.mark.parametrize(
    "Est, loss", [(GroupLassoRegressor, "squared"), (GroupLassoClassifier, "logistic")]
)
def test_path_equals_cold_fits(Est, loss):
    """Each point of the warm-started path is the cold fit at that alpha: the same
    penalty value, coefficients and intercepts (the intercepts move along the path as
    features enter, so a path that kept alpha_max's intercepts would fail)."""
    X, y, tasks = make_tasks(loss=loss, seed=40, offset=0.5)
    alphas, coefs, intercepts, gaps = regularization_path(
        Est(tol=1e-10, max_iter=50_000), X, y, tasks, alphas=6, eps=1e-2
    )
    assert np.all(np.diff(alphas) < 0) and not np.any(coefs[0])
    # at alpha_max (no coefficient) the intercepts are each task's own null model
    first = Est(alpha=alphas[0], tol=1e-10, max_iter=50_000).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(intercepts[0], first.intercept_, rtol=1e-6, atol=1e-8)
    for alpha, coef, intercept in zip(alphas[1:], coefs[1:], intercepts[1:], strict=True):
        cold = Est(alpha=alpha, tol=1e-10, max_iter=50_000).fit(X, y, tasks=tasks)
        penalty = cold._make_penalty(3, X.shape[1])
        assert penalty.value(coef.T) == pytest.approx(
            penalty.value(cold.coef_.T), rel=1e-5, abs=1e-9
        )
        np.testing.assert_allclose(coef, cold.coef_, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(intercept, cold.intercept_, rtol=1e-5, atol=1e-7)
    assert np.all(gaps >= 0)


def test_path_of_a_generic_estimator_over_its_penalty_strength():
    """MultiTaskEstimator's path runs over penalty__alpha (its default param): the
    group lasso's path for L21, cold fits for a penalty without alpha_max; the
    user's penalty is left as it was."""
    from skmtl import MultiTaskEstimator
    from skmtl.penalties import L21, MeanPenalty

    X, y, tasks = make_tasks(seed=44)
    penalty = L21(0.5)
    generic = MultiTaskEstimator(penalty=penalty, tol=1e-10, max_iter=50_000)
    alphas, coefs, intercepts, gaps = regularization_path(generic, X, y, tasks, alphas=5)
    named = GroupLassoRegressor(tol=1e-10, max_iter=50_000)
    reference = regularization_path(named, X, y, tasks, alphas=5)
    np.testing.assert_allclose(alphas, reference[0], rtol=1e-12)
    np.testing.assert_allclose(coefs, reference[1], rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(intercepts, reference[2], rtol=1e-6, atol=1e-8)
    assert penalty.alpha == 0.5
    default = regularization_path(MultiTaskEstimator(tol=1e-10), X, y, tasks, alphas=3)
    expected = regularization_path(
        MultiTaskEstimator(penalty=L21(), tol=1e-10), X, y, tasks, alphas=3
    )
    np.testing.assert_allclose(default[1], expected[1], rtol=1e-10, atol=1e-12)
    mean = MultiTaskEstimator(penalty=MeanPenalty(3, alpha=1.0, beta=0.1), tol=1e-10)
    with pytest.raises(ValueError, match="has no alpha_max to place alphas=100 values"):
        regularization_path(mean, X, y, tasks)
    alphas, coefs, _, _ = regularization_path(mean, X, y, tasks, alphas=[0.1, 10.0])
    for alpha, coef in zip(alphas, coefs, strict=True):
        cold = MultiTaskEstimator(penalty=MeanPenalty(3, alpha=alpha, beta=0.1)).fit(
            X, y, tasks=tasks
        )
        np.testing.assert_allclose(coef, cold.coef_, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match=r"param='beta' is not a strength.*penalty__alpha"):
        regularization_path(mean, X, y, tasks, alphas=[0.1], param="beta")


def test_path_needs_a_grid_without_alpha_max():
    X, y, tasks = make_tasks(seed=41)
    with pytest.raises(ValueError, match="has no alpha_max to place alphas=100 values"):
        regularization_path(MeanRegularizedRegressor(), X, y, tasks)
    alphas, coefs, _, _ = regularization_path(
        MeanRegularizedRegressor(), X, y, tasks, alphas=[0.01, 1.0, 0.1]
    )
    np.testing.assert_array_equal(alphas, [1.0, 0.1, 0.01])


def test_cv_and_grid_search_pick_the_same_alpha():
    X, y, tasks = make_tasks(seed=42, sizes=(40, 50, 60))
    cv = TaskStratifiedKFold(4, shuffle=True, random_state=0)
    model = GroupLassoRegressorCV(
        alphas=10, eps=1e-2, intercept_poolings=[0.0, 4.0, 16.0], cv=cv, tol=1e-10
    ).fit(X, y, tasks=tasks)
    Xt = np.column_stack([tasks, X])
    search = GridSearchCV(
        GroupLassoRegressor(task_column=0, tol=1e-10),
        {"alpha": model.alphas_, "intercept_pooling": model.intercept_poolings_},
        scoring="neg_mean_squared_error",
        cv=TaskStratifiedKFold(4, shuffle=True, random_state=0, task_column=0),
    ).fit(Xt, y)
    assert search.best_params_["alpha"] == model.alpha_
    assert search.best_params_["intercept_pooling"] == model.intercept_pooling_
    assert model.estimator_.intercept_pooling == model.intercept_pooling_
    # the search lists alpha slowest; mse_path_ is (intercept_pooling, alpha, fold)
    searched = -search.cv_results_["mean_test_score"].reshape(len(model.alphas_), -1)
    np.testing.assert_allclose(searched.T, model.mse_path_.mean(axis=-1), rtol=1e-6)


@pytest.mark.parametrize(
    "loss, n_classes, scoring",
    [
        ("logistic", 2, "neg_log_loss"),  # as LogisticRegressionCV from sklearn 1.11
        ("logistic", 3, "neg_log_loss"),
        ("squared_hinge", 2, "accuracy"),  # no probabilities
    ],
)
def test_classifier_cv_scores_as_grid_search(loss, n_classes, scoring):
    X, y, tasks = make_tasks(loss="logistic", seed=7, sizes=(40, 50, 60))
    if n_classes == 3:  # a third class from the first feature
        y = np.where(X[:, 0] > 0.8, 2, y)
    cv = TaskStratifiedKFold(3, shuffle=True, random_state=0)
    grids = dict(alphas=5, eps=1e-2, intercept_poolings=[0.0, 4.0])
    model = GroupLassoClassifierCV(loss=loss, cv=cv, tol=1e-10, **grids)
    model.fit(X, y, tasks=tasks)
    search = GridSearchCV(
        GroupLassoClassifier(loss=loss, task_column=0, tol=1e-10),
        {"alpha": model.alphas_, "intercept_pooling": model.intercept_poolings_},
        scoring=scoring,
        cv=TaskStratifiedKFold(3, shuffle=True, random_state=0, task_column=0),
    ).fit(np.column_stack([tasks, X]), y)
    searched = search.cv_results_["mean_test_score"].reshape(len(model.alphas_), -1)
    np.testing.assert_allclose(searched.T, model.score_path_.mean(axis=-1), rtol=1e-6)
    assert search.best_params_["alpha"] == model.alpha_
    assert search.best_params_["intercept_pooling"] == model.intercept_pooling_


def test_two_strengths_cv_grid():
    X, y, tasks, _ = make_mean_tasks(n_tasks=5, random_state=1)
    model = MeanRegularizedRegressorCV(
        alphas=[1.0, 0.1, 0.01], betas=[1e-3, 1e-1], intercept_poolings=[0.0, 4.0]
    ).fit(X, y, tasks=tasks)
    # one axis per strength: the secondary ones in order, the intercept pooling's last
    # before the path's, then the folds
    assert model.mse_path_.shape == (2, 2, 3, 5)
    assert model.alpha_ in (1.0, 0.1, 0.01) and model.beta_ in (1e-3, 1e-1)
    from skmtl.model_selection._cv import _first_best  # (the argmin, ties to the strongest)

    best = np.unravel_index(_first_best(model.mse_path_.mean(axis=-1)), (2, 2, 3))
    chosen = (model.betas_[best[0]], model.intercept_poolings_[best[1]], model.alphas_[best[2]])
    assert chosen == (model.beta_, model.intercept_pooling_, model.alpha_)
    refit = MeanRegularizedRegressor(
        alpha=model.alpha_, beta=model.beta_, intercept_pooling=model.intercept_pooling_
    ).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, refit.coef_)


def test_cluster_norm_cv_grid_follows_alpha_between():
    """The automatic alpha_within grid is relative to alpha_between, which it must
    exceed (alpha_between above 0.0316 crashed inside the folds, naming the base
    estimator's alpha_within); a given grid that does not exceed it is refused up
    front."""
    X, y, tasks, _, _ = make_clustered_tasks(n_tasks=6, n_clusters=2, random_state=3)
    default = ClusterNormRegressorCV(alpha_withins=4, alpha_means=[0.01], cv=3).fit(
        X, y, tasks=tasks
    )
    np.testing.assert_allclose(default.alpha_withins_, np.logspace(1, -1.5, 4), rtol=1e-10)
    model = ClusterNormRegressorCV(alpha_between=0.5, alpha_withins=4, alpha_means=[0.01], cv=3)
    model.fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.alpha_withins_, 0.5 * np.logspace(3, 0.5, 4), rtol=1e-10)
    refit = ClusterNormRegressor(
        alpha_between=0.5,
        alpha_within=model.alpha_within_,
        alpha_mean=0.01,
        intercept_pooling=model.intercept_pooling_,
    ).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, refit.coef_, rtol=1e-8, atol=1e-10)
    with pytest.raises(
        ValueError,
        match=r"alpha_withins must all be larger than alpha_between "
        r"\(0.5\).*got 0.5, 0.1",
    ):
        ClusterNormRegressorCV(alpha_between=0.5, alpha_withins=[2.0, 0.5, 0.1]).fit(
            X, y, tasks=tasks
        )
    with pytest.raises(ValueError, match="alpha_between must be > 0; got 0"):
        ClusterNormRegressorCV(alpha_between=0).fit(X, y, tasks=tasks)


def test_cluster_norm_cv_equals_grid_search():
    """Three strengths: alpha_within along the path, alpha_mean on the second axis,
    alpha_between fixed; the same choice and curve as GridSearchCV on the same folds."""
    X, y, tasks, _, _ = make_clustered_tasks(n_tasks=6, n_clusters=2, random_state=3)
    grid = {"alpha_within": [1.0, 0.3, 0.1], "alpha_mean": [1e-3, 1e-1]}
    cv = TaskStratifiedKFold(3, shuffle=True, random_state=0)
    model = ClusterNormRegressorCV(
        alpha_withins=grid["alpha_within"],
        alpha_means=grid["alpha_mean"],
        intercept_poolings=[0.0],
        cv=cv,
        tol=1e-10,
    ).fit(X, y, tasks=tasks)
    search = GridSearchCV(
        ClusterNormRegressor(task_column=0, tol=1e-10),
        grid,
        scoring="neg_mean_squared_error",
        cv=TaskStratifiedKFold(3, shuffle=True, random_state=0, task_column=0),
    ).fit(np.column_stack([tasks, X]), y)
    assert search.best_params_ == {
        "alpha_within": model.alpha_within_,
        "alpha_mean": model.alpha_mean_,
    }
    # mse_path_ is (alpha_mean, alpha_within, fold); cv_results_ lists alpha_mean slowest.
    # Warm- against cold-started fits at tol=1e-10: with alpha_mean=1e-3 the problem is
    # barely strongly convex, so the coefficients (and MSEs) agree to ~1e-5 only
    np.testing.assert_allclose(
        -search.cv_results_["mean_test_score"],
        model.mse_path_.mean(axis=-1).ravel(),
        rtol=2e-5,
    )


def test_classifier_cv_and_low_rank_cv():
    X, y, tasks = make_tasks(loss="logistic", seed=43, sizes=(60, 60, 60))
    clf = GroupLassoClassifierCV(alphas=8).fit(X, y, tasks=tasks)
    # the logistic loss's intercept pooling is estimated: one value, no grid
    assert clf.score_path_.shape == (8, 5) and np.all(clf.score_path_ <= 0)  # minus log-loss
    assert clf.predict(X, tasks=tasks).shape == y.shape
    X, y, tasks, _, _ = make_low_rank_tasks(n_tasks=6, rank=2, random_state=2)
    model = TraceNormRegressorCV(alphas=8).fit(X, y, tasks=tasks)
    assert 0 < model.rank_ <= 6 and model.score(X, y, tasks=tasks) > 0.8


@pytest.mark.parametrize(
    "cv_class, model, first, second, useful",
    [
        (DirtyRegressorCV, DirtyRegressor, "alpha_shared", "alpha_specific", lambda d, T: (1, T)),
        (
            RobustLowRankRegressorCV,
            RobustLowRankRegressor,
            "alpha_lowrank",
            "alpha_outlier",
            lambda d, T: (1, np.sqrt(T)),
        ),
        (
            SparseLowRankRegressorCV,
            SparseLowRankRegressor,
            "alpha_lowrank",
            "alpha_sparse",
            lambda d, T: (1, np.sqrt(d * T)),
        ),
        (
            RobustFeatureLearningRegressorCV,
            RobustFeatureLearningRegressor,
            "alpha_shared",
            "alpha_outlier",
            lambda d, T: (1 / np.sqrt(d), np.sqrt(T)),
        ),
    ],
)
def test_split_cv_searches_ratios_inside_the_useful_range(cv_class, model, first, second, useful):
    """The split models' searches: paths of one part's strength at ratios (first /
    second strength) inside their useful range, from the alpha_max that zeroes both
    parts at every ratio; the held-out errors are those of cold fits at the same
    pairs."""
    X, y, tasks = make_tasks(seed=44)  # 3 tasks
    ratio_name = next(iter(cv_class._ratios))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no grid point leaves a part unused
        cv = cv_class(**{f"{first}s": 6}, intercept_poolings=[0.0], tol=1e-10)
        cv.fit(X, y, tasks=tasks)
    ratios = getattr(cv, f"{ratio_name}s_")
    low, high = useful(X.shape[1], 3)
    np.testing.assert_allclose(ratios, low * (high / low) ** (np.array([0.5, 1.5, 2.5]) / 3))
    assert cv.mse_path_.shape == (3, 6, 5)
    chosen = getattr(cv, f"{first}_") / getattr(cv, f"{ratio_name}_")
    assert getattr(cv, f"{second}_") == pytest.approx(chosen)
    assert getattr(cv.estimator_, second) == getattr(cv, f"{second}_")

    def fit(a, ratio, X=X, y=y, tasks=tasks):
        est = model(**{first: a, second: a / ratio}, tol=1e-10, max_iter=100_000)
        return est.fit(X, y, tasks=tasks)

    # alpha_max: zero at the top of the path at every ratio, nonzero just below it
    # at the largest ratio (whichever part's bound binds there)
    top = getattr(cv, f"{first}s_")[0]
    for ratio in ratios:
        assert np.abs(fit(top, ratio).coef_).max() < 1e-10
    assert np.abs(fit(0.95 * top, ratios[-1]).coef_).max() > 1e-6
    # the held-out errors of one grid point: cold fits on the same folds
    i, j = 1, 3
    errors = []
    for tr, te in TaskStratifiedKFold(5).split(X, y, groups=tasks):
        est = fit(getattr(cv, f"{first}s_")[j], ratios[i], X[tr], y[tr], tasks[tr])
        errors.append(np.mean((est.predict(X[te], tasks=tasks[te]) - y[te]) ** 2))
    np.testing.assert_allclose(cv.mse_path_[i, j], errors, rtol=1e-6)


def test_dirty_cv_ratio_grid_given_and_checked():
    X, y, tasks = make_tasks(seed=44)
    model = DirtyRegressorCV(
        alpha_shareds=[0.5, 0.1], shared_ratios=[6.0], intercept_poolings=[0.0]
    )
    with pytest.warns(UserWarning, match="never needed") as caught:  # 6 > T = 3
        model.fit(X, y, tasks=tasks)
    assert model.mse_path_.shape == (1, 2, 5)
    # said once for the grid (not once per fold), plus once by a degenerate refit
    grid = [w for w in caught if "2 of the 2 grid points" in str(w.message)]
    assert len(grid) == 1
    assert sum("never needed" in str(w.message) for w in caught) <= 2
    for bad in ([0.0], [np.inf], [-1.0]):
        with pytest.raises(ValueError, match="shared_ratios"):
            DirtyRegressorCV(shared_ratios=bad, alpha_shareds=2).fit(X, y, tasks=tasks)


def test_path_along_another_strength():
    """Models without an ``alpha`` take ``param=``: the path's last solution is the
    cold fit at that strength; an ``alpha`` they do not have is an error, not a
    constant path."""
    X, y, tasks = make_tasks(seed=45)
    with pytest.raises(ValueError, match="param='alpha' is not a strength of DirtyRegressor"):
        regularization_path(DirtyRegressor(), X, y, tasks, alphas=[1.0, 0.1])
    est = DirtyRegressor(alpha_specific=0.05, tol=1e-12, max_iter=100_000)
    alphas, coefs, _, _ = regularization_path(
        est, X, y, tasks, alphas=[0.06, 0.1], param="alpha_shared"
    )
    np.testing.assert_array_equal(alphas, [0.1, 0.06])
    cold = DirtyRegressor(alpha_specific=0.05, alpha_shared=0.06, tol=1e-12, max_iter=100_000)
    cold.fit(X, y, tasks=tasks)
    np.testing.assert_allclose(coefs[-1], cold.coef_, atol=1e-6)
    assert np.abs(coefs[0] - coefs[-1]).max() > 1e-3  # the strength did change


@pytest.mark.parametrize(
    "est, first, second, ratio",
    [
        (RobustLowRankRegressor(), "alpha_lowrank", "alpha_outlier", 1.5),
        (SparseLowRankRegressor(), "alpha_lowrank", "alpha_sparse", 2.0),
        (RobustFeatureLearningRegressor(), "alpha_shared", "alpha_outlier", 1.0),
    ],
    ids=["RobustLowRank", "SparseLowRank", "RobustFeatureLearning"],
)
def test_split_model_paths_start_each_solve_from_the_last_parts(
    est, first, second, ratio, monkeypatch
):
    """Along a path at a fixed ratio of the two strengths (as the ``*CV`` search)
    each solve starts from the last solve's parts ``(P, Q)``: every point equals the
    cold fit at its strengths, and the path takes fewer iterations than one whose
    solves start from ``P = W, Q = 0``."""
    from skmtl import solvers
    from skmtl.model_selection._path import _path

    X, y, tasks = make_tasks(seed=46)
    est.set_params(tol=1e-10, max_iter=100_000)
    settings = [{first: a, second: a / ratio} for a in (0.3, 0.2, 0.12, 0.08, 0.06)]
    data, info, loss = est._prepare(X, y, tasks, None, True)
    est._weigh_tasks(data, info)
    path = _path(clone(est), data, info, loss, settings)
    for (W, _, _, _), point in zip(path, settings, strict=True):
        fit = clone(est).set_params(**point).fit(X, y, tasks=tasks)
        np.testing.assert_allclose(W.T, fit.coef_, rtol=0, atol=1e-6)
    stack = solvers._stack
    monkeypatch.setattr(solvers, "_stack", lambda C0, d, parts=None: stack(C0, d))
    from_w = _path(clone(est), data, info, loss, settings)
    assert sum(n for *_, n in path) < sum(n for *_, n in from_w)


def test_task_stratified_folds_keep_every_task_in_training():
    tasks = np.repeat([0, 1, 2, 3], [1, 2, 7, 20])
    folds = list(TaskStratifiedKFold(5, shuffle=True, random_state=0).split(tasks, groups=tasks))
    assert len(folds) == 5
    test_all = np.concatenate([test for _, test in folds])
    assert len(test_all) == len(set(test_all)) == len(tasks) - 1  # task 0 trains only
    for train, test in folds:
        assert set(tasks[train]) == {0, 1, 2, 3}
        assert len(np.intersect1d(train, test)) == 0
    counts = [np.sum(tasks[test] == 3) for _, test in folds]
    assert counts == [4] * 5  # stratified
    with pytest.raises(ValueError, match="needs the task labels"):
        list(TaskStratifiedKFold().split(tasks))
    # every fold holds out a sample: 29 can be (task 0's one sample never is)
    assert len(list(TaskStratifiedKFold(29).split(tasks, groups=tasks))) == 29
    with pytest.raises(ValueError, match=r"n_splits=30 greater .* held out: 29 \(of 30"):
        list(TaskStratifiedKFold(30).split(tasks, groups=tasks))


def test_task_stratified_folds_by_class_keep_every_class_of_every_task():
    """by_class=True: the folds of task_class_groups(tasks, y); a classifier with free
    intercepts then fits every fold of cross_val_score, where the task-only folds
    leave a task with one class in training."""
    from sklearn.model_selection import cross_val_score

    from skmtl import GroupLassoClassifier
    from skmtl.model_selection import task_class_groups

    rng = np.random.RandomState(0)
    tasks = np.repeat([0, 1, 2], [12, 15, 20])
    y = np.zeros(len(tasks), dtype=int)
    y[[0, 12, 13, 14, 27, 28, 29, 30]] = 1  # few positives (one in task 0)
    y[40] = 2  # a class of one sample in task 2: it trains only
    by_class = TaskStratifiedKFold(5, by_class=True)
    folds = list(by_class.split(tasks, y, groups=tasks))
    grouped = TaskStratifiedKFold(5).split(tasks, y, groups=task_class_groups(tasks, y))
    for (train, test), (_, test_g) in zip(folds, grouped, strict=True):
        np.testing.assert_array_equal(test, test_g)
        for t in range(3):
            assert set(y[train][tasks[train] == t]) == set(y[tasks == t])
    assert 40 not in np.concatenate([test for _, test in folds])
    X = np.column_stack([tasks, rng.randn(len(tasks), 2)])
    binary = (y > 0).astype(int)
    model = GroupLassoClassifier(alpha=0.01, task_column=0)
    with pytest.raises(ValueError, match=r"only one class.*by_class=True"):
        cross_val_score(
            model, X, binary, cv=TaskStratifiedKFold(5, task_column=0), error_score="raise"
        )
    scores = cross_val_score(
        model, X, binary, cv=TaskStratifiedKFold(5, task_column=0, by_class=True)
    )
    assert np.all(np.isfinite(scores))
    with pytest.raises(ValueError, match=r"by_class=True\) needs y"):
        list(by_class.split(tasks, groups=tasks))
    with_none = y.astype(object)
    with_none[3] = None
    with pytest.raises(ValueError, match="class label for every sample"):
        list(by_class.split(tasks, with_none, groups=tasks))
    with pytest.raises(ValueError, match="class label for every sample"):
        list(by_class.split(tasks, np.where(np.arange(len(y)) == 3, np.nan, y), groups=tasks))
    with pytest.raises(ValueError, match="by_class must be True or False"):
        list(TaskStratifiedKFold(by_class="yes").split(tasks, y, groups=tasks))


def test_cross_validate_with_routed_tasks_and_the_splitter():
    X, y, tasks = make_tasks(seed=45, sizes=(40, 50, 60))
    sklearn.set_config(enable_metadata_routing=True)
    try:
        model = GroupLassoRegressor(alpha=0.05).set_fit_request(tasks=True)
        model.set_score_request(tasks=True)
        pipe = make_pipeline(StandardScaler(), model)
        result = cross_validate(
            pipe,
            X,
            y,
            params={"tasks": tasks, "groups": tasks},
            cv=TaskStratifiedKFold(3),
            error_score="raise",
        )
    finally:
        sklearn.set_config(enable_metadata_routing=False)
    assert np.all(result["test_score"] > 0.3)


def test_cv_on_a_dask_cluster_equals_the_serial_fit():
    distributed = pytest.importorskip("dask.distributed")
    from joblib import parallel_backend

    X, y, tasks = make_tasks(seed=46, sizes=(40, 50, 60))
    serial = GroupLassoRegressorCV(alphas=10, tol=1e-10).fit(X, y, tasks=tasks)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
        parallel_backend("dask"),
    ):
        spread = GroupLassoRegressorCV(alphas=10, tol=1e-10, n_jobs=-1).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(spread.mse_path_, serial.mse_path_, rtol=1e-12)
    assert spread.alpha_ == serial.alpha_


def test_verbose_reports_progress(capsys):
    X, y, tasks = make_tasks(seed=47)
    GroupLassoRegressorCV(alphas=5, intercept_poolings=[0.0, 4.0], cv=3, verbose=1).fit(
        X, y, tasks=tasks
    )
    err = capsys.readouterr().err  # 5 alphas for each intercept pooling
    assert err.count("fold") == 3 and "10 fits" in err


def test_cv_task_column_form_and_kfold():
    X, y, tasks = make_tasks(seed=48, sizes=(40, 50, 60))
    Xt = np.column_stack([tasks, X])
    a = GroupLassoRegressorCV(task_column=0, alphas=6).fit(Xt, y)
    b = GroupLassoRegressorCV(alphas=6).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(a.mse_path_, b.mse_path_)
    np.testing.assert_allclose(a.predict(Xt), b.predict(X, tasks=tasks))
    c = GroupLassoRegressorCV(alphas=6, cv=KFold(3, shuffle=True, random_state=0))
    assert c.fit(X, y, tasks=tasks).mse_path_.shape == (6, 3)  # one estimated pooling


@pytest.mark.parametrize("average", ["tasks", "samples"])
def test_task_scorer_in_grid_search_with_routing(average):
    from sklearn.metrics import r2_score

    from skmtl.model_selection import TaskScorer

    X, y, tasks = make_tasks(seed=49, sizes=(40, 50, 60))
    scorer = TaskScorer("r2", average=average)
    model = GroupLassoRegressor(alpha=0.05).fit(X, y, tasks=tasks)
    per_task = np.mean(
        [
            r2_score(y[tasks == t], model.predict(X[tasks == t], tasks=tasks[tasks == t]))
            for t in range(3)
        ]
    )
    pooled = r2_score(y, model.predict(X, tasks=tasks))
    expected = per_task if average == "tasks" else pooled
    assert scorer(model, X, y, tasks=tasks) == pytest.approx(expected)
    if average == "tasks":  # a task whose rows all weigh zero is left out of the average
        weights = np.where(tasks == 0, 0.0, 1.0)
        without = np.mean(
            [
                r2_score(y[tasks == t], model.predict(X[tasks == t], tasks=tasks[tasks == t]))
                for t in (1, 2)
            ]
        )
        assert scorer(model, X, y, tasks=tasks, sample_weight=weights) == pytest.approx(without)
    sklearn.set_config(enable_metadata_routing=True)
    try:
        search = GridSearchCV(
            GroupLassoRegressor().set_fit_request(tasks=True),
            {"alpha": [0.3, 0.03]},
            scoring=scorer,
            cv=TaskStratifiedKFold(3),
        )
        search.fit(X, y, tasks=tasks, groups=tasks)
    finally:
        sklearn.set_config(enable_metadata_routing=False)
    assert search.best_params_["alpha"] in (0.3, 0.03)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    with pytest.raises(ValueError, match="metric must be one of"):
        TaskScorer("auc")


def test_task_scorer_sample_weight_is_requested_as_scikit_learns_scorers():
    """Through metadata routing, sample weights that weigh the fits are refused by a
    TaskScorer until requested (then they weigh the scores, as the estimator's own
    score does) or declined, as scikit-learn's scorers do; never silently dropped."""
    from sklearn.exceptions import UnsetMetadataPassedError
    from sklearn.model_selection import KFold, cross_validate

    from skmtl.model_selection import TaskScorer

    X, y, tasks = make_tasks(seed=50, sizes=(40, 40, 40))
    weights = np.where(np.arange(len(y)) % 2, 10.0, 0.1)
    cv = KFold(3, shuffle=True, random_state=0)
    params = {"tasks": tasks, "sample_weight": weights}
    sklearn.set_config(enable_metadata_routing=True)
    try:
        model = GroupLassoRegressor(alpha=0.05).set_fit_request(tasks=True, sample_weight=True)
        with pytest.raises(UnsetMetadataPassedError, match="set_score_request"):
            cross_validate(model, X, y, cv=cv, scoring=TaskScorer(), params=params)
        weighted = TaskScorer().set_score_request(sample_weight=True)
        scores = cross_validate(model, X, y, cv=cv, scoring=weighted, params=params)
        unweighted = TaskScorer().set_score_request(sample_weight=False)
        plain = cross_validate(model, X, y, cv=cv, scoring=unweighted, params=params)
    finally:
        sklearn.set_config(enable_metadata_routing=False)
    with pytest.raises(RuntimeError, match="needs metadata routing"):  # (as scikit-learn)
        TaskScorer().set_score_request(sample_weight=True)
    for k, (train, test) in enumerate(cv.split(X)):
        fitted = GroupLassoRegressor(alpha=0.05).fit(
            X[train], y[train], tasks=tasks[train], sample_weight=weights[train]
        )
        own = fitted.score(X[test], y[test], tasks=tasks[test], sample_weight=weights[test])
        assert scores["test_score"][k] == pytest.approx(own)
        bare = fitted.score(X[test], y[test], tasks=tasks[test])
        assert plain["test_score"][k] == pytest.approx(bare)


def test_task_scorer_reads_none_in_a_regressors_object_y_as_missing():
    """As the regressor's fit and score do: None in a wide object y is a missing target."""
    from skmtl.model_selection import TaskScorer

    rng = np.random.RandomState(3)
    X = rng.randn(30, 3)
    Y = X @ rng.randn(3, 3) + rng.randn(30, 3)
    with_nan, with_none = Y.copy(), Y.astype(object)
    with_nan[0, 0], with_none[0, 0] = np.nan, None
    model = GroupLassoRegressor(alpha=0.05).fit(X, with_none)
    for average in ("samples", "tasks"):
        scorer = TaskScorer("r2", average=average)
        assert scorer(model, X, with_none) == pytest.approx(scorer(model, X, with_nan))
    assert model.score(X, with_none) == pytest.approx(model.score(X, with_nan))


def test_int_grids_follow_sklearn_and_defaults_are_unchanged():
    """alphas=int: that many values from alpha_max where the model has one (as
    sklearn's MultiTaskLassoCV), else on the model's range; the same for a second
    grid. The defaults are the grids the *CV estimators always had."""
    X, Y, _, _ = make_mean_tasks(n_tasks=3, n_features=4, shared_design=True, random_state=0)
    model = MeanRegularizedRegressorCV(cv=2).fit(X, Y)
    np.testing.assert_array_equal(model.alphas_, np.logspace(2, -4, 25).round(12))
    np.testing.assert_array_equal(model.betas_, [1e-3, 1e-2, 1e-1])
    assert model.mse_path_.shape == (3, 25, 2)
    model = MeanRegularizedRegressorCV(alphas=4, betas=2, cv=2).fit(X, Y)
    np.testing.assert_allclose(model.alphas_, [100.0, 1.0, 0.01, 1e-4])
    np.testing.assert_allclose(model.betas_, [1e-3, 1e-1])
    lasso = GroupLassoRegressorCV(alphas=5, eps=1e-2, cv=2).fit(X, Y)
    alpha_max = GroupLassoRegressor().alpha_max(X, Y)
    np.testing.assert_allclose(lasso.alphas_, np.geomspace(alpha_max, 1e-2 * alpha_max, 5))
    # an int where the model has no alpha_max and no range of its own
    squared = TraceNormRegressorCV(alphas=3, squared=True, cv=2).fit(X, Y)
    np.testing.assert_allclose(squared.alphas_, [1.0, 1e-2, 1e-4])


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(alphas=0), "alphas must be >= 1"),
        (dict(alphas=None), "alphas must be an int .* or a non-empty 1-D array"),
        (dict(betas=[]), "betas must be an int .* or a non-empty 1-D array"),
        (dict(betas=[[0.1]]), "betas must be an int"),
        (dict(alphas=[1.0, -0.1]), "alphas must be an int .* strengths >= 0"),
        (dict(intercept_poolings="none"), "intercept_poolings must be a non-empty 1-D"),
        (dict(intercept_poolings=3), r"intercept_poolings must be a non-empty .*\(inf allowed"),
        (dict(alphas=[np.inf]), r"alphas must be an int .* >= 0 \(finite\)"),
        (dict(eps=0.0), "eps must be > 0"),
        # at or above 1 every strength of the grid fits the all-zero model
        (dict(eps=2.0), "eps must be below 1; got 2.0"),
        (dict(n_jobs=0), "n_jobs must be a number of processes, -1 for all cores"),
        # a float is neither a count nor values (it was one value, searching nothing)
        (dict(alphas=5.0), "alphas must be an int .*got 5.0. For one value, give it in a list"),
        (dict(betas=True), "betas must be an int .*got True"),
        (dict(intercept_poolings=[]), "intercept_poolings must be a non-empty 1-D"),
    ],
)
def test_bad_grids_are_named(params, match):
    X, y, tasks = make_tasks(seed=50)
    with pytest.raises(ValueError, match=match):
        MeanRegularizedRegressorCV(**params).fit(X, y, tasks=tasks)


def test_a_new_estimator_parameter_needs_only_the_cv_signature():
    """The forwarding rule: every parameter of a *CV that its estimator also has is
    passed to it (the folds and the refit), with nothing else to change."""
    from skmtl._base import store_parameters
    from skmtl._mixins import RegressorMixin
    from skmtl.model_selection._cv import _PathCV

    class Marked(GroupLassoRegressor):
        def __init__(self, alpha=1.0, *, mark=None, intercept_pooling=0.0, tol=1e-4):
            super().__init__(alpha, intercept_pooling=intercept_pooling, tol=tol)
            self.mark = mark

        def _make_penalty(self, n_tasks, n_features=None):
            assert self.mark == "seen"  # in every fold's path, not only in the refit
            return super()._make_penalty(n_tasks, n_features)

    class MarkedCV(RegressorMixin, _PathCV):
        _model = Marked

        def __init__(
            self, *, alphas=3, intercept_poolings=None, mark=None, tol=1e-4,
            task_column=None, verbose=0, eps=1e-3, cv=None, n_jobs=None,
        ):  # fmt: skip
            store_parameters(self, locals())

    X, y, tasks = make_tasks(seed=51)
    model = MarkedCV(mark="seen", tol=1e-6, cv=2).fit(X, y, tasks=tasks)
    assert model.estimator_.mark == "seen" and model.estimator_.tol == 1e-6
    assert MarkedCV.__module__ != "skmtl.model_selection"  # only ours are moved there


def _anova_pooling(X, y, tasks, w):
    """The moment estimate of ``sigma^2 / tau^2`` from explicit designs: weighted
    least squares with one dummy per task, and with one intercept."""
    labels, t = np.unique(tasks, return_inverse=True)
    T = len(labels)
    dummies = np.eye(T)[t]
    root = np.sqrt(w)[:, None]

    def residuals(design):
        coef = np.linalg.lstsq(design * root, y * root[:, 0], rcond=None)[0]
        return y - design @ coef, np.linalg.matrix_rank(design * root)

    within, rank = residuals(np.column_stack([X, dummies]))
    sigma2 = w @ within**2 / (len(y) - rank)
    pooled, _ = residuals(np.column_stack([np.ones(len(y)), X]))
    n_t = np.bincount(t, w)
    rbar = np.bincount(t, w * pooled) / n_t
    ssb = n_t @ (rbar - n_t @ rbar / n_t.sum()) ** 2
    tau2 = (ssb - (T - 1) * sigma2) / (n_t.sum() - n_t @ n_t / n_t.sum())
    return sigma2 / tau2


def _random_intercepts(seed, n_tasks, sigma2=1.0, tau2=0.25, sizes=(3, 30)):
    rng = np.random.RandomState(seed)
    tasks = np.repeat(np.arange(n_tasks), rng.randint(*sizes, n_tasks))
    X = rng.randn(len(tasks), 3) * [1.0, 10.0, 0.1] + rng.randn(n_tasks, 3)[tasks]
    b = np.sqrt(tau2) * rng.randn(n_tasks)
    y = X @ [1.0, -0.2, 3.0] + 2.0 + b[tasks] + np.sqrt(sigma2) * rng.randn(len(tasks))
    return X, y, tasks


def test_default_intercept_pooling_is_the_moment_estimate():
    """With the squared loss and task labels, ``intercept_poolings=None`` fits the
    noise-to-intercept variance ratio of a random-intercept model by the method of
    moments (unequal task sizes, sample weights, correlated task-level features)
    instead of searching a grid: the closed form from explicit dummy designs; scaling
    the sample weights scales it (its unit is the sum of sample weights) and leaves
    the model unchanged; on many tasks it recovers the simulated ratio."""
    X, y, tasks = _random_intercepts(0, 12)
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    search = MeanRegularizedRegressorCV(cv=3).fit(X, y, tasks=tasks, sample_weight=w)
    assert search.intercept_pooling_ == pytest.approx(_anova_pooling(X, y, tasks, w), rel=1e-9)
    assert "intercept_pooling" not in search.searched_strengths_
    np.testing.assert_array_equal(search.intercept_poolings_, [search.intercept_pooling_])
    scaled = MeanRegularizedRegressorCV(cv=3).fit(X, y, tasks=tasks, sample_weight=3 * w)
    assert scaled.intercept_pooling_ == pytest.approx(3 * search.intercept_pooling_, rel=1e-9)
    np.testing.assert_allclose(scaled.coef_, search.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(scaled.intercept_, search.intercept_, rtol=1e-7, atol=1e-10)
    X, y, tasks = _random_intercepts(2, 400)
    ratio = MeanRegularizedRegressorCV(alphas=[0.1], cv=2).fit(X, y, tasks=tasks).intercept_pooling_
    assert ratio == pytest.approx(4.0, rel=0.2)


def _gaussian_reml_pooling(X, y, tasks, s):
    """``1 / tau^2`` of a random-intercept model with noise variance ``1 / s_i``,
    fitted by restricted maximum likelihood from the dense marginal covariance
    ``V = diag(1 / s) + tau^2 Z Z^T`` (``Z`` the task dummies)."""
    from scipy.optimize import minimize_scalar

    _, t = np.unique(tasks, return_inverse=True)
    same = (t[:, None] == t[None, :]).astype(float)
    A = np.column_stack([X, np.ones(len(y))])

    def restricted(log_pooling):
        V = np.diag(1.0 / s) + np.exp(-log_pooling) * same
        Vinv = np.linalg.inv(V)
        G = A.T @ Vinv @ A
        r = y - A @ np.linalg.solve(G, A.T @ Vinv @ y)
        return np.linalg.slogdet(V)[1] + np.linalg.slogdet(G)[1] + r @ Vinv @ r

    bounds = np.log([1e-3, 1e4])
    result = minimize_scalar(restricted, bounds=bounds, method="bounded", options={"xatol": 1e-9})
    return np.exp(result.x)


def test_laplace_pooling_is_exact_for_a_gaussian_model():
    """The Laplace approximation of the restricted likelihood is exact for the
    squared loss (a Gaussian model of unit noise variance, sample weights its
    precisions): :func:`laplace_pooling` then equals REML's ``1 / tau^2`` from the
    dense marginal covariance, with correlated task-level features and unequal
    tasks."""
    from skmtl.losses import SquaredLoss
    from skmtl.model_selection._folds import prepare_pooled
    from skmtl.model_selection._grids import laplace_pooling

    X, y, tasks = _random_intercepts(4, 9, sigma2=1.0, tau2=0.5)
    s = np.random.RandomState(5).uniform(0.5, 2.0, len(y))
    data, _, _ = prepare_pooled(MeanRegularizedRegressor(), X, y, tasks, s)
    estimate = laplace_pooling(data, SquaredLoss())
    assert estimate == pytest.approx(_gaussian_reml_pooling(X, y, tasks, s), rel=1e-5)


def _glmm_tasks(seed, loss, n_tasks, tau2):
    rng = np.random.RandomState(seed)
    tasks = np.repeat(np.arange(n_tasks), rng.randint(15, 60, n_tasks))
    X = rng.randn(len(tasks), 2) * [1.0, 5.0] + rng.randn(n_tasks, 2)[tasks]
    z = X @ [0.5, -0.1] - 0.3 + np.sqrt(tau2) * rng.randn(n_tasks)[tasks]
    if loss == "logistic":
        return X, (rng.rand(len(z)) < 1.0 / (1.0 + np.exp(-z))).astype(int), tasks
    return X, rng.poisson(np.exp(z)).astype(float), tasks


@pytest.mark.parametrize("loss, tau2", [("logistic", 0.5), ("poisson", 0.25)])
def test_default_intercept_pooling_of_a_likelihood_is_the_laplace_estimate(loss, tau2):
    """With the logistic and Poisson losses (negative log-likelihoods) and task
    labels, ``intercept_poolings=None`` estimates ``1 / tau^2`` of a random-intercept
    model instead of searching a grid: on many tasks it recovers the simulated
    value, and on the logistic data it agrees with statsmodels' variational Bayes
    fit of the same model (``BinomialBayesMixedGLM``)."""
    X, y, tasks = _glmm_tasks(0, loss, 300, tau2)
    Est = GroupLassoClassifierCV if loss == "logistic" else GroupLassoRegressorCV
    params = {} if loss == "logistic" else {"loss": "poisson"}
    search = Est(alphas=[1e-4], cv=2, **params).fit(X, y, tasks=tasks)
    assert "intercept_pooling" not in search.searched_strengths_
    assert search.intercept_pooling_ == pytest.approx(1.0 / tau2, rel=0.2)
    if loss == "logistic":
        mixed_glm = pytest.importorskip("statsmodels.genmod.bayes_mixed_glm")
        dummies = np.eye(300)[tasks]
        model = mixed_glm.BinomialBayesMixedGLM(
            y.astype(float), np.column_stack([np.ones(len(y)), X]), dummies, np.zeros(300, int)
        )
        vb = model.fit_vb()
        assert search.intercept_pooling_ == pytest.approx(np.exp(-2 * vb.vcp_mean[0]), rel=0.1)


def test_m_estimate_pooling_of_the_huber_and_pinball_losses():
    """With a loss of the residual alone (``location``: Huber, pinball) and task
    labels, ``intercept_poolings=None`` estimates the pooling of a random-intercept
    model for that M-estimator, ``E[psi^2] / (E[psi'] tau^2)``, instead of
    searching a grid: Huber with an ``epsilon`` beyond every residual gives the
    squared loss's moment estimate (closed form), and with a tiny one ``2 epsilon``
    times the median's; scaling every sample weight (precision weights) scales the
    estimate alike; the pinball loss's estimate scales as ``1 / c`` with the
    targets' scale ``c`` (its loss is linear in them); on many tasks with normal
    noise both recover the simulated model's value (``q (1 - q) / (phi(z_q)
    tau^2)`` for the pinball loss), and on tasks of one or two rows the median's
    estimate keeps its ratio ``sqrt(2 pi) / 4`` to the moment estimate (one-row
    tasks, whose residuals are zero, left out); a few gross outliers leave it
    nearly unchanged (their rows are left out of the moments); a loss that is not a ``location``
    one (the Poisson loss declared no likelihood) gets the grid."""
    from scipy import stats

    from skmtl.losses import HuberLoss, PoissonLoss, QuantileLoss
    from skmtl.model_selection._folds import prepare_pooled
    from skmtl.model_selection._grids import m_estimate_pooling

    def estimate(loss, X, y, tasks, w=None):
        data, _, fitted = prepare_pooled(GroupLassoRegressor(loss=loss), X, y, tasks, w)
        return m_estimate_pooling(data, fitted)

    X, y, tasks = _random_intercepts(0, 12)
    w = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    squared = _anova_pooling(X, y, tasks, w)
    assert estimate(HuberLoss(1e9), X, y, tasks, w) == pytest.approx(squared, rel=1e-9)
    median = estimate(QuantileLoss(0.5), X, y, tasks)
    assert estimate(HuberLoss(1e-3), X, y, tasks) == pytest.approx(2e-3 * median, rel=0.01)
    for loss in (HuberLoss(1.35), QuantileLoss(0.8)):
        once = estimate(loss, X, y, tasks, w)
        assert 0 < once < np.inf
        assert estimate(loss, X, y, tasks, 3 * w) == pytest.approx(3 * once, rel=1e-6)
    once = estimate(QuantileLoss(0.8), X, y, tasks, w)
    assert estimate(QuantileLoss(0.8), X, 4 * y, tasks, w) == pytest.approx(once / 4, rel=1e-6)
    search = GroupLassoRegressorCV(loss=QuantileLoss(0.8), alphas=[0.01], cv=2)
    search.fit(X, y, tasks=tasks, sample_weight=w)
    assert "intercept_pooling" not in search.searched_strengths_
    assert search.intercept_pooling_ == pytest.approx(once)

    class Counts(PoissonLoss):  # neither a likelihood (so declared) nor a location loss
        likelihood = False

    search = GroupLassoRegressorCV(loss=Counts(), alphas=[0.01], cv=2)
    search.fit(X, np.round(np.abs(y)), tasks=tasks)
    np.testing.assert_array_equal(search.intercept_poolings_, POOLING_GRID)
    X, y, tasks = _random_intercepts(2, 400)  # sigma^2 = 1, tau^2 = 0.25
    for q in (0.5, 0.9):
        expected = q * (1 - q) / (stats.norm.pdf(stats.norm.ppf(q)) * 0.25)
        assert estimate(QuantileLoss(q), X, y, tasks) == pytest.approx(expected, rel=0.2)
    eps = 1.35
    inside = 2 * stats.norm.cdf(eps) - 1  # E[psi'] = P(|e| <= eps)
    psi2 = inside - 2 * eps * stats.norm.pdf(eps) + eps**2 * (1 - inside)
    expected = psi2 / (inside * 0.25)
    assert estimate(HuberLoss(eps), X, y, tasks) == pytest.approx(expected, rel=0.2)
    X, y, tasks = _random_intercepts(3, 600, sizes=(1, 3))
    moments = _anova_pooling(X, y, tasks, np.ones(len(y)))
    ratio = estimate(QuantileLoss(0.5), X, y, tasks) / moments
    assert ratio == pytest.approx(np.sqrt(2 * np.pi) / 4, rel=0.15)
    # a few gross outliers (6 rows of 600 moved by 50 sd) leave it where it was: they
    # would have moved their tasks' means, tau^2 and the residuals of their tasks
    rng = np.random.RandomState(0)
    tasks = np.repeat(np.arange(40), 15)
    X = rng.randn(600, 2)
    y = X @ [1.0, -1.0] + rng.randn(40)[tasks] + rng.randn(600)
    spoiled = y.copy()
    spoiled[rng.choice(600, 6, replace=False)] += 50.0
    for loss in (HuberLoss(), QuantileLoss(0.5), QuantileLoss(0.9)):
        clean = estimate(loss, X, y, tasks)
        assert estimate(loss, X, spoiled, tasks) == pytest.approx(clean, rel=0.15)


def test_margin_pooling_of_the_squared_hinge():
    """With the squared hinge (``margin``: ``(y - z)^2`` where the margin is
    violated) and task labels, ``intercept_poolings=None`` estimates the pooling as
    its curvature, 2, times the squared loss's moment estimate on the -1/+1 labels
    (closed form from explicit dummy designs) instead of searching a grid; scaling
    every sample weight scales it alike; a task whose training rows are all of one
    class (free intercepts infinite) leaves it as it is; a loss declared without a
    ``margin``, or labels without noise within the tasks (every task of one class),
    get the grid; a margin loss without a curvature is refused by name."""
    from skmtl.losses import SquaredHingeLoss

    X, z, tasks = _random_intercepts(6, 15)
    labels = (z > np.median(z)).astype(int)
    w = np.random.RandomState(7).uniform(0.5, 2.0, len(z))
    signs = 2.0 * labels - 1.0
    expected = 2 * _anova_pooling(X, signs, tasks, w)
    search = GroupLassoClassifierCV(loss="squared_hinge", alphas=[0.01], cv=2)
    search.fit(X, labels, tasks=tasks, sample_weight=w)
    assert "intercept_pooling" not in search.searched_strengths_
    assert search.intercept_pooling_ == pytest.approx(expected, rel=1e-9)
    search.fit(X, labels, tasks=tasks, sample_weight=3 * w)
    assert search.intercept_pooling_ == pytest.approx(3 * expected, rel=1e-9)
    one_class = labels.copy()
    one_class[tasks == 0] = 1
    search.fit(X, one_class, tasks=tasks)
    expected = 2 * _anova_pooling(X, 2.0 * one_class - 1.0, tasks, np.ones(len(z)))
    assert search.intercept_pooling_ == pytest.approx(expected, rel=1e-9)

    class NoMargin(SquaredHingeLoss):
        margin = False

    search = GroupLassoClassifierCV(loss=NoMargin(), alphas=[0.01], cv=2)
    search.fit(X, labels, tasks=tasks)  # (0 left out: some tasks are of one class)
    np.testing.assert_array_equal(search.intercept_poolings_, POOLING_GRID[1:])
    # every task of one class: no noise within the tasks to estimate (the ratio
    # would be round-off, in effect free intercepts): the grid, without 0
    search = GroupLassoClassifierCV(loss="squared_hinge", alphas=[0.01], cv=2)
    search.fit(X, tasks % 2, tasks=tasks)
    np.testing.assert_array_equal(search.intercept_poolings_, POOLING_GRID[1:])

    class NoCurvature(SquaredHingeLoss):
        curvature = None

    with pytest.raises(TypeError, match="declares margin but no curvature"):
        GroupLassoClassifierCV(loss=NoCurvature(), cv=2).fit(X, labels, tasks=tasks)


def _multinomial_tasks(seed, n_tasks, tau2, K=3):
    """``K`` classes, task intercepts ``N(0, tau2 I)`` (one per class)."""
    rng = np.random.RandomState(seed)
    tasks = np.repeat(np.arange(n_tasks), rng.randint(15, 60, n_tasks))
    X = rng.randn(len(tasks), 2) * [1.0, 5.0] + rng.randn(n_tasks, 2)[tasks]
    Z = X @ (rng.randn(2, K) * [[0.5], [0.1]]) + np.sqrt(tau2) * rng.randn(n_tasks, K)[tasks]
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    return X, (P.cumsum(axis=1) > rng.rand(len(Z), 1)).argmax(axis=1), tasks


def _dense_multinomial_laplace(X, labels, tasks, K):
    """The multinomial Laplace criterion of :func:`laplace_pooling` minimised over
    ``log(1 / tau^2)``, from one dense design of all the parameters (each class's
    coefficients and intercept, each task's class intercepts) and the pseudo-
    determinant of the whole Hessian at the mode (found by Newton's method with
    least-squares steps), without eliminating the task intercepts."""
    from scipy.linalg import block_diag
    from scipy.optimize import minimize_scalar
    from scipy.special import logsumexp, softmax

    n, T = len(labels), tasks.max() + 1
    A = np.column_stack([X, np.ones(n)])
    p = A.shape[1]
    # z (n, K) flattened row-major = D @ theta, theta = (a (K, p), u (T, K))
    D = np.zeros((n, K, K * p + T * K))
    for k in range(K):
        D[:, k, k * p : (k + 1) * p] = A
        D[np.arange(n), k, K * p + tasks * K + k] = 1.0
    D = D.reshape(n * K, -1)
    Y = np.eye(K)[labels]
    prior = np.r_[np.zeros(K * p), np.ones(T * K)]

    def restricted(log_lam):
        lam, theta = np.exp(log_lam), np.zeros(D.shape[1])
        for _ in range(100):
            Z = (D @ theta).reshape(n, K)
            P = softmax(Z, axis=1)
            grad = D.T @ (P - Y).ravel() + lam * prior * theta
            blocks = np.einsum("ik,kl->ikl", P, np.eye(K)) - np.einsum("ik,il->ikl", P, P)
            H = D.T @ (block_diag(*blocks) @ D) + np.diag(lam * prior)
            step = np.linalg.lstsq(H, grad, rcond=None)[0]
            theta = theta - step
            if np.abs(step).max() < 1e-12:
                break
        Z = (D @ theta).reshape(n, K)
        value = np.sum(logsumexp(Z, axis=1) - np.sum(Y * Z, axis=1))
        value += 0.5 * lam * np.sum(prior * theta**2)
        eig = np.linalg.eigvalsh(H)
        logdet = np.sum(np.log(eig[eig > 1e-10 * eig.max()]))
        return value + 0.5 * logdet - 0.5 * T * K * log_lam

    bounds = np.log([1e-3, 1e4])
    result = minimize_scalar(restricted, bounds=bounds, method="bounded", options={"xatol": 1e-8})
    return np.exp(result.x)


def test_laplace_pooling_of_the_multinomial_loss(monkeypatch):
    """Three classes: the criterion of :func:`laplace_pooling` (task intercepts
    eliminated) has the optimum of the same Laplace approximation computed from one
    dense design of all the parameters; with two classes the multinomial loss's
    estimate is twice the logistic loss's (its intercepts' difference is the
    logistic intercept: the same model, whose pooling term the multinomial
    classifiers count twice, checked on the fits); on many tasks the
    ``*CV`` estimate recovers the simulated ``1 / tau^2`` instead of searching a
    grid; with more features than ``MOMENT_FEATURES / K`` it estimates nothing."""
    from skmtl.losses import MultinomialLoss
    from skmtl.model_selection._folds import prepare_pooled
    from skmtl.model_selection._grids import laplace_pooling

    X, labels, tasks = _multinomial_tasks(0, 5, 1.0)
    X, labels, tasks = X[::3], labels[::3], tasks[::3]  # (a small dense design)
    data, _, loss = prepare_pooled(GroupLassoClassifier(), X, labels, tasks, None)
    assert loss == MultinomialLoss(3)
    estimate = laplace_pooling(data, loss)
    assert estimate == pytest.approx(_dense_multinomial_laplace(X, labels, tasks, 3), rel=1e-4)

    X, y, tasks = _glmm_tasks(1, "logistic", 40, 0.5)
    two = GroupLassoClassifier(loss=MultinomialLoss(2))
    logistic = laplace_pooling(*prepare_pooled(GroupLassoClassifier(), X, y, tasks, None)[::2])
    multinomial = laplace_pooling(*prepare_pooled(two, X, y, tasks, None)[::2])
    assert multinomial == pytest.approx(2 * logistic, rel=1e-4)
    fits = [
        Est.fit(X, y, tasks=tasks).predict_proba(X, tasks=tasks)
        for Est in (
            GroupLassoClassifier(alpha=1e-3, intercept_pooling=logistic, tol=1e-12),
            two.set_params(alpha=1e-3 * np.sqrt(2), intercept_pooling=multinomial, tol=1e-12),
        )
    ]
    np.testing.assert_allclose(fits[0], fits[1], atol=1e-4)

    X, labels, tasks = _multinomial_tasks(2, 300, 0.5)
    search = GroupLassoClassifierCV(alphas=[1e-2], cv=2).fit(X, labels, tasks=tasks)
    assert "intercept_pooling" not in search.searched_strengths_
    assert search.intercept_pooling_ == pytest.approx(2.0, rel=0.2)
    # its Newton systems have K (d + 1) unknowns: K d above MOMENT_FEATURES, no estimate
    from skmtl.model_selection import _grids

    monkeypatch.setattr(_grids, "MOMENT_FEATURES", 3 * X.shape[1] - 1)
    data, _, loss = prepare_pooled(GroupLassoClassifier(), X, labels, tasks, None)
    assert laplace_pooling(data, loss) is None


def test_default_intercept_pooling_limits(monkeypatch):
    """Tasks whose rows are copies of each other (no spread of their mean residuals):
    one common intercept (``inf``). No degree of freedom left for the noise (two rows
    per task, as many features as tasks), more features than ``MOMENT_FEATURES`` or
    a loss that is neither the squared loss nor a likelihood: the grid
    ``POOLING_GRID`` is searched."""
    X, y, tasks = _random_intercepts(3, 6)
    copies = np.repeat(np.arange(6), 10)
    search = MeanRegularizedRegressorCV(cv=3).fit(
        np.tile(X[:10], (6, 1)), np.tile(y[:10], 6), tasks=copies
    )
    assert search.intercept_pooling_ == np.inf
    pairs = np.repeat(np.arange(3), 2)
    tiny = MeanRegularizedRegressorCV(cv=2).fit(X[:6], y[:6], tasks=pairs)
    np.testing.assert_array_equal(tiny.intercept_poolings_, POOLING_GRID)
    assert "intercept_pooling" in tiny.searched_strengths_
    from skmtl.model_selection import _grids

    monkeypatch.setattr(_grids, "MOMENT_FEATURES", X.shape[1] - 1)
    wide = MeanRegularizedRegressorCV(alphas=[0.1], cv=3).fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(wide.intercept_poolings_, POOLING_GRID)
    Xb, yb, tb = make_tasks(loss="logistic", seed=3)
    clf = GroupLassoClassifierCV(alphas=3, cv=3, loss="squared_hinge").fit(Xb, yb, tasks=tb)
    np.testing.assert_array_equal(clf.intercept_poolings_, POOLING_GRID)
    monkeypatch.undo()
    clf = GroupLassoClassifierCV(alphas=3, cv=3).fit(Xb, yb, tasks=tb)
    assert clf.intercept_poolings_.shape == (1,)  # the Laplace estimate
    copies = np.repeat(np.arange(4), 30)  # (no spread: one common intercept)
    clf = GroupLassoClassifierCV(alphas=3, cv=3)
    clf.fit(np.tile(Xb[:30], (4, 1)), np.tile(yb[:30], 4), tasks=copies)
    assert clf.intercept_pooling_ == np.inf
    monkeypatch.setattr(_grids, "MOMENT_FEATURES", Xb.shape[1] - 1)
    clf = GroupLassoClassifierCV(alphas=3, cv=3).fit(Xb, yb, tasks=tb)
    np.testing.assert_array_equal(clf.intercept_poolings_, POOLING_GRID)


def test_one_class_task_leaves_free_intercepts_out_of_the_search(monkeypatch):
    """A task with samples of one class has no finite free intercept: the default
    pooling (estimated) is positive, the default grid (where no estimate is made)
    leaves out 0 (the same fit as that grid given), a grid given with 0 gets an
    error that names intercept_poolings, and the estimator that raised is left as
    it was; a wide y, whose default is free intercepts, searches the pooled ones."""
    from skmtl.model_selection import _grids

    X, y, tasks = make_tasks(loss="logistic", seed=3)
    y = y.copy()
    y[tasks == tasks[0]] = y.max()
    estimated = GroupLassoClassifierCV(alphas=3, cv=3).fit(X, y, tasks=tasks)
    assert 0 < estimated.intercept_pooling_ < np.inf
    monkeypatch.setattr(_grids, "MOMENT_FEATURES", X.shape[1] - 1)
    search = GroupLassoClassifierCV(alphas=3, cv=3).fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(search.intercept_poolings_, POOLING_GRID[1:])
    given = GroupLassoClassifierCV(alphas=3, cv=3, intercept_poolings=POOLING_GRID[1:])
    given.fit(X, y, tasks=tasks)
    np.testing.assert_allclose(search.coef_, given.coef_, rtol=0, atol=1e-12)
    with_zero = GroupLassoClassifierCV(alphas=3, cv=3, intercept_poolings=[0.0, 1.0])
    with pytest.raises(ValueError, match=r"intercept_poolings holds 0.*only one class"):
        with_zero.fit(X, y, tasks=tasks)
    assert not hasattr(with_zero, "coef_")
    # wide: the default is free intercepts, which a one-class task does not allow:
    # the pooled ones of the default grid instead (it raised, naming a parameter the
    # *CV estimators do not have)
    Y = np.column_stack([np.ones(30), y[:30]])
    wide = GroupLassoClassifierCV(alphas=3, cv=3).fit(X[:30], Y)
    np.testing.assert_array_equal(wide.intercept_poolings_, POOLING_GRID[1:])
    given = GroupLassoClassifierCV(alphas=3, cv=3, intercept_poolings=POOLING_GRID[1:])
    np.testing.assert_allclose(wide.coef_, given.fit(X[:30], Y).coef_, rtol=0, atol=1e-12)


@pytest.mark.parametrize("name", ["GroupLassoRegressorCV", "MeanRegularizedRegressorCV"])
def test_cv_leaves_rows_of_zero_weight_out_of_the_folds(name):
    """Zero-weight rows carry nothing: the default folds split the weighted rows, so
    a task with one weighted row trains in every fold (it raised "no samples with
    positive weight" when a test fold took that row), and the CV equals the CV
    of the weighted rows alone."""
    X, y, tasks = make_tasks(seed=75, sizes=(20, 20, 20))
    weights = np.ones(len(y))
    weights[:20] = 0.0
    weights[3] = 1.0
    cls = getattr(skmtl, name)
    model = cls(cv=3).fit(X, y, tasks=tasks, sample_weight=weights)
    keep = weights > 0
    alone = cls(cv=3).fit(X[keep], y[keep], tasks=tasks[keep])
    assert model.alpha_ == alone.alpha_
    np.testing.assert_allclose(model.mse_path_, alone.mse_path_, rtol=1e-12)
    np.testing.assert_allclose(model.coef_, alone.coef_, rtol=1e-10, atol=1e-12)


def test_cv_with_a_splitter_without_groups_does_not_warn_about_them():
    """The task labels go to the splitter as groups; KFold ignores them and said so
    in a UserWarning the user had not caused."""
    X, y, tasks = make_tasks(seed=76)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", "The groups parameter is ignored")
        skmtl.GroupLassoRegressorCV(cv=KFold(3, shuffle=True, random_state=0)).fit(
            X, y, tasks=tasks
        )


def test_cv_refit_on_an_array_forgets_the_last_frames_column_names():
    """A *CV carries its refit's fitted attributes: none of an earlier fit's stays
    (feature_names_in_ of a DataFrame, after a refit on an array of 4 features)."""
    pd = pytest.importorskip("pandas")
    X, y, tasks = make_tasks(seed=5, sizes=(30, 30, 30))
    model = GroupLassoRegressorCV(alphas=3, cv=3)
    model.fit(pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])]), y, tasks=tasks)
    assert hasattr(model, "feature_names_in_")
    model.fit(X[:, :4], y, tasks=tasks)
    assert not hasattr(model, "feature_names_in_")
    assert model.n_features_in_ == 4


def test_task_stratified_kfold_checks_its_flags_and_class_labels():
    X, y, tasks = make_tasks(seed=5, sizes=(30, 30, 30))
    with pytest.raises(ValueError, match="shuffle must be True or False; got 'no'"):
        list(TaskStratifiedKFold(3, shuffle="no").split(X, y, groups=tasks))
    with pytest.raises(ValueError, match="needs class labels in y; y is continuous"):
        list(TaskStratifiedKFold(3, by_class=True).split(X, y, groups=tasks))
    labels = (y > 0).astype(float)  # class labels as floats are labels
    assert len(list(TaskStratifiedKFold(3, by_class=True).split(X, labels, groups=tasks))) == 3


def test_task_stratified_kfold_checks_its_task_labels():
    """The splitter reads task labels as the estimators do: a column vector of them
    (a DataFrame's double-bracket column) is one label per sample, and a missing or
    mixed-type label, or a 2-D array, is a clear error, not numpy's."""
    X, y, tasks = make_tasks(seed=5, sizes=(30, 30, 30))
    as_column = TaskStratifiedKFold(3).split(X, groups=tasks[:, None])
    as_vector = TaskStratifiedKFold(3).split(X, groups=tasks)
    for (train, test), (train1, test1) in zip(as_column, as_vector, strict=True):
        assert np.array_equal(train, train1) and np.array_equal(test, test1)
    missing, mixed = tasks.astype(object), tasks.astype(object)
    missing[0], mixed[0] = None, "a"
    for groups, message in (
        (missing, "missing labels"),
        (mixed, "mixes labels of types"),
        (np.column_stack([tasks, tasks]), "must be 1-D"),
    ):
        with pytest.raises(ValueError, match=message):
            list(TaskStratifiedKFold(3).split(X, groups=groups))
    model = GroupLassoRegressorCV(alphas=3, cv=3).fit(X, y, tasks=tasks[:, None])
    assert list(model.tasks_) == list(np.unique(tasks))


def test_cv_splitters_take_groups_and_classifiers_split_by_class():
    """groups= reaches the splitter, as precomputed folds do: task and class groups
    for a classifier's TaskStratifiedKFold, as cv=int makes (a task with two rows
    of one class trains on both classes in every fold), patients for GroupKFold."""
    from sklearn.model_selection import GroupKFold

    from skmtl.model_selection import task_class_groups

    X, y, tasks = make_tasks(seed=5, sizes=(30, 30, 30))
    labels = (y > np.median(y)).astype(int)
    rows = np.flatnonzero(tasks == 1)
    labels[rows] = 0
    labels[rows[[0, 3]]] = 1
    grid = dict(alphas=3, intercept_poolings=[0.0])
    by_int = GroupLassoClassifierCV(cv=3, **grid).fit(X, labels, tasks=tasks)
    with pytest.raises(ValueError, match=r"TaskStratifiedKFold\(..., by_class=True\)"):
        GroupLassoClassifierCV(cv=TaskStratifiedKFold(3), **grid).fit(X, labels, tasks=tasks)
    by_splitter = GroupLassoClassifierCV(cv=TaskStratifiedKFold(3), **grid).fit(
        X, labels, tasks=tasks, groups=task_class_groups(tasks, labels)
    )
    np.testing.assert_array_equal(by_splitter.score_path_, by_int.score_path_)
    by_class = GroupLassoClassifierCV(cv=TaskStratifiedKFold(3, by_class=True), **grid)
    np.testing.assert_array_equal(
        by_class.fit(X, labels, tasks=tasks).score_path_, by_int.score_path_
    )
    patients = np.arange(len(y)) % 9
    routed = GroupLassoRegressorCV(alphas=4, cv=GroupKFold(3)).fit(
        X, y, tasks=tasks, groups=patients
    )
    folds = list(GroupKFold(3).split(X, y, groups=patients))
    given = GroupLassoRegressorCV(alphas=4, cv=folds).fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(routed.mse_path_, given.mse_path_)
    with pytest.raises(ValueError, match="groups has shape"):
        GroupLassoRegressorCV(alphas=4).fit(X, y, tasks=tasks, groups=patients[:5])


def test_cv_warm_start_refits_from_the_last_solution():
    X, y, tasks = make_tasks(seed=6)
    cold = GroupLassoRegressorCV(alphas=[0.05], tol=1e-8).fit(X, y, tasks=tasks)
    warm = GroupLassoRegressorCV(alphas=[0.05], tol=1e-8, warm_start=True)
    first = warm.fit(X, y, tasks=tasks).estimator_
    warm.fit(X, y, tasks=tasks)
    assert warm.estimator_ is not first and first.n_iter_ == cold.n_iter_  # (not mutated)
    assert warm.n_iter_ < cold.n_iter_
    np.testing.assert_allclose(warm.coef_, cold.coef_, rtol=1e-5, atol=1e-8)


def test_cv_on_new_tasks_follows_unknown_task():
    """Folds that hold out whole tasks (GroupKFold) are scored by the population
    model: with a warning by default, silently with 'mean'; 'error' cannot score
    them and says so before any fit."""
    from sklearn.model_selection import GroupKFold

    X, y, tasks = make_tasks(seed=7, sizes=(30, 30, 30))
    cv = GroupKFold(3)
    with pytest.warns(skmtl.UnknownTaskWarning, match="3 of the 3 test folds hold tasks"):
        warned = GroupLassoRegressorCV(alphas=3, cv=cv).fit(X, y, tasks=tasks)
    with warnings.catch_warnings():
        warnings.simplefilter("error", skmtl.UnknownTaskWarning)
        silent = GroupLassoRegressorCV(alphas=3, cv=cv, unknown_task="mean").fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(warned.mse_path_, silent.mse_path_)
    with pytest.raises(ValueError, match="unknown_task='error' cannot score"):
        GroupLassoRegressorCV(alphas=3, cv=cv, unknown_task="error").fit(X, y, tasks=tasks)


def test_default_folds_leave_out_zero_weight_rows_for_wide_y():
    """As with task labels: rows of zero weight are left out of the default folds of
    a wide y, so that they change nothing."""
    rng = np.random.default_rng(1)
    X = rng.standard_normal((30, 5))
    Y = X @ rng.standard_normal((5, 3)) + rng.standard_normal((30, 3))
    weights = np.random.default_rng(0).integers(0, 4, 30)
    keep = weights > 0
    zero = GroupLassoRegressorCV(alphas=20, cv=3).fit(X, Y, sample_weight=weights)
    kept = GroupLassoRegressorCV(alphas=20, cv=3).fit(X[keep], Y[keep], sample_weight=weights[keep])
    np.testing.assert_array_equal(zero.mse_path_, kept.mse_path_)
    assert zero.alpha_ == kept.alpha_


def test_main_task_held_out_of_a_fold_is_named():
    from sklearn.model_selection import GroupKFold

    X, y, tasks = make_tasks(seed=74)
    cv = GroupLassoRegressorCV(alphas=3, cv=GroupKFold(3), main_task=2)
    with pytest.raises(ValueError, match="holds main_task=2 out of its training rows"):
        cv.fit(X, y, tasks=tasks, groups=tasks)


def _random_intercept_logistic(seed, n_tasks=30, n_samples=10, tau=0.3):
    """Samples of a random-intercept logistic model, and new samples of its tasks."""
    rng = np.random.RandomState(seed)
    intercepts = tau * rng.randn(n_tasks) - 0.5

    def draw(m):
        tasks = np.repeat(np.arange(n_tasks), m)
        X = rng.randn(n_tasks * m, 3)
        z = X @ [1.0, -0.5, 0.0] + intercepts[tasks]
        return X, (rng.rand(len(z)) < 1 / (1 + np.exp(-z))).astype(int), tasks

    return draw(n_samples), draw(300)


def test_classifier_cv_folds_do_not_flatter_free_intercepts():
    """The default folds of a classifier's search of poolings split each task's
    samples, not its samples of each class: those give a task's held-out samples the
    class mix of its training ones, and the search chose a pooling of 1 where the
    intercepts' spread (0.3 on the log-odds scale, 10 samples per task) asks for
    about 1 / 0.3^2 = 11; the default folds choose 4 or more (here inf), with a lower
    log-loss on new samples of the same tasks."""
    from sklearn.metrics import log_loss

    from skmtl.model_selection import task_class_groups

    (X, y, tasks), (X_new, y_new, tasks_new) = _random_intercept_logistic(0)
    # the default estimate (no folds involved) is near the simulated 1 / 0.3^2
    estimated = GroupLassoClassifierCV().fit(X, y, tasks=tasks).intercept_pooling_
    assert estimated == pytest.approx(1 / 0.3**2, rel=0.25)
    default = GroupLassoClassifierCV(intercept_poolings=POOLING_GRID).fit(X, y, tasks=tasks)
    by_class = GroupLassoClassifierCV(intercept_poolings=POOLING_GRID)
    by_class.fit(X, y, tasks=tasks, groups=task_class_groups(tasks, y))
    assert default.intercept_pooling_ >= 4 and by_class.intercept_pooling_ <= 1
    new_loss = {
        name: log_loss(y_new, model.predict_proba(X_new, tasks=tasks_new)[:, 1])
        for name, model in (("default", default), ("by_class", by_class))
    }
    assert new_loss["default"] < new_loss["by_class"] - 0.005
    # free intercepts are infinite in a fold where a task trains on one class: an
    # infinite error at pooling 0 there, finite ones elsewhere
    path = -default.score_path_  # (poolings, alphas, folds)
    folds = list(TaskStratifiedKFold(5).split(X, y, groups=tasks))
    one_class = np.array(
        [any(np.ptp(y[train][tasks[train] == t]) == 0 for t in range(30)) for train, _ in folds]
    )
    assert one_class.any()
    assert default.intercept_poolings_[0] == 0
    np.testing.assert_array_equal(np.isinf(path[0]).all(axis=0), one_class)
    assert np.isfinite(path[1:]).all()


def test_cv_of_counts_goes_on_where_a_fold_trains_a_task_on_zero_counts():
    """A task whose only nonzero count is held out trains on zeros: its free intercept
    is minus infinity there. The search scores pooling 0 as infinite in that fold
    (it raised before) and chooses among the others; free intercepts alone raise an
    error that says what to search."""
    rng = np.random.RandomState(0)
    tasks = np.repeat(np.arange(10), 12)
    X = rng.randn(120, 3)
    y = rng.poisson(np.exp(0.3 * X[:, 0] + 0.5)).astype(float)
    rows = np.flatnonzero(tasks == 3)
    y[rows] = 0.0
    y[rows[0]] = 2.0
    search = GroupLassoRegressorCV(loss="poisson", intercept_poolings=POOLING_GRID)
    search.fit(X, y, tasks=tasks)
    folds = list(TaskStratifiedKFold(5).split(X, y, groups=tasks))
    held_out = np.array([rows[0] in test for _, test in folds])
    assert search.intercept_poolings_[0] == 0 and search.intercept_pooling_ > 0
    np.testing.assert_array_equal(np.isinf(search.mse_path_[0]).all(axis=0), held_out)
    assert np.isfinite(search.mse_path_[0][:, ~held_out]).all()
    assert np.isfinite(search.mse_path_[1:]).all()
    fold = np.flatnonzero(held_out)[0] + 1
    with pytest.raises(ValueError, match=rf"infinite in fold {fold} of 5: Task\(s\) \[3\] have"):
        GroupLassoRegressorCV(loss="poisson", intercept_poolings=[0.0]).fit(X, y, tasks=tasks)


def test_classifier_cv_folds_keep_a_rare_class_in_training():
    """Folds by task only can hold out every sample of a rare class at once (one per
    task, each in the same place): the default folds then split by task and class,
    so that it trains, and the fit goes on."""
    from skmtl.model_selection import task_class_groups

    rng = np.random.RandomState(0)
    tasks = np.repeat(np.arange(20), 10)
    X = rng.randn(200, 3)
    y = np.zeros(200, dtype=int)
    y[::10] = 1
    assert any(y[train].max() == 0 for train, _ in TaskStratifiedKFold(5).split(X, y, tasks))
    search = GroupLassoClassifierCV(alphas=3).fit(X, y, tasks=tasks)
    by_class = GroupLassoClassifierCV(alphas=3).fit(
        X, y, tasks=tasks, groups=task_class_groups(tasks, y)
    )
    np.testing.assert_array_equal(search.score_path_, by_class.score_path_)


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_cv_sums_up_the_convergence_warnings_of_its_folds(n_jobs):
    """The fits on the folds that stop short give one ConvergenceWarning together,
    with their count and the first one's message (a non-convex ``*CV`` on
    Contraception gave about 150, each with its own numbers, and Python showed them
    all; with ``n_jobs`` they were lost in the workers); the refit on all the data
    warns on its own."""
    from sklearn.exceptions import ConvergenceWarning

    X, y, tasks = make_tasks(seed=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GroupLassoRegressorCV(alphas=5, cv=3, max_iter=2, n_jobs=n_jobs).fit(X, y, tasks=tasks)
    messages = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(messages) == 2
    summary, refit = messages
    assert re.match(
        r"\d+ convergence warning\(s\) from the fits on 3 of the 3 cross-validation folds "
        r"\(15 fits in all\).* The first: FISTA did not converge",
        summary,
    )
    assert refit.startswith("FISTA did not converge")


def test_cv_folds_pass_other_warnings_through_the_callers_filters():
    """Only the folds' ConvergenceWarnings are held back for the summary: another
    warning raised in a fold (here by a loss's ``inverse_link`` on the held-out
    rows) meets the caller's filters as raised, ``module=`` filters included."""
    from sklearn.exceptions import ConvergenceWarning

    from skmtl.losses import HuberLoss

    class NoisyHuber(HuberLoss):
        def inverse_link(self, z):
            warnings.warn("noisy inverse link", UserWarning, stacklevel=1)
            return z

    X, y, tasks = make_tasks(seed=3)
    search = GroupLassoRegressorCV(loss=NoisyHuber(), alphas=3, cv=3, max_iter=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.filterwarnings("ignore", "noisy", UserWarning, module=__name__)
        search.fit(X, y, tasks=tasks)
    assert not [w for w in caught if "noisy" in str(w.message)]
    assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        search.fit(X, y, tasks=tasks)
    assert any("noisy" in str(w.message) for w in caught)  # (unfiltered: shown)


def test_laplace_pooling_estimates_nothing_where_no_mode_is_finite():
    """Classes separable by the features (the mode runs off: the estimate would be
    round-off) and tasks that each hold one class (the criterion falls to the lower
    end of its range) give no estimate: the ``*CV`` searches ``POOLING_GRID``."""
    rng = np.random.RandomState(0)
    tasks = np.repeat(np.arange(6), 30)
    X = rng.randn(180, 3)
    separable = (X[:, 0] + 0.3 * X[:, 1] > 0).astype(int)
    search = GroupLassoClassifierCV(alphas=3, cv=3).fit(X, separable, tasks=tasks)
    np.testing.assert_array_equal(search.intercept_poolings_, POOLING_GRID)
    from skmtl.model_selection._folds import prepare_pooled
    from skmtl.model_selection._grids import laplace_pooling

    data, _, loss = prepare_pooled(GroupLassoClassifier(), X, tasks % 2, tasks, None)
    assert laplace_pooling(data, loss) is None


def test_cv_input_errors_name_the_cv_estimator():
    """scikit-learn's NaN message names the estimator called (it named the inner
    model that the ``*CV`` validates the data with)."""
    X, y, tasks = make_tasks(loss="logistic", seed=3)
    X = X.copy()
    X[0, 0] = np.nan
    with pytest.raises(ValueError, match="^Input X contains NaN.\nGroupLassoClassifierCV does not"):
        GroupLassoClassifierCV(alphas=3, cv=3).fit(X, y, tasks=tasks)


def test_a_fold_whose_training_rows_fail_is_named():
    """Data valid as a whole may not be in a fold's training part (the one positive
    count held out): the error names the fold, not only the data."""
    rng = np.random.RandomState(0)
    tasks = np.repeat(np.arange(3), 10)
    X, y = rng.randn(30, 2), np.zeros(30)
    y[0] = 3.0
    with pytest.raises(ValueError, match=r"Fold 1 of 2, its training rows: y holds no positive"):
        GroupLassoRegressorCV(loss="poisson", cv=2).fit(X, y, tasks=tasks)


def test_classifier_cv_takes_a_column_vector_y_as_one_tasks_labels():
    """As fit does (with one warning): y of shape (n, 1) is y.ravel(), split by the
    same stratified folds (unstratified, an imbalanced y sorted by class left a
    training fold of one class and the fit failed)."""
    from sklearn.exceptions import DataConversionWarning

    from skmtl.model_selection import GroupLassoClassifierCV

    rng = np.random.RandomState(0)
    X = rng.randn(100, 3)
    y = np.r_[np.zeros(88), np.ones(12)].astype(int)
    X[88:, 0] += 1.5
    flat = GroupLassoClassifierCV().fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        column = GroupLassoClassifierCV().fit(X, y[:, None])
    assert [w.category for w in caught] == [DataConversionWarning]
    assert column.alpha_ == flat.alpha_
    np.testing.assert_array_equal(column.coef_, flat.coef_)


def test_folds_without_a_score_are_named_not_chosen_from():
    """A test fold whose rows all weigh zero scores 0/0 (NaN), which argmin took for
    the best error (alpha_max: an all-zero model); a cv with no split gave an empty
    path and the same model. Both are named errors; groups passed to a splitter
    that ignores them are said to be ignored, as scikit-learn says."""
    from skmtl.model_selection import GroupLassoRegressorCV

    rng = np.random.RandomState(5)
    X = rng.randn(60, 4)
    y = 3 * X[:, 0] + rng.randn(60)
    weights = np.r_[np.zeros(20), np.ones(40)]
    with pytest.raises(ValueError, match="Fold 1 of 3 has no test sample of positive weight"):
        GroupLassoRegressorCV(alphas=5, cv=KFold(3)).fit(X, y, sample_weight=weights)
    assert GroupLassoRegressorCV(alphas=5, cv=3).fit(X, y, sample_weight=weights).coef_[0] > 2
    splits = KFold(3).split(X)  # a generator: one fit uses it up
    GroupLassoRegressorCV(alphas=5, cv=splits).fit(X, y)
    with pytest.raises(ValueError, match="cv gave no train/test split"):
        GroupLassoRegressorCV(alphas=5, cv=splits).fit(X, y)
    with pytest.warns(UserWarning, match="The groups parameter is ignored by KFold"):
        GroupLassoRegressorCV(alphas=5, cv=KFold(3)).fit(X, y, groups=np.arange(60) % 6)


def test_tied_mean_errors_go_to_the_first_in_grid_order():
    """Errors within 1e-7 (relative) of the lowest are ties, decided by grid order
    (the path's strongest first), not by round-off: a non-convex model's flat stretch
    of equal models chose alpha_ 0.041 on dense X and 0.060 on the same X as CSR."""
    from skmtl.model_selection._cv import _first_best

    flat = np.array([4.1, 0.0913041734, 0.0913041686, 0.0913041686, 0.0913041686])
    assert _first_best(flat) == 1  # 5e-9 apart: tied with the lowest
    assert _first_best(np.array([4.1, 0.0914, 0.0913, 0.0913])) == 2  # a real difference
    assert _first_best(np.array([[np.nan, 0.5], [0.2, 0.2]])) == 2  # NaN left out
    assert _first_best(np.array([np.nan, np.nan])) == 0
    assert _first_best(np.array([np.nan, np.inf])) == 1
    # ties along the path only: another grid's point is another model
    assert _first_best(np.array([[1.0, 0.5 + 1e-9], [0.5, 2.0]])) == 2


@pytest.mark.parametrize("name", [n for n in skmtl.model_selection.__all__ if n.endswith("CV")])
def test_cv_estimators_have_no_alpha_max_of_their_own(name):
    """A *CV searches its strengths: the model's alpha_max (which read the strength
    parameters a *CV does not have, an AttributeError from inside) is not offered;
    its default alphas_ start at the tuned model's."""
    cv = getattr(skmtl.model_selection, name)()
    assert not hasattr(cv, "alpha_max")
    assert hasattr(cv._model(), "alpha_max")


def test_cv_predicts_with_the_unknown_task_policy_of_the_moment():
    """unknown_task is a prediction-time policy: set on a fitted *CV it applies at
    once, as on the estimators (the refit model kept the policy of fit)."""
    X, y, tasks = make_tasks(seed=3)
    model = GroupLassoClassifierCV(alphas=3, cv=3, unknown_task="mean").fit(X, y > 0, tasks=tasks)
    new = np.full(len(X), 9)
    for method in ("predict", "predict_proba", "decision_function"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            silent = getattr(model, method)(X, tasks=new)
        with pytest.warns(skmtl.UnknownTaskWarning):
            np.testing.assert_array_equal(
                getattr(model.set_params(unknown_task="warn"), method)(X, tasks=new), silent
            )
        with pytest.raises(ValueError, match="Unknown task label"):
            getattr(model.set_params(unknown_task="error"), method)(X, tasks=new)
        model.set_params(unknown_task="mean")
    assert model.estimator_.unknown_task == "mean"
    for typo in ("raise", "Error", None):  # refused, not taken as "mean"
        with pytest.raises(ValueError, match="unknown_task must be one of"):
            model.set_params(unknown_task=typo).predict(X, tasks=new)
