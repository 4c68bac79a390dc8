"""What the solvers need from a penalty (value, prox, duality-gap pieces)."""

from __future__ import annotations

import numpy as np


class Penalty:
    """Base class of penalties ``R(W)`` on the coefficients ``W`` of shape (d, T).

    A new penalty implements:

    ``value(W)``
        ``R(W)``.
    ``prox(V, step)``
        ``argmin_W R(W) + ||W - V||_F^2 / (2 step)``.
    ``dual_scale(G)`` and ``conjugate(G)``
        For the Fenchel duality gap: given ``G = X^T theta``, the factor
        ``s`` in (0, 1] that makes ``s * theta`` dual feasible, and ``R^*(s * G)``.
    ``cvxpy(W)`` (optional)
        The same penalty as a cvxpy expression, for ``solver="cvxpy"`` (or
        ``cvxpy_terms(W)``, an expression and its constraints).
    """

    def value(self, W):
        raise NotImplementedError

    def prox(self, V, step):
        raise NotImplementedError

    def dual_scale(self, G):
        return 1.0

    def conjugate(self, G):
        raise NotImplementedError

    def cvxpy(self, W):
        raise NotImplementedError(
            f"{type(self).__name__} has no cvxpy expression; use solver='fista'."
        )

    def cvxpy_terms(self, W):
        """``(expression, constraints)`` for cvxpy; penalties defined as a minimum
        over an auxiliary variable override this one."""
        return self.cvxpy(W), []


class NormPenalty(Penalty):
    """``alpha * Omega(W)`` with ``Omega`` a norm; subclasses give ``norm``,
    ``dual_norm``, ``prox`` and ``cvxpy_norm``.

    Its conjugate is the indicator of ``{G : dual_norm(G) <= alpha}``: the gap
    rescales the dual point into that ball, after which the conjugate is zero.
    """

    def __init__(self, alpha=1.0):
        self.alpha = float(alpha)

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({params})"

    def value(self, W):
        return self.alpha * self.norm(W)

    def dual_scale(self, G):
        dual = self.dual_norm(G)
        return 1.0 if dual <= self.alpha else self.alpha / dual

    def conjugate(self, G):
        return 0.0

    def alpha_max(self, G0):
        """Smallest ``alpha`` whose solution is zero, given ``G0 = -grad L(0)``."""
        return float(self.dual_norm(G0))

    def cvxpy(self, W):
        return self.alpha * self.cvxpy_norm(W)

    def norm(self, W):
        raise NotImplementedError

    def dual_norm(self, G):
        raise NotImplementedError

    def cvxpy_norm(self, W):
        return super().cvxpy(W)


class RowNormPenalty(NormPenalty):
    """A norm that is a sum over the rows (features) of ``W``: ``sum_j omega(W_j)``.

    Its prox acts row by row and its dual norm is the largest row dual norm, so a
    solver may work on a subset of the rows (working sets, screening). Subclasses
    give ``dual_norm_rows(G)`` instead of ``dual_norm``.
    """

    def dual_norm(self, G):
        return float(self.dual_norm_rows(G).max(initial=0.0))

    def dual_norm_rows(self, G):
        raise NotImplementedError

    def safe_rows(self, G, radii):
        """Rows proven zero at the optimum (gap-safe screening), given ``G``
        from a feasible dual point and ``radii[j, t]`` bounding how far ``G[j, t]`` is
        from its optimal value. The default proves nothing."""
        return np.zeros(G.shape[0], dtype=bool)
