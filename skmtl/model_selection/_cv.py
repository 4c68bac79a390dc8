"""The base of the ``*CV`` estimators: cross-validation over warm-started paths.

Each fold solves one path per point of the secondary grids (in parallel through
joblib, so a Dask or Ray backend spreads the folds over a cluster); the strengths
with the best held-out error are refitted on all data.
"""

from __future__ import annotations

import copy
import itertools
import warnings

import numpy as np
import scipy.sparse as sp
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import check_cv
from sklearn.utils.validation import check_is_fitted

from .._base import _is_dask, _MultiTaskModel, check_number
from .._inputs import (
    TASK_ORDER_WARNINGS,
    check_eps,
    infinite_free_intercepts,
    label_array,
    split_task_column,
    user_stacklevel,
)
from .._task_weights import check_main_task
from ._folds import (
    _check_main_task_folds,
    _fold_errors,
    _warn_degenerate,
    _warn_unseen_tasks,
    held_out_criterion,
    prepare_pooled,
)
from ._grids import (
    PATH_POINTS,
    POOLING_GRID,
    check_grid,
    is_count,
    laplace_pooling,
    log_grid,
    m_estimate_pooling,
    margin_pooling,
    moment_pooling,
)
from ._path import _default_alphas
from ._split import TaskStratifiedKFold, task_class_groups


def _unscored_fold(k, n_folds):
    """The error for fold ``k`` whose test rows carry no weight (or no label)."""
    return ValueError(
        f"Fold {k + 1} of {n_folds} has no test sample of positive weight: its held-out "
        "error is undefined (0/0). The default folds (cv=None or an int) leave out the "
        "rows of zero weight; or pass a splitter whose test folds hold weighted rows."
    )


