"""Every example script runs and prints its results."""

import runpy
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_example_runs(path, capsys):
    pytest.importorskip("matplotlib").use("Agg")
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()
