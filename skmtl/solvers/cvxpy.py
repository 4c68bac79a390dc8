"""The reference solver: the same objective, written in cvxpy and solved by a
conic solver (CLARABEL). Slow, and meant for checking the fast solver."""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning

from .._inputs import user_stacklevel
from .._tasks import TaskData

_INSTALL_HINT = (
    "solver='cvxpy' needs the optional dependency cvxpy: "
    "pip install 'skmtl[cvxpy]' (or pip install cvxpy clarabel)."
)


#: CLARABEL's tolerances for the reference solutions, tried in turn: it can stall
#: ("insufficient progress") short of the tight ones, and its defaults (1e-8) then
#: still give a reference. (Given explicitly: cvxpy keeps a solver's settings
#: between solves of a problem, and the defaults' fallback ran at 1e-10 again and
#: raised SolverError on squared-hinge group lassos.)
_TOLERANCES = tuple(dict(tol_gap_abs=t, tol_gap_rel=t, tol_feas=t) for t in (1e-10, 1e-8))


def import_cvxpy():
    try:
        import cvxpy
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(_INSTALL_HINT) from exc
    return cvxpy


def _stacked_rows(data: TaskData):
    """Rows, targets, weights and task of each labelled (row, task) pair."""
    w = data.loss_weights
    if not data.shared:
        keep = w > 0
        return data.X[keep], data.y[keep], w[keep], data.task_index[keep]
    # task by task (column-major): the class copies of the virtual tasks of a
    # multinomial model then come in K blocks of equal length, as its loss expects
    tasks, rows = np.nonzero(w.T > 0)
    return data.X[rows], data.y[rows, tasks], w[rows, tasks], tasks


def solve_cvxpy(loss, penalty, data: TaskData, fit_intercept=True, verbose=False, pooling=0.0):
    """Solve ``sum_t f_t(X_t w_t + b_t) + penalty(W)`` with cvxpy, plus the intercept
    pooling term ``pooling / 2 sum_t tau_t / n_t (b_t - b_0)^2`` over ``b_0`` too
    (``pooling=inf``: ``b_t = b_0``).

    Returns ``(W, b, objective, parts)`` with ``W`` of shape ``(d, T)`` and ``parts``
    the ``(P, Q)`` of a split penalty (else None).
    """
    cp = import_cvxpy()
    X, y, w, task = _stacked_rows(data)
    n, d, T = X.shape[0], data.n_features, data.n_tasks
    # z_i = x_i^T w_{task_i}: a block design acting on vec(W) (column-major).
    X = sp.csr_matrix(X)
    cols = task[np.repeat(np.arange(n), np.diff(X.indptr))] * d + X.indices
    design = sp.csr_matrix((X.data, cols, X.indptr), shape=(n, d * T))
    W = cp.Variable((d, T))
    z = design @ cp.vec(W, order="F")
    if fit_intercept:
        b = cp.Variable(T)
        onehot = sp.csr_matrix((np.ones(n), task, np.arange(n + 1)), shape=(n, T))
        z = z + onehot @ b
    datafit = loss.cvxpy(y, w, z)
    from ..penalties._base import check_provides

    check_provides(penalty, ("cvxpy_terms",), "solver='cvxpy'")
    parts = None
    if penalty.split:
        penalty_term, constraints, parts = penalty.cvxpy_split(W)
    else:
        penalty_term, constraints = penalty.cvxpy_terms(W)
    K = data.n_classes
    if fit_intercept and pooling and T // K > 1:
        # one shared intercept (per class, for the virtual tasks of K classes)
        b0 = cp.Variable(K)
        shared = sp.kron(sp.eye(K), np.ones((T // K, 1))) @ b0
        if np.isinf(pooling):
            constraints = constraints + [b == shared]
        else:
            tau = np.ones(T) if data.task_weights is None else data.task_weights
            scale = np.sqrt(pooling * tau / data.sample_totals)
            penalty_term = penalty_term + 0.5 * cp.sum_squares(cp.multiply(scale, b - shared))
    problem = cp.Problem(cp.Minimize(datafit + penalty_term), constraints)
    for tolerances in _TOLERANCES:
        try:
            problem.solve(solver=cp.CLARABEL, verbose=verbose, max_iter=500, **tolerances)
            break
        except cp.error.SolverError as error:
            failure = error
    else:
        tried = " or ".join(f"{t['tol_feas']:g}" for t in _TOLERANCES)
        raise RuntimeError(
            f"cvxpy (CLARABEL) could not solve the problem at tolerances {tried}: {failure}"
        ) from failure
    if problem.status not in ("optimal", "optimal_inaccurate"):
        raise RuntimeError(f"cvxpy could not solve the problem: status {problem.status}.")
    if problem.status == "optimal_inaccurate":
        # (cvxpy's own "Solution may be inaccurate" is shown once per session by the
        # default filters; the fuzz audit found such references up to 1.6% above
        # the optimum, ClusterNorm's SDP among them)
        warnings.warn(
            "solver='cvxpy': CLARABEL stopped short of its tolerances (status "
            f"optimal_inaccurate, objective {problem.value:.10g}): this reference may lie "
            "above the optimum. Compare it with the default solver's objective_, which its "
            "duality gap certifies.",
            ConvergenceWarning,
            stacklevel=user_stacklevel(),
        )
    intercept = np.asarray(b.value) if fit_intercept else np.zeros(T)
    parts = parts and tuple(np.asarray(part.value) for part in parts)
    return np.asarray(W.value), intercept, float(problem.value), parts
