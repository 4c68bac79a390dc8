"""Bad input gets a clear ValueError that names the argument; odd input is converted."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import make_tasks

from skmtl import (
    GroupLassoClassifier,
    GroupLassoRegressor,
    MultiTaskEstimator,
    TraceNormRegressor,
    UnknownTaskWarning,
    from_task_list,
)
from skmtl.losses import LogisticLoss
from skmtl.penalties import L21


@pytest.fixture
def data():
    return make_tasks(seed=0)


def test_nan_or_inf_in_X(data):
    X, y, tasks = data
    for bad in (np.nan, np.inf):
        Xb = X.copy()
        Xb[3, 1] = bad
        with pytest.raises(ValueError, match="Input X contains (NaN|infinity)"):
            GroupLassoRegressor().fit(Xb, y, tasks=tasks)
        # through task_column, fit and predict name X and the estimator, as above
        frame = np.column_stack([Xb, tasks])
        model = GroupLassoRegressor(task_column=-1)
        named = "Input X contains (NaN.\n.*GroupLassoRegressor|infinity)"
        with pytest.raises(ValueError, match=named):
            model.fit(frame, y)
        model.fit(np.column_stack([X, tasks]), y)
        with pytest.raises(ValueError, match=named):
            model.predict(frame)


def test_nan_in_y_with_tasks(data):
    X, y, tasks = data
    y = y.copy()
    y[0] = np.nan
    with pytest.raises(ValueError, match="Input y contains NaN. .*drop the rows"):
        GroupLassoRegressor().fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="y contains NaN"):
        GroupLassoClassifier().fit(X, np.where(np.isnan(y), np.nan, y > 0), tasks=tasks)


def test_lengths_that_differ(data):
    X, y, tasks = data
    with pytest.raises(ValueError, match="X has 80 samples but y has 79"):
        GroupLassoRegressor().fit(X, y[:-1], tasks=tasks)
    with pytest.raises(ValueError, match="tasks has 79 labels but X has 80 samples"):
        GroupLassoRegressor().fit(X, y, tasks=tasks[:-1])
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(80,\)"):
        GroupLassoRegressor().fit(X, y, tasks=tasks, sample_weight=np.ones(3))


def test_unknown_task_at_predict(data):
    X, y, tasks = data
    model = GroupLassoRegressor(alpha=0.1, unknown_task="error").fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match=r"Unknown task label\(s\) \[7\]"):
        model.predict(X[:2], tasks=[0, 7])
    with pytest.warns(UnknownTaskWarning, match=r"Task label\(s\) \[7\] were not seen"):
        model.set_params(unknown_task="warn").predict(X[:2], tasks=[0, 7])
    with pytest.raises(ValueError, match="pass tasks="):
        model.predict(X)


def test_cross_val_score_without_routing_names_the_fix(data):
    """``tasks`` passed to cross_val_score as a fit parameter, without metadata
    routing, never reaches score: the recorded error names the routing switch."""
    from sklearn.model_selection import cross_val_score

    X, y, tasks = data
    with pytest.warns(UserWarning, match="enable_metadata_routing=True"):
        scores = cross_val_score(GroupLassoRegressor(alpha=0.1), X, y, params={"tasks": tasks})
    assert np.isnan(scores).all()


def test_classification_task_with_one_class(data):
    X, y, tasks = make_tasks(loss="logistic", seed=1)
    y = y.copy()
    y[tasks == 1] = 1
    with pytest.raises(ValueError, match=r"Task\(s\) \[1\] have samples of only one class"):
        GroupLassoClassifier().fit(X, y, tasks=tasks)
    # a likelihood's free intercept tends to infinity; the squared hinge's is any value
    # that puts the task's samples beyond the margin
    with pytest.raises(ValueError, match="only one class.*has no finite optimum. Set"):
        GroupLassoClassifier().fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="only one class.*no unique optimum.*margin"):
        GroupLassoClassifier(loss="squared_hinge").fit(X, y, tasks=tasks)

    class Exponential(LogisticLoss):  # a user's loss that, too, tends to 0 at infinity
        name = "exponential"
        likelihood = probabilistic = False

        def pointwise(self, y, z):
            return np.exp(-y * z)

    with pytest.raises(ValueError, match="only one class.*has no finite optimum. Set"):
        MultiTaskEstimator(loss=Exponential(), penalty=L21(0.1)).fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="at least 2 classes.*one class"):
        GroupLassoClassifier().fit(X, np.ones(len(y)))
    # three classes: multinomial, which needs every class in every task (or pooling)
    with pytest.raises(ValueError, match=r"lack some of the 3 classes.*intercept_pooling > 0"):
        GroupLassoClassifier().fit(X, tasks % 3, tasks=tasks)
    with pytest.raises(
        ValueError,
        match="Only binary classification is supported by the squared_hinge loss: y has 3",
    ):
        GroupLassoClassifier(loss="squared_hinge").fit(X, tasks % 3, tasks=tasks)
    # binary tasks whose labels are named differently share no class: said first
    two = np.unique(tasks)[:2]
    rows = np.isin(tasks, two)
    named = np.where(tasks[rows] == two[0], np.where(y[rows] > 0, "churned", "stayed"), "")
    named = np.where(tasks[rows] == two[1], np.where(y[rows] > 0, "bought", "declined"), named)
    with pytest.raises(ValueError, match="encode each task's labels as the same two classes"):
        GroupLassoClassifier().fit(X[rows], named, tasks=tasks[rows])
    shared = np.arange(len(y)) % 3
    shared[(tasks == two[0]) & (shared == 2)] = 0  # (the first task lacks class 2)
    with pytest.raises(ValueError, match=r"lack some of the 3 classes") as error:
        GroupLassoClassifier().fit(X, shared, tasks=tasks)
    assert "encode each task" not in str(error.value)  # (classes shared by tasks)


def test_task_with_no_samples(data):
    """A task whose samples all weigh zero is refused, naming the fix (Bagging's
    bootstrap: bootstrap=False); so is a wide y's task without labels."""
    X, y, tasks = data
    sw = np.where(tasks == 2, 0.0, 1.0)
    with pytest.raises(ValueError, match=r"Task\(s\) \[2\] have no samples .*bootstrap=False"):
        GroupLassoRegressor().fit(X, y, tasks=tasks, sample_weight=sw)
    Y = np.column_stack([y[:15], y[15:30]])
    Y[:, 1] = np.nan
    with pytest.raises(ValueError, match=r"Task\(s\) \[1\] have no labelled"):
        GroupLassoRegressor().fit(X[:15], Y)


