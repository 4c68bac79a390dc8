"""Input adapters: the three ways of saying which sample belongs to which task,
turned into one :class:`~skmtl._tasks.TaskData` (DESIGN 1.1).

Every error about user input is raised here, with the argument named.
"""

from __future__ import annotations

import numbers
import os
import re
import sys
import warnings
from collections import Counter

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import DataConversionWarning
from sklearn.utils.multiclass import type_of_target
from sklearn.utils.validation import check_array, validate_data

from ._tasks import TaskData
from .losses import is_classification


def format_labels(labels, limit=10, show=str):
    """``[a, b, ...]`` with plain (not numpy-repr) values (``show=repr``: quoted
    strings), at most ``limit`` shown."""
    labels = [v.item() if isinstance(v, np.generic) else v for v in labels]
    shown = ", ".join(show(v) for v in labels[:limit])
    return f"[{shown}{', ...' if len(labels) > limit else ''}]"


def task_column_name(columns, task_column):
    """The label, among a DataFrame's ``columns``, of its task column
    ``task_column``: that label, the one ColumnTransformer renamed from it
    (``"<transformer>__<name>"``), or the column at that integer position."""
    # a ColumnTransformer names its outputs "<transformer>__<column>"
    renamed = [c for c in columns if str(c).endswith(f"__{task_column}")]
    positional = isinstance(task_column, numbers.Integral) and (
        -len(columns) <= task_column < len(columns)
    )
    if task_column in columns and positional and columns[task_column] != task_column:
        raise ValueError(
            f"task_column={task_column!r} is ambiguous for this DataFrame: it is the "
            f"label of its column at position {columns.index(task_column)} and the "
            f"position of its column labelled {columns[task_column]!r} (pandas reads "
            "an int as a label, scikit-learn's ColumnTransformer as a position). Make "
            "the labels strings (X.columns = X.columns.astype(str)) and give the "
            "name, or reorder the columns so that labels and positions agree."
        )
    if task_column in columns:
        name = task_column
    elif isinstance(task_column, str) and len(renamed) == 1:
        name = renamed[0]
    elif positional:
        name = columns[task_column]
    elif isinstance(task_column, str) and len(renamed) > 1:
        raise ValueError(
            f"task_column={task_column!r} matches several renamed columns of X "
            f"({format_labels(renamed)}); give the full name of the one that holds "
            "the task labels."
        )
    else:
        raise ValueError(
            f"task_column={task_column!r} is not a column of X; X has the columns "
            f"{format_labels(columns)}."
        )
    return name


def split_task_column(X, task_column, check_order=False):
    """Return ``(features, labels)``: ``X`` without its task column, and that column
    (with ``check_order``, :func:`warn_if_order_is_lost` and
    :func:`warn_if_text_order_differs` on it, for a model whose tasks have an order)."""
    if isinstance(task_column, (bool, np.bool_)):  # (True == 1: not a position)
        raise ValueError(
            f"task_column={task_column!r} is a bool; give the task column's integer "
            "position or its name in a DataFrame X (a column named by a bool is not "
            "supported: rename it)."
        )
    if hasattr(X, "columns"):  # a DataFrame
        name = task_column_name(list(X.columns), task_column)
        if check_order:  # (on the column itself: an ordered Categorical's dtype)
            warn_if_order_is_lost(X[name])
            warn_if_text_order_differs(X[name])
        return X.drop(columns=[name]), X[name].to_numpy()
    if not isinstance(task_column, (numbers.Integral, str)):
        raise ValueError(
            f"task_column={task_column!r} ({type(task_column).__name__}) must be the task "
            "column's integer position, or its name when X is a DataFrame."
        )
    if isinstance(task_column, str):
        raise ValueError(
            f"task_column={task_column!r} is a column name, but X has no column names "
            "(it is not a DataFrame): pass X as a DataFrame that has this column (the "
            "frame's columns, as the model was fitted on; a scikit-learn transformer "
            "before the model outputs one after set_output(transform='pandas')), or fit "
            "with task_column set to the column's integer position."
        )
    if not sp.issparse(X):
        X = np.asarray(X)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D to hold a task column; got {X.ndim} dimensions.")
    n_columns = X.shape[1]
    if not -n_columns <= task_column < n_columns:
        raise ValueError(
            f"task_column={task_column} is out of range for X with {n_columns} columns."
        )
    position = task_column % n_columns
    keep = np.arange(n_columns) != position
    if sp.issparse(X):
        X = sp.csc_matrix(X)
        return X[:, keep], X[:, [position]].toarray().ravel()
    return X[:, keep], X[:, position]


