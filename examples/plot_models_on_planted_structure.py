"""
Each model on the structure it assumes
======================================

For each kind of task relationship we draw tasks with that structure planted, fit the
model that assumes it and, for reference, independent ridge models (one per task,
one strength for all), and compare how far each estimate is from the true
coefficients. Each model wins on its own structure: that is what the penalty encodes.
"""

import matplotlib.pyplot as plt
import numpy as np

import skmtl
from skmtl import datasets
from skmtl.plotting import plot_coefficients

cases = {
    "shared features": (
        datasets.make_joint_sparse(n_tasks=10, n_samples=25, n_features=30, random_state=0),
        skmtl.GroupLassoRegressor(alpha=0.1),
    ),
    "common mean": (
        datasets.make_mean_tasks(n_tasks=10, n_samples=15, random_state=0),
        skmtl.MeanRegularizedRegressor(alpha=0.5, beta=0.01),
    ),
    "clusters": (
        datasets.make_clustered_tasks(n_tasks=12, n_samples=15, random_state=0)[:4],
        skmtl.ClusteredRegressor(alpha=1.0, beta=0.01, n_clusters=3),
    ),
    "chain": (datasets.make_chain_tasks(n_tasks=10, n_samples=12, random_state=0)[:4], None),
    "low rank": (
        datasets.make_low_rank_tasks(n_tasks=15, rank=2, n_samples=15, random_state=0)[:4],
        skmtl.TraceNormRegressor(alpha=0.1),
    ),
}
chain_graph = datasets.make_chain_tasks(n_tasks=10, n_samples=12, random_state=0)[4]
cases["chain"] = (
    cases["chain"][0],
    skmtl.GraphRegularizedRegressor(chain_graph, alpha=1.0, beta=0.01),
)

fig, axes = plt.subplots(1, len(cases), figsize=(3.2 * len(cases), 3.5))
print(f"{'structure':<16}{'model':<28}{'its error':>10}{'ridge per task':>16}")
for ax, (structure, ((X, y, tasks, coef), model)) in zip(axes, cases.items(), strict=True):
    model.fit(X, y, tasks=tasks)
    T = len(np.unique(tasks))
    ridge = skmtl.GraphRegularizedRegressor(np.zeros((T, T)), alpha=0.0, beta=0.05)
    ridge.fit(X, y, tasks=tasks)
    error = [np.linalg.norm(m.coef_ - coef) / np.linalg.norm(coef) for m in (model, ridge)]
    print(f"{structure:<16}{type(model).__name__:<28}{error[0]:>10.3f}{error[1]:>16.3f}")
    plot_coefficients(model, ax=ax)
    ax.set_title(structure)
fig.tight_layout()
plt.show()