@pytest.mark.parametrize(
    "params, message",
    [
        ({"alpha": -1.0}, "alpha must be >= 0; got -1.0"),
        ({"alpha": "big"}, "alpha must be a real number"),
        ({"l1_ratio": 1.5}, "l1_ratio must be <= 1; got 1.5"),
        ({"l1_ratio": -0.1}, "l1_ratio must be >= 0"),
        ({"group_norm": "l3"}, "group_norm must be one of"),
        ({"max_iter": 0}, "max_iter must be >= 1"),
        ({"tol": -1e-3}, "tol must be >= 0"),
        ({"solver": "lbfgs"}, "solver must be one of"),
        ({"precompute": "yes"}, "precompute must be"),
    ],
)
def test_bad_parameters(data, params, message):
    X, y, tasks = data
    with pytest.raises(ValueError, match=message):
        GroupLassoRegressor(**params).fit(X, y, tasks=tasks)


def test_negative_sample_weight(data):
    X, y, tasks = data
    with pytest.raises(ValueError, match="sample_weight has negative values"):
        GroupLassoRegressor().fit(X, y, tasks=tasks, sample_weight=-np.ones(len(y)))


def test_task_column_errors(data):
    X, y, tasks = data
    with pytest.raises(ValueError, match=r"single value 'school'.*task_column='school'"):
        GroupLassoRegressor().fit(X, y, tasks="school")
    with pytest.raises(ValueError, match="task_column=9 is out of range for X with 6"):
        GroupLassoRegressor(task_column=9).fit(X, y)
    with pytest.raises(ValueError, match="'school' is a column name, but X has no column"):
        GroupLassoRegressor(task_column="school").fit(X, y)
    with pytest.raises(ValueError, match="either as tasks= or through task_column"):
        GroupLassoRegressor(task_column=0).fit(X, y, tasks=tasks)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X[:, 1:]).assign(school=tasks)
    model = GroupLassoRegressor(task_column="school").fit(frame, y)
    with warnings.catch_warnings():  # (scikit-learn's feature-names warning first)
        warnings.simplefilter("ignore", UserWarning)
        with pytest.raises(ValueError, match="pass X as a DataFrame that has this column"):
            model.predict(frame.to_numpy())
    # int labels that are not positions (a column dropped): an int is ambiguous
    shifted = pd.DataFrame(np.column_stack([tasks, X[:, 1:]])).drop(columns=[0])
    shifted.insert(1, 0, tasks)  # labels [1, 0, 2, ...]: the task column, label 0
    with pytest.raises(ValueError, match=r"task_column=1 is ambiguous.*position 0.*labelled 0"):
        GroupLassoRegressor(task_column=1).fit(shifted, y)
    agreeing = pd.DataFrame(np.column_stack([tasks, X[:, 1:]]))  # labels = positions
    reference = GroupLassoRegressor(task_column=0).fit(np.column_stack([tasks, X[:, 1:]]), y)
    np.testing.assert_array_equal(
        GroupLassoRegressor(task_column=0).fit(agreeing, y).coef_, reference.coef_
    )


def test_task_column_of_a_wrong_type_and_duplicate_names(data):
    """A bool is not a position (True == 1 would take column 1), a float or a list
    neither; duplicate column names are refused before scikit-learn's checks."""
    X, y, tasks = data
    with pytest.raises(ValueError, match="task_column=True is a bool"):
        GroupLassoRegressor(task_column=True).fit(X, y)
    for bad, kind in ((1.5, "float"), ([0, 1], "list")):
        with pytest.raises(ValueError, match=rf"\({kind}\) must be the task column's integer"):
            GroupLassoRegressor(task_column=bad).fit(X, y)
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X[:, :3], columns=["a", "a", "b"])
    with pytest.raises(ValueError, match=r"X has duplicate column names \['a'\]"):
        GroupLassoRegressor().fit(frame, y, tasks=tasks)


def test_from_task_list_names_a_1d_design():
    x = np.arange(20.0)
    with pytest.raises(ValueError, match=r"Task 0: X_t is 1-D \(shape \(20,\)\)"):
        from_task_list([(x, 2 * x)])
    X, _, _ = from_task_list([(np.ones(3), [1.0]), (np.zeros((2, 3)), [0.0, 1.0])])
    assert X.shape == (3, 3)  # a 1-D X_t of one sample is its row


