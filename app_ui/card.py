"""The step card: what one backward step did, in words and this run's numbers (markdown)."""

from __future__ import annotations

from typing import Any

from engine import graph as g
from engine.explain import (
    arrival,
    break_text,
    d,
    leaf_write,
    output_symbol,
    position,
    produces,
    unbroken,
)
from engine.values import fmt_shape, fmt_value


def node_name(graph: g.Graph, node_id: str | None) -> str:
    """What a person calls a node: its variable name, or its op (and the leaf it writes)."""
    if node_id is None:
        return "—"
    node = graph.node(node_id)
    if node.kind == g.ACCUMULATE:
        leaf = graph.leaf_of(node_id)
        return f"AccumulateGrad ({node_name(graph, leaf)})" if leaf else node.label
    if node.kind == g.OP:
        return f"{node.op} ({node.label})" if node.op else node.label
    return node.name or node.label


def leaf_grads(pass_: g.Pass, upto: int | None) -> list[tuple[str, Any, str]]:
    """Each leaf's (name, .grad after step `upto`, how it got there: '', '=' or '+=')."""
    rows = []
    for leaf in (n for n in pass_.graph.nodes if n.kind == g.LEAF):
        writes = [s for s in pass_.steps if s.leaf == leaf.id]
        grad, how = (writes[0].grad_before if writes else leaf.grad), ""
        for s in writes:
            if upto is not None and s.index <= upto:
                grad, how = s.grad_after, ("+=" if s.grad_before is not None else "=")
        rows.append((leaf.name or leaf.label, grad, how))
    return rows


def _code(value: Any) -> str:
    return f"`{unbroken(fmt_value(value))}`"


def step_markdown(pass_: g.Pass, index: int | None) -> str:
    """The card for step `index` of a pass; None (or -1) is the moment before backward starts."""
    graph, steps, out = pass_.graph, pass_.steps, pass_.output
    symbol = output_symbol(graph)
    blocks: list[str] = []  # markdown paragraphs, lists and tables
    if pass_.broke is not None:
        blocks.append(f":red[**✗**] {unbroken(break_text(pass_))}")
    if not steps:
        blocks += [] if pass_.broke is not None else [_no_steps(graph, out)]
    elif index is None or index < 0:
        named = f" (`{symbol} = {out}`)" if symbol != out else ""
        blocks += [
            f"**Before backward** · {len(steps)} steps to go",
            f"The forward pass built this graph. Press ▶ to send ∂{symbol}/∂{symbol} = 1"
            f"{named} back through it, one node at a time, in the order PyTorch runs them.",
        ]
    else:
        step = steps[min(index, len(steps) - 1)]
        head = f"**Step {step.index + 1} of {len(steps)}** · `{step.op}`"
        if symbol != out:
            head += f" · `{symbol} = {out}`"
        blocks.append(head)
        blocks += _step_blocks(pass_, step)
    leaves = [n for n in graph.nodes if n.kind == g.LEAF]
    if leaves:
        # Plain text, not code: a table cell of code may wrap anywhere, letter by letter.
        table = ["| leaf | shape | .grad |", "| --- | --- | --- |"]
        for leaf, (name, grad, how) in zip(leaves, leaf_grads(pass_, index), strict=True):
            mark = " (`+=`)" if how == "+=" else ""
            shown = unbroken(fmt_value(grad))
            table.append(f"| **{name}** | {fmt_shape(leaf.shape)} | {shown}{mark} |")
        blocks.append("\n".join(table))
    return unbroken("\n\n".join(blocks))


def _no_steps(graph: g.Graph, out: str) -> str:
    if any(n.requires_grad for n in graph.nodes):
        return (
            f"**Nothing to step through.** `{out}` is a leaf itself: backward sets its "
            "`.grad` to 1 directly, with no op in between."
        )
    return "**No backward pass.** Nothing in this graph requires a gradient."


def chain_rule_text(step: g.Step) -> str:
    """The engine's explanation as rows: the formula, then = the numbers, then = the result.

    ∂y/∂w = ∂y/∂(w · x) · x
          = 1.0 · [1.0, 2.0, 3.0]
          = [1.0, 2.0, 3.0]
    """
    rows = []
    for line in step.explanation.splitlines()[1:]:  # line 0 repeats what the card says
        left, sep, right = line.partition(" = ")
        if not sep or not left.startswith("∂"):
            rows.append(line)  # prose ("No input needs a gradient...") stays one row
            continue
        parts = right.split(" = ")
        pad = " " * len(left)
        rows.append(f"{left} = {parts[0]}")
        rows += [f"{pad} = {part}" for part in parts[1:]]
    return unbroken("\n".join(rows))


def _step_blocks(pass_: g.Pass, step: g.Step) -> list[str]:
    graph, steps = pass_.graph, pass_.steps
    symbol = output_symbol(graph)
    arrived = unbroken(arrival(graph, step, steps))
    if step.leaf is not None:
        leaf = node_name(graph, step.leaf)
        total = ", ".join(_code(v) for v in step.grad_outputs) or "nothing"
        return [
            f"**Runs** AccumulateGrad for leaf **{leaf}**",
            f"**Arrives** {d(symbol, leaf)} = {total}",
            f"**Writes** `{unbroken(leaf_write(graph, step, steps))}`",
        ]
    repeated = {t for t in step.targets if t is not None and step.targets.count(t) > 1}
    sends = [
        f"- to **{node_name(graph, target)}**"
        + (f" ({position(graph, step.node, slot)})" if target in repeated else "")
        + f": {_code(grad)}"
        for slot, (grad, target) in enumerate(zip(step.grad_inputs, step.targets, strict=False))
        if target is not None
    ]
    chain = chain_rule_text(step)
    here = d(symbol, produces(graph, step.node))
    return [
        f"**Runs** {node_name(graph, step.node)}",
        f"**Arrives** {here} = `{arrived}`",
        *([f"**Chain rule**\n```text\n{chain}\n```"] if chain else []),
        "**Sends**\n" + "\n".join(sends) if sends else "**Sends** nothing: no input needs it",
    ]


def pass_label(done: g.Pass, width: int = 18) -> str:
    """A backward pass as its stepper shows it: #3 · w.grad 18.0 → 27.0 (each leaf's .grad
    before and after the pass, as torch left them; — for no .grad yet)."""
    changes = []
    for step in done.steps:
        if step.leaf is not None:
            name = done.graph.node(step.leaf).label
            before, after = (
                _short(fmt_value(v), width) for v in (step.grad_before, step.grad_after)
            )
            changes.append(f"{name}.grad {before} → {after}")
    shown = " · ".join(changes[:2]) + (" · …" if len(changes) > 2 else "")
    if done.broke is not None:
        shown = "✗ backward() failed"
    return f"#{done.number} · {shown}" if shown else f"#{done.number} · {done.output}"


def point_pass(passes: tuple[g.Pass, ...]) -> int:
    """The pass a lesson makes its point on: the one where backward failed, else the last
    that added into a .grad already there (18 → 27), else the last."""
    broken = [p.number for p in passes if p.broke is not None]
    if broken:
        return broken[0]
    added = [p.number for p in passes if any(s.grad_before is not None for s in p.steps)]
    return (added or [p.number for p in passes] or [1])[-1]


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
