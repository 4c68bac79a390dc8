"""The search of the split models ``W = P + Q`` (dirty, robust low rank, sparse
plus low rank, robust feature learning): a path of one part's strength for each
ratio of the two strengths, inside the range where both parts can be nonzero."""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.base import clone

from .._base import check_number
from ._cv import _PathCV
from ._grids import check_grid, is_count


class _SplitRatioCV(_PathCV):
    """The search of a model ``W = P + Q`` with a strength on each part: a
    warm-started path of one strength for each ratio of it to the other, inside the
    useful range where both parts can be nonzero (as ``ElasticNetCV`` searches
    ``l1_ratio``); a grid of the two strengths apart spent most of its points where
    one part stays zero. A subclass names the ratio (``_ratios``, whose numerator is
    the path's strength); its estimator gives the useful range."""

    _sized_by_pooling = True

    def _ratio_range(self, data):
        """``(low, high)``: outside it one part stays zero on ``data``'s shape (the
        estimator's ``_useful_ratio``)."""
        model = self._model(**self._model_params())
        K = data.n_classes
        return model._useful_ratio(data.n_tasks // K, data.n_features, K)

    def _ratio_grid(self, data):
        """The ratios searched: the grid's values, or that many spaced evenly in log
        scale inside the useful range (the midpoints of equal steps)."""
        (name,) = self._ratios
        param = f"{name}s"
        grid = getattr(self, param)
        if not is_count(grid):
            grid = check_grid(grid, param)
            if not np.all((grid > 0) & np.isfinite(grid)):
                raise ValueError(f"{param} must hold finite ratios > 0; got {grid!r}.")
            return grid
        check_number(grid, param, low=1, integer=True)
        low, high = self._ratio_range(data)
        return np.unique(low * (high / low) ** ((np.arange(grid) + 0.5) / grid))

    def _default_grid(self, name, count, data):
        if name in self._ratios:
            return self._ratio_grid(data)
        return super()._default_grid(name, count, data)

    def _path_alpha_max(self, base, data, info, loss):
        """The smallest path strength that zeroes both parts at every ratio searched:
        ``max(alpha_max(path's part), ratio * alpha_max(other part))`` at the largest
        ratio (``W = 0`` is optimal iff the null gradient ``G0`` is in both parts'
        dual balls)."""
        G = base._null_gradient(data, info, loss)
        ((other, path),) = self._ratios.values()
        with warnings.catch_warnings():  # equal strengths may be outside the useful range
            warnings.simplefilter("ignore", UserWarning)
            penalty = clone(base).set_params(**{path: 1.0, other: 2.0})._penalty(data)
        # each part's alpha_max, by its strength (1: the path's part, 2: the other)
        alpha_max = {part.alpha: part.alpha_max(G) for part in (penalty.first, penalty.second)}
        ratio = float(np.max(self._ratio_grid(data)))
        return max(alpha_max[1.0], ratio * alpha_max[2.0])


def ratio_docs(ratio, first, second, useful):
    """The docstring pieces of a ratio's search: its grid's Parameters entry, the
    Attributes entry of the strength it sets (``second = first / ratio``) and the
    top of the path; ``useful``: the ratio's useful range."""
    grid = f"""    {ratio}s : int or array-like, default=3
        Grid of ``{ratio} = {first} / {second}``, one axis of the search: each
        value sets ``{second} = {first} / {ratio}`` along its path. An int: that
        many values spaced evenly in log scale inside the useful range {useful},
        where both parts can be nonzero. An array: these ratios (> 0).
"""
    attribute = f"""    {second}_ : float
        The chosen ``{second}``: ``{first}_ / {ratio}_``.
"""
    return dict(
        grid_entries={ratio: grid},
        attributes=attribute,
        alpha_max=f"the smallest ``{first}`` whose solution is zero at every ratio searched",
    )
