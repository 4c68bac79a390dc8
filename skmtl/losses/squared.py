"""Least squares and its robust version, the Huber loss."""

from __future__ import annotations

import numbers

import numpy as np

from .._linalg import inner
from ._base import Loss


class SquaredLoss(Loss):
    """Least squares, ``loss(y, z) = (y - z)^2 / 2``.

    With ``w_i = 1/n_t`` the task's term is ``||y_t - z||^2 / (2 n_t)``,
    scikit-learn's datafit.
    """

    name = "squared"
    location = True
    curvature = 1.0
    quadratic = True

    def value(self, y, w, z):
        return 0.5 * np.sum(w * (y - z) ** 2)

    def pointwise(self, y, z):
        return 0.5 * (y - z) ** 2

    def derivative(self, y, w, z):
        return w * (z - y)

    def second_derivative(self, y, w, z):
        return w

    def dual_value(self, y, w, z, scale):
        """``s theta^T y - s^2/2 sum theta^2 / w`` at ``theta = w (y - z)``."""
        r = y - z
        wr = w * r
        return scale * inner(wr, y) - 0.5 * scale**2 * inner(wr, r)

    def bregman(self, y, w, z_new, z_old, value_old, grad_dot_step):
        return 0.5 * np.sum(w * (z_new - z_old) ** 2)

    def gap_scale(self, y, w, z_null=None):
        """``sum_t ||y_t||^2 / n_t`` of the (centered) targets: scikit-learn's unit."""
        return np.sum(w * y**2)

    def dual_radius(self, gap):
        """The dual is 1-strongly concave in the norm ``sum theta^2 / w``."""
        return np.sqrt(2.0 * max(gap, 0.0))

    def cvxpy(self, y, w, z):
        import cvxpy as cp

        return 0.5 * cp.sum_squares(cp.multiply(np.sqrt(w), y - z))


class HuberLoss(Loss):
    """Huber's robust loss: quadratic for residuals up to ``epsilon``, linear beyond.

    ``loss(y, z) = r^2 / 2`` for ``|r| <= epsilon`` and ``epsilon |r| - epsilon^2 / 2``
    otherwise, with ``r = y - z``. Residuals beyond ``epsilon`` (in the units of
    ``y``) pull on the model with a bounded force, so a few gross outliers do not
    move it; ``epsilon -> inf`` gives the squared loss.

    Parameters
    ----------
    epsilon : float, default=1.35
        The residual where the loss turns from quadratic to linear, in the units of
        the targets (scikit-learn's ``HuberRegressor`` measures it in units of a
        scale it estimates; here scale ``y`` or choose ``epsilon`` for its units).
    """

    name = "huber"
    location = True
    curvature = 1.0
    newton = True
    majorizer = True

    def __init__(self, epsilon=1.35):
        if not (
            isinstance(epsilon, numbers.Real)
            and not isinstance(epsilon, bool)
            and 0 < epsilon < np.inf
        ):
            raise ValueError(f"epsilon must be a positive finite number; got {epsilon!r}.")
        self.epsilon = float(epsilon)

    def pointwise(self, y, z):
        a = np.abs(y - z)
        e = self.epsilon
        return np.where(a <= e, 0.5 * a * a, e * a - 0.5 * e * e)

    def derivative(self, y, w, z):
        return -w * np.clip(y - z, -self.epsilon, self.epsilon)

    def second_derivative(self, y, w, z):
        return w * (np.abs(y - z) <= self.epsilon)

    def newton_curvature(self, y, w, z):
        """``w psi(r) / r = w min(1, epsilon / |r|)``: the quadratic through the loss
        at ``r`` with the same slope majorizes it (iteratively reweighted least
        squares), and its target is ``y`` itself."""
        a = np.abs(y - z)
        return w * np.minimum(1.0, self.epsilon / np.maximum(a, self.epsilon))

    def dual_value(self, y, w, z, scale):
        """As for least squares with the clipped residual ``c``: ``theta = w c``,
        ``-f^*(-theta) = theta y - theta^2 / (2 w)`` on ``|theta| <= w epsilon``."""
        c = np.clip(y - z, -self.epsilon, self.epsilon)
        wc = w * c
        return scale * inner(wc, y) - 0.5 * scale**2 * inner(wc, c)

    def predictions_for(self, y, w, g):
        """The residual ``y - z = -g / w``, clipped to ``[-epsilon, epsilon]``."""
        r = np.divide(-g, w, out=np.zeros_like(g), where=w > 0)
        return y - np.clip(r, -self.epsilon, self.epsilon)

    def dual_radius(self, gap):
        return np.sqrt(2.0 * max(gap, 0.0))

    def cvxpy(self, y, w, z):
        import cvxpy as cp

        # cvxpy's huber(r, M) is r^2 inside, 2 M |r| - M^2 outside: twice ours
        return 0.5 * cp.sum(cp.multiply(w, cp.huber(y - z, self.epsilon)))
