"""
Pipelines and grid search
=========================

Two ways to tell a pipeline which task each row belongs to:

* a task column in ``X`` (``task_column=``): works with any scorer, with
  ``cross_val_predict`` and with ``GridSearchCV.predict``, with no configuration;
* per-row labels passed as ``tasks=``, routed to the estimator by scikit-learn's
  metadata routing.

Both give the same search. Folds are stratified by task so that every task is in
every training fold.
"""

import numpy as np
import sklearn
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmtl import MeanRegularizedRegressor
from skmtl.datasets import make_mean_tasks
from skmtl.model_selection import TaskStratifiedKFold

X, y, tasks, _ = make_mean_tasks(n_tasks=8, n_samples=30, random_state=0)
grid = {
    "meanregularizedregressor__alpha": [0.01, 0.1, 1.0],
    "meanregularizedregressor__beta": [0.001, 0.1],
}

# 1. the task labels as column 0 of X (the scaler only sees, and maps, it consistently)
Xt = np.column_stack([tasks, X])
search = GridSearchCV(
    make_pipeline(StandardScaler(), MeanRegularizedRegressor(task_column=0)),
    grid,
    cv=TaskStratifiedKFold(5, task_column=0),
)
search.fit(Xt, y)
print("task column:     ", search.best_params_, f"R2 {search.best_score_:.3f}")

# 2. the task labels routed as metadata
with sklearn.config_context(enable_metadata_routing=True):
    model = MeanRegularizedRegressor().set_fit_request(tasks=True).set_score_request(tasks=True)
    routed = GridSearchCV(make_pipeline(StandardScaler(), model), grid, cv=TaskStratifiedKFold(5))
    routed.fit(X, y, tasks=tasks, groups=tasks)
print("routed tasks=:   ", routed.best_params_, f"R2 {routed.best_score_:.3f}")
