"""The losses: their derivatives and conjugates, every model with every loss against
cvxpy, and the reductions to scikit-learn's single-task models."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import default_task_weights
from scipy.optimize import minimize_scalar
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import HuberRegressor, PoissonRegressor
from sklearn.svm import LinearSVC
from test_low_rank import MODELS as LOW_RANK_MODELS
from test_task_relations import MODELS as RELATION_MODELS

from skmtl import (
    GroupLassoClassifier,
    GroupLassoRegressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    MultiTaskEstimator,
    TraceNormRegressor,
)
from skmtl.losses import (
    HuberLoss,
    LogisticLoss,
    Loss,
    PoissonLoss,
    QuantileLoss,
    SquaredHingeLoss,
    SquaredLoss,
    get_loss,
)
from skmtl.penalties import L21

LOSSES = {
    "squared": SquaredLoss(),
    "huber": HuberLoss(epsilon=0.7),
    "poisson": PoissonLoss(),
    "quantile": QuantileLoss(0.3),
    "logistic": LogisticLoss(),
    "squared_hinge": SquaredHingeLoss(),
}


def _targets(loss, rng, size):
    if loss.target == "binary":
        return rng.choice([-1.0, 1.0], size)
    if loss.target == "counts":
        return rng.poisson(2.0, size).astype(float)
    return rng.randn(*size) * 2


@pytest.mark.parametrize("name", LOSSES)
def test_derivatives_match_finite_differences(name):
    loss, rng = LOSSES[name], np.random.RandomState(0)
    y, z = _targets(loss, rng, (40,)), rng.randn(40)
    w = rng.uniform(0.5, 2.0, 40)
    h = 1e-6
    numeric = (w * loss.pointwise(y, z + h) - w * loss.pointwise(y, z - h)) / (2 * h)
    np.testing.assert_allclose(loss.derivative(y, w, z), numeric, rtol=1e-6, atol=1e-8)
    # the second derivative, away from the kinks of the piecewise losses
    numeric = (loss.derivative(y, w, z + h) - loss.derivative(y, w, z - h)) / (2 * h)
    smooth = np.abs(numeric - loss.second_derivative(y, w, z)) < 1e-3 * w
    assert smooth.mean() > 0.8
    assert loss.value(y, w, z) == pytest.approx(np.sum(w * loss.pointwise(y, z)))


@pytest.mark.parametrize("name", LOSSES)
def test_a_margin_loss_is_least_squares_inside_the_margin(name):
    """A loss that declares ``margin`` (its ``*CV`` pool intercepts by the linear
    probability model) is ``curvature / 2 * (y - z)^2`` where ``y z < 1`` and zero
    beyond, for labels -1/+1; the others do not declare it."""
    loss, rng = LOSSES[name], np.random.RandomState(3)
    assert loss.margin == (name == "squared_hinge")
    if not loss.margin:
        return
    y, z = rng.choice([-1.0, 1.0], 200), 3 * rng.randn(200)
    inside = y * z < 1
    assert 0 < inside.mean() < 1
    expected = np.where(inside, loss.curvature / 2 * (y - z) ** 2, 0.0)
    np.testing.assert_allclose(loss.pointwise(y, z), expected, rtol=1e-14, atol=0)


def test_logistic_pieces_match_numpy_and_scipy_to_the_ulp():
    # the logistic loss's own log(1 + exp(m)) and sigmoid (faster than
    # np.logaddexp and scipy's expit) agree with them to a few ulps everywhere
    from scipy.special import expit

    from skmtl.losses.binary import log1p_exp, sigmoid

    m = np.concatenate([np.linspace(-800, 800, 20001), [-np.inf, np.inf, 0.0, -0.0, 1e-300]])
    m = np.concatenate([m, np.random.default_rng(0).standard_normal(1000) * 30])
    with np.errstate(over="ignore"):
        expected = np.logaddexp(0.0, m)
    np.testing.assert_allclose(log1p_exp(m), expected, rtol=4 * np.finfo(float).eps, atol=0)
    # (below exp(-745) expit gives 0, sigmoid the subnormal value)
    np.testing.assert_allclose(sigmoid(m), expit(m), rtol=4 * np.finfo(float).eps, atol=1e-300)
    assert np.isnan(log1p_exp(np.array([np.nan]))[0]) and np.isnan(sigmoid(np.array([np.nan]))[0])


@pytest.mark.parametrize("name", LOSSES)
@pytest.mark.parametrize("scale", [1.0, 0.6])
def test_dual_value_is_the_conjugate(name, scale):
    """``-sum f_i^*(-s theta_i) = sum_i min_u f_i(u) + s theta_i u`` at ``theta = -f'(z)``,
    each minimum found numerically."""
    loss, rng = LOSSES[name], np.random.RandomState(1)
    y, z = _targets(loss, rng, (8,)), rng.randn(8)
    w = rng.uniform(0.5, 2.0, 8)
    theta = -scale * loss.derivative(y, w, z)
    minima = [
        minimize_scalar(
            lambda u, i=i: w[i] * loss.pointwise(y[i], u) + theta[i] * u,
            bounds=(-30, 30),
            method="bounded",
            options={"xatol": 1e-12},
        ).fun
        for i in range(8)
    ]
    assert loss.dual_value(y, w, z, scale) == pytest.approx(sum(minima), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("name", [n for n in LOSSES if n not in ("squared", "quantile")])
def test_predictions_for_inverts_the_derivative(name):
    """``predictions_for(g)`` has derivative ``g`` where ``-g`` is in the conjugate's
    domain (any loss's derivative), and the nearest such point's elsewhere, with
    finite predictions; zero-weight rows get a zero derivative."""
    loss, rng = LOSSES[name], np.random.RandomState(2)
    y, z = _targets(loss, rng, (60,)), 3 * rng.randn(60)
    w = rng.uniform(0.5, 2.0, 60)
    g = loss.derivative(y, w, z)
    np.testing.assert_allclose(
        loss.derivative(y, w, loss.predictions_for(y, w, g)), g, rtol=1e-9, atol=1e-12
    )
    # beyond the domain: the logistic's probability past 0 or 1, the hinge's and
    # Huber's slopes past theirs, a Poisson mean below zero
    far = g + 5 * rng.randn(60) * w
    back = loss.derivative(y, w, loss.predictions_for(y, w, far))
    assert np.all(np.isfinite(loss.predictions_for(y, w, far)))
    nearest = {
        "logistic": -w * y * np.clip(-far * y / w, 0, 1),
        "squared_hinge": -w * y * np.maximum(-far * y / w, 0),
        "huber": np.clip(far, -0.7 * w, 0.7 * w),
        "poisson": np.maximum(far, -w * y),
    }[name]
    np.testing.assert_allclose(back, nearest, rtol=1e-9, atol=1e-12)
    w[:5] = 0.0
    assert np.all(loss.derivative(y, w, loss.predictions_for(y, w, g))[:5] == 0)


def _make_data(loss, seed=0):
    rng = np.random.RandomState(seed)
    sizes = (15, 25, 40)
    tasks = np.repeat(np.arange(3), sizes)
    X = rng.randn(len(tasks), 6) + 0.5
    W = np.zeros((6, 3))
    W[:3] = 0.5 * rng.randn(3, 3)
    z = np.einsum("ij,ji->i", X, W[:, tasks]) + 0.3
    if loss.target == "binary":
        y = (z + 0.5 * rng.randn(len(z)) > 0.3).astype(int)
    elif loss.target == "counts":
        y = rng.poisson(np.exp(np.clip(z, -3, 3)))
    else:
        y = z + 0.5 * rng.standard_t(2, len(z))  # heavy tails
    return X, y, tasks


GROUP_LASSO = {
    "group-lasso": (GroupLassoRegressor, GroupLassoClassifier, dict(alpha=0.05)),
    "sparse-group": (GroupLassoRegressor, GroupLassoClassifier, dict(alpha=0.05, l1_ratio=0.5)),
    "linf": (GroupLassoRegressor, GroupLassoClassifier, dict(alpha=0.05, group_norm="linf")),
}
ALL_MODELS = {**GROUP_LASSO, **RELATION_MODELS, **LOW_RANK_MODELS}


def _recomputed_objective(model, loss, X, y, tasks, sample_weight):
    """The objective from ``coef_`` and ``intercept_``, task by task (non-split models)."""
    labels = np.unique(tasks)
    if loss.target == "binary":
        y = np.where(y == model.classes_[1], 1.0, -1.0)
    total = model._make_penalty(len(labels), X.shape[1]).value(model.coef_.T)
    tau = default_task_weights([sample_weight[tasks == label].sum() for label in labels])
    for t, label in enumerate(labels):
        rows = tasks == label
        z = np.asarray(X[rows] @ model.coef_[t]).ravel() + model.intercept_[t]
        sw = sample_weight[rows]
        total += tau[t] * np.sum(sw * loss.pointwise(y[rows], z)) / sw.sum()
    return total


@pytest.mark.parametrize("model", ALL_MODELS)
@pytest.mark.parametrize("loss_name", ["huber", "poisson", "squared_hinge", "quantile"])
def test_every_model_with_every_loss_matches_cvxpy(model, loss_name):
    regressor, classifier, params = ALL_MODELS[model]
    loss = LOSSES[loss_name]
    cls = classifier if loss.target == "binary" else regressor
    X, y, tasks = _make_data(loss)
    sw = np.random.RandomState(2).uniform(0.3, 2.0, len(y))
    if model == "linf" or model.startswith("dirty"):  # sparse designs too
        X = sp.csr_matrix(np.where(np.abs(X) > 0.6, X, 0.0))
    ours = cls(**params, loss=loss, tol=1e-11, max_iter=20000).fit(X, y, tasks, sw)
    ref = cls(**params, loss=loss, solver="cvxpy").fit(X, y, tasks, sw)
    assert (ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6
    assert 0 <= ours.dual_gap_ <= 1e-8 * max(1.0, ours.objective_)
    if model not in ("dirty", "dirty-l2", "robust"):  # split models: valued at the parts
        value = _recomputed_objective(ours, loss, X, y, tasks, sw)
        assert value == pytest.approx(ours.objective_, rel=1e-9)


@pytest.mark.parametrize(
    "loss", [HuberLoss(0.5), PoissonLoss(), SquaredHingeLoss(), QuantileLoss(0.7)], ids=str
)
@pytest.mark.parametrize("pooling", [4.0, np.inf])
def test_pooled_intercepts_with_new_losses_match_cvxpy(loss, pooling):
    """Pooled intercepts with the Huber, Poisson, squared hinge and pinball losses:
    cvxpy's objective on both sides (an objective that left out the pooling term
    was 0.04-0.65% below cvxpy's optimum, with a gap of zero), and its coefficients
    and intercepts (observed within 5.4e-6 and 7e-7 of cvxpy's, checked at 1e-4;
    without the pooling term they moved by 1e-4 to 8e-3)."""
    X, y, tasks = _make_data(loss, seed=3)
    kind = "squared_hinge" if loss.target == "binary" else None
    est = MultiTaskEstimator(loss=loss, penalty=L21(0.05), intercept_pooling=pooling)
    ours = est.set_params(tol=1e-11, max_iter=20000).fit(X, y, tasks)
    ref = MultiTaskEstimator(loss=loss, penalty=L21(0.05), intercept_pooling=pooling)
    ref.set_params(solver="cvxpy").fit(X, y, tasks)
    assert abs(ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6, kind
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)
    np.testing.assert_allclose(ours.intercept_, ref.intercept_, atol=1e-4)


def _unscaled_with_outliers(seed=0):
    """Five tasks, features of scales 1 to 1000 with non-zero means (not
    standardized, as School's raw columns), 10% gross outliers in ``y``."""
    rng = np.random.RandomState(seed)
    tasks = np.repeat(np.arange(5), 40)
    scales = np.array([1.0, 1.0, 10.0, 100.0, 1000.0])
    X = (rng.randn(len(tasks), 5) + rng.randn(5)) * scales
    W = (rng.randn(5, 1) + 0.3 * rng.randn(5, 5)) / scales[:, None]
    y = np.einsum("ij,ji->i", X, W[:, tasks]) + rng.randn(len(tasks))
    outliers = rng.rand(len(y)) < 0.1
    y[outliers] += 20 * rng.standard_t(1, outliers.sum())
    return X, y, tasks


@pytest.mark.parametrize(
    "cls, params",
    [
        (TraceNormRegressor, dict(alpha=0.05)),
        (GroupLassoRegressor, dict(alpha=0.05)),
        (MeanRegularizedRegressor, dict(alpha=0.1)),
    ],
)
def test_huber_converges_on_unscaled_features(cls, params):
    """Proximal Newton with the Huber loss's majorizing (IRLS) models converges on an
    ill-conditioned design with outliers. The trace norm used to stall: its inner
    solves stopped at a fraction of the true gap, which the outliers' term of the
    Huber dual makes far larger than the quadratic model's own gap, so the model was
    barely minimised (20000 iterations did not reach tol=1e-5)."""
    X, y, tasks = _unscaled_with_outliers()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = cls(**params, loss=HuberLoss(1.0), tol=1e-5, max_iter=10000).fit(X, y, tasks)
    ref = cls(**params, loss=HuberLoss(1.0), solver="cvxpy").fit(X, y, tasks)
    assert abs(ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6  # both sides
    assert ours.n_iter_ < 10000 and ours.dual_gap_ <= 1e-4 * ours.objective_


def test_squared_hinge_newton_on_unscaled_features():
    """The squared hinge's Newton steps take its generalized second derivative (zero
    beyond the margin): the mean-regularized classifier on unscaled features
    converges in a few steps. With the bound ``2 w`` everywhere (a majorizer) it had
    not converged after 5000."""
    X, y, tasks = _unscaled_with_outliers(seed=1)
    labels = (y > np.median(y)).astype(int)
    kw = dict(alpha=0.1, beta=0.01, loss="squared_hinge")
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        ours = MeanRegularizedClassifier(**kw, tol=1e-8, max_iter=200).fit(X, labels, tasks)
    ref = MeanRegularizedClassifier(**kw, solver="cvxpy").fit(X, labels, tasks)
    assert abs(ours.objective_ - ref.objective_) / abs(ref.objective_) < 1e-6  # both sides
    assert ours.n_iter_ < 50


def test_huge_epsilon_huber_is_least_squares():
    X, y, tasks = _make_data(SquaredLoss())
    huber = GroupLassoRegressor(alpha=0.05, loss=HuberLoss(1e6), tol=1e-12).fit(X, y, tasks)
    squared = GroupLassoRegressor(alpha=0.05, tol=1e-12).fit(X, y, tasks)
    np.testing.assert_allclose(huber.coef_, squared.coef_, atol=1e-8)
    np.testing.assert_allclose(huber.intercept_, squared.intercept_, atol=1e-8)


def test_huber_resists_outliers():
    """A few gross outliers move the least-squares fit far more than Huber's."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 3)
    Y = X @ rng.randn(3, 2) + 0.1 * rng.randn(200, 2)
    clean = GroupLassoRegressor(alpha=1e-3).fit(X, Y).coef_
    Y[:10] += 50.0
    squared = GroupLassoRegressor(alpha=1e-3).fit(X, Y).coef_
    huber = GroupLassoRegressor(alpha=1e-3, loss="huber").fit(X, Y).coef_
    assert np.abs(huber - clean).max() < 0.1 * np.abs(squared - clean).max()


def test_poisson_single_task_equals_sklearn():
    """One task with a ridge: scikit-learn's PoissonRegressor (mean half deviance plus
    ``alpha / 2 ||w||^2``) is the mean-regularized model with ``beta = alpha / 2``."""
    rng = np.random.RandomState(0)
    X = rng.randn(300, 5)
    y = rng.poisson(np.exp(0.3 * X[:, 0] - 0.2 * X[:, 1] + 0.5))
    ref = PoissonRegressor(alpha=0.02, tol=1e-12, max_iter=10000).fit(X, y)
    ours = MeanRegularizedRegressor(beta=0.01, loss="poisson", tol=1e-12).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-7)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-7)
    np.testing.assert_allclose(ours.predict(X), ref.predict(X), rtol=1e-6)


def test_huber_single_task_equals_sklearn_at_its_scale():
    """scikit-learn's ``HuberRegressor`` minimises ``sum_i (s + s H(r_i / s)) +
    alpha ||w||^2`` over the scale ``s`` too, with ``H(u) = u^2`` up to ``epsilon``
    and ``2 epsilon |u| - epsilon^2`` beyond. At its scale ``s``, ``s H(r / s)`` is
    ``2 / s`` times our Huber loss of threshold ``epsilon s``: ours divided by ``2 n /
    s``, so ``beta = alpha s / (2 n)``, has the same minimiser."""
    rng = np.random.RandomState(0)
    n, epsilon, alpha = 300, 1.35, 0.5
    X = rng.randn(n, 5)
    y = X @ np.array([1.0, -2.0, 0.5, 0.0, 0.0]) + 0.5 + rng.standard_t(1.5, n)
    ref = HuberRegressor(epsilon=epsilon, alpha=alpha, tol=1e-12, max_iter=10000).fit(X, y)
    s = ref.scale_
    ours = MeanRegularizedRegressor(
        beta=alpha * s / (2 * n), loss=HuberLoss(epsilon * s), tol=1e-12
    ).fit(X, y)

    def sklearn_objective(model):
        u = np.abs(y - X @ model.coef_ - model.intercept_) / s
        H = np.where(u < epsilon, u * u, 2 * epsilon * u - epsilon**2)
        return np.sum(s + s * H) + alpha * model.coef_ @ model.coef_

    # scikit-learn's L-BFGS stops near its optimum (coefficients within 1e-5): ours,
    # exact at its scale, is as good to round-off
    np.testing.assert_allclose(ours.coef_, ref.coef_, atol=1e-4)
    assert ours.intercept_ == pytest.approx(ref.intercept_, abs=1e-4)
    assert sklearn_objective(ours) <= sklearn_objective(ref) * (1 + 1e-12)


def test_squared_hinge_single_task_equals_liblinear():
    """``LinearSVC(C)`` without intercept minimises ``||w||^2 / 2 + C sum_i h_i^2``:
    ours divided by ``C n``, so ``beta = 1 / (2 C n)``."""
    rng = np.random.RandomState(0)
    X = rng.randn(120, 4)
    y = (X[:, 0] - X[:, 1] + 0.5 * rng.randn(120) > 0).astype(int)
    C = 0.5
    ref = LinearSVC(C=C, fit_intercept=False, tol=1e-12, max_iter=100000).fit(X, y)
    ours = MeanRegularizedClassifier(
        beta=1 / (2 * C * len(y)), loss="squared_hinge", fit_intercept=False, tol=1e-12
    ).fit(X, y)
    np.testing.assert_allclose(ours.coef_, ref.coef_.ravel(), atol=1e-6)
    assert not hasattr(ours, "predict_proba")
    np.testing.assert_array_equal(ours.predict(X), ref.predict(X))


def test_poisson_predicts_counts_and_rejects_negative_targets():
    X, y, tasks = _make_data(PoissonLoss())
    model = GroupLassoRegressor(alpha=0.01, loss="poisson").fit(X, y, tasks)
    pred = model.predict(X, tasks)
    assert (pred > 0).all()
    np.testing.assert_allclose(np.log(pred), model._decision(X, tasks))
    with pytest.raises(ValueError, match="non-negative"):
        GroupLassoRegressor(loss="poisson").fit(X, y - 5.0, tasks)
    zero = np.where(tasks == 0, 0, y)
    with pytest.raises(ValueError, match="only zero counts"):
        GroupLassoRegressor(loss="poisson").fit(X, zero, tasks)
    GroupLassoRegressor(loss="poisson", intercept_pooling=1.0).fit(X, zero, tasks)
    # no count at all: pooling cannot help, and the message does not suggest it
    with pytest.raises(ValueError, match="no positive count") as error:
        GroupLassoRegressor(loss="poisson", intercept_pooling=5.0).fit(X, 0 * y, tasks)
    assert "intercept_pooling" not in str(error.value)


def test_degenerate_tasks_are_well_posed_without_intercepts():
    """Zero counts and one-class tasks make free intercepts infinite, not a model
    without intercepts, whose penalty bounds the coefficients: they fit, at cvxpy's
    optimum (they were refused)."""
    pytest.importorskip("cvxpy")
    X, y, tasks = _make_data(PoissonLoss())
    labels = np.where(np.arange(len(y)) % 2 == 0, 1, 0)
    labels[tasks == 0] = 1
    for Est, target, loss in (
        (GroupLassoRegressor, 0.0 * y, "poisson"),
        (GroupLassoClassifier, labels, "logistic"),
    ):
        kw = dict(alpha=0.05, loss=loss, fit_intercept=False)
        ours = Est(**kw, tol=1e-8).fit(X, target, tasks)
        ref = Est(**kw, solver="cvxpy").fit(X, target, tasks)
        assert abs(ours.objective_ - ref.objective_) <= 1e-6 * abs(ref.objective_) + 1e-9
        with pytest.raises(ValueError, match="no positive count|only one class"):
            Est(alpha=0.05, loss=loss).fit(X, target, tasks)


@pytest.mark.parametrize(
    "loss, advice",
    [("squared", "LinearRegression"), ("poisson", "PoissonRegressor"), ("logistic", "C=np.inf")],
)
def test_unpenalized_warning_advises_the_loss_own_sklearn_estimator(loss, advice):
    X, y, tasks = _make_data(get_loss(loss))
    Est = GroupLassoClassifier if loss == "logistic" else GroupLassoRegressor
    with pytest.warns(UserWarning, match="alpha=0 leaves the model unpenalized") as caught:
        Est(alpha=0.0, loss=loss, max_iter=50).fit(X, y, tasks)
    unpenalized = [w for w in caught if "alpha=0" in str(w.message)]
    assert unpenalized[0].filename == __file__  # the caller's line
    texts = " ".join(str(w.message) for w in caught)
    assert advice in texts
    assert loss == "squared" or "LinearRegression" not in texts


def test_loss_names_and_kinds():
    assert get_loss("huber") == HuberLoss()

    class Banana(HuberLoss):
        target = "banana"

    with pytest.raises(ValueError, match=r"target='banana'; a loss's target is one of"):
        GroupLassoRegressor(loss=Banana()).fit(np.ones((4, 1)), [0.0, 1, 0, 1])
    assert HuberLoss(2.0) != HuberLoss(1.0)
    with pytest.raises(ValueError, match="does not suit a classifier"):
        GroupLassoClassifier(loss="poisson").fit(np.ones((4, 1)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match="does not suit a regressor"):
        GroupLassoRegressor(loss="logistic").fit(np.ones((4, 1)), [0.0, 1, 0, 1])
    with pytest.raises(ValueError, match="loss must be one of"):
        GroupLassoRegressor(loss="hinge").fit(np.ones((4, 1)), [0.0, 1, 0, 1])
    with pytest.raises(ValueError, match="multinomial loss by itself with loss='logistic'"):
        GroupLassoClassifier(loss="multinomial").fit(np.ones((4, 1)), [0, 1, 2, 1])
    with pytest.raises(ValueError, match="epsilon"):
        HuberLoss(epsilon=-1)
    assert isinstance(get_loss("squared_hinge"), Loss)


def test_partial_fit_only_with_the_squared_loss():
    """Sufficient statistics serve the squared loss alone: the other losses' models
    have no ``partial_fit`` (as scikit-learn hides ``predict_proba`` where it does
    not apply), rather than one that always raises."""
    assert hasattr(GroupLassoRegressor(), "partial_fit")
    for loss in ("huber", "poisson", "quantile"):
        assert not hasattr(GroupLassoRegressor(loss=loss), "partial_fit")


def test_loss_parameters_are_tuned_by_nested_names():
    """A grid search over ``loss__epsilon`` sets the parameter on its clone of the
    loss, checked as the constructor checks it; the user's loss is left alone."""
    from sklearn.base import clone
    from sklearn.model_selection import GridSearchCV

    from skmtl import UncertaintyWeights

    rng = np.random.RandomState(0)
    X = rng.randn(60, 3)
    y = X @ [1.0, -2.0, 0.5] + rng.standard_t(1, 60)
    loss = HuberLoss(1.0)
    model = GroupLassoRegressor(alpha=0.01, loss=loss)
    assert model.get_params()["loss__epsilon"] == 1.0
    search = GridSearchCV(model, {"loss__epsilon": [0.5, 2.0]}, cv=3).fit(X, y)
    assert loss.epsilon == 1.0 and search.best_estimator_.loss.epsilon in (0.5, 2.0)
    # a NumPy grid, as for HuberRegressor(epsilon=...)
    GridSearchCV(model, {"loss__epsilon": np.arange(1, 3)}, cv=3).fit(X, y)
    best = search.best_params_["loss__epsilon"]
    refit = GroupLassoRegressor(alpha=0.01, loss=HuberLoss(best)).fit(X, y)
    np.testing.assert_allclose(search.best_estimator_.coef_, refit.coef_, rtol=1e-10)
    with pytest.raises(ValueError, match="epsilon must be a positive"):
        model.set_params(loss__epsilon=-1.0)
    assert model.loss.epsilon == 1.0  # as it was
    with pytest.raises(ValueError, match=r"Invalid parameter\(s\) \['eps'\] for HuberLoss"):
        loss.set_params(eps=1.0)
    assert QuantileLoss().set_params(quantile=0.9).quantile == 0.9
    assert LogisticLoss().get_params() == {}
    weights = UncertaintyWeights(floor=0.1)
    assert clone(weights).get_params() == {"floor": 0.1, "max_rounds": 50, "tol": 1e-6}


def test_a_loss_without_a_required_method_names_it():
    from skmtl.penalties import L21

    class Half(Loss):  # no second_derivative, no dual_value
        def pointwise(self, y, z):
            return 0.5 * (y - z) ** 2

        def derivative(self, y, w, z):
            return -w * (y - z)

    class Curved(Half):  # no dual_value
        def second_derivative(self, y, w, z):
            return w + 0 * z

    X, tasks = np.random.RandomState(0).randn(30, 3), np.arange(30) % 3
    for loss, method in ((Half(), "second_derivative"), (Curved(), "dual_value")):
        with pytest.raises(NotImplementedError, match=f"{type(loss).__name__} does not "
                           f"implement {method}"):  # fmt: skip
            MultiTaskEstimator(loss=loss, penalty=L21(0.1)).fit(X, X[:, 0], tasks=tasks)


def test_a_loss_with_an_array_parameter_is_a_value():
    """Equality and hashing by the parameters' values, arrays by their entries."""
    from skmtl.losses import LogisticLoss

    class CostSensitive(LogisticLoss):
        def __init__(self, costs=(1.0, 1.0)):
            self.costs = np.asarray(costs, dtype=float)

    assert CostSensitive([1.0, 3.0]) == CostSensitive(np.array([1.0, 3.0]))
    assert CostSensitive([1.0, 3.0]) != CostSensitive([1.0, 2.0])
    assert hash(CostSensitive([1.0, 3.0])) == hash(CostSensitive([1.0, 3.0]))
    assert len({CostSensitive([1.0, 3.0]), CostSensitive([1.0, 3.0])}) == 1
