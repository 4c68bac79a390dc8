"""The inner product of the solvers' loops (skmtl._linalg)."""

import numpy as np
import pytest

from skmtl._linalg import inner


@pytest.mark.parametrize("shape", [(7,), (30000,), (5, 4, 3)])
def test_inner_is_vdot_of_any_shape(shape):
    rng = np.random.RandomState(0)
    a, b = rng.randn(*shape), rng.randn(*shape)
    assert isinstance(inner(a, b), float)
    assert inner(a, b) == pytest.approx(np.vdot(a, b), rel=1e-12)
    # non-contiguous views sum the same entries
    assert inner(a.T, b.T) == pytest.approx(np.vdot(a.T, b.T), rel=1e-12)
