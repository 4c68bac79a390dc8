"""Regularization paths, cross-validated estimators and a task-aware splitter.

A path solves a model on a decreasing grid of strengths, each solve warm-started from
the previous solution on data validated once. The ``*CV`` estimators run one path per
fold (in parallel through joblib, so a Dask or Ray backend spreads the folds over a
cluster), pick the strengths with the best held-out error and refit on all data.
"""

from __future__ import annotations

import inspect
import itertools
import sys
import time
import warnings

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.metrics import accuracy_score, mean_squared_error, r2_score
from sklearn.model_selection import BaseCrossValidator, check_cv
from sklearn.utils import check_random_state
from sklearn.utils.metadata_routing import MetadataRequest
from sklearn.utils.validation import check_is_fitted

from ._base import (
    ClassifierMixin,
    RegressorMixin,
    UnknownTaskWarning,
    _MultiTaskModel,
    check_number,
    class_labels,
)
from ._datafit import DesignDatafit
from ._inputs import split_task_column, validate_features
from ._task_weights import check_main_task
from .solvers import solve

__all__ = ["regularization_path", "TaskStratifiedKFold", "TaskScorer"]


#: the warning of a grid point where one part of a split model stays zero
_DEGENERATE = "is never needed and stays zero"
#: the one warning of a search that holds such grid points
UNUSED_PART = "leave a part of the model unused"


def _warn_degenerate(base, settings, data):
    """One warning for the grid points where a part of the model is never needed
    (instead of one per point and fold)."""
    est = clone(base)
    points = [params for path in settings for params in path]
    messages = []
    for params in points:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            est.set_params(**params)._penalty(data)
        messages += [str(w.message) for w in caught if _DEGENERATE in str(w.message)]
    if messages:
        warnings.warn(
            f"{len(messages)} of the {len(points)} grid points of {type(base).__name__} "
            f"{UNUSED_PART}, e.g. {messages[0]} They stay in the search.",
            UserWarning,
            stacklevel=3,
        )


def _path(estimator, data, info, loss, settings):
    """Solve ``estimator``'s model on ``data`` for each parameter dict in ``settings``,
    warm-starting each solve from the previous one; returns ``(W, b, gap, n_iter)``
    per setting."""
    if estimator.solver == "cvxpy":
        raise ValueError("Paths are solved by FISTA; solver='cvxpy' is for single fits.")
    for name, value in settings[0].items():  # the pooling is fixed along a path
        setattr(estimator, name, value)
    full = DesignDatafit(loss, data, estimator.fit_intercept, estimator.intercept_pooling)
    C = estimator._initial_coef(full, data, info, warm=False)
    d = data.n_features
    out = []
    for params in settings:
        for name, value in params.items():  # plain attributes: cheaper than set_params
            setattr(estimator, name, value)
        with warnings.catch_warnings():  # said once, by the caller
            warnings.filterwarnings("ignore", ".*" + _DEGENERATE, UserWarning)
            penalty = estimator._penalty(data)
        result, datafit = solve(
            full,
            penalty,
            C,
            method=estimator.solver,
            precompute=estimator.precompute,
            max_iter=estimator.max_iter,
            tol=estimator.tol,
        )
        C = result.coef
        out.append((C[:d].copy(), datafit.intercept(C), result.dual_gap, result.n_iter))
    return out


