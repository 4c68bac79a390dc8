"""The 1-D total-variation prox of every row of a matrix,
``argmin_x 1/2 ||x - y||^2 + lam sum_t |x_{t+1} - x_t|``.

``tv_prox`` solves the dual, ``min_v 1/2 ||y - D^T v||^2`` over ``|v_i| <= lam``
(``D`` the difference operator, ``x = y - D^T v``), by projected Newton steps
(Bertsekas, 1982; for TV: Barbero & Sra, 2011): the Hessian ``D D^T`` is
tridiagonal, so the Newton step of all rows at once is one banded solve. Once the
bound constraints that hold at the optimum are found, a Newton step lands on the
optimum to round-off: the prox is exact. Rows that have not converged after
``_MAX_NEWTON`` steps (not seen in practice) are finished by Condat's direct
algorithm (``tv_prox_condat``, IEEE SPL 2013), which is exact by construction but
advances one sample per pass.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.lapack import dgtsv

__all__ = ["tv_prox", "tv_prox_condat"]

#: projected Newton steps before the rows left are handed to Condat's algorithm
_MAX_NEWTON = 60
#: optimality: the projected gradient within this fraction of the row's scale
_KKT_RTOL = 1e-12
#: Armijo constant and the most step halvings of the line search
_ARMIJO, _MAX_HALVINGS = 1e-4, 40


def _adjoint(V, T):
    """``D^T v`` for each row: ``(D^T v)_t = v_{t-1} - v_t`` (``v_{-1} = v_{T-1} = 0``)."""
    out = np.zeros((V.shape[0], T))
    out[:, 1:] += V
    out[:, :-1] -= V
    return out


def _newton_direction(grad, free):
    """``H_FF^{-1} grad_F`` with ``H = D D^T`` (2 on the diagonal, -1 beside it) on
    the free entries of each row; zero on the others. All rows in one tridiagonal
    solve (LAPACK ``gtsv``): the fixed entries and the row ends decouple."""
    n, m = grad.shape
    # the coupling of entries k and k + 1: both free and in the same row
    link = np.zeros((n, m))
    link[:, :-1] = np.where(free[:, :-1] & free[:, 1:], -1.0, 0.0)
    off = link.ravel()[:-1]
    diagonal = np.where(free, 2.0, 1.0).ravel()
    rhs = np.where(free, grad, 0.0).ravel()
    if rhs.size == 1:  # one difference of one row (two tasks): gtsv takes no empty band
        return (rhs / diagonal).reshape(n, m)
    solution, info = dgtsv(off, diagonal, off.copy(), rhs, True, True, True, True)[3:]
    if info:  # not reached: the free block of D D^T is positive definite
        raise np.linalg.LinAlgError(f"tridiagonal solve failed (info={info})")
    return solution.reshape(n, m)


def tv_prox(Y, lam, start=None, return_dual=False):
    """Row-wise ``argmin_x 1/2 ||x - y||^2 + lam * sum_t |x_{t+1} - x_t|`` (exact);
    ``lam`` is a number or one per row.

    ``start``: a first guess of the dual ``v`` (``x = y - D^T v``, shape ``(n, T -
    1)``), e.g. that of a nearby problem, clipped to the bounds; by default the
    unconstrained optimum (every row at its mean), clipped. ``return_dual``: return
    ``(x, v)``.
    """
    Y = np.asarray(Y, dtype=float)
    n, T = Y.shape
    if T <= 1 or n == 0:  # nothing to fuse
        return (Y.copy(), np.zeros((n, max(T - 1, 0)))) if return_dual else Y.copy()
    lam = np.broadcast_to(np.asarray(lam, dtype=float), (n,)).copy()[:, None]
    if start is None:
        DY = np.diff(Y, axis=1)
        start = _newton_direction(DY, np.ones(DY.shape, bool))
    V = np.minimum(np.maximum(start, -lam), lam)
    X = Y - _adjoint(V, T)
    # the rows not yet optimal, by the projected gradient
    grad = -np.diff(X, axis=1)  # of the dual objective 1/2 ||y - D^T v||^2
    tolerance = _KKT_RTOL * (np.abs(Y).max(axis=1) + lam[:, 0])
    todo = np.flatnonzero(_kkt(V, grad, lam) > tolerance)
    for _ in range(_MAX_NEWTON):
        if not len(todo):
            break
        v, x, g, y, b = V[todo], X[todo], grad[todo], Y[todo], lam[todo]
        v, x = _newton_step(v, x, g, y, b)
        g = -np.diff(x, axis=1)
        V[todo], X[todo], grad[todo] = v, x, g
        todo = todo[_kkt(v, g, b) > tolerance[todo]]
    if len(todo):
        X[todo] = tv_prox_condat(Y[todo], lam[todo, 0])
        V[todo] = -np.cumsum(Y[todo] - X[todo], axis=1)[:, :-1]  # D^T v = y - x
    return (X, V) if return_dual else X


def _kkt(V, grad, lam):
    """The largest entry of each row's projected gradient."""
    return np.abs(V - np.minimum(np.maximum(V - grad, -lam), lam)).max(axis=1)


