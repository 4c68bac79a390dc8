"""Solvers: FISTA (the one proximal-gradient loop), working sets and proximal Newton
built on it, and the cvxpy reference (:mod:`skmtl.solvers.cvxpy`)."""

import warnings
from itertools import repeat

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._datafit import GRAM_MAX_ENTRIES, SplitDatafit, use_gram
from ..losses import SquaredLoss
from ..penalties._base import ROW_NEEDS, ROW_SOLVERS, check_provides, check_restrict
from .cd import intercepts_outscaled, spread_reaches
from .closed_form import closed_form, closed_form_path, has_closed_form
from .composite import QuadraticSmoothing
from .fista import SolverResult, duality_gap, fista, nonsmooth_value
from .kernel_form import kernel_form_path, use_kernel_form
from .prox_newton import prox_newton
from .select import fista_in_metric, iterative_solver
from .smoothing import augmented_lagrangian
from .threads import solve_threads
from .working_set import use_working_sets, working_sets

#: proximal Newton for the non-quadratic losses up to this many features
_NEWTON_MAX_FEATURES = 100
#: what the proximal solvers (FISTA and those built on it) need of a penalty
PROXIMAL_NEEDS = ("value", "prox", "dual_scale", "conjugate")
PROXIMAL = "every proximal solver (FISTA, CD, ADMM, proximal Newton)"


def _check_proximal(penalty, shape):
    """Raise a TypeError naming what ``penalty`` (or a part of a split one) lacks for
    the proximal solvers (:data:`PROXIMAL_NEEDS`; declared ``row_separable``, also
    what the solvers on some rows need, :data:`~skmtl.penalties._base.ROW_NEEDS`,
    and a ``restrict`` that gives the penalty on those rows), for a ``W`` of
    ``shape``."""
    check_provides(penalty, PROXIMAL_NEEDS, PROXIMAL)
    parts = (getattr(penalty, "first", None), getattr(penalty, "second", None))
    for part in parts if penalty.split and None not in parts else (penalty,):
        if getattr(part, "row_separable", False):
            check_provides(part, ROW_NEEDS, ROW_SOLVERS)
            check_restrict(part, shape)


def solve(full, penalty, C0, parts=None, **kw):
    """Minimise ``full(C) + penalty(C[:d])`` from ``C0`` with the best-suited method
    (:func:`solve_unguarded`), with a warm start guarded by :func:`guarded`.

    Returns ``(SolverResult, datafit)``. A loss that is not smooth is solved through
    its Moreau envelopes (:func:`~skmtl.solvers.smoothing.augmented_lagrangian`), each
    by this rule. ``parts``: the ``(P, Q)`` of ``C0``'s ``W = P + Q`` for a split
    penalty (a path's last solution), where its solve starts (else ``P = W, Q = 0``).
    """
    # (the guard's objective at the start needs it before any solver's own checks)
    check_provides(penalty, ("value",), "every solver (the objective)")
    if not full.loss.smooth:

        def run(C, parts):  # (the envelopes' solves warm-start from W alone)
            return augmented_lagrangian(full, penalty, C, solve_smooth=solve_unguarded, **kw)

        return guarded(run, full, penalty, C0)

    def run(C, parts):
        return solve_unguarded(full, penalty, C, parts=parts, **kw)

    return guarded(run, full, penalty, C0, parts if penalty.split else None)


