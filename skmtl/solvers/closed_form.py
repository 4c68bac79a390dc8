"""Exact solutions for squared loss with a quadratic penalty ``tr(W M W^T)``.

Stationarity reads ``C_t w_t - b_t + 2 (W M)_t = 0`` for every task ``t``, with the
per-task Gram statistics ``C_t``, ``b_t`` of :class:`~skmtl._datafit.GramDatafit`.
A path of penalties (the strengths of a cross-validation grid) is solved at once.
"""

from __future__ import annotations

import numpy as np

from .._datafit import GRAM_MAX_ENTRIES
from .._pooling import apply_m, m_matrix
from ..penalties import MeanPenalty

#: largest d * T solved as one dense linear system
MAX_SYSTEM_SIZE = 3000


def has_closed_form(penalty, loss, n_features, n_tasks):
    """A quadratic loss, a ``quadratic`` penalty, and per-task Gram matrices that fit
    in memory (for a penalty that couples the tasks' systems, unlike the mean, also
    a small enough linear system)."""
    # (a matrix the class declares, the mean penalty's lazy property, is not built
    # to check that it is there)
    if penalty.quadratic and not (
        hasattr(type(penalty), "M") or getattr(penalty, "M", None) is not None
    ):
        raise TypeError(
            f"{type(penalty).__name__} declares quadratic = True but has no matrix M "
            "(the penalty tr(W M W^T) that a quadratic penalty is); give it M, or leave "
            "quadratic False."
        )
    return (
        loss.quadratic
        and penalty.quadratic
        and n_tasks * n_features**2 <= GRAM_MAX_ENTRIES
        and (n_features * n_tasks <= MAX_SYSTEM_SIZE or mean_form(penalty) is not None)
    )


def mean_form(penalty):
    """``(a, m)`` when the penalty's ``M`` is ``a (I - J) + m J`` (``J`` the averaging
    matrix): the mean model, and the graph model on the complete graph; else None."""
    if isinstance(penalty, MeanPenalty):
        return penalty.alpha, penalty.beta / penalty.n_tasks
    M = penalty.M
    T = M.shape[0]
    off_diagonal = M.ravel()[1:].reshape(T - 1, T + 1)[:, :T]  # every entry off it
    off = off_diagonal[0, 0] if T > 1 else 0.0
    diagonal = M[0, 0]
    if not (np.all(M.diagonal() == diagonal) and np.all(off_diagonal == off)):
        return None
    # eigenvalues: diagonal - off on the complement of the mean, diagonal + (T-1) off on it
    return diagonal - off, diagonal + (T - 1) * off


def closed_form(gram, penalty):
    """The minimiser ``W`` (d x T) of ``gram(W) + penalty(W)``."""
    return closed_form_path(gram, [penalty])[0]


