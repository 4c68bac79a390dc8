"""Quadratic task-coupling penalties ``tr(W M W^T)``.

``M`` (T x T, positive definite) says how tasks pull on each other: towards their
mean, or along the edges of a task graph. The prox is a linear map on the task
axis, the conjugate is ``tr(G M^{-1} G^T) / 4``.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp

from .._params import Params
from ._base import Penalty

__all__ = ["QuadraticPenalty", "MeanPenalty", "GraphPenalty", "mean_matrix", "laplacian"]


class QuadraticPenalty(Penalty):
    """``tr(W M W^T) = sum_k lambda_k ||W q_k||^2`` for a positive definite ``M``."""

    quadratic = True
    task_axis = True  # M is T x T

    def __init__(self, M, eigh=None, allow_singular=False):
        M = np.asarray(M, dtype=float)
        self.M = 0.5 * (M + M.T)
        # ``eigh``: the eigendecomposition when it is known (it costs O(T^3) otherwise,
        # and paths build a penalty at every strength)
        self._eigvals, self._eigvecs = np.linalg.eigh(self.M) if eigh is None else eigh
        if allow_singular:  # positive semidefinite: round-off below zero is zero
            self._eigvals = np.maximum(self._eigvals, 0.0)
        elif self._eigvals[0] <= 0:
            raise ValueError(
                "The task coupling matrix must be positive definite; add a ridge term (beta > 0)."
            )

    def value(self, W):
        return float(np.sum((W @ self._eigvecs) ** 2 * self._eigvals))

    def gradient(self, W):
        return 2.0 * W @ self.M

    def lipschitz(self):
        """The Lipschitz constant of the gradient, ``2 lambda_max(M)``."""
        return 2.0 * float(self._eigvals[-1])

    def prox(self, V, step):
        Q = self._eigvecs
        return ((V @ Q) / (1.0 + 2.0 * step * self._eigvals)) @ Q.T

    def conjugate(self, G):
        return float(np.sum((G @ self._eigvecs) ** 2 / self._eigvals)) / 4.0

    def cvxpy(self, W):
        import cvxpy as cp

        return cp.sum_squares(W @ (self._eigvecs * np.sqrt(self._eigvals)))


def mean_matrix(n_tasks, alpha, beta):
    """``M`` with ``tr(W M W^T) = alpha sum_t ||w_t - w_bar||^2 + beta ||w_bar||^2``."""
    J = np.full((n_tasks, n_tasks), 1.0 / n_tasks)
    return alpha * (np.eye(n_tasks) - J) + beta / n_tasks * J


def laplacian(adjacency):
    """Graph Laplacian ``D - A`` of a symmetric, non-negative adjacency matrix."""
    A = adjacency.toarray() if sp.issparse(adjacency) else np.asarray(adjacency, float)
    return np.diag(A.sum(axis=1)) - A


class MeanPenalty(Params, QuadraticPenalty):
    """``alpha * sum_t ||w_t - w_bar||^2 + beta * ||w_bar||^2`` (Evgeniou & Pontil).

    ``M`` has the eigenvalue ``beta / T`` on the mean direction and ``alpha`` on its
    complement, so every method works on the mean ``w_bar`` and the deviations
    ``W - w_bar 1^T``: O(d T), where a T x T basis took O(d T^2) time and O(T^2)
    memory (16000 tasks of 4 samples: 8 GB)."""

    def __init__(self, n_tasks, alpha=1.0, beta=1.0, allow_singular=False):
        self.alpha, self.beta, self.n_tasks = float(alpha), float(beta), int(n_tasks)
        self.allow_singular = allow_singular  # (beside a norm: zero strengths allowed)
        # (one task has no deviations: alpha plays no part)
        if allow_singular:
            if min(self.alpha, self.beta) < 0:
                raise ValueError("The task coupling matrix must be positive semidefinite.")
        elif self.beta <= 0 or (self.alpha <= 0 and self.n_tasks > 1):
            raise ValueError(
                "The task coupling matrix must be positive definite; add a ridge term (beta > 0)."
            )

    @functools.cached_property
    def M(self):
        """The T x T matrix, built only when asked for (dense linear systems)."""
        return mean_matrix(self.n_tasks, self.alpha, self.beta)

    def _split(self, W):
        """``(mean, deviations)`` of ``W``'s task columns: ``(d, 1)`` and ``(d, T)``."""
        mean = W.mean(axis=1, keepdims=True)
        return mean, W - mean

    def _scaled(self, W, on_mean, on_deviations):
        mean, deviations = self._split(W)
        return on_deviations * deviations + on_mean * mean

    def value(self, W):
        mean, deviations = self._split(W)
        return float(self.alpha * np.sum(deviations**2) + self.beta * np.sum(mean**2))

    def gradient(self, W):
        return self._scaled(W, 2.0 * self.beta / self.n_tasks, 2.0 * self.alpha)

    def lipschitz(self):
        on_mean = self.beta / self.n_tasks
        return 2.0 * (max(self.alpha, on_mean) if self.n_tasks > 1 else on_mean)

    def prox(self, V, step):
        on_mean = 1.0 / (1.0 + 2.0 * step * self.beta / self.n_tasks)
        return self._scaled(V, on_mean, 1.0 / (1.0 + 2.0 * step * self.alpha))

    def conjugate(self, G):
        mean, deviations = self._split(G)  # (one task: deviations exactly zero)
        on_mean = _over_strength(self.n_tasks**2 * np.sum(mean**2), self.beta)
        return float(_over_strength(np.sum(deviations**2), self.alpha) + on_mean) / 4

    def cvxpy(self, W):
        import cvxpy as cp

        mean = cp.sum(W, axis=1, keepdims=True) / W.shape[1]
        return self.alpha * cp.sum_squares(W - mean) + self.beta * cp.sum_squares(mean)


def _over_strength(part, strength):
    """``part / strength``; for a zero strength, 0 if ``part`` is 0, else infinite
    (the conjugate of a direction the quadratic does not penalize)."""
    if strength > 0:
        return part / strength
    return 0.0 if part == 0 else np.inf


class GraphPenalty(Params, QuadraticPenalty):
    """``alpha * sum_{s<t} a_st ||w_s - w_t||^2 + beta * ||W||_F^2`` on a task graph."""

    def __init__(self, adjacency, alpha=1.0, beta=1.0, allow_singular=False):
        self.adjacency, self.allow_singular = adjacency, allow_singular
        self.alpha, self.beta = float(alpha), float(beta)
        L = laplacian(adjacency)
        values, vectors = _laplacian_eigh(L.tobytes(), L.shape[0])  # shared along paths
        eigh = (self.alpha * values + self.beta, vectors)
        M = self.alpha * L + self.beta * np.eye(L.shape[0])
        super().__init__(M, eigh, allow_singular=allow_singular)


@functools.lru_cache(maxsize=8)
def _laplacian_eigh(buffer, n_tasks):
    """The eigendecomposition of a Laplacian (given by its bytes), which every
    strength of a path shares; read-only arrays."""
    L = np.frombuffer(buffer).reshape(n_tasks, n_tasks)
    values, vectors = np.linalg.eigh(L)
    values.flags.writeable = vectors.flags.writeable = False
    return values, vectors
