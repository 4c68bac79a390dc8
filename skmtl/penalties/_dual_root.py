"""The dual norm of ``h + w ||.||_2`` on groups of entries, for a norm ``h`` with an
exact prox (fused and feature-group penalties).

``(h + w ||.||)^*(g) <= nu`` exactly when ``prox_{nu (h + w ||.||)}(g) = 0``, that is
when ``phi(nu) = ||prox_{nu h}(g)|| - nu w <= 0``. By Moreau, ``prox_{nu h}(g) =
g - P_{nu C}(g)`` with ``C`` the dual ball of ``h``, so ``||prox_{nu h}(g)||`` is the
distance from ``g`` to the cone's slice ``nu C``: a convex function of ``nu``, with
derivative ``-<P_{nu C}(g) / nu, p> / ||p||`` (``p = prox_{nu h}(g)``; Danskin).
Newton's method on the convex, decreasing ``phi`` from a point below its root stays
below and converges there, about quadratically: a handful of prox evaluations where
a bisection takes 60. Each iterate is nudged up by ``_NUDGE`` (relative) so that the
one past the root, which proves itself feasible, is returned: an upper bound within
``_NUDGE`` of the dual norm, as the duality gap needs (a feasible dual point).
"""

from __future__ import annotations

import numpy as np

#: the relative overshoot that makes the last Newton iterate feasible
_NUDGE = 1e-12
#: Newton steps before a bisection takes over (not reached in practice)
_MAX_NEWTON = 60
_BISECTIONS = 60


def nested_dual_norm(inner, G, weights, sums, expand, lower, upper):
    """For each group ``k`` the smallest ``nu >= 0`` (to ``_NUDGE`` relative, from
    above) with ``||inner(G, expand(nu))_k|| <= nu * weights[k]``.

    ``inner(G, s)`` is ``prox_{s h}(G)`` (``s``: one scale per row of ``G``, a column);
    ``sums(A)`` the per-group sums of an array shaped as ``G``; ``expand(nu)`` one
    value per row from one per group; ``lower`` and ``upper`` bound the dual norms
    (``lower``, e.g. ``||g||^2 / (h(g) + w ||g||)``, is where Newton starts).
    """
    weights = np.broadcast_to(np.asarray(weights, dtype=float), np.shape(lower))
    # an upper bound that is exact (e.g. ||g|| / w with no inner norm) can fail the
    # test by round-off: nudged like the iterates
    upper = np.asarray(upper, dtype=float) * (1 + 2 * _NUDGE)
    nu = np.array(lower, dtype=float)
    low = np.array(lower, dtype=float)  # below (or at) the root
    found = np.zeros(nu.shape, bool)
    for _ in range(_MAX_NEWTON):
        P = inner(G, expand(nu)[:, None])
        norms = np.sqrt(sums(P * P))
        feasible = norms <= nu * weights
        found |= feasible
        if found.all():
            return nu
        low = np.where(found, low, nu)
        # Newton on the rows still below their root; the others keep nu
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = -sums((G - P) * P) / (nu * norms) - weights
            step = (norms - nu * weights) / -slope
        newton = np.where(np.isfinite(step) & (step > 0), nu + step, nu)
        nu = np.where(found, nu, np.minimum(newton * (1 + _NUDGE), upper))
    # bisection between the last point below and the bound above, where Newton stalled
    high = np.where(found, nu, upper)
    low = np.where(found, nu, low)
    for _ in range(_BISECTIONS):
        mid = 0.5 * (low + high)
        P = inner(G, expand(mid)[:, None])
        zero = np.sqrt(sums(P * P)) <= mid * weights
        high = np.where(found | ~zero, high, mid)
        low = np.where(found | zero, low, mid)
    return high
