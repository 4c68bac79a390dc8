"""Exact solutions for squared loss with a quadratic penalty ``tr(W M W^T)`` when
there are fewer rows than features: one linear system in the rows.

Stationarity of ``sum_i c_i / 2 (y_i - x_i^T w_t(i) - b_t(i))^2 + tr(W M W^T) + 1/2
b^T M_b b`` (``c`` the data term's weights, ``M_b`` the intercepts' pooling term)
reads, with ``alpha_i = c_i (y_i - z_i)``:

- ``W = G M^-1 / 2`` with ``G = [X_t^T alpha_t]_t``, so ``z = K alpha + E b`` for the
  kernel ``K_ij = x_i^T x_j (M^-1)_t(i)t(j) / 2`` and the task indicator ``E``;
- ``E^T alpha = M_b b`` (the intercepts' own stationarity: ``M_b = 0`` for free
  intercepts, each task's residuals then summing to zero).

So ``[[C^-1 + K, E], [E^T, -M_b]] [alpha; b] = [y; 0]``: ``N + T`` unknowns
whatever the number of features, where the primal form solves ``d x d`` systems
(20 rows per task, 2000 features, 3 tasks: 6.3 s against a few milliseconds).
``C^-1`` (the rows' inverse weights, at least 1) bounds its smallest eigenvalue
away from zero, but ``K`` grows with the features' scale and ``M``'s smallest
eigenvalue: on extreme data (feature scales 1e-4 to 1e4, ``beta = 1e-9``) the
solution is accurate while its duality gap, computed at the same scale, is not,
and FISTA then refines it and may warn. One common intercept (infinite pooling)
replaces ``E`` by a column of ones.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._datafit import GRAM_MAX_ENTRIES
from .._pooling import m_matrix
from .._tasks import rmatvec


def use_kernel_form(full, penalty, method):
    """Whether the squared loss with the quadratic ``penalty`` is solved in the rows:
    the closed form is the method (``auto`` or ``closed_form``), ``M`` is positive
    definite, and the rows (of positive weight, every task's for a shared design)
    are fewer than the features and their kernel fits the Gram budget."""
    if method not in ("auto", "closed_form") or not (full.loss.quadratic and penalty.quadratic):
        return False
    n_rows = np.count_nonzero(full.w)
    if not (n_rows < full.n_features and n_rows**2 <= GRAM_MAX_ENTRIES):
        return False  # (before M: the mean penalty builds it only when asked)
    M = getattr(penalty, "M", None)
    if M is None:
        return False
    if full.fit_intercept and not np.all(full.data.task_sum((full.w > 0).astype(float)) > 0):
        return False  # a task without rows: its free intercept is not determined
    eigvals = np.linalg.eigvalsh(M)
    return bool(eigvals[0] > 1e-12 * eigvals[-1])


def kernel_form_path(full, penalties):
    """The minimisers of ``full``'s squared loss plus each quadratic penalty, as
    ``full``'s coefficient blocks (:func:`use_kernel_form` tells when this applies):
    the rows' products ``X X^T`` once, one system per penalty."""
    data = full.data
    T = data.n_tasks
    XXt = data.X @ data.X.T
    XXt = XXt.toarray() if sp.issparse(XXt) else np.asarray(XXt)
    y, w = np.ravel(data.y), np.ravel(full.w)  # (row, task) order for a shared design
    kept = np.flatnonzero(w > 0)
    if data.shared:  # each row of X once per task
        rows, tasks = np.divmod(kept, T)
    else:
        rows, tasks = kept, data.task_index[kept]
    products = XXt[np.ix_(rows, rows)]
    n = len(kept)
    if not full.fit_intercept:
        columns, pooling = np.zeros((n, 0)), np.zeros((0, 0))
    elif full.precision is not None and np.isinf(full.precision).any():
        columns, pooling = np.ones((n, 1)), np.zeros((1, 1))
    else:
        columns = (tasks[:, None] == np.arange(T)).astype(float)
        p = full.precision
        pooling = np.zeros((T, T)) if p is None else m_matrix(p)
    k = columns.shape[1]
    rhs = np.concatenate([y[kept], np.zeros(k)])
    blocks = []
    for penalty in penalties:
        eigvals, eigvecs = np.linalg.eigh(penalty.M)
        half_inverse = (eigvecs / (2.0 * eigvals)) @ eigvecs.T  # M^-1 / 2
        kernel = products * half_inverse[np.ix_(tasks, tasks)]
        kernel[np.diag_indices_from(kernel)] += 1.0 / w[kept]
        solution = np.linalg.solve(np.block([[kernel, columns], [columns.T, -pooling]]), rhs)
        alpha = np.zeros(len(y))
        alpha[kept] = solution[:n]
        W = rmatvec(data, alpha.reshape(data.y.shape)) @ half_inverse
        b = np.broadcast_to(solution[n:], (T,)) if k else np.zeros(T)
        blocks.append(np.vstack([W, full.intercept_variable(W, b)]) if full.intercept_row else W)
    return blocks
