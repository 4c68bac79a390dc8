"""Extreme and degenerate data: each case gets a right answer or a clear warning."""

import pickle
import warnings

import numpy as np
import pytest
from conftest import make_tasks
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge

import skmtl
from skmtl import (
    GroupLassoClassifier,
    GroupLassoRegressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
)


def test_one_task_equals_single_task_sklearn_models():
    X, y, _ = make_tasks(n_tasks=1, sizes=(60,), seed=50)
    n = len(y)
    lasso = GroupLassoRegressor(alpha=0.05, tol=1e-12, max_iter=100_000).fit(X, y)
    np.testing.assert_allclose(
        lasso.coef_, Lasso(alpha=0.05, tol=1e-12).fit(X, y).coef_, rtol=1e-7, atol=1e-10
    )
    ridge = MeanRegularizedRegressor(alpha=1.0, beta=0.2).fit(X, y)
    np.testing.assert_allclose(ridge.coef_, Ridge(alpha=2 * n * 0.2).fit(X, y).coef_, rtol=1e-9)
    labels = (y > np.median(y)).astype(int)
    logistic = MeanRegularizedClassifier(beta=0.05, tol=1e-12, max_iter=100_000)
    reference = LogisticRegression(C=1 / (2 * n * 0.05), tol=1e-12, max_iter=100_000)
    np.testing.assert_allclose(
        logistic.fit(X, labels).coef_,
        reference.fit(X, labels).coef_[0],
        rtol=1e-6,
        atol=1e-8,
    )


def test_one_feature_and_one_sample_tasks():
    X, y, tasks = make_tasks(n_features=1, seed=51)
    model = GroupLassoRegressor(alpha=0.01).fit(X, y, tasks=tasks)
    assert model.coef_.shape == (3, 1)
    X = np.vstack([X, [[0.5]]])
    y, tasks = np.append(y, 2.0), np.append(tasks, 7)
    model = MeanRegularizedRegressor().fit(X, y, tasks=tasks)
    # a one-sample task fits its intercept exactly; its slope is pulled to the mean
    assert model.predict([[0.5]], tasks=[7])[0] == pytest.approx(2.0)


@pytest.mark.parametrize("name", ["GroupLassoRegressor", "TraceNormRegressor", "DirtyRegressor"])
def test_every_task_of_one_sample(name):
    """Free intercepts fit one-row tasks exactly: centred, their features vanish,
    so the model is zero and each intercept is its target (an ARPACK error on the
    zero operator, 60 tasks, before)."""
    rng = np.random.RandomState(52)
    X = rng.randn(60, 3)
    y = X @ [1.0, 2.0, 3.0]
    model = getattr(skmtl, name)().fit(X, y, tasks=np.arange(60))
    assert not np.any(model.coef_)
    np.testing.assert_allclose(model.intercept_, y, rtol=1e-12)
    assert model.dual_gap_ <= 1e-12


def test_a_thousand_small_tasks():
    rng = np.random.RandomState(52)
    tasks = np.repeat(np.arange(1000), 5)
    X = rng.randn(len(tasks), 3)
    y = X @ [1.0, -1.0, 0.5] + 0.1 * rng.randn(len(tasks))
    for model in (
        GroupLassoRegressor(alpha=0.01),
        MeanRegularizedRegressor(),
        skmtl.TraceNormRegressor(alpha=0.01),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ConvergenceWarning)
            model.fit(X, y, tasks=tasks)
        assert model.coef_.shape == (1000, 3)
        assert np.allclose(np.median(model.coef_, axis=0), [1.0, -1.0, 0.5], atol=0.15)


@pytest.mark.parametrize("loss", ["squared", "huber", "poisson", "quantile"])
@pytest.mark.parametrize("pooling", [0.0, 4.0])
def test_targets_constant_in_each_task(loss, pooling):
    """Intercepts alone fit the targets: with free intercepts the exact fit at once,
    with pooled ones cvxpy's optimum; never a threshold no gap can meet (the
    quantile loss ran max_iter with a 0/0 warning, Poisson warned of round-off)."""
    pytest.importorskip("cvxpy")
    X, _, tasks = make_tasks(seed=3)
    y = np.where(tasks == 0, 5.0, 2.0)
    model = GroupLassoRegressor(alpha=0.01, loss=loss, intercept_pooling=pooling)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(X, y, tasks=tasks)
    assert model.n_iter_ < 100
    if pooling == 0:
        np.testing.assert_allclose(model.predict(X, tasks=tasks), y, rtol=1e-9)
        assert abs(model.objective_) <= 1e-12 and not model.coef_.any()
    else:
        ref = clone(model).set_params(solver="cvxpy").fit(X, y, tasks=tasks)
        assert model.objective_ - ref.objective_ <= model.dual_gap_ + 1e-6 * ref.objective_