#: the directory of the package: warnings name the first frame outside it
_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def user_stacklevel():
    """The ``stacklevel`` at which a warning issued by the caller of this function
    names the first frame outside skmtl: the user's line (or a library's that called
    skmtl, as scikit-learn's model selection), whatever the path through skmtl
    (``fit``, ``partial_fit``, a ``*CV``'s validation)."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame, level = frame.f_back, level + 1
    return level


def task_order_matters(estimator):
    """Whether the fit depends on the order of the tasks (``tasks_``, by sorted
    label): a chain or time over them, or arrays given in that order
    (``task_weights``, a ``graph`` matrix)."""
    arrays = (getattr(estimator, name, None) for name in ("task_weights", "graph"))
    return estimator._tasks_ordered() or any(np.ndim(value) > 0 for value in arrays)


def warn_if_order_is_lost(labels):
    """Warn when the task labels are a pandas ordered Categorical whose categories are
    not in sorted order, for the models whose fit depends on the tasks' order
    (:func:`task_order_matters`): it follows the sorted labels (``tasks_``), not the
    categories."""
    dtype = getattr(labels, "dtype", None)
    if not getattr(dtype, "ordered", False):
        return
    categories = list(dtype.categories)
    try:
        in_order = categories == sorted(categories)
    except TypeError:  # labels of several types: sorting fails later, with its error
        return
    if not in_order:
        warnings.warn(
            "The task labels are an ordered Categorical whose order "
            f"{format_labels(categories, limit=5)} is not the sorted order of the labels; "
            "skmtl orders the tasks (tasks_, the chain of graph='chain' and of the "
            "fused models, arrays of task_weights and graph) by sorted label. To keep "
            "the categories' order, pass their codes (e.g. frame[column].cat.codes) as "
            "the task labels.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


#: the start of the warning of :func:`warn_if_text_order_differs`
TEXT_ORDER_WARNING = "The task labels are strings whose text order"
#: the starts of the task-order warnings (a regular expression: a *CV says them once)
TASK_ORDER_WARNINGS = rf"({TEXT_ORDER_WARNING}|The task labels are an ordered Categorical)"


def warn_if_text_order_differs(labels):
    """Warn when string task labels that differ only in their numbers sort
    differently as text than by those numbers (``"month10"`` before ``"month2"``,
    ``"10"`` before ``"2"``): for the models whose fit depends on the tasks' order
    (:func:`task_order_matters`), which follows the sorted labels (``tasks_``).
    Labels that are all numbers are compared as numbers (``"1.25"`` before
    ``"1.5"``); an ordered Categorical is left to
    :func:`warn_if_order_is_lost`; labels that do not sort (missing, mixed types)
    to the labels' own checks."""
    if getattr(getattr(labels, "dtype", None), "ordered", False):
        return
    array = np.asarray(labels)
    if array.dtype.kind not in "UO":
        return
    try:
        values = _unique_labels(array)[0]
    except TypeError:  # (None, mixed types: refused with their own message later)
        return
    if not all(isinstance(v, str) for v in values):
        return
    try:
        keys = [(float(v),) for v in values]  # numbers written as text
        if not np.all(np.isfinite([key[0] for key in keys])):  # ("nan", "inf": text)
            raise ValueError
    except ValueError:
        # each label as its text between numbers (its template) and its numbers
        parts = [re.split(r"(\d+)", v) for v in values]
        keys = [(tuple(p[::2]), tuple(int(n) for n in p[1::2])) for p in parts]
    # labels of one template in the order of their numbers, against their text order
    # (the values are in text order; labels of different templates are not compared)
    templates = [key[0] if len(key) > 1 else () for key in keys]
    by_numbers = sorted(range(len(values)), key=keys.__getitem__)
    by_text = sorted(range(len(values)), key=lambda i: (templates[i], i))
    if by_numbers != by_text:
        warnings.warn(
            f"{TEXT_ORDER_WARNING} {format_labels(values, limit=5)} is not the "
            f"order of their numbers {format_labels(values[by_numbers], limit=5)}; skmtl "
            "orders the "
            "tasks (tasks_, the chain of graph='chain', the fused models' time, "
            "arrays of task_weights and graph) by "
            "sorted label. Pass labels that sort in the intended order, e.g. "
            "zero-padded ('month02') or integers.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def warn_if_scaled(labels):
    """Warn when task labels look transformed (floats that are not whole numbers), as
    a scaler in front of the estimator leaves a task column."""
    labels = np.asarray(labels)
    if labels.dtype.kind == "f" and not np.all(labels == np.round(labels)):
        warnings.warn(
            "The task labels are floats that are not whole numbers, e.g. "
            f"{format_labels(labels[labels != np.round(labels)][:3])}: was the task "
            "column scaled? Pass it through a ColumnTransformer untouched, e.g. "
            "make_column_transformer(('passthrough', [task_column]), "
            "remainder=StandardScaler()).set_output(transform='pandas').",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def warn_if_near_duplicates(labels, new=None):
    """Warn when text task labels differ only in case or white space ("Store 01",
    " store 01 "): separate tasks, which a table's typing often made of one. With
    ``new``, only of the groups that hold one of these labels."""
    text = [label for label in label_array(labels).tolist() if isinstance(label, str)]
    groups = {}
    for label in text:
        groups.setdefault(" ".join(label.split()).casefold(), []).append(label)
    alike = [group for group in groups.values() if len(group) > 1]
    if new is not None:
        new = set(label_array(new).tolist())
        alike = [group for group in alike if new.intersection(group)]
    if alike:
        warnings.warn(
            f"{len(alike)} group(s) of task labels differ only in case or white space, "
            f"e.g. {format_labels(alike[0], show=repr)}: each label is a task of its "
            "own. If they name the same task, normalize them first (e.g. "
            "labels.str.strip().str.lower() on a pandas column).",
            UserWarning,
            stacklevel=user_stacklevel(),
        )


def label_array(labels):
    """``labels`` as a NumPy array; a sequence of tuples (compound labels, e.g.
    ``("district", year)``) as a 1-D object array of them, one label each
    (``np.asarray`` would make their entries columns of a 2-D array)."""
    sequence = isinstance(labels, (list, tuple)) and len(labels) > 0
    if sequence and isinstance(labels[0], tuple) and all(isinstance(v, tuple) for v in labels):
        array = np.empty(len(labels), dtype=object)
        array[:] = labels
        return array
    try:
        return np.asarray(labels)
    except ValueError:  # ("inhomogeneous shape")
        if sequence and any(isinstance(v, tuple) for v in labels):
            other = next(v for v in labels if not isinstance(v, tuple))
            raise ValueError(
                f"The task labels mix tuples with other labels (e.g. {other!r}): give "
                "every label as a tuple, or none."
            ) from None
        raise


def label_is(labels, label):
    """Whether each of ``labels`` (an array) is ``label``; a tuple label compared as
    one label, not entry by entry."""
    if isinstance(label, tuple):  # (only a tuple label can be it)
        same = (isinstance(value, tuple) and value == label for value in labels)
        return np.fromiter(same, bool, len(labels))
    return labels == label


def encode_task_labels(labels, n_samples):
    """``(unique labels, index of each row)``, with clear errors."""
    if isinstance(labels, (list, tuple)) and any(map(is_missing_label, labels)):
        # (before NumPy turns None and NaN among strings into the labels "None", "nan")
        raise ValueError(_MISSING_TASKS)
    labels = label_array(labels)
    if labels.ndim != 1:
        labels = labels.ravel() if labels.ndim == 2 and 1 in labels.shape else labels
    if labels.ndim == 0:  # (a column's name, as tasks="school")
        raise ValueError(
            f"tasks must be 1-D, one label per sample; got the single value {labels.item()!r}. "
            "To read the labels from a column of X, set the estimator's task_column "
            f"(task_column={labels.item()!r}) instead of passing tasks."
        )
    if labels.ndim != 1:
        raise ValueError(
            f"tasks must be 1-D, one label per sample; got shape {labels.shape}. (A "
            "sequence of lists is read as rows of a 2-D array: give compound labels as "
            "tuples, or join them into strings.)"
        )
    if labels.shape[0] != n_samples:
        raise ValueError(
            f"tasks has {labels.shape[0]} labels but X has {n_samples} samples; "
            "give one task label per sample."
        )
    if labels.dtype.kind == "f" and np.isnan(labels).any():
        raise ValueError("tasks contains NaN; every sample needs a task label.")
    if labels.dtype.kind == "O":
        values = labels.tolist()
        # (NaN among objects sorts nowhere: np.unique would split a task in two)
        if any(map(is_missing_label, values)):
            raise ValueError(_MISSING_TASKS)
    try:
        return _unique_labels(labels)
    except TypeError:
        raise ValueError(
            "tasks mixes labels of types that cannot be compared (e.g. str and int); "
            "use labels of one type."
        ) from None


def _unique_labels(labels):
    """``np.unique(labels, return_inverse=True)`` (a TypeError for labels that do not
    sort); an object array of strings by pandas' hash table where pandas is
    installed (:func:`_factorize_strings`)."""
    strings = labels.dtype.kind == "O" and all(type(v) is str for v in labels.tolist())
    coded = _factorize_strings(labels) if strings else None
    return np.unique(labels, return_inverse=True) if coded is None else coded


def _factorize_strings(labels):
    """``np.unique(labels, return_inverse=True)`` for an object array of strings, by
    pandas' hash table where pandas is installed (None otherwise): np.unique sorts
    the million strings of a DataFrame's task column by Python comparisons, 0.6 s
    against 0.04 s, and a ``*CV`` fit encodes them once per fold and more."""
    try:
        import pandas as pd
    except ImportError:  # (an optional dependency)
        return None
    codes, uniques = pd.factorize(labels, sort=True)
    return np.asarray(uniques, dtype=object), codes.astype(np.intp)


def locate_labels(sorted_labels, labels):
    """``(position, found)``: where each of ``labels`` stands in the sorted unique
    ``sorted_labels`` (a fitted ``tasks_``), and whether it is there (labels of one
    kind: sorting compares them)."""
    position = np.minimum(np.searchsorted(sorted_labels, labels), len(sorted_labels) - 1)
    return position, sorted_labels[position] == labels


def label_kind(labels):
    """ "number", "string" or another type's name for an array of labels; "mixed"
    for labels of several kinds."""
    if labels.dtype.kind in "biuf":
        return "number"
    if labels.dtype.kind in "US":
        return "string"
    if labels.dtype.kind != "O":
        return labels.dtype.name
    kinds = {
        "string"
        if isinstance(v, str)
        else "number"
        if isinstance(v, numbers.Number)
        else type(v).__name__
        for v in labels.tolist()
    }
    return kinds.pop() if len(kinds) == 1 else "mixed"


def check_label_kind(labels, fitted):
    """Raise when the (unique) task labels ``labels`` are of another kind than the
    labels ``fitted`` seen in fit (the string "2" for the task 2): every row would
    be an unseen task."""
    kind, fitted_kind = label_kind(labels), label_kind(fitted)
    if len(labels) and kind != fitted_kind:
        raise ValueError(
            f"tasks holds labels of type {kind} ({format_labels(labels, 3, repr)}), but "
            f"the model was fitted on task labels of type {fitted_kind} "
            f"({format_labels(fitted, 3, repr)}); pass the labels as in fit."
        )


_MISSING_LABELS = (
    "y contains missing labels (None, NaN or pandas.NA); every sample needs a label (a "
    "wide y marks a missing one by NaN, not None; the stacked form has none)."
)
_MISSING_TASKS = (
    "tasks contains missing labels (None, NaN or pandas.NA); every sample needs a task label."
)


def is_missing_label(label):
    """Whether a task label is None, NaN or pandas.NA (whose comparisons raise)."""
    if label is None:
        return True
    try:
        return bool(label != label)
    except TypeError:
        return True


def _is_task_list(X):
    """Whether ``X`` is a list of ``(X_t, y_t)`` pairs (MALSAR's and RMTL's form)."""
    return (
        isinstance(X, (list, tuple))
        and len(X) > 0
        and all(
            isinstance(pair, (list, tuple))
            and len(pair) == 2
            and getattr(pair[0], "ndim", None) == 2
            for pair in X
        )
    )


def validate_features(estimator, X, tasks, *, reset, order="C"):
    """Validate ``X`` (after removing any task column); return ``(X, task labels)``.

    ``n_features_in_`` and ``feature_names_in_`` describe the ``X`` given, as in
    scikit-learn: with ``task_column``, its task column too. A dense ``X`` comes back
    in ``order`` (None: in its own layout, for :func:`build_task_data`, which puts
    it in C order while it gathers its rows task by task: one copy, not two)."""
    if _is_task_list(X):
        raise ValueError(
            "X is a list of per-task (X_t, y_t) pairs; stack them first: X, y, tasks = "
            "skmtl.from_task_list(pairs), then fit(X, y, tasks=tasks)."
        )
    column = estimator.task_column is not None
    ordered = reset and task_order_matters(estimator)  # (an order labels may lose)
    if hasattr(X, "columns"):
        repeated = [name for name, count in Counter(X.columns).items() if count > 1]
        if repeated:
            raise ValueError(
                f"X has duplicate column names {format_labels(repeated, show=repr)}: give each "
                "column its own name (a model keeps the columns' names and finds them "
                "by name)."
            )
    if column:
        if tasks is not None:
            raise ValueError(
                "Give the task of each sample either as tasks= or through task_column, not both."
            )
        if not reset and getattr(X, "ndim", 2) == 2:  # (the column's own errors first)
            _check_columns(estimator, X, reset=False)
        full = X
        X, tasks = split_task_column(X, estimator.task_column, check_order=ordered)
    elif ordered and tasks is not None:
        warn_if_order_is_lost(tasks)
        warn_if_text_order_differs(tasks)
    kinds = X.dtypes.items() if hasattr(X, "columns") else ()
    dates = [name for name, kind in kinds if getattr(kind, "kind", None) in ("m", "M")]
    if dates:  # (numpy and pandas fail on them with a dtype-promotion traceback)
        raise ValueError(
            f"X's column(s) {format_labels(dates, show=repr)} hold dates or durations, "
            "which are not numbers: turn them into features first (e.g. the day of the "
            "year, or the days since a start date) or drop them."
        )
    try:
        # C order (see _c_ordered; or left to build_task_data: order=None)
        options = dict(accept_sparse=True, dtype=np.float64, ensure_min_samples=1, order=order)
        if column:
            X = check_array(X, input_name="X", estimator=estimator, **options)
            if reset:  # (after the features' own checks)
                _check_columns(estimator, full, reset=True)
        else:
            X = validate_data(estimator, X, reset=reset, **options)
    except ValueError as error:
        if "convert" not in str(error):
            raise
        raise ValueError(
            f"X must hold numbers only; {error}. Encode categorical features first (e.g. "
            "with sklearn's OneHotEncoder), or set task_column if that column holds the "
            "task labels."
        ) from error
    if sp.issparse(X):
        X = sp.csr_matrix(X)
        if not X.has_canonical_format:  # sorted and summed in a copy, never the user's
            X = X.copy()
            X.sum_duplicates()
    return X, tasks


def _check_columns(estimator, X, reset):
    """Set (``reset``) or check ``n_features_in_`` and ``feature_names_in_`` for ``X``
    with its task column, whose values are not checked here."""
    try:
        validate_data(estimator, X, reset=reset, skip_check_array=True)
    except TypeError:
        if not hasattr(X, "columns"):
            raise
        # column names of mixed types (a task column "visit" among integer-named
        # ones) name no features, as in scikit-learn: the count alone
        validate_data(estimator, np.empty((0, X.shape[1])), reset=reset, skip_check_array=True)


def check_number(value, name, *, low=None, high=None, low_open=False, integer=False):
    """Raise a ValueError naming ``name`` unless ``value`` is a finite number in range."""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, kind) or value != value:
        raise ValueError(
            f"{name} must be {'an integer' if integer else 'a real number'}; got {value!r}."
        )
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite; got {value!r}.")
    if low is not None and (value < low or (low_open and value == low)):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}; got {value!r}.")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}; got {value!r}.")


