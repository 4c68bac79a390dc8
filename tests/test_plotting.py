"""Plots draw what they are given (axes content, not pixels) and say what they show."""

import numpy as np
import pytest

from skmtl import ClusteredRegressor, GroupLassoRegressor
from skmtl.datasets import make_clustered_tasks, make_joint_sparse
from skmtl.model_selection import (
    GroupLassoRegressorCV,
    MeanRegularizedRegressorCV,
    regularization_path,
)

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
plt = pytest.importorskip("matplotlib.pyplot")
plotting = pytest.importorskip("skmtl.plotting")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _described(ax):
    """Title and both axis labels are set."""
    return all(text.strip() for text in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()))


def _data_lines(ax):
    """The plotted curves (not the vertical line at the chosen strength)."""
    return [line for line in ax.lines if len(np.unique(line.get_xdata())) > 1]


def test_coefficients_path_cv_and_task_matrix():
    X, y, tasks, _ = make_joint_sparse(n_tasks=4, n_features=8, random_state=0)
    model = GroupLassoRegressor(alpha=0.1).fit(X, y, tasks=tasks)
    ax = plotting.plot_coefficients(model, feature_names=[f"x{j}" for j in range(8)])
    np.testing.assert_array_equal(ax.images[0].get_array(), model.coef_)
    assert _described(ax) and "GroupLassoRegressor" in ax.get_title()
    with pytest.raises(ValueError, match="got 1 names for 8 features"):
        plotting.plot_coefficients(model, feature_names=["x0"])
    with pytest.raises(ValueError, match="got 3 names for 4 rows"):
        plotting.plot_coefficients(model, task_names=["a", "b", "c"])
    alphas, coefs, _, _ = regularization_path(GroupLassoRegressor(), X, y, tasks, alphas=6)
    ax = plotting.plot_path(alphas, coefs)
    assert len(ax.lines) == 8 and _described(ax)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.linalg.norm(coefs[:, :, 0], axis=1))
    cv = GroupLassoRegressorCV(alphas=6, cv=3, intercept_poolings=[0.0]).fit(X, y, tasks=tasks)
    ax = plotting.plot_cv(cv)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), cv.mse_path_.mean(axis=-1))
    assert _described(ax) and "GroupLassoRegressor" in ax.get_title()
    X, y, tasks, _, labels = make_clustered_tasks(n_tasks=6, n_clusters=2, random_state=0)
    clustered = ClusteredRegressor(alpha=1.0, n_clusters=2).fit(X, y, tasks=tasks)
    order = np.argsort(clustered.task_clusters_, kind="stable")
    ax = plotting.plot_task_matrix(clustered.task_similarity_, order=order)
    np.testing.assert_allclose(
        ax.images[0].get_array(), clustered.task_similarity_[np.ix_(order, order)]
    )
    assert _described(ax)


def test_plot_cv_draws_the_chosen_slice_of_two_strengths():
    X, y, tasks, _ = make_joint_sparse(n_tasks=4, n_features=8, noise=0.1, random_state=0)
    # a large ridge first: the chosen beta is not the first row of mse_path_
    cv = MeanRegularizedRegressorCV(
        alphas=[1.0, 0.1, 0.01], betas=[100.0, 1e-3], intercept_poolings=[0.0], cv=3
    )
    cv.fit(X, y, tasks=tasks)
    chosen = plotting.cv_slice(cv)
    assert chosen == (1,) and cv.beta_ == 1e-3
    ax = plotting.plot_cv(cv)
    (line,) = _data_lines(ax)
    np.testing.assert_allclose(line.get_xdata(), cv.alphas_)
    np.testing.assert_allclose(line.get_ydata(), cv.mse_path_[chosen].mean(axis=-1))
    assert not np.allclose(line.get_ydata(), cv.mse_path_[0].mean(axis=-1))
    assert "beta=0.001" in line.get_label() and "beta=0.001" in ax.get_title()
    assert _described(ax)
    # every slice, labelled by its beta
    ax = plotting.plot_cv(cv, slices="all")
    lines = _data_lines(ax)
    assert [line.get_label() for line in lines] == ["beta=100", "beta=0.001 (chosen)"]
    for k, line in enumerate(lines):
        np.testing.assert_allclose(line.get_ydata(), cv.mse_path_[k].mean(axis=-1))


def _blocks(labels):
    """Number of runs of equal neighbours: the number of clusters when contiguous."""
    labels = np.asarray(labels)
    return 1 + int(np.sum(labels[1:] != labels[:-1]))


