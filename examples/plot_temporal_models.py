"""
Effects over time: the temporal group lasso and the fused sparse group lasso
============================================================================

A disease score is measured at six consecutive visits and predicted at every visit
from the same baseline features (MALSAR's disease-progression setting); patients
drop out, so later visits have fewer labels (NaN in ``Y``). Each visit is a task, and
the tasks have an order. Two models use it:

* the temporal group lasso (TGL; Zhou et al., 2011): ``GraphRegularizedRegressor``
  with ``graph="chain"``, whose ``alpha`` pulls consecutive visits' models together
  (squared differences) and whose ``alpha_l21`` selects features for all visits;
* the fused sparse group lasso (cFSGL; Zhou et al., 2012): absolute differences
  between consecutive visits, so each effect is piecewise constant over time.

What to notice: both keep close to the five informative features for every visit at
once, where one lasso per visit keeps almost all of them. TGL's effects drift
smoothly between visits; cFSGL's stay flat and then jump, like the planted effects.
On held-out patients cFSGL predicts as well as the lasso per visit or better at
every visit but the second; TGL does better at visits 4 and 5, and elsewhere its
strong L2,1 term (chosen here for a clear selection, not by cross-validation) costs
it some accuracy.
"""

import matplotlib.pyplot as plt
import numpy as np

from skmtl import FusedSparseGroupLassoRegressor, GraphRegularizedRegressor, GroupLassoRegressor
from skmtl.datasets import make_disease_progression

X, Y, coef = make_disease_progression(
    n_samples=300, n_features=20, n_time_points=6, noise=1.0, dropout=0.15, random_state=3
)
train, test = np.arange(150), np.arange(150, 300)

models = {
    "lasso per visit": GroupLassoRegressor(alpha=0.1, l1_ratio=1.0),
    "TGL": GraphRegularizedRegressor(graph="chain", alpha=0.5, beta=0.001, alpha_l21=0.4),
    "cFSGL": FusedSparseGroupLassoRegressor(alpha_l1=0.02, alpha_fused=0.05, alpha_l21=0.25),
}
for name, model in models.items():
    model.fit(X[train], Y[train])
    pred = model.predict(X[test])
    seen = ~np.isnan(Y[test])
    errors = [np.mean((Y[test][seen[:, t], t] - pred[seen[:, t], t]) ** 2) for t in range(6)]
    selected = np.flatnonzero(np.any(model.coef_ != 0, axis=0))
    print(
        f"{name:16s} test MSE per visit {np.round(errors, 2)}  "
        f"features kept {len(selected)} (true {np.count_nonzero(np.any(coef, axis=0))})"
    )

informative = np.flatnonzero(np.any(coef != 0, axis=0))
fig, axes = plt.subplots(1, 3, figsize=(11, 3.4), sharey=True)
visits = np.arange(1, 7)
for ax, (title, W) in zip(
    axes,
    [("truth", coef), ("TGL", models["TGL"].coef_), ("cFSGL", models["cFSGL"].coef_)],
    strict=True,
):
    for j in informative:
        ax.plot(visits, W[:, j], marker="o", label=f"feature {j}")
    others = np.setdiff1d(np.arange(coef.shape[1]), informative)
    ax.plot(visits, W[:, others], color="0.7", lw=0.8)
    ax.set_title(title)
    ax.set_xlabel("visit (task)")
axes[0].set_ylabel("coefficient")
axes[0].legend(fontsize=7)
fig.tight_layout()
plt.show()
