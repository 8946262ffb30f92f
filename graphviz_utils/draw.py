"""Build the DOT of a graph in one state of the backward pass, themed and self-explaining."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from html import escape
from typing import Any

import graphviz

from engine import graph as g
from engine.explain import break_rows
from engine.values import cut, fmt_shape, fmt_value

from .frames import (
    Frame,
    State,
    build_forward_frames,
    build_frames,
    frame_index,
    reserved_texts,
    state_at,
    value_row,
)
from .layout import Layout, layout
from .options import DrawOptions, get_theme
from .themes import Theme
from .view import View, build_view

# How text that is not shown yet keeps its room: drawn in the background colour (a plain
# Digraph that dot lays out itself), left out (positions pinned from the one layout), or
# all shown (the player's base picture, which the player then restyles).
GHOST, BLANK, ALL = "ghost", "blank", "all"

KIND_TAGS = {
    g.LEAF: "parameter",
    g.CONSTANT: "constant",
    g.CUT: "cut off",
    g.OUTPUT: "output",
}


@dataclass
class Scene:
    """One graph ready to draw: the view, its frames, and the options."""

    view: View
    frames: list[Frame]
    options: DrawOptions
    edge_room: dict[str, str]
    grad_room: dict[str, str]
    grad_rows: set[str]  # drawn nodes that carry a .grad row
    forward: list[Frame] = field(default_factory=list)  # options.forward: played before backward
    broke: tuple[str | None, tuple[str, ...]] = (None, ())  # drawn node where backward stopped

    theme: Theme = field(init=False)

    def __post_init__(self) -> None:
        self.theme = get_theme(self.options.theme)
        self.label_key = "xlabel" if crowded(self.view) else "label"

    def state(self, step: int | None) -> State:
        return state_at(self.frames, frame_index(step, self.frames))

    def digraph(self, state: State, hidden: str = GHOST, pinned: Layout | None = None):
        return _digraph(self, state, hidden, pinned)

    def base_source(self) -> str:
        """DOT with every text at its widest, so later frames never need more room."""
        return self.digraph(State(), hidden=ALL).source

    def layout(self) -> Layout:
        """The one layout, of base_source (cached by its text)."""
        return layout(self.base_source(), self.options.layout_seconds)


def scene(graph_or_pass: g.Graph | g.Pass, options: DrawOptions | None = None) -> Scene:
    """Prepare an engine Graph or Pass for drawing."""
    options = options or DrawOptions()
    if isinstance(graph_or_pass, g.Pass):
        graph, pass_ = graph_or_pass.graph, graph_or_pass
    elif isinstance(graph_or_pass, g.Graph):
        graph, pass_ = graph_or_pass, None
    else:
        kind = type(graph_or_pass).__name__
        raise TypeError(f"expected an engine Graph or Pass, not {kind}")
    view = build_view(graph, options)
    frames = build_frames(pass_, view, options.value_chars)
    edge_room, grad_room = reserved_texts(frames)
    grad_rows = {n.id for n in view.nodes if n.kind == g.LEAF} | set(grad_room)
    forward = []
    if options.forward:
        forward = build_forward_frames(graph, view, options.value_chars, options.show_values)
    broke: tuple[str | None, tuple[str, ...]] = (None, ())
    if pass_ is not None and pass_.broke is not None:
        broke = (view.node_of.get(pass_.broke.node), break_rows(pass_))
    return Scene(view, frames, options, edge_room, grad_room, grad_rows, forward, broke)


def to_digraph(
    graph_or_pass: g.Graph | g.Pass,
    *,
    step: int | None = None,
    options: DrawOptions | None = None,
) -> graphviz.Digraph:
    """The graph as a graphviz.Digraph, styled for `step` of the backward pass (None: before)."""
    sc = scene(graph_or_pass, options)
    return sc.digraph(sc.state(step))


def _digraph(sc: Scene, state: State, hidden: str, pinned: Layout | None) -> graphviz.Digraph:
    t, o = sc.theme, sc.options
    dot = graphviz.Digraph(name="autograd", engine="dot")
    fs = t.font_size
    dot.attr(
        "graph",
        rankdir=o.direction,
        bgcolor="transparent" if o.transparent else t.background,
        fontname=t.font,
        fontsize=f"{fs * 0.85:g}",
        fontcolor=t.muted,
        # Compact: edge labels keep ranks apart anyway (dot gives them a rank of their own).
        nodesep=f"{(0.25 if t.compact else 0.35) * fs / 14:.2f}",
        ranksep=f"{(0.1 if t.compact else 0.45) * fs / 14:.2f}",
        pad="0.25",
        labelloc="b",
        label=_text_label(sc.view.notes),
    )
    pen = f"{t.pen:g}"
    dot.attr("node", fontname=t.font, fontsize=f"{fs:g}", fontcolor=t.text, color=t.text,
             penwidth=pen, margin="0.1,0.02" if t.compact else "0.12,0.06")  # fmt: skip
    dot.attr("edge", fontname=t.font, fontsize=f"{fs * 0.9:g}", color=t.text,
             fontcolor=t.text, penwidth=pen, arrowsize=f"{0.7 + t.pen / 6:.2f}")  # fmt: skip
    if sc.label_key == "xlabel":
        # Many edges leave one node: dot's ranked edge labels and full network simplex took
        # a minute on 160 nodes. Outside labels and a bounded simplex take a fraction of a second.
        dot.attr("graph", forcelabels="true", nslimit="2", nslimit1="2")
    if pinned is not None:
        dot.attr("graph", bb=pinned.bb)
    # Lines are written directly: graphviz's own quoting re-scans every long HTML label,
    # and make_dot must stay as fast as torchviz. Node names are our own safe ids.
    lines = dot.body
    for node in sc.view.nodes:
        node_attrs = _node_attrs(sc, node, state, hidden)
        if pinned is not None and f"node-{node.id}" in pinned.nodes:
            pos, w, h = pinned.nodes[f"node-{node.id}"]
            node_attrs += f' pos="{pos}!" width={w:g} height={h:g} fixedsize=true'
        lines.append(f"\t{node.id} [{node_attrs}]\n")
    for edge in sc.view.edges:
        attrs = _edge_attrs(sc, edge, state, hidden)
        if pinned is not None and edge.id in pinned.edges:
            pos, lp = pinned.edges[edge.id]
            attrs["pos"] = pos
            if lp:
                attrs["xlp" if sc.label_key == "xlabel" else "lp"] = lp
        lines.append(f"\t{edge.src} -> {edge.dst} [{_attr_list(attrs)}]\n")
    if o.legend:
        attrs = {"id": "legend", "shape": "plaintext", "label": _legend(sc)}
        if pinned is not None and "legend" in pinned.nodes:
            pos, w, h = pinned.nodes["legend"]
            attrs.update(pos=pos + "!", width=f"{w:g}", height=f"{h:g}", fixedsize="true")
        with dot.subgraph(name="legend_rank") as sub:
            sub.attr(rank="sink")
            sub.node("legend", **attrs)
    return dot


# Node shapes: kinds differ by outline and border, not by colour alone (print has no colour).
SHAPES: dict[str, dict[str, Any]] = {  # shape, style and peripheries are str; pen is float
    g.LEAF: dict(shape="box", style="rounded", pen=2.4),
    g.CONSTANT: dict(shape="box", style="", pen=1.0),
    g.CUT: dict(shape="box", style="dashed", pen=1.6),
    g.OUTPUT: dict(shape="box", style="rounded", pen=1.4, peripheries="2"),
    g.OP: dict(shape="ellipse", style="", pen=1.0),
    g.ACCUMULATE: dict(shape="hexagon", style="", pen=1.0),
    g.SUMMARY: dict(shape="note", style="dashed", pen=1.0),
}
FILLS = {g.LEAF: "leaf", g.CONSTANT: "constant", g.CUT: "cut", g.OUTPUT: "output",
         g.OP: "op", g.ACCUMULATE: "accumulate", g.SUMMARY: "constant"}  # fmt: skip


def _node_attrs(sc: Scene, node: g.Node, state: State, hidden: str) -> str:
    """The node's DOT attribute list; later attributes override the per-kind ones."""
    t = sc.theme
    label = _node_label(sc, node, state, hidden)
    attrs = f'id="node-{node.id}" {kind_attrs(t, node.kind)} label={label}'
    if node.id == state.active:
        pen = t.pen * SHAPES.get(node.kind, SHAPES[g.OP])["pen"]
        attrs += (
            f' color="{t.active}" fillcolor="{t.active_fill}" penwidth={max(pen, t.pen) * 2.4:g}'
        )
    elif node.id in state.ran:
        attrs += f' color="{t.done}"'
    if node.id == sc.broke[0] and node.id != state.active:
        attrs += f' color="{t.broken}" penwidth={t.pen * 3:g}'
    return attrs


