"""Watch the forward pass for what autograd does not record: constants and cut values."""

from __future__ import annotations

import contextlib
import weakref
from dataclasses import dataclass
from typing import Any

import torch
from torch.overrides import TorchFunctionMode, _get_current_function_mode, _pop_mode, _push_mode
from torch.utils.weak import WeakTensorKeyDictionary

from .values import VALUE_CAP

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
    # A copy of the output (None past VALUE_CAP elements): later in-place changes must not
    # rewrite history. A copy, not a snapshot: a loop makes thousands of ops, and only the
    # few passes that are recorded turn values into plain data.
    value: torch.Tensor | None


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
        # id -> (number, weak reference): a plain dict, because this is asked on every op
        # of a loop; the weak reference tells a reused id from the tensor first seen.
        self.index: dict[int, tuple[int, Any]] = {}
        self.count = 0

    def see(self, out: Any, args: tuple) -> None:
        """Number the leaves among an op's output and inputs that are new here."""
        for t in (out, *_flat(args)):
            if isinstance(t, torch.Tensor) and t.requires_grad and t.is_leaf:
                known = self.index.get(id(t))
                if known is None or known[1]() is not t:
                    self.index[id(t)] = (self.count, weakref.ref(t))
                    self.count += 1

    def of(self, tensor: torch.Tensor) -> int | None:
        known = self.index.get(id(tensor))
        return known[0] if known is not None and known[1]() is tensor else None


class ForwardRecorder(TorchFunctionMode):
    """A TorchFunctionMode noting each op's inputs on its grad_fn and every cut-off value."""

    def __init__(self) -> None:
        super().__init__()
        self.cuts: WeakTensorKeyDictionary = WeakTensorKeyDictionary()
        self.leaves = LeafOrder()
        self.entered = False  # inside `with recorder:`
        self.on = False  # on torch's mode stack now (a loop pauses it between records)

    def __enter__(self):
        self.entered = self.on = True
        return super().__enter__()

    def __exit__(self, *exc):
        self.entered = False
        if self.on:
            self.on = False
            super().__exit__(*exc)

    def pause(self) -> None:
        """Off torch's mode stack until resume(): ops then cost what they cost in CPython.

        A TorchFunctionMode costs every op a Python call, which doubles a small model's
        training loop; the forward view matters only for the passes that get recorded.
        """
        if self.on and _get_current_function_mode() is self:
            _pop_mode()
            self.on = False

    def resume(self) -> None:
        if self.entered and not self.on:
            _push_mode(self)
            self.on = True

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor) and not out.requires_grad and not _any_tracked(args):
            return out  # maths on constants only: nothing for the graph (the common case
            # of hand-written gradient code, thousands of ops a loop)
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
            # torch's stubs declare Node.metadata a method; on a real grad_fn it is a property.
            metadata: dict = out.grad_fn.metadata  # type: ignore[assignment]
            if META_KEY not in metadata:
                numbers = name in ARITHMETIC
                kept = tuple(
                    a
                    for a in args
                    if isinstance(a, torch.Tensor)
                    or (numbers and isinstance(a, (int, float)) and not isinstance(a, bool))
                )
                copy = out.detach().clone() if out.numel() <= VALUE_CAP else None
                metadata[META_KEY] = ForwardOp(name, kept, copy)
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


def _any_tracked(args: tuple) -> bool:
    """Whether any argument (one level of lists opened) is a tensor that requires grad."""
    for a in args:
        if isinstance(a, torch.Tensor):
            if a.requires_grad:
                return True
        elif isinstance(a, (list, tuple)) and any(
            isinstance(t, torch.Tensor) and t.requires_grad for t in a
        ):
            return True
    return False


def _flat(args: Any) -> list:
    """Arguments with one level of lists/tuples opened (torch.cat([a, b]))."""
    out: list[Any] = []
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
