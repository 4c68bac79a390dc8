"""Shared subspaces and shared-plus-specific splits: trace norm, convex ASO, dirty
models, robust MTL."""

from __future__ import annotations

import numbers
import warnings

import numpy as np

from .._base import _MultiTaskModel, check_number, store_parameters
from .._inputs import user_stacklevel
from .._mixins import ClassifierMixin, IncrementalRegressorMixin
from ..penalties import (
    L1,
    L21,
    ColumnL21,
    L1Linf,
    SplitPenalty,
    SubspacePenalty,
    TaskCovariancePenalty,
    TraceNorm,
)
from ._docs import model_docstring


def _numerical_rank(W):
    sigma = np.linalg.svd(W, compute_uv=False)
    if not len(sigma) or sigma[0] == 0:
        return 0
    return int(np.sum(sigma > max(W.shape) * np.finfo(float).eps * sigma[0]))


class _SquaredTraceNorm(TaskCovariancePenalty):
    """``alpha / 2 ||W||_*^2``, a feature covariance (Argyriou et al.): with ``K``
    classes, on the task-class columns alike, as the trace norm."""

    task_axis = False


class _TraceNorm(_MultiTaskModel):
    def __init__(
        self,
        alpha=0.1,
        *,
        squared=False,
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

    def _make_penalty(self, n_tasks, n_features=None):
        check_number(self.alpha, "alpha", low=0, low_open=bool(self.squared))
        if self.squared:  # alpha ||W||_*^2 is MTRL's penalty without its ridge
            return _SquaredTraceNorm(2.0 * self.alpha, 0.0)
        return TraceNorm(self.alpha)

    def _fit_structure(self, W, penalty, parts=None):
        self.rank_ = _numerical_rank(W)
        U = np.linalg.svd(W, full_matrices=False)[0]
        self.components_ = U[:, : self.rank_].T


class _SharedSubspace(_MultiTaskModel):
    def __init__(
        self,
        alpha=0.1,
        beta=0.01,
        n_components=None,
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

    def _make_penalty(self, n_tasks, n_features=None):
        check_number(self.alpha, "alpha", low=0, low_open=True)
        check_number(self.beta, "beta", low=0, low_open=True)
        h, d = self.n_components, n_features
        if h is None:  # two, or every feature when there are fewer
            h = 2 if d is None else min(2, d)
        if isinstance(h, bool) or not isinstance(h, numbers.Integral) or h < 1:
            raise ValueError(f"n_components must be a positive integer; got {h!r}.")
        if d is not None and h > d:
            raise ValueError(
                f"n_components={h} is larger than the number of features (n_features = {d})."
            )
        return SubspacePenalty(self.alpha, self.beta, h)

    def _fit_structure(self, W, penalty, parts=None):
        M = penalty.task_matrix(W)
        _, vectors = np.linalg.eigh(M)
        self.components_ = vectors[:, ::-1][:, : penalty.n_clusters].T


def middle_of_range(first, second, useful):
    """The second strength of a split model: ``second`` if given, else (None) the
    ``first / ratio`` whose ratio is the geometric middle of the ``useful`` range
    ``(low, high)``, where both parts can be nonzero."""
    if second is not None:
        return second
    low, high = useful
    return first / np.sqrt(low * high)


def warn_unused_part(first, second, ratio, useful, parts):
    """Warn when ``first / second = ratio`` lies outside the closed ``useful`` range
    ``(low, high)`` of a split model: below it the second part of ``parts`` is never
    needed, above it the first."""
    low, high = useful
    if low <= ratio <= high:
        return
    if low >= high:  # (one task)
        warnings.warn(
            f"{first} / {second} = {ratio:.3g}: with one task only the ratio {low:.3g} "
            f"uses both parts (at any other, one of the {parts[0]} and {parts[1]} parts "
            "stays zero): a split model adds nothing to a single-part one here.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
        return
    part, change = (parts[1], "raise") if ratio < low else (parts[0], "lower")
    warnings.warn(
        f"{first} / {second} = {ratio:.3g} is outside [{low:.3g}, {high:.3g}]: the {part} "
        f"part is never needed and stays zero (the useful range is {low:.3g} < ratio < "
        f"{high:.3g}); {change} {first}.",
        UserWarning,
        stacklevel=user_stacklevel(),
    )


class _Dirty(_MultiTaskModel):
    def __init__(
        self,
        alpha_shared=0.1,
        alpha_specific=None,
        *,
        group_norm="linf",
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

    def _useful_ratio(self, n_tasks, n_features=None, n_classes=1):
        """``(1, bound)``: outside it one part stays zero. A row costs ``alpha_shared
        ||p||_inf`` in the shared part and ``alpha_specific ||p||_1`` in the other,
        with ``||p||_inf <= ||p||_1 <= T ||p||_inf`` (``sqrt(T)`` and the 2-norm for
        ``group_norm="l2"``). With ``K`` classes, the same on the duals: a row of the
        gradient holds ``K T`` entries whose ``K`` of each task sum to zero, so that
        ``2 ||g||_inf <= ||g||_1 <= 2 floor(K / 2) T ||g||_inf`` and ``sqrt(K / (K
        - 1)) ||g||_inf <= ||g||_2 <= sqrt(2 floor(K / 2) T) ||g||_inf``."""
        if n_classes == 1:
            return 1.0, n_tasks if self.group_norm == "linf" else np.sqrt(n_tasks)
        paired = 2 * (n_classes // 2) * n_tasks
        if self.group_norm == "linf":
            return 2.0, float(paired)
        return np.sqrt(n_classes / (n_classes - 1)), np.sqrt(paired)

    def _make_penalty(self, n_tasks, n_features=None):
        return self._class_penalty(n_tasks, n_features, 1)

    def _class_penalty(self, n_tasks, n_features, n_classes):
        check_number(self.alpha_shared, "alpha_shared", low=0, low_open=True)
        if self.alpha_specific is not None:
            check_number(self.alpha_specific, "alpha_specific", low=0, low_open=True)
        if self.group_norm not in ("l2", "linf"):
            raise ValueError(f"group_norm must be one of ('l2', 'linf'); got {self.group_norm!r}.")
        useful = self._useful_ratio(n_tasks, n_features, n_classes)
        alpha_specific = middle_of_range(self.alpha_shared, self.alpha_specific, useful)
        if n_tasks * n_classes > 1:  # (at either end the split is not unique)
            ratio, parts = self.alpha_shared / alpha_specific, ("shared", "task-specific")
            warn_unused_part("alpha_shared", "alpha_specific", ratio, useful, parts)
        shared = L1Linf if self.group_norm == "linf" else L21
        return SplitPenalty(shared(self.alpha_shared), L1(alpha_specific))

    def _fit_structure(self, W, penalty, parts=None):
        P, Q = parts
        self.shared_coef_, self.specific_coef_ = self._as_coef(P), self._as_coef(Q)


class _RobustLowRank(_MultiTaskModel):
    def __init__(
        self,
        alpha_lowrank=0.1,
        alpha_outlier=None,
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

    def _useful_ratio(self, n_tasks, n_features=None, n_classes=1):
        """``(1, sqrt(T))``: outside it one part stays zero. A matrix's trace norm is
        at most the sum of its columns' norms, which is at most ``sqrt(T)`` times its
        trace norm; below 1 the outlier part stays zero (at 1 the split is not
        unique), above ``sqrt(T)`` the low-rank part. With ``K`` classes a task's
        column holds its ``K`` class models, whose gradients (a ``d x K`` block with
        rows summing to zero: rank at most ``min(d, K - 1)``) have a spectral norm
        at least ``1 / sqrt(min(d, K - 1))`` times their Frobenius norm: ``(1 /
        sqrt(min(d, K - 1)), sqrt(T))``."""
        if n_classes == 1:
            return 1.0, np.sqrt(n_tasks)
        rank = n_classes - 1 if n_features is None else min(n_features, n_classes - 1)
        return 1.0 / np.sqrt(rank), np.sqrt(n_tasks)

    def _make_penalty(self, n_tasks, n_features=None):
        return self._class_penalty(n_tasks, n_features, 1)

    def _class_penalty(self, n_tasks, n_features, n_classes):
        check_number(self.alpha_lowrank, "alpha_lowrank", low=0, low_open=True)
        useful = self._useful_ratio(n_tasks, n_features, n_classes)
        alpha_outlier = middle_of_range(self.alpha_lowrank, self.alpha_outlier, useful)
        check_number(alpha_outlier, "alpha_outlier", low=0, low_open=True)
        if n_tasks > 1:
            ratio = self.alpha_lowrank / alpha_outlier
            warn_unused_part(
                "alpha_lowrank", "alpha_outlier", ratio, useful, ("low-rank", "outlier")
            )
        return SplitPenalty(TraceNorm(self.alpha_lowrank), ColumnL21(alpha_outlier))

    def _fit_structure(self, W, penalty, parts=None):
        L, S = parts
        self.lowrank_coef_, self.outlier_coef_ = self._as_coef(L), self._as_coef(S)
        outlier = self._task_blocks(S) != 0
        self.outlier_tasks_ = self.tasks_[outlier.reshape(len(outlier), -1).any(axis=1)]


_TRACE = dict(
    summary="""Trace-norm multi-task {task}: task models in a shared low-rank subspace.

    The nuclear norm (Ji & Ye, 2009) is solved by FISTA with singular value
    thresholding (a partial SVD when the rank is small). ``squared=True`` gives
    ``alpha * ||W||_*^2``: convex multi-task feature learning (Argyriou, Evgeniou &
    Pontil, 2008), whose path is the trace norm's in another parametrisation.""",
    penalty="alpha * ||W||_*   (or alpha * ||W||_*^2 with squared=True)",
    parameters="""    alpha : float, default=0.1
        Regularization strength, >= 0 (> 0 with ``squared=True``).
    squared : bool, default=False
        Penalize the squared trace norm instead.
""",
    attributes="""    rank_ : int
        Numerical rank of the coefficient matrix.
    components_ : ndarray of shape (`rank_`, n_features)
        Orthonormal basis of the shared subspace of the task models.
""",
    example="""    >>> from skmtl import TraceNorm{name}
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks, coef, _ = make_low_rank_tasks(n_tasks=8, rank=2, random_state=0{cls})
    >>> model = TraceNorm{name}(alpha=0.05).fit(X, y, tasks=tasks)
    >>> model.components_.shape[1]
    10
""",
)
_SUBSPACE = dict(
    summary="""Shared-subspace multi-task {task}: convex alternating structure
    optimization (cASO; Chen, Tang, Liu & Ye, 2009).

    The task models lie close to an ``n_components``-dimensional subspace, learned
    as the relaxed projector ``M`` (d x d) and eliminated in closed form. Solved by
    FISTA with the exact prox, stopped on the exact duality gap. With ``n_components``
    up to the number of tasks it fits the same coefficients as the clustered model
    with as many clusters and the same strengths (see ``ClusteredRegressor``), for
    regression and two classes: with more classes the two stack the class models
    differently (see ``classes_``).""",
    penalty="""c * min_M tr(W^T (eta I + M)^{-1} W),  tr M = n_components,  0 <= M <= I
            with eta = beta / alpha and c = alpha * eta * (1 + eta)""",
    parameters="""    alpha : float, default=0.1
        Strength of the pull towards the shared subspace, > 0.
    beta : float, default=0.01
        Ridge strength, > 0.
    n_components : int or None, default=None
        Dimension of the shared subspace, at most the number of features. None: 2,
        or the number of features if there are fewer (with every feature in the
        subspace the penalty is the ridge ``beta ||W||^2``).
""",
    attributes="""    components_ : ndarray of shape (n_components, n_features)
        Orthonormal basis of the learned shared subspace (top eigenvectors of ``M``).
""",
    example="""    >>> from skmtl import SharedSubspace{name}
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks, coef, _ = make_low_rank_tasks(n_tasks=8, rank=2, random_state=0{cls})
    >>> model = SharedSubspace{name}(n_components=2).fit(X, y, tasks=tasks)
    >>> model.components_.shape
    (2, 10)
""",
)
_DIRTY = dict(
    summary="""Dirty multi-task {task} (Jalali et al., 2010): ``W = P + Q`` with a
    shared block-sparse part ``P`` and a task-specific sparse part ``Q``.

    ``P`` selects features for all tasks together (rows, L1/L-infinity or L2,1),
    ``Q`` adds entries for single tasks. Useful only for ``1 < alpha_shared /
    alpha_specific < T`` (``sqrt(T)`` with ``group_norm="l2"``; with ``K > 2``
    classes, whose gradients sum to zero over each task's classes, ``(2, 2 floor(K /
    2) T)`` and ``(sqrt(K / (K - 1)), sqrt(2 floor(K / 2) T))``): outside that range
    one part stays zero, and a warning says so. The default ``alpha_specific`` sits
    in the middle of the range.""",
    penalty="alpha_shared * sum_j ||P_j|| + alpha_specific * ||Q||_1,   W = P + Q",
    parameters="""    alpha_shared : float, default=0.1
        Strength of the row norm on the shared part, > 0.
    alpha_specific : float or None, default=None
        Strength of the entrywise L1 norm on the specific part, > 0. None:
        ``alpha_shared / sqrt(n_tasks)`` (``/ n_tasks ** 0.25`` with ``group_norm="l2"``),
        whose ratio is the geometric middle of the useful range (of the ``K``-class
        one with more than two classes).
    group_norm : {"linf", "l2"}, default="linf"
        Row norm of the shared part.
""",
    attributes="""    shared_coef_ : ndarray of shape (n_tasks, n_features)
        The shared part ``P^T``.
    specific_coef_ : ndarray of shape (n_tasks, n_features)
        The task-specific part ``Q^T``; ``coef_ = shared_coef_ + specific_coef_``
        (both of ``coef_``'s shape).
""",
    example="""    >>> from skmtl import Dirty{name}
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks, coef = make_joint_sparse(n_tasks=4, random_state=0{cls})
    >>> model = Dirty{name}(alpha_shared=0.1, alpha_specific=0.05).fit(X, y, tasks=tasks)
    >>> model.shared_coef_.shape
    (4, 30)
""",
)
_ROBUST = dict(
    summary="""Robust multi-task {task} (Chen, Zhou & Ye, 2011): ``W = L + S`` with a
    low-rank part shared by the regular tasks and a column-sparse part that lets a
    few outlier tasks escape the subspace.

    Useful only for ``1 < alpha_lowrank / alpha_outlier < sqrt(T)`` (from ``1 /
    sqrt(min(d, K - 1))`` with ``K > 2`` classes, whose outlier columns hold a task's
    ``K`` class models): outside that range one part stays zero, and a warning says
    so; at the lower end ``W`` is the trace norm's solution and the split is not
    unique.
    The default ``alpha_outlier`` sits in the middle of the range.""",
    penalty="alpha_lowrank * ||L||_* + alpha_outlier * sum_t ||S_t||_2,   W = L + S",
    parameters="""    alpha_lowrank : float, default=0.1
        Strength of the trace norm on the shared low-rank part, > 0.
    alpha_outlier : float or None, default=None
        Strength of the column norm on the outlier part, > 0. None:
        ``alpha_lowrank / n_tasks ** 0.25``, whose ratio ``n_tasks ** 0.25`` is the
        geometric middle of the useful range ``(1, sqrt(n_tasks))`` (of ``(1 /
        sqrt(min(d, K - 1)), sqrt(n_tasks))`` with ``K > 2`` classes).
""",
    attributes="""    lowrank_coef_ : ndarray of shape (n_tasks, n_features)
        The low-rank part ``L^T``.
    outlier_coef_ : ndarray of shape (n_tasks, n_features)
        The outlier part ``S^T``; ``coef_ = lowrank_coef_ + outlier_coef_``
        (both of ``coef_``'s shape).
    outlier_tasks_ : ndarray
        Labels of the tasks whose outlier part is non-zero, small deviations
        included: inside the useful range most tasks may have some. Rank the tasks
        by the norms of their outlier parts (``np.linalg.norm(outlier_coef_.reshape(
        len(tasks_), -1), axis=1)``, classes included) to find the clear outliers.
""",
    example="""    >>> from skmtl import RobustLowRank{name}
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks, coef, _ = make_low_rank_tasks(n_tasks=8, rank=2, n_outliers=1,
    ...                                            random_state=0{cls})
    >>> model = RobustLowRank{name}().fit(X, y, tasks=tasks)
    >>> model.lowrank_coef_.shape
    (8, 10)
""",
)


class TraceNormRegressor(IncrementalRegressorMixin, _TraceNorm):
    __doc__ = model_docstring(_TRACE, "squared")


class TraceNormClassifier(ClassifierMixin, _TraceNorm):
    __doc__ = model_docstring(_TRACE, "logistic")


class SharedSubspaceRegressor(IncrementalRegressorMixin, _SharedSubspace):
    __doc__ = model_docstring(_SUBSPACE, "squared")


class SharedSubspaceClassifier(ClassifierMixin, _SharedSubspace):
    __doc__ = model_docstring(_SUBSPACE, "logistic")


class DirtyRegressor(IncrementalRegressorMixin, _Dirty):
    __doc__ = model_docstring(_DIRTY, "squared")


class DirtyClassifier(ClassifierMixin, _Dirty):
    __doc__ = model_docstring(_DIRTY, "logistic")


class RobustLowRankRegressor(IncrementalRegressorMixin, _RobustLowRank):
    __doc__ = model_docstring(_ROBUST, "squared")


class RobustLowRankClassifier(ClassifierMixin, _RobustLowRank):
    __doc__ = model_docstring(_ROBUST, "logistic")
