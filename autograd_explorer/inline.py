"""show(): the player for any tensor, inline under the notebook cell that calls it."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import torch

import engine
from graphviz_utils import DrawOptions

from .cell_html import CellOutput, cell_output


def show(
    tensor: Any,
    names: Mapping[str, Any] | None = None,
    *,
    theme: str = "light",
    direction: str = "TB",
    forward: bool = False,
    collapse: bool = False,
    step: int | None = None,
) -> None:
    """Show the graph behind `tensor` and play a backward pass from it (from its sum when it
    is not a scalar), without changing any .grad.

    names: variable name -> tensor or module (`dict(model.named_parameters())` works too);
    by default the caller's own variables. The options are the app's: theme, direction
    ("TB" or "LR"), forward (play the forward pass first), collapse (draw the middle of a
    big graph as one node) and step (where the player starts; -1 before backward).
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"show() needs a torch.Tensor, not {type(tensor).__name__}")
    if names is None:
        names = caller_names(sys._getframe(1))
    output = tensor_output(
        tensor,
        names,
        DrawOptions(theme=theme, direction=direction, forward=forward, collapse=collapse),
        step,
    )
    try:
        from IPython.display import display
    except ImportError:  # plain Python without IPython: the text form is still worth having
        print(output.text)
        return
    display(output)


def tensor_output(
    tensor: Any, names: Mapping[str, Any], options: DrawOptions, step: int | None = None
) -> CellOutput:
    """What show() displays, built without displaying it."""
    run = engine.observe(tensor, names)
    if not run.ok:
        raise ValueError(run.error.describe() if run.error else "the pass could not be recorded")
    return cell_output(run, options, step)


def caller_names(frame: Any) -> dict[str, Any]:
    """The variables the caller can see: its locals, then the module's globals beneath them."""
    merged = dict(frame.f_globals)
    merged.update(frame.f_locals)
    return merged
