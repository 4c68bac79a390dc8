"""The ``*CV`` estimators of the low-rank and split models (trace norm, subspace, dirty, robust)."""

from __future__ import annotations

from .._base import store_parameters
from .._mixins import ClassifierMixin, RegressorMixin
from ..estimators import (
    DirtyClassifier,
    DirtyRegressor,
    RobustLowRankClassifier,
    RobustLowRankRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)
from ._cv import _PathCV
from ._docs import cv_docstring
from ._grids import RIDGE, STRENGTH
from ._split_ratio import _SplitRatioCV, ratio_docs


class TraceNormRegressorCV(RegressorMixin, _PathCV):
    _model = TraceNormRegressor
    _sized_by_pooling = True
    _ranges = {"alpha": STRENGTH}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        squared=False,
        loss=None,
        fit_intercept=True,
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
        eps=1e-3,
        cv=None,
        n_jobs=None,
    ):
        store_parameters(self, locals())

    __doc__ = cv_docstring(
        "Cross-validated trace-norm (low-rank) multi-task learning for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import TraceNormRegressorCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = TraceNormRegressorCV(alphas=5, cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.mse_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class TraceNormClassifierCV(ClassifierMixin, _PathCV):
    _model = TraceNormClassifier
    _sized_by_pooling = True
    _ranges = {"alpha": STRENGTH}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        squared=False,
        loss=None,
        fit_intercept=True,
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
        eps=1e-3,
        cv=None,
        n_jobs=None,
    ):
        store_parameters(self, locals())

    __doc__ = cv_docstring(
        "Cross-validated trace-norm (low-rank) multi-task learning for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import TraceNormClassifierCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = TraceNormClassifierCV(alphas=5, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.score_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class SharedSubspaceRegressorCV(RegressorMixin, _PathCV):
    _model = SharedSubspaceRegressor
    _ranges = {"alpha": STRENGTH, "beta": RIDGE}

    def __init__(
        self,
        n_components=None,
        *,
        alphas=20,
        betas=3,
        intercept_poolings=None,
        loss=None,
        fit_intercept=True,
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
        eps=1e-3,
        cv=None,
        n_jobs=None,
    ):
        store_parameters(self, locals())

    __doc__ = cv_docstring(
        "Cross-validated shared-subspace (convex ASO) multi-task learning for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import SharedSubspaceRegressorCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = SharedSubspaceRegressorCV(alphas=5, betas=[0.01], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.mse_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class SharedSubspaceClassifierCV(ClassifierMixin, _PathCV):
    _model = SharedSubspaceClassifier
    _ranges = {"alpha": STRENGTH, "beta": RIDGE}

    def __init__(
        self,
        n_components=None,
        *,
        alphas=20,
        betas=3,
        intercept_poolings=None,
        loss=None,
        fit_intercept=True,
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
        eps=1e-3,
        cv=None,
        n_jobs=None,
    ):
        store_parameters(self, locals())

    __doc__ = cv_docstring(
        "Cross-validated shared-subspace (convex ASO) multi-task learning for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import SharedSubspaceClassifierCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = SharedSubspaceClassifierCV(alphas=5, betas=[0.01], intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.score_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class _DirtyCV(_SplitRatioCV):
    _ranges = {"alpha_shared": None, "shared_ratio": None}
    _ratios = {"shared_ratio": ("alpha_specific", "alpha_shared")}


class _RobustLowRankCV(_SplitRatioCV):
    _ranges = {"alpha_lowrank": None, "lowrank_ratio": None}
    _ratios = {"lowrank_ratio": ("alpha_outlier", "alpha_lowrank")}


_DIRTY_DOCS = ratio_docs(
    "shared_ratio",
    "alpha_shared",
    "alpha_specific",
    """``(1, n_tasks)`` (``(1, sqrt(n_tasks))`` with ``group_norm="l2"``)""",
)
_ROBUST_DOCS = ratio_docs(
    "lowrank_ratio", "alpha_lowrank", "alpha_outlier", "``(1, sqrt(n_tasks))``"
)


class DirtyRegressorCV(RegressorMixin, _DirtyCV):
    _model = DirtyRegressor

    def __init__(
        self,
        *,
        alpha_shareds=None,
        shared_ratios=3,
        intercept_poolings=None,
        group_norm="linf",
        loss=None,
        fit_intercept=True,
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
        eps=1e-3,
        cv=None,
        n_jobs=None,
    ):
        store_parameters(self, locals())

    __doc__ = cv_docstring(
        "Cross-validated the dirty model (shared plus task-specific features) for regression.",
        _model,
        __init__,
        _DirtyCV._ranges,
        **_DIRTY_DOCS,
        example="""    >>> from skmtl import DirtyRegressorCV
    >>> from skmtl.datasets import make_shared_specific_tasks
    >>> X, y, tasks = make_shared_specific_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = DirtyRegressorCV(alpha_shareds=5, cv=3).fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_shared', 'shared_ratio')
    >>> model.shared_ratios_.round(2)  # inside (1, n_tasks)
    array([1.26, 2.  , 3.17])
    >>> model.mse_path_.shape  # (shared_ratios, alpha_shareds, folds)
    (3, 5, 3)
    >>> bool(model.alpha_specific_ == model.alpha_shared_ / model.shared_ratio_)
    True
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class DirtyClassifierCV(ClassifierMixin, _DirtyCV):
    _model = DirtyClassifier

    def __init__(
        self,
        *,
        alpha_shareds=None,
        shared_ratios=3,
        intercept_poolings=None,
        group_norm="linf",
        loss=None,
        fit_intercept=True,
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
        eps=1e-3,
        cv=None,
        n_jobs=None,
    ):
        store_parameters(self, locals())

    __doc__ = cv_docstring(
        "Cross-validated the dirty model (shared plus task-specific features) for classification.",
        _model,
        __init__,
        _DirtyCV._ranges,
        **_DIRTY_DOCS,
        example="""    >>> from skmtl import DirtyClassifierCV
    >>> from skmtl.datasets import make_shared_specific_tasks
    >>> X, y, tasks = make_shared_specific_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = DirtyClassifierCV(
    ...     alpha_shareds=5, shared_ratios=[2.0], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_shared', 'shared_ratio')
    >>> model.alpha_specific_ == model.alpha_shared_ / 2
    True
    >>> model.score_path_.shape  # (shared_ratios, alpha_shareds, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class RobustLowRankRegressorCV(RegressorMixin, _RobustLowRankCV):
    _model = RobustLowRankRegressor

    def __init__(
        self,
        *,
        alpha_lowranks=None,
        lowrank_ratios=3,
        intercept_poolings=None,
        loss=None,
        fit_intercept=True,
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
        eps=1e-3,
        cv=None,
        n_jobs=None,
    ):
        store_parameters(self, locals())

    __doc__ = cv_docstring(
        "Cross-validated robust low-rank multi-task learning for regression.",
        _model,
        __init__,
        _RobustLowRankCV._ranges,
        **_ROBUST_DOCS,
        example="""    >>> from skmtl import RobustLowRankRegressorCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = RobustLowRankRegressorCV(alpha_lowranks=5, cv=3).fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_lowrank', 'lowrank_ratio')
    >>> model.lowrank_ratios_.round(2)  # inside (1, sqrt(n_tasks))
    array([1.12, 1.41, 1.78])
    >>> model.mse_path_.shape  # (lowrank_ratios, alpha_lowranks, folds)
    (3, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class RobustLowRankClassifierCV(ClassifierMixin, _RobustLowRankCV):
    _model = RobustLowRankClassifier

    def __init__(
        self,
        *,
        alpha_lowranks=None,
        lowrank_ratios=3,
        intercept_poolings=None,
        loss=None,
        fit_intercept=True,
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
        eps=1e-3,
        cv=None,
        n_jobs=None,
    ):
        store_parameters(self, locals())

    __doc__ = cv_docstring(
        "Cross-validated robust low-rank multi-task learning for classification.",
        _model,
        __init__,
        _RobustLowRankCV._ranges,
        **_ROBUST_DOCS,
        example="""    >>> from skmtl import RobustLowRankClassifierCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = RobustLowRankClassifierCV(
    ...     alpha_lowranks=[0.1, 0.03, 0.01], lowrank_ratios=[1.5], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_lowrank', 'lowrank_ratio')
    >>> model.alpha_outlier_ == model.alpha_lowrank_ / 1.5
    True
    >>> model.score_path_.shape  # (lowrank_ratios, alpha_lowranks, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )
