"""autograd_explorer.show: the player for any tensor, displayed through IPython."""

from __future__ import annotations

import contextlib
import json
import re
import sys

import pytest
import torch
from conftest import require

from autograd_explorer import show

PLAYER_DATA = re.compile(r'<script type="application/json" data-role="player-data">(.*?)</script>')


@contextlib.contextmanager
def displayed():
    """Yields the list of rich outputs displayed inside the block (IPython's publisher)."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
        from IPython.utils.capture import capture_output
    except ImportError:
        require(False, "IPython (the notebook and test extras)")
    InteractiveShell.instance()  # display() publishes through the running shell
    outputs: list[dict] = []
    with capture_output() as captured:
        yield outputs
    outputs.extend(o.data for o in captured.outputs)


def player_of(outputs: list[dict]) -> dict:
    assert len(outputs) == 1 and "text/html" in outputs[0], outputs
    found = PLAYER_DATA.search(outputs[0]["text/html"])
    return json.loads(found.group(1).replace("<\\/", "</"))


def test_show_displays_the_player_and_leaves_grad_alone():
    """show(y) displays one HTML player; x.grad is still None, as before."""
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    y = x**2 + 3 * x
    with displayed() as outputs:
        show(y, {"x": x, "y": y})
    assert x.grad is None
    assert player_of(outputs)["steps"] > 0
    assert "text/plain" in outputs[0]


def test_show_names_tensors_by_the_callers_variables():
    """Without names=, the picture uses the calling function's own variable names."""

    def model():
        weight = torch.tensor([0.5, -1.0], requires_grad=True)
        bias = torch.tensor(0.25, requires_grad=True)
        loss = (weight * torch.tensor([1.0, 2.0])).sum() + bias
        with displayed() as outputs:
            show(loss)
        return outputs

    svg = player_of(model())["svg"]
    labels = set(re.findall(r">([^<>]+)</text>", svg))
    assert {"weight", "bias", "loss"} <= labels


def test_show_takes_named_parameters_like_make_dot():
    """names=dict(model.named_parameters()) names a module's weights."""
    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    loss = net(torch.ones(3)).sum()
    with displayed() as outputs:
        show(loss, dict(net.named_parameters()))
    svg = player_of(outputs)["svg"]
    assert {"weight", "bias"} <= set(re.findall(r">([^<>]+)</text>", svg))
    assert net.weight.grad is None


def test_show_options_reach_the_player():
    """theme, forward and step are the app's options."""
    x = torch.tensor(2.0, requires_grad=True)
    y = x * x
    with displayed() as outputs:
        show(y, {"x": x}, theme="slide", forward=True, step=0)
    data = player_of(outputs)
    assert data["theme"] == "slide" and data["forward"] and data["start"] == 0


def test_show_bad_options_say_what_to_choose():
    """An unknown theme or a step past the end is a ValueError naming the choices."""
    x = torch.tensor(2.0, requires_grad=True)
    with pytest.raises(ValueError, match=r"^unknown theme 'neon'; choose one of: light, dark"):
        show(x * x, {"x": x}, theme="neon")
    with pytest.raises(ValueError, match=r"^step 9 is out of range: choose 0\.\.\d+"):
        show(x * x, {"x": x}, step=9)


def test_show_without_ipython_prints_the_text(monkeypatch, capsys):
    """In plain Python without IPython, show() prints the text form instead."""
    monkeypatch.setitem(sys.modules, "IPython.display", None)  # import fails
    x = torch.tensor(3.0, requires_grad=True)
    show(x * x, {"x": x})
    expected = torch.tensor(3.0, requires_grad=True)
    (expected * expected).backward()
    assert (
        f"x.grad = None (the explorer's pass: {expected.grad.item():g}" in capsys.readouterr().out
    )
