"""The data terms' constants (skmtl._datafit)."""

import warnings

import numpy as np
import pytest

from skmtl._datafit import DesignDatafit
from skmtl._inputs import build_task_data
from skmtl.losses import HuberLoss, LogisticLoss, MultinomialLoss


@pytest.mark.parametrize("loss", [LogisticLoss(), HuberLoss(1.0), MultinomialLoss(3)])
@pytest.mark.parametrize("weighted", [False, True])
def test_design_lipschitz_is_the_largest_eigenvalue_of_the_dense_hessian_bound(loss, weighted):
    """With free intercepts (a variable row, centred features) the constant comes from
    the Gram statistics and the intercepts' weight sums; it equals the curvature
    times the largest eigenvalue of the operator built entry by entry."""
    rng = np.random.RandomState(0)
    tasks = np.repeat([0, 1, 2], [7, 12, 20])
    X = rng.randn(len(tasks), 4) * [1.0, 10.0, 0.1, 3.0] + 5.0
    if loss.name == "huber":
        y = rng.randn(len(tasks))
    else:
        y = rng.randint(0, 3 if loss.name == "multinomial" else 2, len(tasks))
    sample_weight = rng.uniform(0.2, 3.0, len(tasks)) if weighted else None
    data, _ = build_task_data(X, y, tasks, sample_weight, loss=loss)
    full = DesignDatafit(loss, data, True)
    assert full.center and full.intercept_row
    shape = (full.n_rows, data.n_tasks)
    columns = []
    for k in range(np.prod(shape)):
        unit = np.zeros(np.prod(shape))
        unit[k] = 1.0
        columns.append(full.adjoint(full.w * full._linear(unit.reshape(shape))).ravel())
    dense = np.column_stack(columns)
    expected = loss.curvature * np.linalg.eigvalsh(0.5 * (dense + dense.T))[-1]
    assert full.lipschitz() == pytest.approx(expected, rel=1e-10)


def _tiny_unscaled_tasks(seed=0, n_tasks=60, scales=(1.0, 1e4)):
    """Many tasks of 3-8 rows, six continuous columns on scales 1 to 1e4 and six
    one-hot ones: rows are cheaper to iterate on than per-task Gram statistics."""
    rng = np.random.RandomState(seed)
    sizes = rng.randint(3, 9, n_tasks)
    tasks = np.repeat(np.arange(n_tasks), sizes)
    n = len(tasks)
    continuous = rng.randn(n, 6) * np.logspace(np.log10(scales[0]), np.log10(scales[1]), 6)
    X = np.hstack([continuous, np.eye(6)[rng.randint(0, 6, n)]])
    y = continuous[:, 0] + continuous[:, 5] / 1e4 + X[:, 7] + rng.randn(n)
    return X, y, tasks


def test_badly_scaled_features_take_gram_statistics():
    """Per-iteration cost favours the rows here, but FISTA on them crawls at the
    largest feature's step: Gram statistics (coordinate descent) certify the fit."""
    from skmtl import GroupLassoRegressor
    from skmtl._datafit import scale_spread, use_gram
    from skmtl.losses import SquaredLoss

    X, y, tasks = _tiny_unscaled_tasks()
    data, _ = build_task_data(X, y, tasks, None, loss=SquaredLoss())
    assert scale_spread(data) > 1e6
    assert use_gram(data, SquaredLoss())
    scaled, _ = build_task_data(X / X.std(axis=0), y, tasks, None, loss=SquaredLoss())
    assert not use_gram(scaled, SquaredLoss())  # well scaled: the rows, by cost
    alpha = 1e-3 * GroupLassoRegressor().alpha_max(X, y, tasks=tasks)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # (no ConvergenceWarning)
        model = GroupLassoRegressor(alpha=alpha, tol=1e-8).fit(X, y, tasks=tasks)
    reference = GroupLassoRegressor(alpha=alpha, solver="cvxpy").fit(X, y, tasks=tasks)
    assert model.objective_ <= reference.objective_ * (1 + 1e-6)


def test_columns_constant_within_tasks_do_not_count_as_badly_scaled():
    """A column of ones, or one constant within each task (a task-level covariate),
    has no curvature: its round-off (1e-17) read as a spread of 1e16 sent
    well-scaled fits to Gram statistics and coordinate descent."""
    from skmtl._datafit import scale_spread
    from skmtl.losses import SquaredLoss

    rng = np.random.RandomState(0)
    tasks = np.repeat(np.arange(200), 5)
    X = rng.randn(len(tasks), 10)
    level = rng.uniform(0.1, 3.0, 200)[tasks]  # constant within each task
    for extra in (np.ones(len(tasks)), 0.1 * np.ones(len(tasks)), level):
        data, _ = build_task_data(
            np.column_stack([X, extra]), rng.randn(len(tasks)), tasks, None, loss=SquaredLoss()
        )
        assert scale_spread(data) < 10.0


def test_without_centring_an_offset_feature_is_badly_scaled():
    """Without free intercepts the features are not centred: a column of mean 1e3
    has that curvature, whatever its spread within the tasks."""
    from skmtl._datafit import scale_spread, use_gram
    from skmtl.losses import SquaredLoss

    rng = np.random.RandomState(0)
    tasks = np.repeat(np.arange(300), 4)
    X = np.column_stack([rng.randn(len(tasks), 6), 1e3 + rng.randn(len(tasks))])
    data, _ = build_task_data(X, rng.randn(len(tasks)), tasks, None, loss=SquaredLoss())
    assert scale_spread(data) < 10.0 < 1e5 < scale_spread(data, centred=False)
    assert not use_gram(data, SquaredLoss()) and use_gram(data, SquaredLoss(), centred=False)
