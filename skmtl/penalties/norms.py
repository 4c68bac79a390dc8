"""Norm penalties on the rows of ``W`` (d x T): joint sparsity across tasks.

Each penalty is ``alpha * Omega(W)`` with ``Omega`` a norm. It gives its value,
its proximal operator, the dual norm (for the duality gap and ``alpha_max``) and
a cvxpy expression for the reference solver.
"""

from __future__ import annotations

import numpy as np

from ._base import NormPenalty, RowNormPenalty

__all__ = ["L1", "L21", "L1Linf", "SparseGroupNorm", "ColumnL21"]


def _row_norms(W, ord):
    if ord == 2:
        return np.sqrt(np.einsum("ij,ij->i", W, W))
    if ord == 1:
        return np.abs(W).sum(axis=1)
    return np.abs(W).max(axis=1, initial=0.0)


def soft_threshold(V, threshold):
    """Entrywise ``sign(V) * max(|V| - threshold, 0)``."""
    return np.sign(V) * np.maximum(np.abs(V) - threshold, 0.0)


def block_soft_threshold(V, threshold):
    """Row-wise ``max(0, 1 - threshold / ||V_j||_2) * V_j``."""
    norms = _row_norms(V, 2)
    shrink = np.maximum(norms - threshold, 0.0)  # then / norm; a zero row stays zero
    np.divide(shrink, norms, out=shrink, where=norms > 0)
    return V * shrink[:, None]


def diagonal_block_soft_threshold(V, curvature, alpha):
    """Row-wise ``argmin_w sum_t c_t (w_t - v_t)^2 / 2 + alpha ||w||_2`` (``c > 0``,
    broadcast against ``V``): the prox of the L2 norm in the metric ``diag(c)``.

    The minimiser is ``w = p(mu) = c v / (c + mu)``, zero when ``||c v|| <= alpha``,
    else with the ``mu > 0`` where ``phi(mu) = 1 / ||p(mu)|| - mu / alpha`` vanishes.
    ``1 / ||p||`` is concave in ``mu`` (linear when the ``c_t`` are equal: then one
    step gives the plain block soft-threshold), so Newton's iterates from the right
    of the root, ``alpha c_max / (||c v|| - alpha)``, decrease to it without
    overshooting (as in Moré and Sorensen's trust-region solves); all rows at once.
    """
    c = np.broadcast_to(curvature, V.shape)
    a = c * V
    norms = _row_norms(a, 2)
    out = np.zeros_like(a)
    rows = np.flatnonzero(norms > alpha)
    if len(rows) == 0:
        return out
    a, c = a[rows], c[rows]
    mu = alpha * c.max(axis=1) / (norms[rows] - alpha)
    for _ in range(100):
        denominator = c + mu[:, None]
        p = a / denominator
        squares = np.einsum("ij,ij->i", p, p)
        size = np.sqrt(squares)
        phi = 1.0 / size - mu / alpha  # <= 0 (to round-off) right of the root
        slope = np.einsum("ij,ij->i", p, p / denominator) / (size * squares) - 1.0 / alpha
        step = phi / slope  # >= 0: mu decreases
        mu = mu - step
        if np.all(step <= 1e-15 * mu):
            break
    out[rows] = a / (c + mu[:, None])
    return out


def linf_prox(V, threshold):
    """Row-wise prox of ``threshold * ||.||_inf``.

    By Moreau, ``V - Proj_{l1 ball}(V)`` row-wise, and the projection onto the l1
    ball of radius ``threshold`` soft-thresholds at a level ``theta_j`` (Duchi et al.
    2008; zero inside the ball), so the prox clips each row to ``[-theta_j, theta_j]``.
    """
    if threshold <= 0:
        return V.copy()
    T = V.shape[1]
    u = np.sort(np.abs(V), axis=1)[:, ::-1]  # each row in decreasing order
    cumsum = np.cumsum(u, axis=1)
    # the entries kept by the projection are a prefix of u: rho of them
    rho = np.count_nonzero(u * np.arange(1, T + 1) > cumsum - threshold, axis=1)
    theta = (cumsum[np.arange(len(rho)), rho - 1] - threshold) / rho
    theta = np.maximum(theta, 0.0)[:, None]  # negative inside the ball
    return np.clip(V, -theta, theta)


