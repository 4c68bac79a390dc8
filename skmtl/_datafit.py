"""The smooth part of the objective: a loss bound to task data.

The solver sees a datafit through a handful of methods on the coefficient
block ``C`` (``(d, T)``, or ``(d + 1, T)`` when a logistic intercept is a
variable, its last row):

``linear(C)``
    A linear image ``Z`` of the coefficients from which value and gradient
    follow (the predictions, or ``(W, Gram @ W)`` with Gram statistics). Being
    linear, it is extrapolated with the iterates, so each FISTA iteration costs
    one ``linear`` and one ``gradient``.
``value(Z)``, ``gradient(Z)``, ``bregman(...)``
    The loss, its gradient in ``C``, and the exact excess over its
    linearisation for the backtracking test.
``dual_value(Z, s)``
    ``-sum_t f_t^*(-s theta_t)`` at the rescaled dual point.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import scipy.sparse as sp
from scipy.optimize import brentq
from scipy.sparse.linalg import LinearOperator, eigsh

from . import _pooling as pooling
from ._linalg import inner
from ._pooling import precision
from ._tasks import TaskData, matvec, rmatvec

# Assumed iteration count and memory cap in the choice of Gram statistics.
_GRAM_ITERATIONS = 200
GRAM_MAX_ENTRIES = 2e7
#: features whose curvatures spread by at least this factor are badly scaled: the
#: solvers then take coordinate descent or ADMM on Gram statistics (see
#: :mod:`skmtl.solvers.cd`, where they are measured), on at most this many features
BADLY_SCALED_SPREAD, BADLY_SCALED_MAX_FEATURES = 100.0, 100
#: up to this many features a design's Lipschitz constant (free intercepts) comes
#: from the Gram statistics (``n d^2`` flops and one batched eigvalsh) rather than
#: Lanczos iterations (about 50 passes of ``2 n d``)
_EIGVALSH_FEATURES = 64


def nonzero_rows(W):
    """Indices of the rows of ``W`` with a nonzero (or NaN) entry. A sum of absolute
    values is zero only for a zero row; summed by einsum it is faster than a
    reduction along short rows (43 us against 89 us for 5000 x 10) and, unlike a
    product with a vector of ones (25 us), never waits for BLAS threads."""
    return np.flatnonzero(np.einsum("ij->i", np.abs(W)) != 0)


def largest_eigenvalue(operator, shape):
    """Largest eigenvalue of a symmetric PSD operator acting on arrays of ``shape``."""
    size = int(np.prod(shape))

    def apply(v):
        return operator(v.reshape(shape)).ravel()

    if size <= 64:
        dense = np.column_stack([apply(e) for e in np.eye(size)])
        return float(np.linalg.eigvalsh(0.5 * (dense + dense.T))[-1])
    v0 = np.random.RandomState(0).standard_normal(size)
    if not np.any(apply(v0)):  # a random vector in its null space: the zero operator
        return 0.0  # (tasks of one row each: centred, their features vanish)
    op = LinearOperator((size, size), matvec=apply, dtype=float)
    top = eigsh(op, k=1, which="LA", v0=v0, tol=1e-3, return_eigenvectors=False)[0]
    return float(top) * 1.01  # Lanczos converges from below; backtracking checks it


class DesignDatafit:
    """A loss on the predictions ``z = X_t w_t (+ b_t)`` of task data.

    With ``fit_intercept`` the features are centered per task, implicitly (never
    densifying sparse ``X``). For the squared loss the targets are centered too
    and the intercepts follow in closed form; for the logistic loss the
    intercepts are variables (the last row of the coefficient block, identity
    prox) of the centered model ``(X_t - mean_t) w_t + c_t``, an exact
    reparametrisation (``b_t = c_t - mean_t^T w_t``) that keeps the large feature
    means out of the Lipschitz constant.
    """

    def __init__(self, loss, data: TaskData, fit_intercept=True, pooling=0.0, gram=None):
        self.loss, self.data = loss, data
        #: a function giving Gram statistics of the same data (of any pooling),
        #: called by gram() when they are first needed
        self._shared_gram = gram
        self.exact_bregman = loss.quadratic
        self.w = data.loss_weights
        self.fit_intercept, self.pooling = fit_intercept, pooling
        # pooled intercepts: the intercept row holds b itself (uncentred features),
        # with the pooling term as its own proximal term (see intercept_prox)
        self.precision = (
            precision(pooling, data.task_weights, data.sample_totals, data.n_classes)
            if fit_intercept
            else None
        )
        self.center = fit_intercept and self.precision is None
        self.intercept_row = fit_intercept and (self.precision is not None or not loss.quadratic)
        self.n_features = data.n_features
        self.n_rows = self.n_features + int(self.intercept_row)
        self.y = data.y
        if self.center:
            self.x_mean, self.y_mean = data.task_means()
        if self.center and loss.quadratic:
            self.y = data.y - data.expand(self.y_mean)
            if data.shared:  # keep missing entries at zero
                self.y = np.where(data.weights > 0, self.y, 0.0)

    def with_loss(self, loss):
        """The same data term with another loss (a non-smooth loss's smoothings)."""
        return DesignDatafit(loss, self.data, self.fit_intercept, self.pooling, self._shared_gram)

    def column_norms(self):
        """``||x_tj||_w = sqrt(sum_i w_i (x_ij - mean_tj)^2)`` for every feature and task
        (d, T), with the data term's weights; computed once."""
        if getattr(self, "_column_norms", None) is None:
            second = weighted_squares(self.data, self.w)
            if self.center:
                second = second - self.data.task_sum(self.w) * self.x_mean**2
            self._column_norms = np.sqrt(np.maximum(second, 0.0))
        return self._column_norms

    def gram(self):
        """The same squared-loss data term through Gram statistics, computed once."""
        if getattr(self, "_gram", None) is None:
            if self._shared_gram is not None:
                self._gram = self._shared_gram().with_precision(self.precision)
            else:
                self._gram = GramDatafit.from_data(self.data, self.fit_intercept, self.precision)
        return self._gram

    def restricted_gram(self, features, sub):
        """Gram statistics of the features ``features`` (whose data is ``sub``).

        Sliced from the Gram of all features once that is computed; before, computed
        from the rows of those features only, until their cost adds up to that of
        the whole Gram (then the whole Gram pays off: a path reuses it for every
        alpha). Never more than twice the cheaper of the two choices."""
        spent = getattr(self, "_gram_spent", 0) + len(features) ** 2
        if getattr(self, "_gram", None) is None and spent <= self.n_features**2:
            self._gram_spent = spent
            return GramDatafit.from_data(sub, self.fit_intercept, self.precision)
        return self.gram().restrict(features)

    def linear(self, C):
        # a path asks again for the predictions of the last solution: remember one
        last = getattr(self, "_last_linear", None)
        if last is not None and last[0].shape == C.shape and np.array_equal(last[0], C):
            return last[1]
        z = self._linear(C)
        self._last_linear = (C.copy(), z)
        return z

    def _linear(self, C):
        d = self.n_features
        W, x_mean, data = C[:d], getattr(self, "x_mean", None), self.data
        rows = nonzero_rows(W)
        if len(rows) == 0:  # a cold start: no product needed
            z = np.zeros(data.y.shape)
        else:
            if 4 * len(rows) < d:  # row-sparse W (working sets, paths): its rows only
                W, data = W[rows], data.restrict(rows)
                x_mean = x_mean[rows] if self.center else None
            z = matvec(data, W)
            if self.center:
                z = z - self.data.expand(np.einsum("jt,jt->t", x_mean, W))
        if self.intercept_row:
            z = z + self.data.expand(C[d])
        return z

    def adjoint(self, theta):
        """Adjoint of ``linear``: ``[X_t^T theta_t]_t`` (centered) and intercept sums."""
        data = self.data
        if self.center and data.flat_weights() and 2 * len(theta) < self.n_features:
            # every task's means are X^T u (u: the rows' weights), so centre theta, the
            # smaller side: X_c^T theta_t = X^T (theta_t - u sum(theta_t))
            u = data.weights[:, :1]
            g = rmatvec(data, theta - u * theta.sum(axis=0))
        else:
            g = rmatvec(data, theta)
            if self.center:
                g -= self.x_mean * data.task_sum(theta)
        if self.intercept_row:
            g = np.vstack([g, self.data.task_sum(theta)])
        return g

    def value(self, z):
        return self.loss.value(self.y, self.w, z)

    def gradient(self, z):
        # the outer loops ask twice for the gradient at the same point: remember one
        last = getattr(self, "_last_gradient", None)
        if last is not None and last[0] is z:
            return last[1]
        g = self.adjoint(self.loss.derivative(self.y, self.w, z))
        self._last_gradient = (z, g)
        return g

    def bregman(self, z_new, z_old, value_old, grad, step):
        grad_dot_step = None if self.exact_bregman else inner(grad, step)
        return self.loss.bregman(self.y, self.w, z_new, z_old, value_old, grad_dot_step)

    def dual_value(self, z, scale):
        """The loss's dual value at the dual point of ``z``; for a ``location`` loss
        with intercepts, at targets and predictions shifted by the targets' weighted
        mean: the same value where the dual point's sums meet the intercepts'
        optimality (``sum_i theta_i`` zero, the pooling's sums in its range), and far
        less sensitive to their round-off, which the mean multiplies (radon's log
        radon plus 1e4, Huber loss, pooled intercepts: a gap of zero 0.018 above the
        optimum, 180 times the tolerance)."""
        shift = self._target_shift()
        if shift:
            return self.loss.dual_value(self.y - shift, self.w, z - shift, scale)
        return self.loss.dual_value(self.y, self.w, z, scale)

    def _target_shift(self):
        """The weighted mean of the targets for a ``location`` loss with intercepts,
        else 0 (computed once)."""
        if getattr(self, "_shift", None) is None:
            shift = 0.0
            if self.fit_intercept and getattr(self.loss, "location", False):
                total = np.sum(self.w)
                shift = float(np.sum(self.w * self.y) / total) if total > 0 else 0.0
            self._shift = shift
        return self._shift

    def gap_scale(self):
        """The stopping rule's unit (see the loss's ``gap_scale``), computed once. Where
        the model without features fits exactly (targets constant in each task:
        zero, or round-off below it), the loss of the zero model instead: a unit of
        the targets' size, not a threshold no gap can meet."""
        if getattr(self, "_gap_scale", None) is None:
            y = self.y
            if self.loss.quadratic and self.fit_intercept and not self.center:
                # pooled intercepts keep y uncentred: the unit is free intercepts'
                # (the Gram statistics' q), whatever the pooling and the targets'
                # offset (the uncentred sum of squares made tol loose by a factor
                # 2 on grouped data, and by the offset's square on log radon + 1e4)
                totals = self.data.task_sum(self.w)
                means = np.divide(
                    self.data.task_sum(self.w * y),
                    totals,
                    out=np.zeros_like(totals),
                    where=totals > 0,
                )
                y = y - self.data.expand(means)
            scale = self.loss.gap_scale(y, self.w, self.null_predictions())
            zero = self.loss.gap_scale(self.y, self.w, np.zeros_like(self.y))
            self._gap_scale = scale if scale > 1e-12 * zero else zero
        return self._gap_scale

    def null_intercepts(self):
        """Each task's intercept in the model without features (the solvers' start);
        with infinitely pooled intercepts, the one intercept (per class) of all rows."""
        data = self.data
        sums, totals = data.task_sum(self.w * self.y), data.task_sum(self.w)
        p = self.precision
        if p is not None and np.isinf(p).any():
            sums, totals = (pooling.group_sum(p, v) for v in (sums, totals))
        elif not np.all(totals > 0):  # a task of weight zero (no data term): its own mean
            empty = totals <= 0
            sums[empty] = data.task_sum(data.weights * self.y)[empty]
            totals[empty] = data.task_sum(data.weights)[empty]
        return self.loss.null_intercept(sums / totals)

    def null_predictions(self):
        """The predictions of the model without features."""
        if not self.fit_intercept or self.loss.quadratic and self.center:
            return np.zeros_like(self.y)
        return self.data.expand(self.null_intercepts())

    def lipschitz(self):
        """``curvature * max_t lambda_max(X_t^T diag(w_t) X_t)`` (centered, with the
        intercept column when it is a variable), computed once. For a loss of
        unbounded curvature, the Hessian's largest eigenvalue at the model without
        features: a local estimate that backtracking corrects."""
        if getattr(self, "_lipschitz", None) is None:
            self._lipschitz = self._compute_lipschitz()
        return self._lipschitz

    def _compute_lipschitz(self):
        data, curvature = self.data, self.loss.curvature
        if curvature is None:
            curvature, w = 1.0, self.loss.second_derivative(self.y, self.w, self.null_predictions())
        elif data.n_tasks > 1 and data.same_rows() and self.precision is None:
            # every task has the same Hessian: compute it for the first one only
            first = TaskData(data.X, data.y[:, :1], self.w[:, :1], None, 1)
            return DesignDatafit(self.loss, first, self.fit_intercept).lipschitz()
        else:
            w = self.w
        d = self.n_features
        if (
            self.center
            and self.intercept_row
            and self.loss.curvature is not None  # (else w is not the Grams' weights)
            and d <= _EIGVALSH_FEATURES
            and data.n_tasks * d * d <= GRAM_MAX_ENTRIES
        ):
            # the Hessian is block diagonal: the centred features' Gram of each task
            # (the squared loss's statistics) and its intercept's weight sum.
            # Measured: three classes of School-like data (139 tasks, 27 features,
            # 45657 expanded rows), 58 ms by Lanczos, a few by the Grams
            top = max(self.gram().lipschitz(), float(data.task_sum(w).max()))
            return curvature * top
        top = largest_eigenvalue(
            lambda V: self.adjoint(w * self._linear(V)), (self.n_rows, data.n_tasks)
        )
        return curvature * top

    def polish(self, C, z, n_steps=10):
        """Newton steps on the intercept row (given ``W``), so that the optimality of
        the intercepts holds to round-off before the gap is computed: each
        task's ``sum_i theta_ti = 0`` for free intercepts; with pooled ones
        ``task sums of theta = M(p) b``, in particular summing to zero. The last
        call's result is remembered, with its ``z`` (a solve's start is polished
        twice: for the warm-start guard and for the first gap; a dual candidate's
        ``z`` need not be its block's predictions)."""
        if not self.intercept_row or not self.loss.smooth:
            # (a loss without derivative, the pinball loss, has no Newton steps: its
            # solvers polish the intercepts on its smooth envelopes)
            return C, z
        last = getattr(self, "_last_polish", None)
        if last is not None and last[0].shape == C.shape:
            C_in, z_in, C_out, z_out = last
            # the last call's input, or its output (polished already: the next solve
            # of a path starts where the last one's gap polished, its predictions
            # recomputed to round-off)
            if (np.array_equal(C_in, C) and np.array_equal(z_in, z)) or (
                np.array_equal(C_out, C) and _round_off_equal(z_out, z)
            ):
                return C_out.copy(), z_out
        C_in, z_in = C.copy(), np.array(z)
        C, z = self._polish(C.copy(), z, n_steps)
        self._last_polish = (C_in, z_in, C.copy(), z)
        return C, z

    def _polish(self, C, z, n_steps):
        p = self.precision
        pooled = p is not None and not np.isinf(p).any()
        infinite = p is not None and np.isinf(p).any()  # one intercept (per class)
        tiny = 1e-15 * self.data.task_sum(self.w)  # a relative round-off level
        current = None  # the objective at z (pooled intercepts), once computed
        losses = None  # each task's loss at z (free intercepts), once computed
        settled = 0  # consecutive steps whose Newton decrement is at round-off
        for _ in range(n_steps):
            g = self.data.task_sum(self.loss.derivative(self.y, self.w, z))
            if pooled:
                g = g + pooling.apply_m(p, C[-1])
            if infinite:  # the derivative in the shared intercept(s): sums
                K = self.data.n_classes
                total = np.repeat(g.reshape(K, -1).sum(axis=1), len(g) // K)
                if np.all(np.abs(total) <= tiny):
                    break
            elif np.all(np.abs(g) <= tiny):
                break
            blocks = self.loss.curvature_blocks(self.y, self.w, z)
            if blocks is not None:  # the loss couples the intercepts of a task
                step = pooling.solve_blocks(p, self._block_hessians(blocks), g)
            else:
                h = self._intercept_curvature(z, exact=pooled)
                if p is None:
                    step = np.divide(g, h, out=np.zeros_like(g), where=h > 1e-300)
                else:
                    step = pooling.solve_shifted(p, h, g)
            # a loss with near-singular models (piecewise quadratic: the quantile
            # loss's envelopes) needs sufficient decrease: its undamped steps can jump
            # between two points of equal loss on either side of the minimum
            slope = g if self.loss.singular_models else None
            # a step whose promised decrease is below the loss's round-off is taken
            # whole: the damping cannot see it (one task of 15219 rows, three
            # classes: 6 steps of 60 halvings at a gradient of 5e-13). The second
            # such step in a row ends the polish: the gradient is then at its
            # round-off, which the test above, task by task, may never see (pooled
            # intercepts add their term's round-off: on Contraception,
            # MeanRegularizedClassifierCV ran all 10 steps in 1080 of 7368 polishes)
            settled = settled + 1 if abs(inner(g, step)) <= 4 * tiny.sum() else 0
            if settled:
                losses = current = None
            elif p is None and not self.exact_bregman:
                step, losses = damped_intercept_step(self, z, step, losses, slope=slope)
            elif not self.exact_bregman:  # Newton on a quadratic cannot overshoot
                step, current = self._damped_pooled_step(z, C[-1], step, current, slope=slope)
            C[-1] -= step
            z = z - self.data.expand(step)
            if self.exact_bregman or settled == 2:  # (a quadratic: one step is exact)
                break
        return C, z

    def _intercept_curvature(self, z, exact=False):
        """Each task's second derivative in its intercept; on a flat stretch (zero),
        the curvature of a majorizing quadratic (``newton_curvature``) instead, but
        with ``exact`` where some task's is positive."""
        h = self.data.task_sum(self.loss.second_derivative(self.y, self.w, z))
        if exact and np.any(h > 0):
            return h
        if not np.all(h > 0):
            flat = self.data.task_sum(self.loss.newton_curvature(self.y, self.w, z))
            h = np.where(h > 0, h, flat)
        return h

    def _block_hessians(self, blocks):
        """Each task's ``K x K`` Hessian in its intercepts, ``(T, K, K)``, from the
        loss's coupling blocks (``blocks[l]`` shaped like ``y``)."""
        K = self.data.n_classes
        sums = np.stack([self.data.task_sum(b) for b in blocks])  # (K_l, K T): a loop over classes
        return sums.reshape(K, K, -1).transpose(2, 1, 0)

    def _damped_pooled_step(self, z, b, step, before=None, max_halvings=60, slope=None):
        """As :func:`damped_intercept_step`, on the loss of all tasks plus the pooling
        term, which couples them. Returns the step and the objective after it
        (``before``, the objective at ``z``, is computed if not given)."""

        def value(s):
            return self.value(z - self.data.expand(s)) + self.intercept_value(b - s)

        if before is None:
            before = value(np.zeros_like(step))
        limit = before + 8 * np.finfo(float).eps * abs(before)
        for _ in range(max_halvings):
            after = value(step)
            if after <= limit - (0.0 if slope is None else _ARMIJO * inner(slope, step)):
                return step, after
            step = 0.5 * step
        return np.zeros_like(step), before

    def intercepts_optimal(self, z, sums):
        """Whether the dual point of predictions ``z`` meets the intercepts'
        optimality, which the dual objective assumes (:meth:`intercept_conjugate`,
        :meth:`dual_value`'s shift): ``sums``, the task sums of ``theta`` (minus the
        intercept row's gradient), zero for free intercepts, summing to zero over the
        tasks (in each class) for pooled ones, to ``_INTERCEPT_RTOL`` of the sums of
        ``|theta|``. :meth:`polish` gets there but for a loss whose Newton steps can
        stall (the quantile envelopes, piecewise quadratic: 0.03 off after its 10
        steps on radon, where the dual objective then exceeded the optimum and a fit
        stopped 8 times its gap above it)."""
        # to a share of the sums of |theta|, and at least their round-off: that of
        # the residuals y - z (of targets far from zero: radon + 1e8), times the
        # loss's curvature bound, and a floor in the weights' units
        size = self.data.task_sum(np.abs(self.loss.derivative(self.y, self.w, z)))
        level = self.loss.newton_curvature(self.y, self.w, z) * (np.abs(self.y) + np.abs(z))
        size = (
            _INTERCEPT_RTOL * size
            + 16 * np.finfo(float).eps * self.data.task_sum(level)
            + 1e-12 * self.data.task_sum(self.w)
        )
        if self.precision is not None:  # only the shared intercept's optimality is assumed
            K = self.data.n_classes
            sums, size = sums.reshape(K, -1).sum(axis=1), size.reshape(K, -1).sum(axis=1)
        return bool(np.all(np.abs(sums) <= size))

    def intercept_prox(self, b, step):
        """Proximal operator of the intercept row's own term (the pooling term; the
        identity for free intercepts)."""
        p = self.precision
        if p is None:
            return b
        return pooling.solve_shifted(p, np.full_like(b, 1.0 / step), b / step)

    def intercept_value(self, b):
        return 0.0 if self.precision is None else pooling.value(self.precision, b)

    def intercept_conjugate(self, u):
        """The conjugate of that term at ``u`` (zero for free intercepts, whose task
        sums of the dual point are zero after :meth:`polish`)."""
        return 0.0 if self.precision is None else pooling.conjugate(self.precision, u)

    def intercept(self, C):
        """The intercepts ``b`` of the uncentered model."""
        if not self.fit_intercept:
            return np.zeros(self.data.n_tasks)
        if not self.center:
            return C[-1].copy()
        shift = np.einsum("jt,jt->t", self.x_mean, C[: self.n_features])
        return (C[-1] if self.intercept_row else self.y_mean) - shift

    def intercept_variable(self, W, b):
        """The intercept row of the coefficient block for the model ``(W, b)``."""
        return b + np.einsum("jt,jt->t", self.x_mean, W) if self.center else b


def _round_off_equal(a, b):
    """Whether two arrays of predictions (of one datafit: one shape) differ by
    round-off only."""
    scale = max(np.max(np.abs(a), initial=0.0), 1.0)
    return bool(np.max(np.abs(a - b), initial=0.0) <= 1e-13 * scale)


#: the sufficient decrease of the intercepts' damped Newton steps (Armijo)
_ARMIJO = 1e-4
#: the dual point's task sums that :meth:`DesignDatafit.intercepts_optimal` takes for
#: zero, relative to the sums of its magnitudes
_INTERCEPT_RTOL = 1e-8


def own_intercepts(loss, data: TaskData, W, b):
    """``b`` with the free intercepts of the tasks of zero task weight replaced: no
    data term decides them, so each minimises its task's own loss with the task's
    coefficients (column of ``W``) held, the squared loss's mean residual. By
    bisection on each task's derivative in its intercept, which a convex loss makes
    non-decreasing (a pinball loss's too, whose Newton steps ``polish`` cannot take);
    the softmax's intercepts of a task are coupled: Newton steps (``polish``)."""
    zero = data.task_weights == 0
    own = replace(data, task_weights=None)
    if data.n_classes > 1:
        datafit = DesignDatafit(loss, own)
        C = np.vstack([W, datafit.intercept_variable(W, b)])
        C, _ = datafit.polish(C, datafit.linear(C), n_steps=100)
        return np.where(zero, datafit.intercept(C), b)
    z = matvec(own, W)

    def slope(shift):
        return own.task_sum(loss.derivative(own.y, own.weights, z + own.expand(shift)))

    # a bracket of the minimiser (the slope <= 0 at low, >= 0 at high), from the
    # scale of the targets and predictions (a location loss's lies within it)
    scale = 1.0 + np.max(np.abs(own.y), initial=0.0) + np.max(np.abs(z), initial=0.0)
    low, high = np.full(own.n_tasks, -scale), np.full(own.n_tasks, scale)
    for _ in range(64):
        below, above = slope(low) > 0, slope(high) < 0
        if not (below[zero].any() or above[zero].any()):
            break
        low, high = np.where(below, 2 * low, low), np.where(above, 2 * high, high)
    for _ in range(200):
        middle = 0.5 * (low + high)
        rising = slope(middle) >= 0
        low, high = np.where(rising, low, middle), np.where(rising, middle, high)
        if np.all((high - low)[zero] <= 4 * np.finfo(float).eps * np.abs(middle[zero])):
            break
    return np.where(zero, 0.5 * (low + high), b)


def damped_intercept_step(datafit, z, step, before=None, max_halvings=60, slope=None):
    """Halve each task's Newton step on its intercept until that task's loss does not
    increase (beyond round-off). From far off (a warm start on new data: confident
    rows, tiny curvature) the undamped step overshoots and the loss explodes.
    ``before``: each task's loss at ``z`` if known. With each task's derivative in its
    intercept (``slope``), the loss must also fall by ``_ARMIJO`` times the step's
    first-order decrease: on a piecewise quadratic loss (the pinball loss's
    envelopes) undamped Newton steps can jump between two points of equal loss on
    either side of the minimum. Returns the step and each task's loss after it (the
    next step's ``before``)."""
    data, loss, y, w = datafit.data, datafit.loss, datafit.y, datafit.w

    def losses(step):
        return data.task_sum(w * loss.pointwise(y, z - data.expand(step)))

    if before is None:
        before = losses(np.zeros_like(step))
    limit = before + 8 * np.finfo(float).eps * np.abs(before)
    for _ in range(max_halvings):
        after = losses(step)
        worse = after > limit - (0.0 if slope is None else _ARMIJO * slope * step)
        if not worse.any():
            return step, after
        step = np.where(worse, 0.5 * step, step)
    step = np.where(worse, 0.0, step)
    return step, np.where(worse, before, after)


class GramDatafit:
    """Squared loss through per-task sufficient statistics.

    ``Z = [W; C_t w_t]`` with ``C_t = X_t^T diag(w) X_t`` (centered when fitting
    intercepts), ``b_t = X_t^T diag(w) y_t`` and ``q_t = sum_i w_i y_ti^2``.

    With pooled intercepts (``precision``, see :mod:`skmtl._pooling`) the intercepts
    are minimised out exactly: beside the centred loss stands ``1/2 rbar^T M(delta)
    rbar`` of the mean residuals ``rbar_t = ybar_t - xbar_t^T w_t``, and ``Z`` has
    one more row, ``xbar_t^T w_t``.
    """

    exact_bregman = True

    def __init__(self, grams, b, q, x_mean, y_mean, center, precision=None):
        self.n_features = self.n_rows = b.shape[0]
        self.grams, self.b, self.q = grams, b, q
        self.x_mean, self.y_mean, self.center = x_mean, y_mean, center
        self.precision = precision if center else None
        #: each task's total weight in the data term (scaled with the tasks)
        self.totals = np.ones(b.shape[1])
        self._lipschitz = None

    @classmethod
    def from_data(cls, data: TaskData, fit_intercept=True, precision=None):
        """The statistics of task data (and its task weights)."""
        gram = cls(*_gram_statistics(data, fit_intercept), fit_intercept, precision)
        if data.task_weights is not None:
            gram.scale_tasks(data.task_weights)
        return gram

    def with_precision(self, precision):
        """The same statistics with the intercepts pooled at ``precision`` (None:
        free); the arrays are shared, not copied."""
        gram = GramDatafit(
            self.grams, self.b, self.q, self.x_mean, self.y_mean, self.center, precision
        )
        gram.totals = self.totals
        return gram

    def scale_tasks(self, factors):
        """Multiply task ``t``'s data term by ``factors[t]`` (in place); returns self."""
        self.grams = self.grams * factors[:, None, None]
        self.b = self.b * factors
        self.q = self.q * factors
        self.totals = self.totals * factors
        self._lipschitz = self._delta_cache = None
        return self

    def restrict(self, features):
        """The same statistics for a subset of the features (rows of ``W``)."""
        gram = GramDatafit(
            self.grams[:, features][:, :, features],
            self.b[features],
            self.q,
            self.x_mean[features],
            self.y_mean,
            self.center,
            self.precision,
        )
        gram.totals = self.totals
        return gram

    def _delta(self):
        """The profile weights of the pooled mean residuals, computed once (their
        inputs change only in :meth:`scale_tasks`)."""
        if getattr(self, "_delta_cache", None) is None:
            self._delta_cache = pooling.profile_weights(self.precision, self.totals)
        return self._delta_cache

    def held_grams(self):
        """The per-task Gram matrices of the data term with the shared intercept
        ``b_0`` of pooled intercepts held fixed: ``C_t + delta_t xbar_t xbar_t^T``
        (the pooled term ``1/2 sum_t delta_t (rbar_t - b_0)^2`` of the mean residuals
        is then separable over tasks); ``C_t`` for free intercepts."""
        if self.precision is None:
            return self.grams
        xbar = self.x_mean.T  # (T, d)
        delta = self._delta().reshape(-1)
        return self.grams + delta[:, None, None] * xbar[:, :, None] * xbar[:, None, :]

    def _cw(self, W, out=None):
        if self.grams.shape[0] == 1:
            return np.matmul(self.grams[0], W, out=out)
        CW = np.matmul(self.grams, W.T[:, :, None])[:, :, 0].T  # batched: beats einsum
        if out is None:
            return CW
        out[...] = CW
        return out

    def linear(self, W):
        d = W.shape[0]
        pooled = self.precision is not None
        z = np.empty((2 * d + pooled, W.shape[1]))
        z[:d] = W
        self._cw(W, out=z[d : 2 * d])
        if pooled:
            z[2 * d] = np.einsum("jt,jt->t", self.x_mean, W)
        return z

    def _pooled_residual(self, z):
        """``(rbar, M(delta) rbar)`` of the mean residuals (pooled intercepts)."""
        rbar = self.y_mean - z[2 * self.n_features]
        return rbar, pooling.apply_m(self._delta(), rbar)

    def value(self, z):
        d = self.n_features
        W, CW = z[:d], z[d : 2 * d]
        value = 0.5 * inner(W, CW) - inner(W, self.b) + 0.5 * self.q.sum()
        if self.precision is not None:
            rbar, m_rbar = self._pooled_residual(z)
            value += 0.5 * rbar @ m_rbar
        return value

    def gradient(self, z):
        d = self.n_features
        g = z[d : 2 * d] - self.b
        if self.precision is not None:
            g = g - self.x_mean * self._pooled_residual(z)[1]
        return g

    def bregman(self, z_new, z_old, value_old, grad, step):
        d = self.n_features
        dz = z_new - z_old
        excess = 0.5 * inner(dz[:d], dz[d : 2 * d])
        if self.precision is not None:
            excess += 0.5 * dz[2 * d] @ pooling.apply_m(self._delta(), dz[2 * d])
        return excess

    def dual_value(self, z, scale):
        d = self.n_features
        W, CW = z[:d], z[d : 2 * d]
        wb = np.einsum("jt,jt->t", W, self.b)
        rss = np.einsum("jt,jt->t", W, CW) - 2 * wb + self.q  # sum_i w_i r_i^2
        dual = np.sum(scale * (self.q - wb) - 0.5 * scale**2 * rss)
        if self.precision is not None:  # the same formula for the pooled mean residuals
            rbar, m_rbar = self._pooled_residual(z)
            dual += scale * m_rbar @ self.y_mean - 0.5 * scale**2 * rbar @ m_rbar
        return dual

    def gap_scale(self):
        return self.q.sum()

    def lipschitz(self):
        """Largest eigenvalue of the Gram matrices, computed once."""
        if getattr(self, "_lipschitz", None) is None:
            self._lipschitz = self._compute_lipschitz()
        return self._lipschitz

    def _compute_lipschitz(self):
        if self.precision is not None:  # the Hessian couples the tasks
            return _pooled_largest_eigenvalue(self.held_grams(), *self.shared_intercept_terms())
        if self.n_features <= 100:
            return float(np.linalg.eigvalsh(self.grams)[:, -1].max())
        if self.grams.shape[0] == 1:
            return largest_eigenvalue(lambda v: self.grams[0] @ v, (self.n_features,))
        return largest_eigenvalue(self._cw, (self.n_features, self.grams.shape[0]))

    def polish(self, C, z):
        return C, z

    def shared_intercept_terms(self):
        """With pooled intercepts, the low-rank part of the Hessian that minimising
        out the shared intercept leaves, ``- sum_k g_k u_k u_k^T``: the columns ``u``
        ``(K, d, T)`` (one per class, ``u_t = delta_t xbar_t`` on that class's tasks,
        zero on the others) and the coefficients ``g_k = 1 / sum_t delta_t`` over the
        class's tasks; None for free intercepts."""
        if self.precision is None:
            return None
        delta = self._delta()
        groups = np.atleast_2d(delta)  # (K, T / K), class-major
        totals = groups.sum(axis=1)
        gammas = np.divide(1.0, totals, out=np.zeros_like(totals), where=totals > 0)
        member = np.repeat(np.eye(len(groups)), groups.shape[1], axis=1)  # (K, T)
        cols = (self.x_mean * delta.reshape(-1))[None] * member[:, None, :]
        return cols, gammas

    def intercept(self, W):
        """The intercepts of ``W`` (d x T), or of a stack of them (P x d x T)."""
        if not self.center:
            return np.zeros(W.shape[:-2] + W.shape[-1:])
        rbar = self.y_mean - np.einsum("jt,...jt->...t", self.x_mean, W)
        if self.precision is None:
            return rbar
        return pooling.profiled_intercepts(self.precision, self.totals, rbar)


def _pooled_largest_eigenvalue(held, cols, gammas):
    """Largest eigenvalue of the Hessian of pooled intercepts' Gram statistics,
    ``blockdiag_t(H_t) - sum_k g_k u_k u_k^T`` with ``H_t`` the held Grams and the
    shared intercepts' terms ``(cols, gammas)``
    (:meth:`GramDatafit.shared_intercept_terms`; the classes own disjoint tasks),
    exactly, from the tasks' eigenvalues: a rank-one downdate moves the top
    eigenvalue ``l_1`` of ``blockdiag(H_t)`` down to the root in ``[l_2, l_1]`` of the
    secular equation ``1 = g sum_i c_i^2 / (l_i - lambda)`` (``c_i`` the components of
    ``u`` on the eigenvectors; Brent's method); it stays ``l_1`` when that eigenvalue
    is repeated or ``u`` has no component on it."""
    K = len(gammas)
    values, vectors = np.linalg.eigh(held)  # (T, d), (T, d, d)
    coords = np.einsum("tji,jt->ti", vectors, cols.sum(axis=0)) ** 2
    values, coords = values.reshape(K, -1), coords.reshape(K, -1)
    tops = []
    for eig, c, rho in zip(values, coords, gammas, strict=True):  # classes
        top = float(eig.max())
        tie = 1e-12 * max(top, np.finfo(float).tiny)
        at_top = eig >= top - tie
        if at_top.sum() > 1 or not c[at_top].sum() > 0 or not rho > 0:
            tops.append(top)
            continue
        below = float(eig[~at_top].max(initial=0.0))
        lo, hi = max(below, top - rho * float(c.sum()), 0.0) + tie, top - tie

        def secular(lam, eig=eig, c=c, rho=rho):
            return 1.0 - rho * float(np.sum(c / (eig - lam)))

        if lo >= hi or secular(hi) >= 0:  # the root is within round-off of an end
            tops.append(hi if lo < hi else top)
        elif secular(lo) <= 0:
            tops.append(lo)
        else:
            tops.append(brentq(secular, lo, hi, xtol=tie, rtol=4 * np.finfo(float).eps))
    return max(tops)


def _weighted_gram(X, w, mean, out=None):
    """``(X - 1 mean^T)^T diag(w) (X - 1 mean^T)`` for weights summing to one."""
    if sp.issparse(X):
        gram = np.asarray((X.T @ X.multiply(w[:, None])).todense())
        return np.subtract(gram, np.outer(mean, mean), out=out)
    A = X - mean
    A *= np.sqrt(w)[:, None]
    return np.matmul(A.T, A, out=out)  # one operand: BLAS syrk, half a general product


def _gram_statistics(data: TaskData, fit_intercept):
    d, T = data.n_features, data.n_tasks
    w = data.weights
    if fit_intercept:
        x_mean, y_mean = data.task_means()
    else:
        x_mean, y_mean = np.zeros((d, T)), np.zeros(T)
    X = data.X
    if data.shared:
        y = np.where(w > 0, data.y - y_mean, 0.0)
        if data.same_rows() and np.ptp(w[:, 0]) == 0 and not sp.issparse(X):
            # equal weights: scale the (d, d) product, not the rows
            centred = X - x_mean[:, 0]
            grams = np.matmul(centred.T, centred)[None] * w[0, 0]
        elif data.same_rows():
            grams = _weighted_gram(X, w[:, 0], x_mean[:, 0])[None]
        else:  # setup, not the hot path: one Gram per task
            grams = np.stack([_weighted_gram(X, w[:, t], x_mean[:, t]) for t in range(T)])
        b = rmatvec(data, w * y)
        b -= x_mean * (w * y).sum(axis=0)
        q = (w * y**2).sum(axis=0)
    else:
        y = data.y - data.expand(y_mean)
        grams = _stacked_grams(data, w, x_mean)
        b = rmatvec(data, w * y) - x_mean * data.task_sum(w * y)
        q = data.task_sum(w * y**2)
    return grams, b, q, x_mean, y_mean


#: most entries of the (rows, d, d) outer products summed into the per-task Gram
#: matrices, in all and per task: beyond either, one BLAS product per task, whose
#: call costs about 4 us (outer products against products by task, ms: 20 tasks of
#: 110 rows, 27 features 2.0 / 0.2; 139 of 110, 27: 42 / 1.4; 100 of 100, 8: 1.5 /
#: 0.5; 57 of 33, 5: 0.11 / 0.24; 1000 of 6, 6: 0.5 / 3.9, 1000 of 6, 12: 1.7 / 4.0;
#: 2000 of 4, 20: 11.9 / 8.9; the per-task loop on 1000 tasks was half of a
#: MeanRegularizedClassifierCV fit)
_OUTER_MAX_ENTRIES, _OUTER_ENTRIES_PER_TASK = 2**22, 1000


def _stacked_grams(data: TaskData, w, x_mean):
    """The per-task weighted centred Grams ``(T, d, d)`` of stacked rows.

    Few entries per task (small tasks, few features): the rows' outer products
    summed by task (by segments when the rows come task by task, else in one sparse
    product).
    Else one BLAS product (syrk) per task, on that task's rows only (a slice when
    the rows come task by task), so the temporaries stay the size of one task. (One
    batched product over the tasks padded to the longest was 5x slower for 139
    tasks of ~110 rows: the scatter into the padding dominates.)
    """
    X, T = data.X, data.n_tasks
    n, d = X.shape
    segments = data.task_segments()
    entries = n * d * d
    if not sp.issparse(X) and entries <= min(_OUTER_MAX_ENTRIES, _OUTER_ENTRIES_PER_TASK * T):
        centred = (X - x_mean.T[data.task_index]) * np.sqrt(w)[:, None]
        outer = np.einsum("ij,ik->ijk", centred, centred).reshape(n, d * d)
        if segments is not False:  # summed by segments: no sparse matrix to build
            return np.add.reduceat(outer, segments[0], axis=0).reshape(T, d, d)
        by_task = sp.csr_matrix((np.ones(n), (data.task_index, np.arange(n))), shape=(T, n))
        return (by_task @ outer).reshape(T, d, d)
    if segments is not False:
        starts, counts = segments
        rows_of = [slice(a, a + c) for a, c in zip(starts.tolist(), counts.tolist(), strict=True)]
    else:
        order = np.argsort(data.task_index, kind="stable")
        bounds = np.concatenate([[0], np.cumsum(np.bincount(data.task_index, minlength=T))])
        rows_of = [order[bounds[t] : bounds[t + 1]] for t in range(T)]
    grams = np.empty((T, d, d))
    for t, rows in enumerate(rows_of):
        _weighted_gram(X[rows], w[rows], x_mean[:, t], out=grams[t])
    return grams


def use_gram(data: TaskData, loss, precompute="auto", iterations=_GRAM_ITERATIONS, centred=True):
    """Whether to solve through Gram statistics: squared loss only; with
    ``"auto"``, when their set-up plus ``iterations`` iterations cost less than
    iterating on the rows, within a memory cap, or when the features are badly
    scaled (:func:`scale_spread`; ``centred``: the features are centred per task,
    as with free intercepts)."""
    if not loss.quadratic or precompute is False:
        return False
    if precompute is True:
        return True
    d, T = data.n_features, data.n_tasks
    nnz = data.X.nnz if sp.issparse(data.X) else data.X.size
    n_grams = 1 if data.same_rows() else T
    if n_grams * d * d > GRAM_MAX_ENTRIES:
        return False
    rows_cost = 2 * iterations * nnz * (T if data.shared else 1)
    setup = nnz * d // 2 * (T if data.shared and n_grams > 1 else 1)  # syrk: half a product
    gram_cost = setup + 2 * iterations * d * d * T
    if gram_cost < rows_cost:
        return True
    # badly scaled features: Gram statistics let coordinate descent and ADMM take
    # each feature's own step, where FISTA on the rows crawls at the largest one's.
    # Measured: 500 tasks of 3-20 rows, 20 unscaled columns (scales 1 to 1e4) and
    # 30 one-hot ones (spread 3e9), the group lasso at 0.001 alpha_max: FISTA on the
    # rows stopped at 1000 iterations (gap 0.7, tolerance 0.003) in 0.63 s, CD on the
    # Grams certified in 25 epochs, 0.12 s; GroupLassoRegressorCV() 40 s with 95 of
    # its 100 fold fits unconverged
    # so do task weights spread as widely (one task of 6000 rows next to 200 of 3,
    # 40 standardized features: the rows cost less, and FISTA on them stopped at
    # 1000 iterations; CD on the statistics certified in 30)
    if d > BADLY_SCALED_MAX_FEATURES:
        return False
    weights = data.task_weights
    positive = weights[weights > 0] if weights is not None else np.ones(1)
    if positive.max() >= BADLY_SCALED_SPREAD * positive.min():
        return True
    return scale_spread(data, centred) >= BADLY_SCALED_SPREAD


def weighted_squares(data: TaskData, w):
    """``sum_i w_ti x_ij^2`` for every feature and task ``(d, T)``: one weighted pass
    over the squares of ``X`` (without squaring it for a dense design that every
    task weighs alike)."""
    X = data.X
    if data.same_rows() and not sp.issparse(X):  # one weighted pass, no X * X
        second = np.einsum("ij,ij,i->j", X, X, w[:, 0])[:, None]
        return np.repeat(second, data.n_tasks, axis=1)
    squares = X.multiply(X).tocsr() if sp.issparse(X) else X * X
    return rmatvec(TaskData(squares, data.y, w, data.task_index, data.n_tasks), w)


def scale_spread(data: TaskData, centred=True):
    """The ratio of the largest to the smallest positive feature curvature ``max_t
    sum_i w_ti (x_ij - mean_tj)^2`` (one pass over the rows; without ``centred``,
    no intercepts or pooled ones, the means are kept): a lower bound of the
    curvature spread of the Gram statistics that chooses coordinate descent
    (:func:`~skmtl.solvers.cd.curvature_spread`, which divides the Hessian's largest
    eigenvalue instead)."""
    w = data.weights
    second = weighted_squares(data, w)
    if centred:
        x_mean, _ = data.task_means()
        moments = second - data.task_sum(w) * x_mean**2
        # a column constant within a task leaves the difference's round-off, not a
        # curvature (a column of ones read as a spread of 1e16)
        moments[moments <= 1e-10 * second] = 0.0
    else:
        moments = second
    curvatures = moments.max(axis=1)
    positive = curvatures[curvatures > 0]
    return float(positive.max() / positive.min()) if len(positive) else 1.0


class SplitDatafit:
    """The datafit of ``W = P + Q`` as a function of the stacked block ``[P; Q; b]``
    (dirty and robust models). Its Lipschitz constant is twice the
    inner one."""

    def __init__(self, inner):
        self.inner = inner
        self.exact_bregman = inner.exact_bregman
        self.n_features = 2 * inner.n_features
        self.n_rows = inner.n_rows + inner.n_features

    def merge(self, C):
        """``[P + Q; b]`` from ``[P; Q; b]``."""
        d = self.inner.n_features
        return np.vstack([C[:d] + C[d : 2 * d], C[2 * d :]])

    def linear(self, C):
        return self.inner.linear(self.merge(C))

    def value(self, z):
        return self.inner.value(z)

    def gradient(self, z):
        g = self.inner.gradient(z)
        d = self.inner.n_features
        return np.vstack([g[:d], g])

    def bregman(self, z_new, z_old, value_old, grad, step):
        d = self.inner.n_features  # grad is [g_W; g_W; g_b]: the inner one is grad[d:]
        return self.inner.bregman(z_new, z_old, value_old, grad[d:], self.merge(step))

    def dual_value(self, z, scale):
        return self.inner.dual_value(z, scale)

    def gap_scale(self):
        return self.inner.gap_scale()

    def lipschitz(self):
        return 2.0 * self.inner.lipschitz()

    def intercept_prox(self, b, step):
        return self.inner.intercept_prox(b, step)

    def intercept_value(self, b):
        return self.inner.intercept_value(b)

    def intercept_conjugate(self, u):
        return self.inner.intercept_conjugate(u)

    def intercepts_optimal(self, z, sums):
        return self.inner.intercepts_optimal(z, sums)

    def polish(self, C, z):
        merged, z = self.inner.polish(self.merge(C), z)
        C = C.copy()
        C[self.n_features :] = merged[self.inner.n_features :]
        return C, z
