"""Penalties: the regularizers that couple the tasks."""

from ._base import NormPenalty, Penalty, RowNormPenalty
from .norms import L1, L21, L1Linf, SparseGroupNorm

__all__ = ["Penalty", "NormPenalty", "RowNormPenalty", "L1", "L21", "L1Linf", "SparseGroupNorm"]
