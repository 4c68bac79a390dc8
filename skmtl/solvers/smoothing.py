"""Losses that are not smooth (the pinball loss), by an augmented Lagrangian loop on
their Moreau envelopes.

Such a loss provides ``smoothed(width, slopes)``: its Moreau envelope of that width
at the residuals shifted by ``width`` times the multipliers ``slopes``
(:class:`~skmtl.losses.quantile.QuantileEnvelope`), a smooth loss that every solver
minimises. Each round of :func:`augmented_lagrangian` minimises the envelope and
sets the multipliers to its slopes at the solution (the method of multipliers,
Rockafellar 1976): at their fixed point the envelope's minimiser is the non-smooth
loss's, exactly, whatever the width.

Every round is certified for the non-smooth problem. The envelope's dual points
(slopes in the pinball conjugate's box, task sums zero, rescaled into the penalty's
dual ball) are the pinball problem's too, and at any of them the pinball dual
objective is at least the envelope's minus ``h / 2 sum_i w_i a_i^2`` (the conjugate
of the envelope is the pinball loss's plus ``h / 2`` times the square). So the
pinball gap at the round's solution ``C`` is at most the round's own gap plus
``pinball(C) - envelope(C) + h / 2 sum_i w_i a_i^2``, which vanishes at the fixed
point (the envelope then takes the pinball loss's value there, less that sum).
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .fista import warn_not_converged

#: each round's solve stops at this fraction of the last round's certified gap (0.01
#: against 0.1, School-like, 20 tasks, tol 1e-7: trace norm 3.6 / 1.9 s, group lasso
#: 1.7 / 1.7 s; Gaussian group lasso, tol 1e-11: 0.13 / 0.26 s)
_INNER = 0.01
#: each round's width is this fraction of the last one's, down to _MIN_WIDTH times the
#: first (the mean absolute residual of the model without features): narrower
#: envelopes make the multipliers converge faster, wider ones the solves easier
#: (Gaussian group lasso, 300 rows, tol 1e-11: 3e-3 0.12 s, 3e-4 0.17 s, 1e-2 as 3e-3)
_SHRINK, _MIN_WIDTH = 0.1, 3e-3
#: no round's solve is asked for less than this fraction of the threshold (until
#: rounds stall, see _STALLED)
_FLOOR = 0.1
#: a round whose solve took no step and left the gap above _STALLED times the last
#: one's makes the next rounds' solves _TIGHTEN times more accurate (their fraction
#: of the gap and their floor, down to _MIN_FRACTION); a second such round in a row
#: makes the envelope _SHRINK times narrower (down to _STALLED_WIDTH times the first
#: width). (Only solvers that can return at their start, proximal Newton and working
#: sets, report rounds of no step.) Near a tight tol the rounds' solves, asked
#: for 0.01 of the gap, started below it and took no step, while the multipliers
#: drifted by the unchanged residuals: the gap cycled (MeanRegularizedRegressor,
#: median, 3 tasks of 20-40 rows, 5 features, tol 1e-10: 50000 iterations, 75 s, no
#: certificate; with it 41; GraphRegularizedRegressor at tol 1e-9: 50000 against
#: 23). Rounds that merely converge slowly (gap ratios of 0.5-0.7) are left alone:
#: narrowed, their solves grew harder (Exam, median, tol 1e-10: the mean model 321
#: -> 1000+ iterations, the dirty model 3867 -> 20000+)
_STALLED, _TIGHTEN, _MIN_FRACTION, _STALLED_WIDTH = 0.5, 0.1, 1e-6, 1e-8


def first_width(full):
    """The mean absolute residual of the model without features; where that fits
    exactly (targets constant in each task: zero, or round-off), the mean absolute
    target (1 if that is zero too)."""
    w = full.w
    width = np.sum(w * np.abs(full.y - full.null_predictions())) / np.sum(w)
    zero = np.sum(w * np.abs(full.y)) / np.sum(w)
    if width > 1e-12 * zero:
        return float(width)
    return float(zero) if zero > 0 else 1.0


def augmented_lagrangian(
    full, penalty, C0, *, solve_smooth, max_iter=1000, tol=1e-4, verbose=0, **kw
):
    """Minimise ``full(C) + penalty(C[:d])``, where ``full.loss`` is not smooth, by
    ``solve_smooth`` (a solver's signature, e.g. :func:`~skmtl.solvers.solve_unguarded`)
    on its shifted Moreau envelopes (see the module docstring).

    Returns ``(SolverResult, full)``, with the non-smooth problem's objective and
    duality gap."""
    threshold = tol * full.gap_scale()
    start = first_width(full)
    width, slopes = start, None  # the loss's first multipliers
    C, used, gap = np.array(C0, dtype=float), 0, full.gap_scale()
    fraction, floor, last_gap, stalls = _INNER, _FLOOR, np.inf, 0  # (see _STALLED)
    # the round of the lowest objective, kept for a fit that runs out of iterations:
    # its last round, cut short, can end far above an earlier one (a split model,
    # tasks of 2, 500 and 20 rows, quantile loss, tol 1e-7: +30% after 3000
    # iterations, +1e-6 after 1000)
    best, lower = None, -np.inf  # (and the highest lower bound on the optimum)
    while True:
        stage = full.with_loss(full.loss.smoothed(width, slopes))
        slopes = stage.loss.slopes
        level = max(fraction * gap, floor * threshold)
        scale = stage.gap_scale()  # zero: intercepts alone fit the targets exactly
        with warnings.catch_warnings():  # (the rounds' gaps are not the problem's)
            warnings.simplefilter("ignore", ConvergenceWarning)
            result, _ = solve_smooth(
                stage,
                penalty,
                C,
                max_iter=max_iter - used,
                tol=level / scale if scale > 0 else 0.0,
                verbose=verbose,
                **kw,
            )
        used += max(result.n_iter, 1)  # (a round counts: rounds of no step end too)
        C = result.coef
        # the non-smooth problem's gap, bounded through the solve's best dual point
        # (see the module docstring)
        z = full.linear(C)
        excess = full.value(z) - stage.value(z)
        primal = result.primal + excess
        gap = max(result.dual_gap + excess + 0.5 * width * np.sum(full.w * slopes**2), 0.0)
        if best is None or primal < best[1]:
            best = (result, primal)
        lower = max(lower, primal - gap)
        if verbose:
            print(f"[augmented Lagrangian] width {width:.3e}  iterations {used:5d}  gap {gap:.3e}")
        if gap <= threshold or used >= max_iter:
            break
        slopes = stage.loss.slope(full.y, z)
        stalls = stalls + 1 if result.n_iter == 0 and gap > _STALLED * last_gap else 0
        if stalls:  # (see _STALLED)
            fraction = max(fraction * _TIGHTEN, _MIN_FRACTION)
            floor = max(floor * _TIGHTEN, _MIN_FRACTION)
        if stalls > 1:
            width, stalls = max(width * _SHRINK, _STALLED_WIDTH * start), 0
        elif width > _MIN_WIDTH * start:
            width = max(width * _SHRINK, _MIN_WIDTH * start)
        last_gap = gap
    if gap > threshold:  # (out of iterations: the best round instead of the last,
        # certified by the best lower bound of all rounds)
        result, primal = best
        gap = max(primal - lower, 0.0)
    if gap > threshold:  # the non-smooth problem's own gap, not a round's
        method = f"The augmented Lagrangian of the {full.loss.name} loss"
        warn_not_converged(gap, used, threshold, tol, method=method)
    # (a first round whose start was optimal counts one iteration, as the other solvers)
    result.primal, result.dual_gap, result.n_iter = primal, gap, max(used, 1)
    return result, full


def null_gradient(full, C0, max_rounds=100):
    """``-grad`` of a non-smooth loss's data term at the model without features (its
    intercepts fitted), ``(n_rows, T)``: the multipliers of the intercepts-only
    problem, by the loop of :func:`augmented_lagrangian` with intercept polishing as
    its solver, until they stop changing. ``C0``: the start (intercept row set)."""
    start = first_width(full)
    width, slopes = start, None
    z = full.linear(C0)
    for _ in range(max_rounds):
        stage = full.with_loss(full.loss.smoothed(width, slopes))
        C0, z = stage.polish(C0, z, n_steps=50)
        new = stage.loss.slope(full.y, z)
        if slopes is not None and np.array_equal(new, slopes):
            break
        slopes, width = new, max(width * _SHRINK, _MIN_WIDTH * start)
    return -stage.gradient(z)
