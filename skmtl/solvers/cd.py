"""Block coordinate descent over features on per-task Gram statistics.

For a penalty that is a sum over the rows of ``W`` (:class:`~skmtl.penalties.
RowNormPenalty`: L1, L2,1, sparse-group, L1/L-infinity) and the squared loss given by
:class:`~skmtl._datafit.GramDatafit`, each block is one feature's row ``W_j``
across all tasks. The data term restricted to that row is a quadratic with the
diagonal curvature ``C_t[j, j]`` (one per task). A penalty with ``diagonal_prox``
(L2,1 and L1, and the dirty model's row norm :class:`~skmtl.penalties.DirtyRowNorm`)
minimises that model exactly (``prox_diagonal``); other penalties take a proximal
step with the row's Lipschitz constant ``L_j = max_t C_t[j, j]``, using their exact
row-wise prox. Each block's step follows its own feature's scale, so the iteration
count does not grow with the spread of the feature scales (unlike FISTA's single
step ``1 / max_j L_j``), and an epoch costs ``T d^2``. The exact update also follows
each task's own curvature: with many tasks of a few samples and free intercepts
these spread over orders of magnitude, and the step ``1 / L_j`` moved the least
curved tasks' entries by that much less (on 400 such tasks: 90 epochs to a gap of
1e-10 against over 5000).

Every ``_ANDERSON`` epochs the last iterates are extrapolated (Anderson
acceleration, as in skglm; kept only if it lowers the objective). The duality gap
at the primal iterate stops the epochs, as in FISTA.

A split model ``W = P + Q`` with two row-separable penalties can also be solved over
the ``2 d`` rows of ``[P; Q]`` (the rows ``P_j`` and ``Q_j`` move the gradient of the
same feature ``j``); ``solver="auto"`` and ``"cd"`` solve the dirty model on ``W``
instead, where ``P_j`` and ``Q_j`` do not trade off along a flat direction.

The loop over the features of an epoch is in Python (``d`` small-vector
operations each, one row prox each): an epoch costs several FISTA iterations (whose
prox is one vectorised call), up to about 30 for the dirty model's row norm. CD pays
off where FISTA's single step is much shorter than the blocks' own steps, that is
on badly scaled features: :func:`use_cd` (the ``solver="auto"`` rule) takes CD
when the curvature spread is at least ``MIN_SPREAD`` (:func:`spread_reaches`), on at most
``MAX_FEATURES`` features, and for L2,1 and L1 on few features (``FEW_FEATURES``),
where an epoch is a handful of row updates.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._datafit import BADLY_SCALED_MAX_FEATURES, BADLY_SCALED_SPREAD, SplitDatafit
from ..penalties import L1, L21, WeightedL1, WeightedL21
from .fista import SolverResult, duality_gap, warn_not_converged

#: CD is chosen (solver="auto") up to this many features
MAX_FEATURES = BADLY_SCALED_MAX_FEATURES
#: and where the curvature spread (:func:`spread_reaches`) is at least this: FISTA
#: below. Measured (issue 18: 139 tasks, 27 Gaussian features rescaled to a spread,
#: one run each): at spreads 3-14 L2,1 even, L1/Linf FISTA 2-5x faster, the dirty
#: model FISTA 15-25x; at 40, L2,1 CD 1.3x, L1/Linf FISTA 2x, dirty FISTA 10x; at
#: 115, L2,1 CD 1.9x, L1/Linf even, dirty CD 1.15x; at 1000, CD 1.1-4x faster (3x on
#: the School-like data, spread 2e5). One threshold for all: L2,1 alone would
#: switch nearer 30 (Gram statistics are taken over rows from that spread on:
#: :func:`~skmtl._datafit.use_gram`)
MIN_SPREAD = BADLY_SCALED_SPREAD
#: and, for L2,1 and L1 (exact row updates, each a few small-vector operations),
#: on at most this many features whatever the spread. Measured (single fits, tol
#: 1e-6, 0.2 and 0.02 alpha_max): Gaussian features, 20 or 139 tasks of 20-249 rows,
#: CD took 0.49-0.89 of FISTA's time on 1 to 5 features, 0.71-1.21 on 8, 0.70-1.78
#: on 12 and 20; radon, Exam and MathAchieve (1, 4 and 3 features, spreads 1 to 12,
#: free or pooled intercepts, 0.1 to 0.001 alpha_max) 0.28-0.69. Their weighted
#: forms (the non-convex models' later stages) too: ``CappedL1ClassifierCV``, 3 tasks
#: of 24 rows, 4 Gaussian features, one pooling, 1.76 s with FISTA's stages, 1.19 s
FEW_FEATURES = 5
_FEW_FEATURE_PENALTIES = (L21, L1, WeightedL21, WeightedL1)
#: a stall (an epoch that moves nothing) at a (finite) gap above this fraction of
#: the objective or of the targets' unit (and above the threshold) is no round-off:
#: it warns. (Row proxes that miss the penalty stalled at 0.8 of the objective;
#: exact fits of tiny objectives at tight tolerances at 1e-7 of the unit)
_STALL_ROUND_OFF = 1e-3
#: epochs between duality gaps, and between Anderson extrapolations
_GAP_FREQ = 5
_ANDERSON = 5


def _parts(datafit, penalty):
    """``(gram, row penalties)``: one penalty, or the two of a split model ``W = P +
    Q`` (:class:`~skmtl._datafit.SplitDatafit`) whose blocks are the rows of ``P``
    and of ``Q``, both moving the gradient of the same feature."""
    if isinstance(datafit, SplitDatafit) and penalty.split:
        return datafit.inner, [penalty.first, penalty.second]
    return datafit, [penalty]


def serves(datafit, penalty):
    """Whether :func:`cd` can solve this problem: row-separable penalties (also the
    two of a split model) on Gram statistics."""
    gram, penalties = _parts(datafit, penalty)
    return all(p.row_separable for p in penalties) and hasattr(gram, "grams")


def _held_diagonals(gram):
    """The diagonals ``C_t[j, j]`` (tasks x features) of the Grams with a shared
    intercept held (:meth:`~skmtl._datafit.GramDatafit.held_grams`)."""
    return np.diagonal(gram.held_grams(), axis1=1, axis2=2)


def feature_curvatures(gram):
    """Each feature's own curvature ``L_j = max_t C_t[j, j]``."""
    return _held_diagonals(gram).max(axis=0)


