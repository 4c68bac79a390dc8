"""The scikit-learn workflows a data scientist tries first, on data sorted by task:
default-cv cross-validation and grid search, a scaler pipeline, one score."""

import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from conftest import make_tasks
from sklearn.compose import make_column_transformer
from sklearn.metrics import r2_score
from sklearn.model_selection import GridSearchCV, cross_val_score, cross_validate
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skmtl import GroupLassoClassifier, GroupLassoRegressor, UnknownTaskWarning
from skmtl.model_selection import GroupLassoRegressorCV, TaskScorer


def _sorted_frame(loss="squared"):
    """A DataFrame sorted by task, with the task labels in a named column."""
    X, y, tasks = make_tasks(n_tasks=3, sizes=(40, 50, 60), loss=loss, seed=50, offset=3.0)
    frame = pd.DataFrame(X * [1, 10, 100, 1, 1, 1], columns=[f"x{j}" for j in range(6)])
    frame.insert(0, "school", tasks + 1)
    return frame, y


def test_default_cv_on_sorted_data_gives_cold_start_scores_with_one_warning_each():
    """Default KFold on data sorted by task: every test fold holds a task the model
    never saw. The scores are finite, equal those of the population model, and each
    fold warns once, naming TaskStratifiedKFold."""
    frame, y = _sorted_frame()
    model = GroupLassoRegressor(alpha=0.01, task_column="school")
    with pytest.warns(UnknownTaskWarning, match="TaskStratifiedKFold") as caught:
        scores = cross_val_score(model, frame, y, cv=3)
    unseen = [w for w in caught if issubclass(w.category, UnknownTaskWarning)]
    assert np.all(np.isfinite(scores)) and len(unseen) == 1  # task 1 is fold 1's only
    test = np.arange(50)  # KFold(3)'s first test fold: task 1 and 10 rows of task 2
    train = model.fit(frame.iloc[50:], y[50:])
    X = frame.iloc[test].drop(columns="school").to_numpy()
    unseen_rows = frame["school"].to_numpy()[test] == 1
    expected = train.predict(frame.iloc[test])
    np.testing.assert_allclose(
        expected[unseen_rows],
        X[unseen_rows] @ train.population_coef_ + train.population_intercept_,
    )
    assert scores[0] == pytest.approx(r2_score(y[test], expected))
    rows = frame["school"] == 1
    with pytest.raises(ValueError, match="unknown_task='mean'"):
        model.set_params(unknown_task="error").fit(frame[~rows], y[~rows]).predict(frame[rows])


