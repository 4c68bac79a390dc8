"""Inverses of stacks of symmetric positive definite matrices (the per-task systems
of ADMM's data step and of the Newton steps on the support)."""

from __future__ import annotations

import numpy as np

#: stacks with fewer (matrices x rows) than this go to ``np.linalg.inv``: the
#: Cholesky route below loops over the rows in Python, which pays only for large
#: stacks (us, inv against it: 20 x 27 x 27 268 / 273, 32 x 27 x 27 426 / 350,
#: 64 x 10 x 10 119 / 128, 139 x 10 x 10 253 / 210, 139 x 4 x 4 54 / 75)
_MIN_STACK_ROWS = 800


def spd_inverse(A):
    """The inverse of each matrix of a stack ``A`` (``(..., k, k)``) of symmetric
    positive definite matrices, from its Cholesky factor ``L``: ``A^-1 = L^-T L^-1``
    with ``L^-1`` by forward substitution, one row at a time for the whole stack.
    139 matrices 27 x 27: 1.3 ms against 2.1 ms by ``np.linalg.inv`` (LU), with
    residuals ``||A A^-1 - I||`` within a factor 2 of LU's. A stack that is not
    numerically positive definite (or a short one) goes to ``np.linalg.inv`` (a
    singular one to the pseudo-inverse)."""
    A = np.asarray(A, dtype=float)
    k = A.shape[-1]
    if A.ndim < 3 or A.size < _MIN_STACK_ROWS * k:  # (matrices x rows) of the stack
        return _inverse(A)
    try:
        L = np.linalg.cholesky(A)
    except np.linalg.LinAlgError:
        return _inverse(A)
    L_inv = np.zeros_like(L)
    diagonal = np.diagonal(L, axis1=-2, axis2=-1)
    for i in range(k):  # row i of L^-1: (e_i - L[i, :i] L^-1[:i]) / L[i, i]
        row = -np.matmul(L[..., i : i + 1, :i], L_inv[..., :i, :])[..., 0, :]
        row[..., i] += 1.0
        L_inv[..., i, :] = row / diagonal[..., i : i + 1]
    return np.matmul(np.swapaxes(L_inv, -1, -2), L_inv)


def _inverse(A):
    """``np.linalg.inv``, or for a stack holding a matrix that it finds singular (an
    exact zero pivot) the pseudo-inverse (eigenvalues below 1e-15 of the largest
    left out): a Gram of duplicated columns plus a shift below its round-off (ADMM's
    ``rho`` after strengths of 1e-9) raised LinAlgError from inside the fit."""
    try:
        return np.linalg.inv(A)
    except np.linalg.LinAlgError:
        return np.linalg.pinv(A, hermitian=True)
