"""MALSAR's convex model families: sparse graph models (SRMTL, TGL), sparse + low
rank and robust feature learning, feature groups and incomplete multi-source fusion.
Each against cvxpy, its reductions and sklearn's contract."""

from functools import partial

import numpy as np
import pytest
from conftest import check_fista_against_cvxpy, make_tasks
from sklearn.utils.estimator_checks import check_estimator

from skmtl import (
    GraphRegularizedClassifier,
    GraphRegularizedRegressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
    RobustFeatureLearningClassifier,
    RobustFeatureLearningRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
)
from skmtl.penalties import GraphPenalty, QuadraticPlusNorm

REGRESSOR_OF = {"squared": 0, "logistic": 1}

SPARSE_GRAPH = {  # strengths of the norms for the logistic loss, twice them for squared
    "srmtl": dict(alpha=0.3, beta=0.0, alpha_l1=0.15),
    "tgl": dict(graph="chain", alpha=0.3, beta=0.02, alpha_l21=0.25),
    "graph-l1-l21": dict(graph="chain", alpha=0.2, beta=0.01, alpha_l1=0.06, alpha_l21=0.15),
}


def _graph(loss, **params):
    Est = GraphRegularizedRegressor if loss == "squared" else GraphRegularizedClassifier
    return Est(**params)


def _sparse_graph(name, loss, **kw):
    params = dict(SPARSE_GRAPH[name])
    for key in ("alpha_l1", "alpha_l21"):
        if key in params and loss == "squared":
            params[key] *= 2
    return _graph(loss, **params, **kw)


@pytest.mark.parametrize("name", SPARSE_GRAPH)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("variant", ["dense", "sparse+weights"])
def test_sparse_graph_matches_cvxpy(name, loss, variant):
    ours = check_fista_against_cvxpy(
        partial(_sparse_graph, name, loss), loss, variant, seed=3, max_iter=100_000
    )
    assert isinstance(ours._make_penalty(3, 6), QuadraticPlusNorm)
    assert 0 < np.count_nonzero(ours.coef_) < ours.coef_.size  # the norm acts


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_sparse_graph_with_pooled_intercepts_matches_cvxpy(loss):
    make = partial(_sparse_graph, "tgl", loss, intercept_pooling=5.0)
    check_fista_against_cvxpy(make, loss, "dense", seed=4, max_iter=10**5)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("norm", ["alpha_l1", "alpha_l21"])
def test_zero_graph_is_the_lasso_or_group_lasso(loss, norm):
    X, y, tasks = make_tasks(loss=loss, seed=5)
    graph = _graph(loss, graph=np.zeros((3, 3)), alpha=1.0, beta=0.0, tol=1e-12, **{norm: 0.1})
    graph.fit(X, y, tasks=tasks)
    GroupLasso = GroupLassoRegressor if loss == "squared" else GroupLassoClassifier
    ratio = 1.0 if norm == "alpha_l1" else 0.0
    lasso = GroupLasso(alpha=0.1, l1_ratio=ratio, tol=1e-12).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(graph.coef_, lasso.coef_, atol=1e-7)
    assert graph.objective_ == pytest.approx(lasso.objective_, rel=1e-10)


def test_without_norm_terms_the_closed_form_is_kept():
    X, y, tasks = make_tasks(seed=6)
    model = GraphRegularizedRegressor(graph="chain", alpha=0.3, beta=0.02)
    assert isinstance(model._make_penalty(3, 6), GraphPenalty)
    closed = model.set_params(solver="closed_form").fit(X, y, tasks=tasks)
    assert closed.n_iter_ == 1
    # a vanishing norm term goes through FISTA to the same solution
    tiny = GraphRegularizedRegressor(graph="chain", alpha=0.3, beta=0.02, alpha_l1=1e-14)
    tiny.set_params(tol=1e-12).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(tiny.coef_, closed.coef_, atol=1e-8)


def test_chain_graph_is_consecutive_tasks():
    penalty = _graph("squared", graph="chain", alpha=1.0, beta=0.0, alpha_l1=1.0)
    W = np.random.RandomState(0).randn(4, 5)
    quadratic = penalty._make_penalty(5, 4).quadratic
    assert quadratic.value(W) == pytest.approx(np.sum(np.diff(W, axis=1) ** 2))


def test_sparse_graph_bad_input():
    X, y, tasks = make_tasks(seed=0)
    with pytest.raises(ValueError, match="'chain'"):
        GraphRegularizedRegressor(graph="ring", alpha_l1=0.1).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="alpha_l21"):
        GraphRegularizedRegressor(alpha_l21=-1.0).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="beta"):  # no norm: the ridge must be positive
        GraphRegularizedRegressor(beta=0.0).fit(X, y, tasks=tasks)


def test_sparse_graph_partial_fit_equals_fit():
    X, y, tasks = make_tasks(seed=7)
    fit = _sparse_graph("tgl", "squared", tol=1e-12).fit(X, y, tasks=tasks)
    incremental = _sparse_graph("tgl", "squared", tol=1e-12)
    incremental.partial_fit(X[::2], y[::2], tasks=tasks[::2])
    incremental.partial_fit(X[1::2], y[1::2], tasks=tasks[1::2])
    np.testing.assert_allclose(incremental.coef_, fit.coef_, atol=1e-7)


