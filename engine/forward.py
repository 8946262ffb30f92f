"""Watch the forward pass for what autograd does not record: constants and cut values."""

from __future__ import annotations

import contextlib
import sys
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import torch
from torch.optim.optimizer import (
    register_optimizer_step_post_hook,
    register_optimizer_step_pre_hook,
)
from torch.overrides import TorchFunctionMode, _get_current_function_mode, _pop_mode, _push_mode
from torch.utils.weak import WeakTensorKeyDictionary

from .values import VALUE_CAP

META_KEY = "autograd_explorer"  # key in grad_fn.metadata holding the ForwardOp
# A program that has made this many torch calls without any tensor that requires grad
# (hand-written gradients, numpy-style maths) is left unwatched: the mode costs every call
# a Python round trip, which made such a loop 2 to 3 times slower. Counted in calls, not
# seconds, so that the same program is always watched the same way.
IDLE_CALLS = 2_000
IDLE_NOTE = (
    "constants and the values of unnamed steps are not drawn: the explorer stops watching "
    f"a program's operations after {IDLE_CALLS:,} of them with no tensor that requires grad, "
    "so that such loops run at full speed"
)

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

    def see(self, out: Any, flat: list) -> None:
        """Number the leaves among an op's output and (flattened) inputs that are new here."""
        for t in (out, *flat):
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
        self.stepping = False  # paused by optimizer_step, until optimizer_stepped
        self.hooks: list[Any] = []
        self.calls = 0  # torch calls seen while no leaf had been (see IDLE_CALLS)
        self.idle = False  # paused by IDLE_CALLS, until resume()
        self.pending: Callable[[], None] | None = None  # undoes _idle_soon's tracing

    def __enter__(self):
        self.entered = self.on = True
        self.hooks = [
            register_optimizer_step_pre_hook(self.optimizer_step),
            register_optimizer_step_post_hook(self.optimizer_stepped),
        ]
        return super().__enter__()

    def __exit__(self, *exc):
        if self.pending is not None:
            self.pending()
        self.entered = False
        self.stepping = False
        for hook in self.hooks:
            hook.remove()
        self.hooks = []
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

    def _idle_soon(self) -> None:
        """Pause at the program's next line. Not here: inside this handler torch has taken
        the mode off its stack, and it puts the mode back when the handler returns, so the
        pause waits for a line event in a frame outside it (tracing only until then)."""
        previous = sys.gettrace()
        frames = []
        # The handler's caller is torch's C code; above it, the program's frames.
        frame: FrameType | None = sys._getframe(2)
        while frame is not None:
            frames.append((frame, frame.f_trace))
            frame = frame.f_back

        def stop() -> None:
            self.pending = None
            sys.settrace(previous)
            for f, trace in frames:
                f.f_trace = trace

        def line(frame: Any, event: str, arg: Any) -> Any:
            if _get_current_function_mode() is not self and self.on:
                return line  # still inside a handler
            stop()
            if self.on:
                self.pause()
                self.idle = True
            return None

        self.pending = stop
        for f, _ in frames:
            f.f_trace = line
        sys.settrace(lambda *_: None)  # line events for the frames above; none for new ones

    def resume(self) -> None:
        self.idle = False
        if self.entered and not self.on:
            _push_mode(self)
            self.on = True

    def __torch_function__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        if isinstance(out, torch.Tensor):
            if (
                out.grad_fn is None
                and not out.requires_grad
                and (not _any_tracked(args) or _reads_grad(func))
            ):
                # Maths on constants only (the common case of hand-written gradient code,
                # thousands of ops a loop), or p.grad read off a leaf: nothing for a graph.
                if not self.leaves.count:
                    self.calls += 1
                    if self.calls == IDLE_CALLS:
                        self._idle_soon()
                return out
        elif out is None or isinstance(out, (bool, int, float)):
            return out  # no_grad's switch, size(), item(): no tensor for any graph
        # Observing must never break the user's program.
        with contextlib.suppress(Exception):
            self._note(func, args, out)
        return out

    def optimizer_step(self, *_: Any) -> None:
        """Off torch's mode stack while an optimizer steps (a hook torch calls before
        step): its dozens of ops per parameter feed no graph, and cost a loop most of
        what the forward view costs it."""
        if self.on:
            self.pause()
            self.stepping = True

    def optimizer_stepped(self, *_: Any) -> None:
        if self.stepping:
            self.stepping = False
            self.resume()

    def _note(self, func: Any, args: tuple, out: Any) -> None:
        flat = _flat(args)
        self.leaves.see(out, flat)
        if not isinstance(out, torch.Tensor):
            return
        name = func_name(func)
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
        tracked = tuple(
            t for t in flat if isinstance(t, torch.Tensor) and t.requires_grad and t is not out
        )
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


def _reads_grad(func: Any) -> bool:
    """Whether func reads `.grad` (torch calls the descriptor's bound __get__): optimizers
    and clipping read it off every parameter, and a gradient is no value cut off from it."""
    return (
        getattr(func, "__name__", None) == "__get__"
        and getattr(getattr(func, "__self__", None), "__name__", None) == "grad"
    )


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
