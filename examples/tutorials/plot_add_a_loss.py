"""
Add a loss: the log-cosh loss, step by step
===========================================

A loss in skmtl is a small object (a subclass of :class:`skmtl.losses.Loss`) that
evaluates itself elementwise on the predictions. Every estimator takes one through
``loss=``, and from what it declares the solvers pick their method and certify the
solution with an exact duality gap. This page builds a new one from scratch, the
**log-cosh loss**

.. math::

   \\ell(y, z) = \\delta^2 \\log\\cosh\\Big(\\frac{y - z}{\\delta}\\Big),

a smooth, robust regression loss: quadratic (:math:`r^2/2`) for residuals
:math:`r = y - z` small against :math:`\\delta`, linear
(:math:`\\delta |r| - \\delta^2 \\log 2`) for large ones, so a few gross outliers pull
on the model with a bounded force, like Huber's loss but with derivatives of every
order. We derive what the solvers need, check it numerically as the test suite checks
the built-in losses, and fit it.
"""

# %%
# The maths
# ---------
#
# Task :math:`t` contributes :math:`f_t(z) = \sum_i w_i \ell(y_i, z_i)` to the
# objective, with :math:`w_i` its sample weights (summing to one over the task). With
# :math:`r = y - z` and :math:`\varphi(\rho) = \log\cosh\rho`:
#
# * **derivative**: :math:`\partial_z\, w\,\ell = -w\,\delta \tanh(r/\delta)`; minus it
#   is the dual point :math:`\theta = w\,\delta\tanh(r/\delta)` of the duality gap;
# * **second derivative**: :math:`w\,(1 - \tanh^2(r/\delta))`, positive everywhere and
#   at most :math:`w`: the curvature bound is 1 and proximal Newton steps suit it;
# * **conjugate**: :math:`\varphi^*(u) = \sup_\rho\, u\rho - \log\cosh\rho`. The
#   supremum is where :math:`u = \tanh\rho`, i.e. :math:`\rho = \operatorname{artanh} u`,
#   and :math:`\cosh(\operatorname{artanh} u) = 1/\sqrt{1 - u^2}`, so
#
#   .. math::
#
#      \varphi^*(u) = u \operatorname{artanh} u + \tfrac12 \log(1 - u^2)
#                   = \tfrac12 \big[(1 + u)\log(1 + u) + (1 - u)\log(1 - u)\big]
#
#   on :math:`|u| \le 1` (it is :math:`\log 2` at :math:`u = \pm 1`), and
#   :math:`+\infty` outside. Scaling gives
#   :math:`(\delta^2\varphi(\cdot/\delta))^*(u) = \delta^2 \varphi^*(u/\delta)`;
# * **the dual value**: for :math:`f_i(z) = w_i\,\ell(y_i, z)`, substituting
#   :math:`z = y_i - r` gives :math:`f_i^*(v) = v y_i + w_i\,\delta^2\varphi^*(-v /
#   (w_i\delta))`. The solver asks for :math:`-\sum_i f_i^*(-s\theta_i)` at the dual
#   point rescaled by :math:`0 < s \le 1`:
#
#   .. math::
#
#      -\sum_i f_i^*(-s\theta_i) = \sum_i w_i \Big[ s\,\delta\tanh(r_i/\delta)\, y_i
#          - \delta^2 \varphi^*\big(s \tanh(r_i/\delta)\big) \Big],
#
#   finite because :math:`|s\tanh| < 1`. (For :math:`\varphi(\rho) = \rho^2/2` the same
#   steps give back the squared loss's :math:`s\theta^\top y - s^2/2 \sum\theta^2/w`.)
# * **screening**: :math:`\varphi^{*\prime\prime}(u) = 1/(1 - u^2) \ge 1`, so the dual is
#   1-strongly concave in the norm :math:`\sqrt{\sum\theta^2/w}`, as for least squares:
#   the dual optimum lies within :math:`\sqrt{2\,\mathrm{gap}}` of any dual point, which
#   lets the working-set solver discard features for good (gap-safe screening);
# * **cvxpy**: :math:`\log\cosh\rho = \log(e^\rho + e^{-\rho}) - \log 2 =
#   \mathrm{logistic}(2\rho) - \rho - \log 2`, a convex atom minus an affine term.

