"""The documentation: every python code block of the guide runs, no page cites the
internal specification, and the built HTML renders the API (parameters, methods).

The HTML checks need a built site: ``docs/_build/html`` (as .ci/run builds it), or
the directory named by the ``SKMTL_DOCS_HTML`` environment variable; they are
skipped otherwise.
"""

from __future__ import annotations

import doctest
import os
import re
from pathlib import Path

import pytest

import skmtl
import skmtl.model_selection

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SOURCES = sorted(
    p for p in DOCS.rglob("*.rst") if not {"_build", "generated", "auto_examples"} & set(p.parts)
)
#: ``.. code-block:: python`` (or ``.. code:: python``) and its indented body
_BLOCK = re.compile(
    r"^\.\. (?:code-block|code|sourcecode):: python\n((?:[ \t]*\n)*(?:(?:   .*)?\n)+)", re.M
)


def python_blocks(text):
    """The code of each python block of an .rst text, dedented."""
    blocks = []
    for body in _BLOCK.findall(text + "\n"):
        lines = [line[3:] for line in body.splitlines()]
        if lines and lines[0].lstrip().startswith(":"):  # directive options
            lines = [line for line in lines if not line.lstrip().startswith(":")]
        blocks.append("\n".join(lines).strip("\n"))
    return blocks


def test_python_blocks_are_found():
    blocks = python_blocks(".. code-block:: python\n\n   x = 1\n\n   y = x\n\nprose\n")
    assert blocks == ["x = 1\n\ny = x"]
    assert sum(len(python_blocks(p.read_text())) for p in SOURCES) >= 10


@pytest.mark.parametrize("page", SOURCES, ids=lambda p: str(p.relative_to(DOCS)))
def test_code_blocks_run(page, tmp_path, monkeypatch):
    """Each page's python blocks run in order in one namespace, as a reader would
    paste them; ``>>>`` examples are checked as doctests."""
    monkeypatch.chdir(tmp_path)
    pytest.importorskip("matplotlib").use("Agg")
    text = page.read_text()
    namespace = {"__name__": "__docs__"}
    for code in python_blocks(text):
        exec(compile(code, str(page), "exec"), namespace)
    if ">>> " in text:
        test = doctest.DocTestParser().get_doctest(text, {}, page.name, str(page), 0)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test)
        assert runner.failures == 0


def test_docs_do_not_cite_the_internal_spec():
    pattern = re.compile(r"spec [0-9]|shared/spec|ALGORITHMS\.md")
    files = SOURCES + sorted((ROOT / "skmtl").rglob("*.py")) + [ROOT / "README.md"]
    cited = [str(f.relative_to(ROOT)) for f in files if pattern.search(f.read_text())]
    assert cited == []


# ---------------------------------------------------------------- the built HTML
def _html_dir():
    given = os.environ.get("SKMTL_DOCS_HTML")
    candidates = [Path(given)] if given else [DOCS / "_build" / "html", DOCS / "_build"]
    for path in candidates:
        if (path / "generated").is_dir() and (path / "index.html").is_file():
            return path
    return None


HTML = _html_dir()
needs_html = pytest.mark.skipif(
    HTML is None, reason="docs not built (docs/_build/html or SKMTL_DOCS_HTML)"
)


def test_ci_runs_the_tests_of_the_built_html():
    """CI (``CI`` set, as by .ci/run's callers) builds the HTML first: the tests of the
    rendered pages must then run, not skip."""
    if not os.environ.get("CI"):
        pytest.skip("not on CI")
    assert HTML is not None, "CI is set but the HTML docs are not built (docs/_build/html)"


# the task-API estimators (iMSF wraps one: its tasks are its missing-data patterns)
ESTIMATORS = [
    n
    for n in skmtl.__all__
    if n.endswith(("Regressor", "Classifier")) and not n.startswith("IncompleteMultiSource")
]
CV_CLASSES = [n for n in skmtl.model_selection.__all__ if n.endswith("CV")]


def _page(path):
    file = HTML / "generated" / f"{path}.html"
    assert file.is_file(), f"no API page {file.name}"
    return file.read_text()


def _member(html, anchor):
    """The HTML of one documented member, from its anchor to the next member."""
    start = html.index(f'id="{anchor}"')
    end = html.find('<dt class="sig sig-object py"', start)
    return html[start : end if end > 0 else None]


def _parameter(name):
    return f"<strong>{name}</strong>"


@needs_html
@pytest.mark.parametrize("name", ESTIMATORS + ["MultiTaskEstimator"])
def test_estimator_page_renders_parameters_and_methods(name):
    html = _page(f"skmtl.{name}")
    for parameter in ("intercept_pooling", "unknown_task", "task_weights", "tol"):
        # MultiTaskEstimator documents task_weights and main_task together
        assert _parameter(parameter) in html or f"<strong>{parameter}," in html, parameter
    fit = _member(html, f"skmtl.{name}.fit")
    assert '<span class="pre">tasks</span>' in fit  # in the signature
    assert _parameter("tasks") in fit  # and described
    for method in ("predict", "score", "get_params", "set_fit_request"):
        assert f'id="skmtl.{name}.{method}"' in html, method
    if name != "MultiTaskEstimator":
        assert "See also" in html or "See Also" in html
        assert "population_coef_" in html


@needs_html
@pytest.mark.parametrize("name", CV_CLASSES)
def test_cv_page_renders_its_grids(name):
    html = _page(f"skmtl.{name}")  # documented once, at its shortest public path
    cls = getattr(skmtl, name)
    for strength in cls._strengths:
        assert _parameter(f"{strength}s") in html, strength
        assert _parameter(f"{strength}_") in html, strength
    for parameter in ("cv", "n_jobs"):
        assert _parameter(parameter) in html
    assert f'id="skmtl.{name}.fit"' in html


@needs_html
def test_every_public_object_has_a_page():
    import skmtl.losses
    import skmtl.penalties

    paths = [f"skmtl.{n}" for n in skmtl.__all__]
    paths += [  # the *CV estimators have their page as skmtl.<name>
        f"skmtl.model_selection.{n}"
        for n in skmtl.model_selection.__all__
        if n not in skmtl.__all__
    ]
    paths += [f"skmtl.penalties.{n}" for n in skmtl.penalties.__all__]
    paths += [f"skmtl.losses.{n}" for n in skmtl.losses.__all__]
    paths += [
        "skmtl.statistics.TaskStatistics",
        "skmtl.plotting.cv_slice",
        "skmtl.plotting.task_order",
    ]
    missing = [p for p in paths if not (HTML / "generated" / f"{p}.html").is_file()]
    assert missing == []


@needs_html
def test_guide_renders_math_and_links_the_gallery():
    guide = HTML / "user_guide"
    pages = {p.stem: p.read_text() for p in guide.glob("*.html")}
    assert {"introduction", "models", "solvers", "evaluation"} <= set(pages)
    assert 'class="math' in pages["models"]
    assert "auto_examples/plot_" in pages["models"]


@pytest.mark.parametrize(
    "cls, path",
    [
        (skmtl.GroupLassoRegressor, "skmtl.GroupLassoRegressor"),
        (skmtl.MultiTaskEstimator, "skmtl.MultiTaskEstimator"),
        (skmtl.TraceNormRegressorCV, "skmtl.TraceNormRegressorCV"),
    ],
)
def test_html_repr_links_the_api_page(cls, path):
    assert cls()._get_doc_link().endswith(f"/generated/{path}.html")
