"""The data terms' constants (skmtl._datafit)."""

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
