"""Proximal Newton for the non-quadratic losses when features are few.

Each outer step replaces the loss by its second-order model at the current point,
a weighted least-squares problem (as in IRLS and glmnet), minimises model plus
penalty with FISTA on per-task Gram statistics (cheap when ``d`` is small, whatever
the number of rows), and takes a backtracking (Armijo) step along the result on the
true objective (Lee, Sun & Saunders 2014). The duality gap of the true problem
certifies every outer iterate.

On unscaled features that gap certifies late: its dual point (the loss's gradient,
rescaled into the penalty's dual ball) is feasible only once the gradient on the
large-scale columns is accurate, far below the objective's round-off. So the outer
steps must converge fast and each inner solve must be nearly exact: for the L2,1
norm (the group lasso) the inner solves alternate a few coordinate descent epochs
(the support) with Newton steps on that support (:func:`cd_polished`), and
Huber's majorizing models turn to generalized Newton steps once the residuals'
pieces settle. Inner solves do not warn: the outer loop does, on the true gap.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._datafit import GramDatafit, SplitDatafit
from .._tasks import TaskData
from ..losses import SquaredLoss
from ..penalties import L21
from . import admm as _admm
from . import cd as _cd
from .closed_form import has_closed_form
from .composite import QuadraticSmoothing
from .fista import SolverResult, certified_loop, duality_gap, warn_not_converged
from .select import iterative_solver

#: inner solves stop at this fraction of the smaller of the outer gap and the
#: quadratic model's own gap at the start
_INNER_FRACTION = 0.03
#: an outer step that lowers the objective by less than _STALL times the gap makes
#: the next inner threshold _TIGHTEN times smaller, down to _MIN_FRACTION
_STALL, _TIGHTEN, _MIN_FRACTION = 1e-6, 0.1, 1e-4
#: coordinate descent epochs between Newton steps on the support (:func:`cd_polished`)
_CD_CHUNK = 5
#: Newton steps on the support give up after a step damped below this
_MIN_STEP = 1 / 64
#: a majorizer's (Huber's) models turn to the generalized second derivative, floored
#: at _SEMISMOOTH_FLOOR times the weights, once the set of samples where it is
#: positive (Huber: residuals within epsilon) changes on at most a _SETTLED fraction
#: of them between two iterates (GroupLasso, School-like data: 11 outer steps instead
#: of 20 or more, whose gaps shrink only linearly)
_SEMISMOOTH_FLOOR, _SETTLED = 1e-6, 0.01
#: Armijo sufficient-decrease constant and the most halvings of the step
_ARMIJO, _MAX_HALVINGS = 1e-4, 30


def quadratic_model(full, z, semismooth=False):
    """The loss's second-order model at predictions ``z``, as Gram statistics.

    ``sum_i h_i / 2 (z'_i - v_i)^2`` with ``h = f''(z)`` and ``v = z - f'(z) / h``:
    the loss's ``newton_curvature``, or with ``semismooth`` (for a majorizer) its
    generalized second derivative, floored at ``_SEMISMOOTH_FLOOR`` times the weight.
    """
    data = full.data
    g = full.loss.derivative(full.y, full.w, z)
    if semismooth:
        h = np.maximum(full.loss.second_derivative(full.y, full.w, z), _SEMISMOOTH_FLOOR * full.w)
    else:
        h = full.loss.newton_curvature(full.y, full.w, z)
    h = np.maximum(h, 1e-12 * full.w)  # keep v finite for confident rows
    v = z - np.divide(g, h, out=np.zeros_like(g), where=h > 0)
    per_task = data.task_sum(h)  # also computes the task segments, shared below
    total = data.expand(per_task)
    weights = np.divide(h, total, out=np.zeros_like(h), where=total > 0)
    model = GramDatafit.from_data(
        TaskData(
            data.X, v, weights, data.task_index, data.n_tasks, _segment_cache=data._segment_cache
        ),
        full.fit_intercept,
        full.precision,
    )
    return model.scale_tasks(per_task)


def prox_newton(
    full,
    penalty,
    C0,
    *,
    split=False,
    quadratic=None,
    method="auto",
    max_iter=1000,
    tol=1e-4,
    verbose=0,
):
    """Minimise ``full(C) + penalty(C[:d])`` by proximal Newton steps; with ``split``,
    over the stacked block ``[P; Q; b]`` of a model ``W = P + Q``; with a
    ``quadratic`` penalty, ``full(C) + quadratic(W) + penalty(W)``, the quadratic
    in the smooth part of the outer problem and of every inner one
    (:class:`~skmtl.solvers.composite.QuadraticSmoothing`). ``method`` chooses the
    inner solver (:func:`~skmtl.solvers.select.iterative_solver`)."""
    outer = SplitDatafit(full) if split else full
    if quadratic is not None:
        outer = QuadraticSmoothing(full, quadratic)
    d = outer.n_features
    curvature = None  # where the last inner solve ended: the next one starts there
    floor = 1e-3 * tol * full.gap_scale()
    fraction, decrease = _INNER_FRACTION, np.inf
    candidates = not full.loss.majorizer
    # a quadratic penalty's inner problems are solved by the closed form
    exact = (
        method == "auto"
        and quadratic is None
        and not split
        and has_closed_form(penalty, SquaredLoss(), full.n_features, full.data.n_tasks)
    )
    # the Newton steps on the support minimise the model's own objective: not with
    # pooled intercepts, whose term couples the tasks
    polish = not split and quadratic is None and type(penalty) is L21 and full.precision is None
    # a majorizer's models (iteratively reweighted least squares) converge linearly:
    # once the samples' pieces of the loss settle, generalized Newton steps instead
    pattern, semismooth = None, False

    def newton_step(C, z, gap, budget):
        nonlocal curvature, fraction, decrease, pattern, semismooth
        # an inner solve certified by a better dual point than the outer gap's could
        # stop before it moves the primal: when the last step barely lowered the
        # objective, ask the next inner solve for more
        if (candidates or semismooth) and decrease < _STALL * gap:
            fraction = max(fraction * _TIGHTEN, _MIN_FRACTION)
        z_loss = z if quadratic is None else z.inner
        if full.loss.majorizer and not semismooth:
            pieces = full.loss.second_derivative(full.y, full.w, z_loss) > 0
            semismooth = pattern is not None and np.mean(pieces != pattern) <= _SETTLED
            pattern = pieces
        model = quadratic_model(full, z_loss, semismooth)
        inner_datafit = SplitDatafit(model) if split else model
        if quadratic is not None:
            inner_datafit = QuadraticSmoothing(model, quadratic)
        start = C[:d]
        if exact:  # the closed form: its threshold only decides whether to refine it
            model_gap = gap
        else:
            model_gap = duality_gap(inner_datafit, penalty, start, inner_datafit.linear(start))[0]
        threshold = max(fraction * min(gap, model_gap), _INNER_FRACTION * floor)
        run = iterative_solver(method, inner_datafit, penalty)
        if run is _cd.cd and polish:
            run = cd_polished
        # ADMM: from the last solve's rho; the dual point of its data-term step
        # certifies the model's solution early, but only a second-order model's
        # gradient there is the loss's (a majorizer's, as Huber's, is not: the
        # outer gap would not follow)
        admm_options = dict(rho=curvature, dual_candidate=candidates or semismooth)
        # an inner solve may stop short of its threshold (the outer budget spent):
        # the outer gap certifies the result, and the outer loop warns if it must
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            inner = run(
                inner_datafit,
                penalty,
                start,
                max_iter=budget,
                threshold=threshold,
                lipschitz=curvature,
                **(admm_options if run is _admm.admm else {}),
            )
        curvature = inner.lipschitz
        target = C.copy()
        target[:d] = inner.coef
        candidate = None if inner.dual_coef is None else C.copy()
        if candidate is not None:
            candidate[:d] = inner.dual_coef
        if full.intercept_row:
            for block, coef in ((target, inner.coef), (candidate, inner.dual_coef)):
                if block is not None:
                    W = coef[: d // 2] + coef[d // 2 :] if split else coef
                    block[d] = full.intercept_variable(W, model.intercept(W))
        C_new, decrease = _line_search(outer, penalty, C, z, target - C)
        if semismooth and decrease <= 0:  # no progress: back to the majorizer's models
            pattern, semismooth = None, False
        # the inner solver's dual candidate: near the optimum the model's gradient
        # there is the loss's, near the penalty's subdifferential (see duality_gap)
        return C_new, inner.n_iter, candidate

    return certified_loop(
        outer,
        penalty,
        C0,
        newton_step,
        max_iter=max_iter,
        tol=tol,
        verbose=verbose,
        name="prox-Newton",
    )


def _line_search(full, penalty, C, z, direction):
    d = full.n_features

    def nonsmooth(C):  # the penalty and the intercept row's own term
        return penalty.value(C[:d]) + (full.intercept_value(C[d]) if len(C) > d else 0.0)

    dz = full.linear(direction)
    penalty_now = nonsmooth(C)
    primal = full.value(z) + penalty_now
    decrease = np.vdot(full.gradient(z), direction) + nonsmooth(C + direction) - penalty_now
    step = 1.0
    for _ in range(_MAX_HALVINGS):
        trial = C + step * direction
        value = full.value(z + step * dz) + nonsmooth(trial)
        if value <= primal + _ARMIJO * step * decrease:
            return trial, primal - value
        step *= 0.5
    return C, 0.0


def cd_polished(datafit, penalty, W0, *, max_iter=1000, threshold=None, tol=1e-4, **kw):
    """Coordinate descent (:func:`~skmtl.solvers.cd.cd`) by chunks of ``_CD_CHUNK``
    epochs, each followed by Newton steps on the support found
    (:func:`support_newton`), until the duality gap is below ``threshold``: the
    epochs find the support, the Newton steps the accuracy that certifies it (the
    start's support is tried first). On
    ill-conditioned Grams (one-hot blocks, unscaled columns) CD alone took hundreds
    of epochs per proximal Newton step. Signature and result of ``cd``."""
    if threshold is None:
        threshold = tol * datafit.gap_scale()
    W, used = np.array(W0, dtype=float), 0
    if np.any(W):
        # Newton steps on the start's support first: from the last outer step's
        # solution it is often the optimal one (School-like data, group lasso: 8-37
        # epochs in all instead of 20-120), counted as one epoch
        polished = support_newton(datafit, penalty, W)
        gap, primal, polished, _ = duality_gap(datafit, penalty, polished, datafit.linear(polished))
        if gap <= threshold:
            return SolverResult(polished, 1, float(gap), float(primal), kw.get("lipschitz"))
    while True:
        budget = min(_CD_CHUNK, max_iter - used)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = _cd.cd(datafit, penalty, W, max_iter=budget, threshold=threshold, **kw)
        used += result.n_iter
        if result.dual_gap <= threshold:
            result.n_iter = used
            return result
        W = support_newton(datafit, penalty, result.coef)
        gap, primal, W, _ = duality_gap(datafit, penalty, W, datafit.linear(W))
        if gap <= threshold or used >= max_iter:
            if gap > threshold:
                warn_not_converged(gap, used, threshold, tol, method="Coordinate descent")
            return SolverResult(W, used, float(gap), float(primal), result.lipschitz)


def support_newton(model, penalty, W, *, max_steps=10, rtol=1e-16):
    """Minimise the quadratic ``model`` (Gram statistics) plus the L2,1 ``penalty``
    over the rows where ``W`` is nonzero (the others held at zero), by Newton steps
    from ``W``: on those rows the objective is smooth, and its minimiser is the
    model's when ``W`` has the optimal support. Coordinate descent finds the support
    in a few epochs but then crawls on ill-conditioned Grams (one-hot blocks next to
    unscaled columns); these steps finish the inner solve to round-off, which the
    outer steps need to converge fast (and the outer gap to close: its dual point is
    only feasible where the gradient on large-scale features is accurate).

    Each step solves the Hessian system, ``blockdiag_t(C_t[A, A] + diag(c)) - sum_j
    c_j v_j v_j^T`` with ``c_j = alpha / ||W_j||`` and ``v_j`` the unit row ``W_j /
    ||W_j||`` on row ``j``, by the Woodbury identity (one ``k x k`` system per task and
    one across the ``k`` active rows), then backtracks on the model's objective. A
    row that the step would carry through zero is set to zero (and left out) when
    that does not raise the objective. Returns ``W`` improved (never worse on the
    model's objective, beyond round-off)."""
    rows = np.flatnonzero(np.any(W != 0, axis=1))
    T = W.shape[1]
    if len(rows) == 0:
        return W
    alpha = penalty.alpha
    all_grams = np.broadcast_to(model.held_grams(), (T,) + model.held_grams().shape[1:])
    out = np.array(W, dtype=float)

    def objective(V, grams, b):
        CV = np.einsum("tij,jt->it", grams, V)
        norms = np.sqrt(np.einsum("jt,jt->j", V, V))
        return 0.5 * np.vdot(V, CV) - np.vdot(V, b) + alpha * norms.sum()

    grams, b, V = all_grams[:, rows][:, :, rows], model.b[rows], out[rows]
    value = objective(V, grams, b)
    for _ in range(max_steps):
        k = len(rows)
        norms = np.sqrt(np.einsum("jt,jt->j", V, V))
        U = V / norms[:, None]
        c = alpha / norms
        grad = np.einsum("tij,jt->it", grams, V) - b + alpha * U
        eye = np.eye(k)
        B = grams + c[None, :, None] * eye  # (T, k, k)
        B = B + (1e-12 * np.abs(B).max()) * eye
        try:
            Binv = np.linalg.inv(B)
            x0 = np.einsum("tij,jt->it", Binv, grad)
            S = np.diag(1.0 / c) - np.einsum("it,tij,jt->ij", U, Binv, U)
            y = np.linalg.solve(S, np.einsum("jt,jt->j", U, x0))
        except np.linalg.LinAlgError:
            break
        step = -(x0 + np.einsum("tij,jt->it", Binv, U * y[:, None]))
        slope = np.vdot(grad, step)
        if not (np.all(np.isfinite(step)) and slope < 0):
            break
        # the objective's round-off: near the minimiser a full Newton step lowers it
        # by less, and still moves the stiff rows (those of large-scale features)
        slack = 16 * np.finfo(float).eps * max(abs(value), alpha * norms.sum())
        crossing = np.einsum("jt,jt->j", U, V + step) <= 0
        if crossing.any():
            keep = ~crossing
            out[rows[crossing]] = 0.0
            kept_grams, kept_b = grams[:, keep][:, :, keep], b[keep]
            dropped = objective(V[keep], kept_grams, kept_b)
            if dropped <= value + slack and keep.any():
                rows, grams, b, V, value = rows[keep], kept_grams, kept_b, V[keep], dropped
                continue
            out[rows[crossing]] = V[crossing]
        t = 1.0
        for _ in range(20):
            trial = V + t * step
            new = objective(trial, grams, b)
            if new <= value + 1e-4 * t * slope + slack:
                break
            t *= 0.5
        else:
            break
        V, value = trial, min(new, value)
        # a full step of a decrement at round-off: converged. A much damped step:
        # rows near zero, where the model is poor; coordinate descent takes over
        if (t == 1.0 and -slope <= rtol * abs(value)) or t < _MIN_STEP:
            break
    out[rows] = V
    return out
