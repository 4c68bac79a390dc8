"""The *CV estimators of the non-convex, split, feature-group and fused models, and
the graph-regularized CV's sparse terms: the same held-out curve and choice as
GridSearchCV on the same folds, warm-started paths equal to cold fits, the grids'
tops, the forwarded parameters."""

import itertools
import warnings

import numpy as np
import pytest
from conftest import make_tasks
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV

import skmtl
from skmtl import (
    BlockMCPClassifier,
    BlockMCPRegressor,
    CappedL1Regressor,
    FusedSparseGroupLassoRegressor,
    GraphRegularizedRegressor,
)
from skmtl.model_selection import TaskStratifiedKFold, regularization_path

NEW = [
    "CappedL1RegressorCV",
    "CappedL1ClassifierCV",
    "BlockMCPRegressorCV",
    "BlockMCPClassifierCV",
    "BlockSCADRegressorCV",
    "BlockSCADClassifierCV",
    "SparseLowRankRegressorCV",
    "SparseLowRankClassifierCV",
    "RobustFeatureLearningRegressorCV",
    "RobustFeatureLearningClassifierCV",
    "FeatureGroupLassoRegressorCV",
    "FeatureGroupLassoClassifierCV",
    "FusedSparseGroupLassoRegressorCV",
    "FusedSparseGroupLassoClassifierCV",
]
#: the grids of each family: the path's first (decreasing), then a second one
GRIDS = {
    "CappedL1": {"alpha": [0.3, 0.1, 0.03, 0.01]},
    "BlockMCP": {"alpha": [0.3, 0.1, 0.03, 0.01]},
    "BlockSCAD": {"alpha": [0.3, 0.1, 0.03, 0.01]},
    # a ratio of the two strengths, inside its useful range on these 6 features and 3
    # tasks: (1, sqrt(18)) and (1 / sqrt(6), sqrt(3))
    "SparseLowRank": {"alpha_lowrank": [0.3, 0.1, 0.03], "lowrank_ratio": [1.5, 3.0]},
    "RobustFeatureLearning": {"alpha_shared": [0.3, 0.1, 0.03], "shared_ratio": [0.6, 1.2]},
    "FeatureGroupLasso": {"alpha": [0.3, 0.1, 0.03, 0.01]},
    "FusedSparseGroupLasso": {"alpha_l21": [0.3, 0.1, 0.03], "alpha_fused": [0.01, 0.1]},
}
#: fixed parameters, passed to the CV and to the estimator alike
FIXED = {"FeatureGroupLasso": {"groups": [[0, 1, 2], [3, 4, 5]]}}
#: tight enough that warm- and cold-started fits give the same held-out errors (the
#: log-loss sees what accuracy did not: at 1e-8 a warm start of the robust feature
#: learning classifier, 1.7e-8 above the cold fit's objective, moved a fold's
#: held-out log-loss by 4e-5)
TOL = 1e-10


def _data(classifier, seed):
    """Three tasks (30, 40, 50 rows, 6 features); a classifier's labels with 30%
    flipped, so that no feature separates them (an unshrunk row of the non-convex
    models would then grow to its stage bound, slowly)."""
    X, y, tasks = make_tasks(
        loss="logistic" if classifier else "squared", seed=seed, sizes=(30, 40, 50)
    )
    if classifier:
        flip = np.random.RandomState(seed).rand(len(y)) < 0.3
        y = np.where(flip, 1 - y, y)
    return X, y, tasks


def test_new_cv_classes_are_public():
    for name in NEW:
        assert name in skmtl.__all__ and name in skmtl.model_selection.__all__
        assert getattr(skmtl, name) is getattr(skmtl.model_selection, name)
        assert getattr(skmtl, name)._model is getattr(skmtl, name[: -len("CV")])


