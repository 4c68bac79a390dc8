"""Task weights: given, by sample count, learned from noise; a main task."""

import warnings

import numpy as np
import pytest
from conftest import make_tasks, objective
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold

import skmtl
from skmtl import (
    GroupLassoClassifier,
    GroupLassoRegressor,
    MeanRegularizedRegressor,
    TraceNormRegressor,
    UncertaintyWeights,
)
from skmtl.model_selection import GroupLassoRegressorCV

WEIGHTS = np.array([2.0, 0.5, 1.0])
MODELS = [
    GroupLassoRegressor(alpha=0.05),
    GroupLassoClassifier(alpha=0.02),
    skmtl.MeanRegularizedRegressor(),
    skmtl.GraphRegularizedClassifier(),
    skmtl.ClusteredRegressor(),
    skmtl.ClusterNormRegressor(),
    skmtl.TaskRelationRegressor(),
    skmtl.TraceNormClassifier(alpha=0.02),
    skmtl.SharedSubspaceRegressor(),
    skmtl.DirtyRegressor(),
    skmtl.RobustLowRankClassifier(alpha_lowrank=0.02, alpha_outlier=0.05),
]


def _weighted_objective(model, X, y, tasks, weights):
    loss = "logistic" if model._is_classifier else "squared"
    total = 0.0
    for t in range(3):
        rows = tasks == t
        penalty = _Zero()
        total += weights[t] * objective(
            model.coef_[t],
            model.intercept_[t],
            X[rows],
            y[rows],
            np.zeros(rows.sum()),
            penalty,
            loss,
        )
    return total


class _Zero:
    def value(self, W):
        return 0.0


