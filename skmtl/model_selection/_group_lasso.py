"""The ``*CV`` estimators of the group lasso."""

from __future__ import annotations

from .._base import store_parameters
from .._mixins import ClassifierMixin, RegressorMixin
from ..estimators import (
    GroupLassoClassifier,
    GroupLassoRegressor,
)
from ._cv import _PathCV
from ._docs import cv_docstring


class GroupLassoRegressorCV(RegressorMixin, _PathCV):
    _model = GroupLassoRegressor
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        l1_ratio=0.0,
        group_norm="l2",
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
        "Cross-validated the group lasso (joint feature selection) for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import GroupLassoRegressorCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0)[:3]
    >>> model = GroupLassoRegressorCV(alphas=5, cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.mse_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class GroupLassoClassifierCV(ClassifierMixin, _PathCV):
    _model = GroupLassoClassifier
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        *,
        alphas=None,
        intercept_poolings=None,
        l1_ratio=0.0,
        group_norm="l2",
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
        "Cross-validated the group lasso (joint feature selection) for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import GroupLassoClassifierCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = GroupLassoClassifierCV(alphas=5, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.score_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )
