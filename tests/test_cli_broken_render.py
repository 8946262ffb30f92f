"""`render` of a program whose backward() failed draws the graph autograd recorded."""

from __future__ import annotations

import traceback

import pytest
from PIL import Image

from app_ui.scenarios import SCENARIOS
from graphviz_utils.cli import main


def cpython_failure(source: str) -> tuple[int, str]:
    """The line CPython stops at, and its exception type, running the program itself."""
    try:
        exec(compile(source, "<program>", "exec"), {"__name__": "__main__"})
    except Exception as exc:  # noqa: BLE001 - the failure is what we want
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<program>"]
        return frames[-1].lineno, type(exc).__name__
    raise AssertionError("the program ran")


@pytest.mark.parametrize("name", ["In-place breaks backward", "Non-scalar output"])
def test_render_writes_the_broken_pass_and_fails_with_its_line(name, tmp_path, capsys):
    source = SCENARIOS[name].program
    line, kind = cpython_failure(source)
    program = tmp_path / "pitfall.py"
    program.write_text(source)
    out = tmp_path / "slide.png"
    assert main(["render", str(program), "-o", str(out)]) == 1, "the run failed: exit 1"
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.startswith(f"error: line {line}"), err
    assert kind in err and "shows the graph and where backward broke" in err
    with Image.open(out) as image:
        assert image.format == "PNG" and image.width > 200 and image.height > 200
    svg = tmp_path / "slide.svg"
    assert main(["render", str(program), "-o", str(svg)]) == 1
    assert "✗" in svg.read_text(), "the node where backward broke is marked"


def test_a_program_that_records_nothing_writes_nothing(tmp_path, capsys):
    program = tmp_path / "typo.py"
    program.write_text("import torch\nx = torch.tensor(1.0, requires_grad=True)\ny = x +\n")
    out = tmp_path / "g.png"
    assert main(["render", str(program), "-o", str(out)]) == 1
    assert not out.exists()
    assert "line 3" in capsys.readouterr().err


def test_a_pass_asked_for_is_drawn_though_a_later_one_broke(tmp_path, capsys):
    """--pass N of a failed run draws pass N, not the broken one (the person chose it)."""
    program = tmp_path / "twice.py"
    program.write_text(SCENARIOS["Backward twice"].program)
    out = tmp_path / "first.svg"
    assert main(["render", str(program), "-o", str(out), "--pass", "1"]) == 1
    assert "✗" not in out.read_text(), "pass 1 ran whole: nothing on it is marked broken"
    broken = tmp_path / "broken.svg"
    assert main(["render", str(program), "-o", str(broken)]) == 1
    assert "✗" in broken.read_text()
