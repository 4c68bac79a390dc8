"""Sufficient statistics, partial_fit and Dask inputs."""

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_tasks

import skmtl
from skmtl.statistics import TaskStatistics

REGRESSORS = [
    getattr(skmtl, name)
    for name in skmtl.__all__
    if name.endswith("Regressor") and hasattr(getattr(skmtl, name), "partial_fit")
]


def _shuffled(seed=70):
    X, y, tasks = make_tasks(seed=seed, sizes=(40, 50, 60), offset=5.0)
    order = np.random.RandomState(seed).permutation(len(y))
    return X[order] * 100.0, y[order] + 1e3, tasks[order]  # large means: centring matters


@pytest.mark.parametrize("sparse", [False, True])
def test_merged_chunks_equal_the_whole(sparse):
    X, y, tasks = _shuffled()
    sw = np.random.RandomState(0).uniform(0.5, 2.0, len(y))
    X = sp.csr_matrix(X) if sparse else X
    whole = TaskStatistics.from_data(X, y, tasks, sw)
    bounds = [0, 7, 8, 70, 121, len(y)]  # uneven; tasks split across chunks; tiny chunks
    merged = None
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        chunk = TaskStatistics.from_data(X[a:b], y[a:b], tasks[a:b], sw[a:b])
        merged = chunk if merged is None else merged + chunk
    np.testing.assert_array_equal(merged.tasks, whole.tasks)
    for name in ("counts", "x_mean", "y_mean", "xx", "xy", "yy"):
        np.testing.assert_allclose(
            getattr(merged, name), getattr(whole, name), rtol=1e-10, atol=1e-8
        )


def test_sparse_statistics_equal_the_dense_ones():
    """Sparse chunks are summed by sparse products and a rank-one mean correction
    (not densified task by task: 1e5 x 2000 rows at density 1e-3 took 13.9 s and
    1.2 GB): the same statistics as the dense rows, here with large means."""
    X, y, tasks = _shuffled()
    X[np.abs(X) < 80.0] = 0.0  # mostly zeros
    sw = np.random.RandomState(1).uniform(0.5, 2.0, len(y))
    sparse = TaskStatistics.from_data(sp.csr_matrix(X), y, tasks, sw)
    dense = TaskStatistics.from_data(X, y, tasks, sw)
    for name in ("counts", "x_mean", "y_mean", "xx", "xy", "yy"):
        expected = getattr(dense, name)
        np.testing.assert_allclose(getattr(sparse, name), expected, rtol=1e-9, atol=1e-7)


def test_sum_of_chunks_is_their_merge():
    """sum() of chunk statistics (via __add__) equals the statistics of all the rows:
    every field, including the counts, means and the targets' sum of squares."""
    X, y, tasks = _shuffled()
    parts = [
        TaskStatistics.from_data(X[rows], y[rows], tasks[rows])
        for rows in np.array_split(np.arange(len(y)), 3)
    ]
    total, whole = sum(parts), TaskStatistics.from_data(X, y, tasks)
    np.testing.assert_array_equal(total.tasks, whole.tasks)
    np.testing.assert_array_equal(total.counts, whole.counts)
    for name in ("x_mean", "y_mean", "xx", "xy", "yy"):
        np.testing.assert_allclose(getattr(total, name), getattr(whole, name), rtol=1e-12)