def check_eps(eps):
    """``eps``, the ratio ``alpha_min / alpha_max`` of an automatic grid: in (0, 1)
    (at or above 1 every strength of the grid gives the all-zero model)."""
    check_number(eps, "eps", low=0, low_open=True)
    if eps >= 1:
        raise ValueError(
            f"eps must be below 1; got {eps!r}: the grid runs from alpha_max, where every "
            "coefficient is zero, down to eps * alpha_max (e.g. eps=1e-3)."
        )


#: the largest magnitude of X, y or sample_weight that a fit takes: beyond it the
#: squares and their sums over rows overflow double precision (1e154 and below),
#: and the solvers failed deep inside (LinAlgError, a diverged objective)
_MAX_MAGNITUDE = 1e100


#: what to do about entries beyond it, by input
_RESCALE = {
    "X": "rescale X (e.g. with sklearn's StandardScaler)",
    "y": "rescale y (e.g. divide it by its standard deviation)",
    "sample_weight": "divide the weights by a common factor (only their ratios matter)",
}


def check_magnitude(values, name):
    """Refuse entries of ``values`` (an array; a sparse matrix's stored ones), the
    input ``name`` (a key of ``_RESCALE``), beyond ``_MAX_MAGNITUDE`` in magnitude."""
    values = values.data if sp.issparse(values) else values
    if not values.size:
        return
    # (no temporary the size of X; NaN, a missing label, is skipped)
    largest = max(np.fmax.reduce(values, axis=None), -np.fmin.reduce(values, axis=None))
    if largest > _MAX_MAGNITUDE:
        raise ValueError(
            f"{name} has entries up to {largest:.3g} in magnitude, beyond the "
            f"{_MAX_MAGNITUDE:.0e} the solvers take (their squares and sums of squares "
            f"would overflow double precision); {_RESCALE[name]}."
        )


