"""Size checks that run before the work they guard, so nothing huge is ever allocated."""

from __future__ import annotations

import math
import operator
import os
import re
import time
import weakref
from collections.abc import Callable
from typing import Any

import torch

from engine.errors import LimitExceeded
from engine.limits import Limits

# Python ints above this many bits are refused before they are computed (about 30,000 digits).
MAX_INT_BITS = 100_000


def n(count: int) -> str:
    """A count with thousands separators, as the limit messages print it."""
    return f"{count:,}"


def tensor_limit_error(count: int, limits: Limits) -> LimitExceeded:
    return LimitExceeded(
        f"tensor of {n(count)} elements is over the limit of {n(limits.tensor_elements)}"
    )


def check_python_binop(op: Callable, a: Any, b: Any, max_items: int) -> None:
    """Refuse int, str and list arithmetic whose result would be enormous."""
    if _is_int(a) and _is_int(b):
        bits = _int_result_bits(op, a, b)
        if bits > MAX_INT_BITS:
            raise LimitExceeded(
                f"integer of about {n(int(bits * 0.30103))} digits is over the limit of "
                f"{n(int(MAX_INT_BITS * 0.30103))} digits"
            )
        return
    if op in (operator.mul, operator.imul):
        seq, times = (a, b) if _is_int(b) else (b, a)
        if isinstance(seq, (str, list, tuple, bytes)) and _is_int(times):
            _check_length(len(seq) * max(times, 0), max_items)
    elif op in (operator.add, operator.iadd) and _are_sequences(a, b):
        _check_length(len(a) + len(b), max_items)


def _are_sequences(*values: Any) -> bool:
    return all(isinstance(v, (str, list, tuple)) for v in values)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _int_result_bits(op: Callable, a: int, b: int) -> int:
    if op in (operator.pow, operator.ipow) and b > 0 and abs(a) > 1:
        return min(b, 1 << 60) if b > MAX_INT_BITS else int(b * math.log2(abs(a)))  # floats
    if op in (operator.mul, operator.imul):
        return a.bit_length() + b.bit_length()
    if op in (operator.lshift, operator.ilshift) and b > 0:
        return a.bit_length() + b
    return 0


def _check_length(length: int, max_items: int) -> None:
    if length > max_items:
        raise LimitExceeded(
            f"a string or list of {n(length)} items is over the limit of {n(max_items)}"
        )


def check_length(length: int, max_items: int) -> None:
    """Refuse a Python string or list longer than the limit."""
    _check_length(length, max_items)


_SPEC_NUMBERS = re.compile(r"\d+")


def check_format_spec(spec: str, max_chars: int) -> None:
    """A width or precision in a format spec cannot ask for more text than print allows."""
    for digits in _SPEC_NUMBERS.findall(spec):
        if len(digits) > 9 or int(digits) > max_chars:
            raise LimitExceeded(
                f"format width {digits} is over the print limit of {n(max_chars)} characters"
            )


_PERCENT_SPEC = re.compile(r"%(\([^)]*\))?[-#0 +]*(\*|\d+)?(\.(\*|\d+))?")


def check_percent_format(template: str, args: Any, max_chars: int) -> None:
    """`"%5d" % x`: widths and precisions (also `*` ones) stay within the print limit."""
    for match in _PERCENT_SPEC.finditer(template):
        check_format_spec(match.group(0).split(")")[-1], max_chars)
        if "*" in match.group(0):
            for arg in args if isinstance(args, tuple) else (args,):
                if _is_int(arg):
                    check_format_spec(str(abs(arg)), max_chars)


def check_printable(value: Any, max_chars: int) -> None:
    """Refuse to turn into text a structure that would print more than the print limit.

    Shared sub-lists (`a = [a, a]` ten times over) print exponentially; counting visits
    without de-duplicating catches them before `str()` starts.
    """
    stack, visits = [value], 0
    while stack:
        item = stack.pop()
        visits += 1
        if visits > max_chars:
            raise LimitExceeded(f"text of over {n(max_chars)} characters is over the print limit")
        if isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, str):
            visits += len(item)