def test_task_matrix_puts_clusters_side_by_side():
    rng = np.random.default_rng(0)
    truth = np.repeat([0, 1, 2], 4)
    perm = rng.permutation(12)
    block = (truth[:, None] == truth[None, :]).astype(float)
    matrix = (block + 0.1 * rng.standard_normal((12, 12)))[np.ix_(perm, perm)]
    matrix = (matrix + matrix.T) / 2
    labels = truth[perm]  # interleaved in the given order
    assert _blocks(labels) > 3
    names = [f"t{i}" for i in range(12)]
    # hierarchical-clustering order alone
    ax = plotting.plot_task_matrix(matrix, labels=names)
    order = [names.index(tick.get_text()) for tick in ax.get_xticklabels()]
    assert sorted(order) == list(range(12)) and _blocks(labels[order]) == 3
    np.testing.assert_allclose(ax.images[0].get_array(), matrix[np.ix_(order, order)])
    assert _described(ax) and "hierarchical" in ax.get_xlabel()
    # grouped by given clusters, with lines between the blocks
    ax = plotting.plot_task_matrix(matrix, labels=names, clusters=labels)
    order = [names.index(tick.get_text()) for tick in ax.get_xticklabels()]
    assert _blocks(labels[order]) == 3
    assert len(ax.lines) == 4  # two boundaries, horizontal and vertical
    # a fitted clustered model's own clusters are contiguous too; many tasks: named blocks
    X, y, tasks, _, planted = make_clustered_tasks(
        n_tasks=45, n_clusters=3, n_samples=20, spread=0.1, random_state=0
    )
    model = ClusteredRegressor(alpha=1.0, beta=0.01, n_clusters=3).fit(X, y, tasks=tasks)
    order = plotting.task_order(model.task_similarity_, model.task_clusters_)
    assert _blocks(model.task_clusters_[order]) == 3
    ax = plotting.plot_task_matrix(model.task_similarity_, clusters=model.task_clusters_)
    ticks = [tick.get_text() for tick in ax.get_yticklabels()]
    assert len(ticks) == 3 and all(t.startswith("cluster ") for t in ticks)


def test_samples_per_task_and_scores():
    ax = plotting.plot_samples_per_task(
        [5, 10, 20], {"multi-task": [0.5, 0.6, 0.7], "single-task": [0.1, 0.4, 0.65]}
    )
    assert [line.get_label() for line in ax.lines] == ["multi-task", "single-task"]
    assert _described(ax)
    ax = plotting.plot_scores(["a", "b"], [0.3, 0.5], errors=[0.01, 0.02])
    assert [patch.get_width() for patch in ax.patches] == [0.3, 0.5]
    assert _described(ax)


def test_plot_cv_of_a_classifier_shows_its_score():
    from skmtl.model_selection import GroupLassoClassifierCV

    X, y, tasks, _ = make_joint_sparse(n_tasks=3, n_features=6, random_state=0)
    cv = GroupLassoClassifierCV(alphas=4, cv=3, intercept_poolings=[0.0, 4.0, np.inf])
    cv.fit(X, y > 0, tasks=tasks)
    ax = plotting.plot_cv(cv)  # at the chosen intercept pooling
    chosen = cv.score_path_[plotting.cv_slice(cv)]
    assert cv.searched_strengths_ == ("alpha", "intercept_pooling")
    np.testing.assert_allclose(_data_lines(ax)[0].get_ydata(), chosen.mean(axis=-1))
    assert "minus log-loss" in ax.get_ylabel() and "GroupLassoClassifier" in ax.get_title()
    with pytest.raises(ValueError, match="slices"):
        plotting.plot_cv(cv, slices="first")


def test_multiclass_coefficients_and_path():
    """More than two classes: a row of the heat map per task and class, and the
    path's norms over tasks and classes."""
    from skmtl import GroupLassoClassifier

    X, y, tasks, _ = make_joint_sparse(
        n_tasks=4, n_samples=30, n_features=3, n_informative=2, random_state=0
    )
    y3 = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    model = GroupLassoClassifier(alpha=0.01).fit(X, y3, tasks=tasks)
    ax = plotting.plot_coefficients(model, task_names=model.tasks_)
    image = ax.get_images()[0].get_array()
    np.testing.assert_array_equal(image, model.coef_.reshape(12, 3))  # task 0's classes first
    assert [t.get_text() for t in ax.get_yticklabels()][:2] == ["0: 0", "0: 1"]
    single = GroupLassoClassifier(alpha=0.01).fit(X, y3)  # one task: a row per class
    ax = plotting.plot_coefficients(single, task_names=["all"])
    assert "3 classes" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["all: 0", "all: 1", "all: 2"]
    alphas, coefs, _, _ = regularization_path(GroupLassoClassifier(), X, y3, tasks, alphas=4)
    lines = plotting.plot_path(alphas, coefs).get_lines()
    expected = np.sqrt((coefs**2).sum(axis=(1, 2)))  # (n_alphas, n_features)
    for j, line in enumerate(lines):
        np.testing.assert_allclose(line.get_ydata(), expected[:, j])


