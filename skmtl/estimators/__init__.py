"""The named estimators: one class per model and loss."""

from .group_lasso import GroupLassoClassifier, GroupLassoRegressor

__all__ = ["GroupLassoRegressor", "GroupLassoClassifier"]
