"""Data sets for multi-task learning: synthetic generators with a known truth."""

from ._synthetic import make_joint_sparse

__all__ = ["make_joint_sparse"]
