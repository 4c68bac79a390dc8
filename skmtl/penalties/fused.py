"""The fused sparse group lasso over an order of the tasks (time points; Zhou et al.,
2012, MALSAR's cFSGL): ``rho1 ||W||_1 + rho2 sum_t ||w_{t+1} - w_t||_1 + rho3 sum_j
||W_j||_2``.

Its prox is exact: the 1-D total-variation prox along each row (projected Newton
on its dual, all rows in one tridiagonal solve per step: :mod:`._tv`), then
soft-thresholding (Friedman et al., 2007), then the row shrinkage. The penalty is a
sum over rows, so its dual norm is the largest row dual norm, each the smallest
``nu`` whose prox maps the row to zero (Newton's method on a convex function of
``nu``, all rows at once: :mod:`._dual_root`).
"""

from __future__ import annotations

import numpy as np

from .._params import Params
from ._base import Penalty
from ._dual_root import nested_dual_norm
from ._tv import tv_prox
from .norms import block_soft_threshold, soft_threshold

__all__ = ["FusedSparseGroupNorm", "tv_prox"]


class FusedSparseGroupNorm(Params, Penalty):
    """``alpha_l1 ||W||_1 + alpha_fused sum_j sum_t |W_j,t+1 - W_jt|
    + alpha_l21 sum_j ||W_j||_2``, the tasks (columns) in their order (time).

    With ``K`` classes it fuses each class's models along the task order
    (``task_axis``): a row is then one feature for one class."""

    task_axis = True

    def __init__(self, alpha_l1=0.0, alpha_fused=0.0, alpha_l21=0.0):
        self.alpha_l1 = float(alpha_l1)
        self.alpha_fused = float(alpha_fused)
        self.alpha_l21 = float(alpha_l21)

    def value(self, W):
        return float(
            self.alpha_l1 * np.abs(W).sum()
            + self.alpha_fused * np.abs(np.diff(W, axis=1)).sum()
            + self.alpha_l21 * np.sqrt(np.einsum("jt,jt->j", W, W)).sum()
        )

    def _inner_rows(self, V, scale):
        """The prox of ``scale`` times the L1 and fused terms (``scale``: a number or
        a column, one per row)."""
        if self.alpha_fused and V.shape[1] > 1:
            V = tv_prox(V, np.ravel(np.multiply(scale, self.alpha_fused)))
        if self.alpha_l1:
            V = soft_threshold(V, np.multiply(scale, self.alpha_l1))
        return V

    def _warm_inner_rows(self):
        """As ``_inner_rows`` (a scale per row), each TV prox started from the dual of
        the call before, rescaled to the new strengths: for the nearby scales of one
        dual-norm search (a local state, dropped with the function)."""
        last = []

        def inner(V, scale):
            if not self.alpha_fused or V.shape[1] <= 1:
                return self._inner_rows(V, scale)
            lam = np.ravel(scale) * self.alpha_fused
            start = None
            if last:
                ratio = np.divide(lam, last[1], out=np.zeros_like(lam), where=last[1] > 0)
                start = last[0] * ratio[:, None]
            V, dual = tv_prox(V, lam, start=start, return_dual=True)
            last[:] = [dual, lam]
            return soft_threshold(V, np.multiply(scale, self.alpha_l1)) if self.alpha_l1 else V

        return inner

    def prox(self, V, step):
        V = self._inner_rows(V, step)
        return block_soft_threshold(V, step * self.alpha_l21) if self.alpha_l21 else V

    def dual_norm_rows(self, G):
        """For each row the smallest ``nu`` with ``prox_{nu * penalty}(G_j) = 0`` (from
        above, to a relative 1e-12: a feasible scale)."""
        return self._dual_norms(G, 0.0)

    def _dual_norms(self, G, floor):
        """``max(floor, dual norm)`` of each row: Newton's method (:mod:`._dual_root`)
        from ``floor`` or a lower bound, on the rows whose upper bound is above
        ``floor`` only."""
        G = np.asarray(G, dtype=float)
        if self.alpha_l21 + self.alpha_l1 == 0:
            raise ValueError("The fused penalty needs alpha_l1 > 0 or alpha_l21 > 0.")
        norms = np.sqrt(np.einsum("jt,jt->j", G, G))
        # prox(nu) is zero for nu >= ||g|| / alpha_l21, and for nu >= ||g|| / alpha_l1
        # (the TV prox does not increase the max-norm beyond ||g||)
        upper = norms / max(self.alpha_l21, self.alpha_l1)
        out = np.full(len(G), float(floor))
        rows = upper > floor
        if not rows.any():
            return out
        G, norms = G[rows], norms[rows]
        inner = self.alpha_l1 * np.abs(G).sum(axis=1)
        if G.shape[1] > 1:
            inner += self.alpha_fused * np.abs(np.diff(G, axis=1)).sum(axis=1)
        # <g, g> / Omega(g) <= Omega^*(g)
        lower = np.divide(
            norms**2, inner + self.alpha_l21 * norms, out=np.zeros_like(norms), where=norms > 0
        )
        out[rows] = nested_dual_norm(
            self._warm_inner_rows(),
            G,
            self.alpha_l21,
            lambda A: A.sum(axis=1),
            lambda nu: nu,
            np.maximum(lower, floor),
            upper[rows],
        )
        return out

    def dual_scale(self, G):
        # only whether a row's dual norm exceeds 1, and the largest, matter: Newton
        # starts at 1, where a gap near the optimum finds most rows feasible
        top = float(self._dual_norms(G, 1.0).max(initial=1.0))
        return 1.0 if top <= 1.0 else 1.0 / top

    def conjugate(self, G):
        return 0.0

    def alpha_max(self, G0):
        """The smallest common factor of the three strengths whose solution is zero."""
        return float(self.dual_norm_rows(G0).max(initial=0.0))

    def cvxpy(self, W):
        import cvxpy as cp

        value = self.alpha_l1 * cp.sum(cp.abs(W)) + self.alpha_l21 * cp.sum(cp.norm(W, 2, axis=1))
        if W.shape[1] > 1:
            value = value + self.alpha_fused * cp.sum(cp.abs(W[:, 1:] - W[:, :-1]))
        return value
