"""Counts: the Poisson loss with the log link."""

from __future__ import annotations

import numpy as np
from scipy.special import xlogy

from ._base import Loss


class PoissonLoss(Loss):
    """Poisson regression with the log link: the mean count is ``exp(z)``.

    ``loss(y, z) = exp(z) - y z + y log y - y``, half the Poisson deviance (zero for
    a perfect fit; scikit-learn's ``PoissonRegressor`` minimises its mean). ``y``
    holds non-negative counts (or rates); predictions are ``exp(z)``.
    """

    name = "poisson"
    target = "counts"
    newton = True
    likelihood = True
    asymptotic = True

    def pointwise(self, y, z):
        # (an overflow is an infinite loss: the trial steps that reach it are rejected)
        with np.errstate(over="ignore"):
            return np.exp(z) - y * z + xlogy(y, y) - y

    def derivative(self, y, w, z):
        return w * (np.exp(z) - y)

    def second_derivative(self, y, w, z):
        return w * np.exp(z)

    def dual_value(self, y, w, z, scale):
        """``-sum_i f_i^*(-s theta_i)`` at ``theta = w (y - exp(z))``: with ``m = (1 -
        s) y + s exp(z)``, ``sum_i w_i (m_i - m_i log m_i + y_i log y_i - y_i)``."""
        m = (1.0 - scale) * y + scale * np.exp(z)
        return np.sum(w * (m - xlogy(m, m) + xlogy(y, y) - y))

    def predictions_for(self, y, w, g):
        """The mean ``exp(z) = y + g / w``, kept positive (at least ``1e-300``)."""
        mean = y + np.divide(g, w, out=np.zeros_like(g), where=w > 0)
        return np.log(np.maximum(mean, 1e-300))

    def null_intercept(self, mean):
        return np.log(np.maximum(mean, 1e-300))

    def inverse_link(self, z):
        return np.exp(z)

    def check_target(self, y):
        if np.any(y < 0):
            raise ValueError(
                "The Poisson loss needs non-negative targets (counts); y has negative values."
            )

    def cvxpy(self, y, w, z):
        import cvxpy as cp

        return cp.sum(cp.multiply(w, cp.exp(z) - cp.multiply(y, z))) + np.sum(w * (xlogy(y, y) - y))
