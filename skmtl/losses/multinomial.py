"""Multinomial logistic regression on class-expanded virtual tasks.

With ``K`` classes every task ``t`` becomes ``K`` virtual tasks ``(t, k)``, one per
class, whose rows are task ``t``'s rows and whose targets are the one-hot
indicators ``y_ik = [label_i = k]``. The virtual tasks come class by class (class
``k``'s copies of all tasks, then class ``k + 1``'s): a flat array of the stacked
layout, of length ``K n``, is the ``(K, n)`` array of the class copies of each row;
an ``(n, K T)`` array of the shared layout is ``(n, K, T)``. The loss takes the
softmax over those copies.
"""

from __future__ import annotations

import numbers

import numpy as np
from scipy.special import xlogy

from ._base import Loss


def _shifted_exp(z, axis):
    """``(exp(z - m), m)`` with ``m`` the largest entry along ``axis`` (zero where it
    is not finite), kept as an axis."""
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    return np.exp(z - m), m


def logsumexp(z, axis):
    """``log sum exp(z)`` along ``axis``, stably; scipy's ``logsumexp`` to round-off,
    3x faster on a path's arrays (its array-API dispatch dominates)."""
    e, m = _shifted_exp(z, axis)
    return np.log(np.sum(e, axis=axis)) + np.squeeze(m, axis=axis)


def softmax(z, axis):
    """``exp(z) / sum exp(z)`` along ``axis``, stably (as scipy's ``softmax``)."""
    e, _ = _shifted_exp(z, axis)
    return e / np.sum(e, axis=axis, keepdims=True)