def check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n_samples, float(sample_weight))
    try:
        sw = check_array(
            sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
        )
    except ValueError as error:
        if "convert" not in str(error):
            raise
        raise ValueError(f"sample_weight must hold numbers; {error}.") from error
    if sw.ndim != 1 or sw.shape[0] != n_samples:
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per sample; "
            f"got shape {sw.shape}."
        )
    if (sw < 0).any():
        raise ValueError("sample_weight has negative values; weights must be >= 0.")
    return sw


def check_score_weights(sample_weight, n_samples):
    """A score's ``sample_weight`` (None stays None), checked as ``fit``'s, with a
    positive total (scikit-learn's metrics raise likewise)."""
    if sample_weight is None:
        return None
    sw = check_sample_weight(sample_weight, n_samples)
    if not sw.sum() > 0:
        raise ValueError("sample_weight must contain at least one positive weight to score.")
    return sw


def encode_binary_labels(y, classes=None):
    """Map binary labels to -1/+1; ``classes`` sorted (negative class first)."""
    if classes is None:
        classes = _classes(y)
    if len(classes) != 2:
        found = "one class" if len(classes) == 1 else f"{len(classes)} classes"
        raise ValueError(
            f"Classification needs exactly 2 classes in y (one binary problem per task); "
            f"found {found}: {format_labels(classes)}."
        )
    return classes, np.where(y == classes[1], 1.0, -1.0)


