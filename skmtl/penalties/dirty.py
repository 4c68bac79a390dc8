"""The dirty model's penalty as one norm on ``W``: a sum over its rows.

``min_{P + Q = W} a ||P||_{1,q} + b ||Q||_1`` (``q`` = inf or 2) is the infimal
convolution of two row-separable norms, so it is itself a norm that is a sum over
the rows of ``W``: ``omega(w) = min_{p + q = w} a ||p||_q + b ||q||_1``. Its dual
ball is the intersection of the two dual balls (``||g||_{q*} <= a`` and
``||g||_inf <= b``), its prox is ``v`` minus the projection onto that intersection
(one multiplier: soft-thresholding then clipping for ``q = inf``, scaling then
clipping for ``q = 2``), and the optimal split of a row clips it at a level ``s``:
``p = clip(w, -s, s)``, ``q = w - p``. Solvers for row-separable penalties
(coordinate descent, working sets) then solve the dirty model on ``W`` alone, with
the same duality gap as the split form (whose dual has both constraints).
"""

from __future__ import annotations

import numpy as np

from ._base import RowNormPenalty

__all__ = ["DirtyRowNorm"]


def _sorted_abs(V):
    """``|V|`` with each row in decreasing order."""
    return -np.sort(-np.abs(V), axis=1)


def _clip_rows(V, level):
    """Each row of ``V`` clipped to ``[-level_j, level_j]``."""
    return np.clip(V, -level[:, None], level[:, None])


def _project_l1_box_row(v, radius, box, weights=None):
    """:meth:`DirtyRowNorm._project_l1_box` of one row ``v`` (1-D)."""
    a = np.abs(v)
    clipped = np.minimum(a, box)
    start = clipped.sum()
    if start <= radius:
        return np.copysign(clipped, v)
    c = np.ones_like(a) if weights is None else np.broadcast_to(weights, a.shape)
    events = np.concatenate([(a - clipped) / c, a / c])
    order = np.argsort(events)
    where = events[order]
    rate = np.cumsum(np.concatenate([c, -c])[order])
    h = np.empty_like(where)
    h[0] = start
    np.cumsum(rate[:-1] * np.diff(where), out=h[1:])
    np.subtract(start, h[1:], out=h[1:])
    j = int(np.searchsorted(-h, -radius))  # the first event with h <= radius (j > 0)
    if j == len(h) or not rate[j - 1] > 0:  # (see _falling_in_turn)
        return np.copysign(_falling_in_turn(a[None], clipped[None], radius, c[None])[0], v)
    tau = where[j - 1] + (h[j - 1] - radius) / rate[j - 1]
    return np.copysign(np.clip(a - tau * c, 0.0, box), v)


def _falling_in_turn(a, clipped, radius, c):
    """The projection of :meth:`DirtyRowNorm._project_l1_box` (of rows ``a >= 0``,
    their entries ``clipped`` to the box) where each entry's fall from the box to zero
    is a step: entries keep their clipped value in decreasing order of ``a / c``
    until ``radius`` is spent, the next keeps the rest. Exact when the box is below
    the round-off of ``a`` (a box of 6e-10 beside entries of 1e8: the two events of
    an entry, ``(a - box) / c`` and ``a / c``, are one float, ``h`` never falls along
    the events, and the interpolation divided by a zero rate)."""
    order = np.argsort(-(a / c), axis=1)
    kept = np.take_along_axis(clipped, order, axis=1)
    before = np.cumsum(kept, axis=1) - kept
    out = np.empty_like(kept)
    np.put_along_axis(out, order, np.clip(radius - before, 0.0, kept), axis=1)
    return out


def _unit_events(a, clipped):
    """The events of :meth:`DirtyRowNorm._project_l1_box` with unit weights, each
    row's ``2 T`` in increasing order, and the number of entries falling after each.

    A plain sort, not an argsort (1.6-2x faster on 27 x 139 rows): each event's kind
    rides in the last bit of its value's binary form (non-negative floats order as
    their bits do), which moves the event by at most one ulp, and ``h`` by its
    round-off only."""
    n, T = a.shape
    keys = np.empty((n, 2 * T), dtype=np.int64)
    keys[:, :T] = (a - clipped).view(np.int64) & ~1  # starts falling: kind 0
    keys[:, T:] = a.view(np.int64) | 1  # stops: kind 1
    keys.sort(axis=1)
    stops = keys & 1
    return (keys - stops).view(np.float64), np.cumsum(1 - 2 * stops, axis=1)


