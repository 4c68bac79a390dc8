"""Proximal Newton for the non-quadratic losses when features are few.

Each outer step replaces the loss by its second-order model at the current point,
a weighted least-squares problem (as in IRLS and glmnet), minimises model plus
penalty with FISTA on per-task Gram statistics (cheap when ``d`` is small, whatever
the number of rows), and takes a backtracking (Armijo) step along the result on the
true objective (Lee, Sun & Saunders 2014). The duality gap of the true problem
certifies every outer iterate.
"""

from __future__ import annotations

import numpy as np

from .._datafit import GramDatafit, SplitDatafit
from .._tasks import TaskData
from .composite import QuadraticSmoothing
from .fista import certified_loop, duality_gap
from .select import iterative_solver

#: inner solves stop at this fraction of the smaller of the outer gap and the
#: quadratic model's own gap at the start
_INNER_FRACTION = 0.03
#: Armijo sufficient-decrease constant and the most halvings of the step
_ARMIJO, _MAX_HALVINGS = 1e-4, 30


def quadratic_model(full, z):
    """The loss's second-order model at predictions ``z``, as Gram statistics.

    ``sum_i h_i / 2 (z'_i - v_i)^2`` with ``h = f''(z)`` and ``v = z - f'(z) / h``.
    """
    data = full.data
    g = full.loss.derivative(full.y, full.w, z)
    h = full.loss.newton_curvature(full.y, full.w, z)
    h = np.maximum(h, 1e-12 * full.w)  # keep v finite for confident rows
    v = z - np.divide(g, h, out=np.zeros_like(g), where=h > 0)
    per_task = data.task_sum(h)
    total = data.expand(per_task)
    weights = np.divide(h, total, out=np.zeros_like(h), where=total > 0)
    model = GramDatafit.from_data(
        TaskData(data.X, v, weights, data.task_index, data.n_tasks),
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

    def newton_step(C, z, gap, budget):
        nonlocal curvature
        model = quadratic_model(full, z if quadratic is None else z.inner)
        inner_datafit = SplitDatafit(model) if split else model
        if quadratic is not None:
            inner_datafit = QuadraticSmoothing(model, quadratic)
        start = C[:d]
        model_gap = duality_gap(inner_datafit, penalty, start, inner_datafit.linear(start))[0]
        threshold = _INNER_FRACTION * max(min(gap, model_gap), floor)
        inner = iterative_solver(method, inner_datafit, penalty)(
            inner_datafit,
            penalty,
            start,
            max_iter=budget,
            threshold=threshold,
            lipschitz=curvature,
        )
        curvature = inner.lipschitz
        target = C.copy()
        target[:d] = inner.coef
        if full.intercept_row:
            W = inner.coef[: d // 2] + inner.coef[d // 2 :] if split else inner.coef
            target[d] = full.intercept_variable(W, model.intercept(W))
        return _line_search(outer, penalty, C, z, target - C), inner.n_iter

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
            return trial
        step *= 0.5
    return C
