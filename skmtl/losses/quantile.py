"""Conditional quantiles: the pinball loss, and the smooth losses through which the
solvers minimise it (``skmtl.solvers.smoothing``)."""

from __future__ import annotations

import numbers

import numpy as np

from .._linalg import inner
from ._base import Loss


class QuantileLoss(Loss):
    """Quantile regression: the pinball loss ``loss(y, z) = max(q r, (q - 1) r)`` of
    the residual ``r = y - z``, for the quantile ``q``.

    Its minimiser over a constant is the ``q``-quantile of ``y`` (the median for
    ``q = 0.5``, where the loss is half the absolute error), so the model predicts
    each task's conditional ``q``-quantile, as scikit-learn's ``QuantileRegressor``.
    The loss is not smooth: the solvers minimise its Moreau envelopes
    (:meth:`smoothed`) in an augmented Lagrangian loop, certified by the pinball
    loss's own duality gap (``skmtl.solvers.smoothing``).

    Parameters
    ----------
    quantile : float, default=0.5
        The quantile ``q`` to predict, strictly between 0 and 1.
    """

    name = "quantile"
    location = True
    smooth = False

    def __init__(self, quantile=0.5):
        if not (
            isinstance(quantile, numbers.Real)
            and not isinstance(quantile, bool)
            and 0 < quantile < 1
        ):
            raise ValueError(
                f"quantile must be a number strictly between 0 and 1; got {quantile!r}."
            )
        self.quantile = float(quantile)

    def pointwise(self, y, z):
        r = y - z
        return np.maximum(self.quantile * r, (self.quantile - 1.0) * r)

    def derivative(self, y, w, z):
        """A subgradient: ``-w q`` where ``r > 0``, ``-w (q - 1)`` elsewhere."""
        return -w * np.where(y - z > 0, self.quantile, self.quantile - 1.0)

    def second_derivative(self, y, w, z):
        return np.zeros(np.shape(z))

    def dual_value(self, y, w, z, scale):
        """``-sum_i f_i^*(-s theta_i)`` at ``theta = -f'(z) = w a``, the slopes ``a``
        in ``[q - 1, q]``, the conjugate's domain: ``s sum_i w_i a_i y_i``."""
        return scale * inner(-self.derivative(y, w, z), y)

    def smoothed(self, width, slopes=None):
        """The Moreau envelope of width ``width`` (units of ``y``), shifted by the
        multipliers ``slopes``: a ``QuantileEnvelope``."""
        slopes = self.quantile - 0.5 if slopes is None else slopes
        return QuantileEnvelope(self.quantile, width, slopes)

    def cvxpy(self, y, w, z):
        import cvxpy as cp

        r = y - z
        return cp.sum(cp.multiply(w, 0.5 * cp.abs(r) + (self.quantile - 0.5) * r))


class QuantileEnvelope(Loss):
    """``loss(y, z) = e(y - z + h a)``: the Moreau envelope ``e(r) = min_s pinball(s)
    + (r - s)^2 / (2 h)`` of the pinball loss, of width ``h``, at the residual
    shifted by ``h`` times the multipliers ``a`` (the slopes, one per sample or one
    for all, in ``[q - 1, q]``).

    ``e`` is quadratic, ``r^2 / (2 h)``, for ``(q - 1) h <= r <= q h`` and follows the
    pinball loss's lines beyond; its derivative in the residual is ``clip(r / h, q -
    1, q)``. The minimiser of the pinball loss is that of this loss whose
    multipliers are its own slopes there: the augmented Lagrangian loop of
    ``skmtl.solvers.smoothing.augmented_lagrangian`` finds them.
    """

    name = "quantile"
    location = True  # (of y - z, the multipliers fixed)
    newton = True
    majorizer = True
    singular_models = True

    def __init__(self, quantile, width, slopes):
        self.quantile, self.width, self.slopes = float(quantile), float(width), slopes
        self.curvature = 1.0 / self.width

    def slope(self, y, z):
        """The derivative in the residual, ``clip((y - z) / h + a, q - 1, q)``."""
        return np.clip((y - z) / self.width + self.slopes, self.quantile - 1.0, self.quantile)

    def pointwise(self, y, z):
        u = y - z + self.width * self.slopes
        a = self.slope(y, z)  # the envelope's minimising s is u - h a
        return (
            np.maximum(self.quantile * (u - self.width * a), 0.0)
            + np.maximum((self.quantile - 1.0) * (u - self.width * a), 0.0)
            + 0.5 * self.width * a * a
        )

    def derivative(self, y, w, z):
        return -w * self.slope(y, z)

    def second_derivative(self, y, w, z):
        a = (y - z) / self.width + self.slopes
        return w * ((a > self.quantile - 1.0) & (a < self.quantile)) / self.width

    def newton_curvature(self, y, w, z):
        """``w min(1 / h, 1 / (2 |v|))``, ``v = y - z + h a - (q - 1/2) h`` the residual
        from the centre of the envelope's quadratic piece: the envelope is a line plus
        half a Huber function of ``v``, and this quadratic through it at ``v``, with
        its slope, majorizes it (iteratively reweighted least squares)."""
        v = y - z + self.width * (self.slopes - self.quantile + 0.5)
        return w * np.minimum(1.0 / self.width, 0.5 / np.maximum(np.abs(v), 1e-300))

    def dual_value(self, y, w, z, scale):
        """``-f^*(-s theta) = s theta (y + h a) - h s^2 theta^2 / (2 w)`` at ``theta =
        w slope``: the envelope's conjugate is the pinball loss's (``theta`` in ``w [q
        - 1, q]``) plus ``h / 2`` times the square, shifted by the multipliers."""
        slope = self.slope(y, z)
        wa = w * slope
        return scale * inner(wa, y + self.width * self.slopes) - 0.5 * self.width * (
            scale**2
        ) * inner(wa, slope)

    def predictions_for(self, y, w, g):
        """The slope ``-g / w`` clipped into ``[q - 1, q]`` is the derivative's at the
        residual ``h (slope - a)``."""
        slope = np.divide(-g, w, out=np.zeros_like(g), where=w > 0)
        slope = np.clip(slope, self.quantile - 1.0, self.quantile)
        return y - self.width * (slope - self.slopes)
