"""The ``*CV`` estimators of MALSAR's split models ``W = P + Q``: incoherent sparse
plus low rank, and robust multi-task feature learning (two strengths each, as
:class:`~skmtl.DirtyRegressorCV`)."""

from __future__ import annotations

from .._base import store_parameters
from .._mixins import ClassifierMixin, RegressorMixin
from ..estimators import (
    RobustFeatureLearningClassifier,
    RobustFeatureLearningRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
)
from ._docs import cv_docstring
from ._split_ratio import _SplitRatioCV, ratio_docs


class _SparseLowRankCV(_SplitRatioCV):
    _ranges = {"alpha_lowrank": None, "lowrank_ratio": None}
    _ratios = {"lowrank_ratio": ("alpha_sparse", "alpha_lowrank")}


class _RobustFeatureLearningCV(_SplitRatioCV):
    _ranges = {"alpha_shared": None, "shared_ratio": None}
    _ratios = {"shared_ratio": ("alpha_outlier", "alpha_shared")}


_SPARSE_LOW_RANK_DOCS = ratio_docs(
    "lowrank_ratio", "alpha_lowrank", "alpha_sparse", "``(1, sqrt(n_features * n_tasks))``"
)
_ROBUST_FEATURE_DOCS = ratio_docs(
    "shared_ratio",
    "alpha_shared",
    "alpha_outlier",
    "``(1 / sqrt(n_features), sqrt(n_tasks))``",
)


class SparseLowRankRegressorCV(RegressorMixin, _SparseLowRankCV):
    _model = SparseLowRankRegressor

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
        "Cross-validated incoherent sparse and low-rank multi-task learning for regression.",
        _model,
        __init__,
        _SparseLowRankCV._ranges,
        **_SPARSE_LOW_RANK_DOCS,
        example="""    >>> from skmtl import SparseLowRankRegressorCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = SparseLowRankRegressorCV(
    ...     alpha_lowranks=[0.1, 0.03, 0.01], lowrank_ratios=[1.5], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_lowrank', 'lowrank_ratio')
    >>> model.mse_path_.shape  # (lowrank_ratios, alpha_lowranks, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class SparseLowRankClassifierCV(ClassifierMixin, _SparseLowRankCV):
    _model = SparseLowRankClassifier

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
        "Cross-validated incoherent sparse and low-rank multi-task learning for classification.",
        _model,
        __init__,
        _SparseLowRankCV._ranges,
        **_SPARSE_LOW_RANK_DOCS,
        example="""    >>> from skmtl import SparseLowRankClassifierCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = SparseLowRankClassifierCV(
    ...     alpha_lowranks=[0.1, 0.03, 0.01], lowrank_ratios=[1.5], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_lowrank', 'lowrank_ratio')
    >>> model.score_path_.shape  # (lowrank_ratios, alpha_lowranks, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class RobustFeatureLearningRegressorCV(RegressorMixin, _RobustFeatureLearningCV):
    _model = RobustFeatureLearningRegressor

    def __init__(
        self,
        *,
        alpha_shareds=None,
        shared_ratios=3,
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
        "Cross-validated robust multi-task feature learning for regression.",
        _model,
        __init__,
        _RobustFeatureLearningCV._ranges,
        **_ROBUST_FEATURE_DOCS,
        example="""    >>> from skmtl import RobustFeatureLearningRegressorCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0)[:3]
    >>> model = RobustFeatureLearningRegressorCV(
    ...     alpha_shareds=[0.3, 0.1, 0.03], shared_ratios=[1.5], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_shared', 'shared_ratio')
    >>> model.mse_path_.shape  # (shared_ratios, alpha_shareds, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class RobustFeatureLearningClassifierCV(ClassifierMixin, _RobustFeatureLearningCV):
    _model = RobustFeatureLearningClassifier

    def __init__(
        self,
        *,
        alpha_shareds=None,
        shared_ratios=3,
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
        "Cross-validated robust multi-task feature learning for classification.",
        _model,
        __init__,
        _RobustFeatureLearningCV._ranges,
        **_ROBUST_FEATURE_DOCS,
        example="""    >>> from skmtl import RobustFeatureLearningClassifierCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = RobustFeatureLearningClassifierCV(
    ...     alpha_shareds=[0.3, 0.1, 0.03], shared_ratios=[1.5], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_shared', 'shared_ratio')
    >>> model.score_path_.shape  # (shared_ratios, alpha_shareds, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )
