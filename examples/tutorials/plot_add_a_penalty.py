"""
Add a penalty: a multi-task elastic net, step by step
=====================================================

A penalty in skmtl is an object (a subclass of :class:`skmtl.penalties.Penalty`)
that gives the proximal solvers what they need: its value, its proximal operator and,
for the duality gap that certifies and stops every solve, its convex conjugate. This
page builds the row-wise elastic net

.. math::

   R(W) = \\alpha \\sum_{j=1}^{d} \\lVert W_j \\rVert_2
          + \\frac{\\beta}{2} \\lVert W \\rVert_F^2 ,

the group lasso (a feature is selected for all tasks at once) plus a ridge, which
keeps the solution unique and spreads the weight over correlated features instead of
picking one of them. With the squared loss and one design shared by all tasks it is
scikit-learn's ``MultiTaskElasticNet``, which gives us a known answer to check.
"""

# %%
# The maths
# ---------
#
# * **prox**: :math:`\mathrm{prox}_{sR}(V) = \arg\min_W R(W) + \lVert W - V
#   \rVert_F^2/(2s)`. The ridge and the proximity term combine into one square,
#   :math:`\frac{1 + s\beta}{2s}\lVert W - V/(1 + s\beta)\rVert_F^2` up to a constant, so
#   the prox is the group lasso's (block soft-thresholding at level :math:`s\alpha/(1 +
#   s\beta)`) applied to :math:`V/(1 + s\beta)`:
#
#   .. math::
#
#      \mathrm{prox}_{sR}(V)_j = \frac{1}{1 + s\beta}
#          \Big(1 - \frac{s\alpha}{\lVert V_j \rVert}\Big)_+ V_j .
#
# * **conjugate**: :math:`R^*(G) = \sup_W \langle G, W\rangle - R(W)` separates over
#   the rows. For a row :math:`g`, the best :math:`w` points along :math:`g`; with
#   :math:`w = c\, g/\lVert g\rVert` the objective is :math:`c\lVert g\rVert - \alpha c
#   - \beta c^2/2`, maximal at :math:`c = (\lVert g\rVert - \alpha)_+/\beta`, so
#
#   .. math::
#
#      R^*(G) = \frac{1}{2\beta} \sum_j \big(\lVert G_j \rVert - \alpha\big)_+^2 .
#
# * **dual scale**: :math:`R^*` is finite everywhere (for :math:`\beta > 0`), so the
#   dual point needs no rescaling: the default ``dual_scale`` (1) is right. A pure norm
#   (:math:`\beta = 0`) has a conjugate that is infinite outside the dual-norm ball; a
#   :class:`~skmtl.penalties.NormPenalty` rescales into it instead.
# * **cvxpy**: ``alpha * sum(norm(W, 2, axis=1)) + beta / 2 * sum_squares(W)``.
#
# The penalty is a sum over rows, but it is not a norm, so it does not declare
# ``row_separable`` (working sets and screening need a row dual norm, see
# :class:`~skmtl.penalties.RowNormPenalty`): the solver uses FISTA or proximal Newton.

# %%
# A first attempt, with a method missing
# --------------------------------------
#
# Value and prox are enough to iterate, but not to know when to stop. The solver
# checks what a penalty provides before it starts and names what is missing.
# :class:`~skmtl.penalties.Params`, the first base class, gives ``get_params`` and
# ``set_params`` from the constructor's arguments, which the constructor stores
# under their own names (so that a grid search can tune them, below).

import warnings
from numbers import Real

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import MultiTaskElasticNet
from sklearn.model_selection import GridSearchCV

from skmtl import MultiTaskEstimator
from skmtl.datasets import make_joint_sparse
from skmtl.penalties import L21, Params, Penalty


def _row_norms(W):
    return np.sqrt(np.einsum("ij,ij->i", W, W))


