"""Solvers: FISTA (the one proximal-gradient loop), working sets and proximal Newton
built on it, and the cvxpy reference (:mod:`skmtl.solvers.cvxpy`)."""

from .._datafit import GramDatafit, use_gram
from .fista import fista
from .prox_newton import prox_newton
from .working_set import use_working_sets, working_sets

#: proximal Newton for the logistic loss up to this many features
_NEWTON_MAX_FEATURES = 100


def solve(full, penalty, C0, *, precompute="auto", max_iter=1000, tol=1e-4, verbose=0):
    """Minimise ``full(C) + penalty(C[:d])`` from ``C0`` with the best-suited method.

    ``full`` is the :class:`~skmtl._datafit.DesignDatafit` of the whole problem.
    Returns ``(SolverResult, datafit)``, where the datafit maps the solution's
    coefficient block to intercepts.
    """
    kw = dict(max_iter=max_iter, tol=tol, verbose=verbose)
    data, loss = full.data, full.loss
    if use_working_sets(penalty, data):
        return working_sets(full, penalty, C0, precompute=precompute, **kw), full
    if (loss.name == "logistic" and precompute is not False
            and data.n_features <= _NEWTON_MAX_FEATURES):
        return prox_newton(full, penalty, C0, **kw), full
    datafit = GramDatafit(data, full.center) if use_gram(data, loss, precompute) else full
    return fista(datafit, penalty, C0, **kw), datafit
