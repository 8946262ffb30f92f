"""Layering runs one way: app -> graphviz_utils -> engine -> torch."""

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
    assert not {"streamlit", "graphviz"} & mods


def test_graphviz_utils_does_not_import_streamlit():
    """graphviz_utils may use engine and graphviz, never streamlit."""
    mods = imported_after("graphviz_utils")
    assert "graphviz" in mods
    assert "streamlit" not in mods
