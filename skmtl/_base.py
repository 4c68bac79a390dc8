"""The base of every multi-task model: parameters, validation, task weights,
solving, and the fitted attributes.

Prediction and scoring come from :mod:`skmtl._mixins`; the named estimators in
:mod:`skmtl.estimators` only choose the loss and build the penalty from flat
parameters, :class:`~skmtl.MultiTaskEstimator` takes any loss and penalty.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import warnings

import numpy as np
from sklearn import get_config
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._datafit import DesignDatafit, own_intercepts
from ._inputs import (
    build_task_data,
    check_label_kind,
    check_number,
    encode_task_labels,
    format_labels,
    label_array,
    label_is,
    label_kind,
    locate_labels,
    split_task_column,
    user_stacklevel,
    validate_features,
)
from ._params import recheck
from ._pooling import precision, shared_value
from ._task_weights import (
    as_uncertainty,
    check_main_task,
    is_uncertainty,
    resolve_task_weights,
)
from ._tasks import rowwise_dot
from .losses import get_loss, is_classification
from .penalties import (
    NormPenalty,
    Penalty,
    for_classes,
)
from .solvers import solve, solve_gram
from .solvers.smoothing import null_gradient

_SOLVERS = ("auto", "fista", "cd", "admm", "closed_form", "cvxpy")
_UNKNOWN_TASK = ("warn", "error", "mean")
#: where the API pages of the documentation are published (docs/api.rst builds them
#: as ``generated/<public path>.html``); sklearn's HTML repr links each estimator there
DOCS_URL = "https://skmtl.readthedocs.io/en/latest"


class UnknownTaskWarning(UserWarning):
    """A prediction for task labels not seen in fit (``unknown_task="warn"``)."""


def store_parameters(estimator, arguments):
    """Store ``__init__``'s arguments as attributes of the same names, unchanged (what
    scikit-learn's ``get_params`` and ``clone`` expect); ``arguments`` is ``locals()``."""
    for name, value in arguments.items():
        if name not in ("self", "__class__"):
            setattr(estimator, name, value)


def atomic(method):
    """Make ``method`` (``fit``, ``partial_fit``) all or nothing: a call that raises
    leaves the estimator exactly as it was (its attributes are restored from a
    snapshot taken at the start; the fits replace attributes, never mutate them)."""
    if getattr(method, "_atomic", False):
        return method

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        state = dict(vars(self))
        try:
            return method(self, *args, **kwargs)
        except BaseException:
            vars(self).clear()
            vars(self).update(state)
            raise

    wrapper._atomic = True
    return wrapper


def check_flags(estimator):
    """The boolean parameters are booleans, ``verbose`` a non-negative integer."""
    for name in ("warm_start", "squared"):
        value = getattr(estimator, name, False)
        if not isinstance(value, (bool, np.bool_)):
            raise ValueError(f"{name} must be True or False; got {value!r}.")
    if not isinstance(estimator.precompute, (bool, np.bool_)) and estimator.precompute != "auto":
        raise ValueError(f"precompute must be 'auto', True or False; got {estimator.precompute!r}.")
    verbose = getattr(estimator, "verbose", 0)
    if not isinstance(verbose, (bool, np.bool_)):
        check_number(verbose, "verbose", low=0, integer=True)


_SEPARABLE = "Separable classes have no finite unpenalized model"
_LOGISTIC_ADVICE = (
    f"{_SEPARABLE}; for an unpenalized logistic regression prefer sklearn's "
    "LogisticRegression(C=np.inf)."
)
#: what the ``alpha=0`` warning suggests instead, by loss
_UNPENALIZED_ADVICE = {
    "squared": "For least squares prefer sklearn's LinearRegression.",
    "logistic": _LOGISTIC_ADVICE,
    "multinomial": _LOGISTIC_ADVICE,
    "poisson": "For an unpenalized Poisson regression prefer sklearn's PoissonRegressor(alpha=0).",
    "huber": "For an unpenalized Huber regression prefer sklearn's HuberRegressor(alpha=0).",
    "quantile": "For an unpenalized quantile regression prefer sklearn's "
    "QuantileRegressor(alpha=0).",
    "squared_hinge": f"{_SEPARABLE}.",
}


