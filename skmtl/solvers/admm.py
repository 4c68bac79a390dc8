"""ADMM on per-task Gram statistics, for any penalty with an exact prox.

Splits ``min_W f(W) + R(Z)`` over ``W = Z`` (scaled form, Boyd et al. 2011 sec. 3).
The ``W``-step is one linear solve per task, ``(C_t + rho M) w_t = b_t + rho M (z_t
- u_t)`` (``M`` the identity, or a metric for row norms, below), exact whatever the
conditioning of ``C_t``: the inverses are computed once per ``rho`` (one batched
inverse, ``T d^3``, cheap with few features). The ``Z``-step is the penalty's prox
with step ``1 / rho`` in that metric. ``rho`` follows residual
balancing (Boyd et al. sec. 3.4.1, by the square root of the residuals' ratio as
Wohlberg 2017), which refactors when it changes.

A split model ``W = P + Q`` (:class:`~skmtl._datafit.SplitDatafit`) is solved as
consensus over the stacked block ``[P; Q]`` with ``f(P + Q)``: its ``X``-step
solves ``(C_t + rho / 2 M) s_t = rho / 2 M (a_P + a_Q)_t + b_t`` for ``s = P + Q``,
then ``P = a_P - M^-1 g / rho`` with ``g = C s - b`` and ``Q = s - P``.

The step's result is ``s`` itself (``Q = s - P`` rather than ``a_Q - g / rho``, the
same in exact arithmetic): ``a - g / rho`` carries the round-off of ``g``, about
``eps |b|``, divided by ``rho``, which the curvature ``C`` multiplies back into the
gradient. On a column of scale 1000 next to one-hot ones (curvature ratio about
1e7 to ``rho``) that noise held the gap at 1e-8 to 1e-6 relative, where ADMM
stopped as stalled; from ``s``, 1e-11 in a few hundred iterations.

For a norm on each row (L1, L2,1, L1/Linf, sparse-group, the dirty model's row
norm or its two parts) the proximal terms are weighted by each feature's own
curvature, ``rho ||x - a||_M^2`` with ``M = diag(max_t C_t[j, j])``
(:func:`row_metric`; the prox stays exact): ADMM on features rescaled to unit
curvature, without changing the model. One ``rho`` for all features is too large
for the low-curvature ones and too small for the others. Measured (issue 18,
School-like data, curvatures from 0.003 to 600, tol 1e-6 and 1e-10): the dirty
model 959 and 1709 iterations before, 149 and 329 with the metric; the L1/Linf
group lasso 605 and 917, 101 and 185. The extrapolations below are in the metric
too, which makes the iterates follow a rescaling of the features.

The duality gap at the penalty's iterate ``Z`` (feasible for the penalty's
structure) stops the iterations, as in FISTA.

ADMM is Douglas-Rachford splitting on ``V = X + U`` (the prox's input): ``V <-
T(V)`` with ``Z = prox(V)``. Between two changes of ``rho`` (every ``_GAP_FREQ``
iterations at most) the last iterates ``V`` are extrapolated (Anderson
acceleration, as in Fu, Zhang & Boyd 2019), and the extrapolated point is kept
only if ``T``'s residual there is below the last plain iteration's: that test costs
one iteration (counted in ``n_iter``; continued from when kept). On the School-like
data of issue 18 it cuts the iterations 1.5-4.5x.
"""

from __future__ import annotations

import numpy as np

from .._datafit import SplitDatafit
from .._linalg import inner
from ..penalties import RowNormPenalty
from . import cd as _cd
from .cd import feature_curvatures, spread_reaches
from .fista import SolverResult, duality_gap, warn_not_converged
from .spd import spd_inverse

