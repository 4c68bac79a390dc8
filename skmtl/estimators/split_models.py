"""More split models ``W = P + Q`` (MALSAR's): incoherent sparse plus low rank, and
robust multi-task feature learning. Next to the dirty and robust low-rank models of
:mod:`skmtl.estimators.low_rank`, with the robust low-rank model's solver (FISTA on
``[P; Q]``)."""

from __future__ import annotations

import numpy as np

from .._base import _MultiTaskModel, check_number, store_parameters
from .._mixins import ClassifierMixin, IncrementalRegressorMixin
from ..penalties import L1, L21, ColumnL21, SplitPenalty, TraceNorm
from ._docs import model_docstring
from .low_rank import middle_of_range, warn_unused_part


class _SparseLowRank(_MultiTaskModel):
    def __init__(
        self,
        alpha_sparse=None,
        alpha_lowrank=0.1,
        *,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _useful_ratio(self, n_tasks, n_features, n_classes=1):
        """``(1, sqrt(d T))``: outside it one part stays zero. A matrix's trace norm is
        at most the L1 norm of its entries, which is at most ``sqrt(d T)`` times its
        trace norm; below 1 the sparse part stays zero, above ``sqrt(d T)`` the
        low-rank part. With ``K`` classes, on the duals: the gradient's ``K`` class
        entries of each task and feature sum to zero, so that its largest entry is
        at most ``sqrt((K - 1) / K)`` times its spectral norm, which is at most
        ``sqrt(d 2 floor(K / 2) T)`` times its largest entry: ``(sqrt(K / (K - 1)),
        sqrt(d 2 floor(K / 2) T))``."""
        if n_classes == 1:
            return 1.0, np.sqrt(n_features * n_tasks)
        paired = 2 * (n_classes // 2) * n_tasks
        return np.sqrt(n_classes / (n_classes - 1)), np.sqrt(n_features * paired)

    def _make_penalty(self, n_tasks, n_features):
        return self._class_penalty(n_tasks, n_features, 1)

    def _class_penalty(self, n_tasks, n_features, n_classes):
        check_number(self.alpha_lowrank, "alpha_lowrank", low=0, low_open=True)
        useful = self._useful_ratio(n_tasks, n_features, n_classes)
        alpha_sparse = middle_of_range(self.alpha_lowrank, self.alpha_sparse, useful)
        check_number(alpha_sparse, "alpha_sparse", low=0, low_open=True)
        ratio = self.alpha_lowrank / alpha_sparse
        parts = ("low-rank", "sparse")
        warn_unused_part("alpha_lowrank", "alpha_sparse", ratio, useful, parts)
        return SplitPenalty(L1(alpha_sparse), TraceNorm(self.alpha_lowrank))

    def _fit_structure(self, W, penalty, parts=None):
        P, Q = parts
        self.sparse_coef_, self.lowrank_coef_ = self._as_coef(P), self._as_coef(Q)


class _RobustFeatureLearning(_MultiTaskModel):
    def __init__(
        self,
        alpha_shared=0.1,
        alpha_outlier=0.1,
        *,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _useful_ratio(self, n_tasks, n_features, n_classes=1):
        """``(1 / sqrt(d), sqrt(T))``: outside it one part stays zero. A matrix's sum
        of row norms is at most ``sqrt(d)`` times its sum of column norms, which is at
        most ``sqrt(T)`` times its sum of row norms; below ``1 / sqrt(d)`` the outlier
        part stays zero, above ``sqrt(T)`` the shared part. (With ``K`` classes, rows
        of ``K T`` task-class models and columns of a task's ``K`` class models: the
        same range.)"""
        return 1.0 / np.sqrt(n_features), np.sqrt(n_tasks)

    def _make_penalty(self, n_tasks, n_features=None):
        check_number(self.alpha_shared, "alpha_shared", low=0, low_open=True)
        check_number(self.alpha_outlier, "alpha_outlier", low=0, low_open=True)
        if n_tasks > 1 and n_features is not None:
            useful = self._useful_ratio(n_tasks, n_features)
            ratio = self.alpha_shared / self.alpha_outlier
            warn_unused_part("alpha_shared", "alpha_outlier", ratio, useful, ("shared", "outlier"))
        return SplitPenalty(L21(self.alpha_shared), ColumnL21(self.alpha_outlier))

    def _fit_structure(self, W, penalty, parts=None):
        P, Q = parts
        self.shared_coef_, self.outlier_coef_ = self._as_coef(P), self._as_coef(Q)
        # (T, d) or, with K classes, (T, K, d): a task is an outlier in any class
        outlier = self._task_blocks(Q) != 0
        self.outlier_tasks_ = self.tasks_[outlier.reshape(len(outlier), -1).any(axis=1)]


_SPARSE_LOWRANK = dict(
    summary="""Incoherent sparse and low-rank multi-task {task} (Chen, Liu & Ye, 2010;
    MALSAR's SparseTrace): ``W = P + Q`` with an entrywise sparse part ``P`` (a few
    task-specific effects) and a low-rank part ``Q`` (a shared subspace).

    Solved by FISTA on the stacked ``[P; Q]`` (soft-thresholding and singular value
    thresholding), stopped on the exact duality gap. (MALSAR sums the squared errors
    where skmtl averages them per task: see ``task_weights="samples"``.)

    Useful only for ``1 < alpha_lowrank / alpha_sparse < sqrt(d T)``: below that
    range the sparse part stays zero, above it the low-rank part (with a warning;
    with ``K > 2`` classes the range is ``(sqrt(K / (K - 1)), sqrt(2 floor(K / 2) d
    T))``); the default ``alpha_sparse`` sits in the middle of the range.""",
    penalty="alpha_sparse * ||P||_1 + alpha_lowrank * ||Q||_*,   W = P + Q",
    parameters="""    alpha_sparse : float or None, default=None
        Strength of the entrywise L1 norm on the sparse part, > 0. None:
        ``alpha_lowrank / (n_features * n_tasks) ** 0.25``, whose ratio is the
        geometric middle of the useful range ``(1, sqrt(n_features * n_tasks))`` (of
        the ``K``-class one with more than two classes).
    alpha_lowrank : float, default=0.1
        Strength of the trace norm on the low-rank part, > 0.
""",
    attributes="""    sparse_coef_ : ndarray of shape (n_tasks, n_features)
        The sparse part ``P^T``.
    lowrank_coef_ : ndarray of shape (n_tasks, n_features)
        The low-rank part ``Q^T``; ``coef_ = sparse_coef_ + lowrank_coef_``
        (both of ``coef_``'s shape).
""",
    example="""    >>> from skmtl import SparseLowRank{name}
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks, coef, _ = make_low_rank_tasks(n_tasks=8, rank=2, random_state=0{cls})
    >>> model = SparseLowRank{name}(alpha_lowrank=0.1)
    >>> model.fit(X, y, tasks=tasks).lowrank_coef_.shape
    (8, 10)
""",
)
_ROBUST_FEATURES = dict(
    summary="""Robust multi-task feature learning for {task} (Gong, Ye & Zhang, 2012;
    MALSAR's rMTFL): ``W = P + Q`` with a row-sparse part ``P`` (features shared by
    the regular tasks) and a column-sparse part ``Q`` (outlier tasks, which may use
    any feature).

    Solved by FISTA on the stacked ``[P; Q]`` (row and column block
    soft-thresholding), stopped on the exact duality gap. (MALSAR sums the squared
    errors where skmtl averages them per task: see ``task_weights="samples"``.)

    Useful only for ``1 / sqrt(d) < alpha_shared / alpha_outlier < sqrt(T)``:
    outside that range one part stays zero, and a warning says so. With ``K > 2``
    classes ``q_t`` holds task ``t``'s ``K`` class models.""",
    penalty="alpha_shared * sum_j ||P_j||_2 + alpha_outlier * sum_t ||q_t||_2,   W = P + Q",
    parameters="""    alpha_shared : float, default=0.1
        Strength of the L2,1 norm over the rows (features) of the shared part, > 0.
    alpha_outlier : float, default=0.1
        Strength of the L2,1 norm over the columns (tasks) of the outlier part, > 0.
""",
    attributes="""    shared_coef_ : ndarray of shape (n_tasks, n_features)
        The row-sparse part ``P^T``.
    outlier_coef_ : ndarray of shape (n_tasks, n_features)
        The column-sparse part ``Q^T``; ``coef_ = shared_coef_ + outlier_coef_``
        (both of ``coef_``'s shape).
    outlier_tasks_ : ndarray
        Labels of the tasks whose outlier part is non-zero, small deviations
        included: inside the useful range most tasks may have some. Rank the tasks
        by the norms of their outlier parts (``np.linalg.norm(outlier_coef_.reshape(
        len(tasks_), -1), axis=1)``, classes included) to find the clear outliers.
""",
    example="""    >>> from skmtl import RobustFeatureLearning{name}
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks, coef = make_joint_sparse(n_tasks=4, random_state=0{cls})
    >>> model = RobustFeatureLearning{name}(alpha_shared=0.1, alpha_outlier=0.2)
    >>> model.fit(X, y, tasks=tasks).shared_coef_.shape
    (4, 30)
""",
)


class SparseLowRankRegressor(IncrementalRegressorMixin, _SparseLowRank):
    __doc__ = model_docstring(_SPARSE_LOWRANK, "squared")


class SparseLowRankClassifier(ClassifierMixin, _SparseLowRank):
    __doc__ = model_docstring(_SPARSE_LOWRANK, "logistic")


class RobustFeatureLearningRegressor(IncrementalRegressorMixin, _RobustFeatureLearning):
    __doc__ = model_docstring(_ROBUST_FEATURES, "squared")


class RobustFeatureLearningClassifier(ClassifierMixin, _RobustFeatureLearning):
    __doc__ = model_docstring(_ROBUST_FEATURES, "logistic")