# %%
# The class
# ---------
#
# The attributes say what the loss is (``target="real"``: real targets, so it suits
# regressors; ``curvature``; ``newton``; ``location``: a function of the residual
# ``y - z`` alone, whose ``*CV`` then estimate the intercept pooling of grouped data
# as an M-estimator's), the methods compute it. The constructor
# validates and stores its parameters; equality, hashing and ``repr`` come from them
# (a loss is a value, with no state between calls). ``pointwise`` uses
# ``logaddexp`` so that large residuals do not overflow ``cosh``.

from numbers import Real

import matplotlib.pyplot as plt
import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import xlogy

from skmtl import GroupLassoRegressor, MultiTaskEstimator
from skmtl.datasets import make_joint_sparse
from skmtl.losses import Loss
from skmtl.penalties import L21


def _phi_conjugate(u):
    """``((1 + u) log(1 + u) + (1 - u) log(1 - u)) / 2`` on ``|u| <= 1``."""
    return 0.5 * (xlogy(1.0 + u, 1.0 + u) + xlogy(1.0 - u, 1.0 - u))


class LogCoshLoss(Loss):
    """``delta^2 log cosh((y - z) / delta)``: squared for small residuals, linear for
    large ones."""

    name = "log_cosh"
    target = "real"
    curvature = 1.0  # sup of the second derivative, 1 - tanh^2 <= 1
    newton = True  # the second derivative is positive everywhere
    location = True  # a function of y - z

    def __init__(self, delta=1.0):
        if not (isinstance(delta, Real) and 0 < delta < np.inf):
            raise ValueError(f"delta must be a positive finite number; got {delta!r}.")
        self.delta = float(delta)

    def pointwise(self, y, z):
        rho = (y - z) / self.delta
        return self.delta**2 * (np.logaddexp(rho, -rho) - np.log(2.0))

    def derivative(self, y, w, z):
        return -w * self.delta * np.tanh((y - z) / self.delta)

    def second_derivative(self, y, w, z):
        return w * (1.0 - np.tanh((y - z) / self.delta) ** 2)

    def dual_value(self, y, w, z, scale):
        u = scale * np.tanh((y - z) / self.delta)  # s theta / (w delta), |u| < 1
        return np.sum(w * (self.delta * u * y - self.delta**2 * _phi_conjugate(u)))

    def dual_radius(self, gap):
        return np.sqrt(2.0 * max(gap, 0.0))

    def cvxpy(self, y, w, z):
        import cvxpy as cp

        rho = (y - z) / self.delta
        terms = cp.logistic(2 * rho) - rho - np.log(2.0)
        return self.delta**2 * cp.sum(cp.multiply(w, terms))


loss = LogCoshLoss(delta=1.0)
print(loss, "== LogCoshLoss(1.0):", loss == LogCoshLoss(1.0))
try:
    LogCoshLoss(delta=-1)
except ValueError as error:
    print("ValueError:", error)

# %%
# Check the derivatives and the conjugate numerically
# ---------------------------------------------------
#
# As ``tests/test_losses.py`` does for every built-in loss: the derivatives against
# central finite differences, and the dual value against its definition,
# :math:`-f_i^*(-s\theta_i) = \min_u f_i(u) + s\theta_i u`, each minimum found by a
# scalar solver.

rng = np.random.RandomState(0)
y, z, w = 2 * rng.randn(40), rng.randn(40), rng.uniform(0.5, 2.0, 40)
h = 1e-6
numeric = (w * loss.pointwise(y, z + h) - w * loss.pointwise(y, z - h)) / (2 * h)
print("derivative, max abs error:       ", np.abs(loss.derivative(y, w, z) - numeric).max())
numeric = (loss.derivative(y, w, z + h) - loss.derivative(y, w, z - h)) / (2 * h)
print(
    "second derivative, max abs error:",
    np.abs(loss.second_derivative(y, w, z) - numeric).max(),
)

