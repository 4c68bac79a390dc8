"""Data sets for multi-task learning: synthetic generators with a known truth."""

from ._synthetic import (
    make_chain_tasks,
    make_clustered_tasks,
    make_joint_sparse,
    make_low_rank_tasks,
    make_mean_tasks,
    make_shared_specific_tasks,
)

__all__ = [
    "make_joint_sparse",
    "make_mean_tasks",
    "make_clustered_tasks",
    "make_chain_tasks",
    "make_low_rank_tasks",
    "make_shared_specific_tasks",
]
