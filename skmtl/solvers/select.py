"""The choice of the iterative method for one problem (``solver=`` of the estimators)."""

from __future__ import annotations

import numpy as np

from .._datafit import SplitDatafit
from ..losses import SquaredLoss
from . import admm as _admm
from . import cd as _cd
from .closed_form import closed_form, has_closed_form
from .fista import SolverResult, duality_gap, fista

#: the methods a user can force, beside "auto", "closed_form" and "cvxpy"
ITERATIVE = ("fista", "cd", "admm")


def iterative_solver(method, datafit, penalty):
    """The iterative method for ``datafit + penalty``: a function with the
    signature of :func:`~skmtl.solvers.fista.fista`.

    ``"auto"``, on Gram statistics: the closed form for a quadratic penalty where
    it applies (:func:`~skmtl.solvers.closed_form.has_closed_form`; the inner
    solves of proximal Newton), then with up to 100 features: coordinate descent
    (:mod:`~skmtl.solvers.cd`) for row-separable penalties on badly scaled features
    (:func:`~skmtl.solvers.cd.use_cd`: a :func:`~skmtl.solvers.cd.curvature_spread`
    of at least ``MIN_SPREAD`` = 100; FISTA below it), ADMM
    (:mod:`~skmtl.solvers.admm`) for the others on the same badly scaled features
    (:func:`~skmtl.solvers.admm.use_admm`, the same spread threshold) except two row
    penalties on a stacked ``[P; Q]`` (where neither beat FISTA on well-conditioned
    data; the dirty model comes here as its row norm on ``W``); FISTA otherwise
    (rows, many features, well-scaled features, a stacked ``[P; Q]`` of two row
    penalties). Pooled intercepts are
    served by both CD and ADMM. ``"cd"``, ``"admm"`` and ``"fista"`` force one
    (``"cd"`` and ``"admm"`` raise a ValueError where they do not apply);
    ``"closed_form"`` falls back to FISTA.
    """
    if method == "cd":
        if not _cd.serves(datafit, penalty):
            _cd.cd(datafit, penalty, None)  # raises the explanatory ValueError
        return _cd.cd
    if method == "admm":
        if not _admm.serves(datafit, penalty):
            _admm.admm(datafit, penalty, None)
        return _admm.admm
    if method != "auto":
        return _fista_for(penalty)
    if _use_closed_form(datafit, penalty):
        return _closed_form_then(_cd.cd if _cd.serves(datafit, penalty) else _admm.admm)
    if _cd.use_cd(datafit, penalty):
        return _cd.cd
    if _admm.use_admm(datafit, penalty) and not _cd.serves(datafit, penalty):
        return _admm.admm
    return _fista_for(penalty)


def _fista_for(penalty):
    """FISTA; for a penalty with a ``split_form`` (the dirty model's row norm on ``W``),
    FISTA on the stacked parts ``[P; Q]`` (:func:`fista_on_parts`)."""
    return fista_on_parts if hasattr(penalty, "split_form") else fista


def fista_on_parts(datafit, penalty, W0, *, lipschitz=None, **kw):
    """:func:`~skmtl.solvers.fista.fista` for a row norm on ``W`` that is an infimal
    convolution (:class:`~skmtl.penalties.DirtyRowNorm`), run on its parts ``[P; Q]``
    (``penalty.split_form()``) from the optimal parts of ``W0``: the same minimum
    and the same duality gap, about as many iterations as FISTA on ``W`` (290 and
    280 on Gaussian School-sized data), each about 3x cheaper: two separate row
    proxes instead of the row norm's own (a sort of ``2 T`` events per row).
    Returns the result on ``W = P + Q`` (with ``parts``)."""
    d = datafit.n_features
    W0 = np.asarray(W0, dtype=float)
    P0, Q0 = penalty.parts(W0[:d])
    split = SplitDatafit(datafit)
    if lipschitz is not None:  # the stacked parts' curvature is twice W's
        lipschitz = 2.0 * lipschitz
    result = fista(
        split, penalty.split_form(), np.vstack([P0, Q0, W0[d:]]), lipschitz=lipschitz, **kw
    )
    C = result.coef
    result.parts = (C[:d], C[d : 2 * d])
    result.coef = split.merge(C)
    result.lipschitz /= 2.0  # in W's units, as a first guess for the next solve
    return result


def _use_closed_form(datafit, penalty):
    """Gram statistics (not of a split model) and a quadratic penalty with a closed form."""
    if not (getattr(penalty, "quadratic", False) and hasattr(datafit, "grams")):
        return False
    n_features, n_tasks = datafit.b.shape
    return has_closed_form(penalty, SquaredLoss(), n_features, n_tasks)


def _closed_form_then(fallback):
    """A solver (signature of :func:`~skmtl.solvers.fista.fista`) that takes the closed
    form, checks its duality gap, and continues by ``fallback`` from it when the
    gap (round-off at large strengths) is above the threshold."""

    def solve(datafit, penalty, C0, *, max_iter=1000, tol=1e-4, threshold=None, **kw):
        if threshold is None:
            threshold = tol * datafit.gap_scale()
        W = closed_form(datafit, penalty)
        gap, primal, W, _ = duality_gap(datafit, penalty, W, datafit.linear(W))
        lipschitz = kw.get("lipschitz")
        if gap <= threshold or max_iter <= 1:
            return SolverResult(W, 1, float(gap), float(primal), lipschitz)
        if lipschitz is None or not np.isfinite(lipschitz):
            kw.pop("lipschitz", None)
        result = fallback(datafit, penalty, W, max_iter=max_iter - 1, threshold=threshold, **kw)
        result.n_iter += 1
        return result

    return solve