for scale in (1.0, 0.6):
    theta = -scale * loss.derivative(y[:8], w[:8], z[:8])
    minima = [
        minimize_scalar(
            lambda u, i=i, theta=theta: w[i] * loss.pointwise(y[i], u) + theta[i] * u,
            bounds=(-30, 30),
            method="bounded",
            options={"xatol": 1e-12},
        ).fun
        for i in range(8)
    ]
    ours = loss.dual_value(y[:8], w[:8], z[:8], scale)
    print(f"dual value at s={scale}: {ours:.10f}, by minimisation: {sum(minima):.10f}")

# %%
# Data with outliers
# ------------------
#
# Five tasks share three relevant features out of ten; each target is corrupted by
# a gross error (+30) with probability 5 % (20 of the 300 here).

X, y, tasks, coef = make_joint_sparse(
    n_tasks=5, n_samples=60, n_features=10, n_informative=3, noise=0.3, random_state=0
)
outliers = np.random.RandomState(1).rand(len(y)) < 0.05
y_corrupted = np.where(outliers, y + 30.0, y)
print(f"{outliers.sum()} outliers among {len(y)} samples")

# %%
# Fit it, with any penalty and with a named estimator
# ---------------------------------------------------
#
# :class:`~skmtl.MultiTaskEstimator` takes any loss with any penalty; every named
# estimator takes ``loss=`` too. The solver reads the declarations: a loss with
# ``newton=True`` on at most 100 features gets proximal Newton steps; its
# ``dual_value`` gives the duality gap that stops the solve and is reported as
# ``dual_gap_``, an upper bound on the distance of ``objective_`` to the optimum.

generic = MultiTaskEstimator(loss=LogCoshLoss(), penalty=L21(0.05), tol=1e-10)
generic.fit(X, y_corrupted, tasks=tasks)
named = GroupLassoRegressor(alpha=0.05, loss=LogCoshLoss(), tol=1e-10)
named.fit(X, y_corrupted, tasks=tasks)
squared = GroupLassoRegressor(alpha=0.05, tol=1e-10).fit(X, y_corrupted, tasks=tasks)
print(f"MultiTaskEstimator:  objective {generic.objective_:.10f}, gap {generic.dual_gap_:.1e}")
print(f"GroupLassoRegressor: objective {named.objective_:.10f}, gap {named.dual_gap_:.1e}")
print("same coefficients:", np.allclose(generic.coef_, named.coef_, atol=1e-8))

true = coef  # (n_tasks, n_features), as coef_
for name, model in [("log-cosh", named), ("squared", squared)]:
    error = np.abs(model.coef_ - true).max()
    print(f"{name:>9} loss: max coefficient error {error:.3f}")

# %%
# The cvxpy reference
# -------------------
#
# ``solver="cvxpy"`` writes the same objective with the loss's ``cvxpy`` expression
# and solves it with a conic solver. cvxpy is an optional dependency
# (``pip install 'skmtl[cvxpy]'``), hence the guard.

try:
    import cvxpy  # noqa: F401
except ImportError:
    print("cvxpy is not installed: skipping the reference solve")
else:
    reference = GroupLassoRegressor(alpha=0.05, loss=LogCoshLoss(), solver="cvxpy")
    reference.fit(X, y_corrupted, tasks=tasks)
    gap = (named.objective_ - reference.objective_) / abs(reference.objective_)
    print(f"cvxpy objective {reference.objective_:.10f}; relative difference {gap:.1e}")
    # the certificate at a loose tolerance: the gap bounds the true excess
    loose = GroupLassoRegressor(alpha=0.05, loss=LogCoshLoss(), tol=1e-3)
    loose.fit(X, y_corrupted, tasks=tasks)
    excess = loose.objective_ - reference.objective_
    print(f"tol=1e-3: excess over the optimum {excess:.1e} <= dual_gap_ {loose.dual_gap_:.1e}")

# %%
# The coefficients
# ----------------
#
# The squared loss lets the outliers drag the coefficients (and adds spurious
# features); the log-cosh loss stays close to the truth.

fig, ax = plt.subplots(figsize=(6, 3.2))
ax.plot(true.ravel(), "ko", label="true", markersize=4)
ax.plot(squared.coef_.ravel(), "x", label="squared loss")
ax.plot(named.coef_.ravel(), "+", label="log-cosh loss", markersize=8)
ax.set_xlabel("coefficient (task by task, 10 features each)")
ax.set_ylabel("value")
ax.legend(frameon=False)
fig.tight_layout()
plt.show()
