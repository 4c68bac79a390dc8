"""Newton steps on the support of a row-separable penalty (L2,1, L1 and their
row-weighted forms), which finish proximal Newton's inner coordinate descent solves
and the squared loss's coordinate descent where it crawls.

Coordinate descent finds the support in a few epochs, then crawls on
ill-conditioned Grams (one-hot blocks next to unscaled columns); on the support the
objective is smooth, and Newton steps there reach the model's minimum to round-off
(:func:`support_newton`). :func:`cd_polished` alternates the two;
:func:`cd_then_polished` runs plain coordinate descent first.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._linalg import inner
from ..penalties import L1, L21, WeightedL1, WeightedL21
from . import cd as _cd
from .fista import SolverResult, duality_gap, warn_not_converged
from .spd import spd_inverse

#: coordinate descent epochs between Newton steps on the support (:func:`cd_polished`)
_CD_CHUNK = 5
#: epochs of plain coordinate descent before :func:`cd_then_polished` turns to
#: :func:`cd_polished`
_CD_FIRST = 20
#: Newton steps on the support give up after a step damped below this
_MIN_STEP = 1 / 64
_EPS = np.finfo(float).eps


def cd_polished(
    datafit,
    penalty,
    W0,
    *,
    max_iter=1000,
    threshold=None,
    tol=1e-4,
    newton_atol=0.0,
    least_norm=False,
    **kw,
):
    """Coordinate descent (:func:`~skmtl.solvers.cd.cd`) by chunks of ``_CD_CHUNK``
    epochs, each followed by Newton steps on the support found
    (:func:`support_newton`), until the duality gap is below ``threshold``: the
    epochs find the support, the Newton steps the accuracy that certifies it (the
    start's support is tried first; from zero, every row of the tasks' least-squares
    models: :func:`_least_squares_start`). On
    ill-conditioned Grams (one-hot blocks, unscaled columns) CD alone took hundreds
    of epochs per proximal Newton step. Signature and result of ``cd``, and
    ``newton_atol``, the decrease below which the Newton steps stop (0: at
    round-off); ``least_norm``: the Newton steps' least-norm form
    (:func:`support_newton`)."""
    if threshold is None:
        threshold = tol * datafit.gap_scale()
    W, used, last = np.array(W0, dtype=float), 0, None
    cold = not np.any(W)
    if cold:
        W = _least_squares_start(datafit, penalty, W)
    if np.any(W):
        # Newton steps on the start's support first: from the last outer step's
        # solution it is often the optimal one (School-like data, group lasso: 8-37
        # epochs in all instead of 20-120), counted as one epoch
        polished = support_newton(datafit, penalty, W, atol=newton_atol, least_norm=least_norm)
        gap, primal, polished, _ = duality_gap(datafit, penalty, polished, datafit.linear(polished))
        if gap <= threshold:
            return SolverResult(polished, 1, float(gap), float(primal), kw.get("lipschitz"))
        # the epochs go on from there (never worse than the start), a cold start's
        # least squares only where it ended below zero's objective
        if cold and not primal < datafit.value(datafit.linear(np.zeros_like(W))):
            polished = np.zeros_like(W)
        W = polished
    while True:
        budget = min(_CD_CHUNK, max_iter - used)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = _cd.cd(datafit, penalty, W, max_iter=budget, threshold=threshold, **kw)
        used += result.n_iter
        if result.dual_gap <= threshold:
            result.n_iter = used
            return result
        W = support_newton(datafit, penalty, result.coef, atol=newton_atol, least_norm=least_norm)
        gap, primal, W, _ = duality_gap(datafit, penalty, W, datafit.linear(W))
        # a round that moved nothing is a fixed point: the minimiser, where no gap can
        # certify it (alpha=0: no dual point is feasible)
        fixed = last is not None and _round_off_equal(W, last)
        last = W
        if gap <= threshold or used >= max_iter or fixed:
            if gap > threshold and not fixed:
                warn_not_converged(gap, used, threshold, tol, method="Coordinate descent")
            return SolverResult(W, used, float(gap), float(primal), result.lipschitz)


def cd_then_polished(datafit, penalty, W0, *, max_iter=1000, tol=1e-4, threshold=None, **kw):
    """Coordinate descent for ``_CD_FIRST`` epochs, then, if the gap is still above
    ``threshold``, :func:`cd_polished` from there: the squared loss's solves of the
    penalties of :func:`support_weights` (``solver="auto"`` where it picks CD). Most
    solves, a path's warm-started ones above all, certify within a few epochs, where
    the Newton steps would only add their cost (School-like group lasso, tol 1e-6:
    20 ms by CD, 47 ms polished from the start); the others crawl, on unscaled or
    nearly collinear columns and on the unpenalized rows of the non-convex models'
    later stages (Exam, whose 2-row school has two nearly equal standLRT values:
    CappedL1Regressor() spent 1000 epochs without a certificate; at tol 1e-6 and 0.02
    alpha_max, 2.4 s against 4 ms thus; School-like BlockMCP at 0.002 alpha_max, tol
    1e-10: 27 s against 0.11 s). Its Newton steps are least-norm ones: a solve of the
    squared loss has exactly flat directions where columns nearly repeat (their
    coefficients trade off at no cost), which coordinate descent leaves where its
    epochs put them, and which the non-convex models' stages must not fill (see
    ``least_norm`` of :func:`support_newton`). Signature and result of
    :func:`~skmtl.solvers.cd.cd`."""
    if threshold is None:
        threshold = tol * datafit.gap_scale()
    if max_iter <= _CD_FIRST:
        return _cd.cd(datafit, penalty, W0, max_iter=max_iter, threshold=threshold, **kw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = _cd.cd(datafit, penalty, W0, max_iter=_CD_FIRST, threshold=threshold, **kw)
    if first.dual_gap <= threshold or first.n_iter < _CD_FIRST:  # certified, or a fixed point
        return first
    with warnings.catch_warnings():  # said below, with the epochs of both
        warnings.simplefilter("ignore", ConvergenceWarning)
        rest = cd_polished(
            datafit,
            penalty,
            first.coef,
            max_iter=max_iter - first.n_iter,
            threshold=threshold,
            least_norm=True,
            **kw,
        )
    rest.n_iter += first.n_iter
    if rest.dual_gap > threshold and rest.n_iter >= max_iter:
        warn_not_converged(rest.dual_gap, rest.n_iter, threshold, tol, method="Coordinate descent")
    return rest


def _least_squares_start(datafit, penalty, W0):
    """A cold start for the Newton steps on the support: each task's least-squares
    model (every row in the support), or ``W0`` (zero) where that does not serve
    (other penalties, pooled intercepts, a singular solve). From zero, coordinate
    descent took 5 epochs to find the support of the first model (School-like data,
    20 tasks, group lasso at alpha 0.02, tol 1e-4: Poisson 18.6 -> 15 ms, Huber 30
    -> 26 ms)."""
    if type(penalty) not in (L21, L1) or getattr(datafit, "precision", 0) is not None:
        return W0
    G = np.broadcast_to(datafit.grams, (W0.shape[1],) + datafit.grams.shape[1:])
    ridge = 1e-8 * np.abs(G).max(initial=0.0) * np.eye(G.shape[-1])
    try:
        W = np.linalg.solve(G + ridge, datafit.b.T[..., None])[..., 0].T
    except np.linalg.LinAlgError:
        return W0
    return W if np.all(np.isfinite(W)) else W0


def _round_off_equal(A, B):
    """Whether two coefficient blocks differ by round-off only, entry by entry (rows
    of small-scale features move at their own scale)."""
    return bool(np.all(np.abs(A - B) <= 4 * _EPS * np.abs(A)))


def support_weights(penalty, d):
    """``(l1, l2)``: the row weights of the penalty's L1 and L2 parts when it is
    ``sum_j l1_j ||W_j||_1 + l2_j ||W_j||_2`` (L2,1, L1 and their row-weighted forms),
    whose inner solves finish by Newton steps on the support
    (:func:`support_newton`); None for any other penalty. (The sparse-group lasso
    has this form too, but its inner solves are ADMM's: CD chunks with Newton steps
    took 3x longer on School-like data.)"""
    if type(penalty) not in (L21, WeightedL21, L1, WeightedL1):
        return None
    weights = penalty.alpha * (penalty._weights(d) if hasattr(penalty, "_weights") else 1.0)
    weights, zeros = np.broadcast_to(weights, (d,)).astype(float), np.zeros(d)
    return (weights, zeros) if type(penalty) in (L1, WeightedL1) else (zeros, weights)


def support_newton(model, penalty, W, *, max_steps=10, rtol=1e-16, atol=0.0, least_norm=False):
    """Minimise the quadratic ``model`` (Gram statistics) plus a penalty of
    :func:`support_weights` over the support of ``W`` (its nonzero rows, its nonzero
    entries when the penalty has an L1 part; the others held at zero), by Newton
    steps from ``W``: on the support the objective is smooth, and its minimiser is
    the model's when ``W`` has the optimal support. Coordinate descent finds the
    support in a few epochs but then crawls on ill-conditioned Grams (one-hot blocks
    next to unscaled columns); these steps finish the inner solve to round-off,
    which the outer steps need to converge fast (and the outer gap to close: its
    dual point is only feasible where the gradient on large-scale features is
    accurate).

    The Hessian on the support is ``blockdiag_t(G_t + diag(c)) - sum_m g_m u_m
    u_m^T``: ``G_t`` the model's Gram with the shared intercept held
    (:meth:`~skmtl._datafit.GramDatafit.held_grams`), and low-rank terms from the L2
    parts (``g_j = c_j = l2_j / ||W_j||``, ``u_j`` the unit row ``W_j / ||W_j||`` on
    row ``j``; the L1 parts are linear on the support) and, with pooled intercepts,
    from minimising out the shared intercept (one per class: ``g = 1 / sum_t
    delta_t``, ``u_t = delta_t xbar_t``). Each step solves it by the Woodbury identity
    (one ``k x k`` system per task, the entries off the support masked out, and one
    across the low-rank terms), then backtracks on the model's objective. Rows and
    entries that the step would carry through zero are set to zero (and left out)
    when that does not raise the objective; unpenalized rows stay inside the
    penalty's ``radius``. Returns ``W`` improved (never worse on the model's
    objective, beyond round-off). The steps stop once a unit step's directional
    derivative is within ``max(rtol * objective, atol)`` of zero, or after
    ``max_steps``. With ``least_norm``, each task's system is solved by a
    pseudo-inverse that leaves out the eigenvalues below 1e-10 of its largest
    (``np.linalg.pinv``), not by the inverse of the system plus 1e-12 of its
    largest entry: a nearly flat direction (two nearly identical columns) then takes
    no step, where the inverse sent it wherever round-off pointed (a capped L1 on two
    columns 1e-6 apart: the mass spread over both, both rows passed the cap, and the
    model ended at another stationary point, 5% above cvxpy's). The eigensolve costs
    up to 1.5x the inverse (School-like BlockMCP: 113 -> 175 ms)."""
    d, T = W.shape
    l1, l2 = support_weights(penalty, d)
    entrywise = bool(np.any(l1 > 0))
    radius = getattr(penalty, "radius", np.inf)
    free = (l1 == 0) & (l2 == 0)
    rows = np.flatnonzero(np.any(W != 0, axis=1))
    if len(rows) == 0:
        return W
    held = model.held_grams()
    held = np.broadcast_to(held, (T,) + held.shape[1:])
    shared_terms = model.shared_intercept_terms()
    out = np.array(W, dtype=float)

    def penalty_value(V, rows):
        norms = np.sqrt(np.einsum("jt,jt->j", V, V))
        if np.any(norms[free[rows]] > radius):
            return np.inf
        return float(l1[rows] @ np.abs(V).sum(axis=1) + l2[rows] @ norms)

    def objective(V, rows):
        full = np.zeros_like(out)
        full[rows] = V
        z = model.linear(full)
        return model.value(z) + penalty_value(V, rows), z

    V = out[rows]
    value, z = objective(V, rows)
    for _ in range(max_steps):
        k = len(rows)
        eye = np.eye(k)
        norms = np.sqrt(np.einsum("jt,jt->j", V, V))
        unit = V / norms[:, None]
        c = l2[rows] / norms
        grad = model.gradient(z)[rows] + l1[rows, None] * np.sign(V) + l2[rows, None] * unit
        B = held[:, rows][:, :, rows] + c[None, :, None] * eye  # (T, k, k)
        mask = 1.0
        if entrywise:  # the support's entries; identity rows off it (a zero step)
            mask = (V != 0).astype(float)
            grad = grad * mask
            B = B * mask.T[:, :, None] * mask.T[:, None, :] + (1 - mask.T)[:, :, None] * eye
        if not least_norm:
            B = B + (1e-12 * np.abs(B).max()) * eye
        penalized = np.flatnonzero(c > 0)
        dense = None if shared_terms is None else shared_terms[0][:, rows] * mask
        try:
            # least-norm: each task's eigenvalues below 1e-10 of its largest left out
            Binv = np.linalg.pinv(B, rcond=1e-10, hermitian=True) if least_norm else spd_inverse(B)
            x0 = np.matmul(Binv, grad.T[:, :, None])[:, :, 0].T  # (k, T)
            step = -x0 - _woodbury_correction(Binv, x0, unit, c, penalized, dense, shared_terms)
        except np.linalg.LinAlgError:
            break
        slope = inner(grad, step)
        if not (np.all(np.isfinite(step)) and slope < 0):
            break
        # the objective's round-off: near the minimiser a full Newton step lowers it
        # by less, and still moves the stiff rows (those of large-scale features)
        slack = 16 * np.finfo(float).eps * max(abs(value), penalty_value(V, rows))
        if entrywise:
            crossing = V * (V + step) < 0
        else:
            crossing = ((np.einsum("jt,jt->j", V, V + step) <= 0) & ~free[rows])[:, None]
        if crossing.any():
            kept = np.where(crossing, 0.0, V)
            keep = np.any(kept != 0, axis=1)
            if keep.any():
                dropped, z_dropped = objective(kept[keep], rows[keep])
                if dropped <= value + slack:
                    out[rows[~keep]] = 0.0
                    rows, V, value, z = rows[keep], kept[keep], dropped, z_dropped
                    continue
        t = 1.0
        for _ in range(20):
            trial = V + t * step
            new, z_new = objective(trial, rows)
            if new <= value + 1e-4 * t * slope + slack:
                break
            t *= 0.5
        else:
            break
        V, value, z = trial, min(new, value), z_new
        # a full step of a decrement at round-off: converged. A much damped step:
        # rows near zero, where the model is poor; coordinate descent takes over
        if (t == 1.0 and -slope <= rtol * abs(value)) or t < _MIN_STEP:
            break
        if t == 1.0 and -slope <= atol:  # as accurate as the caller asked
            break
    out[rows] = V
    return out


def _woodbury_correction(Binv, x0, unit, c, penalized, dense, shared_terms):
    """``B^-1 U (diag(1/g) - U^T B^-1 U)^-1 U^T x0`` for the low-rank terms of
    :func:`support_newton`: the L2 parts' columns (``unit`` row ``j`` on row ``j``,
    ``g = c``, kept sparse: O(T k^2) each) and the shared intercepts' dense ones."""
    U = unit[penalized]  # (p, T): column j is U[j] on row penalized[j]
    BU = np.einsum("tij,jt->jit", Binv[:, :, penalized], U)  # (p, k, T)
    S = np.diag(1.0 / c[penalized]) - np.einsum("jt,ljt->jl", U, BU[:, penalized])
    rhs = np.einsum("jt,jt->j", U, x0[penalized])
    parts = BU
    if dense is not None:
        BD = np.einsum("tij,mjt->mit", Binv, dense)  # (K, k, T)
        cross = np.einsum("jt,mjt->jm", U, BD[:, penalized])
        S_dense = np.diag(1.0 / shared_terms[1]) - np.einsum("mit,nit->mn", dense, BD)
        S = np.block([[S, -cross], [-cross.T, S_dense]])
        rhs = np.concatenate([rhs, np.einsum("mit,it->m", dense, x0)])
        parts = np.concatenate([BU, BD])
    if len(rhs) == 0:
        return np.zeros_like(x0)
    y = np.linalg.solve(S, rhs)
    return np.einsum("mit,m->it", parts, y)