def _compare_with_grid_search(cls, grid, fixed, X, y, tasks, atol=0.0, **params):
    """Fit ``cls`` and GridSearchCV over the same grid and folds; their held-out
    curves must agree and the CV's choice must be one of the search's best points."""
    folds = dict(n_splits=3, shuffle=True, random_state=0)
    first, *others = grid
    model = cls(
        **{f"{k}s": v for k, v in grid.items()},
        **fixed,
        intercept_poolings=[0.0],
        cv=TaskStratifiedKFold(**folds),
        tol=TOL,
        max_iter=50_000,
        **params,
    )
    with warnings.catch_warnings():  # classifiers' unshrunk rows near separability
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, tasks=tasks)
        regressor = not model._is_classifier
        # the estimator's parameters at each point, in the CV's order (second grids...,
        # path): a searched ratio becomes the strength it stands for
        points = list(itertools.product(*(grid[k] for k in [*others, first])))
        names = [*others, first]
        estimator_grid = [
            {k: [v] for k, v in model._point_params(dict(zip(names, p, strict=True))).items()}
            for p in points
        ]
        search = GridSearchCV(
            cls._model(task_column=0, tol=TOL, max_iter=50_000, **fixed, **params),
            estimator_grid,
            scoring=(
                "neg_mean_squared_error"
                if regressor
                else "neg_log_loss"  # a loss with probabilities, else accuracy
                if hasattr(model, "predict_proba")
                else "accuracy"
            ),
            cv=TaskStratifiedKFold(**folds, task_column=0),
        ).fit(np.column_stack([tasks, X]), y)
    # the CV's curve is (second grids..., path); the search's, looked up point by point
    curve = (model.mse_path_ if regressor else model.score_path_).mean(axis=-1)
    scores = dict(zip(points, search.cv_results_["mean_test_score"], strict=True))
    searched = np.array([scores[point] for point in points]).reshape(curve.shape)
    np.testing.assert_allclose(curve, -searched if regressor else searched, rtol=1e-5, atol=atol)
    chosen = {name: getattr(model, f"{name}_") for name in grid}
    best = search.cv_results_["mean_test_score"].max()
    assert scores[tuple(chosen[k] for k in [*others, first])] == pytest.approx(best, rel=1e-6)
    assert model.searched_strengths_ == tuple(grid)
    # the refit is the estimator at the chosen strengths
    chosen = model._point_params(chosen)
    refit = cls._model(**chosen, **fixed, tol=TOL, max_iter=50_000, **params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        refit.fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, refit.coef_, rtol=1e-6, atol=1e-8)
    return model


@pytest.mark.parametrize("name", NEW)
def test_cv_equals_grid_search_on_the_same_folds(name):
    """Each new CV: its held-out curve is GridSearchCV's on the same folds (warm-
    started paths, also the non-convex models' multi-stage fits, against cold
    fits) and it chooses a point with the best held-out error."""
    cls = getattr(skmtl, name)
    family = name[: -len("RegressorCV")] if "Regressor" in name else name[: -len("ClassifierCV")]
    X, y, tasks = _data("Classifier" in name, seed=7)
    _compare_with_grid_search(cls, GRIDS[family], FIXED.get(family, {}), X, y, tasks)


@pytest.mark.parametrize("Est", [BlockMCPRegressor, BlockMCPClassifier, CappedL1Regressor])
def test_non_convex_path_runs_the_stages(Est):
    """A path point is the multi-stage fit (not only its convex first stage): the
    warm-started path equals cold fits, which differ from the group lasso."""
    X, y, tasks = _data(Est is BlockMCPClassifier, seed=40)
    est = Est(tol=1e-10, max_iter=50_000)
    alphas, coefs, _, _ = regularization_path(est, X, y, tasks, alphas=5, eps=1e-2)
    assert not np.any(coefs[0])  # alpha_max of the convex first stage zeroes W
    stages = []
    for alpha, coef in zip(alphas[1:], coefs[1:], strict=True):
        cold = Est(alpha=alpha, tol=1e-10, max_iter=50_000).fit(X, y, tasks=tasks)
        np.testing.assert_allclose(coef, cold.coef_, rtol=1e-6, atol=1e-8)
        stages.append(cold.n_stages_)
    assert max(stages) > 1  # the stages did change the solution somewhere