def _classes(y):
    """The sorted class labels of ``y``, with clear errors for non-class targets."""
    try:
        target_type = type_of_target(y, input_name="y")
        classes = np.unique(y)
    except TypeError:  # labels that do not compare: pandas.NA, or None among strings
        labels = np.ravel(y).tolist()  # (the error path only: loops)
        if any(map(is_missing_label, labels)):
            raise ValueError(_MISSING_LABELS) from None
        kinds = sorted({type(label).__name__ for label in labels})
        raise ValueError(
            f"Unknown label type: y mixes labels of the types {kinds}, which do not "
            "sort; give class labels of one type (e.g. all strings)."
        ) from None
    if target_type == "continuous":
        raise ValueError(
            "Unknown label type: continuous. A classifier needs class labels in y; "
            "for real-valued targets use the matching regressor."
        )
    return classes


def encode_class_labels(y, loss):
    """``(classes, encoded y, loss to fit)``: -1/+1 labels and ``loss`` for two
    classes (a binary loss), else class indices and the loss's multi-class form
    (the multinomial loss for the logistic one)."""
    classes = _classes(y)
    K = len(classes)
    if K < 2:
        raise ValueError(
            f"Classification needs at least 2 classes in y; found one class: "
            f"{format_labels(classes)}."
        )
    if K == 2 and loss.target == "binary":
        return encode_binary_labels(y, classes) + (loss,)
    multi = loss.multiclass(K)
    if multi is None:
        raise ValueError(
            f"Only binary classification is supported by the {loss.name} loss: y has {K} "
            f"classes {format_labels(classes)}; use loss='logistic' (multinomial logistic "
            "regression with more than two classes), or fit one model per class with "
            "scikit-learn's OneVsRestClassifier and the task labels in a task_column."
        )
    return classes, np.searchsorted(classes, y), multi


def _one_hot(codes, n_classes):
    """``(K, *codes.shape)`` indicators of each class."""
    return (codes[None] == np.arange(n_classes).reshape(-1, *([1] * codes.ndim))).astype(float)


