"""The choice of the iterative method for one problem (``solver=`` of the estimators)."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .._datafit import GramDatafit, SplitDatafit
from ..losses import SquaredLoss
from ..penalties import DirtyRowNorm, L1Linf, SparseGroupNorm
from . import admm as _admm
from . import cd as _cd
from .closed_form import closed_form, has_closed_form
from .composite import QuadraticSmoothing
from .fista import SolverResult, duality_gap, fista, warn_not_converged
from .support_newton import cd_then_polished, support_weights

#: the methods a user can force, beside "auto", "closed_form" and "cvxpy"
ITERATIVE = ("fista", "cd", "admm")
#: the row-separable penalties that ADMM, not coordinate descent, solves on badly
#: scaled features: their row prox (a sort per row) makes a CD epoch, ``d`` row
#: proxes in Python, cost several ADMM iterations (one vectorised prox). Measured
#: (issue 18, School-like data, 139 tasks, spread 2e5, best of 3, tol 1e-6 and
#: 1e-10, ADMM with Anderson extrapolation): ADMM 3.5-4.6x faster on L1/Linf, 3-5.7x
#: on the dirty model's row norm, 1.3x on the sparse-group norm with L2 groups, 1.9x
#: with L-infinity ones; L2,1 even (CD 55/85 epochs, ADMM 59/83 iterations), L1 CD
#: 2x faster (both keep CD, as do the other row penalties)
ADMM_FIRST = (L1Linf, SparseGroupNorm, DirtyRowNorm)


def iterative_solver(method, datafit, penalty):
    """The iterative method for ``datafit + penalty``: a function with the
    signature of :func:`~skmtl.solvers.fista.fista`.

    ``"auto"``: for a row norm beside a quadratic penalty in the smooth part, on
    badly scaled features, FISTA in each feature's curvature
    (:func:`fista_in_metric`); on Gram statistics: the closed form for a quadratic
    penalty where
    it applies (:func:`~skmtl.solvers.closed_form.has_closed_form`; the inner
    solves of proximal Newton), then with up to 100 features whose curvatures are
    spread (badly scaled features: a :func:`~skmtl.solvers.cd.curvature_spread` of
    at least ``MIN_SPREAD`` = 100, :func:`~skmtl.solvers.cd.use_cd` and
    :func:`~skmtl.solvers.admm.use_admm`; for L2,1, L1 and their weighted forms
    also on up to ``FEW_FEATURES`` = 5 features, and for the dirty model's row norm
    there): coordinate descent (:mod:`~skmtl.solvers.cd`) for the row-separable
    penalties (L2,1, L1, weighted ones) but those of :data:`ADMM_FIRST` (for the
    penalties of :func:`~skmtl.solvers.support_newton.support_weights` on Gram
    statistics, finished by Newton steps on the support where it crawls:
    :func:`~skmtl.solvers.support_newton.cd_then_polished`), ADMM
    (:mod:`~skmtl.solvers.admm`) for these (L1/Linf, the sparse-group norms, the
    dirty model's row norm on ``W``; finished by CD where ADMM's gap stalls,
    :func:`admm_then_cd`) and the other penalties (spectral, task relations) except
    two row penalties on a stacked ``[P; Q]`` (where neither beat FISTA on
    well-conditioned data), and
    for split models whatever the spread; FISTA
    otherwise (rows, many features, well-scaled features, a stacked ``[P; Q]`` of
    two row penalties). Pooled intercepts are served by both CD and ADMM. ``"cd"``,
    ``"admm"`` and ``"fista"`` force one (``"cd"`` and ``"admm"`` raise a
    ValueError where they do not apply); ``"closed_form"`` gets FISTA here (a fit
    with it reaches an iterative method only for the inner solves of problems that
    the closed form serves; it raises a ValueError where the closed form does not
    apply).
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
    if smoothing_metric(datafit, penalty) is not None:
        return fista_in_metric
    if _use_closed_form(datafit, penalty):
        return _closed_form_then(_cd.cd if _cd.serves(datafit, penalty) else _admm.admm)
    if type(penalty) is DirtyRowNorm and datafit.n_features <= _cd.FEW_FEATURES:
        # an epoch is a few row proxes: the dirty model's *CV on Exam, MathAchieve and
        # radon (4, 3 and 1 features, 3 splits each) took 3.5/2.9/1.3 s by CD against
        # 4.2/4.3/2.1 s by ADMM (L1/Linf kept ADMM: CD was up to 2.7x slower there)
        if _cd.serves(datafit, penalty):
            return _cd.cd
    if _cd.use_cd(datafit, penalty):
        if type(penalty) in ADMM_FIRST:
            return admm_then_cd
        gram = type(datafit) is GramDatafit
        if gram and support_weights(penalty, datafit.n_features) is not None:
            return cd_then_polished  # CD, finished by Newton steps where it crawls
        return _cd.cd
    # not two row penalties on a stacked [P; Q] (neither beat FISTA there)
    stacked_rows = isinstance(datafit, SplitDatafit) and _cd.serves(datafit, penalty)
    if _admm.use_admm(datafit, penalty) and not stacked_rows:
        return admm_then_cd if type(penalty) in ADMM_FIRST else _admm.admm
    return _fista_for(penalty)