def test_fused_grid_starts_at_zero_for_every_fusion():
    """The top of alpha_l21s=int is the smallest alpha_l21 with W = 0 at
    alpha_fused = 0 (tight there), and W = 0 for every larger alpha_fused."""
    X, y, tasks = make_tasks(seed=8)
    cls = skmtl.FusedSparseGroupLassoRegressorCV
    model = cls(0.02, alpha_l21s=3, alpha_fuseds=[0.1], intercept_poolings=[0.0], cv=2)
    model.fit(X, y, tasks=tasks)
    top = model.alpha_l21s_[0]
    for fused in (0.0, 0.01, 1.0):
        fit = FusedSparseGroupLassoRegressor(0.02, fused, top, tol=1e-10).fit(X, y, tasks=tasks)
        assert np.abs(fit.coef_).max() <= 1e-12, fused  # zero but round-off at the top
    below = FusedSparseGroupLassoRegressor(0.02, 0.0, 0.98 * top, tol=1e-10)
    assert np.any(below.fit(X, y, tasks=tasks).coef_)
    np.testing.assert_allclose(model.alpha_l21s_, np.geomspace(top, 1e-3 * top, 3))


@pytest.mark.parametrize("alpha_l1", ["abc", None, np.nan, -1.0])
def test_fused_cv_checks_its_fixed_alpha_l1(alpha_l1):
    """alpha_l1 enters the grid's alpha_max: checked before it, by name."""
    X, y, tasks = make_tasks(seed=8)
    with pytest.raises(ValueError, match="alpha_l1 must be"):
        skmtl.FusedSparseGroupLassoRegressorCV(alpha_l1, cv=2).fit(X, y, tasks=tasks)


def test_graph_cv_takes_the_sparse_terms_and_a_chain():
    X, y, tasks = make_tasks(seed=9)
    fixed = dict(graph="chain", alpha_l1=0.01, alpha_l21=0.02)
    cls = skmtl.GraphRegularizedRegressorCV
    model = cls(**fixed, alphas=[1.0, 0.1], betas=[0.01], intercept_poolings=[0.0], cv=3)
    model.fit(X, y, tasks=tasks)
    # alpha_l21 not searched without a grid: the parameter's value
    assert model.searched_strengths_ == ("alpha", "beta")
    assert model.alpha_l21_ == 0.02 and list(model.alpha_l21s_) == [0.02]
    assert model.mse_path_.shape == (1, 2, 3)
    for name, value in fixed.items():
        assert getattr(model.estimator_, name) == value
    ref = GraphRegularizedRegressor(**fixed, alpha=model.alpha_, beta=0.01, tol=model.tol).fit(
        X, y, tasks=tasks
    )
    np.testing.assert_allclose(model.coef_, ref.coef_)


def test_graph_cv_searches_alpha_l21_when_given_a_grid():
    X, y, tasks = make_tasks(seed=10, sizes=(30, 40, 50))
    grid = {"alpha": [1.0, 0.1, 0.01], "beta": [0.01], "alpha_l21": [0.003, 0.03, 0.3]}
    fixed = {"graph": "chain", "alpha_l1": 0.005}
    model = _compare_with_grid_search(skmtl.GraphRegularizedRegressorCV, grid, fixed, X, y, tasks)
    assert model.mse_path_.shape == (1, 3, 3, 3)  # (betas, alpha_l21s, alphas, folds)
    assert model.estimator_.alpha_l21 == model.alpha_l21_
    assert model.alpha_l21_ in grid["alpha_l21"]


@pytest.mark.parametrize(
    "name, loss",
    [
        ("FeatureGroupLassoRegressorCV", "poisson"),
        ("BlockMCPRegressorCV", "huber"),
        ("SparseLowRankClassifierCV", "squared_hinge"),
    ],
)
def test_loss_is_forwarded_and_scored_on_the_mean(name, loss):
    """``loss`` reaches the folds and the refit; the held-out error of a Poisson
    model is on its predicted means ``exp(z)``, as GridSearchCV scores predict."""
    cls = getattr(skmtl, name)
    if loss == "poisson":
        rng = np.random.RandomState(11)
        X, _, tasks = make_tasks(seed=11, sizes=(30, 40, 50))
        y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1] + 0.5)).astype(float)
    else:
        X, y, tasks = _data("Classifier" in name, seed=11)
    family = name.replace("RegressorCV", "").replace("ClassifierCV", "")
    grid = GRIDS[family]
    if loss == "poisson":
        grid = {"alpha": [0.1, 0.03, 0.01, 0.003]}
    model = _compare_with_grid_search(cls, grid, FIXED.get(family, {}), X, y, tasks, loss=loss)
    assert model.estimator_.loss == loss and model.loss == loss
