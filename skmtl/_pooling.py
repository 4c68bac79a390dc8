"""Partial pooling of the task intercepts towards a shared intercept.

The term added to the objective is ``1/2 sum_t p_t (b_t - b_0)^2``, minimised over
the shared intercept ``b_0``, with the precision ``p_t = pooling * tau_t / n_t``
(``tau_t`` the task's weight, ``n_t`` its number of samples, i.e. its sum of sample
weights): ``pooling`` pseudo-samples at ``b_0`` for every task. For the squared
loss a task's intercept is then ``(n_t rbar_t + pooling b_0) / (n_t + pooling)``
(``rbar_t`` its mean residual), the shrinkage of a random-intercept model with
variance ratio ``pooling``; ``pooling=0`` leaves the intercepts free and
``pooling=inf`` makes them one.

Minimising over ``b_0`` gives the quadratic ``1/2 b^T M(p) b`` with
``M(p) = diag(p) - p p^T / sum(p)``, whose null space is the constant vector. Every
function here works on that form in O(T); an infinite precision is the limit
(``b`` constant).
"""

from __future__ import annotations

import numpy as np


def precision(pooling, task_weights, sample_totals, n_classes=1):
    """``p_t = pooling * tau_t / n_t`` (all infinite for ``pooling=inf``), or None for
    free intercepts (also for a single task, whose intercept is its shared one).

    With ``n_classes = K > 1`` (class-expanded virtual tasks, class by class) the
    intercepts of each class are pooled towards a shared intercept of that class:
    ``p`` then has shape ``(K, T)`` and every function here works on each row (class)
    separately, on vectors of length ``K T`` in the class-major order."""
    if not pooling or len(sample_totals) // n_classes < 2:
        return None
    T = len(sample_totals) // n_classes
    if np.isinf(pooling):
        p = np.full(len(sample_totals), np.inf)
    else:
        tau = 1.0 if task_weights is None else task_weights
        p = pooling * tau / sample_totals
    return p.reshape(n_classes, T) if n_classes > 1 else p


def _groups(p, v):
    """``v`` shaped as ``p`` (its groups on the last axis)."""
    return np.asarray(v).reshape(p.shape)


def shared_value(weights, v):
    """The shared intercept ``sum_t weights_t v_t / sum_t weights_t`` (infinite
    weights: the plain mean); one per group (an array) for 2-D ``weights``."""
    v = _groups(weights, v)
    if weights.ndim == 1:  # the common case, without the broadcasting below
        if np.isinf(weights[0]):  # the weights are all infinite or all finite
            return float(v.mean())
        total = float(weights.sum())
        return float(weights @ v) / total if total > 0 else 0.0
    if np.isinf(weights).any():
        shared = v.mean(axis=-1)
    else:
        total = weights.sum(axis=-1)
        safe = np.where(total > 0, total, 1.0)
        shared = np.where(total > 0, (weights * v).sum(axis=-1) / safe, 0.0)
    return float(shared) if weights.ndim == 1 else shared


def _shared(weights, v):
    """:func:`shared_value` broadcastable against the groups of ``v``."""
    return (
        np.asarray(shared_value(weights, v))[..., None]
        if weights.ndim > 1
        else (shared_value(weights, v))
    )


def apply_m(p, v):
    """``M(p) v = p (v - shared(v))`` for finite ``p``."""
    if p.ndim == 1 and np.ndim(v) == 1:  # the common case, in every solver iteration
        total = p.sum()
        return p * (v - (p @ v) / total) if total > 0 else p * v
    shape = np.shape(v)
    return (p * (_groups(p, v) - _shared(p, v))).reshape(shape)


def m_matrix(p):
    """``M(p) = diag(p) - p p^T / sum(p)`` as a dense matrix, for finite 1-D ``p``
    (the closed forms' linear systems)."""
    return np.diag(p) - np.outer(p, p) / p.sum()


def group_sum(p, v):
    """Each group's sum of ``v``, repeated over the group (``v``'s shape)."""
    groups = _groups(p, v)
    return np.broadcast_to(groups.sum(axis=-1, keepdims=True), groups.shape).reshape(np.shape(v))


def value(p, b):
    """``1/2 b^T M(p) b``; for infinite ``p`` the indicator of a constant ``b`` (in
    each group, to round-off): zero, or infinite off that constraint."""
    if np.isinf(p).any():
        groups = _groups(p, b)
        spread = np.ptp(groups, axis=-1).max()
        return 0.0 if spread <= 1e-10 * max(1.0, np.abs(groups).max()) else np.inf
    # as a sum of squares about the shared value: ``b^T M(p) b`` lost the digits of
    # the spread to those of ``b`` (intercepts near 1e8 gave negative values)
    spread = _groups(p, b) - _shared(p, b)
    return 0.5 * float(np.sum(p * spread * spread))


def conjugate(p, u):
    """``sup_b u^T b - 1/2 b^T M(p) b = 1/2 sum_t u_t^2 / p_t`` for ``sum_t u_t = 0``
    (in each group; the callers' intercepts are polished so that it holds to
    round-off)."""
    if np.isinf(p).any():
        return 0.0
    u = _groups(p, u)
    return 0.5 * float(np.sum(np.divide(u * u, p, out=np.zeros_like(u), where=p > 0)))


