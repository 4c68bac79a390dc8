"""Penalties: the regularizers that couple the tasks."""

from .._params import Params
from ._base import NormPenalty, Penalty, RowNormPenalty
from .classes import TaskBlocks, for_classes
from .composite import QuadraticPlusNorm
from .dirty import DirtyRowNorm
from .feature_groups import FeatureGroupNorm
from .fused import FusedSparseGroupNorm
from .lq import L1Lq
from .nonconvex import BlockMCP, BlockSCAD, RowCappedL1
from .norms import L1, L21, ColumnL21, L1Linf, SparseGroupNorm
from .quadratic import GraphPenalty, MeanPenalty, QuadraticPenalty
from .spectral import (
    ClusterNormPenalty,
    ClusterPenalty,
    SubspacePenalty,
    TaskCovariancePenalty,
    TraceNorm,
)
from .split import SplitPenalty
from .weighted import WeightedL1, WeightedL21

__all__ = [
    "Params",
    "Penalty",
    "NormPenalty",
    "RowNormPenalty",
    "L1",
    "L21",
    "L1Linf",
    "L1Lq",
    "SparseGroupNorm",
    "ColumnL21",
    "WeightedL21",
    "WeightedL1",
    "RowCappedL1",
    "BlockMCP",
    "BlockSCAD",
    "QuadraticPenalty",
    "MeanPenalty",
    "GraphPenalty",
    "ClusterPenalty",
    "ClusterNormPenalty",
    "SubspacePenalty",
    "TaskCovariancePenalty",
    "TraceNorm",
    "SplitPenalty",
    "DirtyRowNorm",
    "QuadraticPlusNorm",
    "FeatureGroupNorm",
    "FusedSparseGroupNorm",
    "TaskBlocks",
    "for_classes",
]
