"""Every example script runs and prints its results."""

import runpy
from pathlib import Path

import pytest

EXAMPLES_DIR = Path(__file__).parent.parent / "examples"
#: the gallery's scripts and those of its subsections (e.g. ``tutorials/``)
EXAMPLES = sorted(EXAMPLES_DIR.glob("**/*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.relative_to(EXAMPLES_DIR).as_posix())
def test_example_runs(path, capsys):
    pytest.importorskip("matplotlib").use("Agg")
    runpy.run_path(str(path), run_name="__main__")
    assert capsys.readouterr().out.strip()


README = Path(__file__).parent.parent / "README.md"


def _readme_blocks():
    text = README.read_text()
    return [block.split("```", 1)[0] for block in text.split("```python\n")[1:]]


@pytest.mark.parametrize("index", range(len(_readme_blocks())))
def test_readme_code_runs(index):
    """Every Python block of the README runs as written."""
    pytest.importorskip("pandas")
    exec(compile(_readme_blocks()[index], f"README block {index}", "exec"), {})
