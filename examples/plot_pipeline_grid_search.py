"""
Pipelines and grid search
=========================

Two ways to tell a pipeline which task each row belongs to:

* a task column in ``X`` (``task_column=``): works with any scorer, with
  ``cross_val_predict`` and with ``GridSearchCV.predict``, with no configuration.
  A scaler must leave that column alone: a ``ColumnTransformer`` passes it through
  and scales the rest, and with pandas output the estimator finds the column by its
  name (``"school"``, also as ``"passthrough__school"``);
* per-row labels passed as ``tasks=``, routed to the estimator by scikit-learn's
  metadata routing.

Both give the same search. Folds are stratified by task so that every task is in
every training fold; ``score`` is the R^2 of all held-out rows in either form.
"""

import pandas as pd
import sklearn
from sklearn.compose import make_column_transformer
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

# 1. the task labels as a named column of a DataFrame; the scaler skips it
frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
frame.insert(0, "school", tasks)
scale_features = make_column_transformer(
    ("passthrough", ["school"]), remainder=StandardScaler()
).set_output(transform="pandas")
search = GridSearchCV(
    make_pipeline(scale_features, MeanRegularizedRegressor(task_column="school")),
    grid,
    cv=TaskStratifiedKFold(5, task_column="school"),
)
search.fit(frame, y)
print("task column:     ", search.best_params_, f"R2 {search.best_score_:.3f}")

# 2. the task labels routed as metadata
with sklearn.config_context(enable_metadata_routing=True):
    model = MeanRegularizedRegressor().set_fit_request(tasks=True).set_score_request(tasks=True)
    routed = GridSearchCV(make_pipeline(StandardScaler(), model), grid, cv=TaskStratifiedKFold(5))
    routed.fit(X, y, tasks=tasks, groups=tasks)
print("routed tasks=:   ", routed.best_params_, f"R2 {routed.best_score_:.3f}")