def test_ordered_categorical_tasks_out_of_sorted_order_warn(data):
    """tasks_ follows sorted labels: an ordered Categorical whose order differs says
    so to the models that chain the tasks in tasks_ order (graph="chain", the fused
    models), once, at the caller's line, through tasks= and task_column alike; models
    without a task order, its codes, or categories in sorted order fit silently."""
    pd = pytest.importorskip("pandas")
    from skmtl import FusedSparseGroupLassoRegressor, GraphRegularizedRegressor

    X, y, tasks = data
    visits = np.array(["baseline", "6mo", "12mo"])
    ordered = pd.Series(pd.Categorical(visits[tasks], categories=visits, ordered=True))
    frame = pd.DataFrame(X).assign(visit=ordered)
    frame.columns = frame.columns.astype(str)
    chain = GraphRegularizedRegressor(graph="chain")
    with pytest.warns(UserWarning, match=r"order \[baseline, 6mo, 12mo\] is not the sorted"):
        model = chain.fit(X, y, tasks=ordered)
    np.testing.assert_array_equal(model.tasks_, ["12mo", "6mo", "baseline"])
    from skmtl.model_selection import FusedSparseGroupLassoRegressorCV

    for fit in (
        lambda: chain.fit(X, y, tasks=ordered),
        lambda: FusedSparseGroupLassoRegressor(task_column="visit").fit(frame, y),
        lambda: FusedSparseGroupLassoRegressorCV(task_column="visit", cv=3).fit(frame, y),
        lambda: GraphRegularizedRegressor(graph="chain").partial_fit(X, y, tasks=ordered),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit()
        assert [str(w.message)[:39] for w in caught] == ["The task labels are an ordered Categori"]
        assert caught[0].filename == __file__  # (the caller's line, not skmtl's)
    with pytest.warns(UserWarning, match="pass their codes"):  # weights in task order
        GroupLassoRegressor(task_weights=[1.0, 1.0, 0.0]).fit(X, y, tasks=ordered)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.predict(X, tasks=ordered)  # said at fit only
        GroupLassoRegressor().fit(X, y, tasks=ordered)  # no task order
        GroupLassoRegressor(task_weights={"12mo": 0.0}).fit(X, y, tasks=ordered)  # by label
        GroupLassoRegressor(task_column="visit").fit(frame, y)
        chain.fit(X, y, tasks=ordered.cat.codes)
        in_order = ordered.cat.reorder_categories(sorted(visits))
        chain.fit(X, y, tasks=in_order)


def test_numbered_string_tasks_out_of_numeric_order_warn_where_order_matters():
    """Labels "month1".."month12" sort as text (month10 before month2): the chain of
    graph="chain" and the fused models' time would link the wrong months, so those
    models say so at fit; models without a task order, zero-padded labels and labels
    whose text order is their numbers' fit silently."""
    from skmtl import FusedSparseGroupLassoRegressor, GraphRegularizedRegressor

    rng = np.random.RandomState(0)
    months = np.repeat(np.arange(1, 13), 6)
    X = rng.randn(len(months), 2)
    y = X[:, 0] * months / 12 + 0.1 * rng.randn(len(months))
    text = np.array([f"month{m}" for m in months])
    for model in (GraphRegularizedRegressor(graph="chain"), FusedSparseGroupLassoRegressor()):
        with pytest.warns(UserWarning, match=r"month10.*is not the order of their numbers"):
            model.fit(X, y, tasks=text)
    padded = np.array([f"month{m:02d}" for m in months])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GraphRegularizedRegressor().fit(X, y, tasks=text)  # (every pair linked)
        GroupLassoRegressor(alpha=0.01).fit(X, y, tasks=text)
        chained = GraphRegularizedRegressor(graph="chain").fit(X, y, tasks=padded)
        by_number = GraphRegularizedRegressor(graph="chain").fit(X, y, tasks=months)
    # the padded labels chain the months in order: the integer labels' model
    np.testing.assert_allclose(chained.coef_, by_number.coef_, rtol=1e-6, atol=1e-9)
    with pytest.warns(UserWarning, match=r"order \[10, 2, 3\] is not the order"):
        GraphRegularizedRegressor(graph="chain").fit(
            X, y, tasks=np.array(["2", "3", "10"])[months % 3]
        )
    chain = GraphRegularizedRegressor(graph="chain")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # numbers in text order ("1.25" < "1.5"), or labels that differ by more than
        # their numbers, or a graph matrix (which follows tasks_ as given)
        chain.fit(X, y, tasks=np.array(["1.25", "1.5", "2.0"])[months % 3])
        chain.fit(X, y, tasks=np.array(["x-1", "x1", "site-A"])[months % 3])
    # arrays in task order (a graph matrix, task weights) follow tasks_ too
    graph = np.ones((12, 12)) - np.eye(12)
    for model in (
        GraphRegularizedRegressor(graph=graph),
        GroupLassoRegressor(task_weights=months[::6]),
    ):
        with pytest.warns(UserWarning, match=r"month10.*is not the order of their numbers"):
            model.fit(X, y, tasks=text)
    # labels the check cannot sort get the labels' own errors
    with pytest.raises(ValueError, match="missing labels"):
        chain.fit(X, y, tasks=np.where(months == 1, None, text).astype(object))
    # a *CV says it once (not for each fold and the refit)
    from skmtl.model_selection import GraphRegularizedRegressorCV

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        GraphRegularizedRegressorCV(graph="chain", alphas=2, betas=[0.01], cv=2).fit(
            X, y, tasks=text
        )
    assert sum("is not the order of their numbers" in str(w.message) for w in caught) == 1
    # partial_fit: said when a later chunk's new labels break the order
    chunked = GraphRegularizedRegressor(graph="chain")
    early = months <= 9
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        chunked.partial_fit(X[early], y[early], tasks=text[early])
    with pytest.warns(UserWarning, match="month10.*is not the order of their numbers"):
        chunked.partial_fit(X[~early], y[~early], tasks=text[~early])


def test_mixed_task_label_types(data):
    X, y, _ = data
    labels = np.array([1, "a"] * 40, dtype=object)
    with pytest.raises(ValueError, match="tasks mixes labels of types"):
        GroupLassoRegressor().fit(X, y, tasks=labels)


def test_task_labels_of_another_type_at_predict(data):
    """The string "2" for the task 2 (or the reverse) is refused, in every container,
    not predicted with the population model as an unseen task."""
    import pandas as pd

    X, y, tasks = data
    model = GroupLassoRegressor(alpha=0.1).fit(X, y, tasks=tasks)
    expected = model.predict(X[:3], tasks=tasks[:3])
    for strings in (["2"] * 3, pd.Series(["2"] * 3), np.array(["2"] * 3, dtype=object)):
        with pytest.raises(ValueError, match=r"labels of type string \(\['2'\]\).*type number"):
            model.predict(X[:3], tasks=strings)
    on_strings = GroupLassoRegressor(alpha=0.1).fit(X, y, tasks=tasks.astype(str))
    with pytest.raises(ValueError, match=r"type number \(\[2\]\).*type string"):
        on_strings.predict(X[:3], tasks=[2, 2, 2])
    # labels of the fit's kind in another container or dtype are the same tasks
    same = (list(tasks[:3]), pd.Series(tasks[:3]), tasks[:3].astype(float))
    for labels in same:
        np.testing.assert_allclose(model.predict(X[:3], tasks=labels), expected)
    np.testing.assert_allclose(
        on_strings.predict(X[:3], tasks=pd.Series(tasks[:3].astype(str)).astype("category")),
        expected,
        rtol=1e-12,
    )


def test_task_column_counts_as_an_input_column(data):
    """As in scikit-learn, n_features_in_ and feature_names_in_ describe the X given
    to fit: with task_column, the task column too."""
    pd = pytest.importorskip("pandas")
    X, y, tasks = data
    model = GroupLassoRegressor(task_column=0).fit(np.column_stack([tasks, X]), y)
    assert model.n_features_in_ == X.shape[1] + 1 == model.coef_.shape[1] + 1
    d = X.shape[1]
    with pytest.raises(ValueError, match=f"X has {d} features.*expecting {d + 1}"):
        model.predict(X)
    frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(X.shape[1])])
    frame.insert(1, "school", tasks.astype(str))
    model = GroupLassoRegressor(task_column="school").fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    with pytest.raises(ValueError, match="school"):
        model.predict(frame.drop(columns="school"))


