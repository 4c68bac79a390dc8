"""The fused sparse group lasso over an order of the tasks (time points; Zhou et al.,
2012, MALSAR's cFSGL): ``rho1 ||W||_1 + rho2 sum_t ||w_{t+1} - w_t||_1 + rho3 sum_j
||W_j||_2``.

Its prox is exact: the 1-D total-variation prox along each row (Condat's direct
algorithm, run on all rows in lockstep), then soft-thresholding (Friedman et al.,
2007), then the row shrinkage. The penalty is a sum over rows, so its dual norm is the
largest row dual norm, each the smallest ``nu`` whose prox maps the row to zero
(bisection, all rows at once).
"""

from __future__ import annotations

import numpy as np

from ._base import Penalty
from .norms import block_soft_threshold, soft_threshold

__all__ = ["FusedSparseGroupNorm", "tv_prox"]

_BISECTIONS = 60


def tv_prox(Y, lam):
    """Row-wise ``argmin_x 1/2 ||x - y||^2 + lam * sum_t |x_{t+1} - x_t|`` (exact).

    Condat's direct algorithm (IEEE SPL 2013) on every row at once: each pass of the
    loop advances each unfinished row by one step of its own scan (a few times the
    row length in all); ``lam`` is a number or one per row.
    """
    Y = np.asarray(Y, dtype=float)
    n, T = Y.shape
    out = np.empty_like(Y)
    if T <= 1 or n == 0:  # nothing to fuse
        return Y.copy()
    lam = np.broadcast_to(np.asarray(lam, dtype=float), (n,)).copy()
    rows, cols = np.arange(n), np.arange(T)
    k = np.zeros(n, int)
    k0, kminus, kplus = k.copy(), k.copy(), k.copy()
    umin, umax = lam.copy(), -lam
    vmin, vmax = Y[:, 0] - lam, Y[:, 0] + lam
    done = np.zeros(n, bool)

    def write(mask, stop, value):
        """``out[i, k0_i..stop_i] = value_i`` for the rows in ``mask``."""
        segment = mask[:, None] & (cols >= k0[:, None]) & (cols <= stop[:, None])
        np.copyto(out, np.broadcast_to(value[:, None], out.shape), where=segment)

    while not done.all():
        end = ~done & (k == T - 1)
        # --- rows at the last sample: close a segment, or finish
        c1 = end & (umin < 0)
        c2 = end & ~c1 & (umax > 0)
        c3 = end & ~c1 & ~c2
        if c1.any():
            write(c1, kminus, vmin)
            k0 = np.where(c1, kminus + 1, k0)
            k = np.where(c1, k0, k)
            kminus = np.where(c1, k0, kminus)
            new = Y[rows, np.minimum(k, T - 1)]
            umax = np.where(c1, new + lam - vmax, umax)
            vmin = np.where(c1, new, vmin)
            umin = np.where(c1, lam, umin)
        if c2.any():
            write(c2, kplus, vmax)
            k0 = np.where(c2, kplus + 1, k0)
            k = np.where(c2, k0, k)
            kplus = np.where(c2, k0, kplus)
            new = Y[rows, np.minimum(k, T - 1)]
            umin = np.where(c2, new - lam - vmin, umin)
            vmax = np.where(c2, new, vmax)
            umax = np.where(c2, -lam, umax)
        if c3.any():
            vmin = np.where(c3, vmin + umin / (k - k0 + 1), vmin)
            write(c3, k, vmin)
            done |= c3
        # --- rows inside: take the next sample
        inner = ~done & ~end
        if not inner.any():
            continue
        nxt = Y[rows, np.minimum(k + 1, T - 1)]
        umin_new = umin + nxt - vmin
        n1 = inner & (umin_new < -lam)
        umax_new = umax + nxt - vmax
        n2 = inner & ~n1 & (umax_new > lam)
        n3 = inner & ~n1 & ~n2
        if n1.any():
            write(n1, kminus, vmin)
        if n2.any():
            write(n2, kplus, vmax)
        jump = n1 | n2
        start = np.where(n1, kminus + 1, kplus + 1)
        k0 = np.where(jump, start, k0)
        k = np.where(jump, k0, k)
        kminus = np.where(jump, k0, kminus)
        kplus = np.where(jump, k0, kplus)
        first = Y[rows, np.minimum(k, T - 1)]
        vmin = np.where(n1, first, np.where(n2, first - 2 * lam, vmin))
        vmax = np.where(n1, first + 2 * lam, np.where(n2, first, vmax))
        umin = np.where(jump, lam, np.where(n3, umin_new, umin))
        umax = np.where(jump, -lam, np.where(n3, umax_new, umax))
        # no jump: extend the segment, tightening its bounds
        k = np.where(n3, k + 1, k)
        low = n3 & (umin >= lam)
        vmin = np.where(low, vmin + (umin - lam) / (k - k0 + 1), vmin)
        kminus = np.where(low, k, kminus)
        umin = np.where(low, lam, umin)
        high = n3 & (umax <= -lam)
        vmax = np.where(high, vmax + (umax + lam) / (k - k0 + 1), vmax)
        kplus = np.where(high, k, kplus)
        umax = np.where(high, -lam, umax)
    return out