#: gap checks without progress after which ADMM hands over to coordinate descent
#: (:func:`admm_then_cd`)
_ADMM_PATIENCE = 20


def admm_then_cd(datafit, penalty, W0, *, max_iter=1000, tol=1e-4, threshold=None, **kw):
    """ADMM (:func:`~skmtl.solvers.admm.admm`), then coordinate descent from its
    iterate when ADMM's gap stops falling above the threshold (``_ADMM_PATIENCE``
    checks without a new low): ADMM's fixed point is exact only up to the
    curvature times the iterates' round-off, which on rank-deficient, badly scaled
    designs leaves gaps of 1e-10 relative; CD's row steps settle on an exact one.
    ``n_iter`` counts both. The solver ``"auto"`` runs for :data:`ADMM_FIRST` on
    badly scaled features."""
    if threshold is None:
        threshold = tol * datafit.gap_scale()
    kw.pop("lipschitz", None)
    first = _admm.admm(
        datafit,
        penalty,
        W0,
        max_iter=max_iter,
        threshold=threshold,
        patience=_ADMM_PATIENCE,
        **kw,
    )
    if first.dual_gap <= threshold or first.n_iter >= max_iter:
        return first
    for option in ("rho", "dual_candidate", "dual"):
        kw.pop(option, None)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = _cd.cd(
            datafit,
            penalty,
            first.coef,
            max_iter=max_iter - first.n_iter,
            threshold=threshold,
            **kw,
        )
    result.n_iter += first.n_iter
    for shown in caught:  # CD's own "did not converge" with the fit's tol, both counts
        if issubclass(shown.category, ConvergenceWarning) and "did not converge" in str(
            shown.message
        ):
            method = "ADMM, then coordinate descent,"
            warn_not_converged(result.dual_gap, result.n_iter, threshold, tol, method=method)
        else:  # (e.g. CD stopped moving: its own message)
            warnings.warn(shown.message, shown.category, stacklevel=4)
    result.lipschitz = first.lipschitz  # ADMM's rho, for the next solve's start
    return result


def smoothing_metric(datafit, penalty):
    """The metric of :func:`fista_in_metric` for a row norm beside a quadratic
    penalty in the smooth part (:class:`~skmtl.solvers.composite.QuadraticSmoothing`:
    the graph and temporal models' L1 and L2,1 terms) on Gram statistics whose
    features' curvatures are spread (at least ``MIN_SPREAD``, as for CD and ADMM,
    which serve neither a quadratic coupling of the tasks nor the sum's prox): each
    feature's own curvature (:func:`~skmtl.solvers.admm.row_metric`) plus the
    quadratic's, which every row shares; None elsewhere."""
    if not isinstance(datafit, QuadraticSmoothing) or not hasattr(datafit.inner, "grams"):
        return None
    metric = _admm.row_metric(datafit.inner, penalty)
    if metric is None or datafit.inner.n_rows != datafit.n_features:
        return None
    metric = metric + datafit.quadratic.lipschitz()
    return metric if datafit.lipschitz() >= _cd.MIN_SPREAD * metric.min() else None


def fista_in_metric(datafit, penalty, C0, **kw):
    """FISTA in each feature's own curvature (``metric`` of
    :func:`~skmtl.solvers.fista.fista`, from :func:`smoothing_metric`): on unscaled
    features beside one-hot ones FISTA's one step for all rows is that of the most
    curved one. The graph model with an L1 term on two features, one of scale 800:
    the squared loss certified at tol 1e-8 in 14250 iterations, Huber's proximal
    Newton stopped 0.7% above the optimum after 20000. Signature of ``fista``;
    plain FISTA where :func:`smoothing_metric` gives no metric (well-scaled
    features, or a later model of proximal Newton no longer spread)."""
    metric = smoothing_metric(datafit, penalty)
    if metric is None:  # (a last step in the metric's units is no guess here)
        kw.pop("lipschitz", None)
        return fista(datafit, penalty, C0, **kw)
    return fista(datafit, penalty, C0, metric=metric, **kw)


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
