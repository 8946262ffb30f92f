"""Layering runs one way: app and autograd_explorer -> graphviz_utils -> engine -> torch."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_after(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return {m.split(".")[0] for m in out.stdout.split()}


def test_engine_imports_neither_streamlit_nor_graphviz():
    """Importing engine loads torch but not streamlit or graphviz."""
    mods = imported_after("engine")
    assert "torch" in mods
    assert not {"streamlit", "graphviz", "app_ui", "autograd_explorer"} & mods


def test_graphviz_utils_does_not_import_streamlit():
    """graphviz_utils may use engine and graphviz, never streamlit."""
    mods = imported_after("graphviz_utils")
    assert "graphviz" in mods
    assert not {"streamlit", "app_ui", "autograd_explorer"} & mods


def test_autograd_explorer_sits_beside_the_app():
    """The notebook package builds on graphviz_utils and engine, never on the Streamlit app;
    importing it needs no IPython either (only %load_ext does)."""
    mods = imported_after("autograd_explorer")
    assert {"engine", "graphviz_utils"} <= mods
    assert not {"streamlit", "app_ui", "IPython"} & mods


def test_the_magic_needs_ipython_but_not_the_app():
    """The %%autograd magic imports IPython, still no Streamlit."""
    mods = imported_after("autograd_explorer.magic")
    assert "IPython" in mods
    assert not {"streamlit", "app_ui"} & mods
