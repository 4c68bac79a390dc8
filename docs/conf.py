"""Sphinx configuration of the skmtl documentation."""

import skmtl

project = "skmtl"
author = "the skmtl developers"
release = version = skmtl.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
autosummary_generate = True
# the class template (docs/_templates/autosummary/class.rst) documents every method,
# inherited ones included, so numpydoc need not list them a second time
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_typehints = "none"  # types are in the numpydoc parameter lists
default_role = "literal"
exclude_patterns = [
    "_build",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
]
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
}
html_theme = "alabaster"
html_title = "skmtl"
html_theme_options = {"page_width": "1100px", "sidebar_width": "240px"}
suppress_warnings = ["config.cache"]

# Nitpicky mode (-n) must pass. The build works offline, so there is no intersphinx:
# references to other projects' objects (in our docstrings and in the docstrings
# inherited from scikit-learn's BaseEstimator, e.g. set_params and the
# metadata-routing requests) cannot resolve and are ignored here, by package.
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|scipy|sklearn|pandas|dask|matplotlib|joblib|cvxpy)(\..*)?"),
    # builtins and typing names appearing in inherited docstrings
    (r"py:.*", r"(str|int|float|bool|dict|list|tuple|object|None|callable|Any|Self)"),
    # labels and glossary terms of the scikit-learn docs in its inherited docstrings
    ("std:ref", "(metadata_routing|r2_score|accuracy_score)"),
    ("std:term", "meta-estimator"),
]