def check_input_forms(make_estimator, loss, seed=0):
    """Wide Y, ``tasks=`` and ``task_column`` give the same model (one design)."""
    rng = np.random.RandomState(seed)
    X = rng.randn(40, 5)
    Y = X @ rng.randn(5, 3) + 0.3 * rng.randn(40, 3)
    if loss == "logistic":
        Y = (Y > 0).astype(int)
    wide = make_estimator().fit(X, Y)
    rows = np.tile(X, (3, 1))
    labels = np.repeat(np.arange(3), 40)
    long = make_estimator().fit(rows, Y.T.ravel(), tasks=labels)
    column = make_estimator().set_params(task_column=0)
    column.fit(np.column_stack([labels, rows]), Y.T.ravel())
    np.testing.assert_allclose(long.coef_, wide.coef_, atol=1e-6)
    np.testing.assert_allclose(column.coef_, wide.coef_, atol=1e-6)
    first = long.predict(X, tasks=np.zeros(40, int))
    np.testing.assert_allclose(first, wide.predict(X)[:, 0], atol=1e-6)
    return wide


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_sparse_graph_input_forms(loss):
    check_input_forms(partial(_sparse_graph, "graph-l1-l21", loss, tol=1e-10), loss)


@pytest.mark.parametrize(
    "estimator",
    [
        GraphRegularizedRegressor(graph="chain", alpha_l21=0.05),
        GraphRegularizedClassifier(beta=0.0, alpha_l1=0.01),
    ],
    ids=["tgl", "srmtl"],
)
def test_sparse_graph_check_estimator(estimator):
    check_estimator(estimator)


# ---------------------------------------------------- sparse + low rank, rMTFL
SPLIT = {
    "sparse-lowrank": (
        SparseLowRankRegressor,
        SparseLowRankClassifier,
        dict(alpha_sparse=0.05, alpha_lowrank=0.1),
        ("sparse_coef_", "lowrank_coef_"),
    ),
    "robust-features": (
        RobustFeatureLearningRegressor,
        RobustFeatureLearningClassifier,
        dict(alpha_shared=0.1, alpha_outlier=0.12),
        ("shared_coef_", "outlier_coef_"),
    ),
}


def _split(name, loss, **kw):
    regressor, classifier, params, _ = SPLIT[name]
    return (regressor if loss == "squared" else classifier)(**{**params, **kw})


@pytest.mark.parametrize("name", SPLIT)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("variant", ["dense", "sparse+weights"])
def test_split_models_match_cvxpy(name, loss, fit_intercept, variant):
    first, second = SPLIT[name][3]
    ours = check_fista_against_cvxpy(
        partial(_split, name, loss, fit_intercept=fit_intercept),
        loss,
        variant,
        seed=30,
        max_iter=100_000,
        split_parts=lambda m: np.vstack([getattr(m, first).T, getattr(m, second).T]),
        recompute_reference=False,
    )
    assert np.any(getattr(ours, first)) and np.any(getattr(ours, second))
    np.testing.assert_allclose(getattr(ours, first) + getattr(ours, second), ours.coef_)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_split_models_reduce_to_one_part(loss):
    """A second part too expensive to use leaves the lasso / the group lasso."""
    X, y, tasks = make_tasks(loss=loss, seed=8)
    GroupLasso = GroupLassoRegressor if loss == "squared" else GroupLassoClassifier
    sparse = _split("sparse-lowrank", loss, alpha_lowrank=100.0, tol=1e-12).fit(X, y, tasks=tasks)
    lasso = GroupLasso(alpha=0.05, l1_ratio=1.0, tol=1e-12).fit(X, y, tasks=tasks)
    assert not np.any(sparse.lowrank_coef_)
    np.testing.assert_allclose(sparse.coef_, lasso.coef_, atol=1e-7)
    robust = _split("robust-features", loss, alpha_outlier=100.0, tol=1e-12)
    robust.fit(X, y, tasks=tasks)
    group = GroupLasso(alpha=0.1, tol=1e-12).fit(X, y, tasks=tasks)
    assert not np.any(robust.outlier_coef_) and len(robust.outlier_tasks_) == 0
    np.testing.assert_allclose(robust.coef_, group.coef_, atol=1e-7)


@pytest.mark.parametrize("name", SPLIT)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_split_models_input_forms(name, loss):
    check_input_forms(partial(_split, name, loss, tol=1e-10), loss)


def test_robust_features_finds_the_outlier_task():
    rng = np.random.RandomState(0)
    X = rng.randn(300, 12)
    W = np.zeros((12, 6))
    W[:3] = rng.randn(3, 6)  # shared support
    W[:, 4] = rng.randn(12)  # an outlier task uses every feature
    Y = X @ W + 0.1 * rng.randn(300, 6)
    model = RobustFeatureLearningRegressor(alpha_shared=0.8, alpha_outlier=1.2).fit(X, Y)
    assert list(model.outlier_tasks_) == [4]
    assert set(np.flatnonzero(np.any(model.shared_coef_, axis=0))) == {0, 1, 2}
