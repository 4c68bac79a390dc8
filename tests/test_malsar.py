"""MALSAR's convex model families: sparse graph models (SRMTL, TGL), sparse + low
rank and robust feature learning, feature groups and incomplete multi-source fusion.
Each against cvxpy, its reductions and sklearn's contract."""

from functools import partial

import numpy as np
import pytest
from conftest import check_fista_against_cvxpy, make_tasks
from sklearn.utils.estimator_checks import check_estimator

from skmtl import (
    DirtyRegressor,
    FeatureGroupLassoClassifier,
    FeatureGroupLassoRegressor,
    FusedSparseGroupLassoRegressor,
    GraphRegularizedClassifier,
    GraphRegularizedRegressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
    IncompleteMultiSourceClassifier,
    IncompleteMultiSourceRegressor,
    RobustFeatureLearningClassifier,
    RobustFeatureLearningRegressor,
    RobustLowRankRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
    from_task_list,
)
from skmtl.penalties import FeatureGroupNorm, GraphPenalty, QuadraticPlusNorm
from skmtl.penalties.feature_groups import check_groups

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
    quadratic = penalty._make_penalty(5, 4).quadratic_part
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
    X = rng.randn(40, 6)
    Y = X @ rng.randn(6, 3) + 0.3 * rng.randn(40, 3)
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


# ------------------------------------------------------------ feature groups
GROUPS = [[0, 1], [2, 3, 4], [5]]
FEATURE_GROUPS = {  # strengths for the logistic loss, twice them for squared
    "groups": dict(alpha=0.2),
    "groups-rows-l1": dict(alpha=0.1, l1_ratio=0.3, row_ratio=0.3),
}


def _feature_groups(name, loss, **kw):
    params = dict(FEATURE_GROUPS[name], **kw)
    params["alpha"] *= 2 if loss == "squared" else 1
    Est = FeatureGroupLassoRegressor if loss == "squared" else FeatureGroupLassoClassifier
    return Est(GROUPS, **params)


@pytest.mark.parametrize("name", FEATURE_GROUPS)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("variant", ["dense", "sparse+weights"])
def test_feature_groups_match_cvxpy(name, loss, variant):
    ours = check_fista_against_cvxpy(
        partial(_feature_groups, name, loss), loss, variant, seed=3, max_iter=100_000
    )
    assert 0 < np.count_nonzero(ours.coef_) < ours.coef_.size


@pytest.mark.parametrize(
    "ratios", [(0.0, 0.0), (0.3, 0.0), (0.0, 0.4), (0.2, 0.3), (0.5, 0.5)], ids=str
)
def test_feature_group_prox_and_dual_norm_match_cvxpy(ratios):
    """The composed shrinkages minimise the prox objective; the dual norm (Newton's
    method) is the support function of the unit ball."""
    cp = pytest.importorskip("cvxpy")
    rng = np.random.RandomState(int(10 * sum(ratios)))
    labels = check_groups([[0, 1, 2], [4, 5], [7]], 9)
    np.testing.assert_array_equal(labels, [0, 0, 0, -1, 1, 1, -1, 2, -1])
    penalty = FeatureGroupNorm(0.7, labels, *ratios)
    V, step = 1.5 * rng.randn(9, 4), 0.8

    def prox_objective(W):
        return np.sum((W - V) ** 2) / (2 * step) + penalty.value(W)

    W = cp.Variable((9, 4))
    cp.Problem(cp.Minimize(cp.sum_squares(W - V) / (2 * step) + penalty.cvxpy(W))).solve()
    ours = penalty.prox(V, step)
    assert prox_objective(ours) <= prox_objective(W.value) + 1e-9
    np.testing.assert_allclose(ours, W.value, atol=1e-4)
    G = rng.randn(9, 4)
    if sum(ratios) == 0:
        G[labels < 0] = 0.0  # features in no group are unpenalized
    U = cp.Variable((9, 4))
    support = cp.Problem(cp.Maximize(cp.sum(cp.multiply(G, U))), [penalty.cvxpy_norm(U) <= 1])
    support.solve()
    assert penalty.dual_norm(G) == pytest.approx(support.value, rel=1e-7)