def test_regressor_with_string_targets_names_y(data):
    X, _, tasks = data
    labels = np.array(["a", "b"] * 40)
    with pytest.raises(ValueError, match="y must hold numbers.*use a classifier"):
        GroupLassoRegressor().fit(X, labels, tasks=tasks)
    with pytest.raises(ValueError, match="y must hold numbers.*use a classifier"):
        GroupLassoRegressor().fit(X, np.column_stack([labels, labels]))


def test_2d_y_with_tasks(data):
    X, y, tasks = data
    with pytest.raises(ValueError, match="With tasks=, y must be 1-D"):
        GroupLassoRegressor().fit(X, np.column_stack([y, y]), tasks=tasks)


def test_other_sparse_formats_and_dtypes_are_converted(data):
    X, y, tasks = data
    reference = GroupLassoRegressor(alpha=0.05, tol=1e-10).fit(X, y, tasks=tasks)
    for Xc in (sp.coo_matrix(X), sp.lil_matrix(X), sp.csc_array(X), X.astype(np.float32)):
        model = GroupLassoRegressor(alpha=0.05, tol=1e-10).fit(Xc, y, tasks=tasks)
        np.testing.assert_allclose(model.coef_, reference.coef_, rtol=1e-5, atol=1e-7)
        assert model.coef_.dtype == np.float64
    Xi = np.round(X * 10).astype(int)
    model = GroupLassoRegressor(alpha=0.05).fit(Xi, y, tasks=tasks)
    assert model.coef_.dtype == np.float64


def test_from_task_list_errors():
    with pytest.raises(ValueError, match="at least one"):
        from_task_list([])
    with pytest.raises(ValueError, match="Task 1: X_t has 2 rows but y_t has 3"):
        from_task_list([(np.ones((2, 2)), [1, 2]), (np.ones((2, 2)), [1, 2, 3])])
    with pytest.raises(ValueError, match="Task 1: X_t has 3 columns but task 0 has 2"):
        from_task_list([(np.ones((2, 2)), [1, 2]), (np.ones((2, 3)), [1, 2])])
    # a task without rows would vanish from the labels (pair 2 would become task 1)
    with pytest.raises(ValueError, match="Task 1: X_t has no rows"):
        from_task_list([(np.ones((2, 2)), [1, 2]), (np.ones((0, 2)), []), (np.ones((1, 2)), [3])])
    with pytest.raises(ValueError, match="Task 1: X_t has no rows"):
        from_task_list([(np.ones((2, 2)), [1, 2]), ([], [])])
    X, y, tasks = from_task_list([(sp.csr_matrix(np.eye(2)), [1, 2]), (np.ones((1, 2)), [3])])
    assert sp.issparse(X) and X.shape == (3, 2) and list(tasks) == [0, 0, 1]