def test_default_grid_search_on_sorted_data_is_finite():
    frame, y = _sorted_frame()
    search = GridSearchCV(
        GroupLassoRegressor(task_column="school", unknown_task="mean"),
        {"alpha": [0.3, 0.03], "intercept_pooling": [0.0, np.inf]},
    ).fit(frame, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    best = np.argmax(search.cv_results_["mean_test_score"])
    assert search.best_params_ == search.cv_results_["params"][best]


def test_cv_estimator_warns_once_for_folds_without_a_task():
    from sklearn.model_selection import KFold

    frame, y = _sorted_frame()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GroupLassoRegressorCV(task_column="school", cv=KFold(3), alphas=5).fit(frame, y)
    unseen = [w for w in caught if issubclass(w.category, UnknownTaskWarning)]
    # sizes 40, 50, 60 in three folds of 50 rows: only the first test fold holds a
    # whole task (task 1)
    assert len(unseen) == 1 and "1 of the 3 test folds" in str(unseen[0].message)


def test_scaler_pipeline_keeps_the_task_labels():
    frame, y = _sorted_frame()
    scaler = make_column_transformer(
        ("passthrough", ["school"]), remainder=StandardScaler()
    ).set_output(transform="pandas")  # names the column "passthrough__school"
    pipe = make_pipeline(scaler, GroupLassoRegressor(alpha=0.01, task_column="school"))
    pipe.fit(frame, y)
    np.testing.assert_array_equal(pipe[-1].tasks_, [1, 2, 3])
    # the same fit as on features scaled by hand
    features = frame.drop(columns="school")
    scaled = (features - features.mean()) / features.std(ddof=0)
    direct = GroupLassoRegressor(alpha=0.01).fit(scaled, y, tasks=frame["school"])
    np.testing.assert_allclose(pipe[-1].coef_, direct.coef_, atol=1e-10)
    pipe.set_params(grouplassoregressor__unknown_task="mean")
    result = cross_validate(pipe, frame, y, cv=3)  # sorted: cold starts, finite
    assert np.isfinite(result["test_score"]).all()
    search = GridSearchCV(pipe, {"grouplassoregressor__alpha": [0.1, 0.01]}, cv=3)
    assert np.isfinite(search.fit(frame, y).best_score_)


def test_scaled_task_column_warns():
    frame, y = _sorted_frame()
    pipe = make_pipeline(StandardScaler(), GroupLassoRegressor(alpha=0.01, task_column=0))
    with pytest.warns(UserWarning, match="was the task column scaled"):
        pipe.fit(frame, y)


def test_score_is_one_number_in_every_input_form():
    """The same coefficients on the same data: wide y, tasks= and task_column score
    the same, and TaskScorer agrees by default."""
    rng = np.random.RandomState(0)
    X = rng.randn(40, 4)
    Y = X @ rng.randn(4, 3) + [0.0, 5.0, -3.0] + 0.5 * rng.randn(40, 3)
    Y[3, 1] = np.nan
    wide = GroupLassoRegressor(alpha=0.05).fit(X, Y)
    seen = ~np.isnan(Y)
    rows, tasks = np.nonzero(seen)
    stacked = GroupLassoRegressor(alpha=0.05).fit(X[rows], Y[rows, tasks], tasks=tasks)
    np.testing.assert_allclose(stacked.coef_, wide.coef_, atol=1e-6)
    by_wide = wide.score(X, Y)
    by_tasks = stacked.score(X[rows], Y[rows, tasks], tasks=tasks)
    Xt = np.column_stack([tasks, X[rows]])
    column = GroupLassoRegressor(alpha=0.05, task_column=0).fit(Xt, Y[rows, tasks])
    assert by_wide == pytest.approx(by_tasks, rel=1e-6)
    assert column.score(Xt, Y[rows, tasks]) == pytest.approx(by_tasks, rel=1e-6)
    assert by_wide == pytest.approx(r2_score(Y[seen], wide.predict(X)[seen]))
    assert TaskScorer()(wide, X, Y) == pytest.approx(by_wide)
    assert TaskScorer()(column, Xt, Y[rows, tasks]) == pytest.approx(by_tasks)
    with sklearn.config_context(enable_metadata_routing=True):
        assert TaskScorer()(stacked, X[rows], Y[rows, tasks], tasks=tasks) == pytest.approx(
            by_tasks
        )
    per_task = np.mean(
        [r2_score(Y[seen[:, t], t], wide.predict(X)[seen[:, t], t]) for t in range(3)]
    )
    assert TaskScorer(average="tasks")(wide, X, Y) == pytest.approx(per_task)
    assert TaskScorer(average="tasks")(column, Xt, Y[rows, tasks]) == pytest.approx(per_task)


def test_task_scorer_default_is_the_estimators_score():
    """TaskScorer() scores as ``score`` does: the accuracy of a classifier (it was
    the R^2 of the 0/1 labels, and string labels failed), and with main_task only
    the main task's rows or column, in each input form and for the *CV too."""
    X, y, tasks = make_tasks(loss="logistic", seed=3)
    labels = np.where(y > 0, "yes", "no")
    model = GroupLassoClassifier(alpha=0.01).fit(X, labels, tasks=tasks)
    with sklearn.config_context(enable_metadata_routing=True):
        scored = TaskScorer()(model, X, labels, tasks=tasks)
    assert scored == pytest.approx(model.score(X, labels, tasks=tasks))
    assert scored == pytest.approx(np.mean(model.predict(X, tasks=tasks) == labels))
    rng = np.random.RandomState(0)
    Xw = rng.randn(60, 4)
    Y = Xw @ rng.randn(4, 3) + rng.randn(60, 3) * [0.3, 1.0, 3.0]
    wide = GroupLassoRegressor(alpha=0.05, main_task=2).fit(Xw, Y)
    assert TaskScorer()(wide, Xw, Y) == pytest.approx(wide.score(Xw, Y))
    assert TaskScorer()(wide, Xw, Y) == pytest.approx(r2_score(Y[:, 2], wide.predict(Xw)[:, 2]))
    rows, column = np.nonzero(np.ones_like(Y, dtype=bool))
    Xt = np.column_stack([column, Xw[rows]])
    for est in (GroupLassoRegressor(alpha=0.05), GroupLassoRegressorCV(cv=3)):
        fitted = est.set_params(main_task=2, task_column=0).fit(Xt, Y[rows, column])
        expected = fitted.score(Xt, Y[rows, column])
        assert TaskScorer()(fitted, Xt, Y[rows, column]) == pytest.approx(expected)
        assert TaskScorer(average="tasks")(fitted, Xt, Y[rows, column]) == pytest.approx(expected)


def test_task_scorer_on_a_pipeline_reads_its_last_step():
    """A Pipeline (ColumnTransformer + a model with task_column, the README's
    pattern) is scored as its model: per-task averages by the task column, main_task
    and a wide classifier's probabilities (the pipeline's lack of those attributes
    made average="tasks" the pooled score and wide log-loss crash)."""
    frame, y = _sorted_frame()
    frame["school"] = frame["school"].map({1: "a", 2: "b", 3: "c"})
    scaler = make_column_transformer(
        ("passthrough", ["school"]), remainder=StandardScaler()
    ).set_output(transform="pandas")
    pipe = make_pipeline(scaler, GroupLassoRegressor(alpha=0.01, task_column="school"))
    pipe.fit(frame, y)
    pred, tasks = pipe.predict(frame), frame["school"].to_numpy()
    per_task = np.mean([r2_score(y[tasks == t], pred[tasks == t]) for t in "abc"])
    assert TaskScorer(average="tasks")(pipe, frame, y) == pytest.approx(per_task)
    assert TaskScorer()(pipe, frame, y) == pytest.approx(r2_score(y, pred))
    alone = make_pipeline(GroupLassoRegressor(alpha=0.01, task_column="school"))
    alone.fit(frame, y)  # one step: no transform before it
    expected = TaskScorer(average="tasks")(alone[-1], frame, y)
    assert TaskScorer(average="tasks")(alone, frame, y) == pytest.approx(expected)
    # other wrappers: a fitted search (nested CV; it takes no tasks=) and a target
    # transform (scored pooled before)
    from sklearn.compose import TransformedTargetRegressor

    search = GridSearchCV(alone[-1], {"alpha": [0.01]}, cv=2).fit(frame, y)
    assert TaskScorer(average="tasks")(search, frame, y) == pytest.approx(expected)
    identity = TransformedTargetRegressor(alone[-1], func=None).fit(frame, y)
    assert TaskScorer(average="tasks")(identity, frame, y) == pytest.approx(expected)
    pipe.set_params(grouplassoregressor__main_task="b").fit(frame, y)
    main = TaskScorer()(pipe, frame, y)
    assert main == pytest.approx(pipe.score(frame, y))
    assert main == pytest.approx(r2_score(y[tasks == "b"], pred[tasks == "b"]), rel=1e-3)
    rng = np.random.RandomState(0)
    X = rng.randn(50, 3)
    Y = (X @ rng.randn(3, 3) + rng.randn(50, 3) > 0).astype(int)
    wide = make_pipeline(StandardScaler(), GroupLassoClassifier(alpha=0.01)).fit(X, Y)
    bare = GroupLassoClassifier(alpha=0.01).fit(StandardScaler().fit_transform(X), Y)
    assert TaskScorer("neg_log_loss")(wide, X, Y) == pytest.approx(
        TaskScorer("neg_log_loss")(bare, StandardScaler().fit_transform(X), Y)
    )


def test_classifier_default_cross_val_score_on_sorted_data():
    """StratifiedKFold on data sorted by task leaves tasks with one class in training:
    free intercepts then have no finite optimum, and the error names both fixes;
    pooled intercepts fit them."""
    frame, y = _sorted_frame("logistic")
    free = GroupLassoClassifier(task_column="school")
    with pytest.raises(ValueError, match="intercept_pooling > 0.*TaskStratifiedKFold"):
        cross_val_score(free, frame, y, cv=3, error_score="raise")
    pooled = free.set_params(intercept_pooling=1.0, unknown_task="mean")
    scores = cross_val_score(pooled, frame, y, cv=3)
    assert np.all((scores >= 0) & (scores <= 1))


def test_missing_string_labels_are_left_out_of_every_score():
    """A wide y of string labels with NaN (or a nullable pandas frame with pd.NA) for
    missing entries: score, TaskScorer and the *CV criterion leave them out, as they
    do for numeric labels."""
    from sklearn.model_selection import KFold

    from skmtl.model_selection import GroupLassoClassifierCV

    rng = np.random.RandomState(0)
    X = rng.randn(120, 4)
    Y = np.column_stack([X[:, 0] + 0.5 * rng.randn(120), X[:, 1] + 0.5 * rng.randn(120)]) > 0
    missing = rng.rand(120) < 0.4
    numeric = Y.astype(float)
    numeric[missing, 1] = np.nan
    strings = np.array(["n", "p"], dtype=object)[Y.astype(int)]
    strings[missing, 1] = np.nan
    nullable = pd.DataFrame(Y.astype(int)).astype("Int64")
    nullable.iloc[np.flatnonzero(missing), 1] = pd.NA
    seen = ~np.isnan(numeric)
    for y in (strings, nullable):
        model = GroupLassoClassifier(alpha=0.01).fit(X, y)
        truth = np.asarray(Y)[seen]
        pred = model.predict(X)[seen]
        expected = np.mean(
            pred == (np.array(["n", "p"])[truth.astype(int)] if y is strings else truth)
        )
        assert model.score(X, y) == pytest.approx(expected)
        assert TaskScorer("accuracy")(model, X, y) == pytest.approx(expected)
    with_none = strings.copy()  # None is not NaN's missing label: an error, as in fit
    with_none[np.flatnonzero(missing)[0], 1] = None
    model = GroupLassoClassifier(alpha=0.01).fit(X, strings)
    with pytest.raises(ValueError, match="missing labels"):
        model.score(X, with_none)
    with pytest.raises(ValueError, match="missing labels"):
        TaskScorer("accuracy")(model, X, with_none)
    kw = dict(alphas=[0.1, 0.01, 0.001], cv=KFold(3))
    by_number = GroupLassoClassifierCV(**kw).fit(X, numeric)
    by_string = GroupLassoClassifierCV(**kw).fit(X, strings)
    np.testing.assert_allclose(by_string.score_path_, by_number.score_path_, rtol=1e-10)


def test_cv_log_loss_of_a_class_the_training_fold_lacked():
    """A test row of a class its training fold never saw has probability zero: the
    fold's score is scikit-learn's log_loss over every label (clipped), for two and
    for three classes in training."""
    from sklearn.metrics import log_loss
    from sklearn.model_selection import KFold

    from skmtl.model_selection import GroupLassoClassifierCV

    rng = np.random.RandomState(0)
    X = rng.randn(100, 3)
    for labels in ("ab", "abd"):
        y = np.array(list(labels), dtype=object)[
            np.digitize(X[:, 0], [0.0, 0.8][: len(labels) - 1])
        ]
        y[7] = "c"  # one row of a class: only its test fold holds it
        cv = KFold(5)
        search = GroupLassoClassifierCV(alphas=[0.01], cv=cv).fit(X, y)
        train, test = next(cv.split(X))
        fold = GroupLassoClassifier(alpha=0.01).fit(X[train], y[train])
        assert "c" not in fold.classes_
        everything = sorted([*fold.classes_, "c"])
        proba = np.zeros((len(test), len(everything)))
        proba[:, np.searchsorted(everything, fold.classes_)] = fold.predict_proba(X[test])
        expected = -log_loss(y[test], proba, labels=everything)
        assert search.score_path_[0, 0] == pytest.approx(expected, rel=1e-6)


def test_score_weights_are_checked_as_fit_checks_them():
    """A NaN, all-zero or wrong-length sample_weight in score or TaskScorer raises
    a clear error (scikit-learn's metrics raise too), never a NaN score."""
    X, y, tasks = make_tasks(seed=73)
    labels = y > np.median(y)
    models = (
        (GroupLassoClassifier().fit(X, labels, tasks=tasks), labels),
        (GroupLassoRegressor(main_task=1).fit(X, y, tasks=tasks), y),
    )
    bad = {
        "contains NaN": np.r_[np.nan, np.ones(len(y) - 1)],
        "at least one positive weight": np.zeros(len(y)),
        r"must have shape \(80,\)": np.ones(len(y) - 1),
    }
    for model, target in models:
        for message, weights in bad.items():
            with pytest.raises(ValueError, match=message):
                model.score(X, target, tasks=tasks, sample_weight=weights)
    wide = GroupLassoRegressor().fit(X[:20], np.column_stack([y[:20], y[20:40]]))
    with pytest.raises(ValueError, match=r"must have shape \(20,\)"):
        TaskScorer()(wide, X[:20], np.column_stack([y[:20], y[20:40]]), sample_weight=np.ones(3))


def test_task_scorer_roc_auc_of_a_margin_classifier_uses_decision_function():
    """A squared hinge classifier has no predict_proba: TaskScorer("roc_auc") ranks
    by decision_function, as scikit-learn's "roc_auc" scorer (it raised a bare
    AttributeError), stacked and wide; "neg_log_loss" says why it cannot."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.RandomState(1)
    X, tasks = rng.randn(90, 3), np.repeat([0, 1, 2], 30)
    y = (X[:, 0] + rng.randn(90) > 0).astype(int)
    model = GroupLassoClassifier(alpha=0.01, loss="squared_hinge").fit(X, y, tasks=tasks)
    scores = model.decision_function(X, tasks=tasks)
    with sklearn.config_context(enable_metadata_routing=True):
        assert TaskScorer("roc_auc")(model, X, y, tasks=tasks) == pytest.approx(
            roc_auc_score(y, scores)
        )
        per_task = np.mean([roc_auc_score(y[tasks == t], scores[tasks == t]) for t in range(3)])
        scorer = TaskScorer("roc_auc", average="tasks")
        assert scorer(model, X, y, tasks=tasks) == pytest.approx(per_task)
        with pytest.raises(ValueError, match="needs predict_proba.*squared_hinge"):
            TaskScorer("neg_log_loss")(model, X, y, tasks=tasks)
    Y = np.column_stack([y, np.roll(y, 7)])
    wide = GroupLassoClassifier(alpha=0.01, loss="squared_hinge").fit(X, Y)
    assert TaskScorer("roc_auc")(wide, X, Y) == pytest.approx(
        roc_auc_score(Y.ravel(), wide.decision_function(X).ravel())
    )


@pytest.mark.parametrize("n_classes", [2, 3])
def test_task_scorer_probability_metrics_equal_scikit_learn(n_classes):
    """TaskScorer's neg_log_loss and roc_auc (from predict_proba, with the tasks) are
    scikit-learn's metrics on the same probabilities, stacked and wide."""
    from sklearn.metrics import log_loss, roc_auc_score

    rng = np.random.RandomState(0)
    X, tasks = rng.randn(90, 3), np.repeat([0, 1, 2], 30)
    z = X[:, 0] + rng.randn(90)
    y = np.digitize(z, [-0.5, 0.5]) if n_classes == 3 else (z > 0).astype(int)
    model = GroupLassoClassifier(alpha=0.01).fit(X, y, tasks=tasks)
    P = model.predict_proba(X, tasks=tasks)
    auc = roc_auc_score(y, P[:, 1]) if n_classes == 2 else roc_auc_score(y, P, multi_class="ovr")
    with sklearn.config_context(enable_metadata_routing=True):
        assert TaskScorer("neg_log_loss")(model, X, y, tasks=tasks) == pytest.approx(
            -log_loss(y, P)
        )
        assert TaskScorer("roc_auc")(model, X, y, tasks=tasks) == pytest.approx(auc)
        per_task = np.mean(
            [-log_loss(y[tasks == t], P[tasks == t], labels=model.classes_) for t in range(3)]
        )
        scorer = TaskScorer("neg_log_loss", average="tasks")
        assert scorer(model, X, y, tasks=tasks) == pytest.approx(per_task)
        if n_classes == 2:  # a task whose weighted rows hold one class: left out of the AUC
            weights = np.where((tasks == 0) & (y == 1), 0.0, 1.0)
            kept = np.mean([roc_auc_score(y[tasks == t], P[tasks == t, 1]) for t in (1, 2)])
            scorer = TaskScorer("roc_auc", average="tasks")
            assert scorer(model, X, y, tasks=tasks, sample_weight=weights) == pytest.approx(kept)
        else:  # a task whose rows hold two of the classes: one-vs-rest over those two
            rows = (tasks != 0) | (y != 2)
            Y1 = y[rows][:, None] == model.classes_
            task0 = np.mean(
                [
                    roc_auc_score(Y1[tasks[rows] == 0, k], P[rows][tasks[rows] == 0, k])
                    for k in (0, 1)
                ]
            )
            others = [
                roc_auc_score(y[tasks == t], P[tasks == t], multi_class="ovr") for t in (1, 2)
            ]
            scorer = TaskScorer("roc_auc", average="tasks")
            score = scorer(model, X[rows], y[rows], tasks=tasks[rows])
            assert score == pytest.approx(np.mean([task0] + others))
    Y = np.column_stack([y, np.roll(y, 7)]).astype(float)
    Y[:5, 1] = np.nan
    wide = GroupLassoClassifier(alpha=0.01).fit(X, Y)
    P, seen = wide.predict_proba(X), ~np.isnan(Y)
    P = np.stack([1 - P, P], axis=-1) if n_classes == 2 else P
    expected = -log_loss(Y[seen], P[seen], labels=wide.classes_)
    assert TaskScorer("neg_log_loss")(wide, X, Y) == pytest.approx(expected)


def test_tuning_a_nested_parameter_of_a_loss_given_by_name_says_what_to_pass():
    """GridSearchCV over loss__epsilon with loss="huber" failed deep inside scikit-learn
    ('str' object has no attribute 'set_params'): the error names the loss object to
    pass, with which the same search runs."""
    from sklearn.model_selection import GridSearchCV

    from skmtl.losses import HuberLoss

    rng = np.random.RandomState(0)
    X, tasks = rng.randn(60, 3), np.tile([0, 1, 2], 20)
    y = X[:, 0] + rng.standard_t(2, 60)
    Xt = np.column_stack([X, tasks])
    grid = {"loss__epsilon": [0.5, 2.0]}
    by_name = GridSearchCV(GroupLassoRegressor(loss="huber", task_column=-1), grid, cv=3)
    with pytest.raises(ValueError, match=r"loss='huber' is a name.*loss=HuberLoss\(epsilon="):
        by_name.fit(Xt, y)
    search = GridSearchCV(GroupLassoRegressor(loss=HuberLoss(), task_column=-1), grid, cv=3)
    search.fit(Xt, y)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    assert search.best_estimator_.loss.epsilon == search.best_params_["loss__epsilon"]
    model = GroupLassoRegressor(loss="huber").set_params(loss=HuberLoss(), loss__epsilon=2.0)
    assert model.loss.epsilon == 2.0


def test_score_refuses_missing_targets_of_a_1d_y():
    """A NaN in a 1-D y has no task column to be missing from: score refuses it, as
    fit does (a regressor dropped those rows, a classifier counted them as errors);
    in a wide y it marks a missing label."""
    X, y, tasks = make_tasks(seed=51)
    y_missing = y.copy()
    y_missing[:5] = np.nan
    labels = (y > np.median(y)).astype(float)  # (NaN labels were counted as errors)
    labels_missing = labels.copy()
    labels_missing[:5] = np.nan
    for model, target, missing in (
        (GroupLassoRegressor(alpha=0.01), y, y_missing),
        (GroupLassoClassifier(alpha=0.01), labels, labels_missing),
    ):
        model.fit(X, target, tasks=tasks)
        with pytest.raises(ValueError, match="y has 5 missing target.*2-D y"):
            model.score(X, missing, tasks=tasks)
    rng = np.random.RandomState(0)
    Xw, Y = rng.randn(40, 3), rng.randn(40, 2)
    wide = GroupLassoRegressor(alpha=0.01).fit(Xw, Y)
    Y[:5, 0] = np.nan
    assert np.isfinite(wide.score(Xw, Y))


def test_task_column_errors_name_the_fix():
    """Two renamed columns that end in the task column's name: the error lists them
    (it said the column was not in X); a list of per-task (X_t, y_t) pairs points to
    from_task_list (it was numpy's ragged-array error)."""
    frame, y = _sorted_frame()
    twice = pd.concat(
        [frame.add_prefix("keep__")[["keep__school"]], frame.add_prefix("sc__")], axis=1
    )
    with pytest.raises(ValueError, match=r"matches several renamed columns.*keep__school"):
        GroupLassoRegressor(task_column="school").fit(twice, y)
    GroupLassoRegressor(task_column="keep__school").fit(twice.drop(columns="sc__school"), y)
    X = frame.drop(columns="school").to_numpy()
    pairs = [(X[frame["school"] == t], y[frame["school"] == t]) for t in (1, 2, 3)]
    with pytest.raises(ValueError, match="from_task_list"):
        GroupLassoRegressor().fit(pairs, None)


def test_feature_selection_with_task_labels():
    """RFE given the labels as tasks= ranks the features by the group lasso's row
    norms (the task column in X would shift them: the docs say to pass tasks=)."""
    from sklearn.feature_selection import RFE

    frame, y = _sorted_frame()
    X, tasks = frame.drop(columns="school").to_numpy(), frame["school"].to_numpy()
    model = GroupLassoRegressor(alpha=0.05).fit(X, y, tasks=tasks)
    weakest = np.argmin(np.linalg.norm(model.coef_, axis=0))
    selector = RFE(GroupLassoRegressor(alpha=0.05), n_features_to_select=X.shape[1] - 1)
    dropped = np.flatnonzero(~selector.fit(X, y, tasks=tasks).support_)
    np.testing.assert_array_equal(dropped, [weakest])


def test_task_scorer_sees_through_one_vs_rest():
    """TaskScorer(average="tasks") on a OneVsRestClassifier of a task_column model
    (the squared hinge's multi-class recipe) averages the per-task scores (it returned
    the pooled one); where it finds no labels it raises instead of pooling."""
    from sklearn.ensemble import BaggingClassifier
    from sklearn.metrics import accuracy_score
    from sklearn.multiclass import OneVsRestClassifier

    rng = np.random.RandomState(3)
    tasks = np.repeat([0, 1, 2], [90, 30, 15])
    X = rng.randn(len(tasks), 4)
    y = np.array(list("abc"))[np.argmax(X[:, :3] + 1.5 * rng.randn(len(tasks), 3), axis=1)]
    Xc = np.column_stack([tasks, X])
    model = GroupLassoClassifier(
        alpha=0.01, loss="squared_hinge", task_column=0, intercept_pooling=1.0
    )
    ovr = OneVsRestClassifier(model).fit(Xc, y)
    pred = ovr.predict(Xc)
    per_task = np.mean([accuracy_score(y[tasks == t], pred[tasks == t]) for t in range(3)])
    assert abs(per_task - accuracy_score(y, pred)) > 1e-3  # (the two averages differ)
    assert TaskScorer(average="tasks")(ovr, Xc, y) == pytest.approx(per_task, abs=1e-12)
    logistic = model.set_params(loss="logistic")
    bagged = BaggingClassifier(logistic, n_estimators=2, random_state=0).fit(Xc, y)
    with pytest.raises(ValueError, match="found no task labels.*BaggingClassifier"):
        TaskScorer(average="tasks")(bagged, Xc, y)


def test_missing_tasks_message_with_routing_on():
    """With routing on, predict without tasks says which callers never route them
    (it told the user to turn routing on)."""
    frame, y = _sorted_frame()
    X, tasks = frame.drop(columns="school").to_numpy(), frame["school"].to_numpy()
    model = GroupLassoRegressor(alpha=0.05).fit(X, y, tasks=tasks)
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(ValueError, match="cross_val_predict") as error:
            model.predict(X)
    assert "enable_metadata_routing=True" not in str(error.value)
    with pytest.raises(ValueError, match=r"enable_metadata_routing=True"):
        model.predict(X)
