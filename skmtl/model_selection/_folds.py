"""One fold of a search: its paths solved on the training rows, scored on the test
rows; and the warnings said once per search."""

from __future__ import annotations

import functools
import sys
import time
import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from .._base import UnknownTaskWarning
from .._datafit import DesignDatafit
from .._inputs import (
    encode_task_labels,
    infinite_free_intercepts,
    label_array,
    label_is,
    missing_labels,
    user_stacklevel,
    validate_features,
)
from .._linalg import inner
from .._mixins import class_labels
from .._task_weights import check_main_task
from .._tasks import rowwise_dot
from ._path import _DEGENERATE, _path

#: the one warning of a search that holds grid points leaving a part of the model unused
UNUSED_PART = "leave a part of the model unused"


def _warn_degenerate(base, settings, data):
    """One warning for the grid points where a part of the model is never needed
    (instead of one per point and fold)."""
    est = clone(base)
    points = [params for path in settings for params in path]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not est.set_params(**points[0])._penalty(data).split:  # only split parts can be
            return
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
            stacklevel=user_stacklevel(),
        )


def _check_main_task_folds(task_labels, folds, main_task):
    """An error for the first fold whose training or test rows have no row of
    ``main_task``: its held-out errors alone choose the strengths, and need a model of
    it (a splitter that holds tasks out, as GroupKFold)."""
    if main_task is None or task_labels is None:
        return
    labels = label_array(task_labels)
    for k, (train, test) in enumerate(folds):
        fold = f"Fold {k + 1} of {len(folds)}"
        if not np.any(label_is(labels[train], main_task)):
            raise ValueError(
                f"{fold} holds main_task={main_task!r} out of its training rows: the "
                "held-out errors of main_task need a model of it. Use a splitter that "
                "keeps every task in every training fold (the default, "
                "skmtl.model_selection.TaskStratifiedKFold), not one that holds tasks "
                "out (GroupKFold)."
            )
        if not np.any(label_is(labels[test], main_task)):
            raise ValueError(
                f"{fold} has no test row of main_task={main_task!r}, whose held-out "
                "errors choose the strengths. Use a splitter that puts rows of every "
                "task in every fold (the default, skmtl.model_selection."
                "TaskStratifiedKFold), not one that holds tasks out (GroupKFold)."
            )


def _warn_unseen_tasks(task_labels, folds, policy="warn"):
    """One warning when test folds hold tasks their training folds lack (their
    errors are then those of the population model, a cold start); an error with
    ``unknown_task="error"`` (``policy``), which could not score them."""
    if task_labels is None:
        return
    # integer codes: np.isin on object labels (strings) compares every test label
    # with every training one (200,000 rows: most of a *CV fit's time)
    labels, codes = encode_task_labels(task_labels, len(task_labels))
    unseen = 0
    for train, test in folds:
        trained = np.zeros(len(labels), dtype=bool)
        trained[codes[train]] = True
        unseen += not trained[codes[test]].all()
    if unseen and policy == "error":
        raise ValueError(
            f"{unseen} of the {len(folds)} test folds hold tasks that their training fold "
            "lacks, which unknown_task='error' cannot score. Set unknown_task='mean' to "
            "score them with the population model (new tasks on purpose, e.g. GroupKFold), "
            "or use TaskStratifiedKFold (the default) to keep every task in every "
            "training fold."
        )
    if unseen and policy == "warn":
        warnings.warn(
            f"{unseen} of the {len(folds)} test folds hold tasks that their training "
            "fold lacks; those are scored with the population model (a cold start). "
            "Use TaskStratifiedKFold (the default) to keep every task in every training "
            "fold; to select for new tasks on purpose (e.g. with GroupKFold), set "
            "unknown_task='mean', which says so and silences this warning.",
            UnknownTaskWarning,
            stacklevel=user_stacklevel(),
        )


def _take(X, rows):
    if X is None:
        return None
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