def _over_smallest(top, curvatures, floor=0.0):
    """``top`` over the smallest of ``curvatures`` above ``floor``, at least 1 (1
    when none is)."""
    positive = curvatures[curvatures > floor]
    return max(top / float(positive.min()), 1.0) if len(positive) else 1.0


def curvature_spread(datafit):
    """``L / min_j L_j``: FISTA's Lipschitz constant ``L`` (the largest eigenvalue of
    the data term's Hessian) over the smallest of the blocks' own ones, ``L_j =
    max_t C_t[j, j]`` (features of zero curvature left out), at least 1. FISTA moves
    the least curved feature's row by steps this many times shorter than CD does: a
    large spread comes from features on very different scales (raw tabular data),
    not from correlations (which raise ``L`` by at most ``d`` times)."""
    return _over_smallest(float(datafit.lipschitz()), feature_curvatures(datafit))


#: :func:`intercepts_outscaled`'s bounds: free intercepts (fitted beside centred
#: features) against the features' centred curvatures, a scale 100 times the
#: intercepts' (x500: FISTA took 18840 iterations where proximal Newton took 7;
#: not 100, a scale of 10: the trace norm's multinomial models, 50 centred
#: features of sd 11, then went to proximal Newton, which stopped above FISTA's
#: optimum after 6000 iterations where FISTA certified in 4640); pooled
#: intercepts (a row beside uncentred features) against the uncentred ones, 100
#: (features of sd 1 and mean 10 to 80: FISTA stopped 2-12% above the optimum
#: after 1000 iterations; proximal Newton certified in 8 to 311)
INTERCEPT_SPREAD, POOLED_INTERCEPT_SPREAD = 1e4, 100.0


def intercepts_outscaled(gram, pooled):
    """Whether the features' curvatures dwarf the intercepts': FISTA's one step, set
    by the most curved feature of any task, then barely moves the least curved
    intercept, whatever the spread among the features (all on one large scale).
    The features' largest curvature against the smallest task weight ``tau_t``
    (``gram.totals``: each task's intercept curvature, its weights summing to one
    before the task weights), times ``INTERCEPT_SPREAD``; with ``pooled``
    intercepts, beside uncentred features, their uncentred curvatures ``C_t[j, j] +
    tau_t xbar_tj^2``, times ``POOLED_INTERCEPT_SPREAD``."""
    tau = gram.totals
    if not np.any(tau > 0):
        return False
    curvatures = np.diagonal(gram.grams, axis1=1, axis2=2)
    bound = INTERCEPT_SPREAD
    if pooled:
        curvatures = curvatures + tau[:, None] * gram.x_mean.T**2
        bound = POOLED_INTERCEPT_SPREAD
    return bool(curvatures.max(initial=0.0) >= bound * tau[tau > 0].min())


