"""Regularization paths: a model solved on a decreasing grid of one strength, each
solve warm-started from the previous solution on data validated once."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone

from .._base import _MultiTaskModel, check_number
from .._datafit import DesignDatafit
from .._inputs import check_eps
from ..penalties import L21
from ..solvers import solve_closed_form_path
from ._grids import check_grid, is_count

#: the warning of a grid point where one part of a split model stays zero
_DEGENERATE = "is never needed and stays zero"


def _path(estimator, data, info, loss, settings, certify=True, gram=None):
    """Solve ``estimator``'s model on ``data`` for each parameter dict in ``settings``,
    warm-starting each solve from the previous one; returns ``(W, b, gap, n_iter)``
    per setting. A model solved in closed form gets the whole path at once, with
    its gaps checked when ``certify`` (else NaN: cross-validation only predicts).
    ``gram``: a function giving Gram statistics of ``data``, shared by the paths
    of a fold (called when first needed)."""
    if estimator.solver == "cvxpy":
        raise ValueError("Paths are solved by FISTA; solver='cvxpy' is for single fits.")
    for name, value in settings[0].items():  # the pooling is fixed along a path
        _set(estimator, name, value)
    estimator.verbose = 0  # quiet solves: the caller reports the progress
    full = DesignDatafit(
        loss, data, estimator.fit_intercept, estimator.intercept_pooling, gram=gram
    )
    penalties = []
    for params in settings:
        for name, value in params.items():
            _set(estimator, name, value)
        with warnings.catch_warnings():  # said once, by the caller
            warnings.filterwarnings("ignore", ".*" + _DEGENERATE, UserWarning)
            penalties.append(estimator._penalty(data))
    # one solve per penalty is the estimator's own (multi-stage models solve several
    # times); the others are a single solve, which the closed form does for all at once
    solved = None
    if type(estimator)._solve is _MultiTaskModel._solve:
        solved = solve_closed_form_path(
            full,
            penalties,
            method=estimator.solver,
            max_iter=estimator.max_iter,
            tol=estimator.tol,
            certify=certify,
        )
    if solved is not None:
        return solved
    C = estimator._initial_coef(full, data, info, warm=False)
    parts = None  # a split model's (P, Q): the next solve starts from them
    out = []
    for params, penalty in zip(settings, penalties, strict=True):
        for name, value in params.items():
            _set(estimator, name, value)
        # on the one datafit of the path
        W, intercept, parts, C = estimator._solve(
            data, info, loss, penalty, C, full=full, parts=parts
        )
        out.append((W.copy(), intercept, estimator.dual_gap_, estimator.n_iter_))
    return out


def _set(estimator, name, value):
    """Set a strength: a plain attribute (cheaper than set_params), or a nested one
    (``penalty__alpha``) on a new copy of that object, which the penalties already
    built keep as they were."""
    if "__" not in name:
        setattr(estimator, name, value)
        return
    outer, inner = name.split("__", 1)
    setattr(estimator, outer, clone(getattr(estimator, outer)).set_params(**{inner: value}))


def _default_alphas(alpha_max, n_alphas, eps):
    """``geomspace(alpha_max, eps * alpha_max, n_alphas)`` where the model has an
    ``alpha_max``; None otherwise (``alpha_max`` None)."""
    if alpha_max is None:
        return None
    if alpha_max <= 0:
        alpha_max = 1.0
    return np.geomspace(alpha_max, eps * alpha_max, n_alphas)


def regularization_path(
    estimator,
    X,
    y,
    tasks=None,
    sample_weight=None,
    *,
    alphas=100,
    eps=1e-3,
    param="alpha",
):
    """Fit ``estimator`` along a decreasing grid of ``alpha``, warm-started.

    Parameters
    ----------
    estimator : skmtl estimator
        Its other parameters (``l1_ratio``, ``beta``, ``tol``, ...) are kept.
    X, y, tasks, sample_weight
        As in the estimator's ``fit``.
    alphas : int or array-like, default=100
        The grid of ``param``, solved in decreasing order. An int: that many values,
        ``geomspace(alpha_max, eps * alpha_max, alphas)``, for models with an
        ``alpha_max`` (norm penalties; scikit-learn's ``alphas=int`` convention).
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` of the automatic grid.
    param : str, default="alpha"
        The strength that varies along the path, for models without an ``alpha``
        (e.g. ``"alpha_shared"`` of :class:`~skmtl.DirtyRegressor`); for
        :class:`~skmtl.MultiTaskEstimator`, its penalty's (``"penalty__alpha"``,
        taken for ``"alpha"``).

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        Decreasing.
    coefs : ndarray of shape (n_alphas, n_tasks, n_features)
        ``(n_alphas, n_tasks, n_classes, n_features)`` for a classifier of more than
        two classes (the shape of its ``coef_`` at each alpha).
    intercepts : ndarray of shape (n_alphas, n_tasks)
        ``(n_alphas, n_tasks, n_classes)`` for more than two classes.
    dual_gaps : ndarray of shape (n_alphas,)

    Examples
    --------
    >>> from skmtl import GroupLassoRegressor
    >>> from skmtl.datasets import make_joint_sparse
    >>> from skmtl.model_selection import regularization_path
    >>> X, y, tasks, _ = make_joint_sparse(n_tasks=3, random_state=0)
    >>> alphas, coefs, _, _ = regularization_path(GroupLassoRegressor(), X, y, tasks, alphas=5)
    >>> coefs.shape, bool(abs(coefs[0]).max() < 1e-12)  # zero at alpha_max
    ((5, 3, 30), True)
    """
    est = clone(estimator)
    if "penalty" in est.get_params(deep=False) and est.penalty is None:
        est.penalty = L21(1.0)  # (what None fits)
    # the named models' strengths, or a generic model's penalty's (penalty__alpha)
    strengths = [k for k in est.get_params() if k.split("__")[-1].startswith("alpha")]
    if param == "alpha" and "alpha" not in strengths and "penalty__alpha" in strengths:
        param = "penalty__alpha"
    if param not in strengths:
        raise ValueError(
            f"param={param!r} is not a strength of {type(estimator).__name__}; "
            f"expected one of {strengths}."
        )
    est._validate_params()
    est._check_fixed_task_weights("regularization_path")
    data, info, loss = est._prepare(X, y, tasks, sample_weight, reset=True)
    est._weigh_tasks(data, info)  # the paths solve fit's objective
    if is_count(alphas):
        check_number(alphas, "alphas", low=1, integer=True)
        check_eps(eps)
        count, alphas = alphas, None
        if param in ("alpha", "penalty__alpha"):
            alpha_max = est._alpha_max(data, info, loss)
            alphas = _default_alphas(alpha_max, count, eps)
        if alphas is None:
            raise ValueError(
                f"{type(estimator).__name__} has no alpha_max to place alphas={count} "
                f"values of {param!r} from; give alphas as an array of strengths."
            )
    alphas = np.sort(check_grid(alphas, "alphas"))[::-1]
    results = _path(est, data, info, loss, [{param: a} for a in alphas])
    coefs = np.stack([W.T for W, _, _, _ in results])
    intercepts = np.stack([b for _, b, _, _ in results])
    K = data.n_classes
    if K > 1:  # (n_alphas, n_tasks, n_classes, n_features) and (n_alphas, n_tasks, n_classes)
        coefs = coefs.reshape(len(alphas), K, -1, coefs.shape[-1]).transpose(0, 2, 1, 3)
        intercepts = intercepts.reshape(len(alphas), K, -1).transpose(0, 2, 1)
        # a softmax's intercepts up to a shift, fixed as fit fixes it: free ones
        # centred per task, pooled ones (a common shift left) as a whole
        axes = (1, 2) if est.intercept_pooling else (2,)
        intercepts = intercepts - intercepts.mean(axis=axes, keepdims=True)
    return alphas, coefs, intercepts, np.array([gap for _, _, gap, _ in results])