class _MultiTaskModel(BaseEstimator):
    """Shared machinery; subclasses give ``_make_penalty``, and the mixins the kind
    of estimator: ``_default_loss`` (the loss of ``loss=None``) and ``_classifier``
    (whether the loss must be binary; None: either, following the loss)."""

    _default_loss = "squared"
    _classifier = None

    # sklearn's HTML repr links an estimator to its API page (BaseEstimator's
    # _doc_link_* hooks); the page is named by the class's public import path
    _doc_link_module = "skmtl"
    _doc_link_template = DOCS_URL + "/generated/{path}.html"

    def _doc_link_url_param_generator(self):
        import skmtl

        name = type(self).__name__
        if name in skmtl.__all__:
            return {"path": f"skmtl.{name}"}
        public = []  # the module path up to its first private part
        for part in type(self).__module__.split("."):
            if part.startswith("_"):
                break
            public.append(part)
        return {"path": ".".join([*public, name])}

    def __init_subclass__(cls, **kwargs):
        # the one rule for every estimator and *CV class: fit and partial_fit are atomic
        super().__init_subclass__(**kwargs)
        for name in ("fit", "partial_fit"):
            raw = inspect.getattr_static(cls, name, None)
            if hasattr(raw, "fn") and hasattr(raw, "check"):  # kept available_if
                if not getattr(raw.fn, "_atomic", False):
                    setattr(cls, name, available_if(raw.check)(atomic(raw.fn)))
            elif raw is not None:
                setattr(cls, name, atomic(getattr(cls, name)))

    def set_params(self, **params):
        """Set the parameters (scikit-learn's ``set_params``); a nested one of a
        parameter given by name (``loss__epsilon`` with ``loss="huber"``) raises an
        error that names the object to pass instead."""
        for key in params:
            name, nested, _ = key.partition("__")
            value = getattr(self, name, None)
            if nested and isinstance(value, str) and name not in params:
                example = ""
                if name == "loss":
                    try:
                        example = f" (e.g. loss={get_loss(value)!r})"
                    except ValueError:
                        pass
                raise ValueError(
                    f"Cannot set {key}: {name}={value!r} is a name, which has no "
                    f"parameters. Pass {name} as an object{example} to set or tune {key}."
                )
        return super().set_params(**params)

    def _make_penalty(self, n_tasks, n_features=None) -> Penalty:  # pragma: no cover
        raise NotImplementedError

    def _loss(self):
        """The loss object of the ``loss`` parameter (validated)."""
        loss = getattr(self, "loss", None)
        return get_loss(self._default_loss if loss is None else loss, classifier=self._classifier)

    @property
    def _is_classifier(self):
        return is_classification(self._loss())

    def _validate_params(self):
        check_number(self.max_iter, "max_iter", low=1, integer=True)
        check_number(self.tol, "tol", low=0)
        check_flags(self)
        self._loss()
        recheck(getattr(self, "loss", None), "loss")
        if self.solver not in _SOLVERS:
            raise ValueError(f"solver must be one of {_SOLVERS}; got {self.solver!r}.")
        if self.precompute not in ("auto", True, False):
            raise ValueError(f"precompute must be 'auto', True or False; got {self.precompute!r}.")
        if getattr(self, "unknown_task", "error") not in _UNKNOWN_TASK:
            raise ValueError(
                f"unknown_task must be one of {_UNKNOWN_TASK}; got {self.unknown_task!r}."
            )
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise ValueError(f"fit_intercept must be True or False; got {self.fit_intercept!r}.")
        pooling = self.intercept_pooling
        if isinstance(pooling, bool) or not isinstance(pooling, numbers.Real) or not pooling >= 0:
            raise ValueError(
                "intercept_pooling must be a number >= 0 (0: free task intercepts, "
                f"np.inf: one common intercept); got {pooling!r}."
            )

    # ------------------------------------------------------------------ fit
    def fit(self, X, y, tasks=None, sample_weight=None):
        """Fit the model to all tasks jointly.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_columns)
            Features; with ``task_column`` set, one column holds the task labels.
        y : array-like of shape (n_samples,) or (n_samples, n_tasks)
            Targets. 2-D ``y`` (without ``tasks``) gives one task per column, all
            tasks sharing the rows of ``X``; NaN marks a missing label. 1-D ``y``
            with ``tasks`` (or ``task_column``) gives one task per sample; 1-D
            ``y`` alone is a single task.
        tasks : array-like of shape (n_samples,), default=None
            The task label of each sample (any comparable labels).
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights: each task's loss is their weighted mean, and a task's
            size ``n_t`` (in the task weights ``tau_t`` and in
            ``intercept_pooling / n_t``) is the sum of its weights, so
            ``intercept_pooling`` counts pseudo-samples in units of weight.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        self._validate_params()
        self._warn_if_pooling_unused()
        for stale in ("statistics_", "task_noise_"):  # partial_fit's rows, learned weights
            vars(self).pop(stale, None)  # (fit starts over)
        if _is_dask(X):
            return self._fit_dask(X, y, tasks, sample_weight)
        data, info, loss = self._prepare(X, y, tasks, sample_weight, reset=True)
        d, T = data.n_features, data.n_tasks // data.n_classes
        penalty = self._class_penalty(T, d, data.n_classes)
        if isinstance(penalty, NormPenalty) and penalty.alpha == 0:
            advice = _UNPENALIZED_ADVICE.get(loss.name)
            warnings.warn(
                "alpha=0 leaves the model unpenalized: no duality gap can certify it, so "
                "the solver stops when its iterates stop moving (or at max_iter)."
                + (f" {advice}" if advice else ""),
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        penalty = for_classes(penalty, data.n_classes)
        spec = getattr(self, "task_weights", None)
        self._main_index = check_main_task(getattr(self, "main_task", None), info["tasks_"])
        if is_uncertainty(spec):
            if data.n_classes > 1:
                raise ValueError(
                    "task_weights='uncertainty' learns a noise level per task, which a "
                    f"classifier on {data.n_classes} classes does not have; give the task "
                    "weights (a dict or an array) or use two classes."
                )
            W, intercept, parts = self._fit_uncertainty(
                as_uncertainty(spec), data, info, loss, penalty
            )
        else:
            self._weigh_tasks(data, info)
            W, intercept, parts, _ = self._solve(data, info, loss, penalty)
        weights = data.task_weights
        self.task_weights_ = np.ones(T) if weights is None else weights[:T].copy()
        self._set_solution(W, intercept, info, data.task_weights)
        self._fit_structure(W, penalty, parts)
        self._warn_if_gap_negative()
        return self

    def _warn_if_pooling_unused(self):
        """Say that ``intercept_pooling`` does nothing without intercepts."""
        if self.intercept_pooling and not self.fit_intercept:
            warnings.warn(
                f"intercept_pooling={self.intercept_pooling!r} has no effect with "
                "fit_intercept=False: there are no intercepts to pool.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )

    def _warn_if_gap_negative(self):
        """Weak duality: a dual objective above the primal one is a wrong conjugate
        (or dual scaling) of the loss or the penalty, as a user-written one. (Not for
        the non-convex models, whose stages warn when their bound leaves the gap
        meaningless.)"""
        if hasattr(self, "_nonconvex") or not np.isfinite(self.dual_gap_):
            return
        if self.dual_gap_ < -(self.gap_threshold_ + 1e-8 * abs(self.objective_)):
            warnings.warn(
                f"The duality gap is negative ({self.dual_gap_:.3e}, objective "
                f"{self.objective_:.6e}): the dual objective exceeds the primal one, "
                "which a correct conjugate cannot give. Check the conjugate, dual_scale "
                "or dual_norm of the penalty, or the dual_value of the loss.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )

    def _solve(self, data, info, loss, penalty, C0=None, full=None, parts=None):
        """Solve once; set the solve's attributes (:meth:`_record_solve`). Returns
        ``(W, intercept, parts, C)`` with ``C`` the solver's coefficient block (for
        warm starts, with ``parts`` for a split model's). ``full``: the
        :class:`DesignDatafit` of ``data``, when the caller keeps one across solves (a
        path: its caches, e.g. the Gram matrices, are then computed once)."""
        d = data.n_features
        if self.solver == "cvxpy":
            from .solvers.cvxpy import solve_cvxpy

            W, intercept, objective, parts = solve_cvxpy(
                loss,
                penalty,
                data,
                self.fit_intercept,
                verbose=bool(self.verbose),
                pooling=self.intercept_pooling,
            )
            self.n_iter_, self.dual_gap_, self.objective_ = 0, np.nan, objective
            self.gap_threshold_ = np.nan
            return W, self._own_intercepts(loss, data, W, intercept), parts, None
        if full is None:
            full = DesignDatafit(loss, data, self.fit_intercept, self.intercept_pooling)
        if C0 is None:
            C0 = self._initial_coef(full, data, info)
        result, datafit = solve(
            full,
            penalty,
            C0,
            parts=parts if C0 is not None else None,
            method=self.solver,
            precompute=self.precompute,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
        )
        self._record_solve(result, datafit)
        W, intercept = result.coef[:d], datafit.intercept(result.coef)
        return W, self._own_intercepts(loss, data, W, intercept), result.parts, result.coef

    def _own_intercepts(self, loss, data, W, intercept):
        """The intercepts, with those of the tasks of zero task weight, which no term
        of the objective decides: free ones each minimising its own task's loss
        (:func:`~skmtl._datafit.own_intercepts`), pooled ones the shared intercept
        (of each class)."""
        weights, pooling = data.task_weights, self.intercept_pooling
        if weights is None or not self.fit_intercept or not np.any(weights == 0):
            return intercept
        if pooling == 0:
            return own_intercepts(loss, data, W, intercept)
        p = precision(pooling, weights, data.sample_totals, data.n_classes)
        if p is None or np.isinf(pooling):  # (one intercept: every task's already)
            return intercept
        shared = np.reshape(shared_value(p, intercept), (-1, 1))  # (K, 1), class-major
        return np.where(weights == 0, np.repeat(shared, p.size // len(shared)), intercept)

    def _record_solve(self, result, datafit):
        """Set ``n_iter_``, ``dual_gap_``, ``objective_`` from a solver's ``result``,
        and ``gap_threshold_``, the gap it was held to (``tol`` times ``datafit``'s
        gap scale, as the solvers compute it)."""
        self.n_iter_, self.dual_gap_, self.objective_ = (
            result.n_iter,
            result.dual_gap,
            result.primal,
        )
        self.gap_threshold_ = self.tol * datafit.gap_scale()

    def _fit_statistics(self, statistics, layout, partial=False):
        """Solve from per-task sufficient statistics (squared loss), warm-started from
        the current solution for the tasks it already has; ``partial``: the rows seen
        so far (``main_task`` and a ``task_weights`` dict may name later tasks)."""
        self._check_statistics_fit()
        weighed = statistics.counts > 0
        if partial and layout == "tasks" and weighed.any() and not weighed.all():
            # a task whose rows so far all have weight zero waits for a chunk that
            # gives it some (fit on all the rows then counts it, as fit does)
            statistics = statistics.restrict(weighed)
        spec = getattr(self, "task_weights", None)
        tasks, (T, d) = statistics.tasks, statistics.xy.shape
        info = {"layout": layout, "tasks_": tasks, "sample_totals": statistics.counts}
        unseen_ok = partial and layout == "tasks"  # (later chunks may bring tasks)
        self._main_index = check_main_task(getattr(self, "main_task", None), tasks, unseen_ok)
        penalty = self._make_penalty(T, d)
        gram = statistics.datafit(self.fit_intercept)
        weights = resolve_task_weights(
            spec, None, tasks, statistics.counts, n_tasks=T, unseen_ok=unseen_ok
        )
        if weights is not None:
            gram.scale_tasks(weights)
        if self.fit_intercept:
            gram.precision = precision(self.intercept_pooling, weights, statistics.counts)
        C0 = np.zeros((d, T))
        if hasattr(self, "coef_") and self._coef_matrix().shape[1] == d:
            # (both sorted: np.isin on 5000 string labels took 0.18 s a call); the
            # last fit's labels of another kind (none, ints for strings) know no task
            if label_kind(self.tasks_) == label_kind(tasks):
                position, known = locate_labels(self.tasks_, tasks)
                C0[:, known] = self._coef_matrix()[position[known]].T
        result = self._solve_statistics(gram, penalty, C0)
        self._record_solve(result, gram)
        self.task_weights_ = np.ones(T) if weights is None else weights
        W = result.coef
        self._set_solution(W, gram.intercept(W), info, weights)
        self._fit_structure(W, penalty, result.parts)
        return self

    def _check_statistics_fit(self):
        """What a fit from sufficient statistics (partial_fit, Dask inputs) needs,
        checked before any pass over the data."""
        if not self._loss().quadratic:
            raise ValueError(
                "Fitting from sufficient statistics (partial_fit, Dask inputs) needs the "
                f"squared loss: the {self._loss().name} loss needs a pass over the rows at "
                "every iteration."
            )
        if is_uncertainty(getattr(self, "task_weights", None)) or self.solver == "cvxpy":
            raise ValueError(
                "partial_fit and Dask inputs support neither "
                "task_weights='uncertainty' nor solver='cvxpy'."
            )

    def _solve_statistics(self, gram, penalty, C0):
        """Solve on Gram statistics (a hook: multi-stage models solve several times)."""
        result, _ = solve_gram(
            gram,
            penalty,
            C0,
            method=self.solver,
            max_iter=self.max_iter,
            tol=self.tol,
            verbose=self.verbose,
        )
        return result

    def _fit_dask(self, X, y, tasks, sample_weight):
        """Dask collections: statistics by a tree reduction over the row chunks, then
        the solve on them (squared loss)."""
        from .statistics import TaskStatistics

        if self.task_column is not None:
            raise ValueError(
                "With Dask inputs give the task labels as tasks=, a Dask "
                "collection with the row chunks of X."
            )
        self._check_statistics_fit()  # (before a pass over the data)
        statistics = TaskStatistics.from_dask(X, y, tasks, sample_weight)
        self.n_features_in_ = statistics.xy.shape[1]
        names = np.asarray(getattr(X, "columns", []), dtype=object)
        if len(names) and all(isinstance(name, str) for name in names):  # as sklearn
            self.feature_names_in_ = names
        else:
            vars(self).pop("feature_names_in_", None)
        return self._fit_statistics(statistics, "tasks" if tasks is not None else "single")

    def _fit_uncertainty(self, weights, data, info, loss, penalty):
        """Alternate weighted solves (warm-started) with the closed-form noise step."""
        if self.solver == "cvxpy":
            raise ValueError(
                "task_weights='uncertainty' alternates many solves; use solver='fista' (or 'auto')."
            )
        sigma, C, parts, n_iter = None, None, None, 0
        for _ in range(weights.max_rounds):
            used = sigma  # (the noise levels of this round's solve)
            data.task_weights = None if used is None else 1.0 / used**2
            W, intercept, parts, C = self._solve(data, info, loss, penalty, C, parts=parts)
            n_iter += self.n_iter_
            full = DesignDatafit(loss, data, self.fit_intercept, self.intercept_pooling)
            per_task = data.task_sum(data.weights * loss.pointwise(full.y, full.linear(C)))
            sigma = weights.noise(per_task)
            change = np.inf if used is None else np.max(np.abs(sigma - used) / used)
            if change <= weights.tol:
                break
        else:
            warnings.warn(
                f"task_weights='uncertainty': the noise levels still changed by {change:.2e} "
                f"(relative) after {weights.max_rounds} rounds, above their tol="
                f"{weights.tol:g}; the fit is that of the last round's weights. Raise "
                "UncertaintyWeights(max_rounds=...).",
                ConvergenceWarning,
                stacklevel=user_stacklevel(),
            )
        # the noise levels whose weights (data.task_weights, set above) the last solve
        # used (max_rounds >= 2: a weighted one), which coef_ and objective_ are
        self.task_noise_, self.n_iter_ = used, n_iter
        return W, intercept, parts

    def _restrict_to_main_task(self, X, y, tasks, sample_weight, y_pred):
        """``(y, y_pred, sample_weight)`` on the rows (or column) of ``main_task`` when
        one is set, so that scores and model selection follow the main task only."""
        if getattr(self, "main_task", None) is None or self._layout == "single":
            return y, y_pred, sample_weight
        if y_pred.ndim == 2:
            return y[:, self._main_index], y_pred[:, self._main_index], sample_weight
        if tasks is None:
            tasks = split_task_column(X, self.task_column)[1]
        rows = label_is(label_array(tasks), self.main_task)
        if not rows.any():
            raise ValueError(f"No sample of the main task {self.main_task!r} to score.")
        sw = None if sample_weight is None else np.asarray(sample_weight)[rows]
        return y[rows], y_pred[rows], sw

    def _set_solution(self, W, intercept, info, task_weights=None):
        """Set ``coef_``, ``intercept_``, ``tasks_`` (and ``classes_``) from ``W`` (d x
        T), and the population model that predicts unseen tasks."""
        self._layout, self.tasks_ = info["layout"], info["tasks_"]
        self._fitted_loss = info.get("loss", self._loss())
        if "classes_" in info:
            self.classes_ = info["classes_"]
        K = getattr(self._fitted_loss, "n_classes", 1)
        self._n_classes = K
        if K > 1:
            return self._set_multinomial(W, intercept, info, task_weights)
        if self._layout == "single":
            self.coef_, self.intercept_ = W[:, 0].copy(), float(intercept[0])
        else:
            self.coef_, self.intercept_ = np.ascontiguousarray(W.T), intercept
        self.population_coef_ = W.mean(axis=1)
        # the shared intercept b_0 of the pooling term: its stationarity makes it the
        # mean of the b_t weighted by the precisions p_t, proportional to tau_t / n_t
        pooled = self.fit_intercept and 0 < self.intercept_pooling < np.inf
        weights = precision(1.0, task_weights, info["sample_totals"]) if pooled else None
        self.population_intercept_ = (
            float(np.mean(intercept)) if weights is None else shared_value(weights, intercept)
        )

    def _set_multinomial(self, W, intercept, info, task_weights):
        """``coef_`` (T, K, d), ``intercept_`` (T, K) (one task: (K, d), (K,)) from the
        virtual tasks' ``W`` (d, K T) and intercepts (K T,), and the population model
        (K, d), (K,). The intercepts of a softmax are defined up to a shift: free ones
        are centred per task, pooled ones (whose shifts the pooling term fixes but a
        common one) as a whole."""
        K = self._n_classes
        T = W.shape[1] // K
        coef = self._task_blocks(W)
        b = np.asarray(intercept, dtype=float).reshape(K, T).T  # (T, K)
        pooled = self.fit_intercept and 0 < self.intercept_pooling < np.inf and T > 1
        b = b - (b.mean() if pooled or self.intercept_pooling else b.mean(axis=1, keepdims=True))
        if self._layout == "single":
            self.coef_, self.intercept_ = coef[0], b[0]
        else:
            self.coef_, self.intercept_ = coef, b
        self.population_coef_ = coef.mean(axis=0)
        if pooled:
            weights = precision(
                1.0, task_weights[:T] if task_weights is not None else None, info["sample_totals"]
            )
            self.population_intercept_ = (weights @ b) / weights.sum()
        else:
            self.population_intercept_ = b.mean(axis=0)

    def _tasks_ordered(self):
        """Whether the model orders its tasks (by sorted label, ``tasks_``): a chain or
        graph over them, a time axis."""
        return False

    def _fit_structure(self, W, penalty, parts=None):
        """Set the fitted task structure (similarities, clusters, ...) from ``W``
        (and, for split models ``W = P + Q``, from its ``parts``)."""

    def _prepare(self, X, y, tasks, sample_weight, reset):
        X, tasks = validate_features(self, X, tasks, reset=reset, order=None)
        loss = self._loss()
        data, info = build_task_data(
            X,
            y,
            tasks,
            sample_weight,
            loss=loss,
            one_class_tasks=self.intercept_pooling > 0 if self.fit_intercept else None,
        )
        return data, info, info["loss"]  # the multinomial loss for > 2 classes

    #: whether the estimator searches its strengths (the ``*CV`` estimators: they
    #: have no ``alpha_max`` of their own; their ``alphas_`` start at the model's)
    _searches_strengths = False

    @available_if(lambda self: not self._searches_strengths)
    def alpha_max(self, X, y, tasks=None, sample_weight=None):
        """Smallest ``alpha`` for which all coefficients are zero, on this data.

        Uses the estimator's parameters other than ``alpha`` (e.g. ``l1_ratio``,
        ``fit_intercept``); the grid ``geomspace(alpha_max, eps * alpha_max)`` is
        the natural one for tuning ``alpha``.

        Parameters
        ----------
        X, y, tasks, sample_weight
            As in :meth:`fit`.

        Returns
        -------
        float
        """
        self._validate_params()
        self._check_fixed_task_weights("alpha_max")
        # on a clone, so that validation leaves no fitted state on self
        data, info, loss = clone(self)._prepare(X, y, tasks, sample_weight, reset=True)
        value = self._alpha_max(data, info, loss)
        if value is None:
            raise ValueError(
                f"{type(self).__name__} has no alpha_max: its penalty is not a norm whose "
                "strength zeroes every coefficient at a finite value."
            )
        return value

    def _check_fixed_task_weights(self, what):
        """Refuse learned task weights (``task_weights="uncertainty"``) in ``what`` (a
        path, ``alpha_max``, a ``*CV`` search): those solve the objective of fixed
        weights, so they would tune, and scale, a model other than the one ``fit``
        learns (whose weights, 1 / noise^2, follow the units of ``y``)."""
        if is_uncertainty(getattr(self, "task_weights", None)):
            raise ValueError(
                f"{what} does not support task_weights='uncertainty': it solves the "
                "model for fixed task weights, while fit learns them along with the "
                "coefficients. Tune alpha with GridSearchCV (each of its fits learns the "
                "weights), or fix the weights of a first fit: "
                "task_weights=model.task_weights_."
            )

    def _alpha_max(self, data, info, loss):
        """``alpha_max`` on validated data, with the task weights fit would use (the
        first round's, none, for learned weights); None for a model without one."""
        penalty = self._penalty(data)
        if not hasattr(penalty, "alpha_max"):
            return None
        return penalty.alpha_max(self._null_gradient(data, info, loss))

    def _null_gradient(self, data, info, loss):
        """``G0 = -grad L`` (d, T) at the model without features (its intercepts
        fitted), with the task weights fit would use: the point every ``alpha_max``
        is computed from."""
        datafit = DesignDatafit(
            loss, self._weigh_tasks(data, info), self.fit_intercept, self.intercept_pooling
        )
        C0 = self._initial_coef(datafit, data, info, warm=False)
        if not loss.smooth:  # the multipliers of the intercepts-only problem
            return null_gradient(datafit, C0)[: data.n_features]
        C0, z0 = datafit.polish(C0, datafit.linear(C0))
        return -datafit.gradient(z0)[: data.n_features]

    def _weigh_tasks(self, data, info):
        """Set ``data.task_weights`` as ``fit`` does (none in the first round of learned
        weights); returns ``data``."""
        spec = getattr(self, "task_weights", None)
        if not is_uncertainty(spec):
            K = data.n_classes
            weights = resolve_task_weights(
                spec, data, info["tasks_"], info["sample_totals"], n_tasks=data.n_tasks // K
            )
            # the K class copies of a task weigh alike (else the loss is no softmax)
            data.task_weights = None if weights is None else np.tile(weights, K)
        return data

    def _penalty(self, data):
        """The model's penalty for ``data``: on the ``K T`` task-class columns of a
        ``K``-class model (:func:`skmtl.penalties.for_classes`)."""
        K = data.n_classes
        return for_classes(self._class_penalty(data.n_tasks // K, data.n_features, K), K)

    def _class_penalty(self, n_tasks, n_features, n_classes):
        """The penalty of one class's task models of a ``n_classes``-class model
        (:meth:`_make_penalty`; a split model's useful range of its two strengths
        depends on the number of classes)."""
        return self._make_penalty(n_tasks, n_features)

    def _initial_coef(self, datafit, data, info, warm=True):
        d, T = data.n_features, data.n_tasks
        C0 = np.zeros((datafit.n_rows, T))
        if (
            warm
            and self.warm_start
            and hasattr(self, "coef_")
            and self._coef_matrix().shape == (T, d)
            and np.array_equal(np.asarray(self.tasks_), np.asarray(info["tasks_"]))
        ):
            C0[:d] = self._coef_matrix().T
            if datafit.n_rows > d:
                C0[d] = datafit.intercept_variable(C0[:d], self._intercept_vector())
        elif datafit.n_rows > d:  # at the model without features (e.g. log(n+ / n-))
            C0[d] = datafit.null_intercepts()
        return C0

    def _coef_matrix(self):
        """The coefficients by (virtual) task, ``(T, d)`` or, for ``K`` classes,
        ``(K T, d)`` class by class."""
        K = getattr(self, "_n_classes", 1)
        if K > 1:
            return (
                np.asarray(self.coef_)
                .reshape(-1, K, self.coef_.shape[-1])
                .transpose(1, 0, 2)
                .reshape(-1, self.coef_.shape[-1])
            )
        return np.atleast_2d(self.coef_)

    def _intercept_vector(self):
        K = getattr(self, "_n_classes", 1)
        if K > 1:
            return np.asarray(self.intercept_).reshape(-1, K).T.reshape(-1)
        return np.atleast_1d(self.intercept_)

    def _task_blocks(self, W):
        """The fitted layout of a ``(d, T)`` (``(d, K T)``) block: ``(T, d)`` (``(T,
        K, d)``)."""
        K = getattr(self, "_n_classes", 1)
        if K > 1:
            return W.reshape(W.shape[0], K, -1).transpose(2, 1, 0).copy()
        return np.ascontiguousarray(W.T)

    def _as_coef(self, W):
        """A ``(d, T)`` part of ``W`` in ``coef_``'s layout (one task: its own)."""
        blocks = self._task_blocks(W)
        return blocks[0] if self._layout == "single" else blocks

    # -------------------------------------------------------------- predict
    def _decision(self, X, tasks):
        check_is_fitted(self, "coef_")
        return self._decision_validated(*validate_features(self, X, tasks, reset=False))

    def _decision_validated(self, X, tasks):
        W, b = self._coef_matrix().T, self._intercept_vector()
        K = getattr(self, "_n_classes", 1)
        if tasks is None:
            if self._layout == "tasks":
                if get_config()["enable_metadata_routing"]:
                    routing = (
                        "With metadata routing on, a caller passes them to predict only "
                        "where predict requests them (set_predict_request(tasks=True)); "
                        "cross_val_predict, permutation_importance, partial_dependence "
                        "and scikit-learn's named scorers (scoring='neg_log_loss', "
                        "'roc_auc', ...) never do: score with "
                        "skmtl.model_selection.TaskScorer, or use task_column"
                    )
                else:
                    routing = (
                        "Without metadata routing scikit-learn drops tasks= on its way to "
                        "predict and score inside cross_val_score, cross_validate, "
                        "GridSearchCV and Pipeline.score: turn routing on "
                        "(sklearn.set_config(enable_metadata_routing=True)) and score "
                        "with skmtl.model_selection.TaskScorer, or use task_column"
                    )
                raise ValueError(
                    "This model was fitted with a task label per sample; pass tasks= "
                    f"(or set task_column) to say which task each row belongs to. {routing} "
                    "(the labels then travel in X, and every scorer and cross_val_predict "
                    "work)."
                )
            Z = np.asarray(X @ W) + b
            if K > 1:  # (n, T, K): every task's class scores
                Z = Z.reshape(Z.shape[0], K, -1).transpose(0, 2, 1)
            return Z[:, 0] if self._layout == "single" else Z
        index = self._task_index(tasks, X.shape[0])
        if K > 1:
            return self._class_scores(X, W, b, index)
        if np.any(index < 0):  # unseen tasks, predicted with the population model
            W = np.column_stack([W, self.population_coef_])
            b = np.append(b, self.population_intercept_)
        return rowwise_dot(X, W, index) + b[index]

    def _class_scores(self, X, W, b, index):
        """``(n, K)`` scores of a ``K``-class model for rows of the tasks ``index``
        (-1: the population model)."""
        K, d = self._n_classes, W.shape[0]
        W, b = W.reshape(d, K, -1), b.reshape(K, -1)
        if np.any(index < 0):
            W = np.concatenate([W, self.population_coef_.T[:, :, None]], axis=2)
            b = np.concatenate([b, self.population_intercept_[:, None]], axis=1)
        # a loop over the classes only; each product is vectorized over rows and tasks
        return np.column_stack([rowwise_dot(X, W[:, k], index) + b[k][index] for k in range(K)])

    def _task_index(self, tasks, n_samples):
        """Position of each row's task in ``tasks_``; -1 for an unseen task when
        ``unknown_task="mean"``."""
        labels, inverse = encode_task_labels(tasks, n_samples)
        check_label_kind(labels, self.tasks_)
        position, known = locate_labels(self.tasks_, labels)
        is_unknown = ~known
        unknown = labels[is_unknown]
        policy = getattr(self, "unknown_task", "error")
        if policy not in _UNKNOWN_TASK:  # (set after fit: a typo of "error" is no "mean")
            raise ValueError(f"unknown_task must be one of {_UNKNOWN_TASK}; got {policy!r}.")
        if len(unknown) and policy == "error":
            raise ValueError(
                f"Unknown task label(s) {format_labels(unknown)}: the model was fitted on "
                f"the tasks {format_labels(self.tasks_)}. Set unknown_task='mean' to "
                "predict new tasks with the population model."
            )
        if len(unknown) and policy == "warn":
            warnings.warn(
                f"Task label(s) {format_labels(unknown)} were not seen in fit; predicted "
                "with the population model (population_coef_, population_intercept_). "
                "If this comes from cross-validation on data sorted by task, use "
                "skmtl.model_selection.TaskStratifiedKFold to keep every task in every "
                "training fold (learning_curve also needs shuffle=True: it trains on the "
                "first rows of each fold), or GroupKFold to score new tasks on purpose; set "
                "unknown_task='mean' to silence this or 'error' to raise.",
                UnknownTaskWarning,
                stacklevel=user_stacklevel(),
            )
        position[is_unknown] = -1
        return position[inverse]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.target_tags.required = True
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        return tags


def _is_dask(X):
    return type(X).__module__.split(".")[0] in ("dask", "dask_expr")