def solve_unguarded(
    full,
    penalty,
    C0,
    *,
    method="auto",
    precompute="auto",
    max_iter=1000,
    tol=1e-4,
    verbose=0,
    parts=None,
):
    """Minimise ``full(C) + penalty(C[:d])`` from ``C0`` with the best-suited method
    (a split penalty's parts from ``parts``, as in :func:`solve`).

    ``full`` is the :class:`~skmtl._datafit.DesignDatafit` of the whole problem;
    ``method`` is ``"auto"``, ``"closed_form"``, ``"fista"``, ``"cd"`` or ``"admm"``.
    Returns
    ``(SolverResult, datafit)``, where the datafit maps the solution's coefficient
    block to intercepts.

    The rule, read from what the loss and the penalty declare:

    1. a quadratic loss with a ``quadratic`` penalty: the closed form, in the rows
       when they are fewer than the features
       (:func:`~skmtl.solvers.kernel_form.kernel_form_path`), else where the per-task
       Gram matrices fit in memory;
    2. a ``composite`` penalty (a quadratic plus a norm): FISTA with the quadratic
       in the smooth part (on badly scaled features, in each feature's curvature:
       :func:`~skmtl.solvers.select.fista_in_metric`), or proximal Newton steps
       (each inner problem so solved) for a loss with ``newton`` and at most 100
       features;
    3. a ``split`` penalty (``W = P + Q``): the dirty model (a group norm plus L1) as
       one row-separable norm on ``W`` (:class:`~skmtl.penalties.DirtyRowNorm`),
       by the rules below (FISTA, where rule 6 picks it, on the stacked parts,
       whose prox is cheaper: :func:`~skmtl.solvers.select.fista_on_parts`); the
       others by FISTA
       on the stacked parts, or proximal Newton steps for a loss with ``newton``
       and at most 100 features;
    4. a ``row_separable`` penalty on more than 100 features: working sets;
    5. a loss with ``newton`` and at most 100 features: proximal Newton (a loss
       ``newton_bound`` only where the features' curvature spread,
       :func:`~skmtl.solvers.cd.curvature_spread`, is at least 100, or with
       intercepts the features' curvature over theirs,
       :func:`~skmtl.solvers.cd.intercepts_outscaled`, at least 10^4, or 100 for
       pooled ones beside uncentred features);
    6. otherwise, on Gram statistics when the loss is quadratic and they are cheaper
       than the rows, the method of :func:`~skmtl.solvers.select.iterative_solver`
       (on badly scaled features, :func:`~skmtl.solvers.cd.use_cd`: FISTA's
       Lipschitz constant at least 100 times the smallest feature's own
       curvature, and at most 100 features; L2,1 and L1 on at most 5 features
       whatever their scales: coordinate descent for
       ``row_separable`` penalties but L1/Linf, the sparse-group norms and the
       dirty model's row norm, ADMM for these and the others), else FISTA.

    Proximal Newton's inner solves and the split models' solves use that same
    choice; ``method`` other than ``"auto"`` forces one.

    Every method but the closed form needs the penalty's ``value``, ``prox``,
    ``dual_scale`` and ``conjugate`` (:data:`PROXIMAL_NEEDS`).
    """
    kw = dict(max_iter=max_iter, tol=tol, verbose=verbose)
    data, loss = full.data, full.loss
    if use_kernel_form(full, penalty, method):
        return _certified(full, penalty, kernel_form_path(full, [penalty])[0], kw), full
    if _use_closed_form(penalty, loss, data.n_features, data.n_tasks, method):
        return _rows_block(full, full.gram(), _closed_form(full.gram(), penalty, kw))
    newton = (
        loss.newton
        and precompute is not False
        and data.n_features <= _NEWTON_MAX_FEATURES
        and data.n_tasks * data.n_features**2 <= GRAM_MAX_ENTRIES
    )
    if newton and loss.newton_bound:
        gram = full.gram()
        newton = spread_reaches(gram, tasks=False) or (
            full.intercept_row and intercepts_outscaled(gram, full.precision is not None)
        )
    if penalty.composite:
        if method in ("cd", "admm"):  # (its quadratic is in the smooth part)
            raise ValueError(
                f"solver={method!r} does not serve a quadratic penalty plus a norm (the "
                "graph penalty with alpha_l1 or alpha_l21): its quadratic is solved "
                "in the smooth part, by FISTA or proximal Newton steps. Use "
                "solver='auto' or 'fista'."
            )
        if newton:
            _check_proximal(penalty.norm_part, C0[: data.n_features].shape)
            quadratic = penalty.quadratic_part
            return prox_newton(
                full, penalty.norm_part, C0, quadratic=quadratic, method=method, **kw
            ), full
        inner = full.gram() if use_gram(data, loss, precompute, centred=full.center) else full
        return _rows_block(full, inner, _quadratic_plus_norm(inner, penalty, C0, kw))
    _check_proximal(penalty, C0[: data.n_features].shape)
    if penalty.split and _row_form(penalty, method) is not None:
        rows = _row_form(penalty, method)
        kw = dict(method=method, precompute=precompute, **kw)
        return _with_parts(solve_unguarded(full, rows, C0, **kw), rows, data.n_features)
    if penalty.split:
        if newton:
            d = data.n_features
            return _parts(
                prox_newton(full, penalty, _stack(C0, d, parts), split=True, method=method, **kw),
                d,
            ), full
        forced = True if method == "admm" else precompute
        inner = full.gram() if use_gram(data, loss, forced, centred=full.center) else full
        C0 = C0[: inner.n_rows]
        return _rows_block(full, inner, _split(inner, penalty, C0, kw, method, parts))
    if use_working_sets(penalty, data) and method != "cd":
        return working_sets(full, penalty, C0, precompute=precompute, **kw), full
    if newton:
        return prox_newton(full, penalty, C0, method=method, **kw), full
    forced = method in ("cd", "admm")
    grams = use_gram(data, loss, True if forced else precompute, centred=full.center)
    datafit = full.gram() if grams else full
    run = iterative_solver(method, datafit, penalty)
    return _rows_block(full, datafit, run(datafit, penalty, C0[: datafit.n_rows], **kw))


