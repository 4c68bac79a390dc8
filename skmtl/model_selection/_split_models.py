"""The ``*CV`` estimators of MALSAR's split models ``W = P + Q``: incoherent sparse
plus low rank, and robust multi-task feature learning (two strengths each, as
:class:`~skmtl.DirtyRegressorCV`)."""

from __future__ import annotations

from .._base import ClassifierMixin, RegressorMixin, store_parameters
from ..estimators import (
    RobustFeatureLearningClassifier,
    RobustFeatureLearningRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
)
from ._cv import _PathCV
from ._docs import cv_docstring
from ._grids import RIDGE, STRENGTH


class SparseLowRankRegressorCV(RegressorMixin, _PathCV):
    _model = SparseLowRankRegressor
    _ranges = {"alpha_lowrank": STRENGTH, "alpha_sparse": RIDGE}

    def __init__(
        self,
        *,
        alpha_lowranks=20,
        alpha_sparses=3,
        intercept_poolings=None,
        loss=None,
        fit_intercept=True,
        max_iter=1000,
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
        _ranges,
        example="""    >>> from skmtl import SparseLowRankRegressorCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = SparseLowRankRegressorCV(
    ...     alpha_lowranks=[0.1, 0.03, 0.01], alpha_sparses=[0.01], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_lowrank', 'alpha_sparse')
    >>> model.mse_path_.shape  # (alpha_sparses, alpha_lowranks, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class SparseLowRankClassifierCV(ClassifierMixin, _PathCV):
    _model = SparseLowRankClassifier
    _ranges = {"alpha_lowrank": STRENGTH, "alpha_sparse": RIDGE}

    def __init__(
        self,
        *,
        alpha_lowranks=20,
        alpha_sparses=3,
        intercept_poolings=None,
        loss=None,
        fit_intercept=True,
        max_iter=1000,
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
        _ranges,
        example="""    >>> from skmtl import SparseLowRankClassifierCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = SparseLowRankClassifierCV(
    ...     alpha_lowranks=[0.1, 0.03, 0.01], alpha_sparses=[0.01], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_lowrank', 'alpha_sparse')
    >>> model.score_path_.shape  # (alpha_sparses, alpha_lowranks, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class RobustFeatureLearningRegressorCV(RegressorMixin, _PathCV):
    _model = RobustFeatureLearningRegressor
    _ranges = {"alpha_shared": STRENGTH, "alpha_outlier": RIDGE}

    def __init__(
        self,
        *,
        alpha_shareds=20,
        alpha_outliers=3,
        intercept_poolings=None,
        loss=None,
        fit_intercept=True,
        max_iter=1000,
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
        _ranges,
        example="""    >>> from skmtl import RobustFeatureLearningRegressorCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0)[:3]
    >>> model = RobustFeatureLearningRegressorCV(
    ...     alpha_shareds=[0.3, 0.1, 0.03], alpha_outliers=[0.1], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_shared', 'alpha_outlier')
    >>> model.mse_path_.shape  # (alpha_outliers, alpha_shareds, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class RobustFeatureLearningClassifierCV(ClassifierMixin, _PathCV):
    _model = RobustFeatureLearningClassifier
    _ranges = {"alpha_shared": STRENGTH, "alpha_outlier": RIDGE}

    def __init__(
        self,
        *,
        alpha_shareds=20,
        alpha_outliers=3,
        intercept_poolings=None,
        loss=None,
        fit_intercept=True,
        max_iter=1000,
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
        _ranges,
        example="""    >>> from skmtl import RobustFeatureLearningClassifierCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = RobustFeatureLearningClassifierCV(
    ...     alpha_shareds=[0.3, 0.1, 0.03], alpha_outliers=[0.1], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_shared', 'alpha_outlier')
    >>> model.score_path_.shape  # (alpha_outliers, alpha_shareds, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )
