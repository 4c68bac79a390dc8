"""
Each model on the structure it assumes
======================================

For each kind of task relationship we draw tasks with that structure planted, fit the
model that assumes it (ten models, all regressors; each classifier solves the same
penalty with the logistic loss) and, for reference, independent ridge models (one per task,
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
low_rank = datasets.make_low_rank_tasks(n_tasks=15, rank=2, n_samples=15, random_state=1)[:4]
cases["subspace (cASO)"] = (
    low_rank,
    skmtl.SharedSubspaceRegressor(alpha=1.0, beta=0.01, n_components=2),
)
cases["task relations"] = (
    datasets.make_mean_tasks(n_tasks=10, n_samples=15, random_state=1),
    skmtl.TaskRelationRegressor(alpha=0.05, beta=0.01),
)
cases["cluster norm"] = (
    datasets.make_clustered_tasks(n_tasks=12, n_samples=15, random_state=1)[:4],
    skmtl.ClusterNormRegressor(alpha_mean=0.01, alpha_between=0.01, alpha_within=1.0, n_clusters=3),
)
cases["shared + specific"] = (
    datasets.make_shared_specific_tasks(n_tasks=8, n_samples=25, random_state=0)[:4],
    skmtl.DirtyRegressor(alpha_shared=0.15, alpha_specific=0.05),
)
cases["outlier tasks"] = (
    datasets.make_low_rank_tasks(n_tasks=15, rank=2, n_samples=15, n_outliers=2, random_state=0)[
        :4
    ],
    # alpha_lowrank / alpha_outlier must lie in (1, sqrt(n_tasks)) for both parts to
    # be used; just above 1, only the two planted outlier tasks leave the subspace
    skmtl.RobustLowRankRegressor(alpha_lowrank=0.2, alpha_outlier=0.19),
)
chain_graph = datasets.make_chain_tasks(n_tasks=10, n_samples=12, random_state=0)[4]
cases["chain"] = (
    cases["chain"][0],
    skmtl.GraphRegularizedRegressor(chain_graph, alpha=1.0, beta=0.01),
)

fig, axes = plt.subplots(2, (len(cases) + 1) // 2, figsize=(16, 7))
print(f"{'structure':<18}{'model':<26}{'its error':>10}{'ridge per task':>16}")
for ax, (structure, ((X, y, tasks, coef), model)) in zip(axes.flat, cases.items(), strict=True):
    model.fit(X, y, tasks=tasks)
    T = len(np.unique(tasks))
    ridge = skmtl.GraphRegularizedRegressor(np.zeros((T, T)), alpha=0.0, beta=0.05)
    ridge.fit(X, y, tasks=tasks)
    error = [np.linalg.norm(m.coef_ - coef) / np.linalg.norm(coef) for m in (model, ridge)]
    print(f"{structure:<18}{type(model).__name__:<26}{error[0]:>10.3f}{error[1]:>16.3f}")
    plot_coefficients(model, title=f"{structure}\n{type(model).__name__}", ax=ax)
fig.suptitle("Coefficients (tasks x features) of each model on data with its planted structure")
fig.tight_layout()
plt.show()
