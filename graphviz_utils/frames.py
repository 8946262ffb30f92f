"""The backward pass as frames: what each step restyles on the one laid-out picture."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import graph as g
from engine.values import fmt_value

from .view import View


@dataclass(frozen=True)
class Frame:
    """What one step changes: the active node, gradients on edges, .grad texts."""

    step: int | None  # index in pass.steps; None before backward
    node: str | None  # drawn node backward runs now
    travel: tuple[tuple[str, str], ...]  # (edge id, gradient text) moving at this step
    grads: tuple[tuple[str, str], ...]  # (drawn leaf id, its .grad row text) set at this step
    caption: str


@dataclass
class State:
    """The picture after a frame: everything earlier frames left behind, and the current one."""

    active: str | None = None
    travel: dict[str, str] = field(default_factory=dict)
    done: dict[str, str] = field(default_factory=dict)
    grads: dict[str, str] = field(default_factory=dict)
    ran: set[str] = field(default_factory=set)
    caption: str = ""


def grad_row(leaf: str, value: object, added: object = None) -> str:
    """A leaf's .grad line; with `added` it shows the accumulation (+=)."""
    if added is None:
        return f"{leaf}.grad = {fmt_value(value)}"
    return f"{leaf}.grad += {fmt_value(added)} → {fmt_value(value)}"


def build_frames(pass_: g.Pass | None, view: View, value_chars: int = 36) -> list[Frame]:
    """Frame 0 is the graph before backward; frame k+1 shows pass.steps[k]."""
    if pass_ is None:
        return [Frame(None, None, (), (), "")]
    graph = pass_.graph
    out = graph.node(graph.output) if graph.output else None
    root = next((e.src for e in graph.edges if e.kind == g.OUT_EDGE), None)
    total = len(pass_.steps)
    first = f"Before backward: {out.label if out else 'the output'}"
    if out is not None and out.value is not None:
        first += f" = {_cut(fmt_value(out.value), value_chars)}"
    frames = [Frame(None, None, (), _initial_grads(pass_, view), first + ".")]
    for step in pass_.steps:
        travel: list[tuple[str, str]] = []
        if step.node == root and step.grad_outputs:
            out_edge = view.edge_of.get((root, graph.output, None))
            if out_edge:
                travel.append((out_edge, _cut(fmt_value(step.grad_outputs[0]), value_chars)))
        for slot, (grad, target) in enumerate(zip(step.grad_inputs, step.targets, strict=False)):
            edge = view.edge_of.get((target, step.node, slot)) if target else None
            if edge and grad is not None:
                travel.append((edge, _cut(fmt_value(grad), value_chars)))
        grads: tuple[tuple[str, str], ...] = ()
        if step.leaf is not None:
            leaf_edge = view.leaf_edge.get(step.node)
            if leaf_edge and step.grad_outputs:
                travel.append((leaf_edge, _cut(fmt_value(step.grad_outputs[0]), value_chars)))
            drawn_leaf = view.node_of.get(step.leaf)
            if drawn_leaf is not None:
                added = step.grad_outputs[0] if step.grad_before is not None else None
                text = grad_row(graph.node(step.leaf).label, step.grad_after, added)
                grads = ((drawn_leaf, _cut(text, value_chars + 12)),)
        caption = f"Step {step.index + 1} of {total}: {step.explanation or step.op}"
        frames.append(Frame(step.index, view.node_of.get(step.node), tuple(travel), grads, caption))
    return frames


def _initial_grads(pass_: g.Pass, view: View) -> tuple[tuple[str, str], ...]:
    """Leaves that already hold a .grad (an earlier backward) show it from the start."""
    out = []
    for step in pass_.steps:
        if step.leaf is not None and step.grad_before is not None:
            leaf = view.node_of.get(step.leaf)
            if leaf is not None:
                out.append((leaf, grad_row(pass_.graph.node(step.leaf).label, step.grad_before)))
    return tuple(out)


def state_at(frames: list[Frame], index: int) -> State:
    """Replay frames 0..index: earlier travels become done, the last .grad text wins."""
    if not 0 <= index < len(frames):
        raise IndexError(f"frame {index} is out of range (0..{len(frames) - 1})")
    state = State()
    for i, frame in enumerate(frames[: index + 1]):
        state.grads.update(frame.grads)
        if i < index:
            state.done.update(frame.travel)
            if frame.node:
                state.ran.add(frame.node)
    last = frames[index]
    state.active = last.node
    state.travel = dict(last.travel)
    state.caption = last.caption
    return state


def reserved_texts(frames: list[Frame]) -> tuple[dict[str, str], dict[str, str]]:
    """The widest text each edge label and .grad row will ever show: its room from the start."""
    edges: dict[str, str] = {}
    grads: dict[str, str] = {}
    for frame in frames:
        for target, pairs in ((edges, frame.travel), (grads, frame.grads)):
            for key, text in pairs:
                if len(text) >= len(target.get(key, "")):
                    target[key] = text
    return edges, grads


def frame_index(step: int | None, frames: list[Frame]) -> int:
    """pass.steps index (None or -1: before backward) -> frame index, with a clear error."""
    if step is None or step == -1:
        return 0
    last = len(frames) - 2
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= last:
        if last < 0:
            raise ValueError(f"step {step!r} is out of range: this graph has no backward steps")
        raise ValueError(f"step {step!r} is out of range: choose 0..{last} (or -1 for before)")
    return step + 1


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
