"""The textbook derivative (sympy) of scalar elementwise maths, read off the recorded graph."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from . import graph as g
from .ops import base_name


@dataclass(frozen=True)
class Symbolic:
    """y = f(x) and dy/dx = f'(x) as text, with f'(x) evaluated at x's values."""

    variable: str
    function: str  # e.g. "x**2 + 3*x"
    derivative: str  # e.g. "2*x + 3"
    values: Any  # f'(x) at each element of x, nested like x's value
    summed: bool  # the output was a sum over elementwise maths (the lesson's y.sum())


def curve(sym: Symbolic, lo: float, hi: float, n: int = 200) -> tuple[list[float], list[float]]:
    """Samples of f on [lo, hi] for plotting; points where f is undefined come back as nan."""
    import sympy as sp

    x = sp.Symbol(sym.variable)
    f = sp.lambdify(x, sp.sympify(sym.function, locals={sym.variable: x}), modules="math")
    xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
    ys = []
    for v in xs:
        try:
            ys.append(float(f(v)))
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            ys.append(float("nan"))
    return xs, ys


MAX_OPS = 40  # sympy's simplify grows fast; past this the formula is too long to read anyway


# Elementwise ops and how sympy writes them; binary ones take the operands in slot order.
def _table(sp):
    return {
        "Add": lambda a, b: a + b,
        "Sub": lambda a, b: a - b,
        "Rsub": lambda a, b: b - a,
        "Mul": lambda a, b: a * b,
        "Div": lambda a, b: a / b,
        "Pow": lambda a, b: a**b,
        "Neg": lambda a: -a,
        "Exp": sp.exp,
        "Log": sp.log,
        "Sin": sp.sin,
        "Cos": sp.cos,
        "Tan": sp.tan,
        "Tanh": sp.tanh,
        "Sqrt": sp.sqrt,
        "Sigmoid": lambda a: 1 / (1 + sp.exp(-a)),
        "Relu": lambda a: sp.Max(0, a),
        "Abs": sp.Abs,
        "Reciprocal": lambda a: 1 / a,
    }


def symbolic_derivative(graph: g.Graph) -> Symbolic | None:
    """f'(x) for a graph of elementwise maths in one leaf x (under an optional final sum)."""
    leaves = [n for n in graph.nodes if n.kind == g.LEAF]
    if len(leaves) != 1 or graph.output is None or leaves[0].value is None:
        return None
    import sympy as sp  # lazy: sympy is slow to import and only this check needs it

    leaf = leaves[0]
    x = sp.Symbol(leaf.name or "x")
    inputs = _inputs(graph)
    root = inputs.get(graph.output, [None])[0]
    summed = False
    if root is None:
        return None  # the output is the leaf itself: nothing to differentiate
    if base_name(graph.node(root).op or "") == "Sum":
        root, summed = inputs[root][0], True
    if sum(1 for n in graph.nodes if n.kind == g.OP) > MAX_OPS:
        return None
    try:
        f = _build(graph, root, inputs, x, leaf.id, _table(sp))
        if f is None or not f.has(x):
            return None
        df = sp.simplify(sp.diff(f, x))
        fn = sp.lambdify(x, df, modules="math")
        values = _map(leaf.value, lambda v: float(fn(v)))
    except (_NotElementwise, ArithmeticError, ValueError, TypeError, RecursionError):
        return None  # outside what a textbook derivative can show (or undefined at x)
    return Symbolic(str(x), str(f), str(df), values, summed)


class _NotElementwise(Exception):
    """The graph holds an op this check does not read (a matmul, a reshape, a vector constant)."""


def _inputs(graph: g.Graph) -> dict[str, list[str]]:
    """Each node's operands in order: differentiable slots first by slot, then constants."""
    edges = sorted(
        (e for e in graph.edges if e.kind in (g.GRAD, g.DATA, g.OUT_EDGE, g.LEAF_EDGE)),
        key=lambda e: (e.slot is None, e.slot or 0),
    )
    out: dict[str, list[str]] = {}
    for e in edges:
        out.setdefault(e.dst, []).append(e.src)
    return out


def _build(graph, root, inputs, x, leaf_id, table):
    """Post-order over the graph with an explicit stack (no recursion), node -> sympy expr."""
    done: dict[str, Any] = {}
    stack = [(root, False)]
    while stack:
        nid, ready = stack.pop()
        if nid in done:
            continue
        node = graph.node(nid)
        if node.kind in (g.LEAF, g.ACCUMULATE):
            done[nid] = x
            continue
        if node.kind in (g.CONSTANT, g.CUT):
            if not isinstance(node.value, (int, float)):
                raise _NotElementwise(node.label)
            done[nid] = node.value
            continue
        args = inputs.get(nid, [])
        if not ready:
            stack.append((nid, True))
            stack.extend((a, False) for a in args)
            continue
        maker = table.get(base_name(node.op or ""))
        if maker is None:
            raise _NotElementwise(node.op)
        operands = [done[a] for a in args]
        if base_name(node.op) == "Pow" and len(operands) == 1:
            exponent = node.exponent_value  # not watched forward: read the saved exponent
            if exponent is None:
                raise _NotElementwise("a power without a known exponent")
            operands.append(exponent)
        try:
            done[nid] = maker(*operands)
        except TypeError as exc:  # an operand autograd dropped and the forward did not show
            raise _NotElementwise(node.op) from exc
    return done.get(root)


def _map(value: Any, fn) -> Any:
    if isinstance(value, (tuple, list)):
        return tuple(_map(v, fn) for v in value)
    return fn(value)
