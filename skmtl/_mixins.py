"""Prediction and scoring of the multi-task models, as mixins: a regressor's (the
loss's mean target, R^2 over every labelled entry, ``partial_fit`` for the squared
loss) and a classifier's (labels, probabilities, accuracy), and the scikit-learn
tags of each.
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._inputs import (
    check_score_weights,
    missing_labels,
    numeric_targets,
    target_array,
    user_stacklevel,
    validate_features,
    warn_if_near_duplicates,
    warn_if_scaled,
    warn_if_text_order_differs,
)
from .losses import is_classification


class RegressorMixin:
    """Prediction (the loss's mean target) and R^2 scoring, for every input form, of a
    loss on real or count targets (``loss=None``: squared)."""

    _default_loss = "squared"
    _classifier = False

    def predict(self, X, tasks=None):
        """Predict targets.

        Parameters
        ----------
        X : {array-like, sparse matrix, DataFrame} of shape (n_samples, n_columns)
        tasks : array-like of shape (n_samples,), default=None
            Task label of each row. Without it (and without ``task_column``) a model
            fitted on wide ``Y`` predicts every task for every row.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_tasks)
        """
        z = self._decision(X, tasks)  # first: checks that the model is fitted
        return self._fitted_loss.inverse_link(z)

    def score(self, X, y, tasks=None, sample_weight=None):
        """Coefficient of determination R^2 of all labelled (sample, task) entries.

        One number in every input form: ``r2_score`` of the targets and predictions
        of every labelled entry taken together (NaN targets of a wide ``y`` are left
        out; only ``main_task``'s entries when it is set). So the same coefficients
        on the same data score the same whether the tasks come as columns of ``y``,
        as ``tasks=`` or as a ``task_column``; models compared on the same test rows
        rank by their total squared error, which is what the objective minimises
        (each task's mean loss). It is defined for any split, also one that holds a
        single sample of a task. The average of per-task R^2 (sklearn's
        multi-output convention, which suits tasks in different units) is
        :class:`~skmtl.model_selection.TaskScorer` ``(average="tasks")``. So on a
        wide ``y`` this differs from ``scoring="r2"`` (scikit-learn's uniform
        average over the columns, which also refuses NaN targets): pass ``scoring=
        TaskScorer()`` to a search to select by this score.
        """
        y_pred = self.predict(X, tasks=tasks)
        y = numeric_targets(target_array(y, False), ensure_all_finite="allow-nan")
        y = check_score_targets(y, y_pred.shape)
        sample_weight = check_score_weights(sample_weight, len(y))
        y, y_pred, sample_weight = self._restrict_to_main_task(X, y, tasks, sample_weight, y_pred)
        return pooled_r2(y, y_pred, sample_weight)

    def __sklearn_tags__(self):
        return regressor_tags(super().__sklearn_tags__(), loss_or_none(self))


class IncrementalRegressorMixin(RegressorMixin):
    """A regressor that also learns chunk by chunk, from sufficient statistics."""

    @available_if(lambda self: _quadratic(self))
    def partial_fit(self, X, y, tasks=None, sample_weight=None):
        """Add a chunk of rows and refit on all the rows seen so far (the squared loss
        only: ``hasattr(model, "partial_fit")`` is False with the others).

        The squared loss depends on the data only through per-task sufficient
        statistics (:class:`~skmtl.statistics.TaskStatistics`), which are merged
        chunk by chunk; each call then solves on them, warm-started from the last
        solution. Chunks may bring new tasks. The result solves the objective of
        ``fit`` on all the rows given to ``partial_fit`` since the last ``fit`` (which
        starts over: its rows are not counted), to the same ``tol``, which bounds
        the objective's distance to the optimum (the duality gap), not the
        coefficients': warm-started, ``partial_fit`` stops at another point within
        it, whose coefficients can differ more at a loose ``tol``.

        Parameters
        ----------
        X, y, tasks, sample_weight
            As in :meth:`fit`, with 1-D ``y`` (one target per row).

        Returns
        -------
        self : object
        """
        from .statistics import TaskStatistics

        self._validate_params()
        self._warn_if_pooling_unused()
        first = not hasattr(self, "statistics_")
        if first and hasattr(self, "coef_"):  # (fit keeps no statistics of its rows)
            warnings.warn(
                "partial_fit after fit starts over from this chunk: fit's rows are not "
                "kept, so they do not count (scikit-learn's partial_fit would continue "
                "from them). Give every chunk to partial_fit, or call fit on all rows.",
                UserWarning,
                stacklevel=user_stacklevel(),
            )
        if first:
            vars(self).pop("task_noise_", None)  # (an earlier fit's learned weights)
        X, tasks = validate_features(self, X, tasks, reset=first)
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(
                f"partial_fit takes 1-D y with tasks= (one target per row); got shape {y.shape}."
            )
        if not first and (tasks is None) != (self._layout == "single"):
            raise ValueError(
                "This model's earlier chunks had a task label per row; pass tasks= (or "
                "set task_column) for this chunk too."
                if tasks is None
                else "This model's earlier chunks had no task labels (one task); give "
                "every chunk without tasks=, or start over with fit or a new model."
            )
        chunk = TaskStatistics.from_data(X, y, tasks, sample_weight)
        merged = chunk if first else self.statistics_.merge(chunk)  # kept on success only
        new_labels = not first and len(merged.tasks) > len(self.statistics_.tasks)
        if tasks is not None and (first or new_labels):  # (the checks of fit's labels)
            warn_if_scaled(chunk.tasks)
            # (the groups of alike labels that a new one joins)
            seen = set() if first else set(self.statistics_.tasks.tolist())
            new = [label for label in chunk.tasks.tolist() if label not in seen]
            warn_if_near_duplicates(merged.tasks, new)
        if new_labels and self._tasks_ordered():  # (their order among the earlier ones)
            warn_if_text_order_differs(merged.tasks)
        layout = "single" if tasks is None else "tasks"
        self._fit_statistics(merged, layout, partial=True)
        self.statistics_ = merged
        return self


def check_score_targets(y, shape):
    """``y`` for ``score``: as many targets as predictions (of ``shape``: one per
    sample, and per task for a wide ``y``), none missing but in a wide ``y``, else a
    clear error."""
    if y.size != np.prod(shape):
        raise ValueError(
            f"y has shape {y.shape} but the predictions for X have shape {tuple(shape)}: "
            "give one target per sample of X (one column per task for a wide y)."
        )
    missing = int(np.sum(missing_labels(y))) if len(shape) == 1 else 0
    if missing:  # (fit refuses them too; they were dropped or counted as errors)
        raise ValueError(
            f"y has {missing} missing target(s) (NaN or None): every sample of a 1-D y "
            "needs a target to be scored; drop the rows without one (a NaN marks a "
            "missing target only in a 2-D y, one column per task)."
        )
    return y


def pooled_r2(y, y_pred, sample_weight=None):
    """``r2_score`` over every labelled entry of ``y`` (shaped like ``y_pred``; NaN:
    unlabelled), each weighted by its row's sample weight."""
    y = np.asarray(y, dtype=float).reshape(y_pred.shape)
    seen = ~np.isnan(y)
    sw = None
    if sample_weight is not None:
        sw = np.asarray(sample_weight, dtype=float).reshape(-1, *([1] * (y.ndim - 1)))
        sw = np.broadcast_to(sw, y.shape)[seen]
    return float(r2_score(y[seen], y_pred[seen], sample_weight=sw))


def class_labels(model, decision):
    """A fitted classifier's labels for its decision values (class scores on the
    last axis for more than two classes)."""
    if getattr(model, "_n_classes", 1) > 1:
        return model.classes_[np.argmax(decision, axis=-1)]
    return model.classes_[(decision > 0).astype(int)]


class ClassifierMixin:
    """Decision function, labels, probabilities (probabilistic losses) and accuracy,
    of a binary loss (``loss=None``: logistic)."""

    _default_loss = "logistic"
    _classifier = True

    def decision_function(self, X, tasks=None):
        """Signed distance ``x^T w_t + b_t``; positive means ``classes_[1]``.

        With more than two classes, the class scores ``x^T w_tk + b_tk`` (the
        multinomial model's logits): shape (n_samples, n_classes) for one task per
        row, (n_samples, n_tasks, n_classes) for every task of a model fitted on
        2-D ``y`` and called without ``tasks``."""
        return self._decision(X, tasks)

    @available_if(lambda self: is_probabilistic(self))
    def predict_proba(self, X, tasks=None):
        """Class probabilities, shape (n_samples, n_classes) for one task per row
        (losses with a probability model, such as the logistic loss).

        For a model fitted on 2-D ``y`` and called without ``tasks``, the
        probability of ``classes_[1]`` for every task: shape (n_samples, n_tasks);
        with more than two classes, every class's: (n_samples, n_tasks, n_classes).
        """
        z = self._decision(X, tasks)  # first: checks that the model is fitted
        p = self._fitted_loss.inverse_link(z)
        return np.column_stack([1.0 - p, p]) if p.ndim == 1 else p

    @available_if(lambda self: is_probabilistic(self))
    def predict_log_proba(self, X, tasks=None):
        """Logarithm of :meth:`predict_proba`."""
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X, tasks))

    def predict(self, X, tasks=None):
        """Predicted class labels, shaped like :meth:`decision_function`."""
        return class_labels(self, self._decision(X, tasks))

    def score(self, X, y, tasks=None, sample_weight=None):
        """Mean accuracy over all labelled (sample, task) pairs (on ``main_task``
        only when it is set)."""
        y_pred = self.predict(X, tasks=tasks)
        y = check_score_targets(target_array(y, True), y_pred.shape)
        sample_weight = check_score_weights(sample_weight, len(y))
        wide = y_pred.ndim == 2  # (before main_task takes its column)
        y, y_pred, sample_weight = self._restrict_to_main_task(X, y, tasks, sample_weight, y_pred)
        if wide:  # missing labels are left out
            seen = ~missing_labels(y)
        else:
            seen = np.ones(y.shape, dtype=bool)
            y = y.reshape(y_pred.shape)
        given, predicted = _label_kind(y[seen]), _label_kind(y_pred[seen])
        if given != predicted:  # (labels of another kind never match a prediction)
            raise ValueError(
                f"y's labels are {given} but the model's classes are {predicted}: score "
                "with labels like those it was fitted on (scikit-learn refuses a mix of "
                "label types too)."
            )
        sw = np.ones(y.shape[0]) if sample_weight is None else np.asarray(sample_weight, float)
        sw = np.broadcast_to(sw.reshape(-1, *([1] * (y.ndim - 1))), y.shape)
        return float(np.sum(sw * seen * (y == y_pred)) / np.sum(sw * seen))

    def __sklearn_tags__(self):
        return classifier_tags(super().__sklearn_tags__(), loss_or_none(self))


