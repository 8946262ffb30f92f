"""Failures in the middle of a session: each shows a clear message and the session goes on.

Graphviz missing or out of time, a graph over the node limit, a run over the time limit,
an export that fails. Every program here is unique to its test, so no cache hides a failure.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import engine

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def program(tag: str, scale: float = 1.0) -> str:
    """A small model that no other test runs (its numbers carry the tag)."""
    value = (sum(map(ord, tag)) % 97) / 10 + scale
    return f"x = [1.0, 2.0]\nw = param([{value}, 0.5])\ny = w·x + 1.0\n"


def messages(at: AppTest) -> str:
    """Every warning and error on the page, as one text."""
    return "\n".join(e.value for e in [*at.error, *at.warning])


def still_usable(at: AppTest, tag: str) -> None:
    """A fresh program afterwards runs and is drawn with no message left over."""
    at.text_area(key="program").input(program(tag, scale=7.0)).run()
    assert not at.exception
    assert "could not be drawn" not in messages(at)
    assert [e.value for e in at.error] == []
    assert any(".grad" in m.value for m in at.markdown)
    assert len(at.get("download_button")) == 5


@pytest.fixture
def at() -> AppTest:
    page = AppTest.from_file(APP, default_timeout=60)
    page.session_state["menu-download"] = True  # the Download menu open: its buttons are made
    page.run()
    assert not page.exception
    return page


def test_dot_missing_says_so_and_recovers(at, monkeypatch, tmp_path):
    """With no `dot` on PATH the page says Graphviz is not installed; later edits draw again."""
    monkeypatch.setenv("PATH", str(tmp_path))
    at.text_area(key="program").input(program("dot-missing")).run()
    assert not at.exception
    assert "not installed" in messages(at)
    assert any(".grad" in m.value for m in at.markdown), "the step card still explains"
    assert at.get("download_button") == [], "no download is offered that would fail"
    assert any("Nothing to download" in c.value for c in at.caption)
    monkeypatch.undo()
    still_usable(at, "dot-missing")


def test_dot_timeout_says_so_and_recovers(at, monkeypatch):
    """Graphviz over its time limit: a message naming the limit; the next program is drawn."""
    import graphviz_utils.layout as layout

    def too_slow(*args, **kwargs):
        raise subprocess.TimeoutExpired(args[0] if args else "dot", kwargs.get("timeout", 10))

    def pool_too_slow(*args, **kwargs):
        raise layout.dot_worker.DotTimeout()

    # Both ways dot runs: once per call, and the long-lived processes behind layout_svg.
    monkeypatch.setattr(layout.subprocess, "run", too_slow)
    monkeypatch.setattr(layout.dot_worker, "svg", pool_too_slow)
    at.text_area(key="program").input(program("dot-timeout")).run()
    assert not at.exception
    assert "longer than" in messages(at) and "layout_seconds" in messages(at)
    monkeypatch.undo()
    still_usable(at, "dot-timeout")


def test_graph_over_the_node_limit_says_so_and_recovers(at):
    """A graph over the node limit: the limit's message with its number; then a normal one."""
    limit = engine.Limits().graph_nodes
    big = f"x = param(0.5)\ny = x\nfor i in range({limit // 2}):\n    y = y * 1.0001 + 0.001\n"
    at.text_area(key="program").input(big).run()
    assert not at.exception
    assert f"{limit:,}" in messages(at)
    still_usable(at, "node-limit")


def test_run_over_the_time_limit_says_so_and_recovers(at):
    """A run past 5 s: the time limit's message with the line; then a normal program."""
    slow = "import torch\na = torch.ones(1000, 1000)\nfor i in range(10000):\n    b = a @ a\n"
    at.text_area(key="program").input(slow).run()
    assert not at.exception
    assert "run time is over the limit of 5 seconds" in messages(at)
    still_usable(at, "time-limit")


def test_failing_export_raises_a_layout_error_not_a_crash(monkeypatch, tmp_path):
    """The export behind a download fails with a LayoutError that says why (never a crash)."""
    from app_ui.compute import export_bytes
    from graphviz_utils import LayoutError

    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LayoutError, match="not installed"):
        export_bytes.__wrapped__(program("export-fails"), (), 1, (), "png", -1)
