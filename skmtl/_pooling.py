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


def precision(pooling, task_weights, sample_totals):
    """``p_t = pooling * tau_t / n_t`` (all infinite for ``pooling=inf``), or None for
    free intercepts (also for a single task, whose intercept is its shared one)."""
    if not pooling or len(sample_totals) < 2:
        return None
    if np.isinf(pooling):
        return np.full(len(sample_totals), np.inf)
    tau = 1.0 if task_weights is None else task_weights
    return pooling * tau / sample_totals


def shared_value(weights, v):
    """The shared intercept ``sum_t weights_t v_t / sum_t weights_t`` (infinite
    weights: the plain mean)."""
    if np.isinf(weights).any():
        return float(np.mean(v))
    total = weights.sum()
    return float(weights @ v / total) if total > 0 else 0.0


def apply_m(p, v):
    """``M(p) v = p (v - shared(v))`` for finite ``p``."""
    return p * (v - shared_value(p, v))


def value(p, b):
    """``1/2 b^T M(p) b`` (zero for infinite ``p``, where ``b`` is constant)."""
    if np.isinf(p).any():
        return 0.0
    return 0.5 * float(b @ apply_m(p, b))


def conjugate(p, u):
    """``sup_b u^T b - 1/2 b^T M(p) b = 1/2 sum_t u_t^2 / p_t`` for ``sum_t u_t = 0``
    (the callers' intercepts are polished so that it holds to round-off)."""
    if np.isinf(p).any():
        return 0.0
    return 0.5 * float(np.sum(np.divide(u * u, p, out=np.zeros_like(u), where=p > 0)))


def solve_shifted(p, h, r):
    """``x`` with ``(diag(h) + M(p)) x = r``, ``h >= 0`` and ``h > 0`` somewhere: the
    Newton step of the intercepts (``h`` the loss's curvature per task) and, with
    ``h = 1 / step``, the proximal operator (``x = prox(v)`` for ``r = v / step``).
    With infinite ``p`` the solution is constant: ``sum(r) / sum(h)``."""
    if np.isinf(p).any():
        return np.full_like(r, r.sum() / h.sum())
    denominator = h + p
    safe = np.where(denominator > 0, denominator, 1.0)
    weights = p * h / safe
    shared = (p / safe) @ r / weights.sum() if weights.sum() > 0 else 0.0
    return np.where(denominator > 0, (r + p * shared) / safe, 0.0)


def profile_weights(p, totals):
    """``delta_t = H_t p_t / (H_t + p_t)``: minimising ``H_t/2 sum_i w_i (r_i - b_t)^2
    + p_t/2 (b_t - b_0)^2`` over ``b_t`` leaves ``delta_t/2 (rbar_t - b_0)^2`` beside
    the centred loss (``H_t``: the task's total weight; ``delta_t = H_t`` for
    infinite ``p_t``)."""
    if np.isinf(p).any():
        return totals.astype(float)
    denominator = totals + p
    return np.divide(totals * p, denominator, out=np.zeros_like(p), where=denominator > 0)


def profiled_intercepts(p, totals, rbar):
    """The minimising intercepts for mean residuals ``rbar``: ``b_0`` the
    ``delta``-weighted mean of ``rbar`` and ``b_t = (H_t rbar_t + p_t b_0) / (H_t +
    p_t)``."""
    b0 = shared_value(profile_weights(p, totals), rbar)
    if np.isinf(p).any():
        return np.full_like(rbar, b0)
    denominator = totals + p
    safe = np.where(denominator > 0, denominator, 1.0)
    return np.where(denominator > 0, (totals * rbar + p * b0) / safe, b0)