def solve_shifted(p, h, r):
    """``x`` with ``(diag(h) + M(p)) x = r``, ``h >= 0`` and ``h > 0`` somewhere: the
    Newton step of the intercepts (``h`` the loss's curvature per task) and, with
    ``h = 1 / step``, the proximal operator (``x = prox(v)`` for ``r = v / step``).
    With infinite ``p`` the solution is constant: ``sum(r) / sum(h)``."""
    shape = np.shape(r)
    h, r = _groups(p, h), _groups(p, r)
    if np.isinf(p).any():
        x = np.broadcast_to(r.sum(axis=-1, keepdims=True) / h.sum(axis=-1, keepdims=True), r.shape)
        return np.array(x).reshape(shape)
    denominator = h + p
    safe = np.where(denominator > 0, denominator, 1.0)
    weights = p * h / safe
    total = weights.sum(axis=-1, keepdims=True)
    shared = np.divide(
        ((p / safe) * r).sum(axis=-1, keepdims=True),
        total,
        out=np.zeros_like(total),
        where=total > 0,
    )
    return np.where(denominator > 0, (r + p * shared) / safe, 0.0).reshape(shape)


def solve_blocks(p, H, r):
    """The Newton step of intercepts whose loss couples the ``K`` intercepts of each
    task (the multinomial loss): ``x`` with ``(blockdiag_t(H_t) + M(p)) x = r``, of
    least norm.

    ``H`` (T, K, K) holds each task's Hessian in its intercepts (whose null space
    holds the constant vector: the softmax's null direction), ``r`` the gradient in
    the class-major order (length ``K T``) and ``p`` None (free intercepts: one
    ``K x K`` pseudo-inverse per task, batched), ``(K, T)`` finite (each class
    pooled: the shared intercepts ``b_0`` are eliminated by a ``K x K`` Schur
    complement, whose null space, a shift of every intercept, is left out) or
    infinite (one intercept vector for all tasks)."""
    T, K, _ = H.shape
    R = np.asarray(r).reshape(K, T).T  # (T, K)
    # the least-norm steps of the free and the common intercepts are centred (the
    # null space holds the constant vector); the pseudo-inverse, whose cut-off
    # misses that eigenvalue at round-off, returned shifts a billion times the step
    # (one task of 15219 rows: 10 wasted Newton steps at a gradient of 5e-13)
    if p is None:
        X = np.einsum("tkl,tl->tk", np.linalg.pinv(H, hermitian=True), R)
        X = X - X.mean(axis=1, keepdims=True)
    elif np.isinf(p).any():
        x = np.linalg.pinv(H.sum(axis=0), hermitian=True) @ R.sum(axis=0)
        X = np.broadcast_to(x - x.mean(), (T, K))
    else:
        P = p.T  # (T, K)
        B = H + P[:, :, None] * np.eye(K)  # positive definite where p > 0
        solve = np.linalg.pinv(B, hermitian=True)
        BR = np.einsum("tkl,tl->tk", solve, R)
        schur = np.diag(P.sum(axis=0)) - np.einsum("tk,tkl,tl->kl", P, solve, P)
        shift = np.linalg.pinv(0.5 * (schur + schur.T), hermitian=True) @ (P * BR).sum(axis=0)
        X = np.einsum("tkl,tl->tk", solve, R + P * shift)
    return np.ascontiguousarray(np.asarray(X).T).reshape(-1)


def profile_weights(p, totals):
    """``delta_t = H_t p_t / (H_t + p_t)``: minimising ``H_t/2 sum_i w_i (r_i - b_t)^2
    + p_t/2 (b_t - b_0)^2`` over ``b_t`` leaves ``delta_t/2 (rbar_t - b_0)^2`` beside
    the centred loss (``H_t``: the task's total weight; ``delta_t = H_t`` for
    infinite ``p_t``). Shaped as ``p`` (by class for 2-D ``p``)."""
    totals = _groups(p, totals).astype(float)
    if np.isinf(p).any():
        return totals
    denominator = totals + p
    return np.divide(totals * p, denominator, out=np.zeros_like(p), where=denominator > 0)


def profiled_intercepts(p, totals, rbar):
    """The minimising intercepts for mean residuals ``rbar``: ``b_0`` the
    ``delta``-weighted mean of ``rbar`` (one per class for 2-D ``p``) and ``b_t =
    (H_t rbar_t + p_t b_0) / (H_t + p_t)``. ``rbar`` may stack several models on
    leading axes (one ``p`` per task)."""
    totals = _groups(p, totals)
    groups = rbar.reshape(rbar.shape[:-1] + p.shape)
    delta = profile_weights(p, totals)  # finite, also for infinite p
    total = delta.sum(axis=-1, keepdims=True)
    b0 = np.divide(
        (groups * delta).sum(axis=-1, keepdims=True),
        total,
        out=np.zeros(groups.shape[:-1] + (1,)),
        where=total > 0,
    )
    if np.isinf(p).any():
        return np.broadcast_to(b0, groups.shape).reshape(rbar.shape).astype(float)
    denominator = totals + p
    safe = np.where(denominator > 0, denominator, 1.0)
    out = np.where(denominator > 0, (totals * groups + p * b0) / safe, b0)
    return out.reshape(rbar.shape)
