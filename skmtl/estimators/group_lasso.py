"""Joint feature selection: the group (multi-task) lasso and its sparse-group variants."""

from __future__ import annotations

import numbers

import numpy as np

from .._base import _MultiTaskModel, check_number, store_parameters
from .._mixins import ClassifierMixin, IncrementalRegressorMixin
from ..penalties import L1, L21, L1Linf, L1Lq, SparseGroupNorm
from ._docs import docstring

_GROUP_NORMS = ("l2", "linf")


class _GroupLasso(_MultiTaskModel):
    def __init__(
        self,
        alpha=1.0,
        *,
        l1_ratio=0.0,
        group_norm="l2",
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
        check_number(self.alpha, "alpha", low=0)
        check_number(self.l1_ratio, "l1_ratio", low=0, high=1)
        norm = _group_norm(self.group_norm)
        if self.l1_ratio == 1:
            return L1(self.alpha)
        q = None if isinstance(norm, str) else norm
        if q is not None and self.l1_ratio > 0:
            raise ValueError(
                "A group_norm q other than 2 and inf (L1/Lq) needs l1_ratio=0 (or 1); got "
                f"l1_ratio={self.l1_ratio!r}. Use group_norm='l2' or 'linf' to mix."
            )
        if q is not None:
            return L1Lq(self.alpha, q)
        if self.l1_ratio == 0:
            return L21(self.alpha) if norm == "l2" else L1Linf(self.alpha)
        return SparseGroupNorm(self.alpha, self.l1_ratio, norm)


def _group_norm(group_norm):
    """``"l2"``, ``"linf"`` or the exponent ``q`` of an L1/Lq norm (a float in (1,
    inf)), from ``group_norm``: the numbers 2 and inf are ``"l2"`` and ``"linf"``;
    raises for anything else."""
    if isinstance(group_norm, str) and group_norm in _GROUP_NORMS:
        return group_norm
    numeric = isinstance(group_norm, numbers.Real) and not isinstance(group_norm, bool)
    if not numeric or not 1 < group_norm <= np.inf:
        raise ValueError(
            f"group_norm must be one of {_GROUP_NORMS} or a number q in (1, inf] "
            f"(the L1/Lq norm); got {group_norm!r}."
        )
    return {2.0: "l2", np.inf: "linf"}.get(float(group_norm), float(group_norm))


_PARAMETERS = """    alpha : float, default={alpha}
        Regularization strength, >= 0.
    l1_ratio : float, default=0.0
        Mix of the entrywise L1 norm (``l1_ratio=1``: an independent lasso per task)
        and the group norm over rows (``l1_ratio=0``: the group lasso).
    group_norm : {{"l2", "linf"}} or float, default="l2"
        Norm of each row across tasks: ``"l2"`` (L2,1, multi-task lasso),
        ``"linf"`` (L1/L-infinity, Turlach et al.) or a number ``q`` in (1, inf],
        the ``q``-norm (L1/Lq, Liu & Ye 2010; with ``l1_ratio`` 0 only but for
        ``q = 2``, which is ``"l2"``, and ``q = inf``, which is ``"linf"``).
"""
_PENALTY = "alpha * (l1_ratio * ||W||_1 + (1 - l1_ratio) * sum_j ||W_j||)"


class GroupLassoRegressor(IncrementalRegressorMixin, _GroupLasso):
    __doc__ = docstring(
        """Multi-task lasso: least squares with features shared across tasks.

    ``W_j`` is the row of feature ``j`` across tasks and ``||.||`` its 2-norm (or
    max-norm with ``group_norm="linf"``, ``q``-norm with ``group_norm=q``). With one
    design for all tasks (``fit(X, Y)``) and ``l1_ratio=0`` this is sklearn's
    :class:`~sklearn.linear_model.MultiTaskLasso`. Solved by FISTA (on working sets
    when there are many features), stopped on the duality gap.""",
        f"""        sum_t tau_t/(2 n_t) ||y_t - X_t w_t - b_t||^2
            + {_PENALTY}""",
        _PARAMETERS.format(alpha="1.0"),
        loss="squared",
        examples="""    >>> import numpy as np
    >>> from skmtl import GroupLassoRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(60, 5)
    >>> Y = X[:, :2] @ rng.randn(2, 3) + 0.1 * rng.randn(60, 3)
    >>> model = GroupLassoRegressor(alpha=0.1).fit(X, Y)
    >>> model.coef_.shape
    (3, 5)
    >>> bool((model.coef_[:, 2:] == 0).all())
    True
""",
    )


class GroupLassoClassifier(ClassifierMixin, _GroupLasso):
    def __init__(
        self,
        alpha=0.01,
        *,
        l1_ratio=0.0,
        group_norm="l2",
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

    __doc__ = docstring(
        """Multi-task sparse logistic regression with features shared across tasks.

    With two classes ``y_ti`` is +1 for ``classes_[1]`` and -1 otherwise; with
    more, the loss is the multinomial one and ``W_j`` holds feature ``j``'s
    coefficients of every task and class (see ``classes_``). ``W_j`` is the row of
    feature ``j`` across tasks (2-norm, or max-norm with ``group_norm="linf"``,
    ``q``-norm with ``group_norm=q``). Solved by proximal
    Newton (few features) or FISTA (on working sets when there are many features),
    with the intercepts as unpenalized variables, stopped on the duality gap.""",
        f"""        sum_t tau_t/n_t sum_i log(1 + exp(-y_ti (x_ti^T w_t + b_t)))
            (more than two classes: sum_t tau_t/n_t sum_i [logsumexp_k z_tik - z_ti,y_ti]
             with z_tik = x_ti^T w_tk + b_tk, the penalty on every class's models)
            + {_PENALTY}""",
        _PARAMETERS.format(alpha="0.01"),
        loss="logistic",
        examples="""    >>> import numpy as np
    >>> from skmtl import GroupLassoClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(200, 5)
    >>> tasks = rng.randint(3, size=200)
    >>> y = (X[:, 0] + 0.3 * rng.randn(200) > 0).astype(int)
    >>> clf = GroupLassoClassifier(alpha=0.01).fit(X, y, tasks=tasks)
    >>> clf.predict(X[:3], tasks=tasks[:3]).shape
    (3,)
""",
    )
