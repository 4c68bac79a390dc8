"""Tasks in a time order: the fused sparse group lasso (cFSGL; Zhou et al., 2012).

(The temporal group lasso, TGL, is the graph-regularized model with
``graph="chain"`` and ``alpha_l21``: :class:`~skmtl.GraphRegularizedRegressor`.)
"""

from __future__ import annotations

from .._base import _MultiTaskModel, check_number, store_parameters
from .._mixins import ClassifierMixin, IncrementalRegressorMixin
from ..penalties import FusedSparseGroupNorm
from ._docs import model_docstring


class _FusedSparseGroup(_MultiTaskModel):
    def __init__(
        self,
        alpha_l1=0.01,
        alpha_fused=0.1,
        alpha_l21=0.05,
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

    def _tasks_ordered(self):
        return True

    def alpha_max(self, X, y, tasks=None, sample_weight=None):
        """Smallest factor ``c`` such that the strengths ``c * alpha_l1``, ``c *
        alpha_fused`` and ``c * alpha_l21`` make all coefficients zero, on this data.

        The model has no single ``alpha``: this scales its three strengths together,
        in their given ratios (the fused term alone zeroes nothing: a row constant
        over time costs it nothing). ``c = 1`` means the current strengths are just
        strong enough to zero every coefficient; a path over one strength
        (``regularization_path(..., param="alpha_l21")``) takes an explicit grid.

        Parameters
        ----------
        X, y, tasks, sample_weight
            As in :meth:`fit`.

        Returns
        -------
        float
        """
        return super().alpha_max(X, y, tasks, sample_weight)

    def _make_penalty(self, n_tasks, n_features=None):
        for name in ("alpha_l1", "alpha_fused", "alpha_l21"):
            check_number(getattr(self, name), name, low=0)
        if self.alpha_l1 == 0 and self.alpha_l21 == 0:
            raise ValueError(
                "alpha_l1 and alpha_l21 cannot both be 0: the fused term alone leaves "
                "each feature's mean over time unpenalized."
            )
        return FusedSparseGroupNorm(self.alpha_l1, self.alpha_fused, self.alpha_l21)


_FUSED = dict(
    summary="""Fused sparse group lasso over time for multi-task {task} (Zhou et al.,
    2012; MALSAR's cFSGL).

    The tasks are time points, in the order of the sorted task labels (``tasks_``),
    e.g. a disease score predicted from the same baseline features at consecutive
    visits. The fused term makes each feature's effect piecewise constant over time,
    the L1 term sparse, the L2,1 term selects features for all time points at once.
    The prox is exact (the 1-D total-variation prox of each row, by projected
    Newton steps on its dual, then soft-thresholding, then the row shrinkage); solved
    as ``solver="auto"`` chooses (ADMM or proximal Newton with few features, else
    FISTA), stopped on the exact duality gap. (MALSAR sums the squared errors where
    skmtl averages them per task: see ``task_weights="samples"``.)""",
    penalty="""alpha_l1 * ||W||_1 + alpha_fused * sum_j sum_t |W_j,t+1 - W_jt|
            + alpha_l21 * sum_j ||W_j||_2""",
    parameters="""    alpha_l1 : float, default=0.01
        Strength of the entrywise L1 norm, >= 0.
    alpha_fused : float, default=0.1
        Strength of the fused (total-variation) term between consecutive tasks, >= 0.
    alpha_l21 : float, default=0.05
        Strength of the L2,1 norm over the rows (features), >= 0; not both it and
        ``alpha_l1`` zero.
""",
    attributes="",
    example="""    >>> from skmtl import FusedSparseGroupLasso{name}
    >>> from skmtl.datasets import make_chain_tasks
    >>> X, y, tasks, coef, graph = make_chain_tasks(n_tasks=5, random_state=0{cls})
    >>> model = FusedSparseGroupLasso{name}(alpha_fused=0.1).fit(X, y, tasks=tasks)
    >>> model.coef_.shape
    (5, 10)
""",
)


class FusedSparseGroupLassoRegressor(IncrementalRegressorMixin, _FusedSparseGroup):
    __doc__ = model_docstring(_FUSED, "squared")


class FusedSparseGroupLassoClassifier(ClassifierMixin, _FusedSparseGroup):
    __doc__ = model_docstring(_FUSED, "logistic")