def _default_alphas(estimator, data, info, loss, n_alphas, eps):
    """``geomspace(alpha_max, eps * alpha_max, n_alphas)`` where the model has an
    ``alpha_max``; None otherwise."""
    alpha_max = estimator._alpha_max(data, info, loss)  # with fit's task weights
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
    alphas=None,
    n_alphas=100,
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
    alphas : array-like, default=None
        The grid of ``param``, solved in decreasing order. None: ``geomspace(alpha_max,
        eps * alpha_max, n_alphas)`` for models with an ``alpha_max`` (norm penalties).
    n_alphas : int, default=100
    eps : float, default=1e-3
    param : str, default="alpha"
        The strength that varies along the path, for models without an ``alpha``
        (e.g. ``"alpha_shared"`` of :class:`~skmtl.DirtyRegressor`).

    Returns
    -------
    alphas : ndarray of shape (n_alphas,)
        Decreasing.
    coefs : ndarray of shape (n_alphas, n_tasks, n_features)
    intercepts : ndarray of shape (n_alphas, n_tasks)
    dual_gaps : ndarray of shape (n_alphas,)

    Examples
    --------
    >>> from skmtl import GroupLassoRegressor
    >>> from skmtl.datasets import make_joint_sparse
    >>> from skmtl.model_selection import regularization_path
    >>> X, y, tasks, _ = make_joint_sparse(n_tasks=3, random_state=0)
    >>> alphas, coefs, _, _ = regularization_path(GroupLassoRegressor(), X, y, tasks,
    ...                                           n_alphas=5)
    >>> coefs.shape, bool(abs(coefs[0]).max() < 1e-12)  # zero at alpha_max
    ((5, 3, 30), True)
    """
    est = clone(estimator)
    strengths = [k for k in est.get_params() if k.startswith("alpha")]
    if param not in strengths:
        raise ValueError(
            f"param={param!r} is not a strength of {type(estimator).__name__}; "
            f"expected one of {strengths}."
        )
    est._validate_params()
    data, info, loss = est._prepare(X, y, tasks, sample_weight, reset=True)
    if alphas is None:
        alphas = _default_alphas(est, data, info, loss, n_alphas, eps) if param == "alpha" else None
        if alphas is None:
            raise ValueError(f"{type(estimator).__name__} has no alpha_max; give alphas.")
    alphas = np.sort(np.asarray(alphas, dtype=float))[::-1]
    results = _path(est, data, info, loss, [{param: a} for a in alphas])
    coefs = np.stack([W.T for W, _, _, _ in results])
    intercepts = np.stack([b for _, b, _, _ in results])
    K = data.n_classes
    if K > 1:  # (n_alphas, n_tasks, n_classes, n_features) and (n_alphas, n_tasks, n_classes)
        coefs = coefs.reshape(len(alphas), K, -1, coefs.shape[-1]).transpose(0, 2, 1, 3)
        intercepts = intercepts.reshape(len(alphas), K, -1).transpose(0, 2, 1)
    return alphas, coefs, intercepts, np.array([gap for _, _, gap, _ in results])


def task_class_groups(tasks, y):
    """One group label per (task, class) pair: splitting by it with
    :class:`TaskStratifiedKFold` keeps both classes of every task in every training
    fold."""
    pairs = np.column_stack(
        [
            np.unique(tasks, return_inverse=True)[1].ravel(),
            np.unique(y, return_inverse=True)[1].ravel(),
        ]
    )
    return np.unique(pairs, axis=0, return_inverse=True)[1].ravel()


class TaskStratifiedKFold(BaseCrossValidator):
    """K-fold cross-validation stratified by task: every task is split across the
    folds in proportion, so every task is in every training fold.

    Rule for small tasks: a task with fewer samples than ``n_splits`` has a test
    sample in only some folds, and a task with a single sample is never in a test
    fold (it could not be both trained and tested).

    Parameters
    ----------
    n_splits : int, default=5
    shuffle : bool, default=False
        Shuffle the samples of each task before assigning folds.
    random_state : int, RandomState or None, default=None
        Used when ``shuffle`` is True.
    task_column : int or str, default=None
        Read the task labels from this column of ``X`` instead of ``groups``.

    Examples
    --------
    >>> import numpy as np
    >>> from skmtl.model_selection import TaskStratifiedKFold
    >>> tasks = np.array([0, 0, 0, 1, 1, 1, 2])
    >>> [test.tolist() for _, test in TaskStratifiedKFold(3).split(tasks, groups=tasks)]
    [[0, 3], [1, 4], [2, 5]]
    """

    __metadata_request__split = {"groups": True}

    def __init__(self, n_splits=5, *, shuffle=False, random_state=None, task_column=None):
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.random_state = random_state
        self.task_column = task_column

    def get_n_splits(self, X=None, y=None, groups=None):
        return self.n_splits

    def _iter_test_indices(self, X=None, y=None, groups=None):
        check_number(self.n_splits, "n_splits", low=2, integer=True)
        if self.task_column is not None:
            _, groups = split_task_column(X, self.task_column)
        if groups is None:
            raise ValueError(
                "TaskStratifiedKFold needs the task labels: pass groups=tasks or set task_column."
            )
        _, index = np.unique(np.asarray(groups), return_inverse=True)
        n = len(index)
        order = np.arange(n)
        if self.shuffle:
            order = check_random_state(self.random_state).permutation(n)
        order = order[np.argsort(index[order], kind="stable")]
        counts = np.bincount(index)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        rank = np.arange(n) - np.repeat(starts, counts)  # position within its task
        fold = np.empty(n, dtype=int)
        # round robin within each task, each task starting where the last one stopped
        fold[order] = (rank + np.repeat(starts, counts)) % self.n_splits
        fold[order[np.repeat(counts, counts) == 1]] = -1  # single-sample tasks: train only
        for k in range(self.n_splits):
            yield np.flatnonzero(fold == k)


class TaskScorer:
    """A scorer that passes each sample's task label to ``predict``.

    sklearn's scorers call ``predict(X)`` alone, which a model fitted with
    ``tasks=`` cannot answer; this one receives ``tasks`` through metadata routing
    (it requests it by default) and scores per task or pooled.

    Parameters
    ----------
    metric : {"r2", "neg_mean_squared_error", "accuracy"}, default="r2"
    average : {"samples", "tasks"}, default="samples"
        ``"samples"``: the metric on all labelled entries together, as the
        estimators' ``score``; ``"tasks"``: the metric on each task, averaged with
        equal weight (sklearn's multi-output convention; tasks whose held-out part
        has fewer than two samples are left out of an R^2 average).

    Examples
    --------
    >>> import sklearn
    >>> from sklearn.model_selection import cross_validate
    >>> from skmtl import GroupLassoRegressor
    >>> from skmtl.datasets import make_joint_sparse
    >>> from skmtl.model_selection import TaskScorer, TaskStratifiedKFold
    >>> X, y, tasks, _ = make_joint_sparse(n_tasks=3, random_state=0)
    >>> with sklearn.config_context(enable_metadata_routing=True):
    ...     model = GroupLassoRegressor(alpha=0.1).set_fit_request(tasks=True)
    ...     scores = cross_validate(model, X, y, scoring=TaskScorer(), cv=TaskStratifiedKFold(3),
    ...                             params={"tasks": tasks, "groups": tasks})
    >>> len(scores["test_score"])
    3
    """

    _METRICS = ("r2", "neg_mean_squared_error", "accuracy")

    def __init__(self, metric="r2", average="samples"):
        if metric not in self._METRICS:
            raise ValueError(f"metric must be one of {self._METRICS}; got {metric!r}.")
        if average not in ("tasks", "samples"):
            raise ValueError(f"average must be 'tasks' or 'samples'; got {average!r}.")
        self.metric, self.average = metric, average

    def __repr__(self):
        return f"TaskScorer(metric={self.metric!r}, average={self.average!r})"

    def get_metadata_routing(self):
        request = MetadataRequest(owner=type(self).__name__)
        request.score.add_request(param="tasks", alias=True)
        return request

    def __call__(self, estimator, X, y, tasks=None, sample_weight=None):
        pred = np.asarray(estimator.predict(X, tasks=tasks))
        y = np.asarray(y).reshape(pred.shape)
        if tasks is None and getattr(estimator, "task_column", None) is not None:
            tasks = split_task_column(X, estimator.task_column)[1]
        sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
        sw = np.broadcast_to(sw.reshape(-1, *([1] * (y.ndim - 1))), y.shape)
        if pred.ndim == 2:  # wide y: a task per column, NaN unlabelled
            columns = np.broadcast_to(np.arange(y.shape[1]), y.shape)
            seen = ~np.isnan(y) if y.dtype.kind == "f" else np.ones(y.shape, bool)
            y, pred, sw, tasks = y[seen], pred[seen], sw[seen], columns[seen]
        if tasks is None or self.average == "samples":
            return self._score(y, pred, sw)
        tasks = np.asarray(tasks)
        scores = [  # scoring, not a hot path
            self._score(y[tasks == t], pred[tasks == t], sw[tasks == t])
            for t in np.unique(tasks)
            if self.metric != "r2" or np.count_nonzero(tasks == t) > 1
        ]
        return float(np.mean(scores))

    def _score(self, y, pred, sample_weight):
        if self.metric == "r2":
            return float(r2_score(y, pred, sample_weight=sample_weight))
        if self.metric == "accuracy":
            return float(accuracy_score(y, pred, sample_weight=sample_weight))
        return -float(mean_squared_error(y, pred, sample_weight=sample_weight))


def _warn_unseen_tasks(task_labels, folds):
    """One warning when test folds hold tasks their training folds lack (their
    errors are then those of the population model, a cold start)."""
    if task_labels is None:
        return
    labels = np.asarray(task_labels)
    unseen = sum(not np.isin(labels[test], labels[train]).all() for train, test in folds)
    if unseen:
        warnings.warn(
            f"{unseen} of the {len(folds)} test folds hold tasks that their training "
            "fold lacks; those are scored with the population model (a cold start). "
            "Use TaskStratifiedKFold (the default) to keep every task in every training "
            "fold, or GroupKFold to select for new tasks on purpose.",
            UnknownTaskWarning,
            stacklevel=3,
        )


def _take(X, rows):
    if X is None:
        return None
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def _held_out_error(estimator, pred, X, y, tasks, sample_weight, is_classifier):
    """Mean squared error (regressors) or 1 - accuracy (classifiers) of the
    predictions ``pred`` over the labelled test entries."""
    y, pred, sample_weight = estimator._restrict_to_main_task(
        X, np.asarray(y), tasks, sample_weight, pred
    )
    if pred.ndim == 2 and y.dtype.kind == "f":
        seen = ~np.isnan(y)
    else:
        seen = np.ones(pred.shape, dtype=bool)
        y = y.reshape(pred.shape)
    sw = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, float)
    sw = np.broadcast_to(sw.reshape(-1, *([1] * (y.ndim - 1))), y.shape) * seen
    if is_classifier:
        errors = (pred != y).astype(float)
    else:
        errors = np.where(seen, (np.where(seen, y, 0.0) - pred) ** 2, 0.0)
    return float(np.sum(sw * errors) / np.sum(sw))


class _PathCV(_MultiTaskModel):
    """Cross-validation over warm-started paths; see :func:`make_cv_class`."""

    _model = None  # the estimator class being tuned
    _strengths = ("alpha",)  # tuned parameters; the first is the path's axis

    def _settings(self):
        """The base estimator's parameters (everything but the tuned strengths)."""
        names = inspect.signature(self._model.__init__).parameters
        return {k: getattr(self, k) for k in names if k not in ("self",) + self._strengths}

    def _tuned(self, grids):
        """The strengths searched (the path's first) and their grids: the intercept
        pooling only when its grid has more than one value."""
        pairs = [
            (name, grid)
            for name, grid in zip(self._strengths, grids, strict=True)
            if name != "intercept_pooling" or len(grid) > 1
        ]
        return tuple(name for name, _ in pairs), [grid for _, grid in pairs]

    def fit(self, X, y, tasks=None, sample_weight=None):
        """Choose the strengths by cross-validation, then refit on all the data.

        Parameters
        ----------
        X, y, tasks, sample_weight
            As in the base estimator's ``fit``.

        Returns
        -------
        self : object
        """
        base = self._model(**self._settings())
        base._validate_params()
        check_number(self.n_alphas, "n_alphas", low=1, integer=True)
        check_number(self.eps, "eps", low=0, low_open=True)
        # validate everything once (clear errors), then split rows of indexable inputs
        prepared = clone(base)._prepare(X, y, tasks, sample_weight, True)
        if not hasattr(X, "iloc"):
            X = sp.csr_matrix(X) if sp.issparse(X) else np.asarray(X)
        y = np.asarray(y)
        task_labels = tasks
        if self.task_column is not None:
            task_labels = split_task_column(X, self.task_column)[1]
        grids = self._grids(base, prepared)
        base.set_params(intercept_pooling=grids[-1][0])  # the value when not searched
        strengths, grids = self._tuned(grids)
        cv = self.cv
        groups = task_labels
        if cv is None or isinstance(cv, int):
            n = 5 if cv is None else cv
            if task_labels is None:
                cv = check_cv(n, y, classifier=self._is_classifier and y.ndim == 1)
            else:
                cv = TaskStratifiedKFold(n)
                if self._is_classifier:  # by task and class: both classes train
                    groups = task_class_groups(task_labels, y)
        cv = check_cv(cv)
        folds = list(cv.split(X, y, groups=groups))
        _warn_unseen_tasks(task_labels, folds)
        secondary = list(itertools.product(*grids[1:]))
        settings = [
            [dict(zip(strengths, (a,) + rest, strict=True)) for a in grids[0]] for rest in secondary
        ]
        _warn_degenerate(base, settings, prepared[0])
        errors = Parallel(n_jobs=self.n_jobs)(
            delayed(_fold_errors)(
                base,
                X,
                y,
                tasks,
                sample_weight,
                train,
                test,
                settings,
                k,
                len(folds),
                self.verbose,
            )
            for k, (train, test) in enumerate(folds)
        )
        path = np.moveaxis(np.array(errors), 0, -1)  # (n_secondary, n_alphas, n_folds)
        shape = tuple(len(g) for g in grids[1:]) + (len(grids[0]), len(folds))
        path = path.reshape(shape)
        best = np.unravel_index(np.argmin(path.mean(axis=-1)), shape[:-1])
        chosen = dict(
            zip(strengths[1:], (grids[i + 1][j] for i, j in enumerate(best[:-1])), strict=True)
        )
        chosen[strengths[0]] = grids[0][best[-1]]
        chosen.setdefault("intercept_pooling", base.intercept_pooling)
        self.searched_strengths_ = strengths
        for name, value in chosen.items():
            setattr(self, f"{name}_", float(value))
            grid = grids[strengths.index(name)] if name in strengths else [value]
            setattr(self, f"{name}s_", np.asarray(grid, dtype=float))
        setattr(
            self,
            "score_path_" if self._is_classifier else "mse_path_",
            1.0 - path if self._is_classifier else path,
        )
        self.estimator_ = (
            clone(base).set_params(**chosen).fit(X, y, tasks=tasks, sample_weight=sample_weight)
        )
        for name, value in vars(self.estimator_).items():
            if name.endswith("_") and not name.startswith("_"):
                setattr(self, name, value)
        self._layout = self.estimator_._layout
        self._fitted_loss = self.estimator_._fitted_loss
        self._n_classes = self.estimator_._n_classes
        return self

    def _grids(self, base, prepared):
        """The grid of each tuned strength; the first one decreasing. ``prepared`` is
        the validated ``(data, info, loss)`` of all the data."""
        grids = []
        for i, name in enumerate(self._strengths):
            grid = getattr(self, f"{name}s")
            n_alphas = self.n_alphas
            if isinstance(grid, (int, np.integer)) and i == 0:  # sklearn: alphas=30
                grid, n_alphas = None, int(grid)
            if grid is None and i == 0:
                grid = _default_alphas(base, *prepared, n_alphas, self.eps)
            if grid is None and name == "intercept_pooling":
                grouped = prepared[1]["layout"] == "tasks" and base.fit_intercept
                grid = POOLING_GRID if grouped else (0.0,)
            if grid is None:
                grid = self._default_grids[name]
            grid = np.atleast_1d(np.asarray(grid, dtype=float))
            grids.append(np.sort(grid)[::-1] if i == 0 else grid)
        return grids

    def _decision(self, X, tasks):
        check_is_fitted(self, "estimator_")
        return self.estimator_._decision(X, tasks)

    def __sklearn_tags__(self):
        return self._model().__sklearn_tags__()


def _fold_errors(base, X, y, tasks, sample_weight, train, test, settings, k, n_folds, verbose):
    """Held-out errors of the paths of one fold: shape (n_secondary, n_alphas)."""
    start = time.perf_counter()
    est = clone(base)
    tasks = None if tasks is None else np.asarray(tasks)
    sample_weight = None if sample_weight is None else np.asarray(sample_weight)
    data, info, loss = est._prepare(
        _take(X, train),
        _take(np.asarray(y), train),
        _take(tasks, train),
        _take(sample_weight, train),
        True,
    )
    est._main_index = check_main_task(est.main_task, info["tasks_"])
    est._weigh_tasks(data, info)  # the paths solve fit's objective
    X_test, y_test = _take(X, test), _take(np.asarray(y), test)
    tasks_test, sw_test = _take(tasks, test), _take(sample_weight, test)
    errors, validated = [], None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UnknownTaskWarning)  # said once, by fit
        for path_settings in settings:
            row = []
            for W, b, _, _ in _path(est, data, info, loss, path_settings):
                est._set_solution(W, b, info, data.task_weights)
                if validated is None:  # the test rows are validated once per fold
                    validated = validate_features(est, X_test, tasks_test, reset=False)
                pred = est._decision_validated(*validated)
                if est._is_classifier:
                    pred = class_labels(est, pred)
                row.append(
                    _held_out_error(
                        est, pred, X_test, y_test, tasks_test, sw_test, est._is_classifier
                    )
                )
            errors.append(row)
    if verbose:
        print(
            f"[{type(base).__name__}CV] fold {k + 1}/{n_folds}: "
            f"{len(settings) * len(settings[0])} fits in "
            f"{time.perf_counter() - start:.2f} s",
            file=sys.stderr,
        )
    return errors