def _newton_step(V, X, grad, Y, lam):
    """One projected Newton step with an Armijo search along the projection arc."""
    n, T = X.shape
    projected = V - np.minimum(np.maximum(V - grad, -lam), lam)
    # Bertsekas's epsilon-active set: near a bound with the gradient pushing out
    eps = np.minimum(1e-3 * lam, np.sqrt(np.einsum("ij,ij->i", projected, projected))[:, None])
    active = ((V >= lam - eps) & (grad < 0)) | ((V <= -lam + eps) & (grad > 0))
    active |= lam == 0
    direction = _newton_direction(grad, ~active)
    direction = np.where(active, 0.5 * grad, direction)  # a gradient step on those
    step = np.ones((n, 1))
    pending = np.ones(n, bool)
    V_new, X_new = V, X
    for _ in range(_MAX_HALVINGS):
        trial = np.minimum(np.maximum(V - step * direction, -lam), lam)
        change = _adjoint(trial - V, T)  # x - x_trial
        X_trial = X - change
        # the decrease of the dual objective 1/2 ||x||^2, from the change alone (no
        # cancellation of two large values near the optimum)
        decrease = np.einsum("ij,ij->i", change, X - 0.5 * change)
        predicted = np.where(active, grad * (V - trial), step * grad * direction).sum(axis=1)
        accept = pending & (decrease >= _ARMIJO * predicted)
        if accept.all():
            return trial, X_trial
        V_new = np.where(accept[:, None], trial, V_new)
        X_new = np.where(accept[:, None], X_trial, X_new)
        pending &= ~accept
        if not pending.any():
            break
        step = np.where(pending[:, None], 0.5 * step, step)
    return V_new, X_new


def tv_prox_condat(Y, lam):
    """As :func:`tv_prox`, by Condat's direct algorithm (IEEE SPL 2013) on every row
    at once: each pass of the loop advances each unfinished row by one step of its own
    scan (a few times the row length in all)."""
    Y = np.asarray(Y, dtype=float)
    n, T = Y.shape
    out = np.empty_like(Y)
    if T <= 1 or n == 0:  # nothing to fuse
        return Y.copy()
    lam = np.broadcast_to(np.asarray(lam, dtype=float), (n,)).copy()
    rows, cols = np.arange(n), np.arange(T)
    k = np.zeros(n, int)
    k0, kminus, kplus = k.copy(), k.copy(), k.copy()
    umin, umax = lam.copy(), -lam
    vmin, vmax = Y[:, 0] - lam, Y[:, 0] + lam
    done = np.zeros(n, bool)

    def write(mask, stop, value):
        """``out[i, k0_i..stop_i] = value_i`` for the rows in ``mask``."""
        segment = mask[:, None] & (cols >= k0[:, None]) & (cols <= stop[:, None])
        np.copyto(out, np.broadcast_to(value[:, None], out.shape), where=segment)

    while not done.all():
        end = ~done & (k == T - 1)
        # --- rows at the last sample: close a segment, or finish
        c1 = end & (umin < 0)
        c2 = end & ~c1 & (umax > 0)
        c3 = end & ~c1 & ~c2
        if c1.any():
            write(c1, kminus, vmin)
            k0 = np.where(c1, kminus + 1, k0)
            k = np.where(c1, k0, k)
            kminus = np.where(c1, k0, kminus)
            new = Y[rows, np.minimum(k, T - 1)]
            umax = np.where(c1, new + lam - vmax, umax)
            vmin = np.where(c1, new, vmin)
            umin = np.where(c1, lam, umin)
        if c2.any():
            write(c2, kplus, vmax)
            k0 = np.where(c2, kplus + 1, k0)
            k = np.where(c2, k0, k)
            kplus = np.where(c2, k0, kplus)
            new = Y[rows, np.minimum(k, T - 1)]
            umin = np.where(c2, new - lam - vmin, umin)
            vmax = np.where(c2, new, vmax)
            umax = np.where(c2, -lam, umax)
        if c3.any():
            vmin = np.where(c3, vmin + umin / (k - k0 + 1), vmin)
            write(c3, k, vmin)
            done |= c3
        # --- rows inside: take the next sample
        inner = ~done & ~end
        if not inner.any():
            continue
        nxt = Y[rows, np.minimum(k + 1, T - 1)]
        umin_new = umin + nxt - vmin
        n1 = inner & (umin_new < -lam)
        umax_new = umax + nxt - vmax
        n2 = inner & ~n1 & (umax_new > lam)
        n3 = inner & ~n1 & ~n2
        if n1.any():
            write(n1, kminus, vmin)
        if n2.any():
            write(n2, kplus, vmax)
        jump = n1 | n2
        start = np.where(n1, kminus + 1, kplus + 1)
        k0 = np.where(jump, start, k0)
        k = np.where(jump, k0, k)
        kminus = np.where(jump, k0, kminus)
        kplus = np.where(jump, k0, kplus)
        first = Y[rows, np.minimum(k, T - 1)]
        vmin = np.where(n1, first, np.where(n2, first - 2 * lam, vmin))
        vmax = np.where(n1, first + 2 * lam, np.where(n2, first, vmax))
        umin = np.where(jump, lam, np.where(n3, umin_new, umin))
        umax = np.where(jump, -lam, np.where(n3, umax_new, umax))
        # no jump: extend the segment, tightening its bounds
        k = np.where(n3, k + 1, k)
        low = n3 & (umin >= lam)
        vmin = np.where(low, vmin + (umin - lam) / (k - k0 + 1), vmin)
        kminus = np.where(low, k, kminus)
        umin = np.where(low, lam, umin)
        high = n3 & (umax <= -lam)
        vmax = np.where(high, vmax + (umax + lam) / (k - k0 + 1), vmax)
        kplus = np.where(high, k, kplus)
        umax = np.where(high, -lam, umax)
    return out