def spread_reaches(datafit, bound=None, tasks=True):
    """Whether the curvature spread is at least ``bound`` (default ``MIN_SPREAD``):
    :func:`curvature_spread`, or with ``tasks`` the larger of it and ``L / min_t
    L_t``, the Lipschitz constant over the smallest of the tasks' own largest
    curvatures ``L_t = max_j C_t[j, j]`` (a round-off curvature left out: a task
    whose rows repeat one row).

    The tasks' spread is how much shorter FISTA's one step for all tasks is than a
    task's own: 300 tasks of 3 rows and one of 20000, 6 standardized features, the
    group lasso and the trace norm stopped at 1000 FISTA iterations 50-100 times
    above the tolerance (certified in 2460 and 3000); CD certified in 25 epochs,
    ADMM in 29 iterations. On Exam (65 schools of 2-198 pupils) the trace norm's CV
    path took 0.16 s by FISTA, 0.11 by ADMM.

    From the largest diagonal entry of the Grams first, a lower bound of ``L``: on
    badly scaled features it already decides, without the eigenvalues (139 Grams
    27 x 27: 2.6 ms of eigvalsh; a Huber group lasso's fit on the School-like
    benchmark took the same time within noise, 42 ms)."""
    bound = MIN_SPREAD if bound is None else bound
    diagonals = _held_diagonals(datafit)
    features, task_tops = diagonals.max(axis=0), diagonals.max(axis=1)

    def reaches(top):
        value = _over_smallest(top, features)
        if tasks:
            value = max(value, _over_smallest(top, task_tops, 1e-10 * task_tops.max(initial=0.0)))
        return value >= bound

    # (of the Grams without the pooled term: minimising out the shared intercept
    # leaves a positive semidefinite remainder, so L is at least each of them; not
    # of the held Grams, whose diagonals can exceed L)
    lower = float(np.diagonal(datafit.grams, axis1=1, axis2=2).max(initial=0.0))
    return reaches(lower) or reaches(float(datafit.lipschitz()))


def use_cd(datafit, penalty):
    """The ``solver="auto"`` rule: CD where it serves (not on the stacked ``[P; Q]``
    of a split model), on at most ``MAX_FEATURES`` features whose curvature spread
    (of the features' or the tasks' curvatures, :func:`spread_reaches`) is at least
    ``MIN_SPREAD``, and for
    L2,1, L1 and their weighted forms on at most ``FEW_FEATURES`` features; FISTA
    otherwise.

    Deterministic (a function of the Gram statistics alone)."""
    # not the dirty model on [P; Q]: its rows P_j and Q_j trade off along a flat
    # direction (the dirty model comes as its row norm on W, DirtyRowNorm). On
    # well-scaled features FISTA's step is close to the blocks' own, and its
    # vectorised iteration is cheaper than an epoch of d row updates in Python
    few = datafit.n_features <= FEW_FEATURES and type(penalty) in _FEW_FEATURE_PENALTIES
    return (
        serves(datafit, penalty)
        and not isinstance(datafit, SplitDatafit)
        and datafit.n_features <= MAX_FEATURES
        and (few or spread_reaches(datafit))
    )


def _row_proxes(penalty, d):
    """``prox(v, step)`` of each of the ``d`` rows (1-D), with fast paths for L2,1 and
    L1 (the penalty's own 2-D prox costs several times more on a single row); other
    penalties through their restriction to the row (:meth:`RowNormPenalty.restrict`)."""
    return [_row_prox(penalty.restrict(np.array([j]))) for j in range(d)]


def _row_prox(penalty):
    alpha = penalty.alpha
    if type(penalty) is L21:

        def prox(v, step):
            norm = math.sqrt(v @ v)
            if norm <= step * alpha:
                return None  # the zero row
            return v * (1.0 - step * alpha / norm)

        return prox
    if type(penalty) is L1:
        return lambda v, step: _soft_threshold_row(v, step * alpha)

    def prox(v, step):
        out = penalty.prox(v[None], step)[0]
        return out if out.any() else None

    return prox


def _soft_threshold_row(v, threshold):
    """One row soft-thresholded (``threshold`` a scalar or one per task); None for
    the zero row."""
    out = np.abs(v) - threshold
    if out.max() <= 0:
        return None
    np.maximum(out, 0.0, out=out)
    return np.copysign(out, v, out=out)