def _rows_block(full, datafit, result):
    """``(result, datafit)``, with the coefficient block shaped as ``full``'s: the
    intercepts that Gram statistics minimise out (pooled ones, which the rows hold
    as a variable) are put back as its last row, and ``full`` maps it to intercepts."""
    W = result.coef
    if full.n_rows == W.shape[0]:
        return result, datafit
    result.coef = np.vstack([W, full.intercept_variable(W, datafit.intercept(W))])
    return result, full


def solve_gram(gram, penalty, C0, **kw):
    """As :func:`solve` on Gram statistics (:func:`solve_gram_unguarded`), guarded."""
    return guarded(lambda C, _: solve_gram_unguarded(gram, penalty, C, **kw), gram, penalty, C0)


def solve_gram_unguarded(gram, penalty, C0, *, method="auto", max_iter=1000, tol=1e-4, verbose=0):
    """Minimise a squared-loss data term given by statistics (``gram``) plus
    ``penalty``: as :func:`solve`, without the methods that need the rows."""
    kw = dict(max_iter=max_iter, tol=tol, verbose=verbose)
    n_features, n_tasks = gram.b.shape
    if _use_closed_form(penalty, SquaredLoss(), n_features, n_tasks, method):
        return _closed_form(gram, penalty, kw), gram
    if penalty.composite:
        return _quadratic_plus_norm(gram, penalty, C0, kw), gram
    _check_proximal(penalty, gram.b.shape)
    if penalty.split and _row_form(penalty, method) is not None:
        rows = _row_form(penalty, method)
        solved = solve_gram_unguarded(gram, rows, C0, method=method, **kw)
        return _with_parts(solved, rows, n_features)
    if penalty.split:
        return _split(gram, penalty, C0, kw, method), gram
    return iterative_solver(method, gram, penalty)(gram, penalty, C0, **kw), gram


def start_objective(datafit, penalty, C, parts=None):
    """The objective at the start ``C`` (``[W; b]``), after polishing any logistic
    intercepts, as the solvers count it (split models start at ``parts``, or at
    ``P = W, Q = 0``)."""
    d = datafit.n_features
    C, z = datafit.polish(np.array(C, dtype=float), datafit.linear(C))
    block = _stack(C, d, parts)[: 2 * d] if penalty.split else C[:d]
    intercept_term = datafit.intercept_value(C[d]) if len(C) > d else 0.0
    return float(datafit.value(z) + penalty.value(block) + intercept_term)


