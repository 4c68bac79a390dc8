"""
Partial pooling of task intercepts: radon in Minnesota counties
===============================================================

Gelman & Hill's radon data: log radon in 919 homes of 85 counties, one regression
task per county. Many counties have only a handful of homes, so a county's own
intercept is noisy. ``intercept_pooling`` adds
``k / 2 * sum_t tau_t / n_t * (b_t - b_0)^2`` to the objective (``tau_t`` the
task weights, ``n_t T / N`` by default): each county's intercept is
pulled towards a shared intercept ``b_0``, the more the fewer homes it has
(``b_t = (n_t rbar_t + k b_0) / (n_t + k)`` for the squared loss), as in a
random-intercept multilevel model. ``k = 0`` leaves the intercepts free (no
pooling), ``k = inf`` gives every county the same intercept (complete pooling).
"""

# %%
# Three fits with the same coefficient model
# ------------------------------------------
# The one feature, ``basement``, is 0 for a measurement in the basement and 1 for one
# on the first floor (HLMdiag's coding: the 17% of homes with a 1 have lower radon).
# Its slope is fitted per county by :class:`~skmtl.MeanRegularizedRegressor`,
# which pulls every county's slope towards their mean (``alpha=10``: nearly one
# common slope); only ``intercept_pooling`` changes between the three fits.
# ``k = 5`` is about the ratio of the residual to the between-county variance of a
# random-intercept model on these data (0.57 / 0.11). ``MeanRegularizedRegressorCV``
# estimates that ratio from its training data by the method of moments (its
# ``intercept_pooling_`` is 4.3 on this training part) and tunes ``alpha`` by
# cross-validation.

import matplotlib.pyplot as plt
import numpy as np

from skmtl import MeanRegularizedRegressor
from skmtl.datasets import load_radon
from skmtl.model_selection import TaskStratifiedKFold

X, y, tasks = load_radon(return_X_y=True)
train, test = next(TaskStratifiedKFold(4, shuffle=True, random_state=0).split(X, y, tasks))

fits = {"no pooling (k = 0)": 0.0, "partial pooling (k = 5)": 5.0, "complete pooling": np.inf}
models = {}
for name, k in fits.items():
    model = MeanRegularizedRegressor(alpha=10.0, intercept_pooling=k)
    models[name] = model.fit(X[train], y[train], tasks=tasks[train])
    r2 = model.score(X[test], y[test], tasks=tasks[test])
    print(f"{name:<25} held-out R2 = {r2:.3f}")

# %%
# The intercepts against the county sizes
# ---------------------------------------
# Without pooling, the small counties' intercepts scatter widely (a county with two
# homes has the intercept of two measurements); with partial pooling they are
# drawn towards the shared intercept (the dashed line; grey segments join each
# county's two intercepts), the smaller the county the more, while the large
# counties keep theirs.

counts = dict(zip(*np.unique(tasks[train], return_counts=True), strict=True))
size = np.array([counts[t] for t in models["no pooling (k = 0)"].tasks_])
rng = np.random.default_rng(0)
jitter = size * np.exp(rng.uniform(-0.06, 0.06, size.size))  # separate equal sizes

fig, ax = plt.subplots(figsize=(7, 4.5))
free, pooled = models["no pooling (k = 0)"].intercept_, models["partial pooling (k = 5)"].intercept_
ax.vlines(jitter, np.minimum(free, pooled), np.maximum(free, pooled), color="0.8", lw=0.8)
styles = {"no pooling (k = 0)": ("tab:red", "o"), "partial pooling (k = 5)": ("tab:blue", "s")}
for name, (color, marker) in styles.items():
    ax.scatter(jitter, models[name].intercept_, s=18, color=color, marker=marker, label=name)
shared = models["partial pooling (k = 5)"].population_intercept_
ax.axhline(shared, color="tab:blue", ls="--", lw=1, label="shared intercept b_0 (k = 5)")
ax.axhline(
    models["complete pooling"].intercept_[0], color="k", lw=1, label="complete pooling (k = inf)"
)
ax.set_xscale("log")
ax.set_xlabel("homes in the county (training rows, log scale)")
ax.set_ylabel("county intercept (log radon, basement = 0)")
ax.set_title("Partial pooling shrinks small counties' intercepts the most")
ax.legend(fontsize=8)
fig.tight_layout()
plt.show()