def closed_form_path(gram, penalties):
    """The minimisers ``W`` (d x T) of ``gram(W) + p(W)`` for each penalty ``p``.

    Pooled intercepts add ``xbar_t M(delta)_ts xbar_s^T`` to the system and
    ``xbar_t (M(delta) ybar)_t`` to its right-hand side (the gradient of
    :class:`~skmtl._datafit.GramDatafit`)."""
    T, d = gram.b.shape[1], gram.n_features
    grams = np.broadcast_to(gram.grams, (T,) + gram.grams.shape[1:])
    rhs = gram.b.T.copy()
    pooling = None
    if gram.precision is not None:
        delta, xbar = gram._delta(), gram.x_mean.T  # (T,), (T, d)
        rhs += xbar * apply_m(delta, gram.y_mean)[:, None]
        pooling = (delta, xbar)
    forms = [mean_form(p) for p in penalties]
    if all(form is not None for form in forms):
        a, m = np.array(forms, dtype=float).T
        # chunks of strengths whose (T, d, d) inverses fit in the Gram budget
        size = max(1, int(GRAM_MAX_ENTRIES // (T * d * d)))
        return np.concatenate(
            [
                _mean_form(grams, rhs.T, a[i : i + size], m[i : i + size], pooling)
                for i in range(0, len(a), size)
            ]
        )
    return np.stack([_coupled(grams, rhs, p.M, pooling) for p in penalties])


def _coupled(grams, rhs, M_penalty, pooling):
    """One dense ``(T d) x (T d)`` system."""
    T, d = rhs.shape
    system = np.kron(2.0 * M_penalty, np.eye(d)).reshape(T, d, T, d)
    system[np.arange(T), :, np.arange(T), :] += grams
    if pooling is not None:
        delta, xbar = pooling
        system += np.einsum("ti,ts,sj->tisj", xbar, m_matrix(delta), xbar)
    solution = np.linalg.solve(system.reshape(T * d, T * d), rhs.ravel())
    return solution.reshape(T, d).T


def _mean_form(grams, B, a, m, pooling=None):
    """For each strength pair ``(a_p, m_p)`` of ``M = a (I - J) + m J``: the d x d
    systems ``(C_t + 2 a I) w_t = b_t + kappa w_bar`` (``kappa = 2 a - 2 m``),
    coupled by one (d + 1) system for ``w_bar`` and, with pooled intercepts, the
    scalar ``c = sum_t delta_t xbar_t^T w_t``: their term ``xbar_t M(delta)_ts
    xbar_s^T`` is ``delta_t xbar_t xbar_t^T`` (added to ``C_t``) minus a rank one
    coupling ``xbar_t delta_t c / sum(delta)``. Returns ``(P, d, T)``.

    The inverses ``A_t = (C_t + 2 a I)^-1`` come from :func:`_inverses`."""
    d = B.shape[0]
    kappa = 2.0 * (a - m)
    if pooling is not None:
        delta, xbar = pooling
        grams = grams + delta[:, None, None] * xbar[:, :, None] * xbar[:, None, :]
    apply_a, system = _inverses(grams, a, m)
    Ab = apply_a(B[None])
    if pooling is None:
        w_bar = np.linalg.solve(system, Ab.mean(axis=2)[..., None])[..., 0]
        return Ab + kappa[:, None, None] * apply_a(np.broadcast_to(w_bar[:, :, None], Ab.shape))
    weights = xbar * (delta / delta.sum())[:, None]
    Au = apply_a(weights.T[None])  # (P, d, T)
    dx = delta[:, None] * xbar  # rows delta_t xbar_t
    full = np.empty((len(a), d + 1, d + 1))
    full[:, :d, :d], full[:, :d, d] = system, -Au.mean(axis=2)
    full[:, d, :d] = -kappa[:, None] * apply_a(dx.T[None]).sum(axis=2)  # A symmetric
    full[:, d, d] = 1.0 - np.einsum("ti,pit->p", dx, Au)
    rhs = np.concatenate([Ab.mean(axis=2), np.einsum("ti,pit->p", dx, Ab)[:, None]], axis=1)
    solution = np.linalg.solve(full, rhs[..., None])[..., 0]
    w_bar, c = solution[:, :d], solution[:, d]
    shifted = apply_a(np.broadcast_to(w_bar[:, :, None], Ab.shape))
    return Ab + kappa[:, None, None] * shifted + c[:, None, None] * Au


def _inverses(grams, a, m):
    """``(apply_a, system)`` for the strengths ``a``, ``m`` of :func:`_mean_form`:
    ``apply_a(V)`` gives ``A_t v_t`` for ``V`` (P or 1, d, T) and ``system`` is ``1/T
    sum_t (C_t + 2 m I) A_t`` (P, d, d), the form of ``I - kappa/T sum_t A_t`` without
    cancellation between ``I`` and ``kappa A_t ~ I`` at large ``a``.

    Each task's matrix is diagonalised once, ``C_t = Q_t diag(l_t) Q_t^T``, and every
    strength's inverse applied as ``Q_t diag(1 / (l_t + 2 a)) Q_t^T`` in O(d^2) (a
    batched inverse per strength cost most of a CV path), unless there is one
    strength (an inverse is cheaper than the eigendecomposition) or the largest
    eigenvalue exceeds 1e7 times the smallest diagonal entry of ``C_t + 2 a I``: the
    eigenvalues' round-off is relative to the largest, and would spoil the
    directions of small-scale features (scales 1e-8 to 1e8: a wrong model), where
    each strength's matrices are inverted instead, whose round-off follows the
    features' scales."""
    eye = np.eye(grams.shape[-1])
    lam, Q = np.linalg.eigh(grams) if len(a) > 1 else (None, None)  # (T, d), (T, d, d)
    floor = np.diagonal(grams, axis1=-2, axis2=-1).min() + 2.0 * a.min()
    if len(a) == 1 or lam.max(initial=0.0) > 1e7 * floor:
        A = np.linalg.inv(grams + 2.0 * a[:, None, None, None] * eye)  # (P, T, d, d)
        system = np.matmul(grams + 2.0 * m[:, None, None, None] * eye, A).mean(axis=1)
        return (
            lambda V: np.einsum("ptij,pjt->pit", A, np.broadcast_to(V, (len(a),) + V.shape[1:]))
        ), system
    lam = np.maximum(lam, 0.0)  # a PSD matrix: round-off below zero
    scale = 1.0 / (lam + 2.0 * a[:, None, None])  # (P, T, d): A_t's eigenvalues

    def apply_a(V):
        return np.einsum("tik,ptk->pit", Q, scale * np.einsum("tik,pit->ptk", Q, V))

    ratio = (lam + 2.0 * m[:, None, None]) * scale
    system = np.einsum("tik,ptk,tjk->pij", Q, ratio, Q, optimize=True) / len(lam)
    return apply_a, system
