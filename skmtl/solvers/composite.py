"""FISTA for a penalty ``Q + N`` (:class:`~skmtl.penalties.QuadraticPlusNorm`): the
quadratic ``Q`` joins the datafit (:class:`QuadraticSmoothing`), the norm ``N`` keeps
its prox. The gap of the sum is exact (see :mod:`skmtl.penalties.composite`)."""

from __future__ import annotations

import numpy as np


class _WithCoef:
    """The linear image of a datafit and the coefficients ``W`` it came from: both are
    extrapolated together by FISTA (sums, differences, scalar multiples)."""

    __slots__ = ("inner", "W")

    def __init__(self, inner, W):
        self.inner, self.W = inner, W

    def __add__(self, other):
        return _WithCoef(self.inner + other.inner, self.W + other.W)

    def __sub__(self, other):
        return _WithCoef(self.inner - other.inner, self.W - other.W)

    def __mul__(self, factor):
        return _WithCoef(factor * self.inner, factor * self.W)

    __rmul__ = __mul__


class QuadraticSmoothing:
    """The datafit ``inner`` plus the quadratic penalty ``quadratic`` on ``W``.

    ``dual_value(z, s)`` is the inner one minus ``s^2 quadratic(W)``: with the norm's
    ``dual_scale`` of this datafit's gradient it makes the exact gap of
    ``inner + quadratic + norm``.
    """

    def __init__(self, inner, quadratic):
        self.inner, self.quadratic = inner, quadratic
        self.exact_bregman = inner.exact_bregman
        self.n_features, self.n_rows = inner.n_features, inner.n_rows

    def linear(self, C):
        return _WithCoef(self.inner.linear(C), np.array(C[: self.n_features]))

    def value(self, z):
        return self.inner.value(z.inner) + self.quadratic.value(z.W)

    def gradient(self, z):
        g = np.array(self.inner.gradient(z.inner))  # a copy: the inner one may be cached
        g[: self.n_features] += self.quadratic.gradient(z.W)
        return g

    def bregman(self, z_new, z_old, value_old, grad, step):
        d = self.n_features
        inner_value = None if value_old is None else value_old - self.quadratic.value(z_old.W)
        if self.exact_bregman:
            inner_grad = grad
        else:
            inner_grad = np.array(grad)
            inner_grad[:d] -= self.quadratic.gradient(z_old.W)
        excess = self.inner.bregman(z_new.inner, z_old.inner, inner_value, inner_grad, step)
        return excess + self.quadratic.value(step[:d])  # exact for a quadratic

    def dual_value(self, z, scale):
        return self.inner.dual_value(z.inner, scale) - scale**2 * self.quadratic.value(z.W)

    def gap_scale(self):
        return self.inner.gap_scale()

    def lipschitz(self):
        return self.inner.lipschitz() + self.quadratic.lipschitz()

    def polish(self, C, z):
        C, inner = self.inner.polish(C, z.inner)
        return C, _WithCoef(inner, z.W)

    def intercept_prox(self, b, step):
        return self.inner.intercept_prox(b, step)

    def intercept_value(self, b):
        return self.inner.intercept_value(b)

    def intercept_conjugate(self, u):
        return self.inner.intercept_conjugate(u)

    def intercepts_optimal(self, z, sums):
        return self.inner.intercepts_optimal(z.inner, sums)

    @property
    def intercept_row(self):
        return self.inner.intercept_row

    def intercept_variable(self, W, b):
        return self.inner.intercept_variable(W, b)
