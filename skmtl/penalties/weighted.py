"""Row-weighted L2,1 and L1 norms: ``alpha * sum_j w_j omega(W_j)`` with ``w_j >= 0``.

They are the convex stages of the non-convex row penalties (each stage reweights the
rows; :mod:`skmtl.penalties.nonconvex`). A zero weight leaves its row unpenalized.

Duality gap with unpenalized rows. The dual constraint of such a row is an
equality, ``G_j = 0``, which a dual point built from the gradient meets only at the
optimum: its conjugate would be infinite and the gap useless. So the penalty adds
the constraint ``omega(W_j) <= radius`` on the unpenalized rows (``radius`` given
by the caller, far above the rows' size at the optimum, where it is inactive: the
optimum is the same). The conjugate of that constraint is finite,
``radius * sum_{w_j = 0} omega^*(G_j)``, and goes to zero with ``G_j``: the gap
certifies the constrained problem, which has the same solution as long as the
unpenalized rows end strictly inside the radius (the estimators check that).
Scaling the dual point into the ball only involves the penalized rows.
"""

from __future__ import annotations

import numpy as np

from ._base import RowNormPenalty
from .norms import _row_norms, block_soft_threshold, soft_threshold

__all__ = ["WeightedL21", "WeightedL1"]


def check_row_weights(weights):
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 1 or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(
            "weights must be a 1-D array of finite numbers >= 0 (one per feature); "
            f"got {weights!r}."
        )
    return weights


class _WeightedRows(RowNormPenalty):
    """Shared logic; subclasses give ``_ord`` (the row norm) and ``_dual_ord``."""

    _ord = 2
    _dual_ord = 2

    def __init__(self, alpha=1.0, weights=None, radius=np.inf):
        super().__init__(alpha)
        self.weights = None if weights is None else check_row_weights(weights)
        self.radius = float(radius)

    def free_rows(self, n_rows):
        return self._weights(n_rows) == 0

    def restrict(self, rows):
        if self.weights is None:
            return self
        return type(self)(self.alpha, self.weights[rows], self.radius)

    def _weights(self, n_rows):
        if self.weights is None:
            return np.ones(n_rows)
        if len(self.weights) != n_rows:
            raise ValueError(f"weights has {len(self.weights)} entries for {n_rows} features.")
        return self.weights

    def norm(self, W):
        return float(self._weights(W.shape[0]) @ _row_norms(W, self._ord))

    def dual_norm_rows(self, G):
        """``omega^*(G_j) / w_j`` on the penalized rows, 0 on the others (their
        constraint is handled by :meth:`conjugate`)."""
        w = self._weights(G.shape[0])
        norms = _row_norms(G, self._dual_ord)
        return np.divide(norms, w, out=np.zeros_like(norms), where=w > 0)

    def alpha_max(self, G0):
        """``max_j omega^*(G0_j) / w_j``; ``inf`` when an unpenalized row has a
        nonzero gradient at zero (no strength then zeroes every coefficient)."""
        w = self._weights(G0.shape[0])
        free = w == 0
        if np.any(_row_norms(G0[free], self._dual_ord) > 0):
            return np.inf
        return float(self.dual_norm_rows(G0).max(initial=0.0))

    def conjugate(self, G):
        free = self._weights(G.shape[0]) == 0
        if not free.any():
            return 0.0
        size = _row_norms(G[free], self._dual_ord).sum()
        if size == 0:
            return 0.0
        return float(self.radius * size) if np.isfinite(self.radius) else np.inf

    def safe_rows(self, G, radii):
        return np.zeros(G.shape[0], dtype=bool)

    def prox(self, V, step):
        w = self._weights(V.shape[0])
        threshold = (step * self.alpha) * w
        return self._row_prox(V, threshold)

    def cvxpy_terms(self, W):
        import cvxpy as cp

        w = self._weights(W.shape[0])
        norms = cp.norm(W, self._ord, axis=1)
        constraints = []
        free = np.flatnonzero(w == 0)
        if len(free) and np.isfinite(self.radius):
            constraints = [cp.norm(W[free], self._ord, axis=1) <= self.radius]
        return self.alpha * (w @ norms), constraints


class WeightedL21(_WeightedRows):
    """``alpha * sum_j w_j ||W_j||_2`` with row weights ``w_j >= 0`` (default all 1,
    :class:`L21`); ``radius`` bounds the unpenalized rows for the gap (module doc).

    Prox: block soft-thresholding at ``step * alpha * w_j``.
    """

    _ord = 2
    _dual_ord = 2

    def _row_prox(self, V, threshold):
        return block_soft_threshold(V, threshold)


class WeightedL1(_WeightedRows):
    """``alpha * sum_j w_j ||W_j||_1`` with row weights ``w_j >= 0`` (default all 1,
    :class:`L1`); ``radius`` bounds the unpenalized rows for the gap (module doc).

    Prox: soft-thresholding of row ``j`` at ``step * alpha * w_j``.
    """

    _ord = 1
    _dual_ord = np.inf

    def _row_prox(self, V, threshold):
        return soft_threshold(V, threshold[:, None])