def _to_meta(value: Any) -> Any:
    if isinstance(value, torch.Tensor):
        return torch.empty(value.shape, dtype=value.dtype, device="meta")
    if isinstance(value, (list, tuple)) and any(isinstance(v, torch.Tensor) for v in value):
        return type(value)(_to_meta(v) for v in value)
    return value


def _probe(call: Callable[[], Any]) -> int | None:
    """Run a size probe on meta tensors, unseen by any TorchFunctionMode (the run's recorder)."""
    try:
        with torch._C.DisableTorchFunction():
            result = call()
    except Exception:  # noqa: BLE001 - a probe that fails just means no estimate
        return None
    if isinstance(result, torch.nn.Module):
        return sum(p.numel() for p in result.parameters())
    return result.numel() if isinstance(result, torch.Tensor) else None


MATMULS = {"matmul", "mm", "mv", "bmm", "__matmul__", "__rmatmul__"}


def matmul_numel(a: Any, b: Any) -> int | None:
    """torch.matmul's result size from the shapes alone (None when the shapes don't fit).

    Shape arithmetic, not a meta-tensor probe: the first matmul on the meta device makes
    torch load its meta kernels, which cost the app's first run about 0.7 s.
    """
    if not (isinstance(a, torch.Tensor) and isinstance(b, torch.Tensor)):
        return None
    sa, sb = list(a.shape), list(b.shape)
    if not sa or not sb:
        return None
    rows = [] if len(sa) == 1 else [sa[-2]]
    cols = [] if len(sb) == 1 else [sb[-1]]
    inner_b = sb[0] if len(sb) == 1 else sb[-2]
    if sa[-1] != inner_b:
        return None
    batch = broadcast_shape(sa[:-2], sb[:-2])
    return None if batch is None else math.prod([*batch, *rows, *cols])


def broadcast_shape(*shapes) -> list[int] | None:
    """NumPy-style broadcasting of shapes, or None when they don't broadcast.

    By hand: torch.broadcast_shapes imports torch.fx's symbolic shapes and sympy (about
    0.8 s on a run's first use).
    """
    out: list[int] = []
    for shape in shapes:
        shape = list(shape)
        if len(shape) > len(out):
            out = [1] * (len(shape) - len(out)) + out
        for i, d in enumerate(shape, start=len(out) - len(shape)):
            if out[i] == 1:
                out[i] = d
            elif d not in (1, out[i]):
                return None
    return out


def meta_numel(fn: Callable, args: tuple, kwargs: dict) -> int | None:
    """The result size of `fn` computed on meta tensors (no data), or None if unknown."""
    name = getattr(fn, "__name__", "")
    if name in MATMULS and len(args) == 2 and not kwargs:
        return matmul_numel(*args)
    meta_args = [_to_meta(a) for a in args]
    meta_kwargs = {k: _to_meta(v) for k, v in kwargs.items()}
    return _probe(lambda: fn(*meta_args, **meta_kwargs))


def factory_numel(fn: Callable, args: tuple, kwargs: dict) -> int | None:
    """The size a factory (or a module's parameters) would take, built on the meta device."""
    return _probe(lambda: fn(*args, **{**kwargs, "device": "meta"}))


def method_numel(tensor: torch.Tensor, name: str, args: tuple, kwargs: dict) -> int | None:
    """The result size of `tensor.name(*args)`, computed on a meta copy of the tensor."""
    if name in MATMULS and len(args) == 1 and not kwargs:
        return matmul_numel(tensor, args[0])
    meta = _to_meta(tensor)
    return meta_numel(getattr(meta, name), args, kwargs)


