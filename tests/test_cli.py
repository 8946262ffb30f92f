"""autograd-explorer: run, render and their exit codes; never a traceback."""

from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess
import sys
import tomllib

import pytest
import torch
from conftest import ROOT, free_port, wait_healthy

from graphviz_utils import cli
from graphviz_utils.cli import main

# The module, not the function graphviz_utils re-exports under the same name.
export_module = importlib.import_module("graphviz_utils.export")

LESSON = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"


@pytest.fixture
def lesson_file(tmp_path):
    path = tmp_path / "lesson.txt"
    path.write_text(LESSON, encoding="utf-8")
    return path


def test_run_prints_grads(lesson_file, capsys):
    """run prints each leaf's .grad as Python leaves it (None: the card never calls backward),
    and beside it the gradient of the explorer's own pass, as torch computes it."""
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    (w @ torch.tensor([1.0, 2.0, 3.0])).backward()
    assert main(["run", str(lesson_file)]) == 0
    out = capsys.readouterr().out
    grad = ", ".join(f"{v:.1f}" for v in w.grad.tolist())
    assert f"w.grad = None (the explorer's own pass: [{grad}])" in out
    assert "b.grad = None (the explorer's own pass: 1.0)" in out


def test_run_json_is_one_object(lesson_file, capsys):
    """run --json prints the fixed keys."""
    assert main(["run", str(lesson_file), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is True
    assert {"stdout", "tensors", "graph", "passes", "notes", "error"} <= set(data)
    steps = [s for p in data["passes"] for s in p["steps"]]
    assert steps and all(s["explanation"].strip() for s in steps)  # written for the JSON


def test_run_error_is_one_line(tmp_path, capsys):
    """A failing program exits 1 with one line naming the line and column."""
    bad = tmp_path / "bad.txt"
    bad.write_text("y = q + 1\n")
    assert main(["run", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err == "error: line 1, column 5: NameError: name 'q' is not defined\n"


def test_run_json_refused_exits_1(tmp_path, capsys):
    """With --json a blocked program still prints JSON, with ok false, and exits 1."""
    bad = tmp_path / "bad.txt"
    bad.write_text("import os\nos.fork()\n")
    assert main(["run", str(bad), "--json"]) == 1
    assert json.loads(capsys.readouterr().out)["ok"] is False


def test_render_png(lesson_file, tmp_path):
    """render writes a PNG of the last pass."""
    out = tmp_path / "g.png"
    assert main(["render", str(lesson_file), "-o", str(out), "--step", "1", "--theme", "dark"]) == 0
    assert out.read_bytes().startswith(b"\x89PNG")


def test_render_reads_stdin(monkeypatch, tmp_path):
    """'-' reads the program from standard input."""
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(LESSON))
    out = tmp_path / "g.svg"
    assert main(["render", "-", "-o", str(out)]) == 0
    assert b"<svg" in out.read_bytes()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "g.bmp"], "error: unknown format 'bmp' for g.bmp; choose one of: svg, png, pdf"),
        (["-o", "g.png", "--theme", "neon"], "error: unknown theme 'neon'; choose one of: light"),
        (["-o", "g.png", "--step", "9"], "error: step 9 is out of range: this pass has 4 steps"),
        (["-o", "g.png", "--dpi", "0"], "error: dpi 0 is out of range: choose 10..1200"),
    ],
)
def test_render_bad_usage_exits_2(lesson_file, tmp_path, capsys, args, message):
    """A bad format, theme, step or dpi is usage: exit 2 and one clear line."""
    args = [a if not a.startswith("g.") else str(tmp_path / a) for a in args]
    assert main(["render", str(lesson_file), *args]) == 2
    err = capsys.readouterr().err
    assert err.startswith(message.replace("g.bmp", str(tmp_path / "g.bmp")))
    assert "Traceback" not in err


def test_missing_file_is_usage(tmp_path, capsys):
    """A file that does not exist is a one-line usage error."""
    assert main(["run", str(tmp_path / "nope.txt")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_no_command_exits_2(capsys):
    """Without a subcommand argparse exits 2."""
    assert main([]) == 2


def test_binary_garbage_never_tracebacks(tmp_path, capsys):
    """Whatever the input, no traceback."""
    junk = tmp_path / "junk.txt"
    junk.write_bytes(b"\xff\xfe\x00(((")
    assert main(["run", str(junk)]) in (1, 2)
    assert "Traceback" not in capsys.readouterr().err


def test_app_passes_the_projects_streamlit_settings():
    """`app` runs from any folder, so it passes .streamlit/config.toml's settings as flags."""
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    wanted = {
        f"{section}.{key}": str(value).lower() if isinstance(value, bool) else str(value)
        for section, values in config.items()
        for key, value in values.items()
    }
    assert wanted == cli.STREAMLIT_SETTINGS


def test_app_serves_the_page_from_another_folder(tmp_path):
    """`autograd-explorer app --port P`, started elsewhere, answers /_stcore/health."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "graphviz_utils.cli", "app", "--port", str(port)],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # the CLI and its streamlit child: one group to stop
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", proc, timeout=120)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)


def test_app_bad_port_exits_2(capsys):
    """A port outside 1..65535 is bad usage."""
    assert main(["app", "--port", "70000"]) == 2
    assert capsys.readouterr().err == "error: port 70000 is out of range: choose 1..65535\n"


def test_render_html_without_the_player_says_so(lesson_file, tmp_path, monkeypatch, capsys):
    """A broken install without player.js fails with one line naming the missing file."""
    monkeypatch.setattr(export_module, "HERE", tmp_path / "nowhere")
    assert main(["render", str(lesson_file), "-o", str(tmp_path / "x.html")]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"error: the player's player.js is missing from {tmp_path / 'nowhere'} "
        "(reinstall autograd-explorer)\n"
    )