@pytest.mark.parametrize("Est", REGRESSORS, ids=lambda e: e.__name__)
def test_partial_fit_equals_fit(Est):
    """partial_fit over uneven chunks (tasks split across them) gives fit's model on
    all the rows: coefficients, intercepts, and the objective and gap threshold it
    reports (which also need the merged targets' sum of squares to be right)."""
    X, y, tasks = _shuffled(71)
    X, y = X / 100.0, y - 1e3
    # tol=0: both solves run until the iterates stall, so only the data can differ
    full = Est(tol=0.0, max_iter=100_000).fit(X, y, tasks=tasks)
    chunked = Est(tol=0.0, max_iter=100_000)
    for rows in np.array_split(np.arange(len(y)), [17, 60, 101]):
        chunked.partial_fit(X[rows], y[rows], tasks=tasks[rows])
    np.testing.assert_allclose(chunked.coef_, full.coef_, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(chunked.intercept_, full.intercept_, rtol=1e-8, atol=1e-8)
    # the reported objective and gap threshold are fit's too: both depend on the merged
    # targets' sum of squares (yy), which the coefficients do not see
    assert chunked.objective_ == pytest.approx(full.objective_, rel=1e-10)
    assert chunked.gap_threshold_ == pytest.approx(full.gap_threshold_, rel=1e-10)


def test_partial_fit_meets_new_tasks():
    X, y, tasks = make_tasks(seed=72, sizes=(40, 50, 60))
    model = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12)
    model.partial_fit(X[tasks == 0], y[tasks == 0], tasks=tasks[tasks == 0])
    assert list(model.tasks_) == [0]
    model.partial_fit(X[tasks > 0], y[tasks > 0], tasks=tasks[tasks > 0])
    full = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, full.coef_, rtol=1e-7, atol=1e-9)
    with pytest.raises(ValueError, match="X has 5 features"):
        model.partial_fit(X[:3, :5], y[:3], tasks=tasks[:3])


@pytest.mark.parametrize("params", [dict(main_task=2), dict(task_weights={0: 1.0, 2: 3.0})])
def test_partial_fit_takes_settings_that_name_later_tasks(params):
    """Chunks may bring new tasks: main_task and a task_weights dict may name one
    that a later chunk brings (fit on all the rows takes them)."""
    X, y, tasks = make_tasks(seed=72, sizes=(40, 50, 60))
    model = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12, **params)
    for chunk in (tasks == 0, tasks > 0):
        model.partial_fit(X[chunk], y[chunk], tasks=tasks[chunk])
    full = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12, **params).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(model.coef_, full.coef_, rtol=1e-7, atol=1e-9)
    assert model.score(X, y, tasks=tasks) == pytest.approx(full.score(X, y, tasks=tasks))
    with pytest.raises(ValueError, match="is not one of the tasks|names unknown task"):
        skmtl.GroupLassoRegressor(**params).fit(
            X[tasks == 0], y[tasks == 0], tasks=tasks[tasks == 0]
        )


def test_fit_starts_partial_fit_over():
    """fit forgets partial_fit's rows: chunks after it add up to fit on themselves
    only (not to the chunks before it, nor to fit's rows)."""
    X, y, tasks = make_tasks(seed=74, sizes=(40, 50, 60))
    first, later = tasks == 0, tasks > 0
    model = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12)
    model.partial_fit(X[first], y[first], tasks=tasks[first])
    model.fit(X[:, :4], y, tasks=tasks)  # other data, other features
    model.partial_fit(X[later], y[later], tasks=tasks[later])
    alone = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12)
    alone.fit(X[later], y[later], tasks=tasks[later])
    np.testing.assert_array_equal(model.tasks_, [1, 2])
    np.testing.assert_allclose(model.coef_, alone.coef_, rtol=1e-7, atol=1e-9)


def test_partial_fit_after_fit_starts_at_fit_s_coefficients_of_the_same_tasks():
    """partial_fit after fit solves from fit's coefficients of the tasks it knows: on
    fit's own rows it certifies at once, where a cold start iterates. Labels of
    another kind than fit's (none, ints then strings) know no task: a cold start,
    not a comparison error between the kinds."""
    X, y, tasks = make_tasks(seed=75, sizes=(40, 50, 60))
    params = dict(alpha=0.05, tol=1e-8, solver="cd")
    cold = skmtl.GroupLassoRegressor(**params).partial_fit(X, y, tasks=tasks)
    model = skmtl.GroupLassoRegressor(**params).fit(X, y, tasks=tasks)
    with pytest.warns(UserWarning, match="partial_fit after fit starts over"):
        model.partial_fit(X, y, tasks=tasks)
    assert model.n_iter_ < cold.n_iter_
    np.testing.assert_allclose(model.coef_, cold.coef_, rtol=1e-5, atol=1e-7)
    names = np.array(["a", "b", "c"], dtype=object)[tasks]
    for fitted in (
        skmtl.GroupLassoRegressor(**params).fit(X, y),
        skmtl.GroupLassoRegressor(**params).fit(X, y, tasks=tasks),
    ):
        with pytest.warns(UserWarning, match="partial_fit after fit starts over"):
            fitted.partial_fit(X, y, tasks=names)
        assert fitted.n_iter_ == cold.n_iter_
        np.testing.assert_array_equal(fitted.tasks_, ["a", "b", "c"])


def test_dask_fit_on_a_local_cluster_equals_the_in_memory_fit():
    distributed = pytest.importorskip("dask.distributed")
    da = pytest.importorskip("dask.array")
    X, y, tasks = _shuffled(73)
    X, y = X / 100.0, y - 1e3
    chunks = (37,)
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):
        Xd = da.from_array(X, chunks=chunks + (X.shape[1],))
        yd, td = da.from_array(y, chunks=chunks), da.from_array(tasks, chunks=chunks)
        spread = skmtl.MeanRegularizedRegressor(tol=1e-12).fit(Xd, yd, tasks=td)
        lasso = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12).fit(Xd, yd, tasks=td)
    np.testing.assert_allclose(
        spread.coef_,
        skmtl.MeanRegularizedRegressor(tol=1e-12).fit(X, y, tasks=tasks).coef_,
        rtol=1e-9,
    )
    np.testing.assert_allclose(
        lasso.coef_,
        skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12).fit(X, y, tasks=tasks).coef_,
        rtol=1e-7,
        atol=1e-10,
    )
    assert spread.predict(X[:4], tasks=tasks[:4]).shape == (4,)


def test_statistics_need_the_squared_loss():
    da = pytest.importorskip("dask.array")
    X, y, tasks = make_tasks(loss="logistic", seed=74)
    with pytest.raises(ValueError, match="needs the squared loss"):
        skmtl.GroupLassoClassifier().fit(
            da.from_array(X, chunks=(20, 6)),
            da.from_array(y, chunks=20),
            tasks=da.from_array(tasks, chunks=20),
        )


def test_dask_wide_y_is_refused_with_its_reason():
    da = pytest.importorskip("dask.array")
    X, y, _ = _shuffled(77)
    Y = np.column_stack([y, y])
    with pytest.raises(ValueError, match=r"y must be 1-D.*got y with shape \(150, 2\)"):
        skmtl.GroupLassoRegressor().fit(
            da.from_array(X, chunks=(50, X.shape[1])), da.from_array(Y, chunks=(50, 2))
        )


def test_dask_inputs_checked_before_any_pass_and_by_their_chunks():
    """Unsupported settings raise before the data are read; X split along its columns
    gets the fix; an empty partition (after a filter) merges as nothing."""
    dask = pytest.importorskip("dask")
    da = pytest.importorskip("dask.array")
    X, y, tasks = _shuffled(78)
    chunks = len(y) // 3
    Xd = da.from_array(X, chunks=(chunks, X.shape[1]))
    yd, td = da.from_array(y, chunks=chunks), da.from_array(tasks, chunks=chunks)
    passes = []

    class Counting(dask.callbacks.Callback):
        def _start(self, dsk):
            passes.append(1)

    with Counting(), pytest.raises(ValueError, match="support neither"):
        skmtl.GroupLassoRegressor(solver="cvxpy").fit(Xd, yd, tasks=td)
    assert passes == []  # refused before any graph ran
    by_columns = da.from_array(X, chunks=(chunks, 2))
    with pytest.raises(ValueError, match=r"one chunk along its columns.*rechunk"):
        skmtl.GroupLassoRegressor().fit(by_columns, yd, tasks=td)
    keep = da.from_array(np.arange(len(y)) >= chunks, chunks=chunks)  # first one empty
    filtered = [a[keep] for a in (Xd, yd, td)]
    filtered[0].compute_chunk_sizes()
    for a in filtered[1:]:
        a.compute_chunk_sizes()
    model = skmtl.GroupLassoRegressor(tol=1e-12).fit(*filtered[:2], tasks=filtered[2])
    rows = slice(chunks, None)
    full = skmtl.GroupLassoRegressor(tol=1e-12).fit(X[rows], y[rows], tasks=tasks[rows])
    np.testing.assert_allclose(model.coef_, full.coef_, rtol=1e-9, atol=1e-12)


def test_dask_dataframe_column_names_are_feature_names():
    dd = pytest.importorskip("dask.dataframe")
    pd = pytest.importorskip("pandas")
    X, y, tasks = _shuffled(79)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    try:
        Xd = dd.from_pandas(frame, npartitions=3)
    except ImportError:  # (dask.dataframe needs pyarrow)
        pytest.skip("dask.dataframe needs pyarrow")
    yd = dd.from_pandas(pd.Series(y), npartitions=3)
    td = dd.from_pandas(pd.Series(tasks), npartitions=3)
    model = skmtl.GroupLassoRegressor().fit(Xd, yd, tasks=td)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(frame[frame.columns[::-1]], tasks=tasks)


@pytest.mark.parametrize("pooling", [0.0, 3.0, np.inf])
def test_pooled_fits_stop_on_the_unit_of_partial_fit_whatever_the_offset(pooling):
    """The squared loss's unit is the sum of squares of the targets centred per
    task, on rows and on statistics alike: with pooled intercepts the rows took the
    uncentred one (a threshold 2x looser on this data, and growing with the
    targets' offset), so fit and partial_fit stopped on different rules."""
    X, y, tasks = make_tasks(seed=80, sizes=(10, 30, 60))
    threshold = None
    for offset in (0.0, 1e4):
        model = skmtl.GroupLassoRegressor(intercept_pooling=pooling, precompute=False)
        model.fit(X, y + offset, tasks=tasks)
        chunked = skmtl.GroupLassoRegressor(intercept_pooling=pooling)
        chunked.partial_fit(X, y + offset, tasks=tasks)
        assert model.gap_threshold_ == pytest.approx(chunked.gap_threshold_, rel=1e-10)
        threshold = threshold or model.gap_threshold_
        assert model.gap_threshold_ == pytest.approx(threshold, rel=1e-6)


def test_a_task_of_zero_weight_so_far_waits_for_a_later_chunk():
    """A chunk in which a task's rows all have weight zero is taken (fit on all the
    rows takes them): the task joins the model with the chunk that weighs it."""
    X, y, tasks = make_tasks(seed=81, sizes=(30, 30, 30))
    sw = np.ones(len(y))
    first = np.arange(len(y)) < 45  # (task 1: rows 30-59, half in each chunk)
    sw[first & (tasks == 1)] = 0.0  # task 1 weighs nothing in the first chunk
    model = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12)
    model.partial_fit(X[first], y[first], tasks=tasks[first], sample_weight=sw[first])
    np.testing.assert_array_equal(model.tasks_, [0])  # (task 1 waits)
    model.partial_fit(X[~first], y[~first], tasks=tasks[~first], sample_weight=sw[~first])
    full = skmtl.GroupLassoRegressor(alpha=0.05, tol=1e-12).fit(X, y, tasks=tasks, sample_weight=sw)
    np.testing.assert_array_equal(model.tasks_, full.tasks_)
    np.testing.assert_allclose(model.coef_, full.coef_, rtol=1e-7, atol=1e-9)


def test_chunk_statistics_hold_one_copy_of_the_task_grams():
    """The per-task Grams are the statistics' largest part (T x d x d): scaled by the
    counts in place, and a chunk whose rows come task by task taken as is, the
    statistics peak near their own size (the first version held two copies of the
    Grams: 2.0 times)."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n, d, T = 20_000, 60, 500
    X, y = rng.normal(size=(n, d)), rng.normal(size=n)
    tasks = np.sort(rng.integers(0, T, n))
    if tracemalloc.is_tracing():
        pytest.skip("tracemalloc is already tracing: its peak holds more than this call")
    tracemalloc.start()
    try:
        stats = TaskStatistics.from_data(X, y, tasks)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.3 * stats.xx.nbytes
