"""Regularization paths, cross-validated estimators and a task-aware splitter.

A path solves a model on a decreasing grid of strengths, each solve warm-started from
the previous solution on data validated once. The ``*CV`` estimators run one path per
fold (in parallel through joblib, so a Dask or Ray backend spreads the folds over a
cluster), pick the strengths with the best held-out error and refit on all data.
"""

# not in __all__, but used by the command line and the benchmarks
from ._feature_groups import (
    FeatureGroupLassoClassifierCV,
    FeatureGroupLassoRegressorCV,
)
from ._folds import UNUSED_PART as UNUSED_PART
from ._grids import POOLING_GRID as POOLING_GRID
from ._group_lasso import GroupLassoClassifierCV, GroupLassoRegressorCV
from ._low_rank import (
    DirtyClassifierCV,
    DirtyRegressorCV,
    RobustLowRankClassifierCV,
    RobustLowRankRegressorCV,
    SharedSubspaceClassifierCV,
    SharedSubspaceRegressorCV,
    TraceNormClassifierCV,
    TraceNormRegressorCV,
)
from ._nonconvex import (
    BlockMCPClassifierCV,
    BlockMCPRegressorCV,
    BlockSCADClassifierCV,
    BlockSCADRegressorCV,
    CappedL1ClassifierCV,
    CappedL1RegressorCV,
)
from ._path import regularization_path
from ._scorer import TaskScorer
from ._split import TaskStratifiedKFold
from ._split import task_class_groups as task_class_groups
from ._split_models import (
    RobustFeatureLearningClassifierCV,
    RobustFeatureLearningRegressorCV,
    SparseLowRankClassifierCV,
    SparseLowRankRegressorCV,
)
from ._task_relations import (
    ClusteredClassifierCV,
    ClusteredRegressorCV,
    ClusterNormClassifierCV,
    ClusterNormRegressorCV,
    GraphRegularizedClassifierCV,
    GraphRegularizedRegressorCV,
    MeanRegularizedClassifierCV,
    MeanRegularizedRegressorCV,
    TaskRelationClassifierCV,
    TaskRelationRegressorCV,
)
from ._temporal import (
    FusedSparseGroupLassoClassifierCV,
    FusedSparseGroupLassoRegressorCV,
)

__all__ = [
    "regularization_path",
    "TaskStratifiedKFold",
    "TaskScorer",
    "GroupLassoRegressorCV",
    "GroupLassoClassifierCV",
    "TraceNormRegressorCV",
    "TraceNormClassifierCV",
    "MeanRegularizedRegressorCV",
    "MeanRegularizedClassifierCV",
    "GraphRegularizedRegressorCV",
    "GraphRegularizedClassifierCV",
    "ClusteredRegressorCV",
    "ClusteredClassifierCV",
    "ClusterNormRegressorCV",
    "ClusterNormClassifierCV",
    "TaskRelationRegressorCV",
    "TaskRelationClassifierCV",
    "SharedSubspaceRegressorCV",
    "SharedSubspaceClassifierCV",
    "DirtyRegressorCV",
    "DirtyClassifierCV",
    "RobustLowRankRegressorCV",
    "RobustLowRankClassifierCV",
    "CappedL1RegressorCV",
    "CappedL1ClassifierCV",
    "BlockMCPRegressorCV",
    "BlockMCPClassifierCV",
    "BlockSCADRegressorCV",
    "BlockSCADClassifierCV",
    "SparseLowRankRegressorCV",
    "SparseLowRankClassifierCV",
    "RobustFeatureLearningRegressorCV",
    "RobustFeatureLearningClassifierCV",
    "FeatureGroupLassoRegressorCV",
    "FeatureGroupLassoClassifierCV",
    "FusedSparseGroupLassoRegressorCV",
    "FusedSparseGroupLassoClassifierCV",
]