def test_non_numeric_features():
    X = np.array([["a", 1.0], ["b", 2.0], ["c", 3.0]], dtype=object)
    with pytest.raises(ValueError, match="X must hold numbers only.*OneHotEncoder"):
        GroupLassoRegressor().fit(X, [1.0, 2.0, 3.0])
    model = GroupLassoRegressor(alpha=0.01, task_column=0).fit(
        np.array([["a", 1.0], ["a", 2.0], ["b", 3.0], ["b", 1.0]], dtype=object),
        [1.0, 2.0, 3.0, 1.0],
    )
    assert list(model.tasks_) == ["a", "b"]


def test_score_names_targets_of_another_length(data):
    X, y, tasks = data
    model = GroupLassoRegressor().fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match=r"y has shape \(5,\) but the predictions for X"):
        model.score(X, y[:5], tasks=tasks)
    wide = GroupLassoRegressor().fit(X[:20], np.column_stack([y[:20], y[20:40]]))
    with pytest.raises(ValueError, match=r"one column per task for a wide y"):
        wide.score(X[:20], y[:20])
    labels = y > np.median(y)
    classifier = GroupLassoClassifier().fit(X, labels, tasks=tasks)
    with pytest.raises(ValueError, match=r"y has shape \(5,\)"):
        classifier.score(X, labels[:5], tasks=tasks)


def test_missing_task_labels_are_named(data):
    """A missing label among strings (None, NaN in an object column, pandas.NA) is
    called missing, not a mix of label types."""
    pd = pytest.importorskip("pandas")
    X, y, tasks = data
    names = np.array(["a", "b", "c"], dtype=object)[tasks]
    with_none, with_nan = names.copy(), names.copy()
    with_none[4], with_nan[4] = None, np.nan
    with_na = pd.Series(names, dtype="string")
    with_na[4] = pd.NA
    as_list = list(names)  # NumPy alone would make NaN the label "nan"
    as_list[4] = np.nan
    for labels in (with_none, with_nan, with_na, as_list):
        with pytest.raises(ValueError, match="tasks contains missing labels"):
            GroupLassoRegressor().fit(X, y, tasks=labels)