class RowElasticNetDraft(Params, Penalty):
    def __init__(self, alpha=1.0, beta=1.0):
        for name, value in (("alpha", alpha), ("beta", beta)):
            if not (isinstance(value, Real) and 0 <= value < np.inf):
                raise ValueError(f"{name} must be a non-negative finite number; got {value!r}.")
        if beta == 0:
            raise ValueError("beta must be positive (beta=0 is the group lasso: use L21).")
        self.alpha, self.beta = float(alpha), float(beta)

    def value(self, W):
        return self.alpha * _row_norms(W).sum() + 0.5 * self.beta * np.sum(W * W)

    def prox(self, V, step):
        norms = _row_norms(V)
        shrink = np.maximum(norms - step * self.alpha, 0.0)
        np.divide(shrink, norms, out=shrink, where=norms > 0)  # a zero row stays zero
        return V * (shrink / (1.0 + step * self.beta))[:, None]


# one design for all tasks: Y has one column per task
X, Y, _, _ = make_joint_sparse(
    n_tasks=4, n_samples=80, n_features=12, n_informative=4, shared_design=True, random_state=0
)
try:
    MultiTaskEstimator(penalty=RowElasticNetDraft(0.1, 0.2)).fit(X, Y)
except TypeError as error:
    print("TypeError:", error)

# %%
# The complete penalty
# --------------------
#
# Add the conjugate for the duality gap and the cvxpy expression for the reference
# solver. Every method is a function of its arguments: the penalty keeps no state.


class RowElasticNet(RowElasticNetDraft):
    """``alpha * sum_j ||W_j||_2 + beta / 2 * ||W||_F^2``."""

    def conjugate(self, G):
        excess = np.maximum(_row_norms(G) - self.alpha, 0.0)
        return float(np.sum(excess**2)) / (2.0 * self.beta)

    def cvxpy(self, W):
        import cvxpy as cp

        return self.alpha * cp.sum(cp.norm(W, 2, axis=1)) + 0.5 * self.beta * cp.sum_squares(W)


penalty = RowElasticNet(alpha=0.7, beta=0.5)

# %%
# Check the prox and the conjugate numerically
# --------------------------------------------
#
# Without cvxpy: :math:`W = \mathrm{prox}_{sR}(V)` exactly when :math:`(V - W)/s` is a
# subgradient of :math:`R` at :math:`W`, and then the Fenchel-Young inequality
# :math:`R(W) + R^*(G) \ge \langle G, W\rangle` holds with equality. Both the prox and
# the conjugate must be right for it to hold.

rng = np.random.RandomState(0)
V, step = 0.6 * rng.randn(6, 4), 0.8
V[2] = 0.0  # a zero row must be handled
W = penalty.prox(V, step)
G = (V - W) / step
fenchel_young = lambda G, W: penalty.value(W) + penalty.conjugate(G) - np.vdot(G, W)
print(f"Fenchel-Young: R(W) + R*(G) - <G, W> = {fenchel_young(G, W):.1e}")
G_other = rng.randn(6, 4)
print(f"  and >= 0 elsewhere: {fenchel_young(G_other, W):.3f}")

# %%
# With cvxpy (an optional dependency, hence the guard), as ``tests/test_penalties.py``
# does: the prox against its definition, and the conjugate against the supremum.

try:
    import cvxpy as cp
except ImportError:
    cp = None
    print("cvxpy is not installed: skipping the conic checks")
else:
    U = cp.Variable(V.shape)
    proximity = cp.sum_squares(U - V) / (2 * step)
    cp.Problem(cp.Minimize(penalty.cvxpy(U) + proximity)).solve(solver=cp.CLARABEL)
    objective = lambda A: penalty.value(A) + np.sum((A - V) ** 2) / (2 * step)
    print(f"prox against cvxpy, max abs difference: {np.abs(W - U.value).max():.1e}")
    print(f"  objective at ours minus at cvxpy's: {objective(W) - objective(U.value):.1e}")
    linear = cp.sum(cp.multiply(G_other, U))
    cp.Problem(cp.Maximize(linear - penalty.cvxpy(U))).solve(solver=cp.CLARABEL)
    conic = np.vdot(G_other, U.value) - penalty.value(U.value)
    print(f"conjugate: ours {penalty.conjugate(G_other):.8f}, cvxpy {conic:.8f}")

