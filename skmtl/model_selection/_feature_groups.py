"""The ``*CV`` estimators of the feature-group lasso.

(None for incomplete multi-source fusion, :class:`~skmtl.IncompleteMultiSourceRegressor`:
a wrapper whose tasks are the patterns of missing sources found in ``fit``, not a
multi-task estimator a path can be solved for; tune its ``alpha`` with
:class:`~sklearn.model_selection.GridSearchCV`, a plain scikit-learn estimator.)
"""

from __future__ import annotations

from .._base import store_parameters
from .._mixins import ClassifierMixin, RegressorMixin
from ..estimators import FeatureGroupLassoClassifier, FeatureGroupLassoRegressor
from ._cv import _PathCV
from ._docs import cv_docstring


class FeatureGroupLassoRegressorCV(RegressorMixin, _PathCV):
    _model = FeatureGroupLassoRegressor
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        groups=None,
        *,
        alphas=None,
        intercept_poolings=None,
        l1_ratio=0.0,
        row_ratio=0.0,
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
        "Cross-validated feature-group lasso (groups of features selected together) "
        "for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import FeatureGroupLassoRegressorCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0)[:3]
    >>> groups = [list(range(0, 10)), list(range(10, 20)), list(range(20, 30))]
    >>> model = FeatureGroupLassoRegressorCV(groups, alphas=5, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.mse_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class FeatureGroupLassoClassifierCV(ClassifierMixin, _PathCV):
    _model = FeatureGroupLassoClassifier
    _sized_by_pooling = True
    _ranges = {"alpha": None}

    def __init__(
        self,
        groups=None,
        *,
        alphas=None,
        intercept_poolings=None,
        l1_ratio=0.0,
        row_ratio=0.0,
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
        "Cross-validated feature-group lasso (groups of features selected together) "
        "for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import FeatureGroupLassoClassifierCV
    >>> from skmtl.datasets import make_joint_sparse
    >>> X, y, tasks = make_joint_sparse(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> groups = [list(range(0, 10)), list(range(10, 20)), list(range(20, 30))]
    >>> model = FeatureGroupLassoClassifierCV(groups, alphas=5, intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha',)
    >>> model.score_path_.shape  # (alphas, folds)
    (5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )
