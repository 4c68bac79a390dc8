"""Task-aware splitting: every task in every training fold."""

from __future__ import annotations

import numpy as np
from sklearn.model_selection import BaseCrossValidator
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target

from .._base import check_number
from .._inputs import encode_task_labels, is_missing_label, split_task_column


def task_class_groups(tasks, y):
    """One group label per (task, class) pair: splitting by it with
    :class:`TaskStratifiedKFold` keeps every class of every task in every training
    fold (``TaskStratifiedKFold(by_class=True)`` does so itself).

    Parameters
    ----------
    tasks : array-like of shape (n_samples,)
        The task labels.
    y : array-like of shape (n_samples,)
        The class labels.

    Returns
    -------
    groups : ndarray of shape (n_samples,)
        Integer labels, one per (task, class) pair present.

    Examples
    --------
    >>> from skmtl.model_selection import task_class_groups
    >>> task_class_groups([0, 0, 1, 1], ["a", "b", "a", "a"]).tolist()
    [0, 1, 2, 2]
    """
    labels = np.asarray(y)
    if (labels.dtype.kind == "f" and np.isnan(labels).any()) or (
        labels.dtype == object and any(map(is_missing_label, labels.tolist()))
    ):
        raise ValueError(
            "task_class_groups needs a class label for every sample; y contains "
            "missing labels (None, NaN or pandas.NA)."
        )
    if np.shape(tasks)[0] != labels.shape[0]:
        raise ValueError(
            f"task_class_groups needs one task label per class label; got "
            f"{np.shape(tasks)[0]} task labels and {labels.shape[0]} class labels."
        )
    pairs = np.column_stack(
        [
            encode_task_labels(tasks, len(labels))[1],
            np.unique(y, return_inverse=True)[1].ravel(),
        ]
    )
    return np.unique(pairs, axis=0, return_inverse=True)[1].ravel()


class TaskStratifiedKFold(BaseCrossValidator):
    """K-fold cross-validation stratified by task: every task is split across the
    folds in proportion, so every task is in every training fold.

    Rule for small tasks: a task with fewer samples than ``n_splits`` has a test
    sample in only some folds, and a task with a single sample is never in a test
    fold (it could not be both trained and tested). The folds are then not a
    partition of the samples, which scikit-learn's ``cross_val_predict`` needs: use
    it with ``KFold`` (and ``unknown_task="mean"`` where a task may be held out
    whole) or on tasks of two samples or more.

    Parameters
    ----------
    n_splits : int, default=5
    shuffle : bool, default=False
        Shuffle the samples of each task before assigning folds.
    random_state : int, RandomState or None, default=None
        Used when ``shuffle`` is True.
    task_column : int or str, default=None
        Read the task labels from this column of ``X`` instead of ``groups``.
    by_class : bool, default=False
        Stratify by task and class (the groups of :func:`task_class_groups`, from
        the task labels and ``y``): every class of a task with two samples of it or
        more is in every training fold, and a class with one sample in a task
        trains only. For classifiers with free intercepts (``intercept_pooling=0``),
        whose tasks need every class in training. Such folds give each task's
        held-out samples the class mix of its training ones, which flatters free
        intercepts: to compare intercept poolings, split by task only.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.model_selection import TaskStratifiedKFold
    >>> tasks = np.array([0, 0, 0, 1, 1, 1, 2])
    >>> [test.tolist() for _, test in TaskStratifiedKFold(3).split(tasks, groups=tasks)]
    [[0, 3], [1, 4], [2, 5]]
    """

    __metadata_request__split = {"groups": True}

    def __init__(
        self, n_splits=5, *, shuffle=False, random_state=None, task_column=None, by_class=False
    ):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.task_column = task_column
        self.by_class = by_class

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def _iter_test_indices(self, X=None, y=None, groups=None):
        check_number(self.n_splits, "n_splits", low=2, integer=True)
        if self.task_column is not None:
            _, groups = split_task_column(X, self.task_column)
        if groups is None:
            raise ValueError(
                "TaskStratifiedKFold needs the task labels: pass groups=tasks (with "
                "metadata routing enabled: params={..., 'groups': tasks}) or set task_column."
            )
        for name in ("by_class", "shuffle"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be True or False; got {getattr(self, name)!r}.")
        if self.by_class:
            if y is None or np.ndim(y) != 1 or len(y) != len(groups):
                raise ValueError(
                    "TaskStratifiedKFold(by_class=True) needs y: one class label per "
                    "sample (a 1-D array as long as the task labels)."
                )
            groups = task_class_groups(groups, y)  # (its own checks of y first)
            if type_of_target(y) == "continuous":
                raise ValueError(
                    "TaskStratifiedKFold(by_class=True) needs class labels in y; y is "
                    "continuous (every distinct value would be a class): use "
                    "by_class=False for a regression target."
                )
        _, index = encode_task_labels(groups, len(groups))
        n = len(index)
        order = np.arange(n)
        if self.shuffle:
            order = check_random_state(self.random_state).permutation(n)
        order = order[np.argsort(index[order], kind="stable")]
        counts = np.bincount(index)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(n) - np.repeat(starts, counts)  # position within its task
        fold = np.empty(n, dtype=int)
        # round robin within each task, each task starting where the last one stopped
        fold[order] = (rank + np.repeat(starts, counts)) % self.n_splits
        fold[order[np.repeat(counts, counts) == 1]] = -1  # single-sample tasks: train only
        testable = int(np.sum(fold >= 0))
        if testable < self.n_splits:
            raise ValueError(
                f"Cannot have n_splits={self.n_splits} greater than the number of samples "
                f"that can be held out: {testable} (of {n}; a task of one sample is never "
                "held out)."
            )
        for k in range(self.n_splits):
            yield np.flatnonzero(fold == k)
