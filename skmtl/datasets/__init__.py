"""Data sets for multi-task learning: synthetic generators with a known truth."""

from ._synthetic import (
    make_chain_tasks,
    make_clustered_tasks,
    make_joint_sparse,
    make_mean_tasks,
)

__all__ = ["make_joint_sparse", "make_mean_tasks", "make_clustered_tasks",
           "make_chain_tasks"]