_POOLING_DOC = """        Grid of ``intercept_pooling``, searched with the other strengths when it
        has more than one value. None: ``POOLING_GRID`` (0, 1, 4, 16, 64 and inf
        pseudo-samples per task) when each row has a task label (``tasks=`` or
        ``task_column``) and intercepts are fitted, else 0 (free intercepts, as
        sklearn's ``MultiTaskLassoCV`` for wide ``y``)."""

_CV_PARAMETERS = """
    Parameters
    ----------
    {grids}
    n_alphas : int, default=100
        Number of alphas on the automatic grid.
    eps : float, default=1e-3
        ``alpha_min / alpha_max`` on the automatic grid.
    cv : int, cross-validation generator or iterable, default=None
        None: 5 folds, :class:`TaskStratifiedKFold` when each sample has a task label
        (by task and class for classifiers),
        :class:`~sklearn.model_selection.KFold` for a shared design.
    n_jobs : int, default=None
        Folds run in parallel through joblib (a Dask or Ray backend spreads them over
        a cluster).
    **params
        Every other parameter of :class:`~skmtl.{model}` (``fit_intercept``,
        ``unknown_task``, ``task_weights``, ``main_task``, ``task_column``, ``tol``...),
        with the same meaning and default.

    Attributes
    ----------
    {attributes}
    estimator_ : estimator
        The base estimator refitted on all data with the chosen strengths; its
        fitted attributes (``coef_``, ``intercept_``, ``tasks_``...) are also set on
        this estimator.

    See Also
    --------
    skmtl.{model} : The model with fixed strengths.
    TaskStratifiedKFold : The default splitter when each sample has a task label.
    regularization_path : One warm-started path without cross-validation.
"""


