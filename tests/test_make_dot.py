"""make_dot: a drop-in for torchviz's, on engine.trace, without recursion limits."""

from __future__ import annotations

import graphviz
import pytest
import torch

from graphviz_utils import make_dot


def test_returns_a_digraph_named_by_params():
    """A graphviz.Digraph (Jupyter shows it inline) naming leaves from params."""
    w = torch.randn(3, requires_grad=True)
    dot = make_dot((w * 2).sum(), params={"weight": w})
    assert isinstance(dot, graphviz.Digraph)
    assert hasattr(dot, "_repr_mimebundle_")
    assert 'label="weight\\n3"' in dot.source  # name, then shape, as torchviz shows them
    assert "SumBackward0" in dot.source and "MulBackward0" in dot.source


def test_show_saved_lists_saved_tensors():
    """show_saved adds the tensors ops saved; the default does not."""
    x = torch.randn(3, requires_grad=True)
    y = (x * x).sum()
    assert "saved self" in make_dot(y, show_saved=True).source
    assert "saved self" not in make_dot(y).source


def test_show_attrs_adds_non_tensor_attributes():
    """show_attrs adds saved non-tensor values such as pow's exponent."""
    x = torch.randn(3, requires_grad=True)
    y = (x**3).sum()
    assert "saved exponent: 3" in make_dot(y, show_attrs=True).source
    assert "saved exponent" not in make_dot(y, show_saved=True).source


def test_several_outputs():
    """A tuple of tensors draws all of them."""
    x = torch.randn(2, requires_grad=True)
    src = make_dot((x.sin().sum(), x.cos().sum())).source
    assert "SinBackward0" in src and "CosBackward0" in src


def test_ten_thousand_op_chain():
    """A 10,000-op chain works (torchviz hits RecursionError there)."""
    x = torch.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0
    assert make_dot(y).source.count("MulBackward0") == 10_000


def test_not_a_tensor_is_a_type_error():
    """A list of numbers is refused with its type."""
    with pytest.raises(TypeError, match="not int"):
        make_dot([1, 2])