@pytest.mark.parametrize("model", [GroupLassoRegressor(), skmtl.BlockMCPRegressor()])
def test_all_zero_features_fit_the_intercepts_silently(model):
    X, y, tasks = make_tasks(seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (a 1 / 0 for the constant columns' steps)
        model.fit(np.zeros_like(X), y, tasks=tasks)
    means = [y[tasks == t].mean() for t in model.tasks_]
    np.testing.assert_allclose(model.intercept_, means, rtol=1e-12)
    assert not model.coef_.any()


def test_poisson_counts_of_a_hundred_million():
    """Trial steps of the intercepts that overflow exp are rejected, silently."""
    rng = np.random.RandomState(0)
    X, tasks = rng.randn(300, 3), np.repeat([0, 1, 2], 100)
    y = rng.poisson(np.exp(18 + 0.5 * X[:, 0])).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = GroupLassoRegressor(alpha=1e-3, loss="poisson").fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_[:, 0], 0.5, rtol=1e-3)
    np.testing.assert_allclose(model.intercept_, 18.0, rtol=1e-3)


def test_constant_and_duplicated_columns():
    X, y, tasks = make_tasks(seed=53)
    X = np.column_stack([X, np.full(len(y), 3.0), X[:, 0]])
    lasso = GroupLassoRegressor(alpha=0.01, tol=1e-10).fit(X, y, tasks=tasks)
    assert not np.any(lasso.coef_[:, 6])  # a constant column explains nothing
    mean = MeanRegularizedRegressor().fit(X, y, tasks=tasks)
    assert not np.any(np.abs(mean.coef_[:, 6]) > 1e-12)
    np.testing.assert_allclose(mean.coef_[:, 0], mean.coef_[:, 7], rtol=1e-8)


def test_features_on_scales_from_1e_minus_8_to_1e8():
    X, y, tasks = make_tasks(n_features=5, seed=54)
    scales = np.logspace(-8, 8, 5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = GroupLassoRegressor(alpha=0.01).fit(X * scales, y, tasks=tasks)
    assert np.all(np.isfinite(model.coef_))
    converged = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    scale = sum(np.var(y[tasks == t]) for t in range(3))
    assert converged == (model.dual_gap_ <= 1e-4 * scale)  # never silently wrong
    # the model on standardized features with penalties rescaled is the same problem
    ridge = MeanRegularizedRegressor(alpha=0.1, beta=0.01, tol=1e-12, max_iter=100_000)
    a = ridge.fit(X * scales, y, tasks=tasks).predict(X * scales, tasks=tasks)
    b = clone(ridge).fit(X, y, tasks=tasks).predict(X, tasks=tasks)
    assert np.all(np.isfinite(a)) and np.corrcoef(a, b)[0, 1] > 0.5


def test_separable_classification_is_finite_and_warns_without_penalty():
    X, _, tasks = make_tasks(seed=55)
    y = (X[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        penalized = GroupLassoClassifier(alpha=0.01).fit(X, y, tasks=tasks)
    assert np.all(np.isfinite(penalized.coef_)) and penalized.score(X, y, tasks=tasks) == 1
    with pytest.warns(ConvergenceWarning, match="duality gap"):  # the norm diverges
        free = GroupLassoClassifier(alpha=0.0, max_iter=200).fit(X, y, tasks=tasks)
    assert np.all(np.isfinite(free.coef_))


@pytest.mark.parametrize("Est", [GroupLassoClassifier, skmtl.BlockMCPClassifier])
def test_alpha_zero_classifier_is_unpenalized_logistic_regression(Est):
    """alpha=0 (no gap certifies it): the Newton steps run until they stop moving,
    to scikit-learn's unpenalized fit of each task, without a ConvergenceWarning."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 4) * [1.0, 10.0, 100.0, 0.1]
    tasks = np.repeat([0, 1, 2], 100)
    y = (X[:, 0] + 2 * rng.randn(300) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.warns(UserWarning, match="alpha=0"):
            model = Est(alpha=0.0).fit(X, y, tasks=tasks)
    for t in range(3):
        rows = tasks == t
        ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=100_000).fit(X[rows], y[rows])
        np.testing.assert_allclose(model.coef_[t], ref.coef_[0], rtol=1e-6)
        np.testing.assert_allclose(model.intercept_[t], ref.intercept_[0], rtol=1e-6)


def test_alpha_zero_is_least_squares():
    X, y, tasks = make_tasks(seed=56)
    with pytest.warns(UserWarning, match="alpha=0"):
        model = GroupLassoRegressor(alpha=0.0, max_iter=100_000).fit(X, y, tasks=tasks)
    for t in range(3):
        rows = tasks == t
        np.testing.assert_allclose(
            model.coef_[t],
            LinearRegression().fit(X[rows], y[rows]).coef_,
            rtol=1e-7,
            atol=1e-9,
        )


@pytest.mark.parametrize(
    "model",
    [
        GroupLassoRegressor(alpha=0.05),
        skmtl.ClusteredClassifier(),
        skmtl.DirtyRegressor(),
        skmtl.TraceNormRegressor(),
    ],
    ids=lambda m: type(m).__name__,
)
def test_bitwise_reproducible_picklable_clonable(model):
    loss = "logistic" if model._is_classifier else "squared"
    X, y, tasks = make_tasks(loss=loss, seed=57)
    a = clone(model).fit(X, y, tasks=tasks)
    b = clone(model).fit(X, y, tasks=tasks)
    assert np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_)
    restored = pickle.loads(pickle.dumps(a))
    assert np.array_equal(restored.predict(X, tasks=tasks), a.predict(X, tasks=tasks))
    assert clone(a).get_params() == model.get_params()


def test_no_warning_for_ending_above_the_start_within_the_certified_gap():
    """Features of scale 1e-6 put the default strengths beyond alpha_max: the solve
    ended 6e-13 above its zero start (coefficients of 7e-12), within its own gap of
    6e-13, and warned that 'the result is not reliable'."""
    rng = np.random.default_rng(1)
    tasks = np.repeat(np.arange(3), 30)
    X = rng.standard_normal((90, 5))
    y = np.einsum("ij,ji->i", X, rng.standard_normal((5, 3))[:, tasks])
    y = y + 0.3 * rng.standard_normal(90)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = skmtl.DirtyRegressor().fit(X * 1e-6, y, tasks=tasks)
    assert np.abs(model.coef_).max() < 1e-10
    # an unconverged solve's large gap allows nothing: one ADMM iteration from zero
    # ended at 10 times the zero model's objective, and says so
    with pytest.warns(ConvergenceWarning, match="above its start"):
        skmtl.RobustLowRankRegressor(max_iter=1).fit(X[:57], y[:57], tasks=tasks[:57])