def _label_kind(labels):
    """``"strings"``, ``"numbers"`` or ``"a mix of strings and numbers"``: the kind
    of the class labels in the array ``labels``."""
    if labels.dtype.kind in "US":
        return "strings"
    if labels.dtype.kind != "O":
        return "numbers"
    text = np.fromiter((isinstance(v, str) for v in labels.flat), bool, labels.size)
    if text.all() and text.size:
        return "strings"
    return "a mix of strings and numbers" if text.any() else "numbers"


def loss_or_none(estimator):
    """The estimator's loss, or None for an invalid ``loss`` (``fit`` says why)."""
    try:
        return estimator._loss()
    except ValueError:
        return None


def is_binary(estimator):
    """Whether the estimator's loss is a classification loss (False for an invalid
    loss: ``fit`` then says what is wrong)."""
    loss = loss_or_none(estimator)
    return loss is not None and is_classification(loss)


def _quadratic(estimator):
    """Whether the estimator's loss is the squared loss (True for an invalid loss:
    ``partial_fit`` then says what is wrong)."""
    loss = loss_or_none(estimator)
    return loss is None or loss.quadratic


def is_probabilistic(estimator):
    """Whether the estimator's loss gives class probabilities."""
    return is_binary(estimator) and estimator._loss().probabilistic


def regressor_tags(tags, loss):
    """``tags`` of a regressor of ``loss`` (None: invalid): counts (the Poisson
    loss) are non-negative."""
    from sklearn.utils import RegressorTags

    tags.estimator_type, tags.regressor_tags = "regressor", RegressorTags()
    tags.target_tags.positive_only = loss is not None and loss.target == "counts"
    return tags


def classifier_tags(tags, loss):
    """``tags`` of a classifier of ``loss`` (None: invalid): whether three classes
    fit, not for a binary loss without a multi-class form (the squared hinge), nor a
    multinomial loss of another number of classes."""
    from sklearn.utils import ClassifierTags

    tags.estimator_type, tags.classifier_tags = "classifier", ClassifierTags()
    try:
        tags.classifier_tags.multi_class = loss is None or loss.multiclass(3) is not None
    except ValueError:
        tags.classifier_tags.multi_class = False
    return tags
