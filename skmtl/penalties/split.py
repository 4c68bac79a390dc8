"""Split models ``W = P + Q`` with a penalty on each part: dirty models and robust
MTL.

The solver works on the stacked block ``[P; Q]`` (2d rows); the data term sees
``P + Q`` only. The penalty on ``W`` is the infimal convolution of the two parts,
whose conjugate is the sum of theirs: both dual constraints hold at once.
"""

from __future__ import annotations

from ._base import Penalty
from .dirty import DirtyRowNorm
from .norms import L1, L21, L1Linf

__all__ = ["SplitPenalty"]


class SplitPenalty(Penalty):
    """``first(P) + second(Q)`` on the stacked block ``[P; Q]``."""

    split = True

    def __init__(self, first, second):
        self.first, self.second = first, second

    @staticmethod
    def _halves(C):
        d = C.shape[0] // 2
        return C[:d], C[d:]

    def value(self, C):
        P, Q = self._halves(C)
        return self.first.value(P) + self.second.value(Q)

    def prox(self, V, step):
        P, Q = self._halves(V)
        out = V.copy()
        out[: len(P)] = self.first.prox(P, step)
        out[len(P) :] = self.second.prox(Q, step)
        return out

    def dual_scale(self, G):
        G = self._halves(G)[0]  # both halves of -grad are the same
        return min(self.first.dual_scale(G), self.second.dual_scale(G))

    def conjugate(self, G):
        G = self._halves(G)[0]
        return self.first.conjugate(G) + self.second.conjugate(G)

    def row_form(self):
        """The same penalty as one row-separable norm on ``W = P + Q``
        (:class:`~skmtl.penalties.DirtyRowNorm`, whose ``parts`` gives ``(P, Q)``):
        for a group norm (L1/L-infinity or L2,1) plus L1, the dirty model; else None."""
        group = {L1Linf: "linf", L21: "l2"}.get(type(self.first))
        if group is None or type(self.second) is not L1:
            return None
        return DirtyRowNorm(self.first.alpha, self.second.alpha, group)

    def cvxpy_terms(self, W):
        expression, constraints, _ = self.cvxpy_split(W)
        return expression, constraints

    def cvxpy_split(self, W):
        """As :meth:`cvxpy_terms`, with the cvxpy variables of the parts ``(P, Q)``."""
        import cvxpy as cp

        P, Q = cp.Variable(W.shape), cp.Variable(W.shape)
        return self.first.cvxpy(P) + self.second.cvxpy(Q), [P + Q == W], (P, Q)