def held_out_criterion(estimator):
    """What a search minimises on the test rows: ``"log_loss"`` for a classifier
    whose loss gives probabilities (the logistic loss; as scikit-learn's
    ``LogisticRegressionCV`` from version 1.11), ``"misclassification"`` for the
    other classifiers, ``"squared"`` (error) for regressors but those of a loss that
    is not smooth (the pinball loss), which are scored by it (``"loss"``: the mean
    pinball loss of a quantile, as scikit-learn's ``mean_pinball_loss``; a squared
    error would favour models of the mean)."""
    if not estimator._is_classifier:
        return "squared" if estimator._loss().smooth else "loss"
    return "log_loss" if estimator._loss().probabilistic else "misclassification"


def _pointwise_errors(estimator, pred, y, criterion):
    """Each test entry's error (shaped like ``y``) for the model's predictions: the
    mean target (squared, or the loss), class labels (misclassification) or the probabilities
    of ``classes_[1]`` (one column per class for more than two classes: log-loss)."""
    if criterion == "squared":
        return (y - pred) ** 2
    if criterion == "loss":
        return estimator._loss().pointwise(y, pred)
    if criterion == "misclassification":
        return (pred != y).astype(float)
    # a label outside the model's classes_ (a class the training fold lacked) has
    # probability zero, as for scikit-learn's log_loss given every label
    classes = estimator.classes_
    if pred.ndim > y.ndim:  # (..., n_classes): the probability of each entry's class
        codes = np.clip(np.searchsorted(classes, y), 0, len(classes) - 1)
        truth = np.take_along_axis(pred, codes[..., None], axis=-1)[..., 0]
        truth = np.where(classes[codes] == y, truth, 0.0)
    else:
        truth = np.where(y == classes[1], pred, np.where(y == classes[0], 1.0 - pred, 0.0))
    return -np.log(np.maximum(truth, np.finfo(float).eps))  # as sklearn's log_loss clips


def _error_function(estimator, X, y, tasks, sample_weight, criterion):
    """A function of the predictions of the test rows giving their mean error
    (:func:`held_out_criterion`) over the labelled entries (NaN in a wide ``y``:
    unlabelled). What depends on the test rows only is computed at its first call
    (a path calls it for every strength)."""
    y = np.asarray(y)
    prepared = None

    def mean_error(pred):
        nonlocal prepared
        if prepared is None:  # the estimator is fitted now
            per_class = criterion == "log_loss" and estimator._n_classes > 1
            labels = y.reshape(pred.shape[:-1] if per_class else pred.shape)
            seen = ~missing_labels(labels)
            if estimator._is_classifier:  # (any label in the unlabelled entries)
                labels = np.where(seen, labels, estimator.classes_[0])
            kept, _, sw = estimator._restrict_to_main_task(X, seen, tasks, sample_weight, seen)
            sw = np.ones(len(kept)) if sw is None else np.asarray(sw, dtype=float)
            sw = np.broadcast_to(sw.reshape(-1, *([1] * (kept.ndim - 1))), kept.shape) * kept
            prepared = labels, seen, sw / sw.sum()
        labels, seen, sw = prepared
        errors = np.where(seen, _pointwise_errors(estimator, pred, labels, criterion), 0.0)
        errors = estimator._restrict_to_main_task(X, errors, tasks, None, errors)[1]
        return float(inner(sw, errors))

    return mean_error


def _seen_task_index(est, validated):
    """The task of each test row of a one-output model fitted on task labels (the
    same along every path of the fold), when every test task was seen in training;
    else None (the model's own prediction handles the population model)."""
    X, tasks = validated
    if tasks is None or est._is_classifier or getattr(est, "_n_classes", 1) > 1:
        return None
    index = est._task_index(tasks, X.shape[0])
    return index if np.all(index >= 0) else None


def prepare_pooled(estimator, X, y, tasks, sample_weight):
    """``estimator._prepare(..., reset=True)`` as for pooled intercepts, which any
    task allows: a task whose free intercept is infinite (one class, zero counts) is
    the caller's to check (``infinite_free_intercepts``). The estimator keeps its
    ``intercept_pooling``."""
    pooling = estimator.intercept_pooling
    if estimator.fit_intercept:
        estimator.set_params(intercept_pooling=np.inf)
    try:
        return estimator._prepare(X, y, tasks, sample_weight, True)
    finally:
        estimator.set_params(intercept_pooling=pooling)


