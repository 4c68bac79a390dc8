"""skmtl: classical multi-task learning for scikit-learn."""

from ._base import MultiTaskEstimator, UnknownTaskWarning
from ._task_weights import UncertaintyWeights
from ._tasks import from_task_list
from .estimators import (
    ClusteredClassifier,
    ClusteredRegressor,
    ClusterNormClassifier,
    ClusterNormRegressor,
    DirtyClassifier,
    DirtyRegressor,
    GraphRegularizedClassifier,
    GraphRegularizedRegressor,
    GroupLassoClassifier,
    GroupLassoRegressor,
    MeanRegularizedClassifier,
    MeanRegularizedRegressor,
    RobustFeatureLearningClassifier,
    RobustFeatureLearningRegressor,
    RobustLowRankClassifier,
    RobustLowRankRegressor,
    SharedSubspaceClassifier,
    SharedSubspaceRegressor,
    SparseLowRankClassifier,
    SparseLowRankRegressor,
    TaskRelationClassifier,
    TaskRelationRegressor,
    TraceNormClassifier,
    TraceNormRegressor,
)

__version__ = "0.1.0.dev0"

__all__ = [
    "MultiTaskEstimator",
    "GroupLassoRegressor",
    "GroupLassoClassifier",
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
    "from_task_list",
    "UncertaintyWeights",
    "UnknownTaskWarning",
]
