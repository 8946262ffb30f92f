"""Watch the forward pass for what autograd does not record: constants and cut values."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import torch
from torch.overrides import TorchFunctionMode
from torch.utils.weak import WeakIdKeyDictionary, WeakTensorKeyDictionary

from .values import snapshot

META_KEY = "autograd_explorer"  # key in grad_fn.metadata holding the ForwardOp

# Ops whose plain-number arguments are maths operands (3 in 3*x), not shapes or dims.
ARITHMETIC = {
    "add", "sub", "mul", "div", "true_divide", "pow", "rsub", "matmul", "dot",
    "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
    "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__matmul__", "__rmatmul__",
}  # fmt: skip


@dataclass(frozen=True)
class ForwardOp:
    """One op as the program called it: its name, its arguments, its output value."""

    func: str
    inputs: tuple[Any, ...]  # the tensors (kept alive with the graph) and numbers passed in
    value: Any  # output value snapshot: later in-place changes must not rewrite history


@dataclass(frozen=True)
class Cut:
    """A tensor whose history autograd dropped, and why."""

    reason: str  # "no_grad", "detach" or "not differentiable"
    sources: tuple[torch.Tensor, ...]


def unobserved():
    """Our own bookkeeping (tracing, snapshots in hooks) with torch function handling off.

    These are not the program's ops, so the recorder need not see them: they were 73 of
    the 96 calls it saw in a run of the card's model. Every leaf is still seen first by
    the program's own ops, which run before any tracing.
    """
    return torch._C.DisableTorchFunction()


def func_name(func: Any) -> str:
    name = getattr(func, "__name__", None) or str(func)
    return name.removesuffix(".__get__")


class LeafOrder:
    """Numbers each leaf that requires grad by when the program first touched it."""

    def __init__(self) -> None:
        self.index: WeakIdKeyDictionary = WeakIdKeyDictionary()

    def see(self, out: Any, args: tuple) -> list[tuple[int, torch.Tensor]]:
        """Record leaves among an op's output and inputs; return the ones new here."""
        new = []
        for t in (out, *args):
            fresh = isinstance(t, torch.Tensor) and t not in self.index
            if fresh and t.is_leaf and t.requires_grad:
                self.index[t] = len(self.index)
                new.append((self.index[t], t))
        return new

    def of(self, tensor: torch.Tensor) -> int | None:
        return self.index.get(tensor)


class ForwardRecorder(TorchFunctionMode):
    """A TorchFunctionMode noting each op's inputs on its grad_fn and every cut-off value."""

    def __init__(self) -> None:
        super().__init__()
        self.cuts: WeakTensorKeyDictionary = WeakTensorKeyDictionary()
        self.leaves = LeafOrder()

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        # Observing must never break the user's program.
        with contextlib.suppress(Exception):
            self._note(func, args, out)
        return out

    def _note(self, func: Any, args: tuple, out: Any) -> None:
        self.leaves.see(out, args)
        if not isinstance(out, torch.Tensor):
            return
        name = func_name(func)
        tensors = [a for a in _flat(args) if isinstance(a, torch.Tensor)]
        if out.grad_fn is not None:
            if META_KEY not in out.grad_fn.metadata:
                numbers = name in ARITHMETIC
                kept = tuple(
                    a
                    for a in args
                    if isinstance(a, torch.Tensor)
                    or (numbers and isinstance(a, (int, float)) and not isinstance(a, bool))
                )
                out.grad_fn.metadata[META_KEY] = ForwardOp(name, kept, snapshot(out))
            return
        tracked = tuple(t for t in tensors if t.requires_grad and t is not out)
        if tracked and not out.requires_grad:
            if name in ("detach", "detach_"):
                reason = "detach"
            elif not torch.is_grad_enabled():
                reason = "no_grad"
            else:
                reason = "not differentiable"
            self.cuts[out] = Cut(reason, tracked)

    def cut_of(self, tensor: torch.Tensor) -> Cut | None:
        return self.cuts.get(tensor)


def _flat(args: Any) -> list:
    """Arguments with one level of lists/tuples opened (torch.cat([a, b]))."""
    out = []
    for a in args:
        if isinstance(a, (list, tuple)):
            out.extend(a)
        else:
            out.append(a)
    return out


def forward_op(grad_fn: Any) -> ForwardOp | None:
    try:
        return grad_fn.metadata.get(META_KEY)
    except Exception:  # noqa: BLE001 - some C++ nodes have no metadata dict
        return None
