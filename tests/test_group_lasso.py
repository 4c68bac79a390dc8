"""GroupLasso estimators against scikit-learn, cvxpy and closed-form facts."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_tasks, objective
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, MultiTaskLasso

from skmtl import (
    GroupLassoClassifier,
    GroupLassoRegressor,
    MultiTaskEstimator,
    from_task_list,
)
from skmtl.datasets import make_joint_sparse
from skmtl.penalties import L21

PENALTY_PARAMS = [
    dict(l1_ratio=0.0, group_norm="l2"),
    dict(l1_ratio=1.0),
    dict(l1_ratio=0.0, group_norm="linf"),
    dict(l1_ratio=0.5, group_norm="l2"),
    dict(l1_ratio=0.4, group_norm="linf"),
]
ESTIMATORS = {"squared": GroupLassoRegressor, "logistic": GroupLassoClassifier}


def _shared_problem(seed=0, n=80, d=12, T=4):
    X, Y, _, _ = make_joint_sparse(
        n_tasks=T,
        n_samples=n,
        n_features=d,
        n_informative=4,
        shared_design=True,
        random_state=seed,
    )
    return X * np.linspace(0.5, 2.0, d) + 1.0, Y + 3.0


@pytest.mark.parametrize("precompute", [False, True])
@pytest.mark.parametrize("ratio", [0.5, 0.1, 0.01])
def test_shared_design_equals_sklearn_multitask_lasso(ratio, precompute):
    X, Y = _shared_problem()
    alpha = ratio * GroupLassoRegressor().alpha_max(X, Y)
    ours = GroupLassoRegressor(alpha=alpha, tol=1e-14, max_iter=100_000, precompute=precompute).fit(
        X, Y
    )
    ref = MultiTaskLasso(alpha=alpha, tol=1e-14, max_iter=100_000).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6)


def test_l1_ratio_one_equals_sklearn_lasso_per_task():
    X, Y = _shared_problem(seed=1)
    ours = GroupLassoRegressor(alpha=0.05, l1_ratio=1.0, tol=1e-14, max_iter=100_000)
    ours.fit(X, Y)
    for t in range(Y.shape[1]):
        ref = Lasso(alpha=0.05, tol=1e-14, max_iter=100_000).fit(X, Y[:, t])
        np.testing.assert_allclose(ours.coef_[t], ref.coef_, rtol=1e-6, atol=1e-9)
        assert ours.intercept_[t] == pytest.approx(ref.intercept_, rel=1e-6)


@pytest.mark.parametrize("params", PENALTY_PARAMS, ids=str)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("variant", ["dense", "sparse+weights", "no-gram"])
def test_objective_matches_cvxpy(params, loss, fit_intercept, variant):
    """Every solver path: Gram statistics or rows (squared), proximal Newton or
    plain FISTA (logistic), dense or sparse, with or without weights."""
    X, y, tasks = make_tasks(loss=loss, seed=3, offset=0.5)
    sw = None
    if variant == "sparse+weights":
        X = sp.csr_matrix(np.where(np.abs(X) > 0.7, X, 0.0))
        sw = np.random.RandomState(0).uniform(0.2, 2.0, len(y))
    Est = ESTIMATORS[loss]
    alpha = 0.2 * Est(**params, fit_intercept=fit_intercept).alpha_max(X, y, tasks, sw)
    kw = dict(alpha=alpha, fit_intercept=fit_intercept, **params)
    ours = Est(tol=1e-10, max_iter=50_000, precompute=variant != "no-gram", **kw)
    ours.fit(X, y, tasks=tasks, sample_weight=sw)
    ref = Est(solver="cvxpy", **kw).fit(X, y, tasks=tasks, sample_weight=sw)
    penalty = ours._make_penalty(3)
    mine = objective(ours.coef_, ours.intercept_, X, y, tasks, penalty, loss, sw)
    theirs = objective(ref.coef_, ref.intercept_, X, y, tasks, penalty, loss, sw)
    assert mine == pytest.approx(ours.objective_, rel=1e-10)
    assert theirs == pytest.approx(ref.objective_, rel=1e-7)
    assert (mine - theirs) / abs(theirs) < 1e-6
    assert ours.dual_gap_ >= 0
    assert np.any(ours.coef_)  # the comparison is not between two zero models


@pytest.mark.parametrize("params", PENALTY_PARAMS, ids=str)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_zero_exactly_above_alpha_max(params, loss):
    X, y, tasks = make_tasks(loss=loss, seed=4, offset=0.3)
    Est = ESTIMATORS[loss]
    alpha_max = Est(**params).alpha_max(X, y, tasks)
    above = Est(alpha=alpha_max * 1.0001, tol=1e-10, **params).fit(X, y, tasks=tasks)
    below = Est(alpha=alpha_max * 0.99, tol=1e-10, max_iter=10_000, **params)
    below.fit(X, y, tasks=tasks)
    assert not np.any(above.coef_)
    assert np.any(below.coef_)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_three_input_forms_agree(loss):
    X, Y, _, _ = make_joint_sparse(
        n_tasks=3, n_samples=40, n_features=8, loss=loss, shared_design=True, random_state=5
    )
    n, T = Y.shape
    Est = ESTIMATORS[loss]
    kw = dict(alpha=0.02, tol=1e-12, max_iter=100_000)
    wide = Est(**kw).fit(X, Y)
    X_long, y_long, tasks = np.tile(X, (T, 1)), Y.T.ravel(), np.repeat(np.arange(T), n)
    per_row = Est(**kw).fit(X_long, y_long, tasks=tasks)
    column = Est(task_column=2, **kw).fit(np.insert(X_long, 2, tasks, axis=1), y_long)
    X_list, y_list, t_list = from_task_list([(X, Y[:, t]) for t in range(T)])
    listed = Est(**kw).fit(X_list, y_list, tasks=t_list)
    for other in (per_row, column, listed):
        np.testing.assert_allclose(other.coef_, wide.coef_, rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(other.intercept_, wide.intercept_, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(
        per_row.decision_function(X_long, tasks=tasks)
        if loss == "logistic"
        else per_row.predict(X_long, tasks=tasks),
        (wide.decision_function(X) if loss == "logistic" else wide.predict(X)).T.ravel(),
        rtol=1e-7,
        atol=1e-9,
    )


def test_missing_labels_equal_dropping_rows():
    X, Y = _shared_problem(seed=6, n=50, d=6, T=3)
    Y_missing = Y.copy()
    Y_missing[::4, 0] = np.nan
    Y_missing[1::5, 2] = np.nan
    kw = dict(alpha=0.05, tol=1e-12, max_iter=100_000)
    wide = GroupLassoRegressor(**kw).fit(X, Y_missing)
    seen = ~np.isnan(Y_missing)
    rows, cols = np.nonzero(seen)
    long = GroupLassoRegressor(**kw).fit(X[rows], Y_missing[rows, cols], tasks=cols)
    np.testing.assert_allclose(wide.coef_, long.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(wide.intercept_, long.intercept_, rtol=1e-7)
    gram = GroupLassoRegressor(precompute=True, **kw).fit(X, Y_missing)
    np.testing.assert_allclose(gram.coef_, long.coef_, rtol=1e-7, atol=1e-10)


@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_integer_weights_equal_repeated_rows(loss):
    X, y, tasks = make_tasks(loss=loss, seed=7)
    sw = np.random.RandomState(1).randint(0, 3, len(y))
    sw[[0, 20, 60]] = 1  # every task keeps samples of both classes
    Est = ESTIMATORS[loss]
    kw = dict(alpha=0.01, tol=1e-12, max_iter=100_000)
    weighted = Est(**kw).fit(X, y, tasks=tasks, sample_weight=sw)
    rep = np.repeat(np.arange(len(y)), sw)
    repeated = Est(**kw).fit(X[rep], y[rep], tasks=tasks[rep])
    np.testing.assert_allclose(weighted.coef_, repeated.coef_, rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("sparse", [False, True])
def test_gram_and_design_paths_agree(sparse):
    X, y, tasks = make_tasks(seed=8, offset=2.0)
    X = sp.csr_matrix(X) if sparse else X
    kw = dict(alpha=0.05, tol=1e-12, max_iter=100_000)
    a = GroupLassoRegressor(precompute=True, **kw).fit(X, y, tasks=tasks)
    b = GroupLassoRegressor(precompute=False, **kw).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(a.intercept_, b.intercept_, rtol=1e-7)


def test_sparse_and_dense_agree_for_logistic():
    X, y, tasks = make_tasks(loss="logistic", seed=9, offset=1.0)
    kw = dict(alpha=0.01, tol=1e-12, max_iter=100_000)
    dense = GroupLassoClassifier(**kw).fit(X, y, tasks=tasks)
    sparse = GroupLassoClassifier(**kw).fit(sp.csc_matrix(X), y, tasks=tasks)
    np.testing.assert_allclose(dense.coef_, sparse.coef_, rtol=1e-7, atol=1e-10)


def test_warm_start_reuses_the_solution():
    X, y, tasks = make_tasks(seed=10)
    model = GroupLassoRegressor(alpha=0.05, tol=1e-10, warm_start=True)
    model.fit(X, y, tasks=tasks)
    cold_iterations, coef = model.n_iter_, model.coef_.copy()
    model.fit(X, y, tasks=tasks)
    assert model.n_iter_ < cold_iterations
    np.testing.assert_allclose(model.coef_, coef, rtol=1e-6, atol=1e-9)


def test_convergence_warning_reports_the_gap():
    X, y, tasks = make_tasks(seed=11)
    with pytest.warns(ConvergenceWarning, match=r"duality gap \d\.\d+e[-+]\d+ after 3"):
        GroupLassoRegressor(alpha=0.001, max_iter=3, tol=1e-12).fit(X, y, tasks=tasks)


def test_converged_fit_certifies_its_gap():
    X, y, tasks = make_tasks(seed=12)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        model = GroupLassoRegressor(alpha=0.01, tol=1e-6).fit(X, y, tasks=tasks)
    scale = sum(np.mean((y[tasks == t] - y[tasks == t].mean()) ** 2) for t in range(3))
    assert 0 <= model.dual_gap_ <= 1e-6 * scale


def test_classifier_labels_and_probabilities():
    X, y, tasks = make_tasks(loss="logistic", seed=13)
    labels = np.array(["no", "yes"])[y]
    clf = GroupLassoClassifier(alpha=0.01).fit(X, labels, tasks=tasks)
    assert list(clf.classes_) == ["no", "yes"]
    proba = clf.predict_proba(X, tasks=tasks)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    decision = clf.decision_function(X, tasks=tasks)
    np.testing.assert_array_equal(clf.predict(X, tasks=tasks), np.where(decision > 0, "yes", "no"))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X, tasks=tasks)), proba)
    assert clf.score(X, labels, tasks=tasks) > 0.7


def test_generic_estimator_equals_named_one():
    X, y, tasks = make_tasks(seed=14)
    named = GroupLassoRegressor(alpha=0.05, tol=1e-10).fit(X, y, tasks=tasks)
    generic = MultiTaskEstimator(penalty=L21(0.05), tol=1e-10).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(generic.coef_, named.coef_)
    assert generic.score(X, y, tasks=tasks) == pytest.approx(named.score(X, y, tasks=tasks))
    assert not hasattr(generic, "predict_proba")  # a regressor has no probabilities


@pytest.mark.parametrize("ratio", [0.3, 0.05, 0.005])
def test_working_sets_equal_sklearn_on_many_features(ratio):
    """d > 100 takes the working-set path; the result must not change."""
    X, Y, _, _ = make_joint_sparse(
        n_tasks=5,
        n_samples=60,
        n_features=300,
        n_informative=6,
        shared_design=True,
        random_state=15,
    )
    alpha = ratio * GroupLassoRegressor().alpha_max(X, Y)
    ours = GroupLassoRegressor(alpha=alpha, tol=1e-13, max_iter=200_000).fit(X, Y)
    ref = MultiTaskLasso(alpha=alpha, tol=1e-13, max_iter=200_000).fit(X, Y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("params", PENALTY_PARAMS[1:], ids=str)
@pytest.mark.parametrize("loss", ["squared", "logistic"])
def test_working_sets_match_cvxpy_per_task(params, loss):
    X, y, tasks = make_tasks(loss=loss, n_features=120, sizes=(30, 45, 60), seed=16)
    Est = ESTIMATORS[loss]
    alpha = 0.3 * Est(**params).alpha_max(X, y, tasks)
    ours = Est(alpha=alpha, tol=1e-10, max_iter=100_000, **params).fit(X, y, tasks=tasks)
    ref = Est(alpha=alpha, solver="cvxpy", **params).fit(X, y, tasks=tasks)
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    assert 0 < np.count_nonzero(np.abs(ours.coef_).sum(axis=0)) < 60


def test_verbose_reports_objective_and_gap(capsys):
    X, y, tasks = make_tasks(seed=17)
    GroupLassoRegressor(alpha=0.01, tol=1e-10, verbose=1).fit(X, y, tasks=tasks)
    lines = capsys.readouterr().out.splitlines()
    assert lines and all("gap" in line for line in lines)
    gaps = [float(line.split("gap")[1]) for line in lines]
    assert gaps[-1] <= gaps[0]