def guarded(run, datafit, penalty, C0, parts=None):
    """``run(C0, parts)``, with the warm start ``C0`` (and a split penalty's ``parts``
    of it) guarded: a start whose objective is above the cold start's (``W = 0``) is
    replaced by the cold start, and a solve that ends above its start's objective or
    at a non-finite one is rerun cold. A cold solve that still does raises
    (non-finite) or warns (above its start)."""
    cold = np.zeros_like(np.asarray(C0, dtype=float))
    # (the intercept row counts: W = 0 beside a last fit's unequal intercepts is no
    # cold start, and no feasible one for intercepts pooled into one, which a
    # warm-started refit at intercept_pooling=inf met: 'The solver diverged')
    warm = bool(np.any(np.asarray(C0)))
    # every penalty is zero at W = 0, so the cold start's objective is the datafit's
    # alone: computed once per datafit (a path asks for it at every strength)
    cold_value = getattr(datafit, "_cold_objective", None)
    if cold_value is None:  # first: linear() caches C0 next
        cold_value = datafit._cold_objective = start_objective(datafit, penalty, cold)
    value = start_objective(datafit, penalty, C0, parts) if warm else cold_value
    if warm and not value <= cold_value:  # also a NaN start
        C0, value, warm = cold, cold_value, False
    caught = []  # the warnings that pass the caller's filters, shown once kept
    with warnings.catch_warnings(), solve_threads(datafit):
        warnings.showwarning = lambda *shown: caught.append(shown)
        result, fitted = run(C0, parts if warm else None)
    # the round-off of two sums of the objective's size (or of the data term's unit:
    # terms that cancel, e.g. Poisson deviances of exactly fitted counts)
    scale = max(abs(value), abs(result.primal), datafit.gap_scale())
    slack = 64 * np.finfo(float).eps * scale
    if warm and not result.primal <= value + slack:
        with solve_threads(datafit):
            result, fitted = run(cold, None)
        value, caught = cold_value, []
    for shown in caught:  # the warnings of the solve that is kept
        warnings.showwarning(*shown)
    if not np.isfinite(result.primal):
        raise FloatingPointError(
            f"The solver diverged: objective {result.primal} from a start at {value:.6g}. "
            "Check that X, y and the parameters are finite and of a moderate scale."
        )
    # (above the start by less than the result's own gap, up to 1e-10 relative: as
    # certified, the start being no lower than the optimum; DirtyRegressor beyond
    # alpha_max ended 6e-13 above its zero start, 1e-13 relative, with coefficients
    # of 7e-12. An unconverged solve's gap allows nothing more)
    certified = min(result.dual_gap, 1e-10 * scale) if result.dual_gap >= 0 else 0.0
    if not result.primal <= value + slack + certified:
        warnings.warn(
            f"The solver ended at objective {result.primal:.6g}, above its start's "
            f"{value:.6g}; the result is not reliable. Scale the features or raise max_iter.",
            ConvergenceWarning,
            stacklevel=4,
        )
    return result, fitted


def _use_closed_form(penalty, loss, n_features, n_tasks, method):
    exact = has_closed_form(penalty, loss, n_features, n_tasks)
    if method == "closed_form" and not exact:
        raise ValueError(
            "solver='closed_form' needs the squared loss with a quadratic penalty "
            "(quadratic = True with a matrix M: the mean penalty, or another, as the "
            "graph's, with n_features * n_tasks <= 3000); got the "
            f"{loss.name} loss with "
            f"{type(penalty).__name__} on {n_features} features and {n_tasks} tasks. "
            "Use solver='fista'."
        )
    return exact and method in ("auto", "closed_form")


def _closed_form(gram, penalty, kw):
    return _certified(gram, penalty, closed_form(gram, penalty), kw)


def _certified(gram, penalty, W, kw):
    """The closed form ``W``, held to ``tol`` like every solver: at large strengths its
    round-off can leave the gap above the threshold; FISTA (whose prox is exact at
    any strength) then continues from it, and warns if the gap stays above."""
    gap, primal, W, _ = duality_gap(gram, penalty, W, gram.linear(W))
    if gap > kw["tol"] * gram.gap_scale():
        result = fista(gram, penalty, W, **kw)
        result.n_iter += 1
        return result
    return SolverResult(W, 1, float(gap), float(primal), np.nan)