def _expand_stacked(X, codes, weights, index, totals, n_classes):
    """The class-expanded virtual tasks of stacked data: ``K`` copies of the rows,
    class by class (virtual task ``k T + t``)."""
    K, T = n_classes, len(totals)
    X = sp.vstack([X] * K, format="csr") if sp.issparse(X) else np.tile(X, (K, 1))
    index = (np.arange(K)[:, None] * T + index[None]).ravel()
    return TaskData(
        X,
        _one_hot(codes, K).ravel(),
        np.tile(weights, K),
        index,
        K * T,
        sample_totals=np.tile(totals, K),
        n_classes=K,
    )


def _expand_shared(X, codes, weights, totals, n_classes):
    """The class-expanded virtual tasks of shared rows: ``(n, K T)`` targets and
    weights, class by class (``codes`` and ``weights`` of shape (n, T))."""
    K, (n, T) = n_classes, codes.shape
    Y = _one_hot(codes, K).transpose(1, 0, 2).reshape(n, K * T)
    return TaskData(
        X,
        Y,
        np.tile(weights, (1, K)),
        None,
        K * T,
        sample_totals=np.tile(totals, K),
        n_classes=K,
    )


def build_task_data(X, y, tasks, sample_weight, *, loss, one_class_tasks=False):
    """Build :class:`TaskData` for ``loss`` (its targets checked and encoded as its
    ``target`` says) and describe the layout.

    Returns ``(data, info)`` where ``info`` holds ``layout`` ("single", "wide" or
    "tasks"), ``tasks_`` (labels) and, for classifiers, ``classes_``.
    ``one_class_tasks`` allows degenerate tasks (one class; zero counts) whose
    intercepts are kept finite by pooling; None: a model without intercepts, where
    such tasks are well posed (the penalty bounds the coefficients).
    """
    classifier = is_classification(loss)
    n = X.shape[0]
    if y is None:
        raise ValueError("This estimator requires y to be passed, but the target y is None.")
    check_magnitude(X, "X")
    sw = check_sample_weight(sample_weight, n)
    check_magnitude(sw, "sample_weight")
    y = target_array(y, classifier)
    if y.shape[0] != n:
        raise ValueError(f"X has {n} samples but y has {y.shape[0]}; they must match.")
    if classifier and y.ndim == 2 and y.shape[1] == 1 and tasks is None:
        # as scikit-learn's classifiers: one column of labels is one task's (a wide y
        # of one task would predict probabilities of one class only)
        warnings.warn(
            "A column-vector y was passed when a 1d array was expected: y of shape "
            f"{y.shape} is taken as the labels of one task, shape ({n},). Pass "
            "y.ravel() to avoid this warning.",
            DataConversionWarning,
            stacklevel=user_stacklevel(),
        )
        y = y[:, 0]
    if y.ndim == 2 and tasks is None:
        return _wide_data(X, y, sw, loss, one_class_tasks)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(
            f"With tasks=, y must be 1-D (one target per sample); got shape {y.shape}."
        )
    if tasks is None:
        labels, index, layout = np.array([0]), np.zeros(n, dtype=np.intp), "single"
    else:
        labels, index = encode_task_labels(tasks, n)
        warn_if_scaled(labels)
        warn_if_near_duplicates(labels)
        layout = "tasks"
    totals = np.bincount(index, weights=sw, minlength=len(labels))
    info = {"layout": layout, "tasks_": labels, "sample_totals": totals, "loss": loss}
    if classifier:
        _check_label_values(y, "y")
        info["classes_"], y, info["loss"] = encode_class_labels(y, loss)
    else:
        y = numeric_targets(y)
        check_magnitude(y, "y")
        loss.check_target(y[sw > 0])
    _check_nonempty(totals, labels)
    rows = task_ordered_rows(index, sw)
    if rows is not None:  # (a gather from X's own layout: C order without a 2nd copy)
        X, y, sw, index = X[rows], y[rows], sw[rows], index[rows]
    X = _c_ordered(X)
    loss = info["loss"]
    if loss.target != "multiclass":
        data = TaskData(X, y, sw / totals[index], index, len(labels), sample_totals=totals)
    elif layout == "single":  # one task: its class copies share the rows of X
        data = _expand_shared(X, y[:, None], (sw / totals[0])[:, None], totals, loss.n_classes)
    else:
        data = _expand_stacked(X, y, sw / totals[index], index, totals, loss.n_classes)
    _check_degenerate_tasks(data, labels, loss, one_class_tasks)
    return data, info


def task_ordered_rows(index, sample_weight):
    """The rows of positive weight, task by task (stable: in their order within a
    task), as indices; None when that is every row as it comes. Sums over a task
    are then segments of the rows (:meth:`~skmtl._tasks.TaskData.task_segments`)."""
    positive = sample_weight > 0
    rows = None if positive.all() else np.flatnonzero(positive)
    kept = index if rows is None else index[rows]
    if np.any(np.diff(kept) < 0):
        order = np.argsort(kept, kind="stable")
        rows = order if rows is None else rows[order]
    return rows