def make_cv_class(model, strengths, default_grids, mixin):
    """The ``*CV`` estimator of ``model``: its parameters without the tuned
    ``strengths``, plus a grid for each (``alphas``, ``betas``, ...) and the
    cross-validation parameters."""
    base = [
        p
        for name, p in inspect.signature(model.__init__).parameters.items()
        if name != "self" and name not in strengths
    ]
    grids = [
        inspect.Parameter(f"{s}s", inspect.Parameter.KEYWORD_ONLY, default=None) for s in strengths
    ]
    extra = [
        inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default)
        for name, default in (
            ("n_alphas", 100),
            ("eps", 1e-3),
            ("cv", None),
            ("n_jobs", None),
        )
    ]
    positional = [p for p in base if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    keyword = [p for p in base if p.kind is inspect.Parameter.KEYWORD_ONLY]
    params = (
        [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
        + positional
        + grids
        + keyword
        + extra
    )
    signature = inspect.Signature(params)

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        for name, value in list(bound.arguments.items())[1:]:
            setattr(self, name, value)

    __init__.__signature__ = signature
    grid_doc = "\n    ".join(
        f"{s}s : {'int or ' if i == 0 else ''}array-like, default=None\n        Grid of ``{s}``"
        + (
            " (None or an int: the automatic grid of that many values from alpha_max"
            + (f", else {default_grids[s]!r})." if s in default_grids else ").")
            if i == 0
            else f" (None: {default_grids[s]!r})."
        )
        for i, s in enumerate(strengths)
        if s != "intercept_pooling"
    )
    grid_doc += f"\n    intercept_poolings : array-like, default=None\n{_POOLING_DOC}"
    attributes = "\n    ".join(
        [
            f"{s}_ : float\n        The chosen ``{s}``.\n    {s}s_ : ndarray\n        "
            f"The grid of ``{s}``."
            for s in strengths
        ]
        + [
            "searched_strengths_ : tuple of str\n        The strengths searched, the "
            "path's first; the error path has an axis for each of the others in this "
            "order, then the path's, then the folds (``intercept_pooling`` is searched "
            "only when its grid has more than one value)."
        ]
        + [
            "mse_path_ : ndarray of shape (one axis per searched grid..., n_folds)\n"
            "        Held-out mean "
            "squared error (regressors; the path's axis is the last grid)."
            if mixin is RegressorMixin
            else "score_path_ : ndarray of shape (one axis per grid..., n_folds)\n        Held-out "
            "accuracy (classifiers)."
        ]
    )
    doc = f"""{model.__name__} with {", ".join(strengths)} chosen by cross-validation.

    Each fold solves a warm-started path over the grids below; the strengths with
    the best held-out error are refitted on all data.
""" + _CV_PARAMETERS.format(grids=grid_doc, attributes=attributes, model=model.__name__)
    return type(
        f"{model.__name__}CV",
        (mixin, _PathCV),
        {
            "__init__": __init__,
            "__doc__": doc,
            "_model": model,
            "_strengths": tuple(strengths),
            "_default_grids": default_grids,
            "__module__": __name__,
        },
    )


from .estimators import (  # noqa: E402  (the CV classes wrap the named estimators)
    ClusteredClassifier,
    ClusteredRegressor,
    ClusterNormClassifier,
    ClusterNormRegressor,
    DirtyClassifier,
    DirtyRegressor,
    GraphRegularizedClassifier,
    GraphRegularizedRegressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    RobustLowRankClassifier,
    RobustLowRankRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)

#: the default grid of ``intercept_pooling`` when each row has a task label, in
#: pseudo-samples per task: from free intercepts to one common intercept
POOLING_GRID = (0.0, 1.0, 4.0, 16.0, 64.0, np.inf)
_STRENGTH = tuple(np.logspace(0, -4, 20).round(12))
#: the mean and graph models' coupling reaches 100: near one common model (on radon,
#: with one feature, the best choice is a common slope, alpha = 100)
_COUPLING = tuple(np.logspace(2, -4, 25).round(12))
_RIDGE = (1e-3, 1e-2, 1e-1)
#: the cluster norm's within-cluster strength stays above alpha_between (default 0.01)
_WITHIN = tuple(np.logspace(1, -1.5, 12).round(12))
_CV_MODELS = [
    # (model, tuned strengths, grids used when the user gives none)
    (GroupLassoRegressor, ("alpha",), {}),
    (GroupLassoClassifier, ("alpha",), {}),
    (TraceNormRegressor, ("alpha",), {"alpha": _STRENGTH}),
    (TraceNormClassifier, ("alpha",), {"alpha": _STRENGTH}),
    (MeanRegularizedRegressor, ("alpha", "beta"), {"alpha": _COUPLING, "beta": _RIDGE}),
    (MeanRegularizedClassifier, ("alpha", "beta"), {"alpha": _COUPLING, "beta": _RIDGE}),
    (GraphRegularizedRegressor, ("alpha", "beta"), {"alpha": _COUPLING, "beta": _RIDGE}),
    (GraphRegularizedClassifier, ("alpha", "beta"), {"alpha": _COUPLING, "beta": _RIDGE}),
    (ClusteredRegressor, ("alpha", "beta"), {"alpha": _STRENGTH, "beta": _RIDGE}),
    (ClusteredClassifier, ("alpha", "beta"), {"alpha": _STRENGTH, "beta": _RIDGE}),
    (
        ClusterNormRegressor,
        ("alpha_within", "alpha_mean"),
        {"alpha_within": _WITHIN, "alpha_mean": _RIDGE},
    ),
    (
        ClusterNormClassifier,
        ("alpha_within", "alpha_mean"),
        {"alpha_within": _WITHIN, "alpha_mean": _RIDGE},
    ),
    (TaskRelationRegressor, ("alpha", "beta"), {"alpha": _STRENGTH, "beta": _RIDGE}),
    (TaskRelationClassifier, ("alpha", "beta"), {"alpha": _STRENGTH, "beta": _RIDGE}),
    (SharedSubspaceRegressor, ("alpha", "beta"), {"alpha": _STRENGTH, "beta": _RIDGE}),
    (SharedSubspaceClassifier, ("alpha", "beta"), {"alpha": _STRENGTH, "beta": _RIDGE}),
    (
        DirtyRegressor,
        ("alpha_shared", "alpha_specific"),
        {"alpha_shared": _STRENGTH, "alpha_specific": _RIDGE},
    ),
    (
        DirtyClassifier,
        ("alpha_shared", "alpha_specific"),
        {"alpha_shared": _STRENGTH, "alpha_specific": _RIDGE},
    ),
    (
        RobustLowRankRegressor,
        ("alpha_lowrank", "alpha_outlier"),
        {"alpha_lowrank": _STRENGTH, "alpha_outlier": _RIDGE},
    ),
    (
        RobustLowRankClassifier,
        ("alpha_lowrank", "alpha_outlier"),
        {"alpha_lowrank": _STRENGTH, "alpha_outlier": _RIDGE},
    ),
]
for _model, _strengths, _grids in _CV_MODELS:
    _mixin = ClassifierMixin if issubclass(_model, ClassifierMixin) else RegressorMixin
    _strengths = _strengths + ("intercept_pooling",)
    globals()[f"{_model.__name__}CV"] = make_cv_class(_model, _strengths, _grids, _mixin)
    __all__.append(f"{_model.__name__}CV")
del _model, _strengths, _grids, _mixin
