"""Groups of features across all tasks: ``sum_g sqrt(|g|) ||W_g||_F`` over disjoint sets
``g`` of rows of ``W`` (e.g. the one-hot columns of one categorical variable, or the
features of one data source), with the row (L2,1) and entrywise (L1) norms.

The three norms are nested (entries within rows within groups), so the prox of their
sum is the composition of the three shrinkages, innermost first (Jenatton et al.,
2011), and ``Omega^*(G) <= nu`` exactly when that prox at strength ``nu`` maps ``G``
to zero: the dual norm is found by Newton's method on ``nu``, all groups at once.
"""

from __future__ import annotations

import numbers

import numpy as np

from ._base import NormPenalty
from ._dual_root import nested_dual_norm
from .norms import block_soft_threshold, soft_threshold, sparse_group_dual_norm_rows

__all__ = ["FeatureGroupNorm", "check_groups"]


def check_groups(groups, n_features, name="groups"):
    """One integer label per feature (``-1``: in no group; groups numbered ``0..G-1``)
    from either a list of disjoint index arrays or a label per feature (any
    integers, negative ones meaning no group). None puts each feature in its own
    group."""
    if groups is None:
        return np.arange(n_features)
    if isinstance(groups, (list, tuple)) and not all(
        isinstance(g, numbers.Integral) for g in groups
    ):
        labels = np.full(n_features, -1)
        negative = False  # (a negative index counts from the last feature)
        for k, members in enumerate(groups):
            members = np.asarray(members)
            if members.dtype == bool:
                members = np.flatnonzero(members)
            if members.ndim != 1 or not np.issubdtype(members.dtype, np.integer):
                raise ValueError(
                    f"{name} must be a list of arrays of feature indices (or one integer "
                    f"label per feature); entry {k} is {members!r}."
                )
            if len(members) and (members.min() < -n_features or members.max() >= n_features):
                raise ValueError(
                    f"{name}: entry {k} has a feature index out of range for {n_features} features."
                )
            negative = negative or bool(np.any(members < 0))
            members = members % n_features
            taken = labels[members] >= 0
            repeated = np.unique(members, return_counts=True)
            twice = set(members[taken].tolist()) | set(repeated[0][repeated[1] > 1].tolist())
            if twice:
                counted = f" (negative indices count back from feature {n_features - 1})"
                raise ValueError(
                    f"{name} must be disjoint: entry {k} lists feature(s) {sorted(twice)}, "
                    "which it or an earlier entry already lists"
                    + (counted if negative else "")
                    + "."
                )
            labels[members] = k
        return _renumber(labels)
    labels = np.asarray(groups)
    if labels.shape != (n_features,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{name} must be a list of arrays of feature indices or one integer label "
            f"per feature (shape ({n_features},)); got an array of shape {labels.shape} "
            f"and dtype {labels.dtype}."
        )
    return _renumber(labels)


def _renumber(labels):
    """Labels ``0..G-1`` in order of first appearance of the groups' smallest label."""
    out = np.full(len(labels), -1)
    grouped = labels >= 0
    out[grouped] = np.unique(labels[grouped], return_inverse=True)[1]
    return out


