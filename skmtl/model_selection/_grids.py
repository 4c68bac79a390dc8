"""The grids of the strengths that the ``*CV`` estimators search."""

from __future__ import annotations

import numbers

import numpy as np

#: the default grid of ``intercept_pooling`` when each row has a task label, in
#: pseudo-samples per task: from free intercepts to one common intercept, dense
#: where the real grouped data sets choose (4 to 12: radon, Exam, MathAchieve; the
#: coarser 0, 1, 4, 16, 64, inf lost 0.002 held-out R^2 on radon and MathAchieve)
POOLING_GRID = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 32.0, 64.0, np.inf)

#: the default number of points of a path whose models have an ``alpha_max``
#: (``alphas=None``): 100 when it is the only axis (scikit-learn's ``LassoCV`` and
#: ``MultiTaskLassoCV``), 20 when ``intercept_pooling`` is searched too (the other
#: models' paths have 20 or 25). With the 12 poolings, 20 values chose strengths
#: whose held-out scores were those of 100 to the noise (GroupLasso and TraceNorm
#: ``*CV``, 6 splits of bench_real_data: R^2 -0.0002 to +0.0015 on radon, Exam and
#: MathAchieve; log-loss +0.0004 on Contraception) in a quarter of the time
PATH_POINTS = {False: 100, True: 20}

# Automatic grids of models without an alpha_max, as the powers of ten of their first
# and last values (``alphas=n``: ``n`` values spaced evenly in log scale between them)
#: a strength along the path: 1 down to 1e-4 (20 values by default)
STRENGTH = (0.0, -4.0)
#: the mean and graph models' coupling reaches 100: near one common model (on radon,
#: with one feature, the best choice is a common slope, alpha = 100); 25 by default
COUPLING = (2.0, -4.0)
#: a second, ridge-like strength, increasing: 1e-3, 1e-2, 1e-1 by default
RIDGE = (-3.0, -1.0)
#: the cluster norm's within-cluster strength stays above alpha_between (default
#: 0.01); 12 values by default
WITHIN = (1.0, -1.5)


def is_count(grid):
    """Whether a grid parameter is a number of values (``alphas=100``), not the values."""
    return isinstance(grid, numbers.Integral) and not isinstance(grid, (bool, np.bool_))


def check_grid(grid, name):
    """``grid`` as a non-empty 1-D float array of strengths >= 0 (``inf`` allowed)."""
    try:
        values = np.atleast_1d(np.asarray(grid, dtype=float))
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1 or values.size == 0 or not np.all(values >= 0):
        raise ValueError(
            f"{name} must be an int (that many automatic values) or a non-empty 1-D "
            f"array of strengths >= 0; got {grid!r}."
        )
    return values


def log_grid(decades, count):
    """``count`` values from ``10**decades[0]`` to ``10**decades[1]``, evenly spaced in
    log scale (rounded to 12 decimals, as the published default grids)."""
    return np.logspace(*decades, count).round(12)
