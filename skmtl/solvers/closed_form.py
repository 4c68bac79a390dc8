"""Exact solutions for squared loss with a quadratic penalty ``tr(W M W^T)``.

Stationarity reads ``C_t w_t - b_t + 2 (W M)_t = 0`` for every task ``t``, with the
per-task Gram statistics ``C_t``, ``b_t`` of :class:`~skmtl._datafit.GramDatafit`.
"""

from __future__ import annotations

import numpy as np

from .._datafit import GRAM_MAX_ENTRIES
from ..penalties import MeanPenalty

#: largest d * T solved as one dense linear system
MAX_SYSTEM_SIZE = 3000


def has_closed_form(penalty, loss, n_features, n_tasks):
    """A quadratic loss, a ``quadratic`` penalty, and per-task Gram matrices that fit
    in memory (for a penalty that couples the tasks' systems, unlike the mean, also
    a small enough linear system)."""
    coupled = not isinstance(penalty, MeanPenalty)
    return (
        loss.quadratic
        and penalty.quadratic
        and n_tasks * n_features**2 <= GRAM_MAX_ENTRIES
        and (not coupled or n_features * n_tasks <= MAX_SYSTEM_SIZE)
    )


def closed_form(gram, penalty):
    """The minimiser ``W`` (d x T) of ``gram(W) + penalty(W)``.

    Pooled intercepts add ``xbar_t M(delta)_ts xbar_s^T`` to the system and
    ``xbar_t (M(delta) ybar)_t`` to its right-hand side (the gradient of
    :class:`~skmtl._datafit.GramDatafit`)."""
    T, d = gram.b.shape[1], gram.n_features
    grams = np.broadcast_to(gram.grams, (T,) + gram.grams.shape[1:])
    rhs = gram.b.T.copy()
    if gram.precision is not None:
        delta, xbar = gram._delta(), gram.x_mean.T  # (T,), (T, d)
        M = np.diag(delta) - np.outer(delta, delta) / delta.sum()
        rhs += xbar * (M @ gram.y_mean)[:, None]
    if isinstance(penalty, MeanPenalty):
        pooling = None if gram.precision is None else (delta, xbar)
        return _mean_regularized(grams, rhs.T, penalty.alpha, penalty.beta, pooling)
    system = np.kron(2.0 * penalty.M, np.eye(d)).reshape(T, d, T, d)
    system[np.arange(T), :, np.arange(T), :] += grams
    if gram.precision is not None:
        system += np.einsum("ti,ts,sj->tisj", xbar, M, xbar)
    solution = np.linalg.solve(system.reshape(T * d, T * d), rhs.ravel())
    return solution.reshape(T, d).T


def _mean_regularized(grams, B, alpha, beta, pooling=None):
    """The d x d systems ``(C_t + 2 alpha I) w_t = b_t + kappa w_bar``,
    coupled by one (d + 1) system for ``w_bar`` and, with pooled intercepts, the
    scalar ``c = sum_t delta_t xbar_t^T w_t``: their term ``xbar_t M(delta)_ts
    xbar_s^T`` is ``delta_t xbar_t xbar_t^T`` (added to ``C_t``) minus a rank one
    coupling ``xbar_t delta_t c / sum(delta)``."""
    T, d = B.shape[1], B.shape[0]
    kappa = 2.0 * alpha - 2.0 * beta / T
    if pooling is not None:
        delta, xbar = pooling
        grams = grams + delta[:, None, None] * xbar[:, :, None] * xbar[:, None, :]
    A = np.linalg.inv(grams + 2.0 * alpha * np.eye(d))
    Ab = np.einsum("tij,jt->it", A, B)
    # I - kappa/T sum_t A_t, written as 1/T sum_t (C_t + 2 beta/T I) A_t: no cancellation
    # between I and kappa A_t ~ I at large alpha
    shifted = grams + (2.0 * beta / T) * np.eye(d)
    system = np.matmul(shifted, A).mean(axis=0)
    if pooling is None:
        w_bar = np.linalg.solve(system, Ab.mean(axis=1))
        return Ab + kappa * np.einsum("tij,j->it", A, w_bar)
    Au = np.einsum("tij,tj->it", A, xbar * (delta / delta.sum())[:, None])  # (d, T)
    dx = delta[:, None] * xbar  # rows delta_t xbar_t
    full = np.empty((d + 1, d + 1))
    full[:d, :d], full[:d, d] = system, -Au.mean(axis=1)
    full[d, :d] = -kappa * np.einsum("ti,tij->j", dx, A)
    full[d, d] = 1.0 - np.einsum("ti,it->", dx, Au)
    rhs = np.append(Ab.mean(axis=1), np.einsum("ti,it->", dx, Ab))
    solution = np.linalg.solve(full, rhs)
    w_bar, c = solution[:d], solution[d]
    return Ab + kappa * np.einsum("tij,j->it", A, w_bar) + c * Au