# %%
# Fit it, and check the answer
# ----------------------------
#
# With the squared loss and one design for all tasks (``Y`` with one column per
# task), the objective is :math:`\frac{1}{2n}\lVert Y - XW - 1b^\top\rVert_F^2 + R(W)`,
# scikit-learn's ``MultiTaskElasticNet`` with ``alpha * l1_ratio`` = :math:`\alpha`
# and ``alpha * (1 - l1_ratio)`` = :math:`\beta`. ``dual_gap_`` is the certificate
# computed from our conjugate.

alpha, beta = 0.1, 0.2
model = MultiTaskEstimator(penalty=RowElasticNet(alpha, beta), tol=1e-10).fit(X, Y)
sk = MultiTaskElasticNet(alpha=alpha + beta, l1_ratio=alpha / (alpha + beta), tol=1e-12)
sk.fit(X, Y)
print(f"objective {model.objective_:.10f}, duality gap {model.dual_gap_:.1e}")
difference = np.abs(model.coef_ - sk.coef_).max()
print(f"MultiTaskElasticNet, max coefficient difference: {difference:.1e}")

# %%
# The gap is reported as 0 when it is below the round-off of the objective's sums.
# Any loss works with the penalty; here also the logistic loss (a classifier per
# task), both checked against the cvxpy optimum. skmtl asks the conic solver for
# tolerances of 1e-10, at which it sometimes flags its solution as "inaccurate" while
# it agrees with ours to round-off: the comparison itself is the check, so that
# warning is silenced here.

Y_binary = (Y > np.median(Y, axis=0)).astype(int)
if cp is not None:
    for loss, target in [("squared", Y), ("logistic", Y_binary)]:
        ours = MultiTaskEstimator(loss=loss, penalty=RowElasticNet(alpha, beta), tol=1e-10)
        ours.fit(X, target)
        ref = MultiTaskEstimator(loss=loss, penalty=RowElasticNet(alpha, beta), solver="cvxpy")
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Solution may be inaccurate")
            ref.fit(X, target)
        relative = (ours.objective_ - ref.objective_) / abs(ref.objective_)
        print(
            f"{loss:>8}: objective {ours.objective_:.8f}, gap {ours.dual_gap_:.1e}, "
            f"relative difference to cvxpy {relative:.1e}"
        )

# %%
# Tune it
# -------
#
# Through :class:`~skmtl.penalties.Params` the penalty has ``get_params`` and
# ``set_params``: a grid search tunes its parameters by nested names.

grid = {"penalty__alpha": [0.01, 0.1, 1.0], "penalty__beta": [0.05, 0.5]}
search = GridSearchCV(MultiTaskEstimator(penalty=RowElasticNet()), grid, cv=4).fit(X, Y)
print(f"best {search.best_params_}, mean R^2 over the folds {search.best_score_:.3f}")

# %%
# What the ridge adds
# -------------------
#
# Three copies (up to small noise) of one relevant feature. The group lasso splits
# the weight unevenly between them, as the noise happens to favour one (with exact
# copies its solution would not even be unique); the elastic net spreads it evenly
# over the three, the grouping effect of the ridge.

rng = np.random.RandomState(3)
latent = rng.randn(100, 1)
X_corr = np.hstack([latent + 0.05 * rng.randn(100, 3), rng.randn(100, 5)])
Y_corr = latent @ rng.uniform(1, 2, (1, 4)) + 0.3 * rng.randn(100, 4)
fits = {
    "group lasso": MultiTaskEstimator(penalty=L21(0.1)),
    "elastic net": MultiTaskEstimator(penalty=RowElasticNet(0.1, 0.3)),
}
fig, ax = plt.subplots(figsize=(6, 3))
for k, (name, estimator) in enumerate(fits.items()):
    norms = _row_norms(estimator.fit(X_corr, Y_corr).coef_.T)
    print(f"{name:>12}: row norms of the three copies {np.round(norms[:3], 2)}")
    ax.bar(np.arange(8) + 0.4 * k - 0.2, norms, width=0.4, label=name)
ax.set_xlabel("feature (0-2: copies of one signal)")
ax.set_ylabel("row norm of W")
ax.legend(frameon=False)
fig.tight_layout()
plt.show()
