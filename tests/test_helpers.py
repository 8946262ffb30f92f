"""What every layer shares, each written once: cutting text, an error's first line, a power's
exponent as a number or as text, and the collapsed middle's node kind."""

from __future__ import annotations

import pytest
import torch

from engine import graph as g
from engine.errors import first_line
from engine.trace import trace
from engine.values import cut
from engine.wire import _NODE_KINDS
from graphviz_utils.draw import FILLS, SHAPES
from graphviz_utils.options import DrawOptions
from graphviz_utils.view import SUMMARY_ID, build_view


@pytest.mark.parametrize(("text", "limit"), [("short", 10), ("exactly10!", 10), ("a" * 50, 10)])
def test_cut_keeps_text_within_its_limit(text, limit):
    """Never longer than the limit; shortened text ends in one ellipsis and keeps its start."""
    out = cut(text, limit)
    assert len(out) <= limit
    if len(text) <= limit:
        assert out == text
    else:
        assert out.endswith("…") and text.startswith(out[:-1]) and len(out) == limit


def test_first_line_of_a_torch_error():
    """Torch's multi-line errors come down to their first line; an empty one to ""."""
    x = torch.ones(2, requires_grad=True)
    try:
        (x * 2).backward()
    except RuntimeError as exc:
        caught = exc
    assert first_line(caught) == str(caught).strip().splitlines()[0]
    assert first_line(RuntimeError("one\ntwo")) == "one"
    assert first_line(KeyboardInterrupt()) == ""


def _pow_node(y: torch.Tensor):
    graph = trace(y)
    return next(n for n in graph.nodes if (n.op or "").startswith("PowBackward"))


def test_a_powers_exponent_as_number_and_as_text():
    """x**3: the number autograd saved (for maths), and its text (for formulas)."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x**3
    saved = y.grad_fn._saved_exponent
    node = _pow_node(y)
    assert node.exponent_value == saved
    assert node.exponent_text is not None and str(saved) in node.exponent_text


def test_a_tensor_exponent_has_text_but_no_number():
    """x**e with a tensor e: no single number to compute with, but text to show."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    e = torch.tensor([2.0, 3.0])
    node = _pow_node(x**e)
    assert node.exponent_value is None
    assert node.exponent_text


def test_the_summary_kind_is_one_constant_every_layer_knows():
    """The collapsed middle's kind is g.SUMMARY: the view makes it, the drawing has a shape
    and a fill for it, and the worker's wire accepts it."""
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(80):
        y = y * 1.01
    view = build_view(trace(y, {"x": x}), DrawOptions(collapse=True))
    (summary,) = [n for n in view.nodes if n.id == SUMMARY_ID]
    assert summary.kind == g.SUMMARY
    assert g.SUMMARY in SHAPES and g.SUMMARY in FILLS and g.SUMMARY in _NODE_KINDS
