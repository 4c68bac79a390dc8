"""Inverses of stacks of SPD matrices (skmtl.solvers.spd) against numpy's LU."""

import numpy as np
import pytest

from skmtl.solvers.spd import spd_inverse


@pytest.mark.parametrize("n, k", [(139, 27), (200, 5), (20, 5), (8, 1), (3, 6)])
def test_spd_inverse_matches_lu_on_badly_scaled_stacks(n, k):
    rng = np.random.default_rng(0)
    A = rng.standard_normal((n, 2 * k, k))
    S = np.einsum("tni,tnj->tij", A, A) + 1e-3 * np.eye(k)
    scales = np.logspace(-2, 2, k)  # unscaled features: curvatures from 1e-4 to 1e4
    S = S * scales[:, None] * scales[None, :]
    inverse = spd_inverse(S)
    reference = np.linalg.inv(S)
    # both are backward stable: compare their residuals, and the inverses entrywise
    # in the scaled coordinates (where the matrices are well conditioned)
    residual = np.abs(np.matmul(S, inverse) - np.eye(k)).max()
    assert residual <= max(4 * np.abs(np.matmul(S, reference) - np.eye(k)).max(), 1e-12)
    scaled = inverse * scales[:, None] * scales[None, :]
    np.testing.assert_allclose(scaled, reference * scales[:, None] * scales[None, :], atol=1e-8)


def test_spd_inverse_falls_back_to_lu_off_positive_definite():
    rng = np.random.default_rng(1)
    S = rng.standard_normal((250, 4, 4))  # a stack large enough for the Cholesky route
    S = S + np.swapaxes(S, 1, 2)  # symmetric, indefinite: no Cholesky factor
    np.testing.assert_allclose(spd_inverse(S), np.linalg.inv(S))
    # singular: the pseudo-inverse (below), zero for the zero matrix
    np.testing.assert_array_equal(spd_inverse(np.zeros((300, 3, 3))), 0.0)


@pytest.mark.parametrize("n_matrices", [2, 200])
def test_a_singular_matrix_gets_the_pseudo_inverse(n_matrices):
    """A stack holding a numerically singular matrix (a Gram of duplicated columns
    plus a shift below its round-off): the pseudo-inverse, not a LinAlgError from
    inside the fit (split-model classifiers, strengths 1e-9)."""
    rng = np.random.RandomState(0)
    X = rng.randn(n_matrices, 30, 5)
    X = np.concatenate([X, X[:, :, :1]], axis=2)  # a duplicated column
    A = np.einsum("sij,sik->sjk", X, X) + 1e-300 * np.eye(6)
    np.testing.assert_allclose(spd_inverse(A), np.linalg.pinv(A, hermitian=True), rtol=1e-10)


def test_split_classifiers_fit_duplicated_columns_at_tiny_strengths():
    import warnings

    import skmtl

    rng = np.random.default_rng(1)
    tasks = np.repeat(np.arange(3), 30)
    X = rng.standard_normal((90, 5))
    y = np.einsum("ij,ji->i", X, rng.standard_normal((5, 3))[:, tasks])
    y = (y + 0.5 * rng.standard_normal(90) > 0).astype(int)
    X = np.column_stack([X, X[:, 0], X[:, 1]])  # two duplicated columns
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (no certificate that near-separable)
        model = skmtl.SparseLowRankClassifier(alpha_lowrank=1e-9).fit(X, y, tasks=tasks)
    assert np.isfinite(model.objective_) and np.all(np.isfinite(model.coef_))
