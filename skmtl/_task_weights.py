"""How much each task's data term counts: given weights, sample counts, or weights
learned from each task's noise level."""

from __future__ import annotations

import numpy as np

from ._inputs import check_number, format_labels, label_is
from ._params import Params
from ._tasks import TaskData


class UncertaintyWeights(Params):
    """Task weights learned from each task's noise (Kendall, Gal & Cipolla, 2018).

    Minimises ``sum_t [L_t(W) / (2 sigma_t^2) + log sigma_t] + penalty(W)`` over ``W``
    and the noise levels ``sigma``, with ``L_t`` twice the task's mean loss (its mean
    squared error for least squares), by alternating warm-started solves of the
    weighted problem with the closed-form step ``sigma_t = max(sqrt(L_t), floor)``.
    The task weights are ``1 / sigma_t^2``: ``task_weights_`` and ``task_noise_`` are
    those of the last weighted solve, whose objective (without the ``log sigma_t``
    terms) is the model's ``objective_``.

    Parameters
    ----------
    floor : float, default=1e-3
        Smallest noise level: keeps a task that is fitted exactly from taking all
        the weight.
    max_rounds : int, default=50
        Most alternations, at least 2: the first solve is unweighted (a
        ``ConvergenceWarning`` when they run out).
    tol : float, default=1e-6
        Stop when no ``sigma_t`` changes by more than this, relatively.
    """

    def __init__(self, floor=1e-3, max_rounds=50, tol=1e-6):
        check_number(floor, "floor", low=0, low_open=True)
        check_number(max_rounds, "max_rounds", low=2, integer=True)  # (1: unweighted)
        check_number(tol, "tol", low=0)
        self.floor, self.max_rounds, self.tol = floor, max_rounds, tol

    def noise(self, per_task_loss):
        """The sigma step: ``max(sqrt(2 * mean loss), floor)`` for each task."""
        return np.maximum(np.sqrt(2.0 * np.maximum(per_task_loss, 0.0)), self.floor)


def resolve_task_weights(
    spec, data: TaskData | None, labels, sample_weight_totals, n_tasks=None, unseen_ok=False
):
    """The (T,) weights for ``spec`` (None, "tasks", "samples", a dict or an array),
    or None for equal weights; with ``unseen_ok`` (``partial_fit``: later chunks may
    bring more tasks), a dict may name tasks not among ``labels``.

    None, the default, counts every sample once: task ``t``'s mean loss is weighted
    by its share of the samples, ``n_t T / sum_s n_s`` (weights of mean one), which
    are all one when the tasks have the same number of samples."""
    T = data.n_tasks if n_tasks is None else n_tasks
    if spec is None:
        totals = np.asarray(sample_weight_totals, dtype=float)
        if totals.size < 2 or np.all(totals == totals[0]) or not totals.sum() > 0:
            return None
        return totals * (totals.size / totals.sum())
    if isinstance(spec, str):
        if spec == "samples":  # (a copy: the fitted task_weights_ is its own array)
            return np.array(sample_weight_totals, dtype=float)
        if spec == "tasks":
            return None
        raise ValueError(
            f"task_weights must be None, 'tasks', 'samples', 'uncertainty', a dict or "
            f"an array; got {spec!r}."
        )
    if isinstance(spec, dict):
        unknown = [key for key in spec if key not in set(labels.tolist())]
        if unseen_ok:  # but not of another kind than the labels (it could never come)
            unknown = [key for key in unknown if not _could_be_a_label(key, labels)]
        if unknown:
            raise ValueError(
                f"task_weights names unknown task(s) {format_labels(unknown)}; "
                f"the tasks are {format_labels(labels)}."
            )
        weights = np.array([spec.get(label, 1.0) for label in labels.tolist()], dtype=float)
    else:
        weights = np.array(spec, dtype=float)  # (a copy of the user's array)
        if weights.shape != (T,):
            raise ValueError(
                f"task_weights has shape {weights.shape} but there are {T} "
                "tasks; give one weight per task, in the order of the "
                "sorted task labels (tasks_), or a dict by label."
            )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("task_weights must be finite and non-negative.")
    if not np.any(weights > 0):
        raise ValueError("task_weights are all zero: at least one task must count.")
    return weights


def check_main_task(main_task, labels, unseen_ok=False):
    """The position of ``main_task`` among ``labels``; None for no main task, or
    with ``unseen_ok`` (``partial_fit``) for one not among them yet."""
    if main_task is None:
        return None
    compound = isinstance(main_task, tuple)  # (a tuple label, as ("district", 3))
    if isinstance(main_task, (bool, np.bool_)) or (np.ndim(main_task) != 0 and not compound):
        raise ValueError(f"main_task must be one task label (of tasks_); got {main_task!r}.")
    if compound:
        position = np.flatnonzero(label_is(labels, main_task))
    elif labels.dtype.kind != "O":
        position = np.flatnonzero(labels == main_task)
    else:
        position = np.flatnonzero([label == main_task for label in labels])
    if not len(position):
        if unseen_ok and _could_be_a_label(main_task, labels):
            return None
        raise ValueError(
            f"main_task={main_task!r} is not one of the tasks {format_labels(labels)}."
        )
    return int(position[0])


def _could_be_a_label(key, labels):
    """Whether ``key`` is of the kind of the task ``labels``: text or not, a tuple
    or not."""
    values = labels.tolist()
    return isinstance(key, str) == any(isinstance(label, str) for label in values) and (
        isinstance(key, tuple) == any(isinstance(label, tuple) for label in values)
    )


def is_uncertainty(spec):
    return isinstance(spec, UncertaintyWeights) or (isinstance(spec, str) and spec == "uncertainty")


def as_uncertainty(spec):
    return spec if isinstance(spec, UncertaintyWeights) else UncertaintyWeights()


__all__ = ["UncertaintyWeights", "resolve_task_weights", "check_main_task"]
