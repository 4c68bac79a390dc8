"""The ``*CV`` estimators of the fused sparse group lasso over time (cFSGL).

The estimator has three strengths and no common ``alpha``. The path runs along
``alpha_l21``, the joint feature selection (the group lasso's strength, with a grid
from its ``alpha_max`` as the group lasso's); ``alpha_fused``, the smoothness over
time that sets this model apart, is a small second grid; ``alpha_l1``, the sparsity
within a feature's time course, is fixed (a parameter).
"""

from __future__ import annotations

import numpy as np

from .._base import check_number, store_parameters
from .._mixins import ClassifierMixin, RegressorMixin
from ..estimators import FusedSparseGroupLassoClassifier, FusedSparseGroupLassoRegressor
from ._cv import _PathCV
from ._docs import cv_docstring
from ._grids import RIDGE

#: the top of the automatic grid of ``alpha_l21``, for the docstrings
_ALPHA_MAX = (
    "the smallest ``alpha_l21`` whose solution is zero with ``alpha_fused = 0`` "
    "(the largest over ``alpha_fused``: fusion only enlarges the set of gradients "
    "that keep ``W = 0``), so that the path starts at zero for every ``alpha_fused``"
)


class _FusedCV(_PathCV):
    _sized_by_pooling = True
    _ranges = {"alpha_l21": None, "alpha_fused": RIDGE}

    def _path_alpha_max(self, base, data, info, loss):
        """``max_j ||soft(G0_j, alpha_l1)||_2``: the distance of each row of the null
        gradient to the L1 term's ball ``alpha_l1 B_inf`` (``W = 0`` is optimal iff
        ``G0_j`` is in ``alpha_l1 B_inf + alpha_l21 B_2``, with ``alpha_fused = 0``).
        With ``K`` classes a row is one feature for one class, over the tasks (the
        ``(d K, T)`` view of ``skmtl.penalties.TaskBlocks``)."""
        check_number(base.alpha_l1, "alpha_l1", low=0)  # (used before the penalty's checks)
        G = base._null_gradient(data, info, loss)
        G = G.reshape(-1, G.shape[1] // data.n_classes)
        excess = np.maximum(np.abs(G) - base.alpha_l1, 0.0)
        return float(np.sqrt(np.einsum("jt,jt->j", excess, excess)).max(initial=0.0))


class FusedSparseGroupLassoRegressorCV(RegressorMixin, _FusedCV):
    _model = FusedSparseGroupLassoRegressor

    def __init__(
        self,
        alpha_l1=0.01,
        *,
        alpha_l21s=None,
        alpha_fuseds=3,
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
        "Cross-validated fused sparse group lasso over time for regression.",
        _model,
        __init__,
        _FusedCV._ranges,
        alpha_max=_ALPHA_MAX,
        example="""    >>> from skmtl import FusedSparseGroupLassoRegressorCV
    >>> from skmtl.datasets import make_chain_tasks
    >>> X, y, tasks = make_chain_tasks(n_tasks=5, random_state=0)[:3]
    >>> model = FusedSparseGroupLassoRegressorCV(
    ...     alpha_l21s=3, alpha_fuseds=[0.01, 0.1], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_l21', 'alpha_fused')
    >>> model.mse_path_.shape  # (alpha_fuseds, alpha_l21s, folds)
    (2, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.5)
    True
""",
    )


class FusedSparseGroupLassoClassifierCV(ClassifierMixin, _FusedCV):
    _model = FusedSparseGroupLassoClassifier

    def __init__(
        self,
        alpha_l1=0.01,
        *,
        alpha_l21s=None,
        alpha_fuseds=3,
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
        "Cross-validated fused sparse group lasso over time for classification.",
        _model,
        __init__,
        _FusedCV._ranges,
        alpha_max=_ALPHA_MAX,
        example="""    >>> from skmtl import FusedSparseGroupLassoClassifierCV
    >>> from skmtl.datasets import make_chain_tasks
    >>> X, y, tasks = make_chain_tasks(n_tasks=5, random_state=0, loss="logistic")[:3]
    >>> model = FusedSparseGroupLassoClassifierCV(
    ...     alpha_l21s=3, alpha_fuseds=[0.1], intercept_poolings=[0.0], cv=3
    ... )
    >>> model = model.fit(X, y, tasks=tasks)
    >>> model.searched_strengths_
    ('alpha_l21', 'alpha_fused')
    >>> model.score_path_.shape  # (alpha_fuseds, alpha_l21s, folds)
    (1, 3, 3)
    >>> bool(model.score(X, y, tasks=tasks) > 0.6)
    True
""",
    )