def broadcast_numel(values: Any) -> int | None:
    """The size of an elementwise result over these tensors, or None if they do not broadcast."""
    shapes = [v.shape for v in values if isinstance(v, torch.Tensor)]
    if len(shapes) < 2:
        return None
    shape = broadcast_shape(*shapes)
    return None if shape is None else math.prod(shape)


class LiveElements:
    """How many tensor elements the program holds right now, across all its tensors.

    Each new (non-view) tensor is counted once and uncounted when Python frees it.
    """

    def __init__(self, limits: Limits):
        self.limits = limits
        self.count = 0
        self._ids: set[int] = set()

    def admit(self, numel: int | None) -> None:
        """Refuse, before allocating, a tensor that would go over a limit."""
        if numel is None:
            return
        if numel > self.limits.tensor_elements:
            raise tensor_limit_error(numel, self.limits)
        if self.count + numel > self.limits.total_elements:
            raise LimitExceeded(
                f"{n(self.count + numel)} tensor elements in total are over the limit of "
                f"{n(self.limits.total_elements)}"
            )

    def track(self, value: Any) -> None:
        """Count the tensors in a result (a tensor, a module, or a tuple or list of tensors)."""
        if isinstance(value, torch.Tensor):
            self._track_tensor(value)
        elif isinstance(value, torch.nn.Module):
            for parameter in value.parameters():
                self._track_tensor(parameter)
        elif isinstance(value, (tuple, list)) and len(value) <= 10_000:
            for item in value:
                if isinstance(item, torch.Tensor):
                    self._track_tensor(item)

    def _track_tensor(self, tensor: torch.Tensor) -> None:
        numel = tensor.numel()
        if numel > self.limits.tensor_elements:
            raise tensor_limit_error(numel, self.limits)
        key = id(tensor)
        if key in self._ids or tensor._is_view():
            return
        self.admit(numel)
        self._ids.add(key)
        self.count += numel
        weakref.finalize(tensor, self._release, key, numel)

    def _release(self, key: int, numel: int) -> None:
        self._ids.discard(key)
        self.count -= numel


# pow(base, exp, mod) squares once per bit of exp, each on numbers as long as mod.
MAX_MODULAR_POW_BITS = 4096


def check_modular_pow(exp: Any, mod: Any) -> None:
    """Refuse a modular pow on integers so long it would hold the process for minutes."""
    for value in (exp, mod):
        if _is_int(value) and value.bit_length() > MAX_MODULAR_POW_BITS:
            raise LimitExceeded(
                f"pow() with a modulus takes integers of at most {n(MAX_MODULAR_POW_BITS)} bits"
            )


def nested_numel(value: Any) -> int:
    """The elements torch.tensor would make of a nested list: lengths down the first items."""
    count = 1
    for _ in range(64):
        if not isinstance(value, (list, tuple)):
            break
        count *= len(value)
        if not value:
            break
        value = value[0]
    return count


def is_advanced_index(index: Any) -> bool:
    """An index of tensors or lists, whose result can be far larger than the tensor indexed."""
    parts = index if isinstance(index, tuple) else (index,)
    return any(isinstance(part, (torch.Tensor, list)) for part in parts)


_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def resident_bytes() -> int:
    """This process's resident memory now (Linux /proc; 0 where it cannot be read)."""
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        return 0


class MemoryBudget:
    """What a run adds to the process's resident memory, checked every few milliseconds."""

    def __init__(self, limits: Limits):
        self.limit_mb = limits.memory_mb
        self.start = resident_bytes()
        self.next_check = 0.0

    def check(self) -> None:
        now = time.monotonic()
        if now < self.next_check:
            return
        self.next_check = now + 0.002  # reading /proc costs ~10 µs: at most 1 % of a run
        if resident_bytes() - self.start > self.limit_mb << 20:
            raise LimitExceeded(
                f"the program holds over {n(self.limit_mb)} MB of memory (the memory limit)"
            )
