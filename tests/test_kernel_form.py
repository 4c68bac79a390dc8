"""The closed form in the rows (fewer rows than features) against the closed form in
the features, cvxpy, and separate fits along a cross-validation path."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_tasks

from skmtl import GraphRegularizedRegressor, MeanRegularizedRegressor
from skmtl._datafit import DesignDatafit
from skmtl.losses import SquaredLoss
from skmtl.model_selection import MeanRegularizedRegressorCV, TaskStratifiedKFold
from skmtl.penalties import GraphPenalty, MeanPenalty
from skmtl.solvers.closed_form import closed_form
from skmtl.solvers.kernel_form import kernel_form_path, use_kernel_form

SIZES = (8, 5, 12)  # 25 rows, 40 features


def _wide(seed=0, shared=False):
    X, y, tasks = make_tasks(3, 40, sizes=(9, 9, 9) if shared else SIZES, seed=seed)
    if shared:  # one design for the three tasks: wide Y with a missing entry
        X = X[:9]
        y = np.column_stack([y[:9], y[9:18], y[18:]])
        y[4, 1] = np.nan
        return X, y, None
    return X, y, tasks


def _datafit(X, y, tasks, pooling, fit_intercept, sample_weight=None, task_weights=None):
    est = MeanRegularizedRegressor(task_weights=task_weights)
    data, _, _ = est._prepare(X, y, tasks, sample_weight, True)
    if task_weights is not None:
        data.task_weights = np.asarray(task_weights, dtype=float)
    return DesignDatafit(SquaredLoss(), data, fit_intercept, pooling)


PENALTIES = [MeanPenalty(3, 0.7, 0.05), GraphPenalty(np.eye(3, k=1) + np.eye(3, k=-1), 0.7, 0.05)]


@pytest.mark.parametrize("pooling", [0.0, 3.0, np.inf])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("shared", [False, True])
@pytest.mark.parametrize("penalty", PENALTIES, ids=["mean", "chain"])
def test_rows_and_features_give_one_minimiser(pooling, fit_intercept, shared, penalty):
    """The system in the rows and the one in the features: one minimiser (and one
    intercept per task), with sample weights, for stacked rows and a shared design."""
    X, y, tasks = _wide(shared=shared)
    weights = np.random.RandomState(0).uniform(0.5, 2.0, len(X))
    full = _datafit(X, y, tasks, pooling, fit_intercept, weights)
    assert use_kernel_form(full, penalty, "auto")
    C = kernel_form_path(full, [penalty])[0]
    gram = full.gram()
    W = closed_form(gram, penalty)
    np.testing.assert_allclose(C[:40], W, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(full.intercept(C), gram.intercept(W), rtol=1e-8, atol=1e-10)


def test_task_weights_and_sparse_rows():
    X, y, tasks = _wide(seed=1)
    penalty = PENALTIES[0]
    dense = _datafit(X, y, tasks, 2.0, True, task_weights=[1.0, 3.0, 0.5])
    sparse = _datafit(sp.csr_matrix(X), y, tasks, 2.0, True, task_weights=[1.0, 3.0, 0.5])
    C = kernel_form_path(dense, [penalty])[0]
    np.testing.assert_allclose(C, kernel_form_path(sparse, [penalty])[0], rtol=1e-10)
    W = closed_form(dense.gram(), penalty)
    np.testing.assert_allclose(C[:40], W, rtol=1e-8, atol=1e-10)


def test_when_the_rows_serve():
    """More rows than features, a singular ``M`` (no ridge on a graph), a forced
    iterative solver: the features' form or the iterative solvers instead."""
    X, y, tasks = _wide()
    full = _datafit(X, y, tasks, 0.0, True)
    assert use_kernel_form(full, PENALTIES[0], "closed_form")
    assert not use_kernel_form(full, PENALTIES[0], "fista")
    singular = GraphPenalty(np.eye(3, k=1) + np.eye(3, k=-1), 0.7, 0.0, allow_singular=True)
    assert not use_kernel_form(full, singular, "auto")
    tall = _datafit(X[:, :20], y, tasks, 0.0, True)
    assert not use_kernel_form(tall, PENALTIES[0], "auto")


@pytest.mark.parametrize("pooling", [0.0, 4.0])
@pytest.mark.parametrize("Est", [MeanRegularizedRegressor, GraphRegularizedRegressor])
def test_wide_fit_equals_cvxpy(Est, pooling):
    X, y, tasks = _wide(seed=2)
    kw = dict(alpha=0.3, beta=0.02, intercept_pooling=pooling)
    exact = Est(**kw).fit(X, y, tasks=tasks)
    ref = Est(**kw, solver="cvxpy").fit(X, y, tasks=tasks)
    assert exact.n_iter_ == 1 and exact.dual_gap_ <= 1e-12 * abs(exact.objective_)
    assert abs(exact.objective_ - ref.objective_) <= 1e-6 * abs(ref.objective_)
    np.testing.assert_allclose(exact.coef_, ref.coef_, atol=1e-5)


def test_wide_cv_path_equals_one_fit_per_strength():
    """The held-out errors of the path in the rows are those of separate fits."""
    X, y, tasks = make_tasks(3, 60, sizes=(15, 25, 12), seed=1)
    cv = MeanRegularizedRegressorCV(
        alphas=[1.0, 0.1], betas=[0.05, 1.0], intercept_poolings=[0.0, 4.0, np.inf], cv=3
    )
    cv.fit(X, y, tasks=tasks)
    folds = list(TaskStratifiedKFold(3).split(X, y, groups=tasks))
    for b, beta in enumerate(cv.betas_):
        for j, pooling in enumerate(cv.intercept_poolings_):
            for i, alpha in enumerate(cv.alphas_):
                errors = []
                for train, test in folds:
                    model = MeanRegularizedRegressor(
                        alpha=alpha, beta=beta, intercept_pooling=pooling
                    )
                    model.fit(X[train], y[train], tasks=tasks[train])
                    pred = model.predict(X[test], tasks=tasks[test])
                    errors.append(np.mean((y[test] - pred) ** 2))
                np.testing.assert_allclose(cv.mse_path_[b, j, i], errors, rtol=1e-10)