def _c_ordered(X):
    """A dense ``X`` in C order (a copy only where it is not): the same numbers fit
    the same model whatever their layout (sums in another order drifted a quantile
    fit near its budget from certified in 921 iterations to 1000). Rows gathered by
    fancy indexing come C-ordered from any layout, in one copy (``np.take`` copies a
    Fortran-ordered ``X`` to C order first: two; a DataFrame of 500,000 x 40 task-
    shuffled rows peaked at 2.08 times X's 160 MB, now 1.18)."""
    return X if sp.issparse(X) else np.ascontiguousarray(X)


def target_array(y, classifier):
    """``y`` as a NumPy array; pandas targets with their missing values (``pd.NA`` of
    the nullable dtypes) as NaN: a regressor's as floats, a classifier's labels as
    objects when some are missing."""
    if hasattr(y, "to_numpy") and hasattr(y, "isna"):
        if not classifier:
            try:
                return y.to_numpy(dtype=float, na_value=np.nan)
            except (TypeError, ValueError):  # not numbers: check_array says so
                pass
        elif np.any(y.isna()):
            return y.to_numpy(dtype=object, na_value=np.nan)
    elif classifier and isinstance(y, (list, tuple)) and any(map(is_missing_label, y)):
        raise ValueError(_MISSING_LABELS)  # (before NumPy makes "nan" a class among strings)
    y = np.asarray(y)
    if not classifier and y.dtype == object:  # None as NaN, as a regressor's fit reads it
        try:
            return y.astype(float)
        except (TypeError, ValueError):  # not numbers: check_array says so
            pass
    return y


def numeric_targets(y, **options):
    """A regressor's ``y`` as floats, with an error that names ``y`` and the fix."""
    try:
        return check_array(y, ensure_2d=False, dtype=np.float64, input_name="y", **options)
    except ValueError as error:
        if "NaN" in str(error) and np.ndim(y) == 1:
            raise ValueError(
                f"{error} Every sample of a 1-D y needs a target: drop the rows without "
                "one (a NaN marks a missing target only in a 2-D y, one column per task)."
            ) from error
        if "convert" not in str(error):
            raise
        raise ValueError(
            f"y must hold numbers (a regressor's targets); {error}. For class labels, "
            "use a classifier (e.g. GroupLassoClassifier)."
        ) from error


def _wide_data(X, Y, sw, loss, one_class_tasks):
    n, T = Y.shape
    classifier = is_classification(loss)
    if classifier:
        Y = check_array(Y, dtype=None, ensure_all_finite="allow-nan", input_name="y", order="C")
        observed = ~missing_labels(Y)
        classes, encoded, loss = encode_class_labels(Y[observed], loss)
        Y = np.zeros((n, T), dtype=encoded.dtype)
        Y[observed] = encoded
    else:
        Y = numeric_targets(Y, ensure_all_finite="allow-nan", order="C")
        if np.isinf(Y).any():
            raise ValueError(
                "y contains infinity; targets must be finite (NaN marks a "
                "missing label in the wide form)."
            )
        check_magnitude(Y, "y")
        observed = ~np.isnan(Y)
        loss.check_target(Y[observed & (sw[:, None] > 0)])
        Y = np.where(observed, Y, 0.0)
    weights = sw[:, None] * observed
    totals = weights.sum(axis=0)
    labels = np.arange(T)
    _check_nonempty(totals, labels, wide=True)
    keep = sw > 0
    if not keep.all():
        X, Y, weights = X[keep], Y[keep], weights[keep]
    X = _c_ordered(X)
    if loss.target == "multiclass":
        data = _expand_shared(X, Y, weights / totals, totals, loss.n_classes)
    else:
        data = TaskData(X, Y, weights / totals, None, T, sample_totals=totals)
    info = {"layout": "wide", "tasks_": labels, "sample_totals": totals, "loss": loss}
    if classifier:
        info["classes_"] = classes
    _check_degenerate_tasks(data, labels, loss, one_class_tasks)
    return data, info


def missing_labels(Y):
    """Which entries of a target array are missing: NaN, also among the labels of an
    object array (a pandas ``pd.NA`` is NaN after :func:`target_array`). ``None``
    raises, as in ``fit``: a wide ``y`` marks a missing label by NaN."""
    if Y.dtype.kind == "f":
        return np.isnan(Y)
    if Y.dtype.kind == "O":
        labels = Y.ravel().tolist()
        if any(v is None for v in labels):
            raise ValueError(_MISSING_LABELS)
        return np.array([isinstance(v, float) and v != v for v in labels], dtype=bool).reshape(
            Y.shape
        )
    return np.zeros(Y.shape, dtype=bool)


def _check_label_values(y, name):
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise ValueError(f"{name} contains NaN or infinity; every sample needs a label.")
    # (NaN among objects, e.g. pandas.NA of a nullable column, would be a class)
    if y.dtype.kind == "O" and any(map(is_missing_label, y.tolist())):
        raise ValueError(_MISSING_LABELS)


def _check_nonempty(totals, labels, wide=False):
    empty = labels[totals <= 0]
    if len(empty):
        what = (
            "labelled (non-NaN) targets of positive sample weight"
            if wide
            else "samples with positive weight (their sample weights are all zero)"
        )
        fix = (
            ""
            if wide
            else " Leave that task's rows out (nothing in them fits its coefficients "
            "and intercept); inside BaggingRegressor or BaggingClassifier, whose bootstrap "
            "weighs rows zero, use bootstrap=False (it subsamples the rows instead: a task "
            "left out is then predicted as one not seen in fit), and with max_features "
            "below 1 pass the labels as tasks=, not in a task column (Bagging draws and "
            "reorders X's columns, the task column among them)."
        )
        raise ValueError(
            f"Task(s) {format_labels(empty)} have no {what}; every task needs at least one.{fix}"
        )


