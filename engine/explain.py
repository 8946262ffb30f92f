"""Say in words what each backward step did, with this run's numbers."""

from __future__ import annotations

from . import graph as g
from .ops import symbol
from .values import fmt_value


def explain(step: g.Step, graph: g.Graph) -> str:
    """One or two sentences for a step: what arrived, what went where."""
    if step.leaf is not None:
        leaf = graph.node(step.leaf).label
        arrived = fmt_value(step.grad_outputs[0] if step.grad_outputs else None)
        if step.grad_before is None:
            return f"{leaf}.grad was empty, so {leaf}.grad = {arrived}."
        return (
            f"{leaf}.grad already held {fmt_value(step.grad_before)}, so "
            f"{leaf}.grad += {arrived} gives {fmt_value(step.grad_after)}."
        )
    node = graph.node(step.node)
    incoming = ", ".join(fmt_value(v) for v in step.grad_outputs) or "nothing"
    sends = [
        f"{fmt_value(grad)} to {_label(graph, target)}"
        for grad, target in zip(step.grad_inputs, step.targets, strict=False)
        if target is not None and grad is not None
    ]
    text = f"{step.op} ({node.label or symbol(step.op)}) receives ∂L/∂out = {incoming}"
    return text + (f" and sends {'; '.join(sends)}." if sends else ".")


def _label(graph: g.Graph, node_id: str) -> str:
    node = graph.node(node_id)
    if node.kind == g.ACCUMULATE:
        leaves = [e.src for e in graph.edges if e.dst == node_id and e.kind == g.LEAF_EDGE]
        return graph.node(leaves[0]).label if leaves else node.label
    return node.name or node.label
