"""A quadratic task coupling plus a norm: ``tr(W M W^T) + N(W)``.

The sum has no closed-form prox in general. The solvers (:mod:`skmtl.solvers.composite`)
move the quadratic into the smooth part of the objective and use the prox of the norm
alone. The duality gap then takes the dual point ``s theta`` with ``s`` the factor that
puts ``U = s (X^T theta - 2 W M)`` in the norm's dual ball: since
``(Q + N)^*(s X^T theta) <= Q^*(s X^T theta - U) + N^*(U) = s^2 Q(W)``
(``Q^*(2 W M) = Q(W)``, also for a singular ``M``), the dual value is
``D(s theta) - s^2 Q(W)``, equal to the primal at the optimum (there ``s = 1``).
"""

from __future__ import annotations

from ._base import Penalty

__all__ = ["QuadraticPlusNorm"]


class QuadraticPlusNorm(Penalty):
    """``quadratic(W) + norm(W)``: a :class:`~skmtl.penalties.QuadraticPenalty`
    (positive semidefinite) and a :class:`~skmtl.penalties.NormPenalty`.

    Examples: the sparse graph-regularized model (SRMTL: graph Laplacian plus L1)
    and the temporal group lasso (TGL: ridge plus chain Laplacian plus L2,1).
    """

    composite = True

    def __init__(self, quadratic, norm):
        self.quadratic_part, self.norm_part = quadratic, norm

    def __repr__(self):
        return f"QuadraticPlusNorm({self.quadratic_part!r}, {self.norm_part!r})"

    def value(self, W):
        return self.quadratic_part.value(W) + self.norm_part.value(W)

    def prox(self, V, step):
        raise NotImplementedError(
            "QuadraticPlusNorm has no closed-form prox: the solvers treat its quadratic "
            "as part of the smooth term (skmtl.solvers.composite)."
        )

    def cvxpy(self, W):
        return self.quadratic_part.cvxpy(W) + self.norm_part.cvxpy(W)
