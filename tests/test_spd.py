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
    with pytest.raises(np.linalg.LinAlgError):
        spd_inverse(np.zeros((300, 3, 3)))  # singular: LU's error, as before
