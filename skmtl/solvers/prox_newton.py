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
(the support) with Newton steps on that support
(:func:`~skmtl.solvers.support_newton.cd_polished`), and
Huber's majorizing models turn to generalized Newton steps once the residuals'
pieces settle. Inner solves do not warn: the outer loop does, on the true gap.
"""

from __future__ import annotations

import itertools
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._datafit import GramDatafit, SplitDatafit
from .._linalg import inner
from .._tasks import TaskData
from ..losses import SquaredLoss
from ..penalties import NormPenalty, RowNormPenalty
from . import admm as _admm
from . import cd as _cd
from .closed_form import has_closed_form
from .composite import QuadraticSmoothing
from .fista import STATIONARY, certified_loop, duality_gap, fista, nonsmooth_value
from .select import admm_then_cd, fista_in_metric, fista_on_parts, iterative_solver
from .support_newton import cd_polished, cd_then_polished, support_weights

#: inner solves stop at this fraction of the smaller of the outer gap and the
#: quadratic model's own gap at the start (and, for the iterative solves of a
#: second-order model, of the last outer step's decrease)
_INNER_FRACTION = 0.03
#: an outer step that lowers the objective by less than _STALL times the gap makes
#: the next inner threshold _TIGHTEN times smaller, down to _MIN_FRACTION
_STALL, _TIGHTEN, _MIN_FRACTION = 1e-6, 0.1, 1e-4
#: a majorizer's (Huber's) models turn to the generalized second derivative, floored
#: at _SEMISMOOTH_FLOOR times the weights, once the set of samples where it is
#: positive (Huber: residuals within epsilon) changes on at most a _SETTLED fraction
#: of them between two iterates (GroupLasso, School-like data: 11 outer steps instead
#: of 20 or more, whose gaps shrink only linearly)
_SEMISMOOTH_FLOOR, _SETTLED = 1e-6, 0.01
#: the generalized Newton models are floored at a damping times the majorizer's
#: curvature (Levenberg-Marquardt): _DAMPING at first, _DAMP times more after a
#: step the line search cut below _CUT, _UNDAMP times less after a unit step (none
#: below _MIN_DAMPING). A round of the quantile loss's envelopes starts with few
#: samples on their quadratic pieces, whose near-singular models took steps that
#: the line search cut to 1e-6
_DAMPING, _DAMP, _UNDAMP, _CUT, _MIN_DAMPING = 0.01, 10.0, 0.1, 0.1, 1e-4
#: an inner solve runs at most this many iterations (epochs for CD): one solve could
#: stall and spend the whole budget, and the outer line search takes what it
#: reached (a step that lowers nothing turns a generalized Newton model back to the
#: majorizer's). CD with Newton steps too: on a Huber group lasso of 120 rows and 60
#: features (3 tasks, 10% outliers) one generalized Newton model took all 1000
#: iterations without a certificate; capped, the fit certified in 385. On the
#: quantile envelopes' near-singular models (sparse-group lasso, Exam, q 0.5,
#: alpha_max / 1000: 18000 iterations for one model, no certificate in 20000;
#: capped: certified in 5302; School-like trace norm, median, tol 1e-7: 3.5 -> 2.3
#: s; a cap of 50: 6.3 s, 100: 3.5 s, 1000: 3.7 s); on the first Huber model of the
#: dirty model on raw School-like columns (139 tasks, alpha_shared 0.002,
#: alpha_specific 0.0005: ADMM then CD spent all 1000 iterations on it and the fit
#: stopped at objective 923.15, the optimum being 918.11; capped: certified in 946;
#: a cap of 100 slowed the quantile trace norm by 1.6x)
_INNER_MAX = 200
#: no inner solve is asked for a gap below this fraction of the outer threshold
#: (its accuracy beyond that certifies nothing more; ADMM, asked for 3e-5 of it,
#: ran thousands of iterations for no better outer gap: the trace norm, squared
#: hinge, School-like data, tol 1e-8: 8036 iterations, 1342 with the floor)
_INNER_FLOOR = 1e-2
#: a FISTA inner solve of more iterations than this hands the later models to
#: CD with Newton steps on the support (L2,1, L1 and their weighted forms), exact
#: whatever their conditioning, or to ADMM (the others on Gram statistics): the
#: loss's curvature can condition them far worse than the features' scales did the
#: first (near-separable classes, BlockMCPClassifier, 100 rows and 10 features per
#: task: FISTA's solves grew from 20 to 290 iterations, the outer steps shrank, and
#: the fit stopped at a gap of 1.5e-2 after 1000 iterations; CD: 19 epochs in all).
#: Well-conditioned models stay with FISTA (Gaussian School-sized group lasso:
#: about 25 iterations a solve, 1.4x faster than CD there). Other penalties go to
#: ADMM (in each feature's metric for row norms): the trace norm, 4 tasks of 100
#: rows, alpha 0.001, tol 1e-8, 385 iterations in all against 1060 by FISTA alone.
#: (Split models, as the dirty one, take ADMM from the first model.)
_FISTA_PATIENCE = 100
#: a plain CD inner solve (no Newton steps on the support: the dirty model's row
#: norm on up to five features) of more epochs than this hands the later models to
#: ADMM, finished by CD (:func:`~skmtl.solvers.select.admm_then_cd`). Contraception
#: with standardized features (5 columns, 60 districts), DirtyClassifier at
#: alpha_shared 0.0135, ratio 29, pooling 4: CD crawled through 200 epochs a model
#: and stopped at a gap of 1.4 after 1000 (threshold 4e-3); handed over after 20,
#: certified in 321 iterations, 0.08 s. DirtyClassifierCV() there: 48 -> 30 s and
#: 16 ConvergenceWarnings -> none; on the raw columns 9.0 -> 8.5 s (a patience of
#: 50: 36 and 10.8 s). Not for a loss whose models merely bound its Hessian (the
#: multinomial one): three classes on Contraception's raw columns, where neither
#: certifies in 1000 iterations, ended at 31.874 against CD's 31.851 (optimum 31.839)
_CD_PATIENCE = 20
#: the share of the model's dual point that its move into the conjugate's domain
#: may change for it to be tried (see _little_moved)
_MOVED = 1e-3
#: the Newton steps on the support (cd_polished) stop once their decrease is below
#: this fraction of the inner threshold, not at round-off (School-like group lasso,
#: tol 1e-4: Huber 42 -> 22 ms, squared hinge 97 -> 69 ms). Not for a loss with
#: near-singular models (the quantile envelopes): rows on their way to zero need
#: the exact solve to drop out (a fit just above alpha_max kept a row of 1e-6)
_NEWTON_ATOL = 0.1
#: Armijo sufficient-decrease constant and the most halvings of the step
_ARMIJO, _MAX_HALVINGS = 1e-4, 30
#: the most doublings of an accepted unit step for a loss whose models merely bound
#: its Hessian (``newton_bound``: the multinomial loss, three classes on raw
#: School-like columns: the mean-regularized model at alpha 1e-4, beta 1 certified in
#: 400 iterations, 0.33 s, where 1000 left a gap of 0.19; the trace norm at alpha 0.05
#: in 981, where 1000 left 0.46; the group lasso 0.33 -> 0.21 s)
_MAX_DOUBLINGS = 6
#: the most that a second-order model (not a majorizer's) moves a row's prediction:
#: its curvature is floored at ``|f'(z)| / _REACH``. A row predicted confidently
#: wrong has a tiny curvature ``p (1 - p)`` beside a derivative near its weight,
#: and its model's minimum lies ``1 / p`` away: three classes on raw School-like
#: columns, 139 tasks, the group lasso at alpha 0.002 took a step of 7e10 that 30
#: halvings could not bring back, and then the same step again at every
#: iteration (no progress in 10000); with the floor it certified in 45
_REACH = 1e3
#: a step that lowers nothing (the objective at its round-off, the gap not yet
#: closed) makes the next inner threshold _STUCK times smaller, below the floors
#: above, until a step lowers the objective again: the same inner solve would
#: return the same step. Three classes on raw School-like columns, 139 tasks, the
#: trace norm at alpha 0.005: the objective settled at 64.1098785 after 1250
#: iterations, then 1750 more repeated one step at a gap of 3.3 (no certificate in
#: 3000); with it, certified in 1907
_STUCK = 0.01


def quadratic_model(full, z, semismooth=False, damping=0.0):
    """The loss's second-order model at predictions ``z``, as Gram statistics, and
    the loss's derivative ``g`` and the model's weights ``h`` there.

    ``sum_i h_i / 2 (z'_i - v_i)^2`` with ``h = f''(z)`` and ``v = z - f'(z) / h``:
    the loss's ``newton_curvature``, or with ``semismooth`` (for a majorizer) its
    generalized second derivative, floored at ``_SEMISMOOTH_FLOOR`` times the weight
    and at ``damping`` times the ``newton_curvature``; a second-order model's
    (not a majorizer's) at ``|f'(z)| / _REACH``.
    """
    data = full.data
    g = full.loss.derivative(full.y, full.w, z)
    if semismooth:
        floor = _SEMISMOOTH_FLOOR * full.w
        if damping:
            floor = np.maximum(floor, damping * full.loss.newton_curvature(full.y, full.w, z))
        h = np.maximum(full.loss.second_derivative(full.y, full.w, z), floor)
    else:
        h = full.loss.newton_curvature(full.y, full.w, z)
        if not full.loss.majorizer:  # no row's model reaches further than _REACH
            h = np.maximum(h, np.abs(g) / _REACH)
    h = np.maximum(h, 1e-12 * full.w)  # keep v finite for confident rows
    v = z - np.divide(g, h, out=np.zeros_like(g), where=h > 0)
    per_task = data.task_sum(h)  # also computes the task segments, shared below
    total = data.expand(per_task)
    weights = np.divide(h, total, out=np.zeros_like(h), where=total > 0)
    model = GramDatafit.from_data(
        TaskData(
            data.X,
            v,
            weights,
            data.task_index,
            data.n_tasks,
            _segment_cache=data._segment_cache,
            _rows_cache=data._rows_cache,
        ),
        full.fit_intercept,
        full.precision,
    )
    return model.scale_tasks(per_task), g, h


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
    admm_dual = None  # and ADMM's dual variable there
    floor = _INNER_FLOOR * tol * full.gap_scale()
    fraction, decrease = _INNER_FRACTION, np.inf
    stuck = 1.0  # the inner thresholds' factor after steps that lowered nothing
    # whether the models' gradients are the loss's near their expansion points (not a
    # majorizer's, until its models turn semismooth): then the inner solutions'
    # dual points are candidates for the outer gap
    second_order = not full.loss.majorizer
    # a quadratic penalty's inner problems are solved by the closed form
    exact = (
        method == "auto"
        and quadratic is None
        and not split
        and has_closed_form(penalty, SquaredLoss(), full.n_features, full.data.n_tasks)
    )
    # the Newton steps on the support minimise the model's own objective
    polish = not split and quadratic is None and support_weights(penalty, d) is not None
    # a majorizer's models (iteratively reweighted least squares) converge linearly:
    # once the samples' pieces of the loss settle, generalized Newton steps instead
    # (a loss whose models are near-singular, the quantile envelopes, takes the
    # generalized Newton models from the start, damped (_DAMPING), for a norm on each
    # row (inner solves by CD with Newton steps on the support, or by ADMM in the
    # rows' metric) and for a split model ``W = P + Q``: its majorizers converged
    # too slowly for the group lasso far below alpha_max, Exam, q = 0.9, alpha_max /
    # 1000: no certificate in 1000 iterations; undamped, School-like group lasso at
    # tol 1e-7 took 1.8 s, damped 0.44 s. Radon and Exam, default strengths, pooling
    # 0 and 4: the dirty, robust low-rank and sparse low-rank models 267-894
    # iterations where 8 of those 12 fits stopped at 1000 without a certificate (up
    # to 5800 times the tolerance); the L1/Linf and sparse-group lasso, alpha 0.1 to
    # 0.001, 1.3-29x fewer iterations on radon, Exam and School-like data. The other
    # penalties' ADMM keeps the majorizers: from the start, the trace norm's solves
    # on School-like data stalled; so do a quadratic plus a row norm, whose FISTA
    # solves of such models stopped 10 times farther from the optimum at max_iter)
    pattern = None
    semismooth = (
        full.loss.majorizer
        and full.loss.singular_models
        and quadratic is None
        and (split or isinstance(penalty, RowNormPenalty))
    )
    # those models are damped (see _DAMPING); the others turn semismooth once their
    # pieces settle, undamped (damped, the trace norm's ADMM solves of the quantile
    # envelopes' models stalled)
    damped = semismooth
    damping = _DAMPING if damped else 0.0
    # the inner method, chosen on the first model by the curvature spread of its
    # Gram (an eigendecomposition); FISTA hands the later models to CD with Newton
    # steps, or to ADMM, if they turn ill-conditioned (_FISTA_PATIENCE)
    run = None
    # alpha=0 leaves the model unpenalized, which no duality gap certifies: the steps
    # stop once one lowers the objective by round-off only
    unpenalized = isinstance(penalty, NormPenalty) and penalty.alpha == 0
    # models that bound the loss's curvature from above (a majorizer's, until they
    # turn semismooth; the multinomial loss's diagonal bound) take steps that fall
    # short: the line search tries longer ones
    bounding = full.loss.newton_bound or full.loss.majorizer

    def newton_step(C, z, gap, budget):
        nonlocal curvature, admm_dual, fraction, decrease, pattern, semismooth, run, damping
        nonlocal stuck
        # an inner solve certified by a better dual point than the outer gap's could
        # stop before it moves the primal: when the last step barely lowered the
        # objective, ask the next inner solve for more
        if (second_order or semismooth) and decrease < _STALL * gap:
            fraction = max(fraction * _TIGHTEN, _MIN_FRACTION)
        z_loss = z if quadratic is None else z.inner
        if full.loss.majorizer and not semismooth:
            pieces = full.loss.second_derivative(full.y, full.w, z_loss) > 0
            semismooth = pattern is not None and np.mean(pieces != pattern) <= _SETTLED
            pattern = pieces
        model, slope, weights = quadratic_model(full, z_loss, semismooth, damping)
        inner_datafit = SplitDatafit(model) if split else model
        if quadratic is not None:
            inner_datafit = QuadraticSmoothing(model, quadratic)
        start = C[:d]
        if exact:  # the closed form: its threshold only decides whether to refine it
            model_gap = gap
        else:
            model_gap = duality_gap(inner_datafit, penalty, start, inner_datafit.linear(start))[0]
        if run is None:
            run = iterative_solver(method, inner_datafit, penalty)
            if run in (_cd.cd, cd_then_polished) and polish:
                run = cd_polished
            if run in (fista, fista_on_parts) and method == "auto" and full.loss.singular_models:
                run = _for_ill_conditioned(run, inner_datafit, penalty, polish, split)
        # an iterative inner solve (ADMM, FISTA) of a second-order model also stops
        # at _INNER_FRACTION of the last step's decrease: the outer gap, far above the
        # distance to the optimum until the gradient is accurate on the large-scale
        # columns, left those solves loose and the steps short (the trace norm,
        # School-like data: Poisson 15 outer steps, 5 with it; the squared hinge 22,
        # 12). Not for the closed form nor CD with Newton steps (exact anyway:
        # tighter, CD ran more epochs), nor a majorizer's models until they turn to
        # generalized Newton steps (then they are second-order: the trace norm, Huber,
        # School-like data, alpha 0.05: 22 outer steps of 5 ADMM iterations that each
        # lowered the objective by 7e-6 at a stuck gap, 0.19 s; with it 7, 0.10 s),
        # and not for the near-singular ones (the quantile envelopes: the trace norm at
        # tol 1e-7 then stalled)
        iterative = not exact and run is not cd_polished
        generalized = semismooth and not full.loss.singular_models
        accurate = (second_order or generalized) and iterative
        progress = decrease if accurate and decrease > 0 else np.inf
        threshold = max(fraction * min(gap, model_gap, progress), floor) * stuck
        options = {}
        if run in (_admm.admm, admm_then_cd):
            # from the last solve's rho; the dual point of its data-term step
            # certifies the model's solution early, but only a second-order model's
            # gradient there is the loss's (a majorizer's, as Huber's, is not: the
            # outer gap would not follow)
            options = dict(rho=curvature, dual=admm_dual, dual_candidate=second_order or semismooth)
        elif run is cd_polished and not full.loss.singular_models:
            options = dict(newton_atol=_NEWTON_ATOL * threshold)
        inner_budget = min(budget, _INNER_MAX)  # (see _INNER_MAX)
        # an inner solve may stop short of its threshold (the outer budget spent):
        # the outer gap certifies the result, and the outer loop warns if it must
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            inner = run(
                inner_datafit,
                penalty,
                start,
                max_iter=inner_budget,
                threshold=threshold,
                lipschitz=curvature,
                **options,
            )
        curvature, admm_dual = inner.lipschitz, inner.dual
        first_order = run in (fista, fista_on_parts, fista_in_metric)
        patience = _FISTA_PATIENCE if first_order else _CD_PATIENCE
        crawls = first_order or (run is _cd.cd and not full.loss.newton_bound)
        if crawls and inner.n_iter > patience and method == "auto":
            # the later models are ill-conditioned (see _FISTA_PATIENCE, _CD_PATIENCE)
            instead = _for_ill_conditioned(run, inner_datafit, penalty, polish, split)
            if instead is not run and instead is not cd_polished:
                curvature = None  # no start for ADMM's rho (FISTA's Lipschitz constant)
            run = instead
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
        C_new, decrease, dz, step, value = _line_search(
            outer, penalty, C, z, target - C, longer=bounding and not semismooth
        )
        stuck = max(stuck * _STUCK, 1e-8) if decrease <= 0 else 1.0
        parts = 2 if split else 1
        C_centered, lower = _centered(full.loss, outer, penalty, C_new, value, parts)
        if C_centered is not C_new:  # (ADMM's dual variable was the other point's)
            C_new, admm_dual, decrease = C_centered, None, decrease + value - lower
        if damped:  # Levenberg-Marquardt: damp the models while they overshoot
            if step == 1.0:
                damping = damping * _UNDAMP if damping * _UNDAMP >= _MIN_DAMPING else 0.0
            elif step < _CUT:
                damping = min(max(damping * _DAMP, _MIN_DAMPING), 1.0)
        if semismooth and decrease <= 0:  # no progress: back to the majorizer's models
            pattern, semismooth = None, False
        if unpenalized and decrease <= 16 * np.finfo(float).eps * abs(value):
            return C_new, inner.n_iter, STATIONARY  # (the loop ends)
        candidates = [] if candidate is None else [candidate]
        if (second_order or semismooth) and quadratic is None:
            # the model's own gradient at the inner solution, g + h (z' - z): near the
            # penalty's subdifferential to the inner solve's accuracy, while the
            # loss's gradient there is off by the model's error. As the loss's
            # derivative at some predictions (moved into its conjugate's domain),
            # a dual point whose outer gap falls with the suboptimality, not its
            # square root (DirtyClassifier, School-like data, tol 1e-6: certified
            # at 2.0e-5 after 6 Newton steps, where the loss's gradient gave
            # 4.8e-3 and needed a 7th). It replaces the loss's gradient at the
            # same block (never the better one on the School-like benchmark)
            if candidate is None:  # the target: its predictions are the line search's
                block, dz_block = target, dz
            else:
                block, dz_block = candidate, outer.linear(candidate) - z_loss
            theta = slope + weights * dz_block
            z_dual = full.loss.predictions_for(full.y, full.w, theta)
            if z_dual is not None and _little_moved(full, theta, z_dual):
                candidates = [(block, z_dual)]
        return C_new, inner.n_iter, candidates

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


def _for_ill_conditioned(run, model, penalty, polish, split):
    """The inner method for ill-conditioned models: CD with Newton steps on the
    support (``polish``), else ADMM (finished by CD where CD serves), else ``run``."""
    if polish:
        return cd_polished
    if _admm.serves(model, penalty):
        # (not CD on a stacked [P; Q]: its parts trade off along a flat direction)
        cd_serves = not split and _cd.serves(model, penalty)
        return admm_then_cd if cd_serves else _admm.admm
    return run


def _little_moved(full, theta, z_dual):
    """Whether moving the model's gradient ``theta`` into the loss's conjugate domain
    (``predictions_for``) left it nearly whole: moved by at most ``_MOVED`` of its
    mass. Far from the optimum the model's linear extrapolation leaves the domain on
    many rows (the well-conditioned task-relation benchmark's first Newton steps:
    a third to a half of the rows), the moved point's intercepts need a costly
    polish, and its gap certifies nothing; tried at every step it cost 1.13-1.27x
    the time of those fits, for the same iterations."""
    moved = np.abs(full.loss.derivative(full.y, full.w, z_dual) - theta).sum()
    return moved <= _MOVED * np.abs(theta).sum()


def _centered(loss, full, penalty, C, value, n_parts=1):
    """``C`` (of objective ``value``) moved by the best of the loss's
    :meth:`~skmtl.losses.Loss.centered` points (the multinomial loss's common shifts
    of a task's class models, which it does not see, but the models' diagonal
    curvature does) where that lowers the objective, and the objective there; each
    of ``n_parts`` stacked parts (``[P; Q]``) by its own. (The group lasso,
    School-like data, three classes, raw features: 42 outer steps with it, 34 with
    longer steps, thousands without.)"""
    d = full.n_features
    rows = d // n_parts
    options = [loss.centered(C[i * rows : (i + 1) * rows]) for i in range(n_parts)]
    if options[0] is None:
        return C, value
    best, lowest = C, value
    for choice in itertools.product(*options):
        moved = C.copy()
        moved[:d] = np.concatenate(choice)
        moved_value = full.value(full.linear(moved)) + nonsmooth_value(full, penalty, moved)
        if moved_value < lowest:
            best, lowest = moved, moved_value
    return best, lowest


def _line_search(full, penalty, C, z, direction, longer=False):
    """Armijo backtracking from the unit step: the new point, the objective's
    decrease, the direction's predictions ``dz``, the step taken and the objective
    at the new point. With
    ``longer``, an accepted unit step is doubled while that lowers the objective
    further, up to ``_MAX_DOUBLINGS`` times (models that bound the Hessian from
    above: their steps fall short where the bound is loose)."""
    dz = full.linear(direction)
    penalty_now = nonsmooth_value(full, penalty, C)
    primal = full.value(z) + penalty_now
    decrease = (
        inner(full.gradient(z), direction)
        + nonsmooth_value(full, penalty, C + direction)
        - penalty_now
    )
    step = 1.0
    for _ in range(_MAX_HALVINGS):
        trial = C + step * direction
        value = full.value(z + step * dz) + nonsmooth_value(full, penalty, trial)
        if value <= primal + _ARMIJO * step * decrease:
            break
        step *= 0.5
    else:
        return C, 0.0, dz, 0.0, primal
    for _ in range(_MAX_DOUBLINGS if longer and step == 1.0 else 0):
        longer_trial = C + 2 * step * direction
        longer_value = full.value(z + 2 * step * dz) + nonsmooth_value(full, penalty, longer_trial)
        if not longer_value < value:
            break
        trial, value, step = longer_trial, longer_value, 2 * step
    return trial, primal - value, dz, step, value