class DirtyRowNorm(RowNormPenalty):
    """``sum_j min_{p + q = W_j} shared ||p||_q + specific ||q||_1`` with ``q`` =
    ``"linf"`` or ``"l2"`` (``group_norm``): the dirty model's penalty on ``W = P + Q``.

    A norm with ``alpha = 1`` (the strengths are inside); :meth:`parts` gives the
    optimal parts ``(P, Q)`` (not ``split``, the attribute of a penalty on ``[P; Q]``).
    """

    def __init__(self, shared=1.0, specific=1.0, group_norm="linf"):
        super().__init__(1.0)
        self.shared, self.specific = float(shared), float(specific)
        self.group_norm = group_norm
        #: :meth:`prox_diagonal` is available (coordinate descent uses it)
        self.diagonal_prox = group_norm == "linf"

    def parts(self, W):
        """The optimal parts ``(P, Q)`` of ``W``: ``P = clip(W_j, -s_j, s_j)`` row-wise."""
        W = np.asarray(W, dtype=float)
        u = _sorted_abs(W)
        n, T = u.shape
        ratio = self.shared / self.specific
        if self.group_norm == "linf":
            # the cost a s + b sum (|w_i| - s)_+ has slope a - b #{|w_i| > s}: the
            # level is the (m + 1)-th largest |w_i| with m = floor(a / b)
            m = int(np.floor(ratio))
            level = u[:, m] if m < T else np.zeros(n)
        else:
            # KKT: p = t g with g_i = b sign(q_i) where q_i != 0, so p clips w at s
            # with ||p||_2 = (a / b) s; with k entries clipped, k s^2 + S_k = r^2 s^2
            r2 = ratio**2
            squares = u**2
            # g(u_k) = sum_i min(u_i, u_k)^2 - r^2 u_k^2 (k = 1..T): negative on a prefix
            below = np.cumsum(squares[:, ::-1], axis=1)[:, ::-1]  # sum_{i >= k} u_i^2
            ks = np.arange(T)  # entries above u_k (0-based k)
            g = ks * squares + below - r2 * squares
            k = np.count_nonzero((g < 0) & (u > 0), axis=1)  # the clipped entries
            tail = np.where(k < T, below[np.arange(n), np.minimum(k, T - 1)], 0.0)
            level = np.sqrt(tail / np.maximum(r2 - k, np.finfo(float).tiny))
            level = np.where(k < T, level, 0.0)
        P = _clip_rows(W, level)
        return P, W - P

    def split_form(self):
        """The same penalty on the stacked parts ``[P; Q]``
        (:class:`~skmtl.penalties.split.SplitPenalty` of the group norm and L1), whose
        prox is two separate row proxes: cheaper than :meth:`prox` (a sort of ``2 T``
        events per row), which FISTA on ``[P; Q]`` pays at every iteration."""
        from .norms import L1, L21, L1Linf
        from .split import SplitPenalty

        group = L1Linf if self.group_norm == "linf" else L21
        return SplitPenalty(group(self.shared), L1(self.specific))

    def norm(self, W):
        P, Q = self.parts(W)
        ord_ = np.inf if self.group_norm == "linf" else 2
        group = np.linalg.norm(P, ord=ord_, axis=1).sum() if P.size else 0.0
        return float(self.shared * group + self.specific * np.abs(Q).sum())

    def dual_norm_rows(self, G):
        group = np.abs(G).sum(axis=1) if self.group_norm == "linf" else np.linalg.norm(G, axis=1)
        top = np.abs(G).max(axis=1, initial=0.0)
        return np.maximum(group / self.shared, top / self.specific)

    def prox(self, V, step):
        return V - self._project(V, step * self.shared, step * self.specific)

    def _project(self, V, radius, box):
        """The projection of each row onto ``{||x||_{q*} <= radius, ||x||_inf <= box}``."""
        if self.group_norm == "linf":
            return self._project_l1_box(V, radius, box)
        return self._project_l2_box(V, radius, box)

    @staticmethod
    def _project_l1_box(V, radius, box, weights=None):
        """Each row's projection onto ``{||x||_1 <= radius, ||x||_inf <= box}`` in the
        metric ``sum_i (x_i - v_i)^2 / weights_i`` (weights > 0, one per column;
        default ones)."""
        # x_i = sign(v_i) clip(|v_i| - tau c_i, 0, box) with the smallest tau >= 0
        # that puts h(tau) = sum |x_i| <= radius. h is piecewise linear and
        # decreasing: entry i falls at rate c_i for tau in [(|v_i| - box)_+ / c_i,
        # |v_i| / c_i]. Sort those 2T events, accumulate the rate and h along them,
        # interpolate in the segment where h crosses the radius
        if V.shape[0] == 1:  # one row (coordinate descent): fewer, cheaper steps
            return _project_l1_box_row(V[0], radius, box, weights)[None]
        a = np.abs(V)
        clipped = np.minimum(a, box)
        start = clipped.sum(axis=1)  # h(0)
        rows = np.flatnonzero(start > radius)
        out = np.copysign(clipped, V)
        if len(rows) == 0:
            return out
        a, start = a[rows], start[rows]
        n, T = a.shape
        if weights is None:
            c = 1.0
            where, rate = _unit_events(a, clipped[rows])
        else:
            c = np.broadcast_to(weights, (T,))
            events = np.concatenate([(a - clipped[rows]) / c, a / c], axis=1)
            # any order of tied events gives the same h (continuous): no stable sort
            order = np.argsort(events, axis=1)
            where = np.take_along_axis(events, order, axis=1)
            rate = np.cumsum(np.concatenate([c, -c])[order], axis=1)  # entries falling
        drop = rate[:, :-1] * np.diff(where, axis=1)
        h = start[:, None] - np.concatenate([np.zeros((n, 1)), np.cumsum(drop, axis=1)], axis=1)
        # the first event with h <= radius (h ends at zero): not the first one, where
        # h is still h(0) > radius; the rate before it is positive
        j = np.argmax(h <= radius, axis=1)
        i, prev = np.arange(n), j - 1
        with np.errstate(divide="ignore", invalid="ignore"):  # (stepped: replaced below)
            tau = where[i, prev] + (h[i, prev] - radius) / rate[i, prev]
        x = np.clip(a - tau[:, None] * c, 0.0, box)
        stepped = (j == 0) | ~(rate[i, prev] > 0)  # (see _falling_in_turn)
        if stepped.any():
            weights = np.broadcast_to(c, a.shape)[stepped]
            x[stepped] = _falling_in_turn(a[stepped], clipped[rows][stepped], radius, weights)
        out[rows] = np.copysign(x, V[rows])
        return out

    def prox_diagonal(self, V, curvature):
        """``argmin_W sum_ij curvature_j (W_ij - V_ij)^2 / 2 + R(W)`` (``curvature`` > 0,
        one per column): the exact minimiser of a row's separable quadratic model
        (coordinate descent). For the L-infinity group norm only."""
        c = np.asarray(curvature, dtype=float)
        G = self._project_l1_box(c * V, self.shared, self.specific, c)
        return V - G / c

    @staticmethod
    def _project_l2_box(V, radius, box):
        # x = clip(c v, -box, box) with the largest c in (0, 1] that puts ||x||_2 <=
        # radius; with the k largest |v_i| clipped, k box^2 + c^2 S_k = radius^2
        clipped = np.clip(V, -box, box)
        inside = np.einsum("ij,ij->i", clipped, clipped) <= radius**2
        rows = np.flatnonzero(~inside)
        if len(rows) == 0:
            return clipped
        v = V[rows]
        u = _sorted_abs(v)
        T = u.shape[1]
        squares = u**2
        below = np.cumsum(squares[:, ::-1], axis=1)[:, ::-1]  # sum_{i >= k} u_i^2
        # phi at the breakpoint c_k = box / u_k (k-th largest just clipped):
        # k box^2 + (box / u_k)^2 S_{k+1}; increasing in k. The clipped count is the
        # number of breakpoints where phi is still below radius^2
        ks = np.arange(T)
        with np.errstate(divide="ignore", invalid="ignore"):
            phi = ks * box**2 + np.where(u > 0, box**2 * below / squares, np.inf)
        k = np.count_nonzero(phi < radius**2, axis=1)
        tail = below[np.arange(len(rows)), np.minimum(k, T - 1)]
        c = np.sqrt(np.maximum(radius**2 - k * box**2, 0.0) / np.where(tail > 0, tail, 1.0))
        out = np.array(clipped)
        out[rows] = np.clip(c[:, None] * v, -box, box)
        return out

    def safe_rows(self, G, radii):
        """Rows whose dual ball constraints hold strictly at any point within
        ``radii`` of ``G`` (both the group and the entrywise bound)."""
        top = np.abs(G).max(axis=1, initial=0.0) + radii.max(axis=1, initial=0.0)
        if self.group_norm == "linf":
            group = np.abs(G).sum(axis=1) + radii.sum(axis=1)
        else:
            group = np.linalg.norm(G, axis=1) + np.linalg.norm(radii, axis=1)
        return (group < self.shared) & (top < self.specific)

    def cvxpy_terms(self, W):
        import cvxpy as cp

        P = cp.Variable(W.shape)
        if self.group_norm == "linf":
            group = cp.sum(cp.max(cp.abs(P), axis=1))
        else:
            group = cp.sum(cp.norm(P, 2, axis=1))
        return self.shared * group + self.specific * cp.sum(cp.abs(W - P)), []

    def cvxpy_norm(self, W):
        raise NotImplementedError("DirtyRowNorm is a minimum over P: see cvxpy_terms.")