#: ADMM is chosen (solver="auto") up to this many features (a T d^3 inverse per rho)
MAX_FEATURES = 100
#: and where the curvature spread (:func:`~skmtl.solvers.cd.curvature_spread`) is at
#: least this; FISTA below. Its ``W``-step is exact whatever the feature scales, so
#: its iteration count barely grows with the spread, while FISTA's does; on well
#: scaled data FISTA's iteration is the cheaper one for as many or fewer
#: iterations (issue 18: the task-relation benchmark, spread about 2-4, ran 1.6x
#: slower by ADMM). The same threshold as coordinate descent's (``cd.MIN_SPREAD``)
MIN_SPREAD = 100.0
#: iterations between duality gaps and between adaptations of rho
_GAP_FREQ = 5
#: residual balancing: when one residual exceeds the other by more than _BALANCE,
#: change rho by the square root of their ratio (Wohlberg 2017), at most
#: _RHO_FACTOR_MAX. Measured against a fixed factor 2 (issue 18, School-like data,
#: iterations at tol 1e-6): the dirty regressor 365 -> 203, L1/Linf group lasso 179
#: -> 113, clustered 47 -> 35; 0.55-1.05x on every model that runs ADMM, 0.58-1.14x
#: at tol 1e-10. Inside proximal Newton (test_spectral_newton_matches_cvxpy...,
#: 8 fits): 3842 iterations in all, 2990 with the cap at 10, 3487 at 100
_BALANCE, _RHO_FACTOR_MAX = 10.0, 10.0
#: in the metric of a row norm (rho about 1, in units of each feature's curvature)
#: rho follows the residuals more closely: School-like data, tol 1e-6, against 10:
#: the dirty classifier 486 -> 294 iterations (0.23 -> 0.185 s), dirty regressor
#: 203 -> 119, L1/Linf group lasso 170 -> 116 and 113 -> 83. Not for the others:
#: with 3 the trace norm, robust low-rank and clustered regressors took 1.2-1.3x
#: the time
_BALANCE_IN_METRIC = 3.0
#: and keep rho within this factor of its first value either way
_RHO_RANGE = 1e6
#: with a metric (:func:`row_metric`), the first rho (proximal Newton passes the
#: last solve's) is kept within this factor of 1. Measured (DirtyClassifier, tol
#: 1e-6 and 1e-10): School-like data 545 and 1016 ADMM iterations in all, 581 and
#: 1354 unbounded; Gaussian data 968 and 1476, 992 and 2004 unbounded
_METRIC_RHO_START = 100.0
#: no Anderson extrapolation once the fixed-point residual is below this fraction of
#: the iterate: near round-off its least squares fit noise, and the plain iterations
#: must settle on the floating-point fixed point (whose gap is the smallest)
_ANDERSON_FLOOR = 1e-10
#: gap checks without a new lowest gap, with the iterates settled, that end the
#: iterations as stalled (the gap's round-off, not a convergence failure)
_STALL_CHECKS = 10


def _gram_of(datafit):
    """``(gram, k)``: the Gram statistics and the number of stacked blocks."""
    if isinstance(datafit, SplitDatafit):
        return datafit.inner, 2
    return datafit, 1


def serves(datafit, penalty):
    """Gram statistics (possibly of a split model)."""
    gram, _ = _gram_of(datafit)
    return hasattr(gram, "grams")


def use_admm(datafit, penalty):
    """The ``solver="auto"`` rule: ADMM where it serves, on at most ``MAX_FEATURES``
    features whose curvature spread (:func:`~skmtl.solvers.cd.spread_reaches`, of the
    features' or the tasks' curvatures in the Gram statistics of a split model's
    ``W``) is at least ``MIN_SPREAD``, or of a
    split model ``W = P + Q`` (a penalty on the stacked parts, or the dirty model's
    row norm on ``W``) whatever the spread; FISTA otherwise. Deterministic (a
    function of the penalty and the Gram statistics alone).

    Split models, because FISTA on the parts crawls where a strong penalty on one
    meets a weak one on the other. Measured on the Exam data's ``*CV`` paths (65
    tasks, 4 well-scaled features, FISTA 100 to 800 iterations a solve there):
    ADMM 4.2x faster for the robust low-rank model, 3.3x for the dirty one; on
    Gaussian School-sized single fits (bench_low_rank's problems) 0.87-1.38x
    FISTA's time, 1.05x on geometric mean."""
    if not serves(datafit, penalty):
        return False
    gram = _gram_of(datafit)[0]
    if gram.n_features > MAX_FEATURES:
        return False
    split = getattr(penalty, "split", False) or hasattr(penalty, "split_form")
    return split or spread_reaches(gram, MIN_SPREAD)