class MultinomialLoss(Loss):
    """The multinomial logistic (softmax cross-entropy) loss over ``n_classes``.

    Row ``i`` with linear predictions ``z_i`` (one per class) and label ``y_i``
    contributes ``w_i (logsumexp_k z_ik - z_{i, y_i})``; the class probabilities are
    ``softmax(z_i)``. Classifiers build it themselves from the logistic loss when
    ``y`` has more than two classes; with ``n_classes=2`` it is the logistic loss
    in the over-parametrised form (one linear model per class).

    Parameters
    ----------
    n_classes : int
        The number of classes, at least 2.
    """

    name = "multinomial"
    target = "multiclass"
    # the Hessian of logsumexp, diag(p) - p p^T, is <= (I - 11^T / K) / 2 (Boehning 1992)
    curvature = 0.5
    probabilistic = True
    likelihood = True
    asymptotic = True
    newton = True
    # its diagonal models (newton_curvature) converge only linearly: on well-scaled
    # features FISTA is faster (School-like data, 20 tasks, standardized: the group
    # lasso 0.15 s against 0.38 s, the trace norm 0.13 against 0.35); on raw ones
    # it never certified (20000 iterations, 25 s; proximal Newton 0.2 and 0.6 s)
    newton_bound = True

    def __init__(self, n_classes):
        if (
            isinstance(n_classes, bool)
            or not isinstance(n_classes, numbers.Integral)
            or n_classes < 2
        ):
            raise ValueError(f"n_classes must be an integer >= 2; got {n_classes!r}.")
        self.n_classes = int(n_classes)

    # -- the class copies of each row ----------------------------------------------
    def _split(self, a):
        """``a`` with the class copies on their own axis: ``(K, n)`` for a flat array,
        ``(n, K, T)`` for a 2-D one; returns the view and that axis."""
        K = self.n_classes
        if a.ndim == 1:
            return a.reshape(K, -1), 0
        return a.reshape(a.shape[0], K, -1), 1

    def _row_weights(self, w):
        """The weight of each row (equal in its ``K`` copies)."""
        w, axis = self._split(w)
        return np.take(w, 0, axis=axis)

    def probabilities(self, z):
        """The softmax over the class copies, shaped like ``z``."""
        z3, axis = self._split(z)
        return softmax(z3, axis=axis).reshape(z.shape)

    def _row_losses(self, y, z):
        z3, axis = self._split(z)
        y3, _ = self._split(y)
        return logsumexp(z3, axis=axis) - np.sum(y3 * z3, axis=axis)

    # -- the Loss contract -----------------------------------------------------------
    def value(self, y, w, z):
        return float(np.sum(self._row_weights(w) * self._row_losses(y, z)))

    def pointwise(self, y, z):
        """Each row's loss, a ``K``-th in each of its class copies (so that the sums
        over the virtual tasks of one task add up to its loss)."""
        per_row = self._row_losses(y, z) / self.n_classes
        z3, axis = self._split(z)
        return np.broadcast_to(np.expand_dims(per_row, axis), z3.shape).reshape(z.shape)

    def derivative(self, y, w, z):
        return w * (self.probabilities(z) - y)

    def second_derivative(self, y, w, z):
        """The diagonal of the Hessian in the predictions, ``w p (1 - p)``."""
        p = self.probabilities(z)
        return w * p * (1.0 - p)

    def newton_curvature(self, y, w, z):
        """``2 w p (1 - p)``: the diagonal that bounds the Hessian ``w (diag(p) - p
        p^T)`` of a row's class copies from above (its rows' absolute values sum to
        ``2 p_k (1 - p_k)``: the difference is diagonally dominant). Proximal Newton's
        models are diagonal in the predictions (one weighted least-squares problem
        per virtual task); this one never overshoots the loss to second order, and
        for two classes it is the Hessian along the difference of the copies, the
        only direction the loss sees (with the diagonal ``p (1 - p)`` the steps
        overshot: the group lasso on School-like data took 680 outer steps, not 42).
        The common shift of the copies, which the loss does not see, gets curvature
        too: :meth:`centered` removes it after each step."""
        return 2.0 * self.second_derivative(y, w, z)

    def centered(self, W):
        """``W`` (rows of ``K T`` virtual-task columns) with each task's class
        models shifted by their mean, and by their median: the same predicted
        probabilities (the softmax does not see a common shift of a row's class
        copies); the mean is where the L2-type norms (L2,1, trace norm, Frobenius)
        are least along that shift, the median where L1 is."""
        K = self.n_classes
        V = W.reshape(W.shape[0], K, -1)
        return [
            (V - centre(V, axis=1, keepdims=True)).reshape(W.shape)
            for centre in (np.mean, np.median)
        ]

    def predictions_for(self, y, w, g):
        """The probabilities ``y + g / w`` of the derivative ``g = w (p - y)``,
        projected onto the simplex row by row (Duchi et al. 2008), as their logs (a
        zero probability floored at 1e-300)."""
        g3, axis = self._split(np.divide(g, w, out=np.zeros_like(g), where=w > 0))
        y3, _ = self._split(y)
        q = np.moveaxis(y3 + g3, axis, -1)  # (..., K)
        ranked = -np.sort(-q, axis=-1)
        K = self.n_classes
        excess = (np.cumsum(ranked, axis=-1) - 1.0) / np.arange(1, K + 1)
        count = np.sum(ranked > excess, axis=-1, keepdims=True)
        shift = np.take_along_axis(excess, count - 1, axis=-1)
        p = np.maximum(q - shift, 1e-300)
        return np.log(np.moveaxis(p, -1, axis)).reshape(g.shape)

    def curvature_blocks(self, y, w, z):
        """The Hessian's blocks that couple the class copies of a row: an array
        ``(K, *z.shape)`` whose ``l``-th entry at copy ``k`` of row ``i`` is
        ``d^2 f / dz_ik dz_il = w_i (delta_kl p_ik - p_ik p_il)``."""
        p3, axis = self._split(self.probabilities(z))
        w3, _ = self._split(w)
        K = self.n_classes
        blocks = np.empty((K, *p3.shape))
        for k in range(K):  # K arrays of the data's size: a loop over classes only
            pk = np.take(p3, [k], axis=axis)
            blocks[k] = -w3 * p3 * pk
            index = [slice(None)] * p3.ndim
            index[axis] = k
            blocks[k][tuple(index)] += np.take(w3 * p3, k, axis=axis)
        return blocks.reshape(K, *z.shape)

    def dual_value(self, y, w, z, scale):
        """``-f_i^*(-s theta_i) = -w_i sum_k q_ik log q_ik`` at ``theta = w (y - p)``,
        with ``q_i = y_i - s (y_i - p_i) = (1 - s) y_i + s p_i`` on the simplex:
        ``f_i^*(v) = w_i sum_k q_k log q_k`` for ``q = y_i + v / w_i`` on the simplex
        (the conjugate of logsumexp is the negative entropy there)."""
        q = (1.0 - scale) * y + scale * self.probabilities(z)
        q3, axis = self._split(np.clip(q, 0.0, 1.0))
        return float(-np.sum(self._row_weights(w) * np.sum(xlogy(q3, q3), axis=axis)))

    def null_intercept(self, mean):
        """The log class frequencies (``mean`` of the one-hot targets)."""
        return np.log(np.clip(mean, 1e-6, None))

    def inverse_link(self, z):
        """The class probabilities, softmax along the last axis of ``z``."""
        return softmax(z, axis=-1)

    def gap_scale(self, y, w, z_null=None):
        """The loss of the zero model, ``log K`` per task."""
        return np.log(self.n_classes) * float(np.sum(w)) / self.n_classes

    def dual_radius(self, gap):
        """The negative entropy is 1-strongly convex on the simplex (its Hessian
        ``diag(1/q) >= I``): the dual is 1-strongly concave in ``sum theta^2 / w``."""
        return np.sqrt(2.0 * max(gap, 0.0))

    def multiclass(self, n_classes):
        if n_classes != self.n_classes:
            raise ValueError(
                f"MultinomialLoss(n_classes={self.n_classes}) does not match y, which has "
                f"{n_classes} classes."
            )
        return self

    def cvxpy(self, y, w, z):
        """On the labelled entries in the class-major order of the virtual tasks:
        ``K`` blocks of equal length, block ``k`` the class-``k`` copies."""
        import cvxpy as cp

        K = self.n_classes
        m = len(y) // K
        Z = cp.reshape(z, (K, m), order="C")
        rows = np.asarray(w).reshape(K, m)[0]
        return cp.sum(cp.multiply(rows, cp.log_sum_exp(Z, axis=0))) - cp.sum(
            cp.multiply(np.asarray(w) * np.asarray(y), z)
        )