def _hold_convergence(show, held, message, category, filename, lineno, file=None, line=None):
    """``warnings.showwarning`` (with ``show`` and ``held`` bound): the messages of
    ConvergenceWarnings are appended to ``held``, the other warnings shown by
    ``show``."""
    if issubclass(category, ConvergenceWarning):
        held.append(str(message))
    else:
        show(message, category, filename, lineno, file, line)


def _fold_errors(base, X, y, tasks, sample_weight, train, test, settings, k, n_folds, verbose):
    """Held-out errors of the paths of one fold, shape (n_secondary, n_alphas), why
    free intercepts are infinite on its training rows ("" if they are not), and the
    messages of the ConvergenceWarnings of its fits (held back: the caller sums up
    those of all folds in one warning; its other warnings pass through)."""
    start = time.perf_counter()
    est = clone(base)
    tasks = None if tasks is None else label_array(tasks)
    sample_weight = None if sample_weight is None else np.asarray(sample_weight)
    pooling = est.intercept_pooling
    try:
        data, info, loss = prepare_pooled(
            est,
            _take(X, train),
            _take(np.asarray(y), train),
            _take(tasks, train),
            _take(sample_weight, train),
        )
    except ValueError as error:  # (the data passed as a whole: this fold's part fails)
        raise ValueError(f"Fold {k + 1} of {n_folds}, its training rows: {error}") from None
    # a task whose training rows lack a class (or hold only zero counts) has an
    # infinite free intercept: the grid's points of free intercepts score an infinite
    # error (the reason is returned, for the caller's error when all are infinite)
    infinite = infinite_free_intercepts(data, info, loss) if est.fit_intercept else ""
    # (in every training fold: _check_main_task_folds)
    est._main_index = check_main_task(est.main_task, info["tasks_"])
    est._weigh_tasks(data, info)  # the paths solve fit's objective
    X_test, y_test = _take(X, test), _take(np.asarray(y), test)
    tasks_test, sw_test = _take(tasks, test), _take(sample_weight, test)
    # the Gram statistics of the training rows, computed once for the fold's paths
    # when a solve first needs them (working sets build only their features')
    gram = functools.cache(lambda: DesignDatafit(loss, data, est.fit_intercept).gram())
    errors, validated, index = [], None, None
    criterion = held_out_criterion(est)
    mean_error = _error_function(est, X_test, y_test, tasks_test, sw_test, criterion)
    not_converged = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UnknownTaskWarning)  # said once, by fit
        # every ConvergenceWarning is counted here (shown by the caller in one); the
        # others go through the caller's filters and display as they would
        warnings.simplefilter("always", ConvergenceWarning)
        show = warnings.showwarning
        warnings.showwarning = functools.partial(_hold_convergence, show, not_converged)
        for path_settings in settings:
            if infinite and path_settings[0].get("intercept_pooling", pooling) == 0:
                errors.append([np.inf] * len(path_settings))
                continue
            row = []
            for W, b, _, _ in _path(est, data, info, loss, path_settings, certify=False, gram=gram):
                if index is not None:  # a regressor's rows of seen tasks: z_i = x_i w_t + b_t
                    pred = rowwise_dot(validated[0], W, index) + b[index]
                else:
                    est._set_solution(W, b, info, data.task_weights)
                    if validated is None:  # the test rows are validated once per fold
                        validated = validate_features(est, X_test, tasks_test, reset=False)
                        index = _seen_task_index(est, validated)
                    pred = est._decision_validated(*validated)
                if criterion == "misclassification":
                    pred = class_labels(est, pred)
                else:  # the mean target, as predict (exp(z) for the Poisson loss), or
                    pred = est._fitted_loss.inverse_link(pred)  # the probabilities
                row.append(mean_error(pred))
            errors.append(row)
    if verbose:
        print(
            f"[{type(base).__name__}CV] fold {k + 1}/{n_folds}: "
            f"{len(settings) * len(settings[0])} fits in "
            f"{time.perf_counter() - start:.2f} s",
            file=sys.stderr,
        )
    return errors, infinite, not_converged
