"""The stacked-rows products of skmtl._tasks against a loop over the tasks."""

import numpy as np
import pytest
import scipy.sparse as sp

from skmtl._tasks import TaskData, matvec, rmatvec


@pytest.mark.parametrize("layout", ["C", "F", "csr"])
@pytest.mark.parametrize("grouped", [True, False])
@pytest.mark.parametrize("n, d", [(40, 3), (3000, 20)])  # both sides of the size switch
@pytest.mark.parametrize("T", [3, 12])  # both sides of matvec's GEMM switch
@pytest.mark.parametrize("blocks", [False, True])  # a large X by blocks of rows
def test_products_match_a_loop_over_tasks(layout, grouped, n, d, T, blocks, monkeypatch):
    if blocks:  # blocks of 7 rows, cutting through the tasks' segments
        monkeypatch.setattr("skmtl._tasks._CHUNK_ENTRIES", 7 * d)
    rng = np.random.RandomState(0)
    tasks = np.r_[np.arange(T), rng.randint(T, size=n - T)]
    if grouped:
        tasks = np.sort(tasks)
    X = rng.randn(n, d)
    X = sp.csr_matrix(X) if layout == "csr" else np.asarray(X, order=layout)
    theta, W = rng.randn(n), rng.randn(d, T)
    data = TaskData(X, theta, np.ones(n), tasks, T)
    assert (data.task_segments() is not False) == grouped
    dense = X.toarray() if sp.issparse(X) else X
    expected = np.stack([dense[tasks == t].T @ theta[tasks == t] for t in range(T)], axis=1)
    np.testing.assert_allclose(rmatvec(data, theta), expected, rtol=1e-12, atol=1e-12)
    z = np.einsum("ij,ji->i", dense, W[:, tasks])
    np.testing.assert_allclose(matvec(data, W), z, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("layout", ["C", "csr"])
@pytest.mark.parametrize("grouped", [True, False])
def test_sums_over_tasks_without_rows_are_zero(layout, grouped):
    """A task with no rows (as in a fold) has a zero column, in every layout and
    order of the rows (the task segments do not apply, the sparse sums do)."""
    rng = np.random.RandomState(1)
    tasks = np.r_[0, 2, 3, rng.choice([0, 2, 3], 3000 - 3)]
    tasks = np.sort(tasks) if grouped else tasks
    X = rng.randn(3000, 20)
    X = sp.csr_matrix(X) if layout == "csr" else X
    theta = rng.randn(3000)
    data = TaskData(X, theta, np.ones(3000), tasks, 4)
    dense = X.toarray() if sp.issparse(X) else X
    expected = np.stack([dense[tasks == t].T @ theta[tasks == t] for t in range(4)], axis=1)
    np.testing.assert_allclose(rmatvec(data, theta), expected, rtol=1e-12, atol=1e-12)
    assert not rmatvec(data, theta)[:, 1].any()


def test_from_task_list_matches_data_frames_by_column_name():
    """Per-task DataFrames are stacked by column name (a task whose columns come in
    another order was stacked by position: its coefficients came out permuted), into
    a DataFrame; differing column sets and a mix with arrays are refused."""
    pd = pytest.importorskip("pandas")
    from skmtl import GroupLassoRegressor, from_task_list

    rng = np.random.RandomState(0)
    names = ["age", "income", "score"]
    pairs = []
    for t in range(3):
        frame = pd.DataFrame(rng.randn(40, 3), columns=names)
        y_t = frame.to_numpy() @ [1.0, -2.0, 0.5] + 0.01 * rng.randn(40)
        pairs.append((frame[["score", "age", "income"]] if t == 1 else frame, y_t))
    X, y, tasks = from_task_list(pairs)
    assert list(X.columns) == names
    model = GroupLassoRegressor(alpha=1e-4).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, np.tile([1.0, -2.0, 0.5], (3, 1)), atol=0.01)
    assert list(model.feature_names_in_) == names
    with pytest.raises(ValueError, match=r"Task 1: the columns of X_t differ.*\['other'\]"):
        from_task_list([pairs[0], (pairs[1][0].rename(columns={"age": "other"}), pairs[1][1])])
    with pytest.raises(ValueError, match="Task 1: X_t is not a DataFrame"):
        from_task_list([pairs[0], (pairs[1][0].to_numpy(), pairs[1][1])])
