"""The ``*CV`` estimators of the models of task relations (mean, graph, clusters, covariance)."""

from __future__ import annotations

from .._base import check_number, store_parameters
from .._mixins import ClassifierMixin, RegressorMixin
from ..estimators import (
    ClusteredClassifier,
    ClusteredRegressor,
    ClusterNormClassifier,
    ClusterNormRegressor,
    GraphRegularizedClassifier,
    GraphRegularizedRegressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
)
from ._cv import _PathCV
from ._docs import cv_docstring
from ._grids import COUPLING, RIDGE, STRENGTH, WITHIN


class MeanRegularizedRegressorCV(RegressorMixin, _PathCV):
    _model = MeanRegularizedRegressor
    _ranges = {"alpha": COUPLING, "beta": RIDGE}

    def __init__(
        self,
        *,
        alphas=25,
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
        "Cross-validated mean-regularized multi-task learning for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import MeanRegularizedRegressorCV
    >>> from skmtl.datasets import make_mean_tasks
    >>> X, y, tasks = make_mean_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = MeanRegularizedRegressorCV(alphas=5, betas=[0.01], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.mse_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class MeanRegularizedClassifierCV(ClassifierMixin, _PathCV):
    _model = MeanRegularizedClassifier
    _ranges = {"alpha": COUPLING, "beta": RIDGE}

    def __init__(
        self,
        *,
        alphas=25,
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
        "Cross-validated mean-regularized multi-task learning for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import MeanRegularizedClassifierCV
    >>> from skmtl.datasets import make_mean_tasks
    >>> X, y, tasks = make_mean_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = MeanRegularizedClassifierCV(alphas=5, betas=[0.01], intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.score_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class GraphRegularizedRegressorCV(RegressorMixin, _PathCV):
    _model = GraphRegularizedRegressor
    _ranges = {"alpha": COUPLING, "beta": RIDGE, "alpha_l21": RIDGE}
    _optional = ("alpha_l21",)

    def __init__(
        self,
        graph=None,
        *,
        alphas=25,
        betas=3,
        alpha_l21s=None,
        intercept_poolings=None,
        loss=None,
        alpha_l1=0.0,
        alpha_l21=0.0,
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
        "Cross-validated graph-regularized multi-task learning for regression.",
        _model,
        __init__,
        _ranges,
        optional=_optional,
        example="""    >>> from skmtl import GraphRegularizedRegressorCV
    >>> from skmtl.datasets import make_chain_tasks
    >>> X, y, tasks = make_chain_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = GraphRegularizedRegressorCV(alphas=5, betas=[0.01], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.mse_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class GraphRegularizedClassifierCV(ClassifierMixin, _PathCV):
    _model = GraphRegularizedClassifier
    _ranges = {"alpha": COUPLING, "beta": RIDGE, "alpha_l21": RIDGE}
    _optional = ("alpha_l21",)

    def __init__(
        self,
        graph=None,
        *,
        alphas=25,
        betas=3,
        alpha_l21s=None,
        intercept_poolings=None,
        loss=None,
        alpha_l1=0.0,
        alpha_l21=0.0,
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
        "Cross-validated graph-regularized multi-task learning for classification.",
        _model,
        __init__,
        _ranges,
        optional=_optional,
        example="""    >>> from skmtl import GraphRegularizedClassifierCV
    >>> from skmtl.datasets import make_chain_tasks
    >>> X, y, tasks = make_chain_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = GraphRegularizedClassifierCV(alphas=5, betas=[0.01], intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.score_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class ClusteredRegressorCV(RegressorMixin, _PathCV):
    _model = ClusteredRegressor
    _ranges = {"alpha": STRENGTH, "beta": RIDGE}

    def __init__(
        self,
        n_clusters=2,
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
        "Cross-validated convex clustered multi-task learning for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import ClusteredRegressorCV
    >>> from skmtl.datasets import make_clustered_tasks
    >>> X, y, tasks = make_clustered_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = ClusteredRegressorCV(alphas=5, betas=[0.01], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.mse_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class ClusteredClassifierCV(ClassifierMixin, _PathCV):
    _model = ClusteredClassifier
    _ranges = {"alpha": STRENGTH, "beta": RIDGE}

    def __init__(
        self,
        n_clusters=2,
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
        "Cross-validated convex clustered multi-task learning for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import ClusteredClassifierCV
    >>> from skmtl.datasets import make_clustered_tasks
    >>> X, y, tasks = make_clustered_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = ClusteredClassifierCV(alphas=5, betas=[0.01], intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.score_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class _ClusterNormCV(_PathCV):
    """The cluster norm's search: ``alpha_within`` along the path, which must exceed
    the fixed ``alpha_between`` (its automatic grid is relative to it)."""

    _ranges = {"alpha_within": WITHIN, "alpha_mean": RIDGE}

    def _path_alpha_max(self, base, data, info, loss):
        return None  # (no alpha_max; the base's own alpha_within is not searched)

    def _grids(self, base, prepared):
        # (alpha_between scales the automatic grid: its own error first)
        check_number(self.alpha_between, "alpha_between", low=0, low_open=True)
        grids = super()._grids(base, prepared)
        below = grids[0][grids[0] <= self.alpha_between]
        if len(below):
            raise ValueError(
                f"alpha_withins must all be larger than alpha_between "
                f"({self.alpha_between:g}), which bounds the task covariance's "
                f"eigenvalues from the other side; got {', '.join(f'{v:g}' for v in below)}."
                " An int gives that many values from 1000 down to 3.16 times alpha_between."
            )
        return grids


class ClusterNormRegressorCV(RegressorMixin, _ClusterNormCV):
    _model = ClusterNormRegressor

    def __init__(
        self,
        alpha_between=0.01,
        n_clusters=2,
        *,
        alpha_withins=12,
        alpha_means=3,
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
        "Cross-validated cluster-norm multi-task learning for regression.",
        _model,
        __init__,
        _ClusterNormCV._ranges,
        example="""    >>> from skmtl import ClusterNormRegressorCV
    >>> from skmtl.datasets import make_clustered_tasks
    >>> X, y, tasks = make_clustered_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = ClusterNormRegressorCV(alpha_withins=5, alpha_means=[0.01], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_within', 'alpha_mean')
    >>> model.mse_path_.shape  # (alpha_means, alpha_withins, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class ClusterNormClassifierCV(ClassifierMixin, _ClusterNormCV):
    _model = ClusterNormClassifier

    def __init__(
        self,
        alpha_between=0.01,
        n_clusters=2,
        *,
        alpha_withins=12,
        alpha_means=3,
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
        "Cross-validated cluster-norm multi-task learning for classification.",
        _model,
        __init__,
        _ClusterNormCV._ranges,
        example="""    >>> from skmtl import ClusterNormClassifierCV
    >>> from skmtl.datasets import make_clustered_tasks
    >>> X, y, tasks = make_clustered_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = ClusterNormClassifierCV(
    ...     alpha_withins=5, alpha_means=[0.01], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_within', 'alpha_mean')
    >>> model.score_path_.shape  # (alpha_means, alpha_withins, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )


class TaskRelationRegressorCV(RegressorMixin, _PathCV):
    _model = TaskRelationRegressor
    _ranges = {"alpha": STRENGTH, "beta": RIDGE}

    def __init__(
        self,
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
        "Cross-validated multi-task relationship learning for regression.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import TaskRelationRegressorCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0)[:3]
    >>> model = TaskRelationRegressorCV(alphas=5, betas=[0.01], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.mse_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class TaskRelationClassifierCV(ClassifierMixin, _PathCV):
    _model = TaskRelationClassifier
    _ranges = {"alpha": STRENGTH, "beta": RIDGE}

    def __init__(
        self,
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
        "Cross-validated multi-task relationship learning for classification.",
        _model,
        __init__,
        _ranges,
        example="""    >>> from skmtl import TaskRelationClassifierCV
    >>> from skmtl.datasets import make_low_rank_tasks
    >>> X, y, tasks = make_low_rank_tasks(n_tasks=4, random_state=0, loss="logistic")[:3]
    >>> model = TaskRelationClassifierCV(alphas=5, betas=[0.01], intercept_poolings=[0.0], cv=3)
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha', 'beta')
    >>> model.score_path_.shape  # (betas, alphas, folds)
    (1, 5, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )
