"""One BLAS thread for the solves of small problems (skmtl.solvers.threads)."""

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info, threadpool_limits

from skmtl.solvers.threads import SMALL, solve_threads


def _blas_threads():
    return {info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"}


def _datafit(X):
    return SimpleNamespace(data=SimpleNamespace(X=X))


def test_small_solves_take_one_blas_thread_and_others_keep_the_setting():
    with threadpool_limits(2, user_api="blas"):
        outer = _blas_threads()
        small = np.empty((SMALL // 4, 4))
        with solve_threads(_datafit(small)):
            assert _blas_threads() <= {1}
        assert _blas_threads() == outer  # restored
        large = SimpleNamespace(shape=(SMALL // 4 + 1, 4))  # (a shape is all it reads)
        with solve_threads(_datafit(large)):
            assert _blas_threads() == outer
        with solve_threads(_datafit(sp.random(10, 10, density=0.5, format="csr"))):
            assert _blas_threads() <= {1}  # a sparse design: by its stored entries
        with solve_threads(_datafit(sp.eye(SMALL + 1, format="csr"))):
            assert _blas_threads() == outer
        # dense stacked rows of more than 8 tasks: by the largest task's rows (BLAS
        # calls are per task); of 8 or fewer, or fewer rows than features: all of X
        rows = SMALL // 4 + 1
        for T, shape, limited in (
            (10, (rows, 4), True),
            (1, (rows, 4), False),  # one task of all the rows
            (5, (rows, 4), False),  # X @ W over all rows
            (10, (600, 1000), False),  # fewer rows than features (the kernel form)
        ):
            stacked = SimpleNamespace(
                X=SimpleNamespace(shape=shape), n_tasks=T, task_index=np.arange(shape[0]) % T
            )
            with solve_threads(SimpleNamespace(data=stacked)):
                assert (_blas_threads() <= {1}) if limited else (_blas_threads() == outer)
        grams = SimpleNamespace(grams=np.empty((3, 5, 5)))  # statistics only
        with solve_threads(grams):
            assert _blas_threads() <= {1}


def test_solves_in_threads_leave_blas_as_it_was():
    """BLAS's thread count is one setting per process: limits in overlapping threads
    would restore each other's (it stayed at one after GridSearchCV on a threading
    backend). Only the main thread limits it."""
    import threading

    from joblib import Parallel, delayed

    from skmtl import GroupLassoRegressor

    rng = np.random.RandomState(0)
    X, y, tasks = rng.randn(200, 5), rng.randn(200), np.repeat([0, 1], 100)
    seen = []

    def in_a_thread():
        with solve_threads(_datafit(np.empty((10, 10)))):
            seen.append(_blas_threads())

    with threadpool_limits(2, user_api="blas"):
        outer = _blas_threads()
        worker = threading.Thread(target=in_a_thread)
        worker.start()
        worker.join()
        assert seen == [outer]  # no limit off the main thread
        Parallel(n_jobs=2, backend="threading")(
            delayed(GroupLassoRegressor(alpha=a).fit)(X, y, tasks=tasks) for a in (0.1, 0.01) * 8
        )
        assert _blas_threads() == outer


def test_small_task_clusterings_run_k_means_on_one_openmp_thread(monkeypatch):
    """scikit-learn's k-means on a few dozen task vectors ran 30x slower on two OpenMP
    threads next to a busy process than on one: the clustered models' labels
    (``task_clusters_``) take one thread, the same labels, and the setting is
    restored."""
    from sklearn.cluster import KMeans

    from skmtl.estimators import task_relations

    def openmp_threads():
        return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp"}

    seen = []

    class Recording(KMeans):
        def fit_predict(self, X, y=None, sample_weight=None):
            seen.append(openmp_threads())
            return super().fit_predict(X)

    rng = np.random.default_rng(0)
    centres = rng.standard_normal((3, 4)) * 5
    vectors = np.repeat(centres, 19, axis=0) + rng.standard_normal((57, 4))
    similarity = vectors @ vectors.T
    expected = task_relations._cluster_labels(similarity, 3, 4)
    with threadpool_limits(2, user_api="openmp"):
        outer = openmp_threads()
        if not outer:
            pytest.skip("no OpenMP library loaded")
        monkeypatch.setattr(task_relations, "KMeans", Recording)
        labels = task_relations._cluster_labels(similarity, 3, 4)
        assert openmp_threads() == outer  # restored
    assert seen and seen[0] <= {1}
    np.testing.assert_array_equal(labels, expected)
    assert len(np.unique(labels)) == 3
