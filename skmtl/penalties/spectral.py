"""Spectral task-relationship penalties: functions of the singular values of ``W``.

Both are the minimum over a learned task matrix of a quadratic penalty, which is
eliminated in closed form: clustered tasks (convex clustered MTL, spec 3.2) and a
learned task covariance (MTRL, spec 5).
"""

from __future__ import annotations

import numpy as np

from ._base import Penalty

__all__ = ["ClusterPenalty", "TaskCovariancePenalty", "water_fill"]


def _singular_values(W, n):
    """The ``n`` singular values of ``W`` (d x n), zero-padded when ``d < n``."""
    s = np.linalg.svd(W, compute_uv=False)
    return np.concatenate([s, np.zeros(n - len(s))])


def water_fill(a, shift, total, low=0.0, high=1.0):
    """``x_i = clip(a_i * tau - shift, low, high)`` with ``sum x = total`` (``a >= 0``).

    ``sum x`` is non-decreasing in ``tau``; where ``total`` cannot be reached with
    finite ``tau`` (too few positive ``a``), the entries with ``a_i = 0`` take the
    remainder equally.
    """
    a = np.asarray(a, float)
    reachable = np.sum(np.where(a > 0, high, np.clip(-shift, low, high)))
    if reachable <= total:
        x = np.where(a > 0, high, low)
        zeros = a <= 0
        if zeros.any():
            x[zeros] = np.clip((total - high * np.count_nonzero(~zeros)) / zeros.sum(),
                               low, high)
        return x
    lo, hi = 0.0, 1.0
    while np.sum(np.clip(a * hi - shift, low, high)) < total:
        hi *= 2.0
    for _ in range(200):  # bisection to machine precision
        mid = 0.5 * (lo + hi)
        if np.sum(np.clip(a * mid - shift, low, high)) < total:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-16 * hi:
            break
    x = np.clip(a * hi - shift, low, high)
    # put the remaining round-off on the free entries, to make sum x = total exact
    free = (x > low) & (x < high)
    if free.any():
        x[free] += (total - x.sum()) / free.sum()
    return x


def _last_true(condition):
    """Number of leading entries up to the last True one (0 if none)."""
    hits = np.flatnonzero(condition)
    return hits[-1] + 1 if len(hits) else 0


class ClusterPenalty(Penalty):
    """Convex clustered MTL (Zhou, Chen & Ye 2011):
    ``c * min_M tr(W (eta I + M)^{-1} W^T)`` over ``{tr M = k, 0 <= M <= I}``.

    ``c = rho1 * eta * (1 + eta)`` and ``eta = rho2 / rho1``, so that for a hard
    clustering ``M = F F^T`` the penalty is ``rho1 * (k-means within-cluster spread
    of the task columns) + rho2 * ||W||_F^2``.
    """

    def __init__(self, rho1=1.0, rho2=1.0, n_clusters=2):
        self.rho1, self.rho2, self.n_clusters = float(rho1), float(rho2), n_clusters
        self.eta = self.rho2 / self.rho1
        self.c = self.rho1 * self.eta * (1.0 + self.eta)

    def task_matrix(self, W):
        """The optimal ``M`` for ``W`` (T x T): ``Q diag(gamma) Q^T``."""
        _, sigma, Vt = np.linalg.svd(W, full_matrices=True)
        sigma = np.concatenate([sigma, np.zeros(W.shape[1] - len(sigma))])
        gamma = water_fill(sigma, self.eta, self.n_clusters)
        return (Vt.T * gamma) @ Vt

    def value(self, W):
        sigma = _singular_values(W, W.shape[1])
        gamma = water_fill(sigma, self.eta, self.n_clusters)
        return self.c * float(np.sum(sigma**2 / (self.eta + gamma)))

    def prox(self, V, step):
        U, sigma, Vt = np.linalg.svd(V, full_matrices=False)
        a = self.c * step
        padded = np.concatenate([sigma, np.zeros(V.shape[1] - len(sigma))])
        gamma = water_fill(padded, self.eta + 2 * a, self.n_clusters)[: len(sigma)]
        shrunk = sigma * (self.eta + gamma) / (self.eta + gamma + 2 * a)
        return (U * shrunk) @ Vt

    def conjugate(self, G):
        sigma = _singular_values(G, G.shape[1])
        k = self.n_clusters
        whole = int(np.floor(k))
        top = np.sum(sigma[:whole] ** 2)
        if whole < len(sigma):
            top += (k - whole) * sigma[whole] ** 2
        return (self.eta * float(np.sum(sigma**2)) + top) / (4.0 * self.c)

    def cvxpy_terms(self, W):
        import cvxpy as cp

        T = W.shape[1]
        M = cp.Variable((T, T), symmetric=True)
        constraints = [cp.trace(M) == self.n_clusters, M >> 0, np.eye(T) - M >> 0]
        return self.c * cp.matrix_frac(W.T, self.eta * np.eye(T) + M), constraints


class TaskCovariancePenalty(Penalty):
    """MTRL (Zhang & Yeung 2010) with the task covariance eliminated:
    ``alpha / 2 * ||W||_*^2 + beta / 2 * ||W||_F^2``
    ``= min_{Omega >= 0, tr Omega = 1} alpha / 2 tr(W Omega^{-1} W^T) + beta / 2 ||W||_F^2``.
    """

    def __init__(self, alpha=1.0, beta=1.0):
        self.alpha, self.beta = float(alpha), float(beta)

    @staticmethod
    def task_covariance(W):
        """The optimal ``Omega = (W^T W)^{1/2} / tr (W^T W)^{1/2}`` (T x T)."""
        _, sigma, Vt = np.linalg.svd(W, full_matrices=False)
        root = (Vt.T * sigma) @ Vt
        trace = sigma.sum()
        return root / trace if trace > 0 else np.eye(W.shape[1]) / W.shape[1]

    def value(self, W):
        sigma = np.linalg.svd(W, compute_uv=False)
        return 0.5 * (self.alpha * sigma.sum() ** 2 + self.beta * float(np.sum(sigma**2)))

    def prox(self, V, step):
        U, sigma, Vt = np.linalg.svd(V, full_matrices=False)
        sigma = sigma / (1.0 + step * self.beta)
        gamma = step * self.alpha / (2.0 * (1.0 + step * self.beta))
        # prox of gamma * (sum x)^2 on sorted x >= 0: x - tau_k on the k largest
        k = np.arange(1, len(sigma) + 1)
        tau = 2 * gamma * np.cumsum(sigma) / (1 + 2 * gamma * k)
        active = _last_true(sigma > tau)
        shrunk = np.maximum(sigma - (tau[active - 1] if active else 0.0), 0.0)
        return (U * shrunk) @ Vt

    def conjugate(self, G):
        g = np.linalg.svd(G, compute_uv=False)
        if self.beta == 0:
            return g[0] ** 2 / (2 * self.alpha) if len(g) else 0.0
        k = np.arange(1, len(g) + 1)
        total = np.cumsum(g) / (self.beta + k * self.alpha)  # sum x for k active
        active = _last_true(g > self.alpha * total)
        X = total[active - 1] if active else 0.0
        x = np.maximum(g - self.alpha * X, 0.0) / self.beta
        return float(g @ x - 0.5 * self.beta * x @ x - 0.5 * self.alpha * x.sum() ** 2)

    def cvxpy(self, W):
        import cvxpy as cp

        return 0.5 * (self.alpha * cp.square(cp.normNuc(W))
                      + self.beta * cp.sum_squares(W))
