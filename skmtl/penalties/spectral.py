"""Spectral task-relationship penalties: functions of the singular values of ``W``.

Both are the minimum over a learned task matrix of a quadratic penalty, which is
eliminated in closed form: clustered tasks (convex clustered MTL) and a
learned task covariance (MTRL).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import svds

from .._params import Params
from ._base import NormPenalty, Penalty

__all__ = [
    "ClusterPenalty",
    "ClusterNormPenalty",
    "SubspacePenalty",
    "TaskCovariancePenalty",
    "TraceNorm",
    "water_fill",
]


def water_fill(a, shift, total, low=0.0, high=1.0):
    """``x_i = clip(a_i * tau - shift, low, high)`` with ``sum x = total`` (``a >= 0``).

    ``sum x`` is non-decreasing in ``tau``; where ``total`` cannot be reached with
    finite ``tau`` (too few positive ``a``), the entries with ``a_i = 0`` take the
    remainder equally.
    """
    a = np.asarray(a, float)
    # entries that reach a bound only at a tau past the float range count as zero
    a = np.where(a > 1e-300 * (abs(low) + abs(high) + abs(shift)), a, 0.0)  # no overflow
    positive = a[a > 0]
    # the zero entries (most of a padded spectrum) all sit at one value: counted, not
    # broadcast (a 65-task Exam fold of ClusteredRegressorCV: 34 -> 26 us a call)
    n_zero = len(a) - len(positive)
    at_zero = min(max(-shift, low), high)
    if high * len(positive) + at_zero * n_zero <= total:
        x = np.where(a > 0, high, low)
        if n_zero:
            x[a <= 0] = min(max((total - high * len(positive)) / n_zero, low), high)
        return x
    # sum x is piecewise linear in tau, with breakpoints where an entry meets a bound:
    # evaluate it at every breakpoint (one broadcast), then interpolate in the segment
    taus = np.unique(np.concatenate([(low + shift) / positive, (high + shift) / positive]))
    sums = np.clip(np.outer(taus, positive) - shift, low, high).sum(axis=1) + n_zero * at_zero
    k = int(np.searchsorted(sums, total))  # first breakpoint reaching the total
    if k == 0 or sums[k] == sums[k - 1]:
        tau = taus[k]
    else:
        tau = taus[k - 1] + (total - sums[k - 1]) * (taus[k] - taus[k - 1]) / (
            sums[k] - sums[k - 1]
        )
    x = np.clip(a * tau - shift, low, high)
    # put the remaining round-off on the free entries, to make sum x = total exact
    free = (x > low) & (x < high)
    if free.any():
        x[free] += (total - x.sum()) / free.sum()
    return x


def _last_true(condition):
    """Number of leading entries up to the last True one (0 if none)."""
    hits = np.flatnonzero(condition)
    return hits[-1] + 1 if len(hits) else 0


class ClusterPenalty(Params, Penalty):
    """Convex clustered MTL (Zhou, Chen & Ye 2011):
    ``c * min_M tr(W (eta I + M)^{-1} W^T)`` over ``{tr M = k, 0 <= M <= I}``.

    ``c = rho1 * eta * (1 + eta)`` and ``eta = rho2 / rho1``, so that for a hard
    clustering ``M = F F^T`` the penalty is ``rho1 * (k-means within-cluster spread
    of the task columns) + rho2 * ||W||_F^2``. The value depends on the singular
    values of ``W`` only, water-filled against ``k``.
    """

    #: axis of ``W`` that ``M`` acts on: 1 for tasks (T x T), 0 for features (d x d)
    axis = 1

    @property
    def task_axis(self):
        return self.axis == 1

    def __init__(self, rho1=1.0, rho2=1.0, n_clusters=2):
        self.rho1, self.rho2, self.n_clusters = float(rho1), float(rho2), n_clusters
        self.eta = self.rho2 / self.rho1
        self.c = self.rho1 * self.eta * (1.0 + self.eta)

    def spectrum(self, W):
        """The optimal ``M`` for ``W`` as ``(gamma, Q, rest)``: ``M = Q diag(gamma) Q^T
        + rest (I - Q Q^T)``, ``Q`` the singular vectors of ``W``'s thin SVD on the
        side of ``M`` (every direction beyond ``W``'s rank takes one value,
        ``rest``): O(d T min(d, T)), where the full SVD's T x T basis took O(T^3)
        (3000 tasks of 5 features: 2.4 s)."""
        U, sigma, Vt = thin_svd(W)
        Q = Vt.T if self.axis == 1 else U
        n = W.shape[self.axis]
        gamma = water_fill(_padded(sigma, n), self.eta, self.n_clusters)
        return gamma[: Q.shape[1]], Q, float(gamma[-1]) if n > Q.shape[1] else 0.0

    def task_matrix(self, W, spectrum=None):
        """The optimal ``M`` for ``W`` (from its :meth:`spectrum` if given)."""
        gamma, Q, rest = self.spectrum(W) if spectrum is None else spectrum
        M = (Q * (gamma - rest)) @ Q.T
        M[np.diag_indices_from(M)] += rest
        return M

    def value(self, W):
        sigma = _padded_singular_values(W, W.shape[self.axis])
        gamma = water_fill(sigma, self.eta, self.n_clusters)
        return self.c * float(np.sum(sigma**2 / (self.eta + gamma)))

    def prox(self, V, step):
        U, sigma, Vt = thin_svd(V)
        a = self.c * step
        padded = _padded(sigma, V.shape[self.axis])  # the same SVD's values
        gamma = water_fill(padded, self.eta + 2 * a, self.n_clusters)[: len(sigma)]
        shrunk = sigma * (self.eta + gamma) / (self.eta + gamma + 2 * a)
        return (U * shrunk) @ Vt

    def conjugate(self, G):
        sigma = _padded_singular_values(G, G.shape[self.axis])
        k = self.n_clusters
        whole = int(np.floor(k))
        top = np.sum(sigma[:whole] ** 2)
        if whole < len(sigma):
            top += (k - whole) * sigma[whole] ** 2
        return (self.eta * float(np.sum(sigma**2)) + top) / (4.0 * self.c)

    def cvxpy_terms(self, W):
        import cvxpy as cp

        n = W.shape[self.axis]
        M = cp.Variable((n, n), symmetric=True)
        constraints = [cp.trace(M) == self.n_clusters, M >> 0, np.eye(n) - M >> 0]
        A = W.T if self.axis == 1 else W
        return self.c * cp.matrix_frac(A, self.eta * np.eye(n) + M), constraints


class SubspacePenalty(ClusterPenalty):
    """Convex alternating structure optimization (cASO; Chen et al. 2009):
    ``c * min_M tr(W^T (eta I + M)^{-1} W)`` over ``{tr M = h, 0 <= M <= I}``, ``M``
    d x d: the task models lie close to an ``h``-dimensional shared subspace.
    ``c = alpha * eta * (1 + eta)``, ``eta = beta / alpha``.
    """

    axis = 0

    def __init__(self, alpha=1.0, beta=1.0, n_components=2):
        super().__init__(alpha, beta, n_components)
        self.alpha, self.beta, self.n_components = self.rho1, self.rho2, n_components


def thin_svd(A):
    """``np.linalg.svd(A, full_matrices=False)``, computed on the transpose of a wide
    ``A``: LAPACK is faster on tall matrices (27 x 139: 270 us wide, 210 us tall).
    A single row or column (one feature, or one task) is its norm times its
    direction (radon's one feature, 85 tasks: 4 against 30 us)."""
    if min(A.shape) == 1:
        return _vector_svd(A)
    if A.shape[0] >= A.shape[1]:
        return np.linalg.svd(A, full_matrices=False)
    U, sigma, Vt = np.linalg.svd(A.T, full_matrices=False)
    return Vt.T, sigma, U.T


#: :func:`_shrink_by_gram` serves thresholds from this fraction of the largest
#: singular value: the eigenvalues of the Gram matrix hold ``sigma_i`` to about a
#: relative ``eps (sigma_1 / sigma_i)^2``, 2e-10 at most for the values kept
_GRAM_RANGE = 1e-3


def _shrink_by_gram(V, threshold):
    """Singular value soft-thresholding of ``V`` at ``threshold`` (``U diag((sigma -
    threshold)_+) W^T``) as ``V Q diag((1 - threshold / sigma)_+) Q^T``, from the
    eigendecomposition ``Q`` of the Gram matrix of ``V``'s short side (of ``V`` over
    its largest entry: no underflow or overflow): no left singular vectors (27 x 20:
    37 against 54 us by the SVD; 27 x 139: 69 against 119 us). None when
    ``threshold`` is below ``_GRAM_RANGE`` times the largest singular value, where
    the small values kept would lose their accuracy, or when ``V`` is not finite."""
    scale = float(np.abs(V).max())
    if scale == 0:
        return np.zeros_like(V)
    if not np.isfinite(scale):
        return None
    tall = V.shape[0] >= V.shape[1]
    A = (V if tall else V.T) / scale
    threshold = threshold / scale
    lam, Q = np.linalg.eigh(A.T @ A)
    if not threshold >= _GRAM_RANGE * np.sqrt(max(lam[-1], 0.0)):
        return None
    sigma = np.sqrt(np.maximum(lam, 0.0))
    keep = sigma > threshold
    Q = Q[:, keep]
    shrunk = ((A @ Q) * (scale - scale * threshold / sigma[keep])) @ Q.T
    return shrunk if tall else shrunk.T


def _vector_svd(A):
    """The thin SVD of a matrix of one row or one column: ``A = u norm v^T`` (for
    the zero matrix, any unit vector)."""
    a = A.ravel()
    norm = float(np.sqrt(a @ a))
    direction = a / norm if norm > 0 else np.eye(len(a))[0]
    if A.shape[0] == 1:
        return np.ones((1, 1)), np.array([norm]), direction[None, :]
    return direction[:, None], np.array([norm]), np.ones((1, 1))


def singular_values(A):
    """The singular values of ``A``, decreasing, computed on its tall orientation
    (27 x 139: 120 us wide, 90 us tall); a single row or column's is its norm."""
    if min(A.shape) == 1:
        return _vector_svd(A)[1]
    return np.linalg.svd(A.T if A.shape[0] < A.shape[1] else A, compute_uv=False)


def _padded_singular_values(W, n):
    """The singular values of ``W``, zero-padded (or cut) to ``n`` entries."""
    return _padded(singular_values(W), n)


def _padded(sigma, n):
    """Singular values ``sigma`` zero-padded (or cut) to ``n`` entries."""
    sigma = sigma[:n]
    return np.concatenate([sigma, np.zeros(n - len(sigma))])


class TaskCovariancePenalty(Params, Penalty):
    """MTRL (Zhang & Yeung 2010) with the task covariance eliminated:
    ``alpha / 2 * ||W||_*^2 + beta / 2 * ||W||_F^2``
    ``= min_{Omega >= 0, tr Omega = 1} alpha / 2 tr(W Omega^{-1} W^T) + beta / 2 ||W||_F^2``.
    """

    task_axis = True  # Omega is T x T

    def __init__(self, alpha=1.0, beta=1.0):
        self.alpha, self.beta = float(alpha), float(beta)

    @staticmethod
    def task_covariance(W):
        """The optimal ``Omega = (W^T W)^{1/2} / tr (W^T W)^{1/2}`` (T x T)."""
        _, sigma, Vt = thin_svd(W)
        root = (Vt.T * sigma) @ Vt
        trace = sigma.sum()
        return root / trace if trace > 0 else np.eye(W.shape[1]) / W.shape[1]

    def value(self, W):
        sigma = singular_values(W)
        return 0.5 * (self.alpha * sigma.sum() ** 2 + self.beta * float(np.sum(sigma**2)))

    def prox(self, V, step):
        U, sigma, Vt = thin_svd(V)
        sigma = sigma / (1.0 + step * self.beta)
        gamma = step * self.alpha / (2.0 * (1.0 + step * self.beta))
        # prox of gamma * (sum x)^2 on sorted x >= 0: x - tau_k on the k largest
        k = np.arange(1, len(sigma) + 1)
        tau = 2 * gamma * np.cumsum(sigma) / (1 + 2 * gamma * k)
        active = _last_true(sigma > tau)
        shrunk = np.maximum(sigma - (tau[active - 1] if active else 0.0), 0.0)
        return (U * shrunk) @ Vt

    def conjugate(self, G):
        g = singular_values(G)
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

        return 0.5 * (self.alpha * cp.square(cp.normNuc(W)) + self.beta * cp.sum_squares(W))


class ClusterNormPenalty(Params, Penalty):
    """The convex cluster norm of Jacob, Bach & Vert (2008):
    ``eps_mean * T ||w_bar||^2 + min_{Sigma in S_c} tr(W Pi Sigma^{-1} Pi W^T)``.

    ``Pi = I - 11^T/T`` removes the mean task; ``S_c = {a I <= Sigma <= b I,
    tr Sigma = (T - r + 1) a + (r - 1) b}`` with ``a = 1/eps_within``,
    ``b = 1/eps_between`` relaxes the hard clusterings into ``r`` clusters, for
    which the penalty is ``eps_mean * mean + eps_between * between-cluster +
    eps_within * within-cluster`` spread of the task models.

    The direction of the mean task takes ``Sigma``'s smallest value ``a``; the other
    ``T - 1`` eigenvalues are water-filled. The conjugate (derived for this library:
    ``sup`` over ``Sigma`` of ``tr(H Sigma H^T) / 4``, the mean part separately) is
    ``||G 1||^2 / (4 T eps_mean) + (b sum_{i<r} h_i^2 + a sum_{i>=r} h_i^2) / 4``
    with ``h`` the singular values of ``G Pi``.
    """

    task_axis = True

    def __init__(self, eps_mean=1.0, eps_between=1.0, eps_within=2.0, n_clusters=2):
        self.eps_mean, self.eps_between = float(eps_mean), float(eps_between)
        self.eps_within, self.n_clusters = float(eps_within), int(n_clusters)
        self.low, self.high = 1.0 / self.eps_within, 1.0 / self.eps_between

    def _budget(self, T):
        """Sum of the T - 1 eigenvalues of Sigma off the mean direction."""
        return (T - self.n_clusters) * self.low + (self.n_clusters - 1) * self.high

    @staticmethod
    def _split(W):
        """Mean part ``W 1 / T`` (d,) and the centred part's SVD on ``1^perp``."""
        mean = W.mean(axis=1)
        U, sigma, Vt = thin_svd(W - mean[:, None])
        k = min(W.shape[0], W.shape[1] - 1)  # drop the structural zero along 1
        return mean, U[:, :k], sigma[:k], Vt[:k]

    def _fill(self, sigma, T, shift):
        padded = np.concatenate([sigma, np.zeros(T - 1 - len(sigma))])
        return water_fill(padded, shift, self._budget(T), self.low, self.high)

    def task_matrix(self, W):
        """The optimal ``Sigma`` (T x T)."""
        T = W.shape[1]
        _, _, sigma, Vt = self._split(W)
        lam = self._fill(sigma, T, 0.0)
        k = len(sigma)
        rest = lam[k] if k < T - 1 else 0.0  # every direction with sigma = 0 alike
        centred = np.eye(T) - 1.0 / T
        return (
            (Vt.T * (lam[:k] - rest)) @ Vt + rest * centred + self.low * (np.full((T, T), 1.0 / T))
        )

    def value(self, W):
        T = W.shape[1]
        mean, _, sigma, _ = self._split(W)
        lam = self._fill(sigma, T, 0.0)[: len(sigma)]
        return self.eps_mean * T * float(mean @ mean) + float(np.sum(sigma**2 / lam))

    def prox(self, V, step):
        T = V.shape[1]
        mean, U, sigma, Vt = self._split(V)
        lam = self._fill(sigma, T, 2.0 * step)[: len(sigma)]
        shrunk = sigma * lam / (lam + 2.0 * step)
        return (U * shrunk) @ Vt + (mean / (1.0 + 2.0 * step * self.eps_mean))[:, None]

    def conjugate(self, G):
        T = G.shape[1]
        g1 = G.sum(axis=1)
        _, _, h, _ = self._split(G)
        h2 = np.concatenate([h**2, np.zeros(T - 1 - len(h))])
        r = self.n_clusters - 1
        spread = self.high * h2[:r].sum() + self.low * h2[r:].sum()
        return float(g1 @ g1) / (4.0 * T * self.eps_mean) + spread / 4.0

    def cvxpy_terms(self, W):
        import cvxpy as cp

        T = W.shape[1]
        Sigma = cp.Variable((T, T), symmetric=True)
        total = self._budget(T) + self.low
        constraints = [
            cp.trace(Sigma) == total,
            Sigma >> self.low * np.eye(T),
            self.high * np.eye(T) - Sigma >> 0,
        ]
        Pi = np.eye(T) - 1.0 / T
        mean_term = self.eps_mean * cp.sum_squares(W @ np.ones(T)) / T
        return mean_term + cp.matrix_frac(Pi @ W.T, Sigma), constraints


class TraceNorm(NormPenalty):
    """``alpha * ||W||_*`` (sum of singular values): the task models share a
    low-dimensional subspace (Ji & Ye 2009).

    Prox: singular value soft-thresholding, from the eigendecomposition of the
    Gram matrix of the short side where the threshold is at least 1e-3 of the
    largest singular value (else by the SVD), through a partial SVD first on large
    matrices (most proxes keep few singular values). Dual norm: the largest
    singular value.
    """

    #: try a partial SVD of this many singular values first (the full SVD follows
    #: when they are all above the threshold) ...
    _PARTIAL_RANK = 20
    #: ... when min(d, T) is at least this: below it LAPACK's full SVD is faster than
    #: ARPACK (measured: d=2000, T=200, rank 5: full 2.0 s, partial 2.8 s per fit;
    #: benchmarks/results/low_rank.md)
    _PARTIAL_MIN_SIZE = 1000

    def norm(self, W):
        return float(singular_values(W).sum())

    def dual_norm(self, G):
        return float(singular_values(G)[0]) if G.size else 0.0

    def prox(self, V, step):
        threshold = step * self.alpha
        if 1 < min(V.shape) < self._PARTIAL_MIN_SIZE:
            shrunk = _shrink_by_gram(V, threshold)
            if shrunk is not None:
                return shrunk
        U, sigma, Vt = self._top_svd(V, threshold)
        keep = sigma > threshold
        return (U[:, keep] * (sigma[keep] - threshold)) @ Vt[keep]

    def _top_svd(self, V, threshold):
        """An SVD holding every singular value above ``threshold``."""
        n = min(V.shape)
        if n >= self._PARTIAL_MIN_SIZE:
            U, sigma, Vt = svds(V, k=self._PARTIAL_RANK, random_state=0)
            if sigma.min() <= threshold:  # every value above it was found
                order = np.argsort(sigma)[::-1]
                return U[:, order], sigma[order], Vt[order]
        return thin_svd(V)

    def cvxpy_norm(self, W):
        import cvxpy as cp

        return cp.normNuc(W)
