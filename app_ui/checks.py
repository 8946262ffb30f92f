"""Checks beside autograd: finite differences and the textbook derivative, leaf by leaf."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

import streamlit as st

from engine import graph as g
from engine.values import fmt_value

NUMERIC_MAX_ELEMENTS = 64  # the engine nudges leaves of at most this many elements
SYMBOLIC_MAX_NODES = 40  # graph nodes beyond which no textbook derivative is attempted
AGREE = 1e-3  # float32 autograd against float64 central differences: closer is agreement
CHECK_CAPTION = (
    "Numeric = (f(x + h) − f(x − h)) / 2h in float64, by re-running the program with one "
    "element nudged. Agreement means autograd's chain rule is right. They rightly differ at "
    "a kink (ReLU at 0) or where detach / no_grad cut the graph: autograd follows the graph, "
    "the nudge follows the maths."
)


def flat(value: Any) -> list[float]:
    """A number or nested list as a flat list of floats."""
    if isinstance(value, (list, tuple)):
        return [x for v in value for x in flat(v)]
    return [float(value)]


def max_difference(grad: Any, numeric: Any) -> float:
    """The largest |autograd − numeric| over the elements."""
    return max(abs(a - b) for a, b in zip(flat(grad), flat(numeric), strict=True))


def why_no_numeric(run, report) -> str:
    """One short reason why the engine left numeric_grad empty for this leaf."""
    if run.error is not None:
        return "not computed: the program stopped with an error"
    if len(run.history) != 1:
        return f"not computed: backward ran {len(run.history)} times (it needs exactly one)"
    if len(flat(report.value)) > NUMERIC_MAX_ELEMENTS:
        return f"not computed: more than {NUMERIC_MAX_ELEMENTS} elements"
    if report.effective_grad is None:
        return "not computed: no .grad to compare with"
    return "not computed for this leaf"


def check_rows(run) -> list[dict[str, str]]:
    """One row per leaf that requires grad: .grad, numeric gradient, their largest difference."""
    rows = []
    for name, t in run.tensors.items():
        if not (t.is_leaf and t.requires_grad):
            continue
        # A program without backward(): the explorer's own pass is what gets checked.
        grad = t.effective_grad
        row = {"leaf": name, "autograd .grad": fmt_value(grad) if grad is not None else "—"}
        if t.numeric_grad is None or grad is None:
            row["numeric (float64)"] = why_no_numeric(run, t)
            row["max |difference|"] = ""
        else:
            diff = max_difference(grad, t.numeric_grad)
            row["numeric (float64)"] = fmt_value(_tidy(t.numeric_grad))
            verdict = "✓ agree" if diff <= AGREE * max(1.0, _scale(grad)) else "✗ differ"
            row["max |difference|"] = f"{diff:.1e}  {verdict}"
        rows.append(row)
    return rows


def _tidy(value: Any) -> Any:
    """Central differences carry ~1e-10 of noise: 6.99999999 reads as 7.0, like autograd's."""
    if isinstance(value, (list, tuple)):
        return [_tidy(v) for v in value]
    return round(float(value), 6)


def _scale(grad: Any) -> float:
    return max((abs(x) for x in flat(grad) if math.isfinite(x)), default=1.0)


def symbolic_for(view):
    """engine.symbolic_derivative of the pass a RunView shows (the drawing options aside)."""
    return _symbolic(view.source, view.inputs, view.number)


@lru_cache(maxsize=64)
def _symbolic(source: str, inputs, number: int):
    """symbolic_for's cache, by program text (sympy is slow), not by the drawing options.

    A plain shared cache, like app_ui.compute's: the value is a frozen Symbolic.
    """
    from app_ui.compute import RunView
    from engine.symbolic import symbolic_derivative

    pass_ = RunView(source, inputs, number).pass_()
    # A textbook formula is for small maths: a 100-deep sin(sin(...)) is neither readable
    # nor fast for sympy, and a lone leaf has no function to differentiate.
    if pass_ is None or not pass_.steps or len(pass_.graph.nodes) > SYMBOLIC_MAX_NODES:
        return None
    try:
        return symbolic_derivative(pass_.graph)
    except (KeyError, RecursionError, ValueError, TypeError):
        return None  # an extra check must never take the page down with it


def output_name(pass_) -> str:
    """What the function is called in dy/dx: the output's name, without a trailing .sum()."""
    return pass_.output.removesuffix(".sum()") or "y"


def leaf_and_gradient(pass_, variable: str) -> tuple[Any, Any]:
    """The leaf's value when this pass ran, and the gradient this pass brought it."""
    leaf = next(n for n in pass_.graph.nodes if n.kind == g.LEAF and n.name == variable)
    arrived = [s.grad_outputs[0] for s in pass_.steps if s.leaf == leaf.id and s.grad_outputs]
    return leaf.value, arrived[0] if len(arrived) == 1 else leaf.grad


def symbolic_sentence(sym, pass_) -> str:
    """The lesson's sentence: dy/dx = 2*x + 3, so at x = [2.0, 3.0] it is [7.0, 9.0]."""
    y, x = output_name(pass_), sym.variable
    value, _ = leaf_and_gradient(pass_, x)
    return (
        f"d{y}/d{x} = `{sym.derivative}`, so at {x} = `{fmt_value(value)}` "
        f"it is `{fmt_value(sym.values)}`"
    )


def checks_ui(run, shown) -> None:
    """The Check tab: the symbolic derivative when there is one, then every leaf's comparison.

    `run` is the page's run, `shown` the RunView on screen (or None); when there is one, its
    finite differences are computed now, the first time this tab is opened for it (then
    cached).
    """
    sym = symbolic_for(shown) if shown else None
    if sym is not None:
        pass_ = shown.pass_()
        _, grad = leaf_and_gradient(pass_, sym.variable)
        with st.container(key="symbolic"):
            st.markdown(f"**Textbook derivative** (sympy) of `{sym.function}`")
            st.markdown(symbolic_sentence(sym, pass_))
            st.markdown(f"Autograd sent `{sym.variable}` the gradient `{fmt_value(grad)}`")
    if shown is not None:
        with st.spinner("Nudging each leaf element (finite differences)…"):
            run = shown.checked()
    rows = check_rows(run)
    if not rows:
        st.caption("No leaf requires grad, so there is nothing to check.")
        return
    st.markdown("**Finite differences** against autograd")
    st.dataframe(rows, hide_index=True, width="stretch", key="check-table")
    st.caption(CHECK_CAPTION)
