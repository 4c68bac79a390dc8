"""The named estimators: one class per model and loss."""

from .feature_groups import (
    FeatureGroupLassoClassifier,
    FeatureGroupLassoRegressor,
    IncompleteMultiSourceClassifier,
    IncompleteMultiSourceRegressor,
)
from .group_lasso import GroupLassoClassifier, GroupLassoRegressor
from .low_rank import (
    DirtyClassifier,
    DirtyRegressor,
    RobustLowRankClassifier,
    RobustLowRankRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)
from .nonconvex import (
    BlockMCPClassifier,
    BlockMCPRegressor,
    BlockSCADClassifier,
    BlockSCADRegressor,
    CappedL1Classifier,
    CappedL1Regressor,
)
from .split_models import (
    RobustFeatureLearningClassifier,
    RobustFeatureLearningRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
)
from .task_relations import (
    ClusteredClassifier,
    ClusteredRegressor,
    ClusterNormClassifier,
    ClusterNormRegressor,
    GraphRegularizedClassifier,
    GraphRegularizedRegressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
)
from .temporal import (
    FusedSparseGroupLassoClassifier,
    FusedSparseGroupLassoRegressor,
)

__all__ = [
    "GroupLassoRegressor",
    "GroupLassoClassifier",
    "CappedL1Regressor",
    "CappedL1Classifier",
    "BlockMCPRegressor",
    "BlockMCPClassifier",
    "BlockSCADRegressor",
    "BlockSCADClassifier",
    "MeanRegularizedRegressor",
    "MeanRegularizedClassifier",
    "GraphRegularizedRegressor",
    "GraphRegularizedClassifier",
    "ClusteredRegressor",
    "ClusteredClassifier",
    "ClusterNormRegressor",
    "ClusterNormClassifier",
    "TaskRelationRegressor",
    "TaskRelationClassifier",
    "TraceNormRegressor",
    "TraceNormClassifier",
    "SharedSubspaceRegressor",
    "SharedSubspaceClassifier",
    "DirtyRegressor",
    "DirtyClassifier",
    "RobustLowRankRegressor",
    "RobustLowRankClassifier",
    "SparseLowRankRegressor",
    "SparseLowRankClassifier",
    "RobustFeatureLearningRegressor",
    "RobustFeatureLearningClassifier",
    "FeatureGroupLassoRegressor",
    "FeatureGroupLassoClassifier",
    "IncompleteMultiSourceRegressor",
    "IncompleteMultiSourceClassifier",
    "FusedSparseGroupLassoRegressor",
    "FusedSparseGroupLassoClassifier",
]