def sparse_group_dual_norm_rows(G, l1_ratio, group_ord):
    """Dual norm of ``tau ||x||_1 + (1 - tau) ||x||_q`` for each row of ``G``.

    It is the ``nu`` solving ``||ST(g, tau nu)||_{q*} = (1 - tau) nu``,
    with ``q* = 2`` for the L2 group norm and ``q* = 1`` for L-infinity. The
    function of ``nu`` is monotone, so the root is bracketed between two sorted
    entries and solved in closed form there.
    """
    tau = l1_ratio
    a = -np.sort(-np.abs(G), axis=1)
    if tau == 0.0:
        return _row_norms(a, 2 if group_ord == 2 else 1)
    if tau == 1.0:
        return a[:, 0] if a.shape[1] else np.zeros(a.shape[0])
    n_rows, T = a.shape
    S = np.cumsum(a, axis=1)
    k = np.arange(1, T + 1)
    # phi_k: value of ||ST(g, a_k)||_{q*} - (1 - tau) a_k / tau at the breakpoint
    # tau * nu = a_k, where the k - 1 larger entries are active.
    S_prev = S - a
    if group_ord == 2:
        Q = np.cumsum(a**2, axis=1)
        Q_prev = Q - a**2
        active = np.sqrt(np.maximum(Q_prev - 2 * a * S_prev + (k - 1) * a**2, 0.0))
    else:
        active = S_prev - (k - 1) * a
    phi = active - (1 - tau) * a / tau
    # phi increases with k; the root lies where a_{k+1} <= tau nu <= a_k with k the
    # last index where phi <= 0 (phi_1 <= 0 always).
    kk = np.count_nonzero(phi <= 0, axis=1)
    rows = np.arange(n_rows)
    Sk = S[rows, kk - 1]
    if group_ord == 2:
        Qk = Q[rows, kk - 1]
        A = kk * tau**2 - (1 - tau) ** 2
        disc = np.sqrt(np.maximum((tau * Sk) ** 2 - A * Qk, 0.0))
        denom = tau * Sk + disc
        nu = np.divide(Qk, denom, out=np.zeros_like(Qk), where=denom > 0)
    else:
        nu = Sk / (kk * tau + 1 - tau)
    return nu


class L21(RowNormPenalty):
    """``alpha * sum_j ||W_j||_2``: rows (features) are selected for all tasks at once.

    Prox: row-wise block soft-thresholding. Dual norm: largest row 2-norm.
    """

    diagonal_prox = True  # prox_diagonal: the exact row update of coordinate descent

    def norm(self, W):
        return _row_norms(W, 2).sum()

    def dual_norm_rows(self, G):
        return _row_norms(G, 2)

    def prox(self, V, step):
        return block_soft_threshold(V, step * self.alpha)

    def prox_diagonal(self, V, curvature):
        """``argmin_W sum_ij curvature_j (W_ij - V_ij)^2 / 2 + alpha sum_i ||W_i||``
        (``curvature`` > 0, one per column): the exact minimiser of a row's
        separable quadratic model (coordinate descent)."""
        return diagonal_block_soft_threshold(V, curvature, self.alpha)

    def safe_rows(self, G, radii):
        """``||G_j|| + max_t radii[j, t] < alpha``."""
        return _row_norms(G, 2) + radii.max(axis=1, initial=0.0) < self.alpha

    def cvxpy_norm(self, W):
        import cvxpy as cp

        return cp.sum(cp.norm(W, 2, axis=1))


