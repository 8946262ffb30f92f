"""Turn tensors into plain immutable values and short human text."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import torch

VALUE_CAP = 1_000  # elements kept per tensor value in a graph; beyond it only the shape


def freeze(value: Any) -> Any:
    """Nested lists (as Tensor.tolist gives) to nested tuples."""
    if type(value) is not list:
        return value
    # tolist nests evenly, so the first items give the depth. The two innermost levels go
    # to tuple() through map(), in C: a (64, 8) value is one call, not 65.
    depth, first = 1, value
    while first and type(first[0]) is list:
        depth, first = depth + 1, first[0]
    return _frozen(value, depth)


def _frozen(value: list, depth: int) -> tuple:
    if depth == 1:
        return tuple(value)
    if depth == 2:
        return tuple(map(tuple, value))
    return tuple([_frozen(v, depth - 1) for v in value])  # depth <= 64: torch's own cap


def snapshot(tensor: torch.Tensor | None, cap: int = VALUE_CAP) -> Any:
    """A tensor's value as nested tuples (a number for a scalar), or None when over cap."""
    if not isinstance(tensor, torch.Tensor):
        return None
    value = value_of(tensor, cap)
    if _BYTES is not None and type(value) is tuple and tensor.numel() >= BYTES_MIN:
        _keep_bytes(value, tensor.detach().cpu())
    return value


def value_of(tensor: torch.Tensor, cap: int) -> Any:
    """snapshot() without the wire's bytes: what a loop's history reads every pass."""
    if tensor.numel() > cap or tensor.dim() > 64:  # tolist past 64 dims overflows the C stack
        return None
    try:
        # tolist() reads any tensor as it is (a leaf that requires grad, a view, a conj): no
        # detach() or copy first, which were most of a small value's cost in a loop's history.
        value = tensor.tolist()
    except (RuntimeError, NotImplementedError):  # no data to read: sparse, meta
        return None
    return freeze(value) if type(value) is list else value


# A worker child's values as the wire packs them, taken from the tensor's own memory: the
# tuples' numbers need no walk in Python to become an array. id(value) -> (value, type code,
# shape, bytes); the value itself is held, so its id stays its own. None: not collected.
_BYTES: dict[int, tuple[tuple, str, tuple[int, ...], bytes]] | None = None
_CODES = {torch.float32: "f", torch.float64: "d", torch.int64: "q", torch.bool: "b"}
# Below this many numbers a value is not worth its bytes: taking them costs six tensor calls
# (about 6 µs), more than the wire's walk of a small tuple, and a loop's history takes a
# few small values every pass (collecting bytes was about a tenth of lesson 13's run).
BYTES_MIN = 256


@contextlib.contextmanager
def collecting_bytes() -> Iterator[None]:
    """Within: each snapshot's bytes are kept for the wire (a worker child's run and answer)."""
    global _BYTES
    _BYTES = {}
    try:
        yield
    finally:
        _BYTES = None


def bytes_of(value: Any) -> tuple[str, tuple[int, ...], bytes] | None:
    """The type code, shape and bytes kept for this very value, if any."""
    found = _BYTES.get(id(value)) if _BYTES is not None else None
    return found[1:] if found is not None and found[0] is value else None


def _keep_bytes(value: tuple, tensor: torch.Tensor) -> None:
    code = _CODES.get(tensor.dtype)
    if code is None or _BYTES is None:
        return
    try:
        # resolve_conj/neg: numpy() refuses the lazy bits; tobytes() copies in C order.
        data = tensor.resolve_conj().resolve_neg().numpy().tobytes()
    except (RuntimeError, TypeError, ValueError):  # no numpy, or a layout numpy lacks
        return
    _BYTES[id(value)] = (value, code, shape_of(tensor), data)


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
        # Numbers formatted here, not one call deeper: a pass's words format thousands.
        items = [
            fmt_number(v) if type(v) is float else fmt_value(v, max_items)
            for v in value[:max_items]
        ]
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
