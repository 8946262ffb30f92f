"""The backward pass as frames: what each step restyles on the one laid-out picture."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine import graph as g
from engine.explain import break_text, explained, expression, unbroken
from engine.values import cut, fmt_value

from .view import View

FORMULA_NODES = 300  # beyond this, forward captions skip the formula (it scans the whole graph)


@dataclass(frozen=True)
class Frame:
    """What one step changes: the active node, gradients on edges, .grad texts."""

    step: int | None  # index in pass.steps; None before backward
    node: str | None  # drawn node backward runs now
    travel: tuple[tuple[str, str], ...]  # (edge id, gradient text) moving at this step
    grads: tuple[tuple[str, str], ...]  # (drawn leaf id, its .grad row text) set at this step
    caption: str
    reveal: tuple[tuple[str, str], ...] = ()  # forward: (drawn node id, value row it computes)
    # forward: (drawn leaf id, drawn op id) where a leaf's value goes straight into the op; the
    # AccumulateGrad drawn between them is a backward-only sink, so no drawn edge carries it
    flow: tuple[tuple[str, str], ...] = ()


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
    pass_ = explained(pass_)
    graph = pass_.graph
    out = graph.node(graph.output) if graph.output else None
    root = next((e.src for e in graph.edges if e.kind == g.OUT_EDGE), None)
    total = len(pass_.steps)
    first = f"Before backward: {out.label if out else 'the output'}"
    if out is not None and out.value is not None:
        first += f" = {cut(fmt_value(out.value), value_chars)}"
    first += "." if pass_.broke is None else f". {break_text(pass_)}"
    frames = [Frame(None, None, (), _initial_grads(pass_, view), first)]
    for step in pass_.steps:
        travel: list[tuple[str, str]] = []
        if step.node == root and step.grad_outputs and graph.output is not None:
            out_edge = view.edge_of.get((root, graph.output, None))
            if out_edge:
                travel.append((out_edge, cut(fmt_value(step.grad_outputs[0]), value_chars)))
        for slot, (grad, target) in enumerate(zip(step.grad_inputs, step.targets, strict=False)):
            edge = view.edge_of.get((target, step.node, slot)) if target else None
            if edge and grad is not None:
                travel.append((edge, cut(fmt_value(grad), value_chars)))
        grads: tuple[tuple[str, str], ...] = ()
        if step.leaf is not None:
            leaf_edge = view.leaf_edge.get(step.node)
            if leaf_edge and step.grad_outputs:
                travel.append((leaf_edge, cut(fmt_value(step.grad_outputs[0]), value_chars)))
            drawn_leaf = view.node_of.get(step.leaf)
            if drawn_leaf is not None:
                added = step.grad_outputs[0] if step.grad_before is not None else None
                text = grad_row(graph.node(step.leaf).label, step.grad_after, added)
                grads = ((drawn_leaf, cut(text, value_chars + 12)),)
        caption = f"Step {step.index + 1} of {total}: {step.explanation or step.op}"
        if step.index == total - 1 and pass_.broke is not None:
            caption += f"\n{break_text(pass_)}"
        caption = unbroken(caption)  # a vector or ∂y/∂x never breaks across the caption's lines
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


def value_row(node: g.Node, value_chars: int) -> str | None:
    """The value line a node is drawn with (None: it shows no value)."""
    if node.value is None or node.kind == g.SUMMARY:
        return None
    value = cut(fmt_value(node.value), value_chars)
    if node.is_tensor:
        return None if _is_number(node.label) else value  # a label such as 3 says its value
    return f"{node.name} = {value}" if node.name else f"= {value}"


def build_forward_frames(
    graph: g.Graph, view: View, value_chars: int = 36, show_values: bool = True
) -> list[Frame]:
    """The forward pass: frame 0 shows the inputs, then each computed node in topological
    order lights up, its inputs arriving along its edges and its value revealed.

    Empty when nothing is computed (a lone parameter has no forward pass to show).
    """
    order = forward_order(view)
    into: dict[str, list[str]] = {}
    for e in view.edges:
        into.setdefault(e.dst, []).append(e.id)
    kinds = {n.id: n.kind for n in view.nodes}
    computed = [n for n in order if into.get(n.id) and n.kind != g.ACCUMULATE]
    if not computed:
        return []
    sources = [n for n in order if n.is_tensor and not into.get(n.id) and not _is_number(n.label)]
    named = [f"{n.label} = {cut(fmt_value(n.value), 16)}" if n.value is not None else n.label
             for n in sources[:4]]  # fmt: skip
    first = "Before forward: the inputs " + ", ".join(named) if named else "Before forward"
    first += ", …" if len(sources) > 4 else ""
    frames = [Frame(None, None, (), (), first + ". Values flow along the arrows.")]
    src_of = {e.id: e.src for e in view.edges}
    for k, node in enumerate(computed, start=1):
        # A leaf's value goes straight into the op: its AccumulateGrad, drawn between them,
        # only receives gradients, so its edges carry nothing forward.
        edges = [e for e in into[node.id] if kinds.get(src_of[e]) != g.ACCUMULATE]
        flow = tuple(
            (src_of[leaf_edge], node.id)
            for e in into[node.id]
            if kinds.get(src_of[e]) == g.ACCUMULATE
            for leaf_edge in into.get(src_of[e], [])
        )
        row = value_row(node, value_chars) if show_values else None
        reveal = ((node.id, row),) if row else ()
        text = _forward_text(graph, node, value_chars)
        caption = f"Forward {k} of {len(computed)}: {text}"
        travel = tuple((e, "") for e in edges)
        frames.append(Frame(None, node.id, travel, (), caption, reveal, flow))
    return frames


def forward_order(view: View) -> list[g.Node]:
    """Drawn nodes, inputs before the nodes they feed: a depth-first post-order from the
    sinks, inputs in argument order (slot), so operands are computed left to right."""
    slot = {drawn: key[2] for key, drawn in view.edge_of.items()}
    into: dict[str, list[tuple[int, str]]] = {}
    has_out = set()
    for i, e in enumerate(view.edges):
        at = slot.get(e.id)
        into.setdefault(e.dst, []).append((at if at is not None else 1_000_000 + i, e.src))
        has_out.add(e.src)
    by_id = {n.id: n for n in view.nodes}
    done: set[str] = set()
    order: list[g.Node] = []
    for sink in (n.id for n in view.nodes if n.id not in has_out):
        stack = [(sink, iter(sorted(into.get(sink, ()))))]
        done.add(sink)
        while stack:
            nid, rest = stack[-1]
            nxt = next((src for _, src in rest if src not in done), None)
            if nxt is None:
                stack.pop()
                order.append(by_id[nid])
            else:
                done.add(nxt)
                stack.append((nxt, iter(sorted(into.get(nxt, ())))))
    return order


def _forward_text(graph: g.Graph, node: g.Node, value_chars: int) -> str:
    """Caption text such as "w · x = 1.4", or "h = x × 3 = 6.0"; the formula on small graphs."""
    value = cut(fmt_value(node.value), value_chars) if node.value is not None else None
    name = node.name or (node.label if node.is_tensor else None)
    formula = None
    if node.kind != g.SUMMARY and len(graph.nodes) <= FORMULA_NODES:
        target = node
        if node.kind == g.OUTPUT:  # the output is what its op computed
            into = graph.edges_into(node.id)
            target = graph.node(into[0].src) if into else node
        if not target.is_tensor:
            formula = expression(graph, target.id, named=False)
    if formula is None and not name:  # a big graph: say which op, the formula is skipped
        formula = f"{node.label} ({node.op})" if node.op else node.label
    parts = [p for p in (name, formula, value) if p]
    if node.kind == g.SUMMARY:
        return f"{node.label} ({node.op}): values pass through"
    if node.kind == g.OUTPUT:
        parts[-1] += ", the output: backward starts from here"
    return " = ".join(parts)


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


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