def infinite_free_intercepts(data, info, loss):
    """The error message that free intercepts would raise on ``data`` (a task with
    samples of one class, or only zero counts: its free intercept is infinite), or
    an empty string."""
    try:
        _check_degenerate_tasks(data, np.asarray(info["tasks_"]), loss, False)
    except ValueError as error:
        return str(error)
    return ""


def _check_degenerate_tasks(data, labels, loss, one_class_tasks):
    if one_class_tasks is None:  # no intercepts, none infinite
        return
    if loss.target == "multiclass":
        _check_all_classes(data, labels, one_class_tasks)
    elif loss.target == "binary":
        _check_both_classes(data, labels, one_class_tasks, loss)
    elif loss.target == "counts":
        _check_some_counts(data, labels, one_class_tasks)


def _check_some_counts(data, labels, one_class_tasks):
    """Counts: a task whose counts are all zero has its free intercept at minus
    infinity (its mean count is zero)."""
    total = data.task_sum(data.weights * data.y)
    if not total.sum() > 0:
        raise ValueError(
            "y holds no positive count (of nonzero sample weight): every intercept of a "
            "Poisson model, the shared one too, would be minus infinity. Counts need "
            "at least one positive value."
        )
    if one_class_tasks:
        return
    bad = labels[total <= 0]
    if len(bad):
        raise ValueError(
            f"Task(s) {format_labels(bad)} have only zero counts in y; the log of their "
            "mean count, their free intercept, is then minus infinity. Set "
            "intercept_pooling > 0 to shrink such tasks' intercepts towards the shared "
            "one, or leave these tasks out."
        )


def _check_both_classes(data, labels, one_class_tasks, loss):
    """Both classes in every task, or at least in one task when ``one_class_tasks``
    (pooled intercepts keep a one-class task's intercept finite, and unique)."""
    positive = data.task_sum(data.weights * (data.y > 0))
    negative = data.task_sum(data.weights * (data.y < 0))
    one_class = (positive <= 0) | (negative <= 0)
    if one_class_tasks and positive.sum() > 0 and negative.sum() > 0:
        return
    bad = labels[one_class]
    if len(bad):
        raise ValueError(
            f"Task(s) {format_labels(bad)} have samples of only one class; each task is a "
            f"binary problem whose free intercept then has {_no_optimum(loss)}. Set "
            "intercept_pooling > 0 to shrink such tasks' intercepts towards the shared "
            "one, or, in cross-validation, split with TaskStratifiedKFold(..., "
            "by_class=True) (skmtl.model_selection) to keep both classes of every task "
            f"in training{_SUBSAMPLED}."
        )


def _no_optimum(loss):
    """Why a one-class task's free intercept is refused: a loss that approaches its
    infimum only at infinity (``asymptotic``: the logistic loss) has none finite; one
    that is zero beyond a margin (the squared hinge; read off the loss far beyond
    it) has one that is not unique."""
    if loss.asymptotic:
        return "no finite optimum"
    if not np.any(loss.pointwise(np.ones(2), np.array([1e3, 1e6]))):
        return "no unique optimum (any value that puts all its samples beyond the margin)"
    return "an optimum that one class alone decides"


#: the one-class tasks' errors: where splitting by class cannot serve
_SUBSAMPLED = (
    " (learning_curve and HalvingGridSearchCV subsample the training folds, which can "
    "leave a task one class whatever the splitter: there only intercept_pooling > 0 serves)"
)


def _check_all_classes(data, labels, one_class_tasks):
    """Every class in every task (its free intercept for a missing class is minus
    infinity), unless ``one_class_tasks`` (pooled intercepts keep it finite)."""
    K = data.n_classes
    counts = data.task_sum(data.weights * data.y).reshape(K, -1)  # (K, T)
    lacking = (counts <= 0).any(axis=0)
    if one_class_tasks or not lacking.any():
        return
    # binary tasks that name their two classes differently ("churned"/"stayed" in
    # one, "bought"/"declined" in another) share no class: a cause to name first
    own_labels = ((counts > 0).sum(axis=0) <= 2).all() and (counts > 0).sum(axis=1).max() == 1
    hint = (
        "Each task holds its own class labels, none shared by two tasks: if the tasks "
        "are binary problems whose labels are named differently, encode each task's "
        "labels as the same two classes (e.g. 0 and 1) first. Otherwise set "
        if own_labels
        else "Set "
    )
    raise ValueError(
        f"Task(s) {format_labels(labels[lacking])} lack some of the {K} classes of y; "
        "the free intercept of a missing class has no finite optimum (minus "
        f"infinity). {hint}intercept_pooling > 0 to shrink the task intercepts towards "
        "shared ones (which keeps them finite), or, in cross-validation, split with "
        "TaskStratifiedKFold(..., by_class=True) (skmtl.model_selection) to keep every "
        f"class of every task in training{_SUBSAMPLED}."
    )
