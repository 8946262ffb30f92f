"""Turn tensors into plain immutable values and short human text."""

from __future__ import annotations

import math
from typing import Any

import torch

VALUE_CAP = 1_000  # elements kept per tensor value in a graph; beyond it only the shape


def freeze(value: Any) -> Any:
    """Nested lists (as Tensor.tolist gives) to nested tuples."""
    if type(value) is not list:
        return value
    # tolist nests evenly: a list of numbers, or a list of lists. A thousand-element row
    # goes whole to tuple(), a hundred times faster than a call per element.
    if value and type(value[0]) is list:
        return tuple(freeze(v) for v in value)
    return tuple(value)


def snapshot(tensor: torch.Tensor | None, cap: int = VALUE_CAP) -> Any:
    """A tensor's value as nested tuples (a number for a scalar), or None when over cap."""
    if not _showable(tensor, cap):
        return None
    return freeze(tensor.detach().cpu().tolist())  # type: ignore[union-attr]


def _showable(tensor: Any, cap: int) -> bool:
    return (
        isinstance(tensor, torch.Tensor)
        and tensor.numel() <= cap
        and tensor.dim() <= 64
        and not tensor.is_sparse
        and not tensor.is_meta
    )


def shape_of(tensor: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(d) for d in tensor.shape)


def fmt_number(x: Any) -> str:
    """A number in at most 4 significant digits, without noise like 0.10000000149."""
    if isinstance(x, float):  # first: what explanations format most (bool is no float)
        if not math.isfinite(x):
            return str(x)  # nan, inf, -inf, as Python prints them
        if x == int(x) and abs(x) < 1e6:
            return f"{x:.1f}" if abs(x) < 1e4 else str(int(x))
        return f"{x:.4g}"
    if isinstance(x, complex):
        return f"{x:.3g}"
    return str(x)  # bool, int, and anything else as Python prints it


def fmt_value(value: Any, max_items: int = 6) -> str:
    """Short text for a nested-tuple value: [1.0, 2.0, …] with at most max_items per level."""
    if value is None:
        return "—"
    if isinstance(value, (tuple, list)):
        items = [fmt_value(v, max_items) for v in value[:max_items]]
        if len(value) > max_items:
            items.append("…")
        return "[" + ", ".join(items) + "]"
    return fmt_number(value)


def cut(text: str, limit: int) -> str:
    """`text`, or its first limit - 1 characters and "…": never longer than `limit`."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def fmt_shape(shape: tuple[int, ...] | None) -> str:
    if shape is None:
        return ""
    if len(shape) == 0:
        return "scalar"
    return "×".join(str(d) for d in shape)