@cache
def kind_attrs(t: Theme, kind: str, boxes: bool = False) -> str:
    """Shape, border and fill of a node kind in a theme (computed once: make_dot's speed).

    boxes=True draws every kind as a box (still told apart by fill, rounding and border),
    with dot's default line except where the border says something: dot lays out a big
    graph of plain boxes about 15 % faster than one of ellipses and hexagons.
    """
    shape = SHAPES.get(kind, SHAPES[g.OP])
    styles = [s for s in (shape["style"], "filled" if t.filled else "") if s]
    attrs = {
        "shape": "box" if boxes else shape["shape"],
        "style": ",".join(styles),
        "fillcolor": getattr(t, FILLS.get(kind, "op")),
        "penwidth": f"{t.pen * shape['pen']:g}",
    }
    if boxes and shape["pen"] == 1.0:
        del attrs["penwidth"]
    if "peripheries" in shape:
        attrs["peripheries"] = shape["peripheries"]
    return _attr_list(attrs)


def _node_label(sc: Scene, node: g.Node, state: State, hidden: str) -> str:
    t, o = sc.theme, sc.options
    fs = t.font_size
    rows: list[str] = []
    small = f'POINT-SIZE="{fs * 0.8:g}"'

    def head(text: str, size: float, kind: str, one_row: bool = t.compact) -> None:
        """The bold name (or op symbol), then the kind in small type: one row on a slide."""
        bold = f'<FONT POINT-SIZE="{fs * size:g}"><B>{escape(text)}</B></FONT>'
        tag = f'<FONT COLOR="{t.muted}" {small}>{escape(kind)}</FONT>'
        rows.extend([f"{bold}  {tag}"] if one_row else [bold, tag])

    if node.is_tensor:
        tag = KIND_TAGS[node.kind]
        if node.kind == g.CUT and node.cut_by:
            tag = f"cut off by {node.cut_by}"
        shape = fmt_shape(node.shape)
        tag += f" · {shape}" if shape else ""
        head(node.label, 1.2, tag)
        value = value_row(node, o.value_chars) if o.show_values else None
        if value is not None:
            rows.append(escape(value))
    elif node.kind == g.SUMMARY:
        head(node.label, 1.2, node.op or "")
    else:
        # AccumulateGrad has no value row: on one row its hexagon grows wide, not low.
        accumulate = node.kind == g.ACCUMULATE
        head("+=" if accumulate else node.label, 1.45, node.op or "", t.compact and not accumulate)
        value = value_row(node, o.value_chars) if o.show_values else None
        if value is not None:
            rows.append(escape(value))
        if o.show_saved:
            for s in node.saved:
                text = fmt_value(s.value) if s.value is not None else s.text
                line = cut(f"saved {s.name}: {text}", o.value_chars + 10)
                rows.append(f'<FONT COLOR="{t.muted}" {small}>{escape(line)}</FONT>')
    if node.id in sc.grad_rows:
        rows.append(_grad_row(sc, node, state, hidden))
    if node.id == sc.broke[0]:
        rows += [f'<FONT COLOR="{t.broken}"><B>{escape(r)}</B></FONT>' for r in sc.broke[1]]
    cells = "".join(f"<TR><TD>{r}</TD></TR>" for r in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def _grad_row(sc: Scene, node: g.Node, state: State, hidden: str) -> str:
    """The .grad line of a leaf: the room of its widest text, filled once backward gets there."""
    t = sc.theme
    room = sc.grad_room.get(node.id, f"{node.label}.grad = None")
    text, colour = state.grads.get(node.id), t.grad
    if text is None:
        if hidden == BLANK:
            return " "
        # A ghost in the colour of what is behind it keeps the room without showing.
        behind = getattr(t, FILLS[node.kind]) if t.filled else t.background
        text, colour = room, (t.grad if hidden == ALL else behind)
    return f'<FONT COLOR="{colour}"><B>{escape(text)}</B></FONT>'


EDGE_STYLES = {
    g.GRAD: dict(style="solid"),
    g.OUT_EDGE: dict(style="solid"),
    g.LEAF_EDGE: dict(style="solid"),
    g.DATA: dict(style="dashed", arrowhead="empty"),
    g.CUT_EDGE: dict(style="dotted", arrowhead="tee"),
}


def _edge_attrs(sc: Scene, edge, state: State, hidden: str) -> dict[str, str]:
    t = sc.theme
    attrs = {"id": edge.id, **EDGE_STYLES.get(edge.kind, EDGE_STYLES[g.GRAD])}
    if edge.kind in (g.DATA, g.CUT_EDGE):
        attrs["color"] = t.muted
    room = sc.edge_room.get(edge.id)
    if edge.id in state.travel:
        attrs.update(color=t.travel, fontcolor=t.travel, penwidth=f"{t.pen * 2.6:g}")
        attrs[sc.label_key] = _edge_label(state.travel[edge.id])
    elif edge.id in state.done:
        attrs.update(color=t.done, fontcolor=t.done, penwidth=f"{t.pen * 1.6:g}")
        attrs[sc.label_key] = _edge_label(state.done[edge.id])
    elif room is not None and hidden != BLANK:
        attrs[sc.label_key] = _edge_label(room)
        attrs["fontcolor"] = t.done if hidden == ALL else t.background
    return attrs


FAN_OUT = 6  # edges leaving one node beyond which dot's edge labels get very slow


def crowded(view: View) -> bool:
    """True when one node feeds many others (a tensor reused in a loop)."""
    out: dict[str, int] = {}
    for e in view.edges:
        out[e.src] = out.get(e.src, 0) + 1
    return max(out.values(), default=0) > FAN_OUT


def _edge_label(text: str) -> str:
    # Always bold, so a label never grows past its reserved room; spaces keep it off the line.
    return f"< <B>{escape(text)}</B> >"


def _legend(sc: Scene) -> str:
    """An HTML table: a sample of each kind present, drawn as the graph draws it."""
    t = sc.theme
    kinds = {n.kind for n in sc.view.nodes}
    fill = (lambda k: f' BGCOLOR="{getattr(t, k)}"') if t.filled else (lambda k: "")
    samples = [
        (g.LEAF, f'<TD BORDER="2" STYLE="rounded"{fill("leaf")}>w</TD>',
         "parameter: a leaf that requires grad; gets .grad"),
        (g.CONSTANT, f'<TD BORDER="1"{fill("constant")}>x</TD>', "constant: no gradient"),
        (g.CUT, f'<TD BORDER="1" STYLE="dashed"{fill("cut")}>c</TD>',
         "cut off by no_grad / detach: no gradient"),
        (g.OUTPUT, f'<TD BORDER="3" STYLE="rounded"{fill("output")}>y</TD>',
         "output: backward starts here"),
        (g.OP, f'<TD BORDER="1" STYLE="rounded"{fill("op")}>+</TD>',
         "op: the maths, and its grad_fn class"),
        (g.ACCUMULATE, f'<TD BORDER="1"{fill("accumulate")}>+=</TD>',
         "AccumulateGrad: adds into the leaf's .grad"),
    ]  # fmt: skip
    rows = [
        '<TR><TD ALIGN="LEFT" COLSPAN="2"><B>Legend</B></TD></TR>',
    ]
    for kind, cell, text in samples:
        if kind in kinds:
            rows.append(f'<TR>{cell}<TD ALIGN="LEFT">{escape(text)}</TD></TR>')
    lines = [("→", "forward: values flow along the arrows")]
    lines.append(("←", "backward: gradients flow against them"))
    if sc.options.forward:  # the player's two token colours, named where a reader looks
        lines[0] = (f'<FONT COLOR="{t.forward}">●→</FONT>', "forward: values flow along the arrows")
        lines[1] = (f'<FONT COLOR="{t.travel}">←●</FONT>', "backward: gradients flow against them")
    if any(e.kind == g.DATA for e in sc.view.edges):
        lines.append(("⇢", "dashed: a constant input (no gradient)"))
    if any(e.kind == g.CUT_EDGE for e in sc.view.edges):
        lines.append(("⊣", "dotted: where a cut-off value came from"))
    for glyph, text in lines:  # glyphs are our own markup, the texts are escaped
        rows.append(f'<TR><TD>{glyph}</TD><TD ALIGN="LEFT">{escape(text)}</TD></TR>')
    small = t.font_size * 0.8
    body = "".join(rows)
    return (
        f'<<FONT POINT-SIZE="{small:g}" COLOR="{t.text}"><TABLE BORDER="1" COLOR="{t.muted}" '
        f'CELLBORDER="0" CELLSPACING="4" CELLPADDING="3" STYLE="rounded">{body}</TABLE></FONT>>'
    )


def _text_label(notes: tuple[str, ...]) -> str:
    return "\n".join(notes)


def _attr_list(attrs: dict[str, str]) -> str:
    return " ".join(f"{k}={dot_quote(v)}" for k, v in attrs.items())


def dot_quote(value: str) -> str:
    """A DOT attribute value: HTML-like labels as they are, anything else double-quoted."""
    if value.startswith("<") and value.endswith(">"):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