@pytest.mark.parametrize("ratios", [(0.0, 0.0), (0.3, 0.0), (0.0, 0.4), (0.2, 0.3)], ids=str)
def test_feature_group_dual_norms_are_tight_upper_bounds(ratios):
    """Each group's dual norm ``nu``: the prox at strength ``nu (1 + 1e-11)`` maps the
    group to zero (the slack: the prox's own round-off), at ``nu (1 - 1e-10)`` it
    does not (over scales of G from 1e-3 to 1e3)."""
    rng = np.random.RandomState(5)
    labels = check_groups([[0, 1, 2], [3, 4], [5], [6, 7, 8, 9]], 10)
    penalty = FeatureGroupNorm(1.0, labels, *ratios)
    G = rng.randn(10, 30) * 10.0 ** rng.uniform(-3, 3, (10, 1))
    nus = penalty._group_dual_norms(G)
    for g, nu in enumerate(nus):
        rows = labels == g
        assert not np.any(penalty.prox(G, nu * (1 + 1e-11))[rows])
        assert np.any(penalty.prox(G, nu * (1 - 1e-10))[rows])


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_feature_groups_zero_from_alpha_max(loss):
    X, y, tasks = make_tasks(loss=loss, seed=9)
    model = _feature_groups("groups-rows-l1", loss, tol=1e-10)
    alpha_max = model.alpha_max(X, y, tasks=tasks)
    assert not np.any(model.set_params(alpha=alpha_max * 1.0001).fit(X, y, tasks=tasks).coef_)
    assert np.any(model.set_params(alpha=alpha_max * 0.99).fit(X, y, tasks=tasks).coef_)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_singleton_groups_are_the_group_lasso(loss):
    X, y, tasks = make_tasks(loss=loss, seed=10)
    Est = FeatureGroupLassoRegressor if loss == "squared" else FeatureGroupLassoClassifier
    GroupLasso = GroupLassoRegressor if loss == "squared" else GroupLassoClassifier
    ours = Est(None, alpha=0.1, l1_ratio=0.4, tol=1e-12).fit(X, y, tasks=tasks)
    ref = GroupLasso(alpha=0.1, l1_ratio=0.4, tol=1e-12).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-8)


@pytest.mark.parametrize("name", FEATURE_GROUPS)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_feature_groups_input_forms(name, loss):
    check_input_forms(partial(_feature_groups, name, loss, tol=1e-10), loss)


def test_feature_groups_bad_input():
    X, y, tasks = make_tasks(seed=0)
    cases = [
        ([[0, 1], [1, 2]], r"disjoint: entry 1 lists feature\(s\) \[1\]"),
        # a negative index counts back from the last feature: the message says so
        ([[-1, 0], [1, 2, 5]], r"lists feature\(s\) \[5\].*negative indices count back"),
        ([[0, 9]], "out of range"),
        (np.zeros(4, int), "one integer label per feature"),
        ([[0, 1]], "unpenalized"),
    ]
    for groups, message in cases:
        with pytest.raises(ValueError, match=message):
            FeatureGroupLassoRegressor(groups).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="l1_ratio \\+ row_ratio"):
        FeatureGroupLassoRegressor(l1_ratio=0.6, row_ratio=0.6).fit(X, y, tasks=tasks)


# -------------------------------------------------------------------- iMSF
def _incomplete_sources(loss, seed=0):
    """Three sources of 2, 3 and 1 columns; the second missing in the first block of
    rows, the third in the second block: three patterns."""
    rng = np.random.RandomState(seed)
    X = rng.randn(150, 6) + 0.3
    z = X @ np.array([1.0, -1.0, 0.5, 0.0, 0.5, 0.3]) + 0.3 * rng.randn(150)
    y = (z > 0.3).astype(int) if loss == "logistic" else z
    X[:40, 2:5] = np.nan
    X[40:70, 5] = np.nan
    return X, y, [[0, 1], [2, 3, 4], [5]]


