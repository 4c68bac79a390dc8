"""Working sets around FISTA for penalties that are sums over features.

Each outer iteration discards the rows that gap-safe screening proves zero (L2,1 and
L1), ranks the other zero rows of ``W`` by how much they violate their
optimality condition (the row's dual norm of the gradient against ``alpha``), runs
FISTA on the current support plus the worst violators only, and then certifies the
result with the duality gap of the full problem.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._datafit import DesignDatafit, nonzero_rows, use_gram
from .fista import certified_loop, fista

#: first working-set size, and the smallest one
_FIRST_SIZE = 50
#: iterations assumed in the first choice between Gram statistics and rows
_FIRST_ITERATIONS = 10
#: inner problems are solved to this fraction of the current full gap (celer: 0.3;
#: FISTA pays less for a tighter inner solve than for another outer round)
_INNER_FRACTION = 0.1
#: a working set adds to the support its worst violators, at most this many times
#: as many rows as the support has (at least _FIRST_SIZE)
_GROWTH = 3
#: a working set that leaves violators out and is larger than this fraction of the
#: unscreened rows takes them all
_WHOLE_FRACTION = 0.5


def safe_rows(full, penalty, G, gap):
    """Rows that gap-safe screening proves zero at the optimum, from the
    gradient ``-G`` at the current point and its duality gap. The gap is raised by a
    bound on its own round-off, so that a gap computed as zero stays safe."""
    radius = full.loss.dual_radius(gap + 1e-13 * full.gap_scale())
    if radius is None:  # a loss whose dual has no strong concavity: no safe rule
        return np.zeros(G.shape[0], dtype=bool)
    radii = radius * full.column_norms()
    return penalty.safe_rows(penalty.dual_scale(G) * G, radii)


def use_working_sets(penalty, data):
    return penalty.row_separable and data.n_features > 2 * _FIRST_SIZE


def working_sets(full, penalty, C0, *, precompute="auto", max_iter=1000, tol=1e-4, verbose=0):
    """Minimise ``full(C) + penalty(C[:d])`` from ``C0`` by FISTA on working sets.

    ``full`` is the :class:`~skmtl._datafit.DesignDatafit` of the whole problem and
    ``penalty`` a :class:`~skmtl.penalties.RowNormPenalty`.
    """
    loss, data = full.loss, full.data
    d = data.n_features
    # the curvature where the last inner solve ended: a first guess for the next one
    # (on the same data, along a path too), which saves a Lanczos run per working set
    curvature = getattr(full, "_inner_curvature", None)

    def restricted_solve(C, z, gap, budget):
        nonlocal curvature
        G = -full.gradient(z)[:d]
        scores = penalty.dual_norm_rows(G)
        screened = safe_rows(full, penalty, G, gap)  # never enter a working set
        C = C.copy()
        C[:d][screened] = 0.0
        support = nonzero_rows(C[:d])
        off = scores > penalty.alpha  # rows off their optimality condition
        violators = np.count_nonzero(off) - np.count_nonzero(off[support])  # zero rows
        scores[support] = np.inf
        scores[penalty.free_rows(d)] = np.inf  # unpenalized: in every working set
        scores[screened] = -np.inf
        # warm starts (paths) have few violators: the support and those; cold
        # starts many: the support grows geometrically
        extra = min(violators, _GROWTH * max(len(support), _FIRST_SIZE))
        candidates = int((~screened).sum())
        size = min(max(_FIRST_SIZE, len(support) + extra), candidates)
        if size == 0:  # every row is proven zero
            return C, 1
        if extra < violators and size > _WHOLE_FRACTION * candidates:
            # the set leaves violators out, so another outer round would follow, and
            # an iteration on it saves less than half of one on all the candidates:
            # take them all (a cold fit with n > d at small alpha: 4 rounds -> 2)
            features = np.flatnonzero(~screened)
        else:
            features = np.sort(np.argpartition(-scores, size - 1)[:size])
        sub = data.restrict(features) if len(features) < d else data
        # Gram statistics pay off over many iterations. On a shared design, count on
        # as many as were spent so far on this data (a path reuses them): a
        # rent-or-buy rule. Per-task row products (gathers and scatters) are several
        # times slower than BLAS, so there the Gram's default horizon stays.
        kw = {}
        if data.shared:
            kw["iterations"] = max(getattr(full, "_inner_iterations", 0), _FIRST_ITERATIONS)
        if not use_gram(sub, loss, precompute, centred=full.center, **kw):
            inner = (
                DesignDatafit(loss, sub, full.fit_intercept, full.pooling)
                if len(features) < d
                else full
            )
        else:
            inner = full.restricted_gram(features, sub) if len(features) < d else full.gram()
        # Gram statistics minimise out the intercepts that rows keep as a variable
        rows = np.concatenate([features, np.arange(d, d + inner.n_rows - len(features))])
        inner_tol = max(tol, _INNER_FRACTION * gap / full.gap_scale())
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            result = fista(
                inner,
                penalty.restrict(features) if len(features) < d else penalty,
                C[rows],
                max_iter=budget,
                tol=inner_tol,
                lipschitz=curvature,
                verbose=max(verbose - 1, 0),
            )
        curvature = full._inner_curvature = result.lipschitz
        full._inner_iterations = getattr(full, "_inner_iterations", 0) + result.n_iter
        C = np.zeros_like(C)
        C[rows] = result.coef
        if C.shape[0] > d and len(rows) == len(features):  # minimised out by the Gram
            C[d] = full.intercept_variable(C[:d], inner.intercept(result.coef))
        return C, result.n_iter

    return certified_loop(
        full,
        penalty,
        C0,
        restricted_solve,
        max_iter=max_iter,
        tol=tol,
        verbose=verbose,
        name="working sets",
    )
