"""
Recovering clusters of tasks
============================

Twelve tasks come in three planted clusters (each task's model is its cluster's
centre plus a little noise). Convex clustered MTL (Zhou, Chen & Ye) learns a relaxed
co-clustering matrix of the tasks, ``task_similarity_``; its clusters,
``task_clusters_``, match the planted ones.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.metrics import adjusted_rand_score

from skmtl import ClusteredRegressor
from skmtl.datasets import make_clustered_tasks
from skmtl.plotting import plot_task_matrix

X, y, tasks, coef, labels = make_clustered_tasks(
    n_tasks=12, n_clusters=3, n_samples=40, spread=0.1, noise=0.5, random_state=0
)
model = ClusteredRegressor(alpha=1.0, beta=0.01, n_clusters=3).fit(X, y, tasks=tasks)
print("planted clusters:", labels)
print("found clusters:  ", model.task_clusters_)
print("adjusted Rand index:", adjusted_rand_score(labels, model.task_clusters_))
plot_task_matrix(
    model.task_similarity_,
    labels=np.arange(12),
    clusters=model.task_clusters_,
    value_label="similarity",
    title="ClusteredRegressor: learned task similarity\n(tasks grouped by found cluster)",
)
plt.show()
