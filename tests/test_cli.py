"""The command line's main job."""

import subprocess
import sys

from skmtl.cli import main


def test_compare_prints_a_table(capsys):
    assert (
        main(
            [
                "compare",
                "--n-tasks",
                "4",
                "--n-samples",
                "20",
                "--n-features",
                "10",
                "--n-alphas",
                "3",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:3] == ["model", "test", "R2"]
    rows = out[2:]
    assert len(rows) == 4
    scores = {line[:24].strip(): float(line[24:33]) for line in rows}
    # tasks share their features: the joint model beats the single-task lasso
    assert scores["group lasso (L2,1)"] > scores["single-task lasso"]


def test_module_entry_point_help():
    result = subprocess.run(
        [sys.executable, "-m", "skmtl", "compare", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "--n-tasks" in result.stdout and "alpha by 3-fold" in result.stdout
