"""The math style's names: bare functions (sigmoid, exp, ...), `param(...)`, literal tensors.

engine.prepare rewrites the text (`·` for `@`, literals); these are what the program finds.
"""

from __future__ import annotations

import functools
from typing import Any

import torch


def as_tensor(value: Any) -> Any:
    """Numbers and lists become float32 tensors; anything else is returned as it is."""
    if isinstance(value, (int, float, list, tuple)) and not isinstance(value, bool):
        return torch.tensor(value, dtype=torch.float32)
    return value


def param(value: Any) -> torch.Tensor:
    """A float32 leaf tensor with requires_grad=True, from a number, list or tensor."""
    if isinstance(value, torch.Tensor):
        return value.detach().clone().float().requires_grad_(True)
    return torch.tensor(value, dtype=torch.float32, requires_grad=True)


def _tensor_function(fn, **defaults):
    """Wrap a torch function so plain numbers and lists work as its arguments."""

    def call(*args, **kwargs):
        return fn(*(as_tensor(a) for a in args), **{**defaults, **kwargs})

    call.__name__ = fn.__name__
    call.__qualname__ = fn.__name__
    return call


def _with_builtin(torch_fn, builtin_fn):
    """`sum`, `max`, `min`: torch's on a tensor (math style), Python's otherwise."""

    def call(*args, **kwargs):
        if args and isinstance(args[0], torch.Tensor):
            return torch_fn(*args, **kwargs)
        return builtin_fn(*args, **kwargs)

    return call


_ELEMENTWISE = """
sigmoid tanh relu exp log sin cos tan sqrt square sinh cosh log1p expm1 log2 log10 exp2 asin acos
atan sign floor ceil neg reciprocal rsqrt mean prod norm std var dot matmul mm mv outer clamp
maximum minimum where
""".split()


def math_functions() -> dict[str, Any]:
    """The bare function names both styles may call (a fresh dict: a run may add names)."""
    return dict(_math_table())


@functools.cache
def _math_table() -> dict[str, Any]:
    # The wrappers hold no state, so one set serves every run: building it took ~2 ms a run.
    table: dict[str, Any] = {name: _tensor_function(getattr(torch, name)) for name in _ELEMENTWISE}
    table["softmax"] = _tensor_function(torch.softmax, dim=-1)
    table["log_softmax"] = _tensor_function(torch.log_softmax, dim=-1)
    for name in ("gelu", "leaky_relu", "softplus", "silu", "elu"):
        table[name] = _tensor_function(getattr(torch.nn.functional, name))
    table["cat"], table["stack"] = torch.cat, torch.stack
    table["param"] = param
    return table


def math_builtins(builtin_table: dict[str, Any]) -> dict[str, Any]:
    """Math style only: `sum`, `max`, `min` reduce tensors the torch way."""
    return {
        name: _with_builtin(getattr(torch, name), builtin_table[name])
        for name in ("sum", "max", "min")
    }