def solve_closed_form_path(
    full, penalties, *, method="auto", max_iter=1000, tol=1e-4, verbose=0, certify=True
):
    """The closed-form solutions for each penalty of a path at once (one batch of
    factorizations instead of a solve per strength), as ``(W, intercepts, gap,
    n_iter)`` each; None when the closed form is not the method for every penalty
    (the caller then solves them one by one).

    ``certify``: each solution's duality gap is checked as by :func:`solve` (FISTA
    continues one whose round-off leaves it above ``tol``); else the gaps are NaN,
    for callers that only compare the solutions' predictions (cross-validation)."""
    data, loss = full.data, full.loss
    kw = dict(max_iter=max_iter, tol=tol, verbose=verbose)
    d = full.n_features
    if all(use_kernel_form(full, p, method) for p in penalties):
        blocks = kernel_form_path(full, penalties)
        if not certify:
            return [(C[:d], full.intercept(C), np.nan, 1) for C in blocks]
        results = (_certified(full, p, C, kw) for p, C in zip(penalties, blocks, strict=True))
        return [(r.coef[:d], full.intercept(r.coef), r.dual_gap, r.n_iter) for r in results]
    if method not in ("auto", "closed_form") or not all(
        has_closed_form(p, loss, data.n_features, data.n_tasks) for p in penalties
    ):
        return None
    gram = full.gram()
    solutions = closed_form_path(gram, penalties)
    if not certify:  # the intercepts of the whole path at once
        return list(zip(solutions, gram.intercept(solutions), repeat(np.nan), repeat(1)))
    results = (_certified(gram, p, W, kw) for p, W in zip(penalties, solutions, strict=True))
    return [
        (r.coef[:d], fitted.intercept(r.coef), r.dual_gap, r.n_iter)
        for r, fitted in (_rows_block(full, gram, result) for result in results)
    ]


def _split(inner, penalty, C0, kw, method="auto", parts=None):
    """The iterative method on ``[P; Q]`` for ``W = P + Q`` (from ``parts``, or
    ``P = W, Q = 0``); the result holds ``P + Q`` and the parts."""
    d, datafit = inner.n_features, SplitDatafit(inner)
    run = iterative_solver(method, datafit, penalty)
    return _parts(run(datafit, penalty, _stack(C0, d, parts), **kw), d)


def _row_form(penalty, method):
    """The split penalty as one row-separable norm on ``W`` (the dirty model), for
    ``method`` "auto", "cd" and "admm" (on the School-like data of issue 18, ADMM on
    ``W`` took half the iterations of ADMM on ``[P; Q]``); None for the others
    (which solve on ``[P; Q]``)."""
    return penalty.row_form() if method in ("auto", "cd", "admm") else None


def _with_parts(solved, rows, d):
    """``(result, datafit)`` of a solve on ``W`` with the row form ``rows`` of a split
    penalty, with the optimal parts ``(P, Q)`` of ``W`` stored in the result."""
    result, datafit = solved
    result.parts = rows.parts(result.coef[:d])
    # the objective of the optimal parts (a solve on the stacked parts measured its own)
    C = result.coef
    result.primal = float(datafit.value(datafit.linear(C)) + nonsmooth_value(datafit, rows, C))
    return result, datafit


def _quadratic_plus_norm(inner, penalty, C0, kw):
    """FISTA with the quadratic part of the penalty in the smooth term."""
    _check_proximal(penalty.norm_part, (inner.n_features, C0.shape[1]))
    smooth = QuadraticSmoothing(inner, penalty.quadratic_part)
    return fista_in_metric(smooth, penalty.norm_part, C0[: inner.n_rows], **kw)


def _stack(C0, d, parts=None):
    """``[P; Q; b]``: the ``parts`` ``(P, Q)`` of ``C0``'s coefficients ``W = P + Q``
    if given (a path's last solution: its split stays, where ``P = W, Q = 0`` took
    the solver up to 3x longer to find it again on real data), else ``P = W`` and
    ``Q = 0``; ``b`` the rows below."""
    P, Q = (C0[:d], np.zeros_like(C0[:d])) if parts is None else parts
    return np.vstack([P, Q, C0[d:]])


def _parts(result, d):
    """Store ``(P, Q)`` in the result and turn its block into ``[P + Q; b]``."""
    P, Q = result.coef[:d], result.coef[d : 2 * d]
    result.parts = (P, Q)
    result.coef = np.vstack([P + Q, result.coef[2 * d :]])
    return result
