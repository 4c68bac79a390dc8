"""Non-convex joint feature selection: the row-wise capped L1, block MCP and block
SCAD, solved by multi-stage convex relaxation.

Each stage minimises the loss plus a row-weighted L1 or L2,1 norm (the concave
penalty's tangent at the last stage's solution), warm-started and certified by its
duality gap; the non-convex objective never increases from one stage to the next.
The first stage is the convex model (lasso or group lasso): a non-convex fit
removes the shrinkage of the rows that the convex one selects clearly.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import is_classifier
from sklearn.exceptions import ConvergenceWarning

from .._base import _MultiTaskModel, check_number, store_parameters
from .._datafit import DesignDatafit
from .._inputs import format_labels, user_stacklevel
from .._mixins import ClassifierMixin, IncrementalRegressorMixin
from ..penalties import BlockMCP, BlockSCAD, RowCappedL1
from ._docs import docstring

#: the unpenalized rows of a stage are bounded by this multiple of the largest row
#: norm at its warm start (an inactive bound that makes the gap finite); a stage
#: whose solution reaches the bound is solved again with it this many times wider,
#: up to ``_WIDENINGS`` times, before the warning that the gap certifies nothing
#: (radon's one feature, CappedL1RegressorCV(loss="huber"): the feature freed in
#: stage 2 grew beyond ten times its shrunk stage-1 norm; a later stage settled
#: where a wider bound does, but the fit warned)
_RADIUS_FACTOR, _WIDENINGS = 10.0, 2
#: a task's Gram eigenvalues at or below this fraction of its largest span the
#: directions along which its unpenalized rows are not identified (as
#: ``np.linalg.pinv(rcond=1e-10)``)
_NULL_RCOND = 1e-10


def least_norm_rows(W, free, gram, weighted, n_classes=1):
    """``W`` moved, on its unpenalized rows ``free``, to the least-norm point of the
    set of coefficients that give the same objective, and the shift ``s`` of the
    task intercepts that this asks for (``b - s``): ``0.0`` but for pooled
    intercepts along a one-hot shift, then a float, or with ``n_classes = K > 1``
    an array of one per virtual task.

    A stage leaves those rows unpenalized, so where a task has fewer independent
    rows than such columns, or one of them is constant on its rows, or a complete
    set of one-hot columns stands beside a free intercept, its loss and the stage's
    penalty are flat along the null space of those columns: the solver's answer
    there depended on its start (a path's warm start or a cold fit: held-out errors
    50% apart), and so did every later stage's weights. Each task's entries lose
    their components in the null space of its Gram on those rows (``gram``,
    restricted to them; centred for free intercepts, which take up the shift of the
    task's mean prediction; with the shared intercept held for pooled ones, that is
    centred with each task's one-hot direction below added back; a task of zero
    weight, ``~weighted``, keeps none). The ``K`` class copies of a task share its
    rows and weights, so their Grams are equal.

    A multinomial model (``K`` classes: the virtual task ``k T + t`` is class ``k``
    of task ``t``) is also flat along a common shift of a task's class models on
    those rows (the softmax does not see it): they are centred over the classes.

    With intercepts pooled towards a shared one, moving every task's intercept and
    the shared one (of one class) by ``s`` is flat too where every task's columns
    can shift its predictions by ``-s`` (``X_t e_t = 1``: a complete one-hot set,
    unpenalized in every task): the least-norm point along the direction ``(e_t)``
    of least-norm ``e_t`` is taken as well, for each class. The fitted values, on
    the rows of positive weight, do not change (a task of zero weight, predicted by
    the shared intercept there, follows its shift; a task with fewer rows than those
    columns changes off its rows only).

    With one class, returns ``(W, 0.0)`` itself when no direction is flat: first
    tried by a Cholesky factorization of the Grams less ``_NULL_RCOND`` of their
    traces (0.3 ms for 139 Grams of 23 columns, where their eigendecomposition
    takes 7 ms)."""
    K = n_classes
    pooled = gram.precision is not None
    grams = gram.grams  # (centred with intercepts; pooled ones add the one-hot part back)
    if K == 1:  # (several classes: their common shift is flat whatever the Grams)
        traces = np.trace(grams, axis1=-2, axis2=-1)[:, None, None]
        try:
            np.linalg.cholesky(grams - _NULL_RCOND * traces * np.eye(grams.shape[-1]))
            return W, 0.0  # every eigenvalue above the fraction of the trace, so of the largest
        except np.linalg.LinAlgError:
            pass
    values, vectors = np.linalg.eigh(grams)
    flat = values <= _NULL_RCOND * values[..., -1:]
    if K == 1 and not flat.any():
        return W, 0.0
    n_virtual = W.shape[1]
    T = n_virtual // K
    null = np.broadcast_to(vectors * flat[..., None, :], (n_virtual,) + grams.shape[1:])
    block = W[free].T  # (K T, f)
    if K > 1:  # each task's class models centred: the same probabilities
        by_class = block.reshape(K, T, -1)
        block = (by_class - by_class.mean(axis=0)).reshape(block.shape)
    kept = block - np.einsum("tij,tj->ti", null, np.einsum("tij,ti->tj", null, block))
    shift = 0.0
    if pooled:
        # the part of each task's mean row in its (centred) null space: X_t e = 1 for
        # e = that part / its squared norm, in the task's row space; with the shared
        # intercept held, moving along it alone is not flat
        xbar = np.broadcast_to(gram.x_mean.T, block.shape)  # (K T, f)
        part = np.einsum("tij,tj->ti", null, np.einsum("tij,ti->tj", null, xbar))
        norms = np.linalg.norm(part, axis=1)
        shifts = weighted & (norms > 1e-8 * np.linalg.norm(xbar, axis=1))
        unit = np.where(shifts[:, None], part, 0.0) / np.where(shifts, norms, 1.0)[:, None]
        kept += unit * np.einsum("ti,ti->t", unit, block)[:, None]
        if np.all(shifts | ~weighted) and np.any(shifts):  # (every task's: flat)
            e = (unit / np.where(shifts, norms, 1.0)[:, None]).reshape(K, T, -1)
            along = np.einsum("kti,kti->k", e, kept.reshape(K, T, -1))
            step = -along / np.einsum("kti,kti->k", e, e)  # one per class
            kept += (step[:, None, None] * e).reshape(kept.shape)
            shift = float(step[0]) if K == 1 else np.repeat(step, T)
    out = W.copy()
    out[free] = kept.T
    return out, shift


def _shape_parameter(nonconvex):
    """The estimator's parameter that sets where the shrinkage of ``nonconvex``
    stops (named in its warnings)."""
    return "theta" if isinstance(nonconvex, RowCappedL1) else "gamma"


def _unpenalized_rows(stage_penalty):
    """The rows that a reweighted stage leaves unpenalized (none in the first)."""
    weights = getattr(stage_penalty, "weights", None)
    return np.array([], dtype=int) if weights is None else np.flatnonzero(weights == 0)


def _warn_if_unbounded(datafit, C, free, free_intercepts, task_labels, advice, exact=True):
    """Warn when the loss keeps falling along the unpenalized rows of the last stage
    (``free``): doubling them (and free intercepts) lowers some task's loss. For a
    loss whose infimum lies at infinity (``asymptotic``: the logistic one, the
    Poisson one of zero counts) the features the penalty no longer shrinks then
    separate that task's classes, the model has no finite optimum, and its
    coefficients are set by ``tol`` (separable tasks, capped L1: the largest grew
    277, 380, 494 at tol 1e-4, 1e-6, 1e-8 with no warning). At an optimum every
    task's loss rises when its rows that move its predictions double; the test
    sees separation along the fitted direction, and can miss a task whose
    separating direction is only part of it (quasi-complete separation). With
    ``exact`` (a fit of its own, not one of a path's) a linear program finds the
    others (:func:`_separated_tasks`). ``advice``: the estimator's parameter that
    sets where the shrinkage stops, and its convex model, which the warning names.
    Returns whether it warned."""
    d = len(free)
    if not np.any(C[:d][free]):
        return False
    doubled = np.array(C, dtype=float)
    doubled[:d][free] *= 2.0
    if free_intercepts:
        doubled[d:] *= 2.0

    def task_losses(C):  # each task's own: separation in one task is not masked
        pointwise = datafit.loss.pointwise(datafit.y, datafit.linear(C))
        return datafit.data.task_sum(datafit.w * pointwise)

    now = task_losses(C)
    falling = np.flatnonzero(task_losses(doubled) < now - 1e-6 * np.abs(now))
    falling = np.union1d(falling, _interpolating_tasks(datafit.data, free, free_intercepts))
    if exact:  # (a linear program: not for each fit of a path)
        falling = np.union1d(falling, _separated_tasks(datafit, C, free, free_intercepts))
    if len(falling):
        tasks = np.unique(falling % len(task_labels))  # (class copies: their task)
        count = f" ({len(tasks)} in all)" if len(tasks) > 5 else ""
        warnings.warn(
            "The features that the penalty no longer shrinks separate the classes (or "
            "the zero counts, or fit every row exactly) of task(s) "
            f"{format_labels(task_labels[tasks], 5)}{count}: the loss keeps falling as their "
            "coefficients grow, so the model has no finite optimum and its coefficients (largest "
            f"{np.abs(C[:d]).max():.3g}) are set by tol, not by the data. Raise "
            f"{advice[0]}, so that fewer features pass the point where the shrinkage "
            f"stops, raise alpha, or use the convex model ({advice[1]}).",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    return bool(len(falling))


def _task_design(X, rows, free, free_intercepts):
    """A task's ``rows`` of ``X`` on the unpenalized columns ``free``, dense, and a
    column of ones for a free intercept."""
    block = X[rows][:, free]
    block = block.toarray() if hasattr(block, "toarray") else np.asarray(block)
    return np.column_stack([block, np.ones(len(block))]) if free_intercepts else block


def _interpolating_tasks(data, free, free_intercepts):
    """The tasks whose rows the unpenalized columns (and a free intercept) fit
    exactly: their design on those columns has full row rank (no more rows than
    columns, as 54 tasks of a count data set of 40 features), so that any labels are
    separated and any zero count's prediction can fall without bound, a direction
    that doubling the fitted coefficients misses when the fit mixes it with a
    bounded part (MCP, Poisson: predictions of 7e59 on held-out rows, no warning).
    Stacked rows of a binary or real target only (a check after the fit)."""
    if data.shared or data.n_classes > 1 or not np.any(free):
        return np.array([], dtype=int)
    columns = int(np.sum(free)) + bool(free_intercepts)
    counts = np.bincount(data.task_index[data.weights > 0], minlength=data.n_tasks)
    found = []
    for t in np.flatnonzero((counts > 0) & (counts <= columns)):  # (few tasks, once)
        block = _task_design(
            data.X, (data.task_index == t) & (data.weights > 0), free, free_intercepts
        )
        if np.linalg.matrix_rank(block) == len(block):
            found.append(t)
    return np.array(found, dtype=int)


#: a row whose loss's derivative is below this fraction of its weight sits near
#: the loss's infimum at infinity (a zero count's mean below 1e-2, a logistic margin
#: above 4.6): its task's separation is then tested (see _separated_tasks; a level
#: of zero counts only sat at means of 2e-3 at the default tol 1e-4, 1e-7 at 1e-8)
_SATURATED = 1e-2


def _open_sides(loss, y):
    """For each row, the side (+1, -1) towards which its loss keeps falling to its
    infimum as the prediction grows without bound, or 0 where it has a finite
    minimum (a positive count): read off the loss at predictions 0, 30, 60."""
    values = [loss.pointwise(y, np.full_like(y, z, dtype=float)) for z in (-60, -30, 0, 30, 60)]
    down = (values[1] < values[2]) & (values[0] <= values[1])
    up = (values[3] < values[2]) & (values[4] <= values[3])
    return np.where(up, 1.0, np.where(down, -1.0, 0.0))


def _separated_tasks(datafit, C, free, free_intercepts):
    """The tasks that the unpenalized columns (and a free intercept) separate: a
    direction ``v`` along which no row's loss rises and some row's falls towards
    the infimum at infinity (``s_i x_i^T v >= 0`` on the rows whose loss falls that
    way, ``x_i^T v = 0`` on those with a finite minimum, their sum 1), found by a
    linear program on each task where a row of the fit already sits near that
    infimum (``_SATURATED``), its columns scaled to a largest entry of 1 (HiGHS's
    absolute tolerances took a column of scale 1e-10 for a separating one). Once a
    fit: one program over all the tasks took 8-11x longer where hundreds of columns
    were unpenalized. Doubling the fitted coefficients missed this where the
    separating direction is a small part of them: a level of a category whose
    counts in one task are all zero (Poisson, MCP: its coefficient -6.8 at tol
    1e-4, -15.9 at 1e-8, no warning); a fuzz case of 10 rows and 6 features with
    held-out means of 1e57. Binary or real targets (not the multinomial loss)."""
    data = datafit.data
    if data.n_classes > 1 or not np.any(free):
        return np.array([], dtype=int)
    from scipy.optimize import linprog

    sides = _open_sides(datafit.loss, datafit.y)
    used = datafit.w > 0
    slope = np.abs(datafit.loss.derivative(datafit.y, datafit.w, datafit.linear(C)))
    saturated = used & (sides != 0) & (slope <= _SATURATED * datafit.w)
    if data.shared:  # every task's column of y over the rows of X
        candidates = np.flatnonzero(saturated.any(axis=0))
    else:
        candidates = np.unique(data.task_index[saturated])
    found = []
    for t in candidates:  # (once a fit, few tasks)
        if data.shared:
            rows, side = used[:, t], sides[used[:, t], t]
        else:
            rows = (data.task_index == t) & used
            side = sides[rows]
        block = _task_design(data.X, rows, free, free_intercepts)
        scale = np.abs(block).max(axis=0)
        block = block / np.where(scale > 0, scale, 1.0)
        opened = side != 0
        signed = side[opened, None] * block[opened]
        result = linprog(
            np.zeros(block.shape[1]),
            A_ub=-signed,
            b_ub=np.zeros(len(signed)),
            A_eq=np.vstack([block[~opened], signed.sum(axis=0)]),
            b_eq=np.r_[np.zeros(np.sum(~opened)), 1.0],
            bounds=(None, None),
            method="highs",
        )
        if result.status == 0:
            found.append(t)
    return np.array(found, dtype=int)


class _NonConvexModel(_MultiTaskModel):
    """Shared multi-stage machinery; subclasses give ``_nonconvex()``."""

    def _nonconvex(self):  # pragma: no cover
        raise NotImplementedError

    def _check_common(self):
        check_number(self.alpha, "alpha", low=0)
        check_number(self.max_stages, "max_stages", low=1, integer=True)

    def _make_penalty(self, n_tasks, n_features=None):
        """The first stage's convex penalty (which also gives ``alpha_max``)."""
        return self._nonconvex().convex_penalty()

    # ------------------------------------------------------------ the stages
    def _solve(self, data, info, loss, penalty, C0=None, full=None, parts=None):
        """The stages, each from the last one's solution. With ``parts`` (a path's
        solves, warm-started by the last one): the first stage from ``parts``, the
        last solve's first stage, and the second from ``C0``, its last stage (when
        its unpenalized rows are inside the stage's radius). Returns the first
        stage's solution as ``parts``. (Each stage is convex, its solution on the
        unpenalized rows made unique by :func:`least_norm_rows`: it does not depend
        on the start. The logistic capped L1's CV on 3 tasks of 24 rows took
        3.3 Newton steps a first stage and 5.8 a second one when both started from
        the last stages, where unshrunk rows have grown; 1.6 and 2.3 thus.)"""
        # a path's solves share one datafit; their separation is tested cheaply only
        # (the linear programs of _separated_tasks in every fit took 2.4x a
        # strong-signal logistic CV's time, 40 tasks of 80 rows; the refit is
        # tested exactly)
        exact = full is None
        if full is None:
            full = DesignDatafit(loss, data, self.fit_intercept, self.intercept_pooling)
        d = data.n_features
        nonconvex = self._nonconvex()
        first_stage = []

        def solve_stage(stage_penalty, C):  # one datafit for all stages (its caches)
            if len(first_stage) == 1 and parts is not None and C0 is not None:
                free = stage_penalty.weights == 0
                if np.all(nonconvex.row_norms(C0[:d][free]) < stage_penalty.radius):
                    C = C0
            W, intercept, _, C = _MultiTaskModel._solve(
                self, data, info, loss, stage_penalty, C, full=full
            )
            if not first_stage:
                first_stage.append(C)
            free = _unpenalized_rows(stage_penalty)
            if len(free):  # (see least_norm_rows)
                gram = full.restricted_gram(free, data.restrict(free))
                weighted = data.task_sum(data.loss_weights) > 0
                moved, shift = least_norm_rows(W, free, gram, weighted, data.n_classes)
                if moved is not W:
                    if full.center:  # the centred model's intercepts hold the predictions
                        intercept = intercept - np.einsum(
                            "jt,jt->t", full.x_mean[free], moved[free] - W[free]
                        )
                    intercept = self._own_intercepts(loss, data, moved, intercept - shift)
                    if C is not None:
                        C = C.copy()
                        C[:d] = moved
                        if full.intercept_row and not full.center:  # (b itself)
                            C[d] -= shift
                    W = moved
            return (W, intercept, C), self.objective_, self.dual_gap_, self.n_iter_

        def minus_gradient(state):
            W, intercept, C = state
            if C is None:  # cvxpy: the block of (W, b)
                C = np.zeros((full.n_rows, W.shape[1]))
                C[:d] = W
                if full.n_rows > d:
                    C[d] = full.intercept_variable(W, intercept)
            C, z = full.polish(np.array(C, dtype=float), full.linear(C))
            return -full.gradient(z)[:d]

        def check_last_stage(state, free, unsettled):  # (its unpenalized rows: free)
            if state[2] is not None:  # (not cvxpy's)
                free_intercepts = self.fit_intercept and not self.intercept_pooling
                kind = "Classifier" if is_classifier(self) else "Regressor"
                parameter = _shape_parameter(nonconvex)  # (capped L1: its lasso)
                lasso = "(l1_ratio=1)" if parameter == "theta" else ""
                advice = (parameter, f"GroupLasso{kind}{lasso}")
                # (a path's fit whose stages did not settle is tested exactly too)
                thorough = exact or unsettled
                return _warn_if_unbounded(
                    full, state[2], free, free_intercepts, info["tasks_"], advice, thorough
                )
            return False

        start = C0 if parts is None else parts
        state = self._run_stages(
            penalty,
            start,
            solve_stage,
            minus_gradient,
            lambda s: s[0],
            lambda s: s[2],
            full,
            check_last_stage if loss.asymptotic else None,
        )
        W, intercept, C = state
        return W, intercept, first_stage[0], C

    def _solve_statistics(self, gram, penalty, C0):
        parent = super()._solve_statistics
        result_of = {}

        def solve_stage(stage_penalty, C):
            result = parent(gram, stage_penalty, C)
            free = _unpenalized_rows(stage_penalty)
            if len(free):  # (see least_norm_rows)
                # (the squared loss's intercepts follow W: gram.intercept)
                sub, weighted = gram.restrict(free), gram.totals > 0
                result.coef = least_norm_rows(result.coef, free, sub, weighted)[0]
            result_of["last"] = result
            return result.coef, result.primal, result.dual_gap, result.n_iter

        def minus_gradient(W):
            return -gram.gradient(gram.linear(W))

        W = self._run_stages(
            penalty, C0, solve_stage, minus_gradient, lambda W: W, lambda W: W, gram
        )
        result = result_of["last"]
        result.coef, result.n_iter = W, self.n_iter_
        result.primal, result.dual_gap = self.objective_, self.dual_gap_
        return result

    def _run_stages(
        self, first, C0, solve_stage, minus_gradient, coef_of, start_of, datafit, check=None
    ):
        """Stage 1 with ``first`` (from ``C0``), then reweighted stages, each warm-
        started from the last, until the weights stop changing, the objective stops
        decreasing (by less than ``tol`` in the gap's units) or ``max_stages``.

        ``solve_stage(penalty, start) -> (state, objective, gap, n_iter)``; the
        objective includes ``penalty``. Sets the stage attributes and returns the
        last state; ``check(state, free, unsettled)``, if given, sees the last state
        of a reweighted stage, the rows its penalty left unpenalized and whether
        ``max_stages`` cut the stages, and returns whether it warned that the model
        has no finite optimum (then the stages do not warn too)."""
        nonconvex = self._nonconvex()
        state, objective, gap, n_iter = solve_stage(first, C0)
        W = coef_of(state)
        values = [objective - first.value(W) + nonconvex.value(W)]
        gaps, total = [gap], n_iter
        weights = np.ones(W.shape[0])
        threshold = self.tol * datafit.gap_scale()
        for _ in range(self.max_stages - 1):
            new_weights = nonconvex.stage_weights(W)
            if np.array_equal(new_weights, weights):  # a fixed point of the stages
                break
            radius = _RADIUS_FACTOR * float(nonconvex.row_norms(W).max(initial=0.0))
            for attempt in range(_WIDENINGS + 1):
                penalty = nonconvex.stage_penalty(W, radius)
                new_state, objective, gap, n_iter = solve_stage(penalty, start_of(state))
                new_W = coef_of(new_state)
                free = penalty.weights == 0
                bound = np.any(nonconvex.row_norms(new_W[free]) >= radius)
                if not bound or attempt == _WIDENINGS:
                    break
                total += n_iter
                radius *= _RADIUS_FACTOR  # (the stage again, with room to settle)
            if bound:
                warnings.warn(
                    f"An unpenalized feature reached the bound {radius:.3g} on its "
                    "coefficients that certifies its stage (1000 times the largest at "
                    "the stage's start): the stage's duality gap certifies the problem "
                    "within that bound, which the solution left, so dual_gap_ "
                    "certifies nothing (it can even be negative). With "
                    "the logistic loss this means separable data, where an unshrunk "
                    f"feature has no finite optimum; raise {_shape_parameter(nonconvex)}, "
                    "so that fewer features pass the point where the shrinkage stops, "
                    "or scale the features.",
                    ConvergenceWarning,
                    stacklevel=user_stacklevel(),
                )
            state, W, weights, total = new_state, new_W, new_weights, total + n_iter
            values.append(objective - penalty.value(W) + nonconvex.value(W))
            gaps.append(gap)
            if values[-2] - values[-1] <= threshold:
                break
        unsettled = len(values) == self.max_stages > 1 and values[-2] - values[-1] > threshold
        # a model without a finite optimum keeps lowering its objective stage after
        # stage: its own warning names the cause and the fix, where more stages
        # would not help (a separated task, max_stages=2: the fit said "raise
        # max_stages" first, and a *CV quotes its folds' first warning)
        unbounded = (
            check is not None and len(values) > 1 and check(state, penalty.weights == 0, unsettled)
        )
        if unsettled and not unbounded:
            warnings.warn(
                f"The stages did not settle in max_stages={self.max_stages}: the "
                f"last one lowered the objective by {values[-2] - values[-1]:.3e}, "
                f"above the tolerance {threshold:.3e} (tol={self.tol}), so the "
                "model is not yet a stationary point (see stationarity_). Raise "
                "max_stages.",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
        self.n_stages_ = len(values)
        self.stage_objectives_ = np.array(values)
        self.stage_gaps_ = np.array(gaps)
        self.stationarity_ = nonconvex.stationarity(W, minus_gradient(state))
        self.objective_, self.dual_gap_, self.n_iter_ = values[-1], gap, total
        return state


_STAGES = """    max_stages : int, default=10
        Largest number of convex stages (the first is the convex model). The stages
        stop earlier when their weights stop changing or the objective decreases by
        less than ``tol`` times the gap's unit; a ConvergenceWarning says when the
        last of ``max_stages`` stages still lowered it by more.
"""
_STAGE_ATTRIBUTES = """    n_stages_ : int
        Number of convex stages solved.
    stage_objectives_ : ndarray of shape (n_stages,)
        The non-convex objective after each stage (non-increasing).
    stage_gaps_ : ndarray of shape (n_stages,)
        The duality gap that certifies each stage's convex problem.
    stationarity_ : float
        Distance of the loss's negative gradient to the penalty's subdifferential at
        the solution (largest over features; 0 at a stationary point).
"""
_COMMON_SUMMARY = """
    Solved by multi-stage convex relaxation (local linear approximation): each stage
    minimises the loss plus the penalty's tangent at the last stage's solution, a
    row-weighted {norm} norm (FISTA warm-started, certified by its duality gap),
    so the objective never increases; the first stage is the {convex}. The result
    is a stationary point, not necessarily the global minimum. ``objective_`` is the
    non-convex objective and ``dual_gap_`` the last stage's gap."""


def _example(name, params):
    loss = "Regressor" if name.endswith("Regressor") else "Classifier"
    # noisy labels: on separable classes an unshrunk feature has no finite optimum
    make = "X @ W" if loss == "Regressor" else "(X @ W + rng.randn(100, 3) > 0).astype(int)"
    return f"""    >>> import numpy as np
    >>> from skmtl import {name}
    >>> rng = np.random.RandomState(0)
    >>> X = rng.randn(100, 8)
    >>> W = np.zeros((8, 3)); W[:2] = rng.randn(2, 3)
    >>> Y = {make}
    >>> model = {name}({params}).fit(X, Y)
    >>> model.coef_.shape
    (3, 8)
"""


def _doc(name, summary, penalty, parameters, loss, params):
    objective = {
        "squared": "        sum_t tau_t/(2 n_t) ||y_t - X_t w_t - b_t||^2",
        "logistic": "        sum_t tau_t/n_t sum_i log(1 + exp(-y_ti (x_ti^T w_t + b_t)))",
    }[loss]
    return docstring(
        summary,
        f"{objective}\n            + {penalty}",
        parameters + _STAGES,
        loss=loss,
        attributes=_STAGE_ATTRIBUTES,
        examples=_example(name, params),
    )


# ------------------------------------------------------------------ capped L1
class _CappedL1(_NonConvexModel):
    def __init__(
        self,
        alpha=0.1,
        *,
        theta=1.0,
        max_stages=10,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _nonconvex(self):
        self._check_common()
        check_number(self.theta, "theta", low=0, low_open=True)
        return RowCappedL1(self.alpha, self.theta)


_CAPPED_PARAMETERS = """    alpha : float, default={alpha}
        Regularization strength, >= 0.
    theta : float, default=1.0
        The cap, > 0: a feature whose coefficients' L1 norm across tasks reaches
        ``theta`` is no longer shrunk.
"""
_CAPPED_PENALTY = "alpha * sum_j min(||W_j||_1, theta)"
_CAPPED_SUMMARY = """Multi-task feature selection with the row-wise capped L1 penalty ({task}).

    ``W_j`` is the row of feature ``j`` across tasks (Gong, Ye & Zhang 2012,
    multi-stage multi-task feature learning).""" + _COMMON_SUMMARY.format(
    norm="L1", convex="lasso of every task (``l1_ratio=1``)"
)


class CappedL1Regressor(IncrementalRegressorMixin, _CappedL1):
    __doc__ = _doc(
        "CappedL1Regressor",
        _CAPPED_SUMMARY.format(task="regression"),
        _CAPPED_PENALTY,
        _CAPPED_PARAMETERS.format(alpha="0.1"),
        "squared",
        "alpha=0.05",
    )


class CappedL1Classifier(ClassifierMixin, _CappedL1):
    def __init__(
        self,
        alpha=0.01,
        *,
        theta=1.0,
        max_stages=10,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    __doc__ = _doc(
        "CappedL1Classifier",
        _CAPPED_SUMMARY.format(task="classification"),
        _CAPPED_PENALTY,
        _CAPPED_PARAMETERS.format(alpha="0.01"),
        "logistic",
        "alpha=0.01",
    )


# ------------------------------------------------------------- MCP and SCAD
class _Block(_NonConvexModel):
    _penalty_class = BlockMCP
    _gamma_low = 1.0

    def __init__(
        self,
        alpha=0.1,
        *,
        gamma=3.0,
        max_stages=10,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def _nonconvex(self):
        self._check_common()
        check_number(self.gamma, "gamma", low=self._gamma_low, low_open=True)
        return self._penalty_class(self.alpha, self.gamma)


def _block_init(default_alpha, default_gamma):
    """An ``__init__`` with these defaults (sklearn reads the parameters from it)."""

    def __init__(
        self,
        alpha=default_alpha,
        *,
        gamma=default_gamma,
        max_stages=10,
        loss=None,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    return __init__


_MCP_PARAMETERS = """    alpha : float, default={alpha}
        Regularization strength, >= 0.
    gamma : float, default=3.0
        Concavity, > 1: rows whose 2-norm passes ``gamma * alpha`` are not shrunk;
        a large ``gamma`` approaches the group lasso. It is read on the features'
        scale (X rescaled by ``c`` asks for ``c alpha`` and ``gamma / c^2`` for the
        same model): standardize X first, as grpreg does.
"""
_MCP_PENALTY = """sum_j mcp(||W_j||_2),
              mcp(r) = alpha r - r^2 / (2 gamma)  if r <= gamma alpha,
                       gamma alpha^2 / 2          otherwise"""
_MCP_SUMMARY = """Multi-task feature selection with the block MCP on the rows ({task}).

    The minimax concave penalty (Zhang 2010) of the 2-norm of each row ``W_j``
    (feature ``j`` across tasks), for designs that differ between tasks.""" + (
    _COMMON_SUMMARY.format(norm="L2,1", convex="group lasso")
)


class BlockMCPRegressor(IncrementalRegressorMixin, _Block):
    __doc__ = _doc(
        "BlockMCPRegressor",
        _MCP_SUMMARY.format(task="regression"),
        _MCP_PENALTY,
        _MCP_PARAMETERS.format(alpha="0.1"),
        "squared",
        "alpha=0.05",
    )


class BlockMCPClassifier(ClassifierMixin, _Block):
    __init__ = _block_init(0.01, 3.0)
    __doc__ = _doc(
        "BlockMCPClassifier",
        _MCP_SUMMARY.format(task="classification"),
        _MCP_PENALTY,
        _MCP_PARAMETERS.format(alpha="0.01"),
        "logistic",
        "alpha=0.01",
    )


class _SCAD(_Block):
    _penalty_class = BlockSCAD
    _gamma_low = 2.0


_SCAD_PARAMETERS = """    alpha : float, default={alpha}
        Regularization strength, >= 0.
    gamma : float, default=3.7
        Concavity, > 2 (3.7: Fan & Li's choice): rows whose 2-norm passes ``gamma *
        alpha`` are not shrunk; a large ``gamma`` approaches the group lasso. It is
        read on the features' scale: standardize X first, as grpreg does.
"""
_SCAD_PENALTY = """sum_j scad(||W_j||_2),
              scad(r) = alpha r                          if r <= alpha,
                        (2 gamma alpha r - r^2 - alpha^2)
                          / (2 (gamma - 1))            if r <= gamma alpha,
                        (gamma + 1) alpha^2 / 2          otherwise"""
_SCAD_SUMMARY = """Multi-task feature selection with the block SCAD on the rows ({task}).

    The smoothly clipped absolute deviation (Fan & Li 2001) of the 2-norm of each
    row ``W_j`` (feature ``j`` across tasks).""" + (
    _COMMON_SUMMARY.format(norm="L2,1", convex="group lasso")
)


class BlockSCADRegressor(IncrementalRegressorMixin, _SCAD):
    __init__ = _block_init(0.1, 3.7)
    __doc__ = _doc(
        "BlockSCADRegressor",
        _SCAD_SUMMARY.format(task="regression"),
        _SCAD_PENALTY,
        _SCAD_PARAMETERS.format(alpha="0.1"),
        "squared",
        "alpha=0.05",
    )


class BlockSCADClassifier(ClassifierMixin, _SCAD):
    __init__ = _block_init(0.01, 3.7)
    __doc__ = _doc(
        "BlockSCADClassifier",
        _SCAD_SUMMARY.format(task="classification"),
        _SCAD_PENALTY,
        _SCAD_PARAMETERS.format(alpha="0.01"),
        "logistic",
        "alpha=0.01",
    )