def test_wrong_inputs_are_named():
    X, y, tasks, _ = make_joint_sparse(
        n_tasks=3, n_samples=20, n_features=3, n_informative=2, random_state=0
    )
    plain = GroupLassoRegressor().fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="plot_cv takes a fitted skmtl \\*CV estimator"):
        plotting.plot_cv(plain)
    with pytest.raises(ValueError, match="this fitted model is not one"):  # (not "fit it")
        plotting.plot_cv(plain)
    with pytest.raises(ValueError, match="order must hold each task's position 0 to 2 once"):
        plotting.plot_task_matrix(np.eye(3), order=[0, 1])
    with pytest.raises(ValueError, match="plot_scores got 1 scores for 3 names"):
        plotting.plot_scores(["a", "b", "c"], [0.5])
    with pytest.raises(ValueError, match="not a GroupLassoRegressor"):
        plotting.plot_task_matrix(plain)
    with pytest.raises(ValueError, match=r"square, finite .* shape \(3, 4\)"):
        plotting.plot_task_matrix(np.ones((3, 4)))
    with pytest.raises(ValueError, match="with NaN or inf"):
        plotting.plot_task_matrix(np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="clusters has 2 labels for 3 tasks"):
        plotting.plot_task_matrix(np.eye(3), clusters=[0, 1])
    with pytest.raises(ValueError, match="plot_path takes the coefs"):
        plotting.plot_path([1.0], np.ones((1, 3)))


def test_a_fitted_model_names_its_rows_and_columns():
    """Rows by tasks_ (and classes_), columns by feature names without a task
    column: row 1 of tasks [10, 20, 30] is task 20, not 'task 1'."""
    pd = pytest.importorskip("pandas")
    from skmtl import GroupLassoClassifier

    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.randn(90, 3), columns=["age", "bmi", "bp"])
    frame.insert(1, "site", np.repeat([10, 20, 30], 30))
    y = frame["bmi"] + rng.randn(90)
    model = GroupLassoRegressor(alpha=0.01, task_column="site").fit(frame, y)
    ax = plotting.plot_coefficients(model)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["10", "20", "30"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["age", "bmi", "bp"]
    classes = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    multi = GroupLassoClassifier(alpha=0.01, task_column="site").fit(frame, classes)
    ticks = [t.get_text() for t in plotting.plot_coefficients(multi).get_yticklabels()]
    assert ticks[:4] == ["10: 0", "10: 1", "10: 2", "20: 0"]
    ax = plotting.plot_coefficients(model.coef_)  # an array: whole positions only
    assert all(float(t).is_integer() for t in ax.get_yticks())
    assert ax.get_title() == "coefficients"
    assert plotting.plot_coefficients(model.coef_.tolist()).get_title() == "coefficients"
    # the task column renamed by a ColumnTransformer, or given by position
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    scale = make_column_transformer(("passthrough", ["site"]), remainder=StandardScaler())
    pipe = make_pipeline(
        scale.set_output(transform="pandas"), GroupLassoRegressor(alpha=0.01, task_column="site")
    ).fit(frame, y)
    ax = plotting.plot_coefficients(pipe[-1])
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["remainder__age", "remainder__bmi", "remainder__bp"]
    by_position = GroupLassoRegressor(alpha=0.01, task_column=1).fit(frame, y)
    ax = plotting.plot_coefficients(by_position)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["age", "bmi", "bp"]


def test_plots_say_what_they_show_for_other_strengths_and_losses():
    X, y, tasks, _ = make_joint_sparse(
        n_tasks=3, n_samples=30, n_features=3, n_informative=2, random_state=0
    )
    quantile = GroupLassoRegressorCV(loss="quantile", alphas=4, cv=3).fit(X, y, tasks=tasks)
    assert "mean pinball loss" in plotting.plot_cv(quantile).get_ylabel()
    from skmtl import DirtyRegressor

    alphas, coefs, _, _ = regularization_path(
        DirtyRegressor(), X, y, tasks, alphas=[1.0, 0.1], param="alpha_shared"
    )
    ax = plotting.plot_path(alphas, coefs, param="alpha_shared", feature_names=["a", "b", "c"])
    assert ax.get_xlabel() == "alpha_shared"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b", "c"]


def test_a_model_it_cannot_read_names_the_fix():
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    X, y, tasks, _ = make_joint_sparse(
        n_tasks=3, n_samples=20, n_features=3, n_informative=2, random_state=0
    )
    pipe = make_pipeline(StandardScaler(), GroupLassoRegressor()).fit(X, y)
    with pytest.raises(ValueError, match=r"pass its last step, plot_coefficients\(pipe\[-1\]\)"):
        plotting.plot_coefficients(pipe)
    with pytest.raises(ValueError, match="fit it first"):
        plotting.plot_coefficients(GroupLassoRegressor())
    search = GridSearchCV(GroupLassoRegressor(), {"alpha": [0.1, 1.0]}, cv=3).fit(X, y)
    with pytest.raises(ValueError, match="best_estimator_"):
        plotting.plot_coefficients(search)
    with pytest.raises(ValueError, match=r"pipe\[-1\]"):
        plotting.plot_cv(pipe)
    with pytest.raises(ValueError, match="labels has 5 names for 3 tasks"):
        plotting.plot_task_matrix(np.eye(3), labels=list("abcde"))
