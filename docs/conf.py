"""Sphinx configuration of the decide docs (myst-parser + numpydoc + autosummary).

Build: ``python -m sphinx -W -b html docs docs/_build/html``. The figures of the
example pages are generated at build time by running each example with small
settings into ``docs/examples/_figures/`` (re-run only when the script changed).
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

# the examples run at build time compile pytensor functions: their disk cache lives in a
# directory of this build, not in the user's cache (as in the test suite's conftest.py)
_CACHE_DIR = tempfile.mkdtemp(prefix="decide-docs-cache-")
os.environ["DECIDE_CACHE_DIR"] = _CACHE_DIR
atexit.register(shutil.rmtree, _CACHE_DIR, True)

import decide  # noqa: E402
from decide import _config  # noqa: E402

_config.PYMC_DISK_CACHE_DIR = _CACHE_DIR  # type: ignore[misc]  (decide was imported earlier)

os.environ.setdefault("MPLBACKEND", "Agg")
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

project = "decide"
author = "decide developers"
copyright = "2026, decide developers"
version = release = decide.__version__

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "examples/_figures"]
myst_enable_extensions = ["dollarmath"]
myst_heading_anchors = 3
autosummary_generate = True
autodoc_typehints = "none"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_validation_checks: set[str] = set()
html_theme = "alabaster"
html_static_path: list[str] = []
suppress_warnings = ["myst.xref_missing"]

# example -> keyword arguments of its main() with small settings (as in tests/examples)
EXAMPLE_SETTINGS: dict[str, dict] = {
    "marketing_adstock": {"posterior": "known_draws"},
    "model_uncertainty": {"n_draws": 150},
    "treatment_choice": {"n_draws": 300},
    "newsvendor": {"n_samples": 20000},
    "portfolio": {"n_samples": 2000, "n_points": 8},
    "ab_test": {"visitors": (300, 30000)},
    "simulate_first": {"n_prior": 300, "n_replicates": 5},
    "two_channels_experiment": {"n_draws": 200, "sizes": (1, 4, 16), "refit_draws": 150},
}


def _run_example(name: str, settings: dict, out: Path) -> None:
    script = ROOT / "examples" / f"{name}.py"
    figure = out / f"{name}.png"
    if figure.exists() and figure.stat().st_mtime >= script.stat().st_mtime:
        return
    spec = importlib.util.spec_from_file_location(f"docs_example_{name}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    kwargs = dict(settings)
    if kwargs.get("posterior") == "known_draws":
        kwargs["posterior"] = module.known_draws()
    module.main(out_dir=out, **kwargs)


def _figures(app: object) -> None:
    out = HERE / "examples" / "_figures"
    out.mkdir(parents=True, exist_ok=True)
    for name, settings in EXAMPLE_SETTINGS.items():
        _run_example(name, settings, out)


def setup(app: object) -> dict:
    app.connect("builder-inited", _figures)  # type: ignore[attr-defined]
    return {"parallel_read_safe": True}


sys.path.insert(0, str(ROOT))
