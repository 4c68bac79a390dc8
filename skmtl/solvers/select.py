"""The choice of the iterative method for one problem (``solver=`` of the estimators)."""

from __future__ import annotations

from . import admm as _admm
from . import cd as _cd
from .fista import fista

#: the methods a user can force, beside "auto", "closed_form" and "cvxpy"
ITERATIVE = ("fista", "cd", "admm")


def iterative_solver(method, datafit, penalty):
    """The iterative method for ``datafit + penalty``: a function with the
    signature of :func:`~skmtl.solvers.fista.fista`.

    ``"auto"``, on Gram statistics with up to 100 features: coordinate descent
    (:mod:`~skmtl.solvers.cd`) for row-separable penalties, ADMM
    (:mod:`~skmtl.solvers.admm`) for the others except the dirty model (two row
    penalties, where neither beat FISTA on well-conditioned data); FISTA otherwise
    (rows, many features, ADMM's penalties with pooled intercepts, the dirty
    model). ``"cd"``, ``"admm"`` and ``"fista"`` force one (``"cd"`` and ``"admm"``
    raise a ValueError where they do not apply); ``"closed_form"`` falls back to
    FISTA.
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
        return fista
    if _cd.use_cd(datafit, penalty):
        return _cd.cd
    if _admm.use_admm(datafit, penalty) and not _cd.serves(datafit, penalty):
        return _admm.admm
    return fista