def _diagonal_prox(penalty, steps):
    """``prox(v, steps)`` of one row with a step per task (the inverse curvatures
    ``steps``, fixed for the solve), with fast paths for L2,1 and L1."""
    if type(penalty) is L21:
        return _l21_diagonal_prox(penalty.alpha, 1.0 / steps)
    if type(penalty) is L1:
        thresholds = penalty.alpha * steps
        return lambda v, _: _soft_threshold_row(v, thresholds)

    def prox(v, steps):
        out = penalty.prox_diagonal(v[None], 1.0 / steps)[0]
        return out if out.any() else None

    return prox


def _l21_diagonal_prox(alpha, c):
    """One row's ``argmin_w sum_t c_t (w_t - v_t)^2 / 2 + alpha ||w||``: Newton on
    the ``mu`` of :func:`~skmtl.penalties.norms.diagonal_block_soft_threshold`, from
    the previous update's root where that lies right of the new one (the epochs
    change ``v`` little: one or two steps), else from the bound ``alpha c_max /
    (||c v|| - alpha)``."""
    c_max = float(c.max())
    last = [0.0]

    def prox(v, _):
        a = c * v
        norm = math.sqrt(a @ a)
        if norm <= alpha:
            return None
        if alpha == 0:  # an unpenalized row (alpha=0): the minimiser is v
            return np.array(v, dtype=float)
        bound = alpha * c_max / (norm - alpha)
        mu = last[0] if 0 < last[0] < bound else bound
        for _ in range(100):
            denominator = c + mu
            p = a / denominator
            squares = p @ p
            size = math.sqrt(squares)
            phi = 1.0 / size - mu / alpha
            if abs(phi) <= 1e-14 * mu / alpha:
                break  # the root, to round-off
            if phi > 0:  # left of the root: the previous root lay left of this one
                if mu == bound:
                    break  # (round-off at the bound, the root for equal c)
                mu = bound
                continue
            step = phi / ((p @ (p / denominator)) / (size * squares) - 1.0 / alpha)
            mu -= step
        last[0] = mu
        return a / (c + mu)

    return prox


def anderson(history):
    """The Anderson extrapolation of the iterates in ``history`` (arrays of one
    shape): the affine combination of ``history[1:]`` whose combination of the
    differences ``history[i + 1] - history[i]`` is the smallest; None when that
    system is singular. Used by CD and ADMM."""
    V = np.stack([h.ravel() for h in history])
    D = np.diff(V, axis=0)
    M = D @ D.T
    try:
        c = np.linalg.solve(M + 1e-12 * np.trace(M) * np.eye(len(M)), np.ones(len(M)))
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(c)) or c.sum() == 0:
        return None
    return ((c / c.sum()) @ V[1:]).reshape(history[0].shape)