@pytest.mark.parametrize("model", MODELS, ids=lambda m: type(m).__name__)
def test_weighted_objective_matches_cvxpy(model):
    """Given task weights: cvxpy's objective (both sides), and objective_ is the
    weighted data term, recomputed task by task from coef_ and intercept_ with the
    given weights (not the default ones), plus the penalty (the model's penalty
    valued at coef_, or at the two parts of a split model), to 1e-9."""
    loss = "logistic" if model._is_classifier else "squared"
    X, y, tasks = make_tasks(loss=loss, seed=60, offset=0.5)
    params = dict(task_weights=WEIGHTS, tol=1e-11, max_iter=100_000)
    ours = model.set_params(**params).fit(X, y, tasks=tasks)
    ref = type(model)(**{**model.get_params(deep=False), "solver": "cvxpy"}).fit(X, y, tasks=tasks)
    assert abs(ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6  # both sides
    np.testing.assert_array_equal(ours.task_weights_, WEIGHTS)
    data_term = _weighted_objective(ours, X, y, tasks, WEIGHTS)
    if hasattr(ours, "shared_coef_"):  # split models: the penalty is valued at the parts
        W = np.vstack([ours.shared_coef_.T, ours.specific_coef_.T])
    elif hasattr(ours, "lowrank_coef_"):
        W = np.vstack([ours.lowrank_coef_.T, ours.outlier_coef_.T])
    else:
        W = ours.coef_.T
    penalty = ours._make_penalty(3, X.shape[1]).value(W)
    assert ours.objective_ == pytest.approx(data_term + penalty, rel=1e-9)
    assert 0 <= ours.dual_gap_ <= 1e-9 * abs(ours.objective_)  # still certified


@pytest.mark.parametrize("Est", [GroupLassoRegressor, TraceNormRegressor])
def test_zero_weight_equals_leaving_the_task_out(Est):
    X, y, tasks = make_tasks(seed=61)
    kw = dict(alpha=0.05, tol=1e-13, max_iter=100_000)
    zero = Est(task_weights={2: 0.0}, **kw).fit(X, y, tasks=tasks)
    kept = tasks != 2
    without = Est(task_weights="tasks", **kw).fit(X[kept], y[kept], tasks=tasks[kept])
    np.testing.assert_allclose(zero.coef_[:2], without.coef_, rtol=1e-6, atol=1e-9)
    assert not np.any(zero.coef_[2])  # no data: the penalty alone sets it to zero


@pytest.mark.parametrize(
    "Est, loss",
    [
        (GroupLassoClassifier, "logistic"),
        (GroupLassoClassifier, "multinomial"),
        (GroupLassoRegressor, "poisson"),
        (skmtl.TraceNormClassifier, "logistic"),
    ],
)
def test_zero_weight_task_for_every_loss(Est, loss):
    """A task of weight zero has no data term, for any loss (its mean, which starts
    the solvers, is taken without the weight): the others' models are those fitted
    without it."""
    rng = np.random.RandomState(3)
    X, tasks = rng.randn(120, 3), np.repeat([0, 1, 2], 40)
    z = X[:, 0] + 0.5 * rng.randn(120)
    y = {
        "logistic": (z > 0).astype(int),
        "multinomial": np.digitize(z, [-0.5, 0.5]),
        "poisson": rng.poisson(np.exp(z / 2)).astype(float),
    }[loss]
    kw = dict(alpha=0.02, tol=1e-12, max_iter=100_000)
    if loss == "poisson":
        kw["loss"] = "poisson"
    zero = Est(task_weights={0: 0.0}, **kw).fit(X, y, tasks=tasks)
    kept = tasks != 0
    without = Est(task_weights="tasks", **kw).fit(X[kept], y[kept], tasks=tasks[kept])
    np.testing.assert_allclose(zero.coef_[1:], without.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(zero.intercept_[1:], without.intercept_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(
    "loss", ["squared", "huber", "poisson", "quantile", "logistic", "squared_hinge", "multinomial"]
)
@pytest.mark.parametrize("solver", ["auto", "cvxpy"])
@pytest.mark.parametrize("model", ["GroupLasso", "MeanRegularized"])
def test_zero_weight_task_intercept_minimises_its_own_loss(loss, solver, model):
    """No data term decides a zero-weight task's free intercept: it minimises the
    task's own mean loss with its coefficients held (for the squared loss its mean
    residual), whatever the loss and the solver; not 0, far from the task's level."""
    if solver == "cvxpy":
        pytest.importorskip("cvxpy")
    from scipy.optimize import minimize, minimize_scalar

    rng = np.random.RandomState(5)
    X, tasks = rng.randn(150, 3), np.repeat([0, 1, 2], 50)
    z = X[:, 0] + 0.5 * rng.randn(150) + 2.0 * (tasks == 2)  # task 2 sits apart
    classes = loss in ("logistic", "squared_hinge", "multinomial")
    y = {
        "poisson": rng.poisson(np.exp(z / 2)).astype(float),
        "logistic": (z > 0.5).astype(int),
        "squared_hinge": (z > 0.5).astype(int),
        "multinomial": np.digitize(z, [0.0, 1.5]),
    }.get(loss, 3.0 * z)
    Est = getattr(skmtl, model + ("Classifier" if classes else "Regressor"))
    name = "logistic" if loss == "multinomial" else loss
    strength = dict(alpha=0.02) if model == "GroupLasso" else {}
    model = Est(**strength, loss=name, task_weights={2: 0.0}, solver=solver, tol=1e-10)
    model.fit(X, y, tasks=tasks)
    rows = tasks == 2
    scores = X[rows] @ model.coef_[2].T
    if loss == "multinomial":  # the softmax's intercepts (up to a shift): its own fit
        onehot = np.eye(3)[y[rows]]

        def own(b):
            s = scores + b
            return np.mean(np.log(np.exp(s).sum(axis=1)) - (s * onehot).sum(axis=1))

        best = minimize(own, np.zeros(3), method="BFGS", options=dict(gtol=1e-10)).x
        np.testing.assert_allclose(model.intercept_[2], best - best.mean(), atol=1e-5)
        return
    target = np.where(y[rows] > 0, 1.0, -1.0) if classes else y[rows]
    pointwise = skmtl.losses.get_loss(name).pointwise

    def own(b):
        return np.mean(pointwise(target, scores + b))

    best = minimize_scalar(own, bracket=(-1.0, 1.0), tol=1e-12).x
    # the same minimum (the pinball loss's is flat between two residuals)
    assert own(model.intercept_[2]) <= own(best) + 1e-9 * max(1.0, abs(own(best)))
    assert abs(model.intercept_[2] - best) < 1e-4 or loss == "quantile"


@pytest.mark.parametrize("loss", ["squared", "huber", "logistic"])
@pytest.mark.parametrize("alpha", [10.0, 0.05])  # above alpha_max (no iteration), below
def test_zero_weight_task_pooled_intercept_is_the_shared_one(loss, alpha):
    """With pooled intercepts a zero-weight task's intercept (no term decides it) is
    the shared intercept, also where the solver stops at its start (Huber above
    alpha_max kept the start's: the task's own mean)."""
    rng = np.random.RandomState(5)
    X, tasks = rng.randn(150, 3), np.repeat([0, 1, 2], 50)
    z = X[:, 0] + 0.5 * rng.randn(150) + 2.0 * (tasks == 2)
    Est = GroupLassoClassifier if loss == "logistic" else GroupLassoRegressor
    y = (z > 0.5).astype(int) if loss == "logistic" else 3.0 * z
    model = Est(alpha=alpha, loss=loss, intercept_pooling=0.2, task_weights=[1, 1, 0])
    model.fit(X, y, tasks=tasks)
    assert model.intercept_[2] == pytest.approx(model.population_intercept_, abs=1e-12)
    assert abs(model.intercept_[2] - model.intercept_[:2].mean()) < 1.0  # not task 2's level


def test_zero_weight_task_still_takes_part_in_the_coupling():
    X, y, tasks = make_tasks(seed=62)
    model = MeanRegularizedRegressor(alpha=0.5, beta=0.01, task_weights=[1, 1, 0])
    model.fit(X, y, tasks=tasks)
    # only the penalty sets it: 2 (W M)_2 = 0 gives alpha (w_2 - w_bar) = -(beta/T) w_bar,
    # so w_2 = c (w_0 + w_1) / (T - c) with c = 1 - beta / (alpha T)
    c = 1 - 0.01 / (0.5 * 3)
    np.testing.assert_allclose(model.coef_[2], c * model.coef_[:2].sum(axis=0) / (3 - c), rtol=1e-8)


def test_samples_weights_give_the_sum_of_squares_objective():
    """MALSAR's least squares sum_t 1/2 ||y_t - X_t w_t||^2 + rho ||W||_{2,1} is ours
    with task_weights="samples" and the same rho."""
    X, y, tasks = make_tasks(seed=63)
    cp = pytest.importorskip("cvxpy")
    rho = 2.0
    model = GroupLassoRegressor(
        alpha=rho, task_weights="samples", fit_intercept=False, tol=1e-12, max_iter=100_000
    ).fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(model.task_weights_, np.bincount(tasks))
    W = cp.Variable((X.shape[1], 3))
    terms = [0.5 * cp.sum_squares(y[tasks == t] - X[tasks == t] @ W[:, t]) for t in range(3)]
    problem = cp.Problem(cp.Minimize(sum(terms) + rho * cp.sum(cp.norm(W, 2, axis=1))))
    problem.solve(solver=cp.CLARABEL)
    assert model.objective_ == pytest.approx(problem.value, rel=1e-6)
    np.testing.assert_allclose(model.coef_, W.value.T, atol=1e-4)  # cvxpy's accuracy


def test_uncertainty_recovers_noise_ratios_and_helps_clean_tasks():
    """Four tasks sharing one model, noise 0.1, 0.1, 1 and 3; 60 rows per task."""
    rng = np.random.RandomState(64)
    noise = np.array([0.1, 0.1, 1.0, 3.0])
    tasks = np.repeat(np.arange(4), 60)
    X = rng.randn(len(tasks), 5)
    coef = rng.randn(5)
    y = X @ coef + noise[tasks] * rng.randn(len(tasks))
    kw = dict(alpha=5.0, beta=0.001)  # strongly pooled: tasks share one model
    learned = MeanRegularizedRegressor(task_weights="uncertainty", **kw).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(
        learned.task_noise_ / learned.task_noise_[0], noise / noise[0], rtol=0.1
    )
    np.testing.assert_allclose(learned.task_weights_, 1 / learned.task_noise_**2)
    equal = MeanRegularizedRegressor(**kw).fit(X, y, tasks=tasks)
    error = lambda m: np.sum((m.coef_[:2] - coef) ** 2)
    assert error(learned) < error(equal)
    floor = MeanRegularizedRegressor(task_weights=UncertaintyWeights(floor=0.5), **kw)
    assert floor.fit(X, y, tasks=tasks).task_noise_.min() == pytest.approx(0.5)
    # a refit with given weights learns no noise: none of the last fit's is kept
    assert not hasattr(floor.set_params(task_weights=None).fit(X, y, tasks=tasks), "task_noise_")
    learned.set_params(task_weights=None)
    with pytest.warns(UserWarning, match="partial_fit after fit starts over"):
        assert not hasattr(learned.partial_fit(X, y, tasks=tasks), "task_noise_")


def test_uncertainty_reports_the_weights_of_its_last_solve():
    """task_weights_ and task_noise_ are those that weighted the solve of coef_ and
    objective_ (a refit with them as fixed weights gives the same model), also when
    the rounds run out, which warns (3 rounds: the reported weights were one noise
    step ahead, coef_ 9e-3 away from the refit's)."""
    rng = np.random.RandomState(64)
    noise = np.array([0.1, 0.1, 1.0, 3.0])
    tasks = np.repeat(np.arange(4), 60)
    X = rng.randn(len(tasks), 5)
    y = X @ rng.randn(5) + noise[tasks] * rng.randn(len(tasks))
    for weights in (UncertaintyWeights(), UncertaintyWeights(max_rounds=3)):
        model = MeanRegularizedRegressor(alpha=5.0, beta=0.001, task_weights=weights, tol=1e-10)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, y, tasks=tasks)
        ran_out = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
        assert len(ran_out) == (weights.max_rounds == 3)
        np.testing.assert_allclose(model.task_weights_, 1 / model.task_noise_**2)
        fixed = clone(model).set_params(task_weights=model.task_weights_)
        np.testing.assert_allclose(fixed.fit(X, y, tasks=tasks).coef_, model.coef_, atol=1e-8)


def test_learned_weights_are_refused_where_weights_are_fixed():
    """Paths, alpha_max and every *CV solve for fixed task weights: with learned ones
    they tuned another model than fit's (a search identical to the unweighted one,
    then a refit whose weights follow the units of y; coefficients nonzero at 3
    alpha_max), so they say so and name the two ways out; GridSearchCV, whose fits
    each learn the weights, and fixed weights from a first fit work."""
    from sklearn.model_selection import GridSearchCV

    from skmtl import model_selection

    X, y, tasks = make_tasks(n_tasks=3, seed=4)
    model = GroupLassoRegressor(task_weights="uncertainty")
    message = "does not support task_weights='uncertainty'"
    with pytest.raises(ValueError, match=f"alpha_max {message}"):
        model.alpha_max(X, y, tasks)
    with pytest.raises(ValueError, match=f"regularization_path {message}"):
        model_selection.regularization_path(model, X, y, tasks, alphas=3)
    for name in model_selection.__all__:
        cls = getattr(model_selection, name)
        if name.endswith("CV") and "task_weights" in cls().get_params():
            with pytest.raises(ValueError, match=message):
                cls(task_weights="uncertainty", cv=2).fit(X, y, tasks=tasks)
    search = GridSearchCV(model, {"alpha": [0.01, 0.1]}, cv=2).fit(X, y, tasks=tasks)
    fixed = model.set_params(alpha=search.best_params_["alpha"]).fit(X, y, tasks=tasks)
    weights = fixed.task_weights_
    cv = GroupLassoRegressorCV(task_weights=weights, cv=2).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(cv.task_weights_, weights)


def test_main_task_scores_and_selects_on_that_task_only():
    """main_task: score is that of the main task's rows (all tasks are still fitted),
    and the *CV's held-out errors are the mean squared errors on the main task's test
    rows only, recomputed here from cold fits on the same folds at the same alphas
    (errors pooled over all the tasks differ by far more than the solver's tolerance);
    alpha_ is the alpha of the lowest mean of these errors."""
    X, y, tasks = make_tasks(seed=65, sizes=(40, 50, 60))
    model = GroupLassoRegressor(alpha=0.05, main_task=1).fit(X, y, tasks=tasks)
    rows = tasks == 1
    plain = GroupLassoRegressor(alpha=0.05).fit(X, y, tasks=tasks)
    assert model.score(X, y, tasks=tasks) == pytest.approx(
        plain.score(X[rows], y[rows], tasks=tasks[rows])
    )
    np.testing.assert_allclose(model.coef_, plain.coef_)  # all tasks fitted
    Xt = np.column_stack([tasks, X])
    by_column = GroupLassoRegressor(alpha=0.05, main_task=1, task_column=0).fit(Xt, y)
    assert by_column.score(Xt, y) == pytest.approx(model.score(X, y, tasks=tasks))
    cv = GroupLassoRegressorCV(alphas=6, main_task=1).fit(X, y, tasks=tasks)
    assert cv.mse_path_.shape == (6, 5)  # one estimated intercept pooling
    folds = list(KFold(5, shuffle=True, random_state=0).split(X))
    cv = GroupLassoRegressorCV(
        alphas=6, intercept_poolings=[0.0], main_task=1, cv=folds, tol=1e-10, max_iter=100_000
    ).fit(X, y, tasks=tasks)
    expected = np.empty((6, len(folds)))
    for i, alpha in enumerate(cv.alphas_):
        for k, (train, test) in enumerate(folds):
            cold = GroupLassoRegressor(
                alpha=alpha, intercept_pooling=0.0, tol=1e-10, max_iter=100_000
            ).fit(X[train], y[train], tasks=tasks[train])
            main = test[tasks[test] == 1]
            residual = y[main] - cold.predict(X[main], tasks=tasks[main])
            expected[i, k] = np.mean(residual**2)
    np.testing.assert_allclose(cv.mse_path_, expected, rtol=1e-6)
    assert cv.alpha_ == cv.alphas_[np.argmin(expected.mean(axis=1))]


def test_main_task_score_of_a_wide_classifier_leaves_its_missing_labels_out():
    """A wide y's NaN marks a missing label: with main_task, score is the accuracy on
    the main task's labelled entries (it counted the missing ones as errors)."""
    rng = np.random.RandomState(0)
    X = rng.randn(100, 3)
    Y = (X @ rng.randn(3, 3) + rng.logistic(size=(100, 3)) > 0).astype(float)
    Y[:10, 1] = np.nan
    model = GroupLassoClassifier(main_task=1).fit(X, Y)
    seen = ~np.isnan(Y[:, 1])
    expected = np.mean(model.predict(X)[seen, 1] == Y[seen, 1])
    assert model.score(X, Y) == pytest.approx(expected)


@pytest.mark.parametrize(
    "weights, message",
    [
        ([1.0, -1.0, 1.0], "finite and non-negative"),
        ([1.0, np.nan, 1.0], "finite and non-negative"),
        ([0.0, 0.0, 0.0], "all zero"),
        ({5: 1.0}, r"unknown task\(s\) \[5\]"),
        ([1.0, 1.0], r"shape \(2,\) but there are 3 tasks"),
        ("equal", "task_weights must be None, 'tasks', 'samples'"),
    ],
)
def test_bad_task_weights(weights, message):
    X, y, tasks = make_tasks(seed=66)
    with pytest.raises(ValueError, match=message):
        GroupLassoRegressor(task_weights=weights).fit(X, y, tasks=tasks)


def test_unknown_main_task():
    """The *CV says the same as fit (it blamed the folds, even the default ones), and
    folds without a test row of the main task name the splitter."""
    from sklearn.model_selection import GroupKFold

    X, y, tasks = make_tasks(seed=67)
    with pytest.raises(ValueError, match="main_task=9 is not one of the tasks"):
        GroupLassoRegressor(main_task=9).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="main_task=9 is not one of the tasks"):
        GroupLassoRegressorCV(main_task=9, alphas=3).fit(X, y, tasks=tasks)
    held_out = GroupLassoRegressorCV(main_task=0, alphas=3, cv=GroupKFold(3), unknown_task="mean")
    with pytest.raises(ValueError, match="main_task=0.*TaskStratifiedKFold.*GroupKFold"):
        held_out.fit(X, y, tasks=tasks)


def test_default_weights_count_every_sample_once():
    """The default weights are ``n_t T / N``: the objective of ``"samples"`` (each
    sample's loss once) divided by ``N / T``, so the same model at strengths scaled by
    ``N / T``; and all ones for tasks of equal size."""
    X, y, tasks = make_tasks(seed=63)
    N, T = len(y), 3
    default = GroupLassoRegressor(alpha=0.05, tol=1e-13).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(default.task_weights_, np.bincount(tasks) * T / N)
    samples = GroupLassoRegressor(alpha=0.05 * N / T, tol=1e-13, task_weights="samples")
    samples.fit(X, y, tasks=tasks)
    np.testing.assert_allclose(default.coef_, samples.coef_, rtol=1e-7, atol=1e-10)
    equal = make_tasks(seed=63, sizes=(30, 30, 30))
    model = GroupLassoRegressor(alpha=0.05).fit(*equal[:2], tasks=equal[2])
    np.testing.assert_array_equal(model.task_weights_, np.ones(T))


@pytest.mark.parametrize(
    "params, message",
    [
        (dict(max_rounds=1), "max_rounds must be >= 2"),
        (dict(tol="x"), "tol must be a real number"),
        (dict(floor=-1.0), "floor must be > 0"),
        (dict(floor=0.0), "floor must be > 0"),
    ],
)
def test_uncertainty_weights_parameters_are_checked(params, message):
    with pytest.raises(ValueError, match=message):
        UncertaintyWeights(**params)
    with pytest.raises(ValueError, match=message):
        UncertaintyWeights().set_params(**params)


def test_task_weights_are_copied_and_one_dimensional():
    """The fitted task_weights_ is the estimator's own array (partial_fit too), and a
    2-D array of weights is an error, not flattened."""
    X, y, tasks = make_tasks(seed=64)
    weights = np.array([1.0, 2.0, 0.5])
    for method in ("fit", "partial_fit"):
        model = getattr(GroupLassoRegressor(task_weights=weights), method)(X, y, tasks=tasks)
        weights[0] = 99.0
        np.testing.assert_array_equal(model.task_weights_, [1.0, 2.0, 0.5])
        weights[0] = 1.0
    with pytest.raises(ValueError, match=r"task_weights has shape \(3, 1\)"):
        GroupLassoRegressor(task_weights=[[1.0], [2.0], [3.0]]).fit(X, y, tasks=tasks)


@pytest.mark.parametrize("main_task", [True, [1]])
def test_main_task_is_one_label(main_task):
    """True and [1] are not the label 1 (both selected task 1)."""
    X, y, tasks = make_tasks(seed=65)
    with pytest.raises(ValueError, match="main_task must be one task label"):
        GroupLassoRegressor(main_task=main_task).fit(X, y, tasks=tasks)


@pytest.mark.parametrize(
    "weights", [WEIGHTS, {1: 3.0}, "samples"], ids=["array", "dict", "samples"]
)
@pytest.mark.parametrize("Est", [GroupLassoRegressor, MeanRegularizedRegressor])
def test_wide_y_with_task_weights_equals_the_stacked_fit(Est, weights):
    # (a wide y with task weights once raised a TypeError from np.ptp)
    rng = np.random.default_rng(62)
    X = rng.standard_normal((30, 4))
    Y = X @ rng.standard_normal((4, 3)) + 0.3 * rng.standard_normal((30, 3))
    kw = dict(task_weights=weights, tol=1e-12, max_iter=100_000)
    wide = Est(**kw).fit(X, Y)
    tasks = np.repeat(np.arange(3), 30)
    stacked = Est(**kw).fit(np.tile(X, (3, 1)), Y.T.ravel(), tasks=tasks)
    np.testing.assert_allclose(wide.coef_, stacked.coef_, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(wide.intercept_, stacked.intercept_, rtol=1e-7, atol=1e-10)
