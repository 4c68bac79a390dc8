"""Data-fitting losses, evaluated elementwise on predictions.

Every method takes arrays ``y`` (targets), ``w`` (sample weights that sum to one
over each task, zero for missing labels) and ``z`` (predictions) of one common
shape, ``(n, T)`` or ``(n,)``: the task structure lives elsewhere (the private
module ``skmtl._tasks``). Task ``t`` contributes ``f_t(z) = sum_i w_i * loss(y_i, z_i)``.

Each loss gives its derivative ``f'(z)`` (the dual point of the duality gap
is ``theta = -f'(z)``) and ``-sum_t f_t^*(-s theta_t)`` at that point
rescaled by ``s``.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, xlogy

__all__ = ["SquaredLoss", "LogisticLoss"]


class SquaredLoss:
    """Least squares: ``f_t(z) = 1/2 sum_i w_i (y_i - z_i)^2``.

    With ``w_i = 1/n_t`` this is ``||y_t - z||^2 / (2 n_t)``, sklearn's datafit.
    """

    name = "squared"
    #: bound on the second derivative, for Lipschitz constants
    curvature = 1.0
    #: the intercept is eliminated exactly by centering
    centers_intercept = True

    def value(self, y, w, z):
        return 0.5 * np.sum(w * (y - z) ** 2)

    def pointwise(self, y, z):
        """The loss of each sample, unweighted."""
        return 0.5 * (y - z) ** 2

    def derivative(self, y, w, z):
        """``f'(z)``, the gradient in the predictions (minus the dual point)."""
        return w * (z - y)

    def dual_value(self, y, w, z, scale):
        """``-sum f^*(-s theta) = s theta^T y - s^2/2 sum theta^2 / w`` at the dual point
        ``theta = w (y - z)`` of ``z``, where ``theta^2 / w = w (y - z)^2``."""
        r = y - z
        wr = w * r
        return scale * np.vdot(wr, y) - 0.5 * scale**2 * np.vdot(wr, r)

    def bregman(self, y, w, z_new, z_old, value_old, grad_dot_step):
        """``f(z_new) - f(z_old) - <f'(z_old), z_new - z_old>``, without cancellation."""
        return 0.5 * np.sum(w * (z_new - z_old) ** 2)

    def gap_scale(self, y, w):
        """The stopping rule's unit: ``sum_t ||y_t||^2 / n_t`` (sklearn's ``tol``)."""
        return np.sum(w * y**2)

    def dual_radius(self, gap):
        """Bound on the distance to the dual optimum in the norm ``sum theta^2 / w``:
        the dual is 1-strongly concave in it."""
        return np.sqrt(2.0 * max(gap, 0.0))

    def intercept_derivatives(self, y, w, z):
        """Elementwise first and second derivatives of the loss in ``z``."""
        return w * (z - y), w


class LogisticLoss:
    """Logistic: ``f_t(z) = sum_i w_i log(1 + exp(-y_i z_i))``, ``y`` in {-1, +1}."""

    name = "logistic"
    curvature = 0.25
    centers_intercept = False

    def value(self, y, w, z):
        return np.sum(w * np.logaddexp(0.0, -y * z))

    def pointwise(self, y, z):
        """The loss of each sample, unweighted."""
        return np.logaddexp(0.0, -y * z)

    def derivative(self, y, w, z):
        return -w * y * expit(-y * z)

    def dual_value(self, y, w, z, scale):
        """``-sum_i w_i Nh(p_i)``, ``Nh(p) = p log p + (1-p) log(1-p)``, at the dual
        point ``s theta`` of ``z``: ``p = y s theta / w = s sigmoid(-y z)``."""
        p = np.clip(scale * expit(-y * z), 0.0, 1.0)
        return -np.sum(w * (xlogy(p, p) + xlogy(1.0 - p, 1.0 - p)))

    def bregman(self, y, w, z_new, z_old, value_old, grad_dot_step):
        return self.value(y, w, z_new) - value_old - grad_dot_step

    def gap_scale(self, y, w):
        """The stopping rule's unit: the loss of the zero model, ``T log 2``."""
        return np.log(2.0) * np.sum(w)

    def dual_radius(self, gap):
        """As for least squares, with the conjugate 4-strongly convex."""
        return np.sqrt(max(gap, 0.0) / 2.0)

    def intercept_derivatives(self, y, w, z):
        """Elementwise first and second derivatives of the loss in ``z``."""
        s = expit(-y * z)
        return -w * y * s, w * s * (1.0 - s)
