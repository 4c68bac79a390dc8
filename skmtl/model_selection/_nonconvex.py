"""The ``*CV`` estimators of the non-convex joint feature selection models (capped
L1, block MCP, block SCAD).

Each point of a fold's path is the estimator's multi-stage fit (its first, convex,
stage warm-started from the solution at the previous ``alpha``), so the path gives
the same stationary points as separate fits; ``theta`` and ``gamma`` stay fixed.
"""

from __future__ import annotations

from .._base import store_parameters
from .._mixins import ClassifierMixin, RegressorMixin
from ..estimators import (
    BlockMCPClassifier,
    BlockMCPRegressor,
    BlockSCADClassifier,
    BlockSCADRegressor,
    CappedL1Classifier,
    CappedL1Regressor,
)
from ._cv import _PathCV
from ._docs import cv_docstring


class CappedL1RegressorCV(RegressorMixin, _PathCV):
    _model = CappedL1Regressor
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        theta=1.0,
        max_stages=10,
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
        "Cross-validated multi-task feature selection with the row-wise capped L1 "
        "penalty for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import CappedL1RegressorCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0)[:3]
    >>> model = CappedL1RegressorCV(alphas=5, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.mse_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class CappedL1ClassifierCV(ClassifierMixin, _PathCV):
    _model = CappedL1Classifier
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        theta=1.0,
        max_stages=10,
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
        "Cross-validated multi-task feature selection with the row-wise capped L1 "
        "penalty for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import CappedL1ClassifierCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(
    ...     n_tasks=4, n_samples=200, n_features=10, noise=2.0, random_state=0, loss="logistic"
    ... )[:3]
    >>> model = CappedL1ClassifierCV(alphas=8, eps=0.05, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.score_path_.shape  # (alphas, folds)
    (8, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class BlockMCPRegressorCV(RegressorMixin, _PathCV):
    _model = BlockMCPRegressor
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        gamma=3.0,
        max_stages=10,
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
        "Cross-validated multi-task feature selection with the block MCP for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import BlockMCPRegressorCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0)[:3]
    >>> model = BlockMCPRegressorCV(alphas=5, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.mse_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class BlockMCPClassifierCV(ClassifierMixin, _PathCV):
    _model = BlockMCPClassifier
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        gamma=3.0,
        max_stages=10,
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
        "Cross-validated multi-task feature selection with the block MCP for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import BlockMCPClassifierCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(
    ...     n_tasks=4, n_samples=200, n_features=10, noise=2.0, random_state=0, loss="logistic"
    ... )[:3]
    >>> model = BlockMCPClassifierCV(alphas=8, eps=0.05, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.score_path_.shape  # (alphas, folds)
    (8, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class BlockSCADRegressorCV(RegressorMixin, _PathCV):
    _model = BlockSCADRegressor
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        gamma=3.7,
        max_stages=10,
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
        "Cross-validated multi-task feature selection with the block SCAD for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import BlockSCADRegressorCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0)[:3]
    >>> model = BlockSCADRegressorCV(alphas=5, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.mse_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class BlockSCADClassifierCV(ClassifierMixin, _PathCV):
    _model = BlockSCADClassifier
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        gamma=3.7,
        max_stages=10,
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
        "Cross-validated multi-task feature selection with the block SCAD for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import BlockSCADClassifierCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(
    ...     n_tasks=4, n_samples=200, n_features=10, noise=2.0, random_state=0, loss="logistic"
    ... )[:3]
    >>> model = BlockSCADClassifierCV(alphas=8, eps=0.05, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.score_path_.shape  # (alphas, folds)
    (8, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )
