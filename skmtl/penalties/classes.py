"""Penalties on the coefficients of a multinomial model.

With ``K`` classes the coefficient block has ``K T`` columns, one per class-expanded
virtual task, class by class (column ``k T + t`` is class ``k`` of task ``t``). A
penalty on features (group lasso, L1, trace norm, ...) acts on that ``(d, K T)``
block as it is: a feature is selected for every task and class at once, a subspace
shared by every task-class predictor. A penalty built from a task structure (a
mean, a graph, clusters, a task covariance, whole task columns), which declares
``task_axis``, acts instead on the ``(d K, T)`` block whose column ``t`` stacks the
``K`` class models of task ``t``: it couples the same class across tasks (for
``tr(W M W^T)`` that is ``kron(I_K, M)`` on the virtual columns), and the task
matrix it learns (clusters, covariance) is one ``T x T`` matrix for all classes.
"""

from __future__ import annotations

import numpy as np

from .split import SplitPenalty

__all__ = ["TaskBlocks", "for_classes"]

#: the methods of a penalty that take a coefficient (or gradient) block first
_ON_BLOCK = (
    "value",
    "gradient",
    "dual_scale",
    "conjugate",
    "cvxpy",
    "cvxpy_terms",
    "alpha_max",
    "norm",
    "dual_norm",
    "task_matrix",
    "spectrum",
    "task_covariance",
)


def for_classes(penalty, n_classes):
    """``penalty`` for the ``(d, K T)`` block of a ``K``-class model (itself for
    ``K = 1``); the parts of a split penalty each on their own terms."""
    if n_classes <= 1:
        return penalty
    if penalty.split:
        return SplitPenalty(
            for_classes(penalty.first, n_classes), for_classes(penalty.second, n_classes)
        )
    if penalty.composite:
        return type(penalty)(
            for_classes(penalty.quadratic_part, n_classes),
            for_classes(penalty.norm_part, n_classes),
        )
    if getattr(penalty, "task_axis", False):
        return TaskBlocks(penalty, n_classes)
    return penalty


class TaskBlocks:
    """``penalty`` applied to the ``(d K, T)`` view of a ``(d, K T)`` block."""

    row_separable = False
    split = False
    quadratic = False

    def __init__(self, penalty, n_classes):
        self.penalty, self.n_classes = penalty, int(n_classes)

    def __repr__(self):
        return f"TaskBlocks({self.penalty!r}, n_classes={self.n_classes})"

    def by_task(self, W):
        """The ``(d K, T)`` view: column ``t`` holds task ``t``'s ``K`` class models."""
        T = W.shape[1] // self.n_classes
        if isinstance(W, np.ndarray):
            return W.reshape(-1, T)
        import cvxpy as cp

        return cp.reshape(W, (W.shape[0] * self.n_classes, T), order="C")

    def by_column(self, V):
        """The inverse of ``by_task``."""
        return V.reshape(-1, V.shape[1] * self.n_classes)

    def prox(self, V, step):
        return self.by_column(self.penalty.prox(self.by_task(V), step))

    def __getattr__(self, name):
        if name.startswith("__") or name in ("penalty", "n_classes"):
            raise AttributeError(name)
        inner = getattr(self.penalty, name)
        if name == "lipschitz":  # of kron(I_K, M): that of M
            return inner
        if name not in _ON_BLOCK:  # parameters (alpha, n_clusters, ...), not methods
            if callable(inner):
                raise AttributeError(name)
            return inner

        def method(W, *args):
            out = inner(self.by_task(W), *args)
            return self.by_column(out) if name == "gradient" else out

        method.stub = getattr(inner, "stub", False)
        return method