class _PathCV(_MultiTaskModel):
    """Cross-validation over warm-started paths, shared by every ``*CV`` estimator
    (as scikit-learn's ``LinearModelCV``).

    A subclass names the estimator it tunes (``_model``) and the automatic grid of
    each searched strength (``_ranges``, the path's strength first), and lists in its
    ``__init__`` the estimator's parameters without the searched strengths, a grid
    parameter for each (``alphas``, ``betas``, ..., ``intercept_poolings``) and
    ``eps``, ``cv``, ``n_jobs``. Every parameter the estimator also has is passed on
    to it by name, so a new estimator parameter only needs a place in that
    signature.
    """

    _model = None  # the estimator class being tuned
    _searches_strengths = True  # (no alpha_max: that of the model it tunes)
    #: the searched strengths, the path's first, each with its automatic grid as the
    #: powers of ten of its first and last values (None: from alpha_max only)
    _ranges = {"alpha": None}
    #: strengths (not the path's) searched only when their grid is given: a grid of
    #: None keeps the estimator's parameter of that name (also one of this class)
    _optional = ()
    #: whether the path's grid may be None: PATH_POINTS values, by whether the rows
    #: have task labels (and intercepts) or ``intercept_pooling`` is searched (the
    #: norm models' ``alphas=None``)
    _sized_by_pooling = False
    #: the searched strengths, ``intercept_pooling`` last (set from ``_ranges``)
    _strengths = ("alpha", "intercept_pooling")
    #: searched ratios that stand for an estimator's strength: ``{ratio: (strength,
    #: numerator)}`` sets ``strength = numerator / ratio`` at every grid point (as
    #: scikit-learn's ``ElasticNetCV`` searches ``l1_ratio`` along each path)
    _ratios = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls._strengths = (*cls._ranges, "intercept_pooling")
        if cls.__module__.startswith(__package__ + "."):
            # ours are shown, pickled and documented (as the canonical name of their
            # skmtl.<name> page) under the public module, where they have always been
            cls.__module__ = __package__

    def _model_params(self):
        """The tuned estimator's parameters: those of this estimator that it has too."""
        names = set(self._model._get_param_names())
        return {k: v for k, v in self.get_params(deep=False).items() if k in names}

    def _tuned(self, grids):
        """The strengths searched (the path's first) and their grids: the intercept
        pooling only when its grid has more than one value, an optional strength only
        when its grid is given."""
        pairs = [
            (name, grid)
            for name, grid in zip(self._strengths, grids, strict=True)
            if (name != "intercept_pooling" or len(grid) > 1) and not self._unsearched(name)
        ]
        return tuple(name for name, _ in pairs), [grid for _, grid in pairs]

    def _unsearched(self, name):
        """Whether ``name`` is an optional strength without a grid (kept fixed)."""
        return name in self._optional and getattr(self, f"{name}s") is None

    def _point_params(self, point):
        """The estimator's parameters at a grid point ``{strength: value}`` (a ratio
        of ``_ratios`` replaced by the strength it stands for)."""
        params = dict(point)
        for ratio, (strength, numerator) in self._ratios.items():
            if ratio in params:
                params[strength] = params[numerator] / params.pop(ratio)
        return params

    def _default_grid(self, name, count, data):
        """The automatic grid of ``count`` values of a strength that is not the
        path's (None: it has none): from ``_ranges``."""
        decades = self._ranges[name]
        if decades is None:
            return None
        grid = log_grid(decades[:2], count)
        return grid * getattr(self, decades[2]) if len(decades) > 2 else grid

    def _path_alpha_max(self, base, data, info, loss):
        """The top of the automatic grid of the path's strength: the estimator's
        ``alpha_max`` (None: it has none; a subclass whose path is along another
        strength gives that strength's)."""
        return base._alpha_max(data, info, loss)  # with fit's task weights

    def fit(self, X, y, tasks=None, sample_weight=None, groups=None):
        """Choose the strengths by cross-validation, then refit on all the data.

        Parameters
        ----------
        X, y, tasks, sample_weight
            As in the base estimator's ``fit``. The held-out errors are weighted by
            ``sample_weight`` too; with the default folds, rows of zero weight are
            left out of them.
        groups : array-like of shape (n_samples,), default=None
            Group labels for the splitter ``cv``, as ``GridSearchCV.fit`` takes them
            (e.g. patients for a :class:`~sklearn.model_selection.GroupKFold`;
            ``task_class_groups(tasks, y)`` for a classifier split by a
            :class:`~skmtl.model_selection.TaskStratifiedKFold`, so that both
            classes of every task train). None: the task labels (by task and class
            for a classifier's default folds when it searches free intercepts
            only; see ``cv``). With the default ``cv`` (a ``TaskStratifiedKFold``)
            the groups given are its strata, spread over every fold: to hold
            whole groups out, pass a splitter that does (``cv=GroupKFold(5)``).

        Returns
        -------
        self : object
        """
        base = self._model(**self._model_params())
        base._validate_params()
        base._check_fixed_task_weights(type(self).__name__)
        check_number(self.eps, "eps", low=0, low_open=True)  # (below 1: automatic grids)
        if self.n_jobs is not None:
            check_number(self.n_jobs, "n_jobs", integer=True)
            if self.n_jobs == 0:
                raise ValueError(
                    "n_jobs must be a number of processes, -1 for all cores (-2 all but "
                    "one, as joblib counts) or None for one; got 0."
                )
        if any(_is_dask(a) for a in (X, y, tasks, sample_weight)):
            # the folds need rows: the data in memory, computed once (not at each use)
            import dask

            X, y, tasks, sample_weight = dask.compute(X, y, tasks, sample_weight)
        # validate everything once (clear errors), then split rows of indexable inputs;
        # tasks whose free intercept is infinite (one class, zero counts) are checked
        # against the pooling grid in _grids
        try:
            prepared = prepare_pooled(clone(base), X, y, tasks, sample_weight)
        except ValueError as error:  # scikit-learn's checks name the inner model
            inner, outer = f"{type(base).__name__} does not", f"{type(self).__name__} does not"
            if inner not in str(error):
                raise
            raise ValueError(str(error).replace(inner, outer)) from None
        check_main_task(base.main_task, prepared[1]["tasks_"])  # (before any fold's)
        if not hasattr(X, "iloc"):
            X = sp.csr_matrix(X) if sp.issparse(X) else np.asarray(X)
        y = np.asarray(y)
        task_labels = tasks
        if self.task_column is not None:
            task_labels = split_task_column(X, self.task_column)[1]
        if base._is_classifier and task_labels is None and y.shape[1:] == (1,):
            y = y[:, 0]  # one task's labels, as prepare_pooled warned: stratified folds
        grids = self._grids(base, prepared)
        poolings = grids[-1]
        base.set_params(intercept_pooling=poolings[0])  # the value when not searched
        strengths, grids = self._tuned(grids)
        cv = self.cv
        own_groups = groups is not None
        by_task = False  # a classifier's default folds by task only
        if own_groups:
            groups = label_array(groups)
            if groups.shape[:1] != (y.shape[0],):
                raise ValueError(
                    f"groups has shape {groups.shape}; give one group label per sample "
                    f"({y.shape[0]})."
                )
        else:
            groups = task_labels
        if cv is None or isinstance(cv, int):
            n = 5 if cv is None else cv
            if sample_weight is not None:
                # rows of zero weight carry nothing: left out of the folds, so that
                # a task's weighted rows are spread as its rows would be (a task
                # with one weighted row among many stays in every training fold)
                sample_weight = np.asarray(sample_weight, dtype=float)
                keep = sample_weight > 0
                X = X.iloc[keep] if hasattr(X, "iloc") else X[keep]
                y, sample_weight = y[keep], sample_weight[keep]
                if task_labels is not None:
                    task_labels = label_array(task_labels)[keep]
                    tasks = None if tasks is None else task_labels
                groups = groups[keep] if own_groups else task_labels
            if task_labels is None:
                cv = check_cv(n, y, classifier=self._is_classifier and y.ndim == 1)
            else:
                cv = TaskStratifiedKFold(n)
                if self._is_classifier and not own_groups:
                    if _free_only(base, poolings):
                        # by task and class, so that every class of every task trains:
                        # the free intercepts' only folds (see _free_only)
                        groups = task_class_groups(task_labels, y)
                    else:
                        by_task = True
        cv = check_cv(cv)
        with warnings.catch_warnings():
            # the task labels go to every splitter as groups; one that takes none
            # (KFold) need not say that it ignores what the user never passed
            if not own_groups:
                warnings.filterwarnings("ignore", "The groups parameter is ignored", UserWarning)
            folds = list(cv.split(X, y, groups=groups))
        if not folds:
            raise ValueError(
                "cv gave no train/test split (an empty list, or a generator that an "
                "earlier fit used up): pass a splitter, e.g. TaskStratifiedKFold(5), or "
                "a list of (train, test) index pairs."
            )
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=float)
            for k, (_, test) in enumerate(folds):
                if not np.any(weights[test] > 0):
                    raise _unscored_fold(k, len(folds))
        n_classes = len(np.unique(y)) if by_task else 0
        if by_task and any(len(np.unique(y[train])) < n_classes for train, _ in folds):
            # a class whose samples all fell in one test fold (a rare class, a single
            # sample per task in the same place): by task and class, it trains
            folds = list(cv.split(X, y, groups=task_class_groups(task_labels, y)))
        _check_main_task_folds(task_labels, folds, base.main_task)
        _warn_unseen_tasks(task_labels, folds, getattr(base, "unknown_task", "warn"))
        secondary = list(itertools.product(*grids[1:]))
        settings = [
            [self._point_params(dict(zip(strengths, (a,) + rest, strict=True))) for a in grids[0]]
            for rest in secondary
        ]
        _warn_degenerate(base, settings, prepared[0])
        with warnings.catch_warnings():  # said once, when the data were validated
            warnings.filterwarnings("ignore", TASK_ORDER_WARNINGS, UserWarning)
            results = Parallel(n_jobs=self.n_jobs)(
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
        errors = [fold_errors for fold_errors, _, _ in results]
        path = np.moveaxis(np.array(errors), 0, -1)  # (n_secondary, n_alphas, n_folds)
        shape = tuple(len(g) for g in grids[1:]) + (len(grids[0]), len(folds))
        path = path.reshape(shape)
        _warn_not_converged([messages for _, _, messages in results], settings)
        undefined = [k for k in range(len(folds)) if np.isnan(path[..., k]).all()]
        if undefined:  # (else its NaN would be the smallest error: argmin's first)
            raise _unscored_fold(undefined[0], len(folds))
        infinite = [k for k, (_, reason, _) in enumerate(results) if reason]
        if infinite and not np.isfinite(path.mean(axis=-1)).any():
            k = infinite[0]
            raise ValueError(
                "Free intercepts (intercept_pooling=0, the only value searched) are "
                f"infinite in fold {k + 1} of {len(folds)}: {results[k][1]}"
            )
        best = np.unravel_index(_first_best(path.mean(axis=-1)), shape[:-1])
        chosen = dict(
            zip(strengths[1:], (grids[i + 1][j] for i, j in enumerate(best[:-1])), strict=True)
        )
        chosen[strengths[0]] = grids[0][best[-1]]
        chosen.setdefault("intercept_pooling", base.intercept_pooling)
        for name in self._optional:  # the fixed value of an unsearched one
            chosen.setdefault(name, getattr(base, name))
        self.searched_strengths_ = strengths
        for name, value in chosen.items():
            setattr(self, f"{name}_", float(value))
            grid = grids[strengths.index(name)] if name in strengths else [value]
            setattr(self, f"{name}s_", np.asarray(grid, dtype=float))
        chosen = self._point_params(chosen)
        for strength, _ in self._ratios.values():
            setattr(self, f"{strength}_", float(chosen[strength]))
        if self._is_classifier:  # a score: higher is better
            criterion = held_out_criterion(base)
            self.score_path_ = -path if criterion == "log_loss" else 1.0 - path
        else:
            self.mse_path_ = path
        refit = clone(base).set_params(**chosen)
        last = getattr(self, "estimator_", None)
        if getattr(self, "warm_start", False) and type(last) is type(refit):
            # from the last refit's solution (a copy: fits replace attributes)
            refit = copy.deepcopy(last).set_params(**refit.get_params(deep=False))
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", TASK_ORDER_WARNINGS, UserWarning)
            self.estimator_ = refit.fit(X, y, tasks=tasks, sample_weight=sample_weight)
        learned = _learned(self.estimator_)
        for name in _learned(last).keys() - learned.keys():  # (e.g. feature_names_in_)
            vars(self).pop(name, None)
        for name, value in learned.items():
            setattr(self, name, value)
        self._layout = self.estimator_._layout
        self._fitted_loss = self.estimator_._fitted_loss
        self._n_classes = self.estimator_._n_classes
        return self

    def _grids(self, base, prepared):
        """The grid of each searched strength; the first one decreasing. ``prepared``
        is the validated ``(data, info, loss)`` of all the data."""
        data, info, loss = prepared
        grouped = info["layout"] == "tasks" and base.fit_intercept
        pooling = self.intercept_poolings
        if pooling is not None:  # (checked before the grids use it)
            pooling = check_grid(pooling, "intercept_poolings", False, True)
            if not base.fit_intercept and np.any(pooling > 0):
                warnings.warn(
                    "intercept_poolings has no effect with fit_intercept=False: there "
                    "are no intercepts to pool; searching intercept_pooling=0 only.",
                    UserWarning,
                    stacklevel=user_stacklevel(),
                )
                pooling = (0.0,)
        if pooling is None:
            pooling = (0.0,)
            if grouped:
                estimate = None
                if loss.quadratic:
                    estimate = moment_pooling(data)
                elif loss.likelihood:
                    estimate = laplace_pooling(data, loss)
                elif loss.location:
                    estimate = m_estimate_pooling(data, loss)
                elif loss.margin:
                    estimate = margin_pooling(data, loss)
                pooling = POOLING_GRID if estimate is None else (estimate,)
        infinite = base.fit_intercept and infinite_free_intercepts(data, info, loss)
        if infinite and self.intercept_poolings is None:
            # free intercepts were the default's only value (wide y): search the
            # pooled ones instead
            pooling = tuple(p for p in pooling if p > 0) or tuple(p for p in POOLING_GRID if p > 0)
        elif infinite and not np.all(check_grid(pooling, "intercept_poolings", False, True) > 0):
            raise ValueError(
                f"intercept_poolings holds 0 (free intercepts), which these data do not "
                f"allow: {infinite} Leave 0 out of intercept_poolings."
            )
        grids = []
        for i, name in enumerate(self._strengths):
            param = f"{name}s"
            grid = getattr(self, param)
            if i == 0 and grid is None and self._sized_by_pooling:
                grid = PATH_POINTS[grouped or np.size(pooling) > 1]
            if name == "intercept_pooling":
                grid = pooling
            elif self._unsearched(name):
                grid = (getattr(base, name),)
            elif is_count(grid):  # scikit-learn's alphas=int: that many automatic values
                check_number(grid, param, low=1, integer=True)
                count, grid = grid, None
                if i == 0:
                    check_eps(self.eps)
                    grid = _default_alphas(self._top(base, pooling, prepared), count, self.eps)
                if grid is None:
                    grid = self._default_grid(name, count, data)
                if grid is None:
                    raise ValueError(
                        f"{self._model.__name__} with these parameters has no alpha_max to "
                        f"place {param}={count} values from; give {param} as an array."
                    )
            pooled = name == "intercept_pooling"
            grid = check_grid(grid, param, counts=not pooled, infinite=pooled)
            grids.append(np.sort(grid)[::-1] if i == 0 else grid)
        return grids

    def _top(self, base, poolings, prepared):
        """The largest ``alpha_max`` of the path over the intercept ``poolings``
        searched (None: the model has none): the grid's first strength zeroes the
        coefficients at every pooling, as ``LassoCV``'s. (At free intercepts only, a
        pooled model kept coefficients there, and targets constant in each task made
        the grid round-off, 1e-32, whose fits warned.)"""
        tops = [
            self._path_alpha_max(clone(base).set_params(intercept_pooling=pooling), *prepared)
            for pooling in np.unique(poolings)
        ]
        return None if None in tops else max(tops)

    def _decision(self, X, tasks):
        check_is_fitted(self, "estimator_")
        estimator = self.estimator_
        if estimator.unknown_task != self.unknown_task:  # (a policy set after fit)
            estimator = copy.copy(estimator)
            estimator.unknown_task = self.unknown_task
        return estimator._decision(X, tasks)

    def __sklearn_tags__(self):
        return self._model().__sklearn_tags__()


#: mean held-out errors along the path within this relative distance of the lowest
#: are ties, which go to the path's strongest: their differences are the solves'
#: round-off (a non-convex model's flat stretch of the path, equal models to 1e-8,
#: errors 5e-9 apart: alpha_ 0.041 on dense X, 0.060 on the same X as CSR or with
#: the tasks renamed)
_TIE_RTOL = 1e-7


def _first_best(errors):
    """The flat index of the lowest of ``errors`` (``(n_secondary..., n_alphas)``,
    NaN left out), or of the strongest point of its path (the first along the last
    axis, whose grid decreases) within ``_TIE_RTOL`` of it."""
    if np.isnan(errors).all():
        return 0
    low = np.nanmin(errors)
    best = np.unravel_index(np.flatnonzero(errors == low)[0], errors.shape)
    if np.isfinite(low):
        row = errors[best[:-1]]
        best = (*best[:-1], np.flatnonzero(row <= low + _TIE_RTOL * abs(low))[0])
    return int(np.ravel_multi_index(best, errors.shape))


def _warn_not_converged(messages, settings):
    """One ConvergenceWarning for the ``messages`` of the ConvergenceWarnings of the
    fits on each fold (paths of ``settings``), instead of each fit's: a non-convex
    ``*CV`` on Contraception raised about 150, each with its own numbers, so that
    Python showed them all."""
    count = sum(len(fold) for fold in messages)
    if not count:
        return
    first = next(message for fold in messages for message in fold)
    folds = sum(bool(fold) for fold in messages)
    fits = len(messages) * len(settings) * len(settings[0])
    warnings.warn(
        f"{count} convergence warning(s) from the fits on {folds} of the "
        f"{len(messages)} cross-validation folds ({fits} fits in all); their held-out "
        f"scores chose the strengths, and the refit on all the data warns on its own. "
        f"The first: {first}",
        ConvergenceWarning,
        stacklevel=user_stacklevel(),
    )


def _free_only(base, poolings):
    """Whether the search fits free intercepts only (``intercept_pooling`` 0 at every
    point, with intercepts). A classifier's default folds then split each task's
    samples of each class, so that every task trains on both classes (a free
    intercept of a task with one class is infinite); otherwise they split each
    task's samples only. Folds by task and class give every task's held-out rows
    the class mix of its training rows, which hides the very noise that pooling the
    intercepts guards against: they made the search prefer free intercepts
    (Contraception, intercepts only: held-out log-loss 0.637 free and 0.642 at
    pooling 4 with such folds; with folds by task, free intercepts infinite in
    every split and 0.656 at pooling 4, the best)."""
    return base.fit_intercept and not np.any(np.asarray(poolings) > 0)


def _learned(estimator):
    """The fitted attributes of ``estimator`` (public, ending in ``_``) by name; none
    for None. A ``*CV`` carries its refit's."""
    if estimator is None:
        return {}
    return {
        name: value
        for name, value in vars(estimator).items()
        if name.endswith("_") and not name.startswith("_")
    }
