"""autograd_explorer.magic: %%autograd in an IPython shell, as a notebook cell runs it."""

from __future__ import annotations

import pytest
from conftest import require
from lesson_reference import cells_reference


@pytest.fixture
def shell():
    """An IPython shell with the extension loaded and a fresh namespace."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        require(False, "IPython (the notebook and test extras)")
    ip = InteractiveShell.instance()
    ip.reset(new_session=False)
    ip.run_line_magic("load_ext", "autograd_explorer")
    return ip


def run_cell(shell, source: str):
    """Run one cell; returns (result, stdout, stderr, rich outputs)."""
    from IPython.utils.capture import capture_output

    with capture_output() as captured:
        result = shell.run_cell(source)
    return result, captured.stdout, captured.stderr, [o.data for o in captured.outputs]


CELLS = [
    "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\nprint(f'x: {x}')",
    "y = x**2 + 3*x\nprint('y:', y)\ny.sum().backward()\nprint('dy/dx:', x.grad)",
]


def test_cells_print_and_leave_their_variables_as_python_does(shell):
    """Each %%autograd cell prints what CPython prints; x.grad afterwards is CPython's."""
    expected = cells_reference([*CELLS, "x.grad"])
    for source, want in zip(CELLS, expected, strict=False):
        result, out, err, outputs = run_cell(shell, "%%autograd\n" + source)
        assert result.success and err == ""
        assert out == want["stdout"]
        assert len(outputs) == 1 and 'class="agx-nb"' in outputs[0]["text/html"]
    assert repr(shell.user_ns["x"].grad) == expected[2]["repr"]


def test_a_cell_without_backward_leaves_grad_none(shell):
    """The explorer's own pass draws the picture; the namespace's x.grad stays None."""
    run_cell(shell, "%%autograd\n" + CELLS[0])
    result, _, _, outputs = run_cell(shell, "%%autograd\ny = x**2 + 3*x")
    assert result.success and outputs
    assert shell.user_ns["x"].grad is None


def test_an_error_is_one_line_naming_the_cells_line(shell):
    """A failing cell fails with one line: its line counted from %%autograd, no traceback.
    What it printed before, and what it assigned, stay."""
    result, out, _, outputs = run_cell(shell, "%%autograd\nprint('before')\nn = 1\nq = n + nope\n")
    assert not result.success and out.startswith("before\n")
    assert str(result.error_in_exec) == "line 4, column 9: NameError: name 'nope' is not defined"
    assert result.error_in_exec._render_traceback_() == [str(result.error_in_exec)]
    assert shell.user_ns["n"] == 1 and outputs == []


def test_bad_options_are_usage_errors(shell):
    """An unknown theme or a step past the end is one UsageError line."""
    result, *_ = run_cell(shell, "%%autograd --theme neon\nimport torch\n")
    assert str(result.error_in_exec).startswith("unknown theme 'neon'; choose one of: light")
    result, *_ = run_cell(shell, "%%autograd --step 99\n" + CELLS[0])
    assert str(result.error_in_exec).startswith("step 99 is out of range: choose 0..")


def test_options_reach_the_player(shell):
    """--theme, --forward and --step shape the player."""
    _, _, _, outputs = run_cell(shell, "%%autograd --theme dark --forward --step 0\n" + CELLS[0])
    html = outputs[0]["text/html"]
    assert '"theme": "dark"' in html and '"start": 0' in html and '"forward": [{' in html


def test_a_cell_after_import_torch_is_real_python(shell):
    """No math style once the notebook has torch: a list stays a list."""
    run_cell(shell, "import torch")
    result, *_ = run_cell(shell, "%%autograd\nv = [1.0, 2.0]\n")
    assert result.success and shell.user_ns["v"] == [1.0, 2.0]