class FusedSparseGroupNorm(Penalty):
    """``alpha_l1 ||W||_1 + alpha_fused sum_j sum_t |W_j,t+1 - W_jt|
    + alpha_l21 sum_j ||W_j||_2``, the tasks (columns) in their order (time).

    With ``K`` classes it fuses each class's models along the task order
    (``task_axis``): a row is then one feature for one class."""

    task_axis = True

    def __init__(self, alpha_l1=0.0, alpha_fused=0.0, alpha_l21=0.0):
        self.alpha_l1 = float(alpha_l1)
        self.alpha_fused = float(alpha_fused)
        self.alpha_l21 = float(alpha_l21)

    def __repr__(self):
        return (
            f"FusedSparseGroupNorm(alpha_l1={self.alpha_l1}, alpha_fused={self.alpha_fused}, "
            f"alpha_l21={self.alpha_l21})"
        )

    def value(self, W):
        return float(
            self.alpha_l1 * np.abs(W).sum()
            + self.alpha_fused * np.abs(np.diff(W, axis=1)).sum()
            + self.alpha_l21 * np.sqrt(np.einsum("jt,jt->j", W, W)).sum()
        )

    def _prox_rows(self, V, scale):
        """The prox of ``scale * penalty`` (``scale``: a number or one per row)."""
        scale = np.asarray(scale, dtype=float)
        if self.alpha_fused and V.shape[1] > 1:
            V = tv_prox(V, scale * self.alpha_fused)
        per_row = scale[:, None] if scale.ndim else scale
        if self.alpha_l1:
            V = soft_threshold(V, per_row * self.alpha_l1)
        if self.alpha_l21:
            if scale.ndim:
                norms = np.sqrt(np.einsum("jt,jt->j", V, V))
                shrink = np.maximum(norms - scale * self.alpha_l21, 0.0)
                np.divide(shrink, norms, out=shrink, where=norms > 0)
                V = V * shrink[:, None]
            else:
                V = block_soft_threshold(V, scale * self.alpha_l21)
        return V

    def prox(self, V, step):
        return self._prox_rows(V, step)

    def dual_norm_rows(self, G):
        """For each row the smallest ``nu`` with ``prox_{nu * penalty}(G_j) = 0`` (the
        upper end of the bisection bracket: a feasible scale)."""
        norms = np.sqrt(np.einsum("jt,jt->j", G, G))
        bound = self.alpha_l21 + (self.alpha_l1 if G.shape[1] else 0.0)
        if bound == 0:
            raise ValueError("The fused penalty needs alpha_l1 > 0 or alpha_l21 > 0.")
        # prox(nu) is zero for nu >= ||g|| / alpha_l21, and for nu >= ||g|| / alpha_l1
        # (the TV prox does not increase the max-norm beyond ||g||)
        high = norms / max(self.alpha_l21, self.alpha_l1)
        low = np.zeros_like(high)
        for _ in range(_BISECTIONS):
            mid = 0.5 * (low + high)
            zero = ~np.any(self._prox_rows(G, mid), axis=1)
            high = np.where(zero, mid, high)
            low = np.where(zero, low, mid)
        return high

    def dual_scale(self, G):
        top = float(self.dual_norm_rows(G).max(initial=0.0))
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
