"""The step card: what one backward step did, in words and this run's numbers (markdown)."""

from __future__ import annotations

from typing import Any

from engine import graph as g
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
    return f"`{fmt_value(value)}`"


def step_markdown(pass_: g.Pass, index: int | None) -> str:
    """The card for step `index` of a pass; None (or -1) is the moment before backward starts."""
    graph, steps, out = pass_.graph, pass_.steps, pass_.output
    blocks: list[str] = []  # markdown paragraphs, lists and tables
    if not steps and any(n.requires_grad for n in graph.nodes):
        blocks.append(
            f"**Nothing to step through.** `{out}` is a leaf itself: backward sets its "
            "`.grad` to 1 directly, with no op in between."
        )
    elif not steps:
        blocks.append("**No backward pass.** Nothing in this graph requires a gradient.")
    elif index is None or index < 0:
        blocks += [
            f"**Before backward** · {len(steps)} steps to go",
            f"The forward pass built this graph. Press ▶ to send ∂{out}/∂{out} = 1 "
            "back through it, one node at a time, in the order PyTorch runs them.",
        ]
    else:
        step = steps[min(index, len(steps) - 1)]
        head = f"**Step {step.index + 1} of {len(steps)}** · `{step.op}`"
        if loss_symbol(out) != out:
            head += f" · L = `{out}`"
        blocks.append(head)
        blocks += _step_blocks(graph, step, loss_symbol(out))
    leaves = [n for n in graph.nodes if n.kind == g.LEAF]
    if leaves:
        table = ["| leaf | shape | `.grad` |", "| --- | --- | --- |"]
        for leaf, (name, grad, how) in zip(leaves, leaf_grads(pass_, index), strict=True):
            mark = " (`+=`)" if how == "+=" else ""
            table.append(f"| **{name}** | {fmt_shape(leaf.shape)} | {_code(grad)}{mark} |")
        blocks.append("\n".join(table))
    return "\n\n".join(blocks)


def loss_symbol(out: str) -> str:
    """The letter the chain rule uses for the output: its name (y), or L for y.sum()."""
    return out if out.isidentifier() else "L"


def chain_rule_text(step: g.Step, out: str = "L") -> str:
    """The engine's explanation as rows: the formula, then = the numbers, then = the result.

    ∂L/∂w = ∂L/∂out · x
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
    return "\n".join(rows).replace("∂L/", f"∂{out}/")


def _step_blocks(graph: g.Graph, step: g.Step, out: str) -> list[str]:
    arrived = ", ".join(_code(v) for v in step.grad_outputs) or "nothing"
    if step.leaf is not None:
        leaf = node_name(graph, step.leaf)
        if step.grad_before is None:
            write = f"{leaf}.grad = {_code(step.grad_after)}"
        else:
            before, after = _code(step.grad_before), _code(step.grad_after)
            write = f"{leaf}.grad `+=` {arrived}: {before} → {after}"
        return [
            f"**Runs** AccumulateGrad for leaf **{leaf}**",
            f"**Arrives** ∂{out}/∂{leaf} = {arrived}",
            f"**Writes** {write}",
        ]
    sends = [
        f"- to **{node_name(graph, target)}**: {_code(grad)}"
        for grad, target in zip(step.grad_inputs, step.targets, strict=False)
        if target is not None
    ]
    chain = chain_rule_text(step, out)
    return [
        f"**Runs** {node_name(graph, step.node)}",
        f"**Arrives** ∂{out}/∂out = {arrived}",
        *([f"**Chain rule**\n```text\n{chain}\n```"] if chain else []),
        "**Sends**\n" + "\n".join(sends) if sends else "**Sends** nothing: no input needs it",
    ]
