"""FISTA with backtracking and adaptive restart, stopped on the duality gap.

One loop serves every datafit and every penalty.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._linalg import inner

#: each iteration first tries a step this much longer than the last accepted one:
#: the local curvature is often well below the global Lipschitz constant
#: (Scheinberg, Goldfarb & Bai 2014); backtracking restores a safe step
_STEP_GROWTH = 1 / 0.9
_EPS = np.finfo(float).eps


@dataclass
class SolverResult:
    coef: np.ndarray  # the coefficient block (d or d + 1 rows, T columns)
    n_iter: int
    dual_gap: float  # absolute gap, in objective units
    primal: float
    lipschitz: float
    parts: tuple | None = None  # (P, Q) of a split model W = P + Q
    #: a coefficient block whose dual point certified the gap (see duality_gap),
    #: when it is not ``coef``'s (ADMM: its data-term step)
    dual_coef: np.ndarray | None = None
    #: ADMM's dual variable at the end (in the gradient's units): the next solve's
    #: start (see :func:`~skmtl.solvers.admm.admm`)
    dual: np.ndarray | None = None


def duality_gap(datafit, penalty, C, z, candidates=(), threshold=None):
    """``(gap, primal, C, z)`` at ``C``, after polishing any logistic intercepts.

    The dual point is that of ``C`` (minus the loss's derivative at its
    predictions, rescaled into the penalty's dual ball), or that of a candidate
    where its dual objective is higher: any dual-feasible point bounds the optimum
    from below, so the gap stays exact. ``candidates``: coefficient blocks, or
    ``(block, predictions)`` pairs whose predictions are not the block's own (a
    dual point that is the loss's derivative at them, not at ``X block``). A
    solver's smooth iterate (ADMM's data-term step) makes a better one on
    ill-conditioned data: its gradient is near the penalty's subdifferential, while
    that at ``C`` is off by the curvature times the (small) distance between the
    two. The candidates are not tried once the gap is at or below ``threshold``
    (each costs a gradient and an intercept polish: about a tenth of the time of
    MeanRegularizedClassifierCV on Contraception, where one Newton step from the
    warm start mostly reaches the optimum to round-off)."""
    C, z = datafit.polish(C, z)
    primal = datafit.value(z) + nonsmooth_value(datafit, penalty, C)
    dual = _dual_objective(datafit, penalty, C, z)
    for candidate in candidates:
        if threshold is not None and primal - dual <= threshold:
            break
        other, z_other = candidate if isinstance(candidate, tuple) else (candidate, None)
        other = np.array(other, dtype=float)
        z_other = datafit.linear(other) if z_other is None else z_other
        other, z_other = datafit.polish(other, z_other)
        dual = max(dual, _dual_objective(datafit, penalty, other, z_other))
    gap = primal - dual
    # round-off of the two sums (each a few dozen terms deep, of terms up to the
    # problem's own scale, never an absolute one) is not a gap; no dual-feasible
    # point (-inf) leaves it infinite
    roundoff = 64 * np.finfo(float).eps * max(abs(primal), abs(dual), datafit.gap_scale())
    if np.isfinite(dual) and abs(gap) <= roundoff:
        gap = 0.0
    return gap, primal, C, z


def nonsmooth_value(datafit, penalty, C):
    """The objective's terms beside the data term at the block ``C``: the penalty on
    its coefficients and, for an intercept row (pooled intercepts), that row's own
    term."""
    d = datafit.n_features
    value = penalty.value(C[:d])
    return value + datafit.intercept_value(C[d]) if len(C) > d else value


def _dual_objective(datafit, penalty, C, z):
    """The dual objective at the dual point of ``C`` (predictions ``z``, intercepts
    polished)."""
    d = datafit.n_features
    minus_grad = -datafit.gradient(z)
    if C.shape[0] > d and not datafit.intercepts_optimal(z, minus_grad[d]):
        return -np.inf  # (not a dual-feasible point: it bounds nothing)
    G = minus_grad[:d]
    scale = penalty.dual_scale(G)
    dual = datafit.dual_value(z, scale) - penalty.conjugate(scale * G)
    if C.shape[0] > d:
        dual -= datafit.intercept_conjugate(scale * minus_grad[d])
    return dual


def fista(
    datafit,
    penalty,
    C0,
    *,
    max_iter=1000,
    tol=1e-4,
    gap_freq=10,
    threshold=None,
    lipschitz=None,
    metric=None,
    verbose=0,
):
    """Minimise ``datafit(C) + penalty(C[:d])`` from ``C0``.

    Stops when the duality gap falls below ``tol * datafit.gap_scale()`` (or below
    an absolute ``threshold`` if given; checked every ``gap_freq`` iterations),
    after ``max_iter`` iterations (with a
    :class:`~sklearn.exceptions.ConvergenceWarning` that reports the gap), or when
    the iterates stop moving (the only stop with ``tol=0``). ``lipschitz`` is a
    first guess of the step's curvature (default: the datafit's Lipschitz
    constant, or 1 with a ``metric``); backtracking corrects a guess that is too
    small.

    ``metric``: a weight ``m_j > 0`` per row of ``C`` (no intercept row), for a
    norm on each row (:class:`~skmtl.penalties.RowNormPenalty`): the steps are
    taken in the norm ``||x||_M^2 = sum_j m_j ||x_j||^2``, i.e. FISTA on the rows
    rescaled by ``sqrt(m_j)``, where the prox stays exact (row ``j``'s prox of a
    norm with step ``s / m_j`` is ``prox_s(m_j v) / m_j``). With each feature's own
    curvature as ``m_j``, badly scaled features no longer set the step of all
    (:func:`fista_in_metric`).
    """
    d = datafit.n_features
    if metric is not None and np.shape(C0)[0] != d:
        raise ValueError(
            f"fista's metric weighs the {d} rows of W; this block has an intercept row "
            f"({np.shape(C0)[0]} rows), whose prox has no metric here."
        )
    m = 1.0 if metric is None else np.asarray(metric, dtype=float)[:, None]
    if lipschitz is None:
        lipschitz = datafit.lipschitz() if metric is None else 1.0
    L = max(lipschitz, np.finfo(float).tiny)
    if threshold is None:
        threshold = tol * datafit.gap_scale()

    def prox_step(V, step):
        if metric is not None:  # (rows of W only: no intercept row)
            return penalty.prox(V * m, step) / m
        if V.shape[0] == d:
            return penalty.prox(V, step)
        out = np.empty_like(V)  # the intercept row has a prox of its own
        out[:d] = penalty.prox(V[:d], step)
        out[d] = datafit.intercept_prox(V[d], step)
        return out

    C = np.array(C0, dtype=float)
    C, z = datafit.polish(C, datafit.linear(C))
    gap, primal = np.inf, np.nan  # first computed after one iteration
    Y, zY, t = C, z, 1.0
    exact = datafit.exact_bregman
    n_iter, stalled, grow = 0, False, False
    while n_iter < max_iter:
        n_iter += 1
        if grow:
            L /= _STEP_GROWTH
        # an exact bregman (quadratic losses) needs neither the value nor a slack
        # for the round-off of value differences
        value_Y = None if exact else datafit.value(zY)
        slack = 0.0 if exact else 16 * np.finfo(float).eps * abs(value_Y)
        grad = datafit.gradient(zY)
        while True:
            C_new = prox_step(Y - grad / (L * m), 1.0 / L)
            z_new = datafit.linear(C_new)
            step = C_new - Y
            excess = datafit.bregman(z_new, zY, value_Y, grad, step)
            bound = 0.5 * L * inner(step, m * step)
            if excess <= bound + slack:
                break
            # NaN (a NaN gradient or strength, overflowed targets, L doubled past
            # the largest float): no step passes the test, and the caller raises
            if np.isnan(excess) or np.isnan(bound):
                return SolverResult(C_new, n_iter, np.nan, np.nan, float(L))
            # a step at the round-off of the iterate: the test compares round-off
            # (doubling L would never pass it, up to L = inf and a NaN bound)
            if np.max(np.abs(step), initial=0.0) <= 4 * _EPS * np.max(np.abs(Y), initial=0.0):
                break
            L *= 2.0
        # try a longer step next time only if this one passed on its merits: with
        # the step's quadratic term below round-off, the test tells nothing
        grow = excess <= bound and bound > slack
        move = C_new - C
        if inner(m * step, move) < 0:  # gradient restart (O'Donoghue & Candes)
            t = 1.0
        t_new = 0.5 * (1 + np.sqrt(1 + 4 * t * t))
        beta = (t - 1) / t_new
        Y, zY = C_new + beta * move, z_new + beta * (z_new - z)
        C, z, t = C_new, z_new, t_new
        if n_iter % gap_freq == 0 or n_iter == max_iter:
            stalled = np.max(np.abs(move), initial=0.0) <= 1e-15 * np.max(np.abs(C), initial=0.0)
            gap, primal, C_pol, z_pol = duality_gap(datafit, penalty, C, z)
            if verbose:
                print(f"iter {n_iter:5d}  objective {primal:.10e}  gap {gap:.3e}")
            # tol=0 asks for all the accuracy floating point allows: iterate until
            # the iterates stall, past the point where the gap is pure round-off
            if (gap <= threshold and threshold > 0) or stalled or n_iter == max_iter:
                C, z = C_pol, z_pol  # (the point whose objective the gap measured)
                break
    if n_iter == 0:  # max_iter=0
        gap, primal, C, z = duality_gap(datafit, penalty, C, z)
    if gap > threshold and not stalled:  # stalled: a fixed point of the prox step
        warn_not_converged(gap, n_iter, threshold, tol)
    return SolverResult(C, n_iter, float(gap), float(primal), float(L))


def warn_not_converged(gap, n_iter, threshold, tol, method="FISTA"):
    """A ConvergenceWarning naming ``method``, the gap reached and the fixes."""
    warnings.warn(
        f"{method} did not converge: duality gap {gap:.3e} after {n_iter} iterations, "
        f"above the tolerance {threshold:.3e} (tol={tol}). Increase max_iter, "
        "loosen tol, or scale the features.",
        ConvergenceWarning,
        stacklevel=4,
    )


#: what an inner step of :func:`certified_loop` returns as its candidates when its
#: iterates stopped moving on a problem without a certificate
STATIONARY = object()


def certified_loop(
    full, penalty, C0, inner_step, *, max_iter=1000, tol=1e-4, verbose=0, name="outer"
):
    """An outer loop whose every iterate is certified by the full duality gap.

    ``inner_step(C, z, gap, budget)`` improves ``C`` (predictions ``z``, gap
    ``gap``) with at most ``budget`` FISTA iterations and returns the new ``C`` and
    the iterations used, and optionally candidates whose dual points the next gap
    also tries (:func:`duality_gap`). Working sets and proximal Newton are
    such steps. A step that returns :data:`STATIONARY` as its candidates ends the
    loop without a warning (its iterates stopped moving on a problem that no gap
    certifies: ``alpha=0``).
    """
    threshold = tol * full.gap_scale()
    C = np.array(C0, dtype=float)
    n_iter, candidates, best_dual, stationary = 0, (), -np.inf, False
    while True:
        gap, primal, C, z = duality_gap(full, penalty, C, full.linear(C), candidates, threshold)
        # the dual problem is the same at every step: its best point so far bounds
        # the optimum from below (round-off aside: the gap is kept non-negative)
        best_dual = max(best_dual, primal - gap)
        gap = max(primal - best_dual, 0.0)
        if verbose:
            print(f"[{name}] {n_iter:5d} iterations  objective {primal:.10e}  gap {gap:.3e}")
        if gap <= threshold or n_iter >= max_iter or stationary:
            break
        C, used, *candidates = inner_step(C, z, gap, max_iter - n_iter)
        candidates = candidates[0] if candidates else ()
        n_iter += used
        stationary = candidates is STATIONARY
        if stationary:
            candidates = ()
    if gap > threshold and not stationary:
        warn_not_converged(gap, n_iter, threshold, tol, method=name)
    return SolverResult(C, n_iter, float(gap), float(primal), np.nan)