def row_metric(gram, penalty):
    """Each feature's own curvature ``max_t C_t[j, j]`` (of the Grams with a shared
    intercept held; a constant feature's: the smallest of the others), the metric of
    ADMM's proximal terms when the penalty is a norm on each row
    (:class:`~skmtl.penalties.RowNormPenalty`, also both parts of a split model);
    None otherwise (one ``rho`` for all).

    In that metric the penalty's prox stays exact: ``omega`` being a norm, the prox of
    a row with step ``s / m_j`` is ``prox_{s omega}(m_j v) / m_j``."""
    parts = [penalty.first, penalty.second] if penalty.split else [penalty]
    if not all(isinstance(p, RowNormPenalty) for p in parts):
        return None
    lips = feature_curvatures(gram)
    positive = lips[lips > 0]
    if len(positive) == 0:
        return None
    return np.where(lips > 0, lips, positive.min())  # a constant feature: any scale


class _Solves:
    """The data term's proximal step: ``s`` minimising ``f(s) + shift/2 ||s - a||_M^2``
    for ``rhs = shift M a + b``, by ``(C_t + shift M)^{-1}`` for every task (``M`` the
    identity or :func:`row_metric`), refactored when ``shift`` changes.

    Pooled intercepts add ``1/2 sum_t delta_t (ybar_t - xbar_t^T s_t - b_0)^2`` over a
    shared ``b_0``: each task's matrix gains ``delta_t xbar_t xbar_t^T``, ``s_t`` is
    affine in ``b_0`` (``u_t - b_0 v_t``), and ``b_0``'s own optimality condition, one
    scalar equation, fixes it (one per class for a multinomial model's virtual
    tasks, class by class)."""

    def __init__(self, gram, metric=None):
        self.grams, self.shift, self.inverse = gram.held_grams(), None, None
        d = gram.grams.shape[1]
        self.eye = np.eye(d) if metric is None else np.diag(metric)  # I, or the metric M
        self.pooled = gram.precision is not None
        if self.pooled:
            delta = gram._delta()
            self.n_groups = 1 if delta.ndim == 1 else delta.shape[0]
            self.delta, self.xbar, self.ybar = delta.reshape(-1), gram.x_mean, gram.y_mean

    def _apply(self, rhs):
        if self.inverse.shape[0] == 1:
            return self.inverse[0] @ rhs
        return np.matmul(self.inverse, rhs.T[:, :, None])[:, :, 0].T

    def __call__(self, rhs, shift):
        if shift != self.shift:
            self.shift = shift
            self.inverse = spd_inverse(self.grams + shift * self.eye)
            if self.pooled:  # s_t's slope in b_0, and b_0's coefficient in its equation
                self.slope = self.delta * self._apply(self.xbar)
                curvature = self.delta * (1.0 - np.einsum("jt,jt->t", self.xbar, self.slope))
                self.total = curvature.reshape(self.n_groups, -1).sum(axis=1)
        if not self.pooled:
            return self._apply(rhs)
        u = self._apply(rhs + self.delta * self.ybar * self.xbar)
        residual = self.ybar - np.einsum("jt,jt->t", self.xbar, u)
        sums = (self.delta * residual).reshape(self.n_groups, -1).sum(axis=1)
        b0 = np.divide(sums, self.total, out=np.zeros_like(sums), where=self.total > 0)
        return u - np.repeat(b0, len(residual) // self.n_groups) * self.slope


def admm(
    datafit,
    penalty,
    C0,
    *,
    max_iter=1000,
    tol=1e-4,
    threshold=None,
    rho=None,
    dual_candidate=True,
    dual=None,
    anderson=True,
    patience=None,
    verbose=0,
    **_,
):
    """Minimise ``datafit(X) + penalty(X)`` by ADMM from ``C0``; ``n_iter`` counts
    ADMM iterations. Stops as :func:`~skmtl.solvers.fista.fista`. ``rho`` is the
    first penalty parameter (default: the mean diagonal entry of the Gram matrices,
    or 1 in the metric of :func:`row_metric`; proximal Newton passes the last
    solve's, whose data term is similar, there kept within [0.01, 100]).
    ``dual_candidate``: also try the dual point of the data term's step ``X``
    (:func:`~skmtl.solvers.fista.duality_gap`); its result is ``dual_coef``.
    ``dual``: the dual variable to start from (a previous solve's ``result.dual``,
    whose data term was similar: proximal Newton's last model), for penalties
    without a metric; default: minus the gradient at ``C0``. Measured (School-like
    data, classifiers, tol 1e-6 / 1e-10, ADMM iterations): task relations 50 / 67
    -> 33 / 44, robust low rank 157 / 263 -> 121 / 144, trace norm 68 / 114 -> 56
    / 90; with a row norm's metric it took more (the dirty model 294 -> 318).
    ``anderson``: extrapolate the iterates (see the module's docstring).
    ``patience``: stop, without a warning, after this many gap checks without a new
    lowest gap (for a caller that finishes the solve by another method; None:
    never)."""
    if not serves(datafit, penalty):
        raise ValueError(
            "solver='admm' needs the squared loss through Gram statistics (or another "
            "loss, whose proximal Newton models are Gram statistics). Use "
            "solver='fista'."
        )
    gram, k = _gram_of(datafit)
    if threshold is None:
        threshold = tol * datafit.gap_scale()
    d = gram.n_features
    Z = np.array(C0[: k * d], dtype=float)
    blocks = Z.reshape(k, d, -1)
    metric = row_metric(gram, penalty)
    balance = _BALANCE if metric is None else _BALANCE_IN_METRIC
    solve = _Solves(gram, metric)
    # the metric of each row, and of each stacked row (1: the identity)
    m = 1.0 if metric is None else metric[:, None]
    mk = 1.0 if metric is None else np.tile(m, (k, 1))
    if metric is not None:  # rho in units of each feature's curvature: about 1
        rho = 1.0 if rho is None or not np.isfinite(rho) or rho <= 0 else rho
        rho = min(max(rho, 1 / _METRIC_RHO_START), _METRIC_RHO_START)
    elif rho is None or not np.isfinite(rho) or rho <= 0:
        # the typical curvature of the data term (the mean diagonal entry)
        rho = float(np.mean(np.diagonal(gram.grams, axis1=1, axis2=2))) or 1.0
    rho0 = rho
    if dual is not None and metric is None and dual.shape == Z.shape:
        U = dual / rho  # a previous solve's dual variable
    else:  # minus the gradient at the start
        U = -gram.gradient(gram.linear(blocks.sum(axis=0))) / (rho * m)
        U = np.concatenate([U] * k)

    root = np.sqrt(mk)

    def norm(x):  # the metric's norm ||x||_M: the same for rescaled features
        scaled = root * x
        return np.sqrt(inner(scaled, scaled))

    def prox(V, rho):
        """The penalty's prox with step ``1 / rho`` in the metric (row by row)."""
        if metric is None:
            return penalty.prox(V, 1.0 / rho)
        return penalty.prox(V * mk, 1.0 / rho) / mk

    def data_step(Z, U):
        """The data term's exact step ``X`` from ``Z - U``, and ``V = X + U``."""
        A = (Z - U).reshape(k, d, -1)
        s = solve(rho / k * m * A.sum(axis=0) + gram.b, rho / k)
        if k == 1:
            return s, s + U
        X = A - gram.gradient(gram.linear(s)) / (rho * m)
        X[-1] = s - X[:-1].sum(axis=0)  # the parts sum to s exactly (see above)
        X = X.reshape(k * d, -1)
        return X, X + U

    gap, primal, n_iter, stalled, X = np.inf, np.nan, 0, False, None
    best_gap, since_best, best = np.inf, 0, None
    history = []  # the iterates V of the current rho, for Anderson's extrapolation
    while n_iter < max_iter:
        n_iter += 1
        X, V = data_step(Z, U)
        Z_old = Z
        Z = prox(V, rho)
        U = V - Z
        history.append(V)
        if len(history) < _GAP_FREQ and n_iter < max_iter:
            continue
        # both residuals times rho, so that the balancing of rho does not depend on
        # the scale of y, and in the metric's norm, so that it does not depend on
        # the features' scales either (in the gradient's units, ||rho M dW||, the
        # dirty model on School-like data took 1.5-2.5x fewer iterations, but a
        # column of scale 1000, curvature 1e6, drove rho to 1e-4 and the logistic
        # fit of test_admm_certifies_tight_gaps... to 5000 iterations)
        primal_res = rho * norm(X - Z)
        dual_res = rho * norm(Z - Z_old)
        # round-off: both residuals below a few ulps of the iterate (what tol=0 asks)
        floor = 1e-14 * rho * norm(Z)
        stalled = primal_res <= floor and dual_res <= floor
        # the dual point of X (the data term's exact step) as well as Z's: on
        # ill-conditioned data X's certifies the same Z many iterations sooner
        candidates = [X] if dual_candidate else ()
        gap, primal, _, _ = duality_gap(
            datafit, penalty, Z, datafit.linear(Z), candidates, threshold
        )
        # or the gap's own round-off: with both residuals within 10 times that floor
        # (the iterates' last ulps, amplified in the gradient by the curvature, up
        # to 1e6 on unscaled features), a gap with no new low for _STALL_CHECKS
        if gap < best_gap:
            best_gap, since_best, best = gap, 0, (Z, X, gap, primal)
        else:
            since_best += 1
        settled = primal_res <= 10 * floor and dual_res <= 10 * floor
        stalled = stalled or (settled and since_best >= _STALL_CHECKS)
        impatient = patience is not None and since_best >= patience
        if verbose:
            print(f"iter {n_iter:5d}  objective {primal:.10e}  gap {gap:.3e}  rho {rho:.3g}")
        if (gap <= threshold and threshold > 0) or stalled or n_iter >= max_iter:
            break
        if impatient:
            if best is not None:
                Z, X, gap, primal = best
            return SolverResult(
                Z, n_iter, float(gap), float(primal), float(rho), dual_coef=X, dual=rho * mk * U
            )
        residual = norm(history[-1] - history[-2]) if len(history) > 1 else 0.0
        if anderson and len(history) > 2 and residual > _ANDERSON_FLOOR * norm(V):
            # Anderson extrapolation of the fixed-point iteration V -> T(V) (ADMM as
            # Douglas-Rachford splitting), kept if T's residual at the extrapolated
            # point is below the last plain iteration's; the test's iteration is
            # counted, and continued from when kept
            extrapolated = _cd.anderson([root * h for h in history])
            extrapolated = None if extrapolated is None else extrapolated / root
            # (not as the last iteration: the gap of its result would be unchecked)
            if extrapolated is not None and n_iter + 1 < max_iter:
                n_iter += 1
                Z_try = prox(extrapolated, rho)
                X_try, V_try = data_step(Z_try, extrapolated - Z_try)
                if norm(V_try - extrapolated) < residual:
                    Z = prox(V_try, rho)
                    U, X = V_try - Z, X_try
        history = []
        # residual balancing, but not on residuals of round-off (their ratio is
        # noise, and drove rho down by 2^25 and the iterates away from the optimum
        # on a rank-deficient design), and within _RHO_RANGE of the first rho
        if max(primal_res, dual_res) <= 1e3 * floor:
            continue
        high, low = max(primal_res, dual_res), min(primal_res, dual_res)
        factor = min(np.sqrt(high / low), _RHO_FACTOR_MAX) if low > 0 else _RHO_FACTOR_MAX
        if primal_res > balance * dual_res and rho * factor <= rho0 * _RHO_RANGE:
            rho, U = rho * factor, U / factor
        elif dual_res > balance * primal_res and rho / factor >= rho0 / _RHO_RANGE:
            rho, U = rho / factor, U * factor
    if n_iter == 0:
        gap, primal, _, _ = duality_gap(datafit, penalty, Z, datafit.linear(Z))
    elif best_gap < gap:
        # the iterate of the lowest gap: near round-off an extrapolation can leave
        # the last one's gap 100 times above it (then falling slowly)
        Z, X, gap, primal = best
    if gap > threshold and not stalled:
        warn_not_converged(gap, n_iter, threshold, tol, method="ADMM")
    return SolverResult(
        Z,
        n_iter,
        float(gap),
        float(primal),
        float(rho),
        dual_coef=X if dual_candidate else None,
        dual=rho * mk * U,
    )
