"""The math-style half of the model language: `·` for `@`, bare functions, `param(...)`."""

from __future__ import annotations

import ast
import functools
import io
import tokenize
from typing import Any

import torch

MIDDLE_DOT = "\u00b7"


def replace_middle_dot(source: str) -> str:
    """Turn `·` into `@` outside strings and comments, keeping every column where it was.

    U+00B7 is a legal identifier character, so `w·x` is one NAME token; tokenizing first
    tells us which `·` are code. When tokenizing fails the source is left alone and
    `ast.parse` reports the syntax error.
    """
    if MIDDLE_DOT not in source:
        return source
    if not any(mark in source for mark in "'\"#"):
        return source.replace(MIDDLE_DOT, "@")  # no string or comment: every `·` is code
    lines = source.splitlines(keepends=True)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return source
    for tok in tokens:
        if tok.type in (tokenize.STRING, tokenize.COMMENT) or MIDDLE_DOT not in tok.string:
            continue
        (row, col), (end_row, end_col) = tok.start, tok.end
        if row != end_row or row > len(lines):
            continue
        line = lines[row - 1]
        lines[row - 1] = line[:col] + line[col:end_col].replace(MIDDLE_DOT, "@") + line[end_col:]
    return "".join(lines)


def is_number_literal(node: ast.AST) -> bool:
    """A number, a signed number, or a (nested) list or tuple of them."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return is_number_literal(node.operand)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, (ast.List, ast.Tuple)):
        return bool(node.elts) and all(is_number_literal(elt) for elt in node.elts)
    return False


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
