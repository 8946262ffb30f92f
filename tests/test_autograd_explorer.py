"""autograd_explorer: the public names, make_dot as torchviz's drop-in, the extension hook."""

from __future__ import annotations

import graphviz
import pytest
import torch
from conftest import require

import autograd_explorer
import graphviz_utils


def test_public_names():
    """show, make_dot and the IPython extension hook are the package's whole surface."""
    assert sorted(autograd_explorer.__all__) == ["load_ipython_extension", "make_dot", "show"]


def test_make_dot_replaces_torchviz_import():
    """`from autograd_explorer import make_dot` is graphviz_utils' torchviz drop-in."""
    from autograd_explorer import make_dot

    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    loss = model(torch.ones(2)).sum()
    dot = make_dot(loss, params=dict(model.named_parameters()))
    assert make_dot is graphviz_utils.make_dot
    assert isinstance(dot, graphviz.Digraph)
    assert "weight" in dot.source and "bias" in dot.source


def test_load_ipython_extension_registers_the_cell_magic():
    """%load_ext autograd_explorer makes %%autograd a cell magic of the shell."""
    try:
        from IPython.core.interactiveshell import InteractiveShell
    except ImportError:
        require(False, "IPython (the notebook and test extras)")
    shell = InteractiveShell.instance()
    autograd_explorer.load_ipython_extension(shell)
    assert "autograd" in shell.magics_manager.magics["cell"]


def test_show_of_what_is_not_a_tensor_says_so():
    """show([1.0]) names what it needs."""
    with pytest.raises(TypeError, match=r"^show\(\) needs a torch.Tensor, not list$"):
        autograd_explorer.show([1.0], {})
