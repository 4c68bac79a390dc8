"""A scorer that routes each sample's task label to ``predict``."""

from __future__ import annotations

import numpy as np
import sklearn
from sklearn.base import is_classifier
from sklearn.metrics import (
    accuracy_score,
    log_loss,
    mean_squared_error,
    r2_score,
    roc_auc_score,
)
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import UNCHANGED, MetadataRequest

from .._inputs import (
    check_score_weights,
    label_array,
    label_is,
    missing_labels,
    numeric_targets,
    split_task_column,
    target_array,
)
from .._mixins import check_score_targets


class TaskScorer:
    """A scorer that passes each sample's task label to ``predict``.

    sklearn's scorers call ``predict(X)`` alone, which a model fitted with
    ``tasks=`` cannot answer; this one receives ``tasks`` through metadata routing
    (it requests it by default) and scores per task or pooled. Sample weights that
    weigh the fits weigh its scores once requested, as for scikit-learn's scorers:
    ``TaskScorer().set_score_request(sample_weight=True)``.

    Parameters
    ----------
    metric : {"r2", "neg_mean_squared_error", "accuracy", "neg_log_loss", "roc_auc"}, \
            default=None
        The last two from ``predict_proba`` (``roc_auc``: one-vs-rest for more
        than two classes, the mean over the classes that the scored samples hold
        (a task may lack some); from ``decision_function`` for a model without
        probabilities, a squared hinge classifier), as scikit-learn's scorers of
        those names. None: the metric of the estimators' ``score``, ``"r2"`` for a
        regressor and ``"accuracy"`` for a classifier.
    average : {"samples", "tasks"}, default="samples"
        ``"samples"``: the metric on all labelled entries together, as the
        estimators' ``score`` (on the rows of ``main_task`` only when the estimator
        has one, as ``score``: then both averages are that task's score);
        ``"tasks"``: the metric on each task, averaged with
        equal weight (sklearn's multi-output convention; tasks whose held-out part
        has no sample of positive weight are left out, and of an R^2 average also
        those with fewer than two, of a ROC AUC average those of one class).

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

    _PROBABILITY_METRICS = ("neg_log_loss", "roc_auc")
    _METRICS = ("r2", "neg_mean_squared_error", "accuracy") + _PROBABILITY_METRICS

    def __init__(self, metric=None, average="samples"):
        if metric is not None and metric not in self._METRICS:
            raise ValueError(f"metric must be one of {self._METRICS}; got {metric!r}.")
        if average not in ("tasks", "samples"):
            raise ValueError(f"average must be 'tasks' or 'samples'; got {average!r}.")
        self.metric, self.average = metric, average

    def __repr__(self):
        return f"TaskScorer(metric={self.metric!r}, average={self.average!r})"

    def set_score_request(self, *, sample_weight=UNCHANGED, tasks=UNCHANGED):
        """Set which metadata the scorer requests through scikit-learn's metadata
        routing, as scikit-learn's own scorers: ``tasks`` is requested by default;
        ``sample_weight`` is not, and passing it to a search or ``cross_validate``
        (which weigh the fits with it) then raises until it is requested (True:
        weigh the scores too) or declined (False).

        Parameters
        ----------
        sample_weight, tasks : bool, None or str, default=UNCHANGED
            True: requested; False: not requested; None: raise if passed; a str: an
            alias; ``UNCHANGED``: keep the current request.

        Returns
        -------
        self : TaskScorer
        """
        if not sklearn.get_config()["enable_metadata_routing"]:
            raise RuntimeError(
                "TaskScorer.set_score_request needs metadata routing, as scikit-learn's "
                "set_*_request methods: sklearn.set_config(enable_metadata_routing=True)."
            )
        changes = {"sample_weight": sample_weight, "tasks": tasks}
        self._requests = {
            **getattr(self, "_requests", {}),
            **{name: value for name, value in changes.items() if value is not UNCHANGED},
        }
        return self

    def get_metadata_routing(self):
        """The metadata the scorer requests (see :meth:`set_score_request`)."""
        request = MetadataRequest(owner=type(self).__name__)
        requests = {"tasks": True, "sample_weight": None, **getattr(self, "_requests", {})}
        for param, alias in requests.items():
            request.score.add_request(param=param, alias=alias)
        return request

    def __call__(self, estimator, X, y, tasks=None, sample_weight=None):
        metric = self.metric or ("accuracy" if is_classifier(estimator) else "r2")
        proba = metric in self._PROBABILITY_METRICS
        # the estimator predicts; the skmtl model inside says how (layout, task
        # column, main task), on the X its own steps see
        model = _inner_model(estimator)[0]
        if proba:  # (n, K) stacked; (n, T) (positive class) or (n, T, K) wide
            pred = np.asarray(self._probabilities(estimator, X, tasks, metric))
            wide = getattr(model, "_layout", None) == "wide"
            if not wide and pred.ndim == 1:  # binary decision values: as two columns
                pred = np.stack([-pred, pred], axis=-1)
            if wide and pred.ndim == 2:  # a wide binary model: both classes' columns
                pred = np.stack([1.0 - pred, pred], axis=-1)
            shape = pred.shape[:-1]
        else:
            pred = np.asarray(estimator.predict(X, **_tasks_argument(tasks)))
            shape = pred.shape
        regression = metric in ("r2", "neg_mean_squared_error")
        y = target_array(y, not regression)
        if regression:
            y = numeric_targets(y, ensure_all_finite="allow-nan")
        y = check_score_targets(y, shape).reshape(shape)
        if tasks is None and getattr(model, "task_column", None) is not None:
            tasks = split_task_column(_inner_model(estimator, X)[1], model.task_column)[1]
        sw = check_score_weights(sample_weight, len(y))
        sw = np.ones(len(y)) if sw is None else sw
        sw = np.broadcast_to(sw.reshape(-1, *([1] * (y.ndim - 1))), y.shape)
        main = getattr(model, "main_task", None)
        if main is not None and getattr(model, "_layout", None) != "single":
            # as the estimators' score: the main task's column or rows only
            if y.ndim == 2:
                column = [list(model.tasks_).index(main)]
                y, pred, sw = y[:, column], pred[:, column], sw[:, column]
            else:
                tasks = label_array(tasks)
                rows = label_is(tasks, main)
                if not rows.any():
                    raise ValueError(f"No sample of the main task {main!r} to score.")
                y, pred, sw, tasks = y[rows], pred[rows], sw[rows], tasks[rows]
        if y.ndim == 2:  # wide y: a task per column, NaN unlabelled
            columns = np.broadcast_to(np.arange(y.shape[1]), y.shape)
            seen = ~missing_labels(y)
            y, pred, sw, tasks = y[seen], pred[seen], sw[seen], columns[seen]
            if y.dtype == object:  # labels that were objects for their missing entries
                y = np.array(y.tolist())
                pred = pred if proba else np.array(pred.tolist())
        # (a one-vs-rest wrapper's classes, not its binary models')
        classes = getattr(estimator, "classes_", getattr(model, "classes_", None))
        single = getattr(model, "_layout", None) == "single"
        if tasks is None and self.average == "tasks" and not single:
            raise ValueError(
                f"TaskScorer(average='tasks') found no task labels for the rows of X to "
                f"average over: pass them as tasks (metadata routing), or give the skmtl "
                f"model a task_column (found inside Pipelines, searches, one-vs-rest "
                f"and calibration wrappers; not inside "
                f"{type(estimator).__name__})."
            )
        if tasks is None or self.average == "samples":
            return self._score(metric, y, pred, sw, classes)
        tasks = label_array(tasks)
        rows = [label_is(tasks, t) for t in np.unique(tasks)]  # scoring, not a hot path
        scores = [
            self._score(metric, y[r], pred[r], sw[r], classes)
            for r in rows
            if self._defined(metric, y[r & (sw > 0)])
        ]
        if not scores:
            need = {"r2": "two samples", "roc_auc": "samples of two classes"}
            raise ValueError(
                f"TaskScorer(metric={metric!r}, average='tasks') is defined on no task of "
                f"these {len(y)} rows: each task needs "
                f"{need.get(metric, 'a sample')} of positive weight. Score more rows per "
                "task, or use average='samples' (the metric over all rows together)."
            )
        return float(np.mean(scores))

    def _probabilities(self, estimator, X, tasks, metric):
        """``predict_proba``; for ROC AUC of a model without probabilities (a margin
        loss, ``loss="squared_hinge"``) its ``decision_function``, as scikit-learn's
        ``"roc_auc"`` scorer (AUC depends on the ranking only)."""
        if hasattr(estimator, "predict_proba"):
            return estimator.predict_proba(X, **_tasks_argument(tasks))
        if metric == "roc_auc" and hasattr(estimator, "decision_function"):
            return estimator.decision_function(X, **_tasks_argument(tasks))
        raise ValueError(
            f"TaskScorer({metric!r}) needs predict_proba, which {estimator!r} does "
            "not have (a margin loss such as loss='squared_hinge' gives no "
            "probabilities); score it by 'roc_auc' or 'accuracy', or fit a logistic loss."
        )

    @staticmethod
    def _defined(metric, y):
        """Whether ``metric`` is defined on a task's samples of positive weight ``y``:
        one at least; two for R^2; two classes for ROC AUC."""
        if metric == "r2":
            return len(y) > 1
        if metric == "roc_auc":
            return len(np.unique(y)) > 1
        return len(y) > 0

    @staticmethod
    def _score(metric, y, pred, sample_weight, classes=None):
        if metric == "r2":
            return float(r2_score(y, pred, sample_weight=sample_weight))
        if metric == "accuracy":
            return float(accuracy_score(y, pred, sample_weight=sample_weight))
        if metric == "neg_log_loss":
            return -float(log_loss(y, pred, sample_weight=sample_weight, labels=classes))
        if metric == "roc_auc":
            if len(classes) == 2:
                positive = np.asarray(y == classes[1], dtype=int)
                return float(roc_auc_score(positive, pred[:, 1], sample_weight=sample_weight))
            # one-vs-rest, macro: scikit-learn's multi_class="ovr" when every class
            # is held out, else over the classes that are (a task may lack some)
            members = np.asarray(y)[:, None] == np.asarray(classes)
            counted = members[sample_weight > 0]
            scored = np.flatnonzero(counted.any(axis=0) & ~counted.all(axis=0))
            if len(scored) == 0:  # one class: undefined, as scikit-learn says (NaN)
                return float(roc_auc_score(members[:, 0], pred[:, 0], sample_weight=sample_weight))
            return float(
                np.mean(
                    [
                        roc_auc_score(members[:, k], pred[:, k], sample_weight=sample_weight)
                        for k in scored  # (a loop over classes)
                    ]
                )
            )
        return -float(mean_squared_error(y, pred, sample_weight=sample_weight))


def _tasks_argument(tasks):
    """``tasks=`` for a predict call, only when given: a meta-estimator around the
    model (a grid search, nested cross-validation) takes no such argument, and the
    model reads a task column itself."""
    return {} if tasks is None else {"tasks": tasks}


def _inner_model(estimator, X=None):
    """The skmtl model inside ``estimator`` (the last step of a Pipeline, the best
    estimator of a fitted search, the regressor of a TransformedTargetRegressor, the
    first fitted model of a wrapper that passes ``X`` on whole: one-vs-rest,
    calibration), and ``X`` (if given) as the steps before it transform
    it (where its task column is)."""
    model = estimator
    while True:
        if isinstance(model, Pipeline):
            if len(model) > 1 and X is not None:
                X = model[:-1].transform(X)
            model = model[-1]
        elif hasattr(model, "best_estimator_"):
            model = model.best_estimator_
        elif hasattr(model, "regressor_"):
            model = model.regressor_
        elif getattr(model, "calibrated_classifiers_", None):
            model = model.calibrated_classifiers_[0].estimator
        elif isinstance(model, OneVsRestClassifier) and hasattr(model, "estimators_"):
            model = model.estimators_[0]
        else:
            return model, X
