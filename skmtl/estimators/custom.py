"""The generic multi-task estimator: any loss with any penalty."""

from __future__ import annotations

from sklearn.utils.metaestimators import available_if

from .._base import _MultiTaskModel, store_parameters
from .._mixins import (
    ClassifierMixin,
    RegressorMixin,
    classifier_tags,
    is_binary,
    is_probabilistic,
    loss_or_none,
    regressor_tags,
)
from .._params import recheck
from ..losses import is_classification
from ..penalties import L21, BlockMCP, BlockSCAD, Penalty, RowCappedL1, TaskBlocks


class MultiTaskEstimator(_MultiTaskModel):
    """Generic multi-task linear model: any loss with any penalty.

    The objective is ``sum_t tau_t f_t(X_t w_t + b_t) + penalty(W)`` with ``f_t``
    the per-task mean ``loss``, ``tau_t`` the task weights (``n_t T / N`` by
    default: every sample counts once; see ``task_weights``) and ``W`` of shape
    (n_features, n_tasks).
    Its solver is chosen from what the loss and the penalty provide (see the
    solver rule in :ref:`extending-skmtl`).
    The named estimators (e.g. :class:`~skmtl.GroupLassoRegressor`) are this class
    with a fixed loss and flat penalty parameters; use this one to try a penalty of
    your own (a :class:`~skmtl.penalties.Penalty` subclass).

    Parameters
    ----------
    loss : str or Loss, default="squared"
        The loss, by name or as a :class:`~skmtl.losses.Loss` instance (e.g.
        ``HuberLoss(epsilon=2.0)``): for regression ``"squared"``, ``"huber"``,
        ``"poisson"`` (counts, log link) or ``"quantile"`` (the pinball loss of
        the median), for classification per task
        ``"logistic"`` (multinomial with more than two classes; also
        ``MultinomialLoss(n_classes)``) or ``"squared_hinge"`` (two classes). The
        estimator then behaves as a regressor or a classifier. With ``K`` classes
        the penalty sees a ``(n_features, K * n_tasks)`` block, class by class
        (column ``k * n_tasks + t``); a penalty that declares ``task_axis`` sees the
        ``(K * n_features, n_tasks)`` view (``skmtl.penalties.classes``).
    penalty : Penalty, default=None
        The regularizer; None means ``L21(alpha=1.0)``.
    fit_intercept : bool, default=True
        Fit one intercept per task.
    intercept_pooling : float, default=0.0
        Shrink the task intercepts towards a shared one: the objective gains
        ``intercept_pooling / 2 * sum_t tau_t / n_t (b_t - b_0)^2`` over ``b_0`` too
        (see :class:`~skmtl.GroupLassoRegressor`); 0: free, ``np.inf``: one intercept.
    max_iter : int, default=10000
        Maximum number of iterations (FISTA or ADMM iterations, CD epochs). Proximal
        Newton steps (losses other than the squared one) and the rounds of the
        quantile loss count the iterations of their inner solves together, which
        is why the default is higher than scikit-learn's 1000 epochs: a fit that
        certifies sooner stops sooner.
    tol : float, default=1e-4
        Stop when the duality gap is below ``tol`` times ``sum_t tau_t/n_t ||y_t -
        mean(y_t)||^2`` (squared loss; sklearn's convention), ``T log 2`` (logistic
        loss; ``T log K`` with ``K`` classes), ``T`` (squared hinge), or the data term
        of the model without features, its intercepts at each task's ``mean(y_t)``
        (the Poisson loss: at their best, ``log mean(y_t)``).
    warm_start : bool, default=False
        Start from the previous solution when refitting on the same tasks.
    solver : {"auto", "fista", "cd", "admm", "closed_form", "cvxpy"}, default="auto"
        As in :class:`~skmtl.GroupLassoRegressor`: ``"auto"`` uses the exact linear
        solve where one exists (squared loss with a quadratic penalty), coordinate
        descent or ADMM on per-task Gram matrices with up to 100 features, FISTA
        otherwise; ``"cvxpy"`` solves the same objective with cvxpy (reference;
        optional dependency).
    precompute : {"auto", True, False}, default="auto"
        Use per-task Gram matrices (squared loss) when rows far outnumber features.
    task_column : int or str, default=None
        Column of ``X`` holding the task label of each row (its position, or its
        name in a DataFrame); it is removed from the features.
    unknown_task : {"warn", "error", "mean"}, default="warn"
        A task label not seen in fit is predicted with the population model
        (``population_coef_``, ``population_intercept_``) with an
        :class:`~skmtl.UnknownTaskWarning` ("warn") or without ("mean"), or raises.
    task_weights : None, str, dict or array-like, default=None
        The weights ``tau_t`` of the tasks' mean losses, as in
        :class:`~skmtl.GroupLassoRegressor` (None: ``n_t T / N``, every sample
        counts once).
    main_task : task label, default=None
        The task of interest, as in :class:`~skmtl.GroupLassoRegressor`: all tasks
        are fitted, but ``score`` uses this task's samples only.
    verbose : int, default=0
        Print the objective and duality gap during the solve.

    Attributes
    ----------
    coef_ : ndarray of shape (n_tasks, n_features) or (n_features,)
        Coefficients; 1-D when fitted on a single task (1-D ``y`` without tasks).
    intercept_ : ndarray of shape (n_tasks,) or float
    tasks_ : ndarray of shape (n_tasks,)
        Task labels seen in fit (column positions for wide ``y``).
    classes_ : ndarray of shape (n_classes,)
        Class labels (logistic loss), of all tasks; more than two make the logistic
        loss the multinomial one (``coef_`` (n_tasks, n_classes, n_features)).
    population_coef_ : ndarray of shape (n_features,)
        The model of a task not seen in fit: the average of the task models
        ((n_classes, n_features) with more than two classes).
    population_intercept_ : float
        Its intercept: the shared intercept ``b_0`` with ``intercept_pooling`` > 0,
        else the mean of the intercepts (per class with more than two classes).
    task_weights_ : ndarray of shape (n_tasks,)
        The weight of each task's data term used in the fit.
    n_iter_ : int
    dual_gap_ : float
        Duality gap at the solution, in objective units.
    gap_threshold_ : float
        The gap below which the solver stopped: ``tol`` times the objective's scale
        (see ``tol``). ``dual_gap_`` exceeds it only when ``max_iter`` was reached
        (with a ``ConvergenceWarning``); NaN with ``solver="cvxpy"``.
    objective_ : float
        Objective value at the solution.
    n_features_in_ : int
        Number of columns of the ``X`` given to fit (the task column included).
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of those columns, defined when ``X`` has string column names.

    Examples
    --------
    >>> from skmtl import GroupLassoRegressor, MultiTaskEstimator
    >>> from skmtl.datasets import make_joint_sparse
    >>> from skmtl.penalties import L1Linf, L21
    >>> X, y, tasks, _ = make_joint_sparse(n_tasks=3, n_samples=40, random_state=0)
    >>> model = MultiTaskEstimator(penalty=L21(alpha=0.1)).fit(X, y, tasks=tasks)
    >>> model.coef_.shape
    (3, 30)
    >>> named = GroupLassoRegressor(alpha=0.1).fit(X, y, tasks=tasks)  # the same model
    >>> bool(abs(model.objective_ - named.objective_) <= 1e-12 * named.objective_)
    True
    >>> robust = MultiTaskEstimator(loss="huber", penalty=L1Linf(alpha=0.1))
    >>> bool(robust.fit(X, y, tasks=tasks).dual_gap_ <= robust.gap_threshold_)
    True
    """

    def __init__(
        self,
        loss="squared",
        penalty=None,
        *,
        fit_intercept=True,
        intercept_pooling=0.0,
        max_iter=10000,
        tol=1e-4,
        warm_start=False,
        solver="auto",
        precompute="auto",
        task_column=None,
        unknown_task="warn",
        task_weights=None,
        main_task=None,
        verbose=0,
    ):
        store_parameters(self, locals())

    def set_params(self, **params):
        """scikit-learn's ``set_params``; a nested ``penalty__<name>`` needs a
        penalty with ``set_params`` (a :class:`~skmtl.penalties.Params` subclass)."""
        penalty = params.get("penalty", self.penalty)
        nested = sorted(key for key in params if key.startswith("penalty__"))
        if nested and penalty is None:
            raise ValueError(
                f"{nested} cannot be set: penalty is None (which fits L21(alpha=1.0)); "
                "give the penalty, e.g. MultiTaskEstimator(penalty=L21()), to tune it."
            )
        if nested and not hasattr(penalty, "set_params"):
            name = type(penalty).__name__
            raise ValueError(
                f"{nested} cannot be set: {name} has no set_params. Make it a subclass of "
                f"skmtl.penalties.Params (class {name}(Params, Penalty)) that stores each "
                "constructor argument under its own name, or search over whole penalties "
                f"({{'penalty': [{name}(...), ...]}})."
            )
        return super().set_params(**params)

    def _make_penalty(self, n_tasks, n_features=None):
        if self.penalty is None:
            return L21(1.0)
        if isinstance(self.penalty, (RowCappedL1, BlockMCP, BlockSCAD)):
            name = type(self.penalty).__name__.replace("Row", "")
            raise ValueError(
                f"penalty={self.penalty!r} is non-convex: it is fitted by a multi-stage "
                f"convex relaxation, which {name}Regressor and {name}Classifier run; "
                "MultiTaskEstimator takes a convex Penalty."
            )
        if not isinstance(self.penalty, Penalty):
            raise ValueError(
                f"penalty must be a skmtl.penalties.Penalty instance; got {self.penalty!r}."
                + (
                    " (TaskBlocks is built by the estimators for more than two classes: "
                    "give the penalty of one class's task models.)"
                    if isinstance(self.penalty, TaskBlocks)
                    else ""
                )
            )
        penalty = recheck(self.penalty, "penalty")  # (a copy: no state on the user's)
        coupling = getattr(penalty, "M", None)  # a quadratic penalty's T x T matrix
        if coupling is not None and len(coupling) != n_tasks:
            raise ValueError(
                f"penalty couples {len(coupling)} tasks (its matrix M is "
                f"{len(coupling)} x {len(coupling)}) but the data have {n_tasks} tasks; "
                f"build it for {n_tasks} tasks."
            )
        return penalty

    def _mixin(self):
        return ClassifierMixin if self._is_classifier else RegressorMixin

    def predict(self, X, tasks=None):
        return self._mixin().predict(self, X, tasks)

    def score(self, X, y, tasks=None, sample_weight=None):
        return self._mixin().score(self, X, y, tasks=tasks, sample_weight=sample_weight)

    @available_if(lambda self: is_binary(self))
    def decision_function(self, X, tasks=None):
        return self._decision(X, tasks)

    @available_if(lambda self: is_probabilistic(self))
    def predict_proba(self, X, tasks=None):
        return ClassifierMixin.predict_proba(self, X, tasks)

    @available_if(lambda self: is_probabilistic(self))
    def predict_log_proba(self, X, tasks=None):
        return ClassifierMixin.predict_log_proba(self, X, tasks)

    def __sklearn_tags__(self):
        tags, loss = super().__sklearn_tags__(), loss_or_none(self)
        if loss is not None and is_classification(loss):
            return classifier_tags(tags, loss)
        return regressor_tags(tags, loss)
