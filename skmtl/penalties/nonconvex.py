"""Non-convex row penalties ``sum_j phi(omega(W_j))`` for joint feature selection.

``phi`` is concave and non-decreasing on ``[0, inf)`` with ``phi(0) = 0``, so each
one lies below its tangent: ``phi(r) <= phi(r0) + phi'(r0) (r - r0)``. The
multi-stage convex relaxation (local linear approximation, Zou & Li 2008; Gong, Ye
& Zhang 2012 for the capped L1) minimises at each stage the convex majorant, the
row-weighted norm ``sum_j phi'(omega(W_j^old)) omega(W_j)`` (a
:class:`~skmtl.penalties.WeightedL21` or :class:`~skmtl.penalties.WeightedL1`
with ``alpha * weights = phi'``), and so never increases the objective. The first
stage, from ``W = 0``, is the convex lasso-type problem with ``phi'(0) = alpha``.

These classes give the value, the stage weights and a stationarity measure; they
have no prox and are not solver penalties themselves.
"""

from __future__ import annotations

import numpy as np

from .._params import describe, public_attributes
from .norms import L1, L21, _row_norms
from .weighted import WeightedL1, WeightedL21

__all__ = ["RowCappedL1", "BlockMCP", "BlockSCAD"]


class _NonConvexRows:
    """``sum_j phi(omega(W_j))``; subclasses give ``phi``, ``derivative`` and
    ``_ord`` (1 or 2)."""

    _ord = 2

    def __repr__(self):
        return describe(self, public_attributes(self))

    def row_norms(self, W):
        return _row_norms(W, self._ord)

    def value(self, W):
        return float(self.phi(self.row_norms(W)).sum())

    def stage_weights(self, W):
        """``phi'(omega(W_j)) / alpha`` (in [0, 1]): the weights of the next stage."""
        if self.alpha == 0:
            return np.ones(W.shape[0])
        return self.derivative(self.row_norms(W)) / self.alpha

    def stage_penalty(self, W, radius=np.inf):
        """The convex majorant's penalty at ``W`` (up to a constant)."""
        cls = WeightedL21 if self._ord == 2 else WeightedL1
        return cls(self.alpha, self.stage_weights(W), radius)

    def convex_penalty(self):
        """The first stage's penalty (all weights one): L2,1 or L1."""
        return L21(self.alpha) if self._ord == 2 else L1(self.alpha)

    def stationarity(self, W, G):
        """How far ``W`` is from a stationary point of ``loss + penalty``, given
        ``G = -grad loss(W)``: the largest, over rows, Euclidean distance from
        ``G_j`` to ``phi'(omega(W_j)) d omega(W_j)`` (the limiting subdifferential
        off the kinks of ``phi``; 0 at a fixed point of the stages)."""
        r = self.row_norms(W)
        weight = self.derivative(r)
        if self._ord == 2:
            safe = np.where(r > 0, r, 1.0)
            on = np.linalg.norm(G - (weight / safe)[:, None] * W, axis=1)
            off = np.maximum(np.linalg.norm(G, axis=1) - weight, 0.0)
            return float(np.max(np.where(r > 0, on, off), initial=0.0))
        w = weight[:, None]
        entry = np.where(W != 0, np.abs(G - w * np.sign(W)), np.maximum(np.abs(G) - w, 0.0))
        return float(np.max(np.linalg.norm(entry, axis=1), initial=0.0))


class RowCappedL1(_NonConvexRows):
    """``alpha * sum_j min(||W_j||_1, theta)``: the capped-L1 of the rows (Gong, Ye
    & Zhang 2012, multi-stage multi-task feature learning). A row whose L1 norm
    passes ``theta`` is no longer shrunk. Stage weights: ``1{||W_j||_1 < theta}``.
    """

    _ord = 1

    def __init__(self, alpha=1.0, theta=1.0):
        self.alpha, self.theta = float(alpha), float(theta)

    def phi(self, r):
        return self.alpha * np.minimum(r, self.theta)

    def derivative(self, r):
        return np.where(r < self.theta, self.alpha, 0.0)


class BlockMCP(_NonConvexRows):
    """Block minimax concave penalty on the row 2-norms ``r_j = ||W_j||_2``:
    ``phi(r) = alpha r - r^2 / (2 gamma)`` for ``r <= gamma alpha``, then constant
    ``gamma alpha^2 / 2`` (Zhang 2010; ``gamma > 1``). Stage weights:
    ``max(1 - r / (gamma alpha), 0)``.
    """

    def __init__(self, alpha=1.0, gamma=3.0):
        self.alpha, self.gamma = float(alpha), float(gamma)

    def phi(self, r):
        a, g = self.alpha, self.gamma
        return np.where(r <= g * a, a * r - r**2 / (2 * g), 0.5 * g * a**2)

    def derivative(self, r):
        return np.maximum(self.alpha - r / self.gamma, 0.0)


class BlockSCAD(_NonConvexRows):
    """Block smoothly clipped absolute deviation on the row 2-norms (Fan & Li
    2001; ``gamma > 2``): ``phi(r) = alpha r`` for ``r <= alpha``,
    ``(2 gamma alpha r - r^2 - alpha^2) / (2 (gamma - 1))`` up to ``gamma alpha``,
    then ``(gamma + 1) alpha^2 / 2``. Stage weights: 1, then
    ``(gamma alpha - r) / ((gamma - 1) alpha)``, then 0.
    """

    def __init__(self, alpha=1.0, gamma=3.7):
        self.alpha, self.gamma = float(alpha), float(gamma)

    def phi(self, r):
        a, g = self.alpha, self.gamma
        middle = (2 * g * a * r - r**2 - a**2) / (2 * (g - 1))
        return np.where(r <= a, a * r, np.where(r <= g * a, middle, 0.5 * (g + 1) * a**2))

    def derivative(self, r):
        a, g = self.alpha, self.gamma
        return np.where(r <= a, a, np.maximum(g * a - r, 0.0) / (g - 1))