class FeatureGroupNorm(NormPenalty):
    """``alpha * (l1_ratio ||W||_1 + row_ratio sum_j ||W_j||_2
    + (1 - l1_ratio - row_ratio) sum_g sqrt(|g|) ||W_g||_F)``.

    ``labels[j]`` is the group of feature (row) ``j`` (``-1``: none; from
    ``check_groups``); ``|g|`` is the number of features in group ``g``.
    """

    def __init__(self, alpha=1.0, labels=None, l1_ratio=0.0, row_ratio=0.0):
        super().__init__(alpha)
        self.labels = np.asarray(labels)
        self.l1_ratio, self.row_ratio = float(l1_ratio), float(row_ratio)
        self.group_ratio = max(1.0 - self.l1_ratio - self.row_ratio, 0.0)
        self._grouped = self.labels >= 0
        self._n_groups = int(self.labels.max(initial=-1)) + 1
        self.weights = np.sqrt(np.bincount(self.labels[self._grouped], minlength=self._n_groups))

    def _group_norms(self, W):
        squares = np.einsum("jt,jt->j", W, W)[self._grouped]
        return np.sqrt(np.bincount(self.labels[self._grouped], squares, self._n_groups))

    def norm(self, W):
        value = self.group_ratio * float(self.weights @ self._group_norms(W))
        if self.l1_ratio:
            value += self.l1_ratio * np.abs(W).sum()
        if self.row_ratio:
            value += self.row_ratio * np.sqrt(np.einsum("jt,jt->j", W, W)).sum()
        return value

    def _inner_prox(self, V, threshold):
        """The entry and row shrinkages at ``threshold`` (a number or one per row)."""
        if self.l1_ratio:
            V = soft_threshold(V, np.multiply(self.l1_ratio, threshold))
        if self.row_ratio:
            t = np.multiply(self.row_ratio, threshold)
            V = block_soft_threshold(V, t) if np.ndim(t) == 0 else _row_shrink(V, t)
        return V

    def prox(self, V, step):
        s = step * self.alpha
        V = self._inner_prox(V, s)
        if not self.group_ratio or not self._n_groups:
            return V
        norms = self._group_norms(V)
        shrink = np.maximum(norms - s * self.group_ratio * self.weights, 0.0)
        np.divide(shrink, norms, out=shrink, where=norms > 0)
        factor = np.ones(V.shape[0])
        factor[self._grouped] = shrink[self.labels[self._grouped]]
        return V * factor[:, None]

    def dual_norm(self, G):
        G = np.asarray(G, dtype=float)
        top = 0.0
        rest = ~self._grouped
        if rest.any():  # features in no group: the sparse-group dual norm of rows
            inner = self.l1_ratio + self.row_ratio
            if inner == 0:
                if np.any(G[rest]):
                    return np.inf  # unpenalized features
            else:
                ratio = self.l1_ratio / inner
                rows = sparse_group_dual_norm_rows(G[rest], ratio, 2) / inner
                top = float(rows.max(initial=0.0))
        if not self._n_groups:
            return top
        return max(top, float(self._group_dual_norms(G).max(initial=0.0)))

    def _group_dual_norms(self, G):
        """For each group the smallest ``nu`` whose prox maps ``G_g`` to zero, by
        Newton's method (:mod:`._dual_root`; from above: a feasible scale)."""
        Gg, labels = G[self._grouped], self.labels[self._grouped]
        norms = np.sqrt(np.bincount(labels, np.einsum("jt,jt->j", Gg, Gg), self._n_groups))
        if self.group_ratio == 0:  # the groups do not count: rows alone
            inner = self.l1_ratio + self.row_ratio
            rows = sparse_group_dual_norm_rows(Gg, self.l1_ratio / inner, 2) / inner
            out = np.zeros(self._n_groups)
            np.maximum.at(out, labels, rows)
            return out
        weights = self.group_ratio * self.weights

        def sums(A):  # per-group sums
            return np.bincount(labels, A.sum(axis=1), self._n_groups)

        inner = sums(self.l1_ratio * np.abs(Gg)) + np.bincount(
            labels, self.row_ratio * np.sqrt(np.einsum("jt,jt->j", Gg, Gg)), self._n_groups
        )
        # <g, g> / Omega(g) <= Omega^*(g) <= what the group term alone needs
        lower = np.divide(
            norms**2, inner + weights * norms, out=np.zeros_like(norms), where=norms > 0
        )
        return nested_dual_norm(
            self._inner_prox, Gg, weights, sums, lambda nu: nu[labels], lower, norms / weights
        )

    def cvxpy_norm(self, W):
        import cvxpy as cp

        terms = []
        if self.l1_ratio:
            terms.append(self.l1_ratio * cp.sum(cp.abs(W)))
        if self.row_ratio:
            terms.append(self.row_ratio * cp.sum(cp.norm(W, 2, axis=1)))
        if self.group_ratio:
            for g in range(self._n_groups):
                rows = np.flatnonzero(self.labels == g)
                terms.append(self.group_ratio * self.weights[g] * cp.norm(W[rows, :], "fro"))
        return sum(terms)


def _row_shrink(V, thresholds):
    """Row-wise ``max(0, 1 - thresholds_j / ||V_j||) V_j`` (a threshold per row)."""
    norms = np.sqrt(np.einsum("jt,jt->j", V, V))
    shrink = np.maximum(norms - np.ravel(thresholds), 0.0)
    np.divide(shrink, norms, out=shrink, where=norms > 0)
    return V * shrink[:, None]
