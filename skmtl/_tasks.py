"""The one internal form of multi-task data, and the adapters that build it.

Users say which sample belongs to which task in one of three ways (wide ``Y``,
per-sample ``tasks=`` labels, or a ``task_column`` of ``X``); each is converted
here, once, into a :class:`TaskData`. Nothing downstream knows which form was
used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["TaskData", "from_task_list"]


@dataclass
class TaskData:
    """Validated multi-task data in one of two layouts.

    Shared layout (``task_index is None``): every task sees the rows of ``X``;
    ``y`` and ``weights`` have shape ``(n, T)``. Stacked layout: row ``i`` belongs
    to task ``task_index[i]``; ``y`` and ``weights`` have shape ``(n,)``.

    ``weights`` sum to one over the rows of each task (zero where a label is
    missing), so the data term of task ``t`` is the weighted mean
    ``sum_i weights_i * loss(y_i, z_i)``, multiplied by
    ``task_weights[t]`` when those are given.
    """

    X: np.ndarray | sp.csr_matrix
    y: np.ndarray
    weights: np.ndarray
    task_index: np.ndarray | None
    n_tasks: int
    #: factor of each task's data term (None: equal factors)
    task_weights: np.ndarray | None = None
    #: each task's sum of sample weights before normalisation (its number of samples
    #: without weights); the unit of intercept pooling
    sample_totals: np.ndarray | None = None
    #: cache of :meth:`flat_weights`
    _flat_weights: bool | None = field(default=None, repr=False, compare=False)
    #: cache of :meth:`task_segments`
    _segment_cache: tuple | bool | None = field(default=None, repr=False, compare=False)
    #: ``K > 1``: the tasks are the class-expanded virtual tasks of a multinomial
    #: model, class by class (virtual task ``k * T + t`` is class ``k`` of task ``t``,
    #: ``T = n_tasks / K``; see :mod:`skmtl.losses.multinomial`)
    n_classes: int = 1
    #: cache of :meth:`rows_by_task`
    _rows_cache: tuple | None = field(default=None, repr=False, compare=False)

    def flat_weights(self) -> bool:
        """Whether ``weights`` weigh the rows alike for every task (shared design,
        nothing missing); computed once: weights are never changed in place."""
        if self._flat_weights is None:
            self._flat_weights = self.shared and bool(
                np.ptp(self.weights, axis=1).max(initial=0.0) == 0.0
            )
        return self._flat_weights

    def same_rows(self) -> bool:
        """Whether the data term weighs the rows alike for every task: flat
        ``weights`` and equal task weights."""
        tw = self.task_weights
        return self.flat_weights() and (tw is None or np.ptp(tw) == 0.0)

    @property
    def loss_weights(self) -> np.ndarray:
        """The weights of the data term: ``weights`` times the task's weight."""
        if self.task_weights is None:
            return self.weights
        return self.weights * self.expand(self.task_weights)

    @property
    def shared(self) -> bool:
        return self.task_index is None

    @property
    def n_features(self) -> int:
        return self.X.shape[1]

    def restrict(self, features: np.ndarray) -> TaskData:
        """The same data with only the given feature columns."""
        return TaskData(
            self.X[:, features],
            self.y,
            self.weights,
            self.task_index,
            self.n_tasks,
            self.task_weights,
            self.sample_totals,
            self._flat_weights,
            self._segment_cache,
            self.n_classes,
            self._rows_cache,
        )

    def task_segments(self):
        """``(starts, counts)`` of the tasks' rows when the stacked rows come task by
        task (0, 1, ..., T - 1, each at least once), else False; computed once. Such
        rows (as :func:`from_task_list` makes them) are summed and expanded by
        segments, several times faster than by a scatter or a gather."""
        if self._segment_cache is None:
            index, T = self.task_index, self.n_tasks
            grouped = len(index) > 0 and index[0] == 0 and index[-1] == T - 1
            grouped = grouped and bool(np.all(np.diff(index) >= 0))
            counts = np.bincount(index, minlength=T) if grouped else None
            grouped = grouped and counts.min() > 0
            self._segment_cache = (np.cumsum(counts) - counts, counts) if grouped else False
        return self._segment_cache

    def rows_by_task(self):
        """``(order, indices, indptr)``: the structure of the ``(T, n)`` CSR matrix
        whose row ``t`` picks task ``t``'s rows (``indices``, task by task, and
        ``indptr``; int32 where they fit, which scipy validates fastest), and the
        permutation ``order`` that puts values of the rows in that order (None where
        the rows come task by task already); computed once."""
        if self._rows_cache is None:
            index, T = self.task_index, self.n_tasks
            dtype = np.int32 if len(index) < np.iinfo(np.int32).max else np.int64
            counts = np.bincount(index, minlength=T)
            indptr = np.concatenate([[0], np.cumsum(counts)]).astype(dtype)
            if self.task_segments() is not False:
                order, indices = None, np.arange(len(index), dtype=dtype)
            else:
                order = indices = np.argsort(index, kind="stable").astype(dtype)
            self._rows_cache = (order, indices, indptr)
        return self._rows_cache

    def task_sum(self, values: np.ndarray) -> np.ndarray:
        """Sum an array shaped like ``y`` over the rows of each task: ``(T,)``."""
        if self.shared:
            return values.sum(axis=0)
        segments = self.task_segments()
        if segments is not False:
            return np.add.reduceat(values, segments[0])
        return np.bincount(self.task_index, weights=values, minlength=self.n_tasks)

    def expand(self, per_task: np.ndarray) -> np.ndarray:
        """Broadcast a ``(T,)`` vector to the shape of ``y``."""
        if self.shared:
            return np.broadcast_to(per_task, self.y.shape)
        segments = self.task_segments()
        if segments is not False:
            return np.repeat(per_task, segments[1])
        return per_task[self.task_index]

    def task_means(self) -> tuple[np.ndarray, np.ndarray]:
        """Weighted per-task means of the features ``(d, T)`` and of ``y`` ``(T,)``."""
        y_mean = self.task_sum(self.weights * self.y)
        if self.flat_weights():  # every task weighs the rows alike: one product, not T
            x_mean = np.asarray(self.X.T @ self.weights[:, 0]).ravel()
            return np.repeat(x_mean[:, None], self.n_tasks, axis=1), y_mean
        return rmatvec(self, self.weights), y_mean


#: most entries of a dense design whose products with the tasks' columns of ``W``
#: (a copy of each row's column, or ``X @ W`` for few tasks) are made in one piece;
#: beyond, by blocks of rows of that many entries (1M rows x 50 features, 50 tasks:
#: temporaries of 400 MB at each product)
_CHUNK_ENTRIES = 2**22


def matvec(data: TaskData, W: np.ndarray) -> np.ndarray:
    """Predictions ``x_i^T w_t`` for every (row, task) pair of the data.

    ``W`` has shape ``(d, T)``; the result has the shape of ``data.y``.
    """
    X = data.X
    if not data.shared and not sp.issparse(X) and W.shape[1] > 8:
        segments = data.task_segments()
        if segments is not False:  # W's columns repeated by segments, not gathered
            # (19345 rows, 27 features, 139 tasks: 0.27-0.43 ms against 1.2 ms), in
            # X's layout (C-ordered: 0.39 against 0.73 ms; 45000 rows, 417 tasks:
            # 1.1 against 3.0 ms); a large X by blocks of rows
            if X.size <= _CHUNK_ENTRIES:
                return _segment_products(X, W, segments[1])
            starts, ends = segments[0], segments[0] + segments[1]
            step = max(_CHUNK_ENTRIES // X.shape[1], 1)
            parts = []
            for a in range(0, X.shape[0], step):
                b = min(a + step, X.shape[0])
                counts = np.clip(ends, a, b) - np.clip(starts, a, b)  # (the block's rows)
                parts.append(_segment_products(X[a:b], W, counts))
            return np.concatenate(parts)
    return rowwise_dot(X, W, data.task_index)


def _segment_products(X, W, counts):
    """``x_i^T w_t`` for rows that come task by task, ``counts[t]`` rows of task ``t``."""
    if X.flags.c_contiguous:
        return np.einsum("ij,ij->i", X, np.repeat(W.T, counts, axis=0))
    return np.einsum("ij,ji->i", X, np.repeat(W, counts, axis=1))


#: most entries of a dense C-ordered ``X`` whose products with ``theta`` are summed
#: by task segments (``np.add.reduceat``) rather than by the sparse matrix of the
#: tasks' rows: 1.2-5x faster below (building a scipy.sparse matrix costs 10-20
#: us), 1.6-11x slower above (2198 rows x 27 features: 93 against 53 us; 20000 x
#: 100: 8.3 against 0.73 ms). A Fortran-ordered ``X`` (as pandas gives) is summed
#: by segments up to 2**22 entries (a temporary of 32 MB): its columns are
#: contiguous (15219 rows, 27 features, 139 tasks: 0.28 ms, against 0.51 ms)
_SEGMENT_MAX_ENTRIES = 2**15


def rmatvec(data: TaskData, theta: np.ndarray) -> np.ndarray:
    """``[X_t^T theta_t]_t`` of shape ``(d, T)`` for ``theta`` shaped like ``y``."""
    X = data.X
    if data.shared:
        out = X.T @ theta
    elif (
        not sp.issparse(X)
        and (X.size <= _SEGMENT_MAX_ENTRIES or (X.flags.f_contiguous and X.size <= 2**22))
        and data.task_segments() is not False
    ):
        products = X * theta[:, None]  # the layout of X
        return np.add.reduceat(products, data.task_segments()[0], axis=0).T
    else:  # the (T, n) matrix of the tasks' rows, times X: a sparse-dense product
        # (X^T times its transpose, an (n, T) scatter, went through scipy's
        # transposes: 2198 rows, 27 features, 20 tasks: 66 us against 32 us; 139
        # tasks, 15219 rows: 191 against 121 us, best of 5; a few percent of a
        # proximal Newton fit there, below the timing noise of whole fits)
        order, indices, indptr = data.rows_by_task()
        values = theta if order is None else theta[order]
        by_task = sp.csr_matrix((values, indices, indptr), shape=(data.n_tasks, X.shape[0]))
        out = (by_task @ X).T
    return out.toarray() if sp.issparse(out) else np.asarray(out)


def rowwise_dot(X, W: np.ndarray, task_index: np.ndarray | None) -> np.ndarray:
    """``X @ W`` when ``task_index`` is None, else ``z_i = x_i^T W[:, task_index[i]]``."""
    if task_index is None:
        return np.asarray(X @ W)
    if sp.issparse(X):
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        vals = X.data * W[X.indices, task_index[rows]]
        return np.bincount(rows, weights=vals, minlength=X.shape[0])
    step = max(_CHUNK_ENTRIES // max(X.shape[1], W.shape[1], 1), 1)
    if X.shape[0] > step:  # by blocks of rows: temporaries of a block's size, not X's
        return np.concatenate(
            [
                rowwise_dot(X[a : a + step], W, task_index[a : a + step])
                for a in range(0, X.shape[0], step)
            ]
        )
    if W.shape[1] <= 8:  # a GEMM with a few wasted columns beats a gather
        return np.take_along_axis(X @ W, task_index[:, None], axis=1)[:, 0]
    return np.einsum("ij,ji->i", X, W[:, task_index])


def from_task_list(datasets):
    """Stack a list of per-task data sets into ``(X, y, tasks)``.

    Parameters
    ----------
    datasets : sequence of (X_t, y_t) pairs
        One pair per task, as in MALSAR and RMTL. ``X_t`` may be dense or
        scipy.sparse; all must have the same number of columns. Or pandas
        DataFrames, all with the same column names: they are matched by name
        (a frame whose columns come in another order is reordered).

    Returns
    -------
    X : ndarray, sparse matrix or DataFrame of shape (sum n_t, d)
        A DataFrame (the first frame's column order) for DataFrames.
    y : ndarray of shape (sum n_t,)
    tasks : ndarray of shape (sum n_t,)
        The position of each pair in ``datasets``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl import from_task_list
    >>> X, y, tasks = from_task_list([(np.ones((2, 3)), [1.0, 2.0]),
    ...                               (np.zeros((1, 3)), [0.5])])
    >>> X.shape, tasks.tolist()
    ((3, 3), [0, 0, 1])
    """
    datasets = list(datasets)
    if not datasets:
        raise ValueError("from_task_list needs at least one (X_t, y_t) pair; got none.")
    if any(isinstance(pair, (tuple, list)) and hasattr(pair[0], "columns") for pair in datasets):
        return _from_frame_list(datasets)
    Xs, ys = [], []
    for t, pair in enumerate(datasets):
        try:
            X_t, y_t = pair
        except (TypeError, ValueError):
            raise ValueError(
                f"from_task_list expects (X_t, y_t) pairs; item {t} is not a pair."
            ) from None
        y_t = np.asarray(y_t).ravel()
        if not sp.issparse(X_t):
            X_t = np.asarray(X_t)
            if X_t.ndim == 1 and len(y_t) > 1:  # (1-D: one sample's features)
                raise ValueError(
                    f"Task {t}: X_t is 1-D (shape {X_t.shape}) but y_t has {len(y_t)} "
                    "values: give X_t as a 2-D array (n_samples, n_features), e.g. "
                    "X_t.reshape(-1, 1) for one feature."
                )
            X_t = np.atleast_2d(X_t)
        _check_task_rows(t, X_t.shape[0], y_t.shape[0])
        if Xs and X_t.shape[1] != Xs[0].shape[1]:
            raise ValueError(
                f"Task {t}: X_t has {X_t.shape[1]} columns but task 0 has "
                f"{Xs[0].shape[1]}; every task needs the same features."
            )
        Xs.append(X_t)
        ys.append(y_t)
    if any(sp.issparse(X_t) for X_t in Xs):
        X = sp.vstack([sp.csr_matrix(X_t) for X_t in Xs], format="csr")
    else:
        X = np.vstack(Xs)
    tasks = np.repeat(np.arange(len(Xs)), [len(y_t) for y_t in ys])
    return X, np.concatenate(ys), tasks


def _check_task_rows(t, n_rows, n_values):
    """Task ``t``'s ``X_t`` and ``y_t`` have as many rows, and some: a task without
    rows would vanish from the labels, shifting the later tasks' positions."""
    if n_rows == 0 or n_values == 0:
        raise ValueError(
            f"Task {t}: X_t has no rows; every task needs at least one sample. Drop the "
            "pair (the later tasks' labels then move down by one)."
        )
    if n_rows != n_values:
        raise ValueError(
            f"Task {t}: X_t has {n_rows} rows but y_t has {n_values} values; they must match."
        )


def _from_frame_list(datasets):
    """:func:`from_task_list` for DataFrames: matched by column name, stacked into
    one DataFrame in the first frame's column order."""
    import pandas as pd

    Xs, ys = [], []
    for t, (X_t, y_t) in enumerate(datasets):
        if not hasattr(X_t, "columns"):
            raise ValueError(
                f"Task {t}: X_t is not a DataFrame while other tasks' are; give every "
                "X_t as a DataFrame (matched by column name) or none."
            )
        if Xs and set(X_t.columns) != set(Xs[0].columns):
            extra = sorted(map(str, set(X_t.columns) - set(Xs[0].columns)))
            lacking = sorted(map(str, set(Xs[0].columns) - set(X_t.columns)))
            raise ValueError(
                f"Task {t}: the columns of X_t differ from task 0's (not in task 0: "
                f"{extra}; missing: {lacking}); every task needs the same features."
            )
        y_t = np.asarray(y_t).ravel()
        _check_task_rows(t, len(X_t), len(y_t))
        Xs.append(X_t if not Xs else X_t[list(Xs[0].columns)])
        ys.append(y_t)
    X = pd.concat(Xs, ignore_index=True)
    tasks = np.repeat(np.arange(len(Xs)), [len(y_t) for y_t in ys])
    return X, np.concatenate(ys), tasks