def _imsf(loss, sources, **kw):
    Est = IncompleteMultiSourceRegressor if loss == "squared" else IncompleteMultiSourceClassifier
    return Est(sources, alpha=0.05 if loss == "logistic" else 0.1, **kw)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_imsf_matches_cvxpy_and_the_feature_group_model(loss):
    X, y, sources = _incomplete_sources(loss)
    ours = _imsf(loss, sources, tol=1e-11, max_iter=100_000).fit(X, y)
    ref = _imsf(loss, sources, solver="cvxpy").fit(X, y)
    assert abs(ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6  # both sides
    assert ours.patterns_.astype(int).tolist() == [[1, 0, 1], [1, 1, 0], [1, 1, 1]]
    # each pattern's model is zero on its missing sources
    missing = ~ours.patterns_[:, ours.source_labels_]
    assert not np.any(ours.coef_[missing]) and np.any(ours.coef_)
    # the same as the feature-group model on zero-filled data, tasks = patterns
    tasks = np.r_[np.zeros(40, int), np.ones(30, int), np.full(80, 2)]
    Est = FeatureGroupLassoRegressor if loss == "squared" else FeatureGroupLassoClassifier
    direct = Est(sources, alpha=ours.alpha, intercept_pooling=ours.intercept_pooling)
    direct.set_params(tol=1e-11, max_iter=100_000)
    direct.fit(np.nan_to_num(X), y, tasks=tasks)
    np.testing.assert_allclose(ours.coef_, direct.coef_, atol=1e-8)
    # a row is predicted by its pattern's model
    expected = direct.predict(np.nan_to_num(X), tasks=tasks)
    np.testing.assert_array_equal(ours.predict(X), expected)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_imsf_task_weights_are_the_feature_group_models(loss):
    """task_weights as the README promises for every estimator: "samples" (MALSAR's
    sum over rows) is the default with alpha scaled by N / P (P patterns), and a
    given array weighs the patterns as the feature-group model weighs its tasks."""
    X, y, sources = _incomplete_sources(loss)
    kw = dict(tol=1e-12, max_iter=100_000)
    samples = _imsf(loss, sources, task_weights="samples", **kw).fit(X, y)
    scaled = _imsf(loss, sources, **kw)
    scaled.set_params(alpha=scaled.alpha * 3 / 150).fit(X, y)
    np.testing.assert_allclose(samples.coef_, scaled.coef_, atol=1e-8)
    weights = [2.0, 0.5, 1.0]
    ours = _imsf(loss, sources, task_weights=weights, **kw).fit(X, y)
    tasks = np.r_[np.zeros(40, int), np.ones(30, int), np.full(80, 2)]
    Est = FeatureGroupLassoRegressor if loss == "squared" else FeatureGroupLassoClassifier
    direct = Est(
        sources,
        alpha=ours.alpha,
        intercept_pooling=ours.intercept_pooling,
        task_weights=weights,
        **kw,
    ).fit(np.nan_to_num(X), y, tasks=tasks)
    np.testing.assert_allclose(ours.coef_, direct.coef_, atol=1e-8)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_imsf_complete_data_is_one_task(loss):
    """Without missing values: one pattern, the (single-task) feature-group lasso; with
    each column its own source, the lasso."""
    X, y, sources = _incomplete_sources(loss)
    X = np.nan_to_num(X, nan=1.0)
    model = _imsf(loss, sources, tol=1e-12).fit(X, y)
    assert model.patterns_.shape == (1, 3)
    Est = FeatureGroupLassoRegressor if loss == "squared" else FeatureGroupLassoClassifier
    single = Est(sources, alpha=model.alpha, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(model.coef_[0], single.coef_, atol=1e-9)
    GroupLasso = GroupLassoRegressor if loss == "squared" else GroupLassoClassifier
    lasso = GroupLasso(alpha=model.alpha, tol=1e-12).fit(X, y)
    columns = _imsf(loss, None, tol=1e-12).fit(X, y)
    np.testing.assert_allclose(columns.coef_[0], lasso.coef_, atol=1e-9)


def test_imsf_probabilities_only_for_a_probabilistic_loss():
    """As every classifier: predict_proba and predict_log_proba exist for the logistic
    loss (the pattern models' probabilities) and not for the squared hinge, so that
    scikit-learn's meta-estimators fall back to decision_function."""
    X, y, sources = _incomplete_sources("logistic")
    model = _imsf("logistic", sources).fit(X, y)
    tasks = np.r_[np.zeros(40, int), np.ones(30, int), np.full(80, 2)]
    proba = model.estimator_.predict_proba(np.nan_to_num(X), tasks)
    np.testing.assert_array_equal(model.predict_proba(X), proba)
    np.testing.assert_allclose(np.exp(model.predict_log_proba(X)), proba, rtol=1e-12)
    hinge = IncompleteMultiSourceClassifier(sources, alpha=0.05, loss="squared_hinge")
    assert not hasattr(hinge, "predict_proba") and not hasattr(hinge, "predict_log_proba")
    assert hasattr(hinge.fit(X, y), "decision_function")
    assert not hasattr(hinge, "predict_proba")


def test_imsf_bad_input():
    X, y, sources = _incomplete_sources("squared")
    model = _imsf("squared", sources)
    partly = X.copy()
    partly[100, 2] = np.nan
    with pytest.raises(ValueError, match="source 1 partly missing in row 100"):
        model.fit(partly, y)
    with pytest.raises(ValueError, match="cover every column"):
        _imsf("squared", [[0, 1], [2, 3, 4]]).fit(X, y)
    with pytest.raises(ValueError, match="takes no tasks: its tasks are the patterns"):
        model.fit(X, y, tasks=np.arange(len(y)) % 2)
    model.fit(X, y)
    new = X[:3].copy()
    new[:, :2] = np.nan
    with pytest.raises(ValueError, match="not seen in fit"):
        model.predict(new)


def test_imsf_cross_validation_by_pattern_as_its_error_says():
    """On rows sorted by pattern, folds grouped by the pattern code the error
    suggests train every pattern: finite scores where plain KFold gives NaN."""
    from sklearn.model_selection import cross_val_score

    from skmtl.model_selection import TaskStratifiedKFold

    X, y, sources = _incomplete_sources("squared")
    order = np.argsort(np.isnan(X).sum(axis=1), kind="stable")
    X, y = X[order], y[order]
    patterns = np.isnan(X) @ 2 ** np.arange(X.shape[1])
    folds = list(TaskStratifiedKFold(3).split(X, y, groups=patterns))
    scores = cross_val_score(_imsf("squared", sources), X, y, cv=folds, error_score="raise")
    assert np.all(scores > 0.5)


@pytest.mark.parametrize(
    "estimator",
    [  # groups=None (check_estimator varies the number of features); the defaults are
        # checked in test_sklearn_compat
        FeatureGroupLassoRegressor(l1_ratio=0.2, row_ratio=0.3),
        FeatureGroupLassoClassifier(row_ratio=0.5),
    ],
    ids=["groups-regressor", "groups-classifier"],
)
def test_feature_groups_check_estimator(estimator):
    check_estimator(estimator)


# ----------------------------------------------------- MALSAR's and RMTL's parameters
# The objectives of MALSAR's and RMTL's functions, written from their code (MALSAR's
# Least_* sum half squared errors, Least_Dirty/RMTL/rMTFL the squared errors; its
# Logistic_* and RMTL average each task's loss, with an intercept; RMTL adds lam2
# ||W||_F^2), minimised by cvxpy and compared with skmtl's fit at the parameters of
# docs/user_guide/from_malsar.rst.


def _malsar_tasks(classify=False, seed=0):
    rng = np.random.RandomState(seed)
    Xs = [rng.randn(n, 4) for n in (8, 11, 14)]
    W = rng.randn(4, 3) * [[1.0], [1.0], [0.0], [0.5]]
    ys = [X @ W[:, t] + 0.5 * rng.randn(len(X)) for t, X in enumerate(Xs)]
    if classify:
        ys = [np.where(y > 0, 1.0, -1.0) for y in ys]
    return Xs, ys


def _malsar_objective(model, Xs, ys, half=True, mean=False, split=None):
    """(cvxpy objective in W (and the parts, and intercepts), its variables)."""
    import cvxpy as cp

    T = len(Xs)
    W = cp.Variable((4, T))
    parts = (cp.Variable((4, T)), cp.Variable((4, T))) if split else None
    c = cp.Variable(T) if mean else None
    model_W = parts[0] + parts[1] if split else W
    terms = []
    for t, (X, y) in enumerate(zip(Xs, ys, strict=True)):
        z = X @ model_W[:, t] + (c[t] if mean else 0)
        if model == "logistic":
            terms.append(cp.sum(cp.logistic(-cp.multiply(y, z))) / len(y))
        else:
            loss = cp.sum_squares(y - z) * (0.5 if half else 1.0)
            terms.append(loss / len(y) if mean else loss)
    return sum(terms), W, parts, c


def _chain(T):
    R = np.zeros((T, T - 1))
    R[np.arange(T - 1), np.arange(T - 1)], R[np.arange(1, T), np.arange(T - 1)] = 1.0, -1.0
    return R


def _malsar_cases():
    import cvxpy as cp

    least = dict(fit_intercept=False, task_weights="samples")
    R = _chain(3)
    edges = np.array([[1.0, 1.0], [-1.0, 0.0], [0.0, -1.0]])  # SRMTL: 1-2 and 1-3
    graph = np.array([[0, 1, 1], [1, 0, 0], [1, 0, 0]], dtype=float)
    return {
        "Least_L21": (
            lambda W, P: 0.3 * cp.sum(cp.norm(W, 2, axis=1)),
            GroupLassoRegressor(alpha=0.3, **least),
            {},
        ),
        "Least_Lasso": (
            lambda W, P: 0.3 * cp.sum(cp.abs(W)),
            GroupLassoRegressor(alpha=0.3, l1_ratio=1.0, **least),
            {},
        ),
        "Least_Trace": (
            lambda W, P: 0.5 * cp.normNuc(W),
            TraceNormRegressor(alpha=0.5, **least),
            {},
        ),
        "Least_SRMTL": (
            lambda W, P: 0.4 * cp.sum_squares(W @ edges) + 0.2 * cp.sum(cp.abs(W)),
            GraphRegularizedRegressor(graph=graph, alpha=0.4, beta=0.0, alpha_l1=0.2, **least),
            {},
        ),
        "Least_SRMTL, R = I - 11^T / T": (
            lambda W, P: (
                0.6 * cp.sum_squares(W @ (np.eye(3) - np.ones((3, 3)) / 3))
                + 0.2 * cp.sum(cp.abs(W))
            ),
            GraphRegularizedRegressor(alpha=0.6 / 3, beta=0.0, alpha_l1=0.2, **least),
            {},
        ),
        "Least_TGL": (
            lambda W, P: (
                0.1 * cp.sum_squares(W)
                + 0.4 * cp.sum_squares(W @ R)
                + 0.3 * cp.sum(cp.norm(W, 2, axis=1))
            ),
            GraphRegularizedRegressor(graph="chain", alpha=0.4, beta=0.1, alpha_l21=0.3, **least),
            {},
        ),
        "Least_CFGLasso": (
            lambda W, P: (
                0.1 * cp.sum(cp.abs(W))
                + 0.4 * cp.sum(cp.abs(W @ R))
                + 0.3 * cp.sum(cp.norm(W, 2, axis=1))
            ),
            FusedSparseGroupLassoRegressor(alpha_l1=0.1, alpha_fused=0.4, alpha_l21=0.3, **least),
            {},
        ),
        "Least_Dirty": (
            lambda W, P: 1.2 * cp.sum(cp.max(cp.abs(P[0]), axis=1)) + 0.5 * cp.sum(cp.abs(P[1])),
            DirtyRegressor(alpha_shared=0.6, alpha_specific=0.25, **least),
            dict(half=False, split=("shared_coef_", "specific_coef_")),
        ),
        "Least_RMTL": (
            lambda W, P: 1.0 * cp.normNuc(P[0]) + 0.8 * cp.sum(cp.norm(P[1], 2, axis=0)),
            RobustLowRankRegressor(alpha_lowrank=0.5, alpha_outlier=0.4, **least),
            dict(half=False, split=("lowrank_coef_", "outlier_coef_")),
        ),
        "Least_rMTFL": (
            lambda W, P: (
                1.0 * cp.sum(cp.norm(P[0], 2, axis=1)) + 0.8 * cp.sum(cp.norm(P[1], 2, axis=0))
            ),
            RobustFeatureLearningRegressor(alpha_shared=0.5, alpha_outlier=0.4, **least),
            dict(half=False, split=("shared_coef_", "outlier_coef_")),
        ),
        "Logistic_L21": (
            lambda W, P: 0.05 * cp.sum(cp.norm(W, 2, axis=1)),
            GroupLassoClassifier(alpha=0.05, task_weights="tasks"),
            dict(model="logistic", mean=True),
        ),
        "RMTL L21": (
            lambda W, P: 0.05 * cp.sum(cp.norm(W, 2, axis=1)) + 0.02 * cp.sum_squares(W),
            GraphRegularizedRegressor(alpha=0.0, beta=0.02, alpha_l21=0.05, task_weights="tasks"),
            dict(mean=True),
        ),
        "Logistic_Trace": (
            lambda W, P: 0.05 * cp.normNuc(W),
            TraceNormClassifier(alpha=0.05, task_weights="tasks"),
            dict(model="logistic", mean=True),
        ),
        "RMTL Lasso": (
            lambda W, P: 0.05 * cp.sum(cp.abs(W)) + 0.02 * cp.sum_squares(W),
            GraphRegularizedRegressor(alpha=0.0, beta=0.02, alpha_l1=0.05, task_weights="tasks"),
            dict(mean=True),
        ),
        "RMTL Trace": (
            lambda W, P: 0.3 * cp.normNuc(W),
            TraceNormRegressor(alpha=0.3, task_weights="tasks"),
            dict(mean=True),
        ),
        "RMTL Graph": (
            lambda W, P: 0.05 * cp.sum_squares(W @ edges) + 0.02 * cp.sum_squares(W),
            GraphRegularizedRegressor(graph=graph, alpha=0.05, beta=0.02, task_weights="tasks"),
            dict(mean=True),
        ),
    }


@pytest.mark.parametrize("name", list(_malsar_cases()))
def test_malsar_and_rmtl_parameters_map_as_documented(name):
    """skmtl at the documented parameters minimises the MALSAR or RMTL function's own
    objective (cvxpy's optimum of it, relative 1e-6)."""
    import cvxpy as cp

    penalty, model, options = _malsar_cases()[name]
    classify = options.get("model") == "logistic"
    Xs, ys = _malsar_tasks(classify=classify)
    split = options.get("split")
    data, W, parts, c = _malsar_objective(
        options.get("model", "squared"),
        Xs,
        ys,
        half=options.get("half", True),
        mean=options.get("mean", False),
        split=split,
    )
    objective = data + penalty(W, parts)
    problem = cp.Problem(cp.Minimize(objective))
    problem.solve(solver=cp.CLARABEL)
    X, y, tasks = from_task_list(list(zip(Xs, ys, strict=True)))
    fitted = model.set_params(tol=1e-12, max_iter=100_000).fit(X, y, tasks=tasks)
    W.value = fitted.coef_.T
    if split:
        for variable, attribute in zip(parts, split, strict=True):
            variable.value = getattr(fitted, attribute).T
    if c is not None:
        c.value = fitted.intercept_
    assert abs(objective.value - problem.value) <= 1e-6 * abs(problem.value)


@pytest.mark.parametrize("side", ["tasks", "features"])
def test_malsar_clustered_and_caso_parameters_map_as_documented(side):
    """Least_CMTL (rho1, rho2, k) is ClusteredRegressor(alpha=rho1, beta=rho2,
    n_clusters=k), Least_CASO SharedSubspaceRegressor(alpha=rho1, beta=rho2,
    n_components=h): skmtl's fit attains cvxpy's optimum of MALSAR's objective,
    ``1/2 sum_t ||X_t w_t - y_t||^2 + rho1 eta (1 + eta) tr(W (eta I + M)^-1 W^T)``
    over ``tr M = k, 0 <= M <= I`` (``M`` over tasks, or ``W^T`` and features)."""
    import cvxpy as cp

    from skmtl import ClusteredRegressor, SharedSubspaceRegressor

    rho1, rho2, k = 0.4, 0.1, 2
    eta = rho2 / rho1
    Xs, ys = _malsar_tasks()
    data, W, _, _ = _malsar_objective("squared", Xs, ys)
    size = 3 if side == "tasks" else 4

    def penalty(W):
        M = cp.Variable((size, size), symmetric=True)
        rows = W.T if side == "tasks" else W  # tr(rows^T (eta I + M)^-1 rows)
        value = rho1 * eta * (1 + eta) * cp.matrix_frac(rows, eta * np.eye(size) + M)
        return value, [cp.trace(M) == k, M >> 0, np.eye(size) - M >> 0]

    value, constraints = penalty(W)
    optimum = cp.Problem(cp.Minimize(data + value), constraints)
    optimum.solve(solver=cp.CLARABEL)
    if side == "tasks":
        model = ClusteredRegressor(alpha=rho1, beta=rho2, n_clusters=k)
    else:
        model = SharedSubspaceRegressor(alpha=rho1, beta=rho2, n_components=k)
    X, y, tasks = from_task_list(list(zip(Xs, ys, strict=True)))
    model.set_params(fit_intercept=False, task_weights="samples", tol=1e-12, max_iter=100_000)
    fitted = model.fit(X, y, tasks=tasks)
    at_fit, constraints = penalty(fitted.coef_.T)  # the minimum over M at skmtl's W
    ours = cp.Problem(cp.Minimize(at_fit), constraints)
    ours.solve(solver=cp.CLARABEL)
    W.value = fitted.coef_.T
    assert abs(data.value + ours.value - optimum.value) <= 1e-6 * abs(optimum.value)
