"""Generated arithmetic over named tensors: the interpreter agrees with torch called directly."""

from __future__ import annotations

import operator
import sys
from pathlib import Path

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a fresh checkout runs too

from engine.interpreter import execute

VALUES = {"a": [0.5, -1.5, 2.0], "b": [1.25, 0.75, -0.5], "c": [3.0, -2.0, 0.25]}

# name -> the torch function the bare name stands for in the program
UNARY = {
    "tanh": torch.tanh,
    "sigmoid": torch.sigmoid,
    "relu": torch.relu,
    "abs": abs,  # Python's own abs: a plain number stays a number, as in the program
    "exp": torch.exp,
    "sin": torch.sin,
    "square": torch.square,
}
# Python's operators, so number-with-number parts are computed exactly as the program does.
BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}


def leaf(name: str) -> st.SearchStrategy:
    return st.just((name, lambda env, name=name: env[name]))


def number() -> st.SearchStrategy:
    # negative numbers in parentheses: `-1 ** 0` would mean -(1 ** 0)
    numbers = st.sampled_from([0.5, 2, 3, -1])
    return numbers.map(lambda n: (repr(n) if n >= 0 else f"({n})", lambda env, n=n: n))


def extend(children: st.SearchStrategy) -> st.SearchStrategy:
    binary = st.tuples(st.sampled_from(sorted(BINARY)), children, children).map(
        lambda t: (
            f"({t[1][0]} {t[0]} {t[2][0]})",
            lambda env, t=t: BINARY[t[0]](t[1][1](env), t[2][1](env)),
        )
    )
    power = st.tuples(children, st.integers(0, 3)).map(
        lambda t: (f"({t[0][0]} ** {t[1]})", lambda env, t=t: t[0][1](env) ** t[1])
    )
    unary = st.tuples(st.sampled_from(sorted(UNARY)), children).map(
        lambda t: (f"{t[0]}({t[1][0]})", lambda env, t=t: _unary(t[0], t[1][1](env)))
    )
    negate = children.map(lambda t: (f"(-{t[0]})", lambda env, t=t: -t[1](env)))
    return st.one_of(binary, power, unary, negate)


def _unary(name, value):
    """Bare maths functions turn a plain number into a float32 tensor first."""
    return UNARY[name](value if name == "abs" else _tensor(value))


def _tensor(value):
    return value if isinstance(value, torch.Tensor) else torch.tensor(float(value))


EXPRESSIONS = st.recursive(
    st.one_of(*(leaf(name) for name in VALUES), number()), extend, max_leaves=8
)
REDUCTIONS = st.sampled_from(["sum", "mean"])


@settings(max_examples=200, deadline=None)
@given(EXPRESSIONS, REDUCTIONS)
def test_generated_expression_matches_torch(expression, reduction):
    """Value and gradients of a generated expression equal torch's, computed directly."""
    text, build = expression
    leaves = {k: torch.tensor(v, requires_grad=True) for k, v in VALUES.items()}
    inputs = {k: torch.tensor(v, requires_grad=True) for k, v in VALUES.items()}
    run = execute(f"r = {text}\nout = {reduction}(r * a)\nout.backward()\n", inputs=inputs)
    assert run.error is None, (text, run.error)

    expected = build(leaves)
    out = getattr(torch, reduction)(expected * leaves["a"])
    out.backward()
    mine = _tensor(run.namespace["r"])
    torch.testing.assert_close(mine, _tensor(expected), rtol=0, atol=0, equal_nan=True)
    for name in VALUES:
        mine, theirs = inputs[name].grad, leaves[name].grad
        if theirs is None:
            assert mine is None or not mine.any()
        else:
            torch.testing.assert_close(mine, theirs, rtol=0, atol=0, equal_nan=True)
