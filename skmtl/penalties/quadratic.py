"""Quadratic task-coupling penalties ``tr(W M W^T)``.

``M`` (T x T, positive definite) says how tasks pull on each other: towards their
mean, or along the edges of a task graph. The prox is a linear map on the task
axis, the conjugate is ``tr(G M^{-1} G^T) / 4``.
"""

from __future__ import annotations

import functools

import numpy as np
import scipy.sparse as sp
from scipy.linalg import helmert

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
    """``alpha * sum_t ||w_t - w_bar||^2 + beta * ||w_bar||^2`` (Evgeniou & Pontil)."""

    def __init__(self, n_tasks, alpha=1.0, beta=1.0):
        self.alpha, self.beta, self.n_tasks = float(alpha), float(beta), int(n_tasks)
        T = self.n_tasks
        # eigenvalues beta / T (the mean direction) and alpha (its complement); the
        # Helmert matrix is an orthonormal basis whose first vector is the mean's
        self._eigvals = np.full(T, self.alpha)
        self._eigvals[0] = self.beta / T
        self._eigvecs = _mean_basis(T)
        if self.alpha < self.beta / T:  # in increasing order, as eigh's
            self._eigvals = np.roll(self._eigvals, -1)
            self._eigvecs = np.roll(self._eigvecs, -1, axis=1)
        if self._eigvals[0] <= 0:
            raise ValueError(
                "The task coupling matrix must be positive definite; add a ridge term (beta > 0)."
            )

    @functools.cached_property
    def M(self):
        """Built when asked for: the eigendecomposition serves the prox, the value
        and the conjugate, and a path builds a penalty at every strength."""
        return mean_matrix(self.n_tasks, self.alpha, self.beta)


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


@functools.lru_cache(maxsize=8)
def _mean_basis(n_tasks):
    """The transposed Helmert matrix, which every strength of a path shares; read-only."""
    basis = helmert(n_tasks, full=True).T
    basis.flags.writeable = False
    return basis
