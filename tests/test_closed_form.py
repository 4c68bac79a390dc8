"""The closed form of squared loss with a quadratic penalty, one strength or a whole
path at once, against the dense (T d) x (T d) stationarity system and cvxpy."""

import numpy as np
import pytest
from conftest import make_tasks

from skmtl import GraphRegularizedRegressor, MeanRegularizedRegressor
from skmtl._datafit import DesignDatafit
from skmtl.losses import SquaredLoss
from skmtl.model_selection import MeanRegularizedRegressorCV, TaskStratifiedKFold
from skmtl.penalties import GraphPenalty, MeanPenalty
from skmtl.solvers.closed_form import _coupled, closed_form_path, mean_form


def _gram(pooling, seed=0, scales=1.0):
    X, y, tasks = make_tasks(5, 4, sizes=(15, 25, 40, 8, 3), seed=seed)
    X = X * scales
    est = MeanRegularizedRegressor()
    data, _, _ = est._prepare(X, y, tasks, None, True)
    return DesignDatafit(SquaredLoss(), data, True, pooling).gram()


@pytest.mark.parametrize("pooling", [0.0, 3.0])
def test_path_on_features_of_scales_1e_minus_8_to_1e8(pooling):
    """Where one eigendecomposition per task would spoil the small-scale features
    (its round-off is relative to the largest eigenvalue), the path inverts each
    strength's matrices: its objective is the dense system's, to round-off."""
    gram = _gram(pooling, scales=np.logspace(-8, 8, 4))
    penalties = [MeanPenalty(5, a, b) for a, b in [(10.0, 0.1), (0.3, 0.01), (1e-3, 1.0)]]
    for penalty, W in zip(penalties, closed_form_path(gram, penalties), strict=True):
        objective = gram.value(gram.linear(W)) + penalty.value(W)
        dense = _dense(gram, penalty)
        assert objective <= (gram.value(gram.linear(dense)) + penalty.value(dense)) * (1 + 1e-9)


def _dense(gram, penalty):
    """The same minimiser from the dense coupled system (no mean-form shortcut)."""
    T = gram.b.shape[1]
    grams = np.broadcast_to(gram.grams, (T,) + gram.grams.shape[1:])
    rhs, pooling = gram.b.T.copy(), None
    if gram.precision is not None:
        delta, xbar = gram._delta(), gram.x_mean.T
        M = np.diag(delta) - np.outer(delta, delta) / delta.sum()
        rhs += xbar * (M @ gram.y_mean)[:, None]
        pooling = (delta, xbar)
    return _coupled(grams, rhs, penalty.M, pooling)


@pytest.mark.parametrize("pooling", [0.0, 3.0, np.inf])
def test_path_equals_the_dense_system_at_every_strength(pooling):
    gram = _gram(pooling)
    # beta / T above and below alpha: both orders of the mean penalty's eigenvalues
    penalties = [MeanPenalty(5, a, b) for a, b in [(10.0, 0.1), (0.3, 0.01), (1e-3, 1.0)]]
    solutions = closed_form_path(gram, penalties)
    for penalty, W in zip(penalties, solutions, strict=True):
        np.testing.assert_allclose(W, _dense(gram, penalty), rtol=1e-9, atol=1e-12)


def test_complete_graph_is_solved_as_the_mean_model():
    gram = _gram(2.0)
    graph = GraphPenalty(np.ones((5, 5)) - np.eye(5), alpha=0.7, beta=0.05)
    a, m = mean_form(graph)
    np.testing.assert_allclose(np.linalg.eigvalsh(graph.M), [m] + [a] * 4, rtol=1e-12)
    chain = GraphPenalty(np.eye(5, k=1) + np.eye(5, k=-1), alpha=0.7, beta=0.05)
    assert mean_form(chain) is None
    np.testing.assert_allclose(
        closed_form_path(gram, [graph])[0], _dense(gram, graph), rtol=1e-9, atol=1e-12
    )


@pytest.mark.parametrize("pooling", [0.0, 4.0])
def test_complete_graph_model_equals_cvxpy(pooling):
    X, y, tasks = make_tasks(4, 3, sizes=(15, 25, 40, 6), seed=2)
    kw = dict(alpha=0.3, beta=0.02, intercept_pooling=pooling)
    exact = GraphRegularizedRegressor(**kw, tol=1e-12).fit(X, y, tasks=tasks)
    ref = GraphRegularizedRegressor(**kw, solver="cvxpy").fit(X, y, tasks=tasks)
    assert abs(exact.objective_ - ref.objective_) <= 1e-6 * abs(ref.objective_)
    np.testing.assert_allclose(exact.coef_, ref.coef_, atol=1e-5)


def test_cv_path_in_closed_form_equals_one_fit_per_strength():
    """The held-out errors of the batched path are those of separate fits."""
    X, y, tasks = make_tasks(4, 3, sizes=(15, 25, 40, 9), seed=1)
    cv = MeanRegularizedRegressorCV(
        alphas=[1.0, 0.1, 0.01], betas=[0.05], intercept_poolings=[0.0, 4.0, np.inf], cv=3
    )
    cv.fit(X, y, tasks=tasks)
    folds = list(TaskStratifiedKFold(3).split(X, y, groups=tasks))
    for j, pooling in enumerate(cv.intercept_poolings_):
        for i, alpha in enumerate(cv.alphas_):
            errors = []
            for train, test in folds:
                model = MeanRegularizedRegressor(
                    alpha=alpha, beta=0.05, intercept_pooling=pooling, tol=1e-12
                ).fit(X[train], y[train], tasks=tasks[train])
                pred = model.predict(X[test], tasks=tasks[test])
                errors.append(np.mean((y[test] - pred) ** 2))
            np.testing.assert_allclose(cv.mse_path_[0, j, i], errors, rtol=1e-8)
