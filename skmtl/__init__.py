"""skmtl: classical multi-task learning for scikit-learn."""

from ._base import MultiTaskEstimator
from ._tasks import from_task_list
from .estimators import GroupLassoClassifier, GroupLassoRegressor

__version__ = "0.1.0.dev0"

__all__ = [
    "MultiTaskEstimator",
    "GroupLassoRegressor",
    "GroupLassoClassifier",
    "from_task_list",
]
