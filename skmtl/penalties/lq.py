"""The L1/Lq norm over rows, ``alpha * sum_j ||W_j||_q`` for any ``q`` in (1, inf).

Its prox is exact up to round-off: by Moreau, ``prox(V) = V - Proj(V)`` with
``Proj`` the row-wise projection onto the ball of radius ``step * alpha`` of the
dual norm ``p = q / (q - 1)``. The projection of a row ``v`` outside the ball is
``sign(v) u`` with ``u_i`` the root of ``u + lam p u^(p-1) = |v_i|`` for the
multiplier ``lam > 0`` at which ``||u||_p`` is the radius: a safeguarded Newton
method on ``lam`` (every row at once), each step with an entrywise Newton solve of
the inner equation (monotone from above, on a variable in which it is convex).
"""

from __future__ import annotations

import numpy as np

from ._base import RowNormPenalty

__all__ = ["L1Lq", "project_lp_ball", "lq_prox"]

_EPS = np.finfo(float).eps


def _row_lp(a, p):
    """``||a_j||_p`` of non-negative rows, scaled by the row maximum (no overflow)."""
    top = a.max(axis=1, initial=0.0)
    safe = np.where(top > 0, top, 1.0)
    return top * np.sum((a / safe[:, None]) ** p, axis=1) ** (1.0 / p)


def _inner_root(a, c, p, start=None, max_iter=100):
    """``u >= 0`` solving ``u + c u^(p-1) = a`` entrywise (``a >= 0``, ``c >= 0``).

    With ``p >= 2`` the left side is convex in ``u``; with ``p < 2`` it is convex in
    ``v = u^(p-1)`` (``u = v^e``, ``e = 1 / (p - 1)``). Newton's method on a convex
    increasing function from a point above the root decreases monotonically to it,
    so it stops when the iterates stop decreasing. ``start`` (above the root) may
    replace the default start ``a``.
    """
    if p >= 2:
        u = a.copy() if start is None else start.copy()
        for _ in range(max_iter):
            h = u + c * u ** (p - 1) - a
            slope = 1.0 + c * (p - 1) * u ** (p - 2) if p > 2 else 1.0 + c  # p - 2 >= 0
            new = np.maximum(u - h / slope, 0.0)
            if not np.any(new < u * (1 - 4 * _EPS)):
                return new
            u = new
        return u
    e = 1.0 / (p - 1)
    v = a ** (p - 1) if start is None else start ** (p - 1)
    for _ in range(max_iter):
        h = v**e + c * v - a
        slope = e * v ** (e - 1) + c
        new = np.maximum(v - np.divide(h, slope, out=np.zeros_like(h), where=slope > 0), 0.0)
        if not np.any(new < v * (1 - 4 * _EPS)):
            return new**e
        v = new
    return v**e


def project_lp_ball(V, radius, p, max_iter=200):
    """Row-wise Euclidean projection of ``V`` onto ``{x : ||x||_p <= radius}``.

    ``p`` in (1, inf). Rows inside the ball are returned unchanged; the others are
    solved for their multiplier ``lam`` by Newton steps kept inside a bracket
    ``[lo, hi]`` (bisection when a step leaves it), to machine precision.
    """
    V = np.asarray(V, dtype=float)
    out = V.copy()
    if radius <= 0:
        return np.zeros_like(V)
    a_all = np.abs(V)
    outside = _row_lp(a_all, p) > radius
    if not outside.any():
        return out
    a = a_all[outside]
    scale = a.max(axis=1)[:, None]  # each row scaled to max |v_i| = 1
    a = a / scale
    r = radius / scale[:, 0]
    target = r**p
    q = p / (p - 1)
    # phi(lam) = sum u^p - r^p decreases from ||a||_p^p - r^p > 0 to 0 at hi
    lo = np.zeros(len(a))
    hi = _row_lp(a, q) / (p * r ** (p - 1))
    lam = 0.5 * hi
    u = _inner_root(a, (lam * p)[:, None], p)
    for _ in range(max_iter):
        phi = np.sum(u**p, axis=1) - target
        lo = np.where(phi > 0, lam, lo)
        hi = np.where(phi < 0, lam, hi)
        # d u / d lam = -p u / (u^(2-p) + lam p (p-1)), stable as u -> 0
        positive = u > 0
        power = np.where(positive, u, 1.0) ** (2 - p)
        du = np.where(positive, -p * u / (power + (lam * p * (p - 1))[:, None]), 0.0)
        dphi = np.sum(p * u ** (p - 1) * du, axis=1)
        step = np.divide(phi, dphi, out=np.zeros_like(phi), where=dphi < 0)
        new = lam - step
        bad = ~((new > lo) & (new < hi))
        new = np.where(bad, 0.5 * (lo + hi), new)
        done = (np.abs(phi) <= 8 * _EPS * target) | (hi - lo <= 4 * _EPS * hi)
        if done.all():
            break
        # a larger lam gives smaller roots: the old ones are above the new, a valid
        # start; a smaller lam restarts from a
        start = np.where((new >= lam)[:, None], u, a)
        lam = np.where(done, lam, new)
        u = _inner_root(a, (lam * p)[:, None], p, start=start)
    out[outside] = np.sign(V[outside]) * u * scale
    return out


def lq_prox(V, threshold, q):
    """Row-wise prox of ``threshold * ||.||_q``: ``V - Proj_{||.||_p <= threshold}(V)``
    with ``p = q / (q - 1)``; rows whose ``p``-norm is at most ``threshold`` are zero."""
    if threshold <= 0:
        return np.array(V, dtype=float)
    p = q / (q - 1.0)
    result = V - project_lp_ball(V, threshold, p)
    small = _row_lp(np.abs(V), p) <= threshold
    result[small] = 0.0
    return result


class L1Lq(RowNormPenalty):
    """``alpha * sum_j ||W_j||_q`` for ``q`` in (1, inf): the L1/Lq group lasso over
    rows (Liu & Ye 2010). ``q = 2`` is :class:`L21`; as ``q`` grows it approaches
    :class:`L1Linf`.

    Prox: ``V - Proj`` onto the ball of the dual norm ``q* = q / (q - 1)``, row-wise
    (``project_lp_ball``). Dual norm: the largest row ``q*``-norm.
    """

    def __init__(self, alpha=1.0, q=2.0):
        super().__init__(alpha)
        q = float(q)
        if not 1.0 < q < np.inf:
            raise ValueError(f"q must be a number in (1, inf); got {q!r}.")
        self.q = q

    @property
    def dual_q(self):
        return self.q / (self.q - 1.0)

    def norm(self, W):
        return float(_row_lp(np.abs(W), self.q).sum())

    def dual_norm_rows(self, G):
        return _row_lp(np.abs(G), self.dual_q)

    def prox(self, V, step):
        return lq_prox(V, step * self.alpha, self.q)

    def cvxpy_norm(self, W):
        import cvxpy as cp

        # cvxpy's pnorm takes an axis for p = 2 only: one norm per row
        return cp.sum(cp.hstack([cp.norm(W[j], self.q) for j in range(W.shape[0])]))
