"""Plots draw what they are given (axes content, not pixels)."""

import numpy as np
import pytest

from skmtl import ClusteredRegressor, GroupLassoRegressor
from skmtl.datasets import make_clustered_tasks, make_joint_sparse
from skmtl.model_selection import GroupLassoRegressorCV, regularization_path

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plotting = pytest.importorskip("skmtl.plotting")


def test_coefficients_path_cv_and_task_matrix():
    X, y, tasks, _ = make_joint_sparse(n_tasks=4, n_features=8, random_state=0)
    model = GroupLassoRegressor(alpha=0.1).fit(X, y, tasks=tasks)
    ax = plotting.plot_coefficients(model, feature_names=[f"x{j}" for j in range(8)])
    np.testing.assert_array_equal(ax.images[0].get_array(), model.coef_)
    alphas, coefs, _, _ = regularization_path(GroupLassoRegressor(), X, y, tasks, n_alphas=6)
    ax = plotting.plot_path(alphas, coefs)
    assert len(ax.lines) == 8
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.linalg.norm(coefs[:, :, 0], axis=1))
    cv = GroupLassoRegressorCV(alphas=6, cv=3, intercept_poolings=[0.0]).fit(X, y, tasks=tasks)
    ax = plotting.plot_cv(cv)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), cv.mse_path_.mean(axis=-1))
    X, y, tasks, _, labels = make_clustered_tasks(n_tasks=6, n_clusters=2, random_state=0)
    clustered = ClusteredRegressor(alpha=1.0, n_clusters=2).fit(X, y, tasks=tasks)
    order = np.argsort(clustered.task_clusters_, kind="stable")
    ax = plotting.plot_task_matrix(clustered.task_similarity_, order=order)
    np.testing.assert_allclose(
        ax.images[0].get_array(), clustered.task_similarity_[np.ix_(order, order)]
    )


def test_samples_per_task_and_scores():
    ax = plotting.plot_samples_per_task(
        [5, 10, 20], {"multi-task": [0.5, 0.6, 0.7], "single-task": [0.1, 0.4, 0.65]}
    )
    assert [line.get_label() for line in ax.lines] == ["multi-task", "single-task"]
    ax = plotting.plot_scores(["a", "b"], [0.3, 0.5])
    assert [patch.get_width() for patch in ax.patches] == [0.3, 0.5]