def cd(datafit, penalty, W0, *, max_iter=1000, tol=1e-4, threshold=None, verbose=0, **_):
    """Minimise ``datafit(W) + penalty(W)`` from ``W0`` by block coordinate descent.

    Stops when the duality gap falls below ``tol * gram.gap_scale()`` (or
    ``threshold``), checked every few epochs, or after ``max_iter`` epochs (with a
    :class:`~sklearn.exceptions.ConvergenceWarning`), or when an epoch no longer
    moves ``W``. ``n_iter`` counts epochs.
    """
    if not serves(datafit, penalty):
        rows = all(p.row_separable for p in _parts(datafit, penalty)[1])
        got = "the data term on the rows, not Gram statistics" if rows else type(penalty).__name__
        raise ValueError(
            "solver='cd' needs Gram statistics (the squared loss, or another loss with "
            "newton=True through its proximal Newton models on up to 100 features; "
            "not with precompute=False) and a row-separable penalty (L1, L2,1, "
            f"sparse-group, L1/Linf); got {got}. Use solver='fista'."
        )
    gram, penalties = _parts(datafit, penalty)
    if threshold is None:
        threshold = tol * gram.gap_scale()
    d, k = gram.n_features, len(penalties)
    W = np.array(W0[: k * d], dtype=float)
    # Pooled intercepts: the shared intercept b_0 is a block of its own, set to its
    # minimiser at each epoch's start; held, the pooled term is separable over tasks
    grams = gram.held_grams()
    pooled = gram.precision is not None
    # columns[j] = [C_t[k, j]]_{k, t}: how row j's change moves the gradient
    columns = np.ascontiguousarray(np.transpose(grams, (2, 1, 0)))
    diag = np.ascontiguousarray(np.diagonal(grams, axis1=1, axis2=2).T)  # (d, T)
    lips = diag.max(axis=1)
    active = np.flatnonzero(lips > 0)  # a constant feature stays where it is
    steps = np.zeros(d)
    steps[active] = 1.0 / lips[active]
    W[np.tile(lips <= 0, k)] = 0.0
    G = gram.gradient(datafit.linear(W))  # in W = sum of blocks, kept up to date
    history = [W.copy()]
    gap, primal = np.inf, np.nan
    n_iter, stalled = 0, False
    if len(penalties) == 1 and getattr(penalty, "diagonal_prox", False):
        # each task's own curvature C_t[j, j] (a zero one floored: still a majorant):
        # the exact minimiser of the row's model, not a step of 1 / max_t C_t[j, j]
        steps = np.zeros_like(diag)  # (d, T): a row each; a constant feature has none
        steps[active] = 1.0 / np.maximum(diag[active], 1e-10 * lips[active, None])
        proxes = [[_diagonal_prox(penalty, steps[j]) if lips[j] > 0 else None for j in range(d)]]
    else:
        proxes = [_row_proxes(p, d) for p in penalties]
    nonzero = np.abs(W).sum(axis=1) > 0
    # (row of the block, feature, step, prox): the rows of P then those of Q
    blocks = [
        (i * d + j, j, steps[j], row_proxes[j])
        for j in active.tolist()
        for i, row_proxes in enumerate(proxes)
    ]
    while n_iter < max_iter:
        n_iter += 1
        if pooled and n_iter > 1:  # b_0 to its minimiser: the profiled gradient
            G = gram.gradient(datafit.linear(W))
        moved = 0.0
        for r, j, step, prox in blocks:
            old = W[r]
            new = prox(old - step * G[j], step)
            if new is None:
                if not nonzero[r]:
                    continue  # zero, and stays zero
                delta = -old
                nonzero[r] = False
            else:
                delta = new - old
                nonzero[r] = True
            G += columns[j] * delta
            W[r] = new if new is not None else 0.0
            moved = max(moved, float(delta @ delta))
        history.append(W.copy())
        if len(history) > _ANDERSON:
            extrapolated = anderson(history)
            history = [W.copy()]
            if extrapolated is not None:
                z_old, z_new = datafit.linear(W), datafit.linear(extrapolated)
                value_new = datafit.value(z_new) + penalty.value(extrapolated)
                if value_new < datafit.value(z_old) + penalty.value(W):
                    W = extrapolated
                    G = gram.gradient(z_new)
                    nonzero = np.abs(W).sum(axis=1) > 0
                    history = [W.copy()]
        stalled = math.sqrt(moved) <= 1e-15 * np.max(np.abs(W), initial=0.0)
        if n_iter % _GAP_FREQ == 0 or n_iter == max_iter or stalled:
            gap, primal, _, _ = duality_gap(datafit, penalty, W, datafit.linear(W))
            if verbose:
                print(f"epoch {n_iter:5d}  objective {primal:.10e}  gap {gap:.3e}")
            if (gap <= threshold and threshold > 0) or stalled:
                break
    if n_iter == 0:
        gap, primal, _, _ = duality_gap(datafit, penalty, W, datafit.linear(W))
    if gap > threshold and not stalled:
        warn_not_converged(gap, n_iter, threshold, tol, method="Coordinate descent")
    elif (
        stalled
        and np.isfinite(gap)
        and getattr(penalty, "alpha", None) != 0  # (an unpenalized model: no certificate)
        and gap > max(threshold, _STALL_ROUND_OFF * max(abs(primal), gram.gap_scale()))
    ):
        # not the gap's round-off: the row proxes do not minimise the penalty's
        # value (a row penalty whose rows differ must give restrict(rows))
        warnings.warn(
            f"Coordinate descent stopped moving at a duality gap of {gap:.3e}, above "
            f"the tolerance {threshold:.3e}. Either the strengths are too small for a "
            "certificate at the scale of X and y (the gradient that the optimum "
            "balances against them is below round-off: raise them, or scale the "
            "data), or, for a penalty of your own, its row proxes do not match its "
            "value and conjugate (a row penalty whose rows differ must implement "
            "restrict(rows), the penalty on those rows only).",
            ConvergenceWarning,
            stacklevel=4,
        )
    return SolverResult(W, n_iter, float(gap), float(primal), float(lips.max(initial=0.0)))