def test_missing_class_labels_are_refused(data):
    """A stacked classifier target with a missing label (pandas.NA of a nullable
    integer column, NaN among objects) is refused, not fitted as a class "nan"."""
    pd = pytest.importorskip("pandas")
    X, _, tasks = data
    labels = (np.arange(len(tasks)) // (len(tasks) // 2)).clip(0, 1)
    nullable = pd.Series(labels, dtype="Int64")
    nullable[0] = pd.NA
    as_object = labels.astype(object)
    as_object[0] = np.nan
    for y in (nullable, as_object):
        with pytest.raises(ValueError, match="y contains missing labels"):
            GroupLassoClassifier(intercept_pooling=1.0).fit(X, y, tasks=tasks)


@pytest.mark.parametrize("scaled", ["X", "y", "sample_weight"])
@pytest.mark.parametrize(
    "make", [GroupLassoRegressor, lambda: GroupLassoRegressor(loss="poisson"), TraceNormRegressor]
)
def test_entries_whose_squares_overflow_are_refused(data, make, scaled):
    """Finite entries beyond 1e100 overflow the squares the solvers form: a clear
    error naming the input, not a LinAlgError or a diverged objective (fit and
    partial_fit; the weights' common factor is free, and refused above it too)."""
    X, y, tasks = data
    y = np.abs(np.round(y))  # (counts, for the Poisson loss)
    inputs = dict(X=X, y=y, sample_weight=np.ones(len(y)))
    inputs[scaled] = inputs[scaled] * 1e200
    model = make()
    with pytest.raises(ValueError, match=f"^{scaled} has entries up to .* overflow"):
        model.fit(inputs["X"], inputs["y"], tasks=tasks, sample_weight=inputs["sample_weight"])
    if hasattr(model, "partial_fit"):
        with pytest.raises(ValueError, match=f"^{scaled} has entries up to"):
            model.partial_fit(
                inputs["X"], inputs["y"], tasks=tasks, sample_weight=inputs["sample_weight"]
            )


def test_non_numbers_and_scores_are_named(data):
    """Strings where numbers belong, and a scorer's y that does not match, name the
    argument: fit's and partial_fit's sample_weight, partial_fit's and score's y,
    TaskScorer's y (one short, or with a missing target); an average over tasks
    that no task defines raises instead of returning NaN."""
    from skmtl import IncompleteMultiSourceRegressor
    from skmtl.model_selection import TaskScorer

    X, y, tasks = data
    words = np.array(["a"] * len(y))
    for call in (GroupLassoRegressor().fit, GroupLassoRegressor().partial_fit):
        with pytest.raises(ValueError, match="^sample_weight must hold numbers"):
            call(X, y, tasks=tasks, sample_weight=words)
        with pytest.raises(ValueError, match="^y must hold numbers"):
            call(X, words, tasks=tasks)
    model = GroupLassoRegressor().fit(X, y, tasks=tasks)
    with pytest.raises(ValueError, match="^y must hold numbers"):
        model.score(X, words, tasks=tasks)
    with pytest.raises(ValueError, match=r"^y has shape \(\d+,\) but the predictions"):
        TaskScorer()(model, X, y[:-1], tasks=tasks)
    with pytest.raises(ValueError, match="^y has 1 missing target"):
        TaskScorer()(model, X, np.r_[np.nan, y[1:]], tasks=tasks)
    first = np.unique(tasks, return_index=True)[1]  # one row per task
    with pytest.raises(ValueError, match="defined on no task of these 3 rows"):
        TaskScorer(average="tasks")(model, X[first], y[first], tasks=tasks[first])
    negative = np.ones(len(y))
    negative[0] = -1.0
    imsf = IncompleteMultiSourceRegressor().fit(X, y)
    with pytest.raises(ValueError, match="sample_weight has negative values"):
        imsf.score(X, y, sample_weight=negative)


def test_missing_task_labels_among_numbers_are_refused(data):
    """NaN among integer labels of object dtype (a pandas column with a gap) sorts
    nowhere: np.unique would split a task in two. Refused at fit, partial_fit and
    predict, as a float NaN is."""
    X, y, tasks = data
    labels = tasks.astype(object)
    labels[4] = np.nan
    model = GroupLassoRegressor().fit(X, y, tasks=tasks)
    for call in (GroupLassoRegressor().fit, GroupLassoRegressor().partial_fit):
        with pytest.raises(ValueError, match="tasks contains missing labels"):
            call(X, y, tasks=labels)
    with pytest.raises(ValueError, match="tasks contains missing labels"):
        model.predict(X, tasks=labels)


def test_nullable_pandas_targets(data):
    """A wide y of pandas' nullable Float64 marks missing labels with pd.NA: the same
    fit as NaN in a float frame (it failed inside NumPy, 'float() argument must
    be ... not NAType')."""
    pd = pytest.importorskip("pandas")
    X, y, _ = data
    Y = pd.DataFrame(np.column_stack([y[:30], y[30:60]]))
    with_nan = Y.copy()
    with_nan.iloc[3, 1] = np.nan
    nullable = Y.astype("Float64")
    nullable.iloc[3, 1] = pd.NA
    expected = GroupLassoRegressor(alpha=0.01).fit(X[:30], with_nan)
    model = GroupLassoRegressor(alpha=0.01).fit(X[:30], nullable)
    np.testing.assert_array_equal(model.coef_, expected.coef_)


def test_nullable_pandas_class_labels(data):
    """A classifier's wide y of pandas' string dtype marks missing labels with pd.NA
    (the fit of NaN in an object frame); in the stacked form a missing label is an
    error that says so (both failed inside NumPy)."""
    pd = pytest.importorskip("pandas")
    X, y, tasks = data
    words = np.where(y > np.median(y), "yes", "no")
    Y = pd.DataFrame(np.column_stack([words[:30], words[30:60]])).astype("string")
    Y.iloc[3, 1] = pd.NA
    with_nan = Y.astype(object)
    with_nan.iloc[3, 1] = np.nan
    expected = GroupLassoClassifier().fit(X[:30], with_nan)
    model = GroupLassoClassifier().fit(X[:30], Y)
    np.testing.assert_array_equal(model.coef_, expected.coef_)
    stacked = pd.Series(words, dtype="string")
    stacked[4] = pd.NA
    as_list = list(words)  # NumPy alone would make NaN the class "nan"
    as_list[4] = np.nan
    for labels in (stacked, stacked.astype(object).where(stacked.notna(), None), as_list):
        with pytest.raises(ValueError, match="y contains missing labels"):
            GroupLassoClassifier().fit(X, labels, tasks=tasks)


def test_mixed_label_types_are_a_clear_error():
    X, _, tasks = make_tasks(seed=70)
    y = np.array([1, "a"], dtype=object)[(X[:, 0] > 0).astype(int)]
    with pytest.raises(ValueError, match=r"mixes labels of the types \['int', 'str'\]"):
        GroupLassoClassifier().fit(X, y, tasks=tasks)


def test_column_vector_labels_are_one_task_as_in_scikit_learn():
    """A classifier's y of shape (n, 1) is raveled with a DataConversionWarning, as
    scikit-learn's classifiers do: predictions of shape (n,), probabilities (n, 2)."""
    from sklearn.exceptions import DataConversionWarning

    X, _, _ = make_tasks(seed=71)
    y = (X[:, 0] > 0).astype(int)
    with pytest.warns(DataConversionWarning, match="column-vector y"):
        column = GroupLassoClassifier(alpha=0.01).fit(X, y[:, None])
    flat = GroupLassoClassifier(alpha=0.01).fit(X, y)
    assert column.predict(X).shape == (len(y),)
    np.testing.assert_array_equal(column.predict_proba(X), flat.predict_proba(X))


def test_unknown_task_warning_points_at_the_caller():
    X, y, tasks = make_tasks(seed=72)
    model = GroupLassoClassifier().fit(X, y > np.median(y), tasks=tasks)
    for method in ("predict", "predict_proba", "decision_function"):
        with pytest.warns(UnknownTaskWarning) as caught:
            getattr(model, method)(X, tasks=np.full(len(X), 9))
        assert caught[0].filename == __file__


def test_task_labels_that_differ_in_case_or_space_warn(data):
    """ "Store 01", " store 01 " and "STORE 01" are three tasks: a warning names
    them and the fix (they were separate tasks silently)."""
    X, y, tasks = data
    names = np.array(["Store 01", " store 01 ", "STORE  01", "Store 02"], dtype=object)
    labels = names[tasks % 4]
    with pytest.warns(UserWarning, match=r"1 group\(s\) of task labels differ only in case"):
        GroupLassoRegressor().fit(X, y, tasks=labels)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        GroupLassoRegressor().fit(X, y, tasks=np.array(["a", "b", "c"])[tasks % 3])
    # partial_fit checks them too, across its chunks (once, when new labels arrive)
    first, later = tasks == 0, tasks == 1  # "Store 01", then " store 01 "
    model = GroupLassoRegressor().partial_fit(X[first], y[first], tasks=labels[first])
    with pytest.warns(UserWarning, match=r"1 group\(s\) of task labels differ only in case"):
        model.partial_fit(X[later], y[later], tasks=labels[later])
    with warnings.catch_warnings():  # the same labels, then an unrelated new one
        warnings.simplefilter("error", UserWarning)
        model.partial_fit(X[later], y[later], tasks=labels[later])
        other = np.where(later, "Other", labels)[later]
        model.partial_fit(X[later], y[later], tasks=np.r_[other[:3], labels[later][3:]])
    with pytest.warns(UserWarning, match="was the task column scaled"):
        GroupLassoRegressor().partial_fit(X, y, tasks=tasks + 0.5)


def test_a_date_column_in_x_is_named():
    """A datetime column left in a DataFrame X: an error that names it and the fix
    (numpy's dtype-promotion traceback before)."""
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(
        {
            "store": np.repeat(["A", "B"], 10),
            "price": rng.randn(20),
            "date": pd.date_range("2023-01-01", periods=20, freq="D"),
        }
    )
    y = rng.randn(20)
    with pytest.raises(ValueError, match=r"column\(s\) \['date'\] hold dates"):
        GroupLassoRegressor(task_column="store").fit(frame, y)
    with pytest.raises(ValueError, match=r"\['date'\] hold dates"):
        GroupLassoRegressor().fit(frame.drop(columns="store"), y, tasks=frame["store"])


def test_tuple_task_labels_are_one_label_each():
    """A list of tuples, e.g. (district, year), is one compound label per sample, as
    the same tuples in an object array (np.asarray made their entries columns, and
    fit refused a 2-D array); a list of lists is refused with a message that says
    why."""
    X, y, tasks = make_tasks()
    pairs = [("g", int(t), int(t) % 2) for t in tasks]  # (sorted as the tasks)
    as_objects = np.empty(len(pairs), dtype=object)
    as_objects[:] = pairs
    ours = GroupLassoRegressor(alpha=0.1).fit(X, y, tasks=pairs)
    ref = GroupLassoRegressor(alpha=0.1).fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(ours.coef_, ref.coef_)
    assert list(ours.tasks_) == sorted(set(pairs))
    np.testing.assert_array_equal(ours.predict(X, tasks=pairs), ref.predict(X, tasks=tasks))
    np.testing.assert_array_equal(ours.predict(X, tasks=as_objects), ref.predict(X, tasks=tasks))
    with pytest.raises(ValueError, match=r"got shape \(\d+, 3\).*as tuples"):
        GroupLassoRegressor().fit(X, y, tasks=[list(p) for p in pairs])
    mixed = pairs[:-1] + ["other"]
    with pytest.raises(ValueError, match="mix tuples with other labels.*'other'"):
        GroupLassoRegressor().fit(X, y, tasks=mixed)


def test_the_same_numbers_fit_the_same_model_whatever_their_memory_layout():
    """A DataFrame's array is Fortran-ordered: its sums ran in another order than a C
    array's, and a quantile fit near its budget went from certified (921
    iterations) to a ConvergenceWarning at 1000. X and a wide y are now taken in C
    order: the fits are equal to the last bit."""
    import pandas as pd

    rng = np.random.RandomState(0)
    X = rng.randn(90, 5) * [1, 10, 100, 0.1, 1]
    Y = X @ rng.randn(5, 3) + rng.standard_t(2, (90, 3))
    fits = [
        TraceNormRegressor(loss="huber").fit(X_, Y_)
        for X_, Y_ in (
            (X, Y),
            (np.asfortranarray(X), np.asfortranarray(Y)),
            (pd.DataFrame(X), pd.DataFrame(Y)),
        )
    ]
    for fitted in fits[1:]:
        np.testing.assert_array_equal(fitted.coef_, fits[0].coef_)
        np.testing.assert_array_equal(fitted.intercept_, fits[0].intercept_)
        assert fitted.n_iter_ == fits[0].n_iter_


def test_rows_gathered_task_by_task_fit_the_same_model_whatever_their_layout():
    """Stacked rows out of task order (and rows of zero weight) are gathered from X's
    own layout into one C-ordered copy: the same fit, to the last bit, from a C
    array, a Fortran array and a DataFrame."""
    import pandas as pd

    X, y, tasks = make_tasks()
    order = np.random.RandomState(1).permutation(len(y))
    X, y, tasks = X[order] * [1, 10, 100, 0.1, 1, 1000], y[order], tasks[order]
    weights = np.where(np.arange(len(y)) % 7 == 0, 0.0, 1.0)
    fits = [
        GroupLassoRegressor(alpha=0.05, loss="huber").fit(X_, y, tasks=tasks, sample_weight=weights)
        for X_ in (X, np.asfortranarray(X), pd.DataFrame(X))
    ]
    for fitted in fits[1:]:
        np.testing.assert_array_equal(fitted.coef_, fits[0].coef_)
        np.testing.assert_array_equal(fitted.intercept_, fits[0].intercept_)


def test_a_frame_of_task_shuffled_rows_is_copied_once():
    """A DataFrame's Fortran-ordered array was copied to C order, then again to put its
    rows task by task: the fit peaked at over twice X's size. Gathered from its own
    layout, X is copied once."""
    import tracemalloc

    import pandas as pd

    rng = np.random.RandomState(0)
    n, d = 100_000, 20
    X = pd.DataFrame(rng.randn(n, d))
    tasks = rng.randint(0, 50, n)
    y = X[0].to_numpy() + rng.randn(n)
    if tracemalloc.is_tracing():
        pytest.skip("tracemalloc is already tracing: its peak holds more than this fit")
    tracemalloc.start()
    try:
        GroupLassoRegressor(alpha=0.1).fit(X, y, tasks=tasks)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1.5 * X.to_numpy().nbytes


def test_tuple_task_labels_in_model_selection_partial_fit_and_main_task():
    """Tuple labels as ints everywhere labels are read: TaskStratifiedKFold's groups,
    a *CV fit, partial_fit and main_task (each turned them into a 2-D array, or
    compared a tuple main_task entry by entry)."""
    from skmtl.model_selection import GroupLassoRegressorCV, TaskScorer, TaskStratifiedKFold

    X, y, tasks = make_tasks()
    pairs = [("g", int(t)) for t in tasks]
    split = TaskStratifiedKFold(3, shuffle=True, random_state=0)
    for (a, b), (c, d) in zip(split.split(X, y, pairs), split.split(X, y, tasks), strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)
    ours = GroupLassoRegressorCV(alphas=4).fit(X, y, tasks=pairs)
    ref = GroupLassoRegressorCV(alphas=4).fit(X, y, tasks=tasks)
    assert ours.alpha_ == ref.alpha_
    np.testing.assert_array_equal(ours.coef_, ref.coef_)
    half = len(y) // 2
    chunked = GroupLassoRegressor(alpha=0.1, tol=1e-12)
    chunked.partial_fit(X[:half], y[:half], tasks=pairs[:half])
    chunked.partial_fit(X[half:], y[half:], tasks=pairs[half:])
    whole = GroupLassoRegressor(alpha=0.1, tol=1e-12).partial_fit(X, y, tasks=tasks)
    np.testing.assert_allclose(chunked.coef_, whole.coef_, rtol=1e-6, atol=1e-9)
    main = GroupLassoRegressor(alpha=0.1, main_task=("g", 1)).fit(X, y, tasks=pairs)
    by_int = GroupLassoRegressor(alpha=0.1, main_task=1).fit(X, y, tasks=tasks)
    assert main.score(X, y, tasks=pairs) == by_int.score(X, y, tasks=tasks)
    cv = GroupLassoRegressorCV(alphas=4, main_task=("g", 1)).fit(X, y, tasks=pairs)
    cv_int = GroupLassoRegressorCV(alphas=4, main_task=1).fit(X, y, tasks=tasks)
    np.testing.assert_array_equal(cv.mse_path_, cv_int.mse_path_)
    scorer = TaskScorer("r2", average="tasks")
    assert scorer(ref, X, y, tasks=tasks) == scorer(
        GroupLassoRegressorCV(alphas=4).fit(X, y, tasks=pairs), X, y, tasks=pairs
    )
    by_class = TaskStratifiedKFold(3, by_class=True, shuffle=True, random_state=0)
    labels = (y > np.median(y)).astype(int)
    for (a, _), (c, _) in zip(
        by_class.split(X, labels, pairs), by_class.split(X, labels, tasks), strict=True
    ):
        np.testing.assert_array_equal(a, c)
    # a tuple main_task among labels that are not tuples is no label (not entry by entry)
    for wrong in [(0, 5), (1,)]:
        with pytest.raises(ValueError, match="is not one of the tasks"):
            GroupLassoRegressor(main_task=wrong).fit(X, y, tasks=tasks)


def test_string_task_labels_encode_as_numpy_sorts_them():
    """Object arrays of strings are encoded by a hash table (pandas), ints and
    mixed kinds by np.unique: the same sorted labels and codes as np.unique."""
    from skmtl._inputs import encode_task_labels

    rng = np.random.RandomState(0)
    names = np.array(["b", "a", "ä", "B", "a ", "école", "Z9", "z10", ""], dtype=object)
    labels = names[rng.randint(0, len(names), 500)]
    unique, codes = encode_task_labels(labels, len(labels))
    expected_unique, expected_codes = np.unique(labels, return_inverse=True)
    assert unique.dtype == object and all(type(v) is str for v in unique)
    np.testing.assert_array_equal(unique, expected_unique)
    np.testing.assert_array_equal(codes, expected_codes)


def test_string_task_labels_encode_without_pandas(monkeypatch):
    """Without pandas (an optional dependency) strings go to np.unique."""
    import sys

    from skmtl._inputs import _factorize_strings, encode_task_labels

    labels = np.array(["b", "a", "c", "a"], dtype=object)
    assert _factorize_strings(labels) is not None
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas fails
    assert _factorize_strings(labels) is None
    unique, codes = encode_task_labels(labels, len(labels))
    np.testing.assert_array_equal(unique, ["a", "b", "c"])
    np.testing.assert_array_equal(codes, [1, 0, 2, 0])