class L1(RowNormPenalty):
    """``alpha * sum_jt |W_jt|``: an independent lasso per task.

    Prox: soft-thresholding. Dual norm: largest absolute entry.
    """

    diagonal_prox = True  # prox_diagonal: the exact row update of coordinate descent

    def norm(self, W):
        return np.abs(W).sum()

    def dual_norm_rows(self, G):
        return _row_norms(G, np.inf)

    def prox(self, V, step):
        return soft_threshold(V, step * self.alpha)

    def prox_diagonal(self, V, curvature):
        """``argmin_W sum_ij curvature_j (W_ij - V_ij)^2 / 2 + alpha ||W||_1``
        (``curvature`` > 0, one per column): soft-thresholding at ``alpha /
        curvature_j``."""
        return soft_threshold(V, self.alpha / np.asarray(curvature, dtype=float))

    def safe_rows(self, G, radii):
        """Every entry with ``|G_jt| + radii[j, t] < alpha``."""
        return np.all(np.abs(G) + radii < self.alpha, axis=1)

    def cvxpy_norm(self, W):
        import cvxpy as cp

        return cp.sum(cp.abs(W))


class L1Linf(RowNormPenalty):
    """``alpha * sum_j ||W_j||_inf`` (block L1/L-infinity, Turlach et al. 2005).

    Prox: ``V - Proj_{l1 ball}(V)`` row-wise. Dual norm: largest row 1-norm.
    """

    def norm(self, W):
        return _row_norms(W, np.inf).sum()

    def dual_norm_rows(self, G):
        return _row_norms(G, 1)

    def prox(self, V, step):
        return linf_prox(V, step * self.alpha)

    def cvxpy_norm(self, W):
        import cvxpy as cp

        return cp.sum(cp.max(cp.abs(W), axis=1))


class SparseGroupNorm(RowNormPenalty):
    """``alpha * (l1_ratio * ||W||_1 + (1 - l1_ratio) * sum_j ||W_j||_q)``.

    The sparse-group lasso over rows with ``q = 2`` (``group_norm="l2"``)
    or ``q = inf`` (``group_norm="linf"``). ``l1_ratio = 0`` is :class:`L21` (or
    :class:`L1Linf`), ``l1_ratio = 1`` is :class:`L1`.

    Prox: soft-threshold at ``step * alpha * l1_ratio``, then the group prox at
    ``step * alpha * (1 - l1_ratio)`` (an exact composition for both group norms).
    """

    def __init__(self, alpha=1.0, l1_ratio=0.5, group_norm="l2"):
        super().__init__(alpha)
        self.l1_ratio = float(l1_ratio)
        self.group_norm = group_norm
        self._ord = 2 if group_norm == "l2" else np.inf

    def norm(self, W):
        tau = self.l1_ratio
        return tau * np.abs(W).sum() + (1 - tau) * _row_norms(W, self._ord).sum()

    def dual_norm_rows(self, G):
        return sparse_group_dual_norm_rows(G, self.l1_ratio, self._ord)

    def prox(self, V, step):
        tau, s = self.l1_ratio, step * self.alpha
        V = soft_threshold(V, s * tau) if tau > 0 else V
        if tau == 1.0:
            return V
        if self._ord == 2:
            return block_soft_threshold(V, s * (1 - tau))
        return linf_prox(V, s * (1 - tau))

    def cvxpy_norm(self, W):
        import cvxpy as cp

        group = cp.norm(W, 2, axis=1) if self._ord == 2 else cp.max(cp.abs(W), axis=1)
        return self.l1_ratio * cp.sum(cp.abs(W)) + (1 - self.l1_ratio) * cp.sum(group)


class ColumnL21(NormPenalty):
    """``alpha * sum_t ||w_t||_2``: whole task columns are zero or not (outlier tasks).

    Prox: column-wise block soft-thresholding. Dual norm: largest column 2-norm.
    """

    task_axis = True

    def norm(self, W):
        return _row_norms(W.T, 2).sum()

    def dual_norm(self, G):
        return _row_norms(G.T, 2).max(initial=0.0)

    def prox(self, V, step):
        return block_soft_threshold(V.T, step * self.alpha).T

    def cvxpy_norm(self, W):
        import cvxpy as cp

        return cp.sum(cp.norm(W, 2, axis=0))
