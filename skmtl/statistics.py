"""Per-task sufficient statistics of the squared loss: one pass, mergeable.

For least squares every model depends on the data of task ``t`` only through its
weighted count, means, and centred second moments. These are sums over rows, so
chunks of data (read one at a time, or spread over a Dask cluster) are summarised
separately and merged; means and counts are carried along so that centring is
exact (the pairwise update of Chan, Golub & LeVeque), with no second pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.utils.validation import check_array

from ._datafit import GramDatafit
from ._inputs import (
    check_magnitude,
    check_sample_weight,
    encode_task_labels,
    format_labels,
    label_kind,
    numeric_targets,
    task_ordered_rows,
)
from ._tasks import TaskData

__all__ = ["TaskStatistics"]


def check_label_kinds(first, second):
    """Task labels keep one type across chunks: numbers and strings do not mix (a
    union would turn every label into a string)."""
    kinds = label_kind(np.asarray(first)), label_kind(np.asarray(second))
    if len(first) and len(second) and kinds[0] != kinds[1]:
        raise ValueError(
            f"The task labels of this chunk ({np.asarray(second).dtype}: "
            f"{format_labels(second, 3)}) are not of the type of the labels seen before "
            f"({np.asarray(first).dtype}: {format_labels(first, 3)}); give task labels of "
            "one type in every chunk."
        )


@dataclass
class TaskStatistics:
    """Sufficient statistics of the squared loss for a set of tasks.

    Attributes
    ----------
    tasks : ndarray of shape (n_tasks,)
        Sorted task labels.
    counts : ndarray of shape (n_tasks,)
        Sum of the sample weights of each task.
    x_mean : ndarray of shape (n_tasks, n_features)
    y_mean : ndarray of shape (n_tasks,)
        Weighted means.
    xx : ndarray of shape (n_tasks, n_features, n_features)
    xy : ndarray of shape (n_tasks, n_features)
    yy : ndarray of shape (n_tasks,)
        Weighted sums of centred products, e.g. ``sum_i w_i (x_i - x_mean)(y_i - y_mean)``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.statistics import TaskStatistics
    >>> rng = np.random.RandomState(0)
    >>> X, y, tasks = rng.randn(100, 3), rng.randn(100), rng.randint(4, size=100)
    >>> whole = TaskStatistics.from_data(X, y, tasks)
    >>> parts = (TaskStatistics.from_data(X[:30], y[:30], tasks[:30])
    ...          + TaskStatistics.from_data(X[30:], y[30:], tasks[30:]))
    >>> bool(np.allclose(parts.xx, whole.xx))
    True
    """

    tasks: np.ndarray
    counts: np.ndarray
    x_mean: np.ndarray
    y_mean: np.ndarray
    xx: np.ndarray
    xy: np.ndarray
    yy: np.ndarray

    @classmethod
    def from_data(cls, X, y, tasks=None, sample_weight=None):
        """Statistics of one chunk of rows (dense or sparse ``X``; one pass). A chunk
        without rows (an empty partition, after a filter) has no tasks: merging it
        changes nothing."""
        options = dict(dtype=np.float64, ensure_min_samples=0)
        X = check_array(X, accept_sparse="csr", input_name="X", **options)
        y = numeric_targets(y, ensure_min_samples=0).ravel()
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"X has {X.shape[0]} samples but y has {y.shape[0]}.")
        check_magnitude(X, "X")
        check_magnitude(y, "y")
        if X.shape[0] == 0:
            d, empty = X.shape[1], np.zeros(0)
            rows, products = np.zeros((0, d)), np.zeros((0, d, d))
            return cls(empty, empty, rows, empty, products, rows.copy(), empty)
        labels, index = encode_task_labels(
            np.zeros(len(y), dtype=int) if tasks is None else tasks, len(y)
        )
        sw = check_sample_weight(sample_weight, len(y))
        check_magnitude(sw, "sample_weight")
        T = len(labels)
        counts = np.bincount(index, weights=sw, minlength=T)
        # the rows of positive weight, task by task: the centred Grams of the fits'
        # Gram statistics (by segments, or one BLAS product per task), times counts
        # (no copy of the chunk where its rows already come so)
        rows = task_ordered_rows(index, sw)
        rows = slice(None) if rows is None else rows
        shares = sw[rows] / counts[index[rows]]
        gram = GramDatafit.from_data(TaskData(X[rows], y[rows], shares, index[rows], T))
        gram.grams *= counts[:, None, None]  # (in place: no second T x d x d array)
        return cls(
            labels,
            counts,
            gram.x_mean.T.copy(),
            gram.y_mean,
            gram.grams,
            (gram.b * counts).T.copy(),
            counts * gram.q,
        )

    @classmethod
    def from_dask(cls, X, y, tasks=None, sample_weight=None):
        """Statistics of Dask collections, as a tree reduction over their row chunks:
        no chunk is ever gathered with another on one machine."""
        import dask

        def blocks(a):
            if a is None:
                return None
            if hasattr(a, "to_delayed") and hasattr(a, "divisions"):  # dask dataframe/series
                return list(a.to_delayed())
            if hasattr(a, "to_delayed"):  # dask array, chunked along rows only
                if a.ndim == 2 and len(a.chunks[1]) > 1:
                    raise ValueError(
                        f"A Dask X must have one chunk along its columns; it has "
                        f"{len(a.chunks[1])}: use X.rechunk({{1: -1}})."
                    )
                return list(np.ravel(a.to_delayed()))
            raise ValueError(
                "With a Dask X, give y (and tasks, sample_weight) as Dask "
                "collections with the same row chunks."
            )

        if getattr(y, "ndim", 1) != 1:
            raise ValueError(
                f"With Dask inputs y must be 1-D, one target per row, with the task of each "
                f"row as tasks= (the stacked form); got y with shape {y.shape}. A wide y "
                "(one column per task) is for in-memory arrays."
            )
        X_parts, y_parts = blocks(X), blocks(y)
        t_parts = blocks(tasks) or [None] * len(X_parts)
        w_parts = blocks(sample_weight) or [None] * len(X_parts)
        if not len(X_parts) == len(y_parts) == len(t_parts) == len(w_parts):
            raise ValueError("X, y, tasks and sample_weight must have the same row chunks.")
        parts = [
            dask.delayed(cls.from_data)(*chunk)
            for chunk in zip(X_parts, y_parts, t_parts, w_parts, strict=True)
        ]
        while len(parts) > 1:  # pairwise tree of merges
            parts = [
                dask.delayed(cls.merge)(*parts[i : i + 2]) if i + 1 < len(parts) else parts[i]
                for i in range(0, len(parts), 2)
            ]
        return parts[0].compute()

    def merge(self, other: TaskStatistics) -> TaskStatistics:
        """Statistics of the union of both chunks' rows (tasks may differ)."""
        if self.xx.shape[1:] != other.xx.shape[1:]:
            raise ValueError(
                f"Cannot merge statistics of {self.xx.shape[1]} and {other.xx.shape[1]} features."
            )
        if len(other.tasks) == 0 or len(self.tasks) == 0:  # (a chunk without rows)
            return self if len(other.tasks) == 0 else other
        check_label_kinds(self.tasks, other.tasks)
        tasks = np.union1d(self.tasks, other.tasks)
        a, b = self._aligned(tasks), other._aligned(tasks)
        n = a.counts + b.counts
        share = np.divide(b.counts, n, out=np.zeros_like(n), where=n > 0)
        cross = a.counts * share  # n_a n_b / n
        dx, dy = b.x_mean - a.x_mean, b.y_mean - a.y_mean
        return TaskStatistics(
            tasks,
            n,
            a.x_mean + share[:, None] * dx,
            a.y_mean + share * dy,
            a.xx + b.xx + cross[:, None, None] * dx[:, :, None] * dx[:, None, :],
            a.xy + b.xy + (cross * dy)[:, None] * dx,
            a.yy + b.yy + cross * dy**2,
        )

    __add__ = merge

    def __radd__(self, other):
        """``0 + statistics``: what ``sum(chunks)`` starts with."""
        if isinstance(other, int) and other == 0:
            return self
        return NotImplemented

    def restrict(self, keep):
        """The statistics of the tasks ``keep`` (a boolean mask) only."""
        return TaskStatistics(
            *(
                getattr(self, name)[keep]
                for name in ("tasks", "counts", "x_mean", "y_mean", "xx", "xy", "yy")
            )
        )

    def _aligned(self, tasks):
        """The same statistics on a superset of task labels (zeros elsewhere)."""
        if len(tasks) == len(self.tasks):
            return self
        rows = np.searchsorted(tasks, self.tasks)
        out = TaskStatistics(
            tasks,
            *(
                np.zeros((len(tasks),) + v.shape[1:])
                for v in (self.counts, self.x_mean, self.y_mean, self.xx, self.xy, self.yy)
            ),
        )
        for name in ("counts", "x_mean", "y_mean", "xx", "xy", "yy"):
            getattr(out, name)[rows] = getattr(self, name)
        return out

    def datafit(self, fit_intercept=True) -> GramDatafit:
        """The squared-loss data term (each task's weighted mean loss) of these rows."""
        n = self.counts
        if np.any(n <= 0):
            raise ValueError(
                f"Task(s) {format_labels(self.tasks[n <= 0])} have no samples with positive "
                "weight (their sample weights are all zero); every task needs at least one."
            )
        grams = self.xx / n[:, None, None]
        b, q = self.xy / n[:, None], self.yy / n
        if not fit_intercept:  # moments about zero
            grams = grams + self.x_mean[:, :, None] * self.x_mean[:, None, :]
            b = b + self.x_mean * self.y_mean[:, None]
            q = q + self.y_mean**2
            return GramDatafit(grams, b.T, q, np.zeros_like(b.T), np.zeros_like(q), False)
        return GramDatafit(grams, b.T, q, self.x_mean.T.copy(), self.y_mean.copy(), True)
