"""Finite-difference gradients in float64: an independent check of what autograd computed."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import torch
from torch.overrides import TorchFunctionMode

from .forward import LeafOrder, _flat, func_name
from .limits import Limits
from .rng import seed

EPS = 1e-6
MAX_ELEMENTS = 64  # 2 re-runs per element: beyond this the check costs more than it tells
TIME_BUDGET = 2.0  # seconds for all re-runs together

# Functions that create tensors from data: their float32 results are widened to float64.
FACTORIES = {
    "tensor", "as_tensor", "ones", "zeros", "empty", "full", "rand", "randn", "arange",
    "linspace", "logspace", "eye", "ones_like", "zeros_like", "full_like", "empty_like",
    "rand_like", "randn_like", "normal",
}  # fmt: skip


# In-place random fills (nn.Linear's init): their numbers depend on the dtype they fill.
# nn.init's functions come through with the tensor as a keyword, and fill it inside.
RANDOM_FILLS = {"uniform_", "normal_", "bernoulli_", "random_", "exponential_", "cauchy_",
                "log_normal_", "geometric_", "trunc_normal_", "kaiming_uniform_",
                "kaiming_normal_", "xavier_uniform_", "xavier_normal_", "orthogonal_",
                "sparse_"}  # fmt: skip


# Questions about a tensor, not maths on it: nn.init asks them (fan-in) before it fills the
# weight, and a nudge made then would be overwritten.
METADATA = {"dim", "size", "numel", "stride", "__len__", "__get__", "is_floating_point",
            "is_complex", "element_size", "ndimension", "nelement", "storage_offset",
            "is_contiguous", "data_ptr", "__format__", "__repr__", "__hash__", "shape",
            "dtype", "device", "requires_grad", "is_leaf", "grad_fn", "ndim"}  # fmt: skip


def _is_double(t: object) -> bool:
    return isinstance(t, torch.Tensor) and t.dtype == torch.float64


class _Stop(BaseException):
    """Raised by the stand-in backward once the loss value is known: the rest is not needed.

    A BaseException, so that a program's own `except Exception:` does not swallow it."""


class _Perturb(TorchFunctionMode):
    """Run a program in float64, nudging one element of the k-th leaf it creates by delta."""

    def __init__(self, leaf_index: int, element: int, delta: float):
        super().__init__()
        self.leaf_index, self.element, self.delta = leaf_index, element, delta
        self.leaves = LeafOrder()
        self.done = False

    def __torch_function__(self, func, types, args=(), kwargs=None):
        name = func_name(func)
        kwargs = kwargs or {}
        target = args[0] if args else kwargs.get("tensor")
        if name in RANDOM_FILLS and _is_double(target):
            # Draw in float32, as the real run did, so the seeded numbers are the same ones.
            narrow = target.detach().float()
            if args:
                func(narrow, *args[1:], **kwargs)
            else:
                func(**{**kwargs, "tensor": narrow})
            with torch.no_grad():
                target.copy_(narrow)
            return target
        if not self.done and torch.is_grad_enabled() and name not in METADATA:
            # Nudge just before the leaf's first use that autograd records: earlier, an
            # initialiser (nn.Linear's uniform_ under no_grad) would overwrite the nudge.
            # Its inputs are numbered first, so that a leaf whose first use is this one
            # (nn.Parameter is made without an op the mode sees) is nudged here.
            flat = _flat(args)
            self.leaves.see(None, flat)
            for t in flat:
                if isinstance(t, torch.Tensor) and self.leaves.of(t) == self.leaf_index:
                    with torch.no_grad():
                        t.view(-1)[self.element] += self.delta
                    self.done = True
                    break  # `a * a` passes the leaf twice: nudge it once
        out = func(*args, **kwargs)
        if isinstance(out, torch.Tensor) and name in FACTORIES and out.dtype == torch.float32:
            out = out.detach().double().requires_grad_(out.requires_grad)
        self.leaves.see(out, _flat(args))  # numbered exactly as ForwardRecorder numbers them
        return out


def numeric_grads(
    source: str,
    leaves: Mapping[str, tuple[int, tuple[int, ...]]],
    execute: Callable[..., Any],
    *,
    limits: Limits,
    inputs: Mapping[str, Any] | None = None,
    given: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Central differences of the first backward's loss for each named leaf (nested lists).

    `leaves` maps a name to (k, shape): the tensor is the k-th leaf the program created,
    which is how the re-runs (new tensor objects every time) find it again. `given` names
    the leaves that are tensors of `inputs` the program used as they were given.
    """
    if sum(math.prod(shape) for _, shape in leaves.values()) > MAX_ELEMENTS:
        return {}
    deadline = time.monotonic() + TIME_BUDGET
    out: dict[str, Any] = {}
    for name, (k, shape) in leaves.items():
        grads = []
        for i in range(math.prod(shape)):
            if time.monotonic() > deadline:
                return out
            hi, lo = (
                _loss(source, *_nudged(name, k, i, delta, inputs, given), execute,
                      _within(limits, deadline))
                for delta in (EPS, -EPS)
            )  # fmt: skip
            if hi is None or lo is None:
                break
            grads.append((hi - lo) / (2 * EPS))
        else:
            out[name] = torch.tensor(grads, dtype=torch.float64).reshape(shape).tolist()
    return out


def _within(limits: Limits, deadline: float) -> Limits:
    """The run's limits with no more time than the check has left: re-runs never overrun it."""
    return replace(limits, seconds=max(0.0, min(limits.seconds, deadline - time.monotonic())))


def _nudged(
    name: str, k: int, element: int, delta: float, inputs, given: frozenset[str]
) -> tuple[_Perturb, dict[str, Any] | None]:
    """The mode and inputs of one re-run that moves one element of leaf `name` by delta.

    A leaf the program makes is nudged by the mode when it is first used. A leaf the caller
    gives (the variables table) is touched by the program only at its first use, when the
    mode would number it too late for that use to see the nudge: it is nudged in the
    inputs instead, and the mode nudges nothing (index -1).
    """
    if name in given and isinstance(inputs.get(name), torch.Tensor):
        return _Perturb(-1, 0, 0.0), _widened(inputs, (name, element, delta))
    return _Perturb(k, element, delta), _widened(inputs)


def _loss(source, mode, inputs, execute, limits) -> float | None:
    """The value the program's first backward() ran on, in a float64 re-run."""
    seen: list[float] = []

    def backward(tensor, gradient=None, retain_graph=None, create_graph=False, **_):
        value = tensor if gradient is None else (tensor * gradient.to(tensor.dtype)).sum()
        seen.append(float(value.detach().double().sum()))
        raise _Stop

    seed(0)
    with mode, torch.enable_grad():
        result = execute(source, limits=limits, backward=backward, inputs=inputs)
    if mode.leaf_index >= 0 and not mode.done:
        return None  # the leaf was never used in maths: no nudge, no honest difference
    if seen:
        return seen[0]
    name = result.last_tensor_name
    if result.error is None and not result.backward_called and name in result.namespace:
        return float(result.namespace[name].detach().double().sum())
    return None


def _widened(inputs: Mapping[str, Any] | None, nudge=None) -> dict[str, Any] | None:
    """Fresh float64 copies of the caller's float tensors for one re-run, one element nudged.

    float64, because 3.0 + 1e-6 in the caller's float32 is mostly rounding; copies, because
    the caller's tensors must come back as they were given.
    """
    if not inputs:
        return None
    out = {
        name: value.detach().double().requires_grad_(value.requires_grad)
        if isinstance(value, torch.Tensor) and value.is_floating_point()
        else value
        for name, value in inputs.items()
    }
    if nudge is not None:
        name, element, delta = nudge
        with torch.no_grad():
            out[name].view(-1)[element] += delta
    return out
