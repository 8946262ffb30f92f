"""make_dot: a drop-in for torchviz.make_dot, built on engine.trace (iterative, stable ids)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import graphviz
import torch

from engine import graph as g
from engine.trace import trace
from engine.values import cut, fmt_shape, fmt_value

from .draw import dot_quote, kind_attrs
from .options import get_theme


def make_dot(
    var: torch.Tensor | tuple | list,
    params: dict[str, Any] | None = None,
    show_attrs: bool = False,
    show_saved: bool = False,
    max_attr_chars: int = 50,
) -> graphviz.Digraph:
    """The autograd graph behind `var` (a tensor or several), leaves named by `params`.

    Like torchviz: show_saved lists the tensors each op saved for backward, show_attrs also
    its other saved values; displayed inline by Jupyter. Unlike torchviz it walks the graph
    without recursion, so a chain of 10,000 ops works.
    """
    outputs = tuple(var) if isinstance(var, (tuple, list)) else (var,)
    for out in outputs:
        if not isinstance(out, torch.Tensor):
            raise TypeError(f"make_dot needs a tensor or tensors, not {type(out).__name__}")
    names = dict(params or {})
    saved = show_saved or show_attrs
    # cap=0: no values are copied out of tensors (torchviz shows none), which keeps it fast.
    graphs = [
        trace(out, names, output_label=_output_label(out, names), saved=saved, cap=0)
        for out in outputs
    ]
    graph = graphs[0] if len(graphs) == 1 else _merged(graphs)
    if saved and not show_attrs:
        graph = _tensors_only(graph)
    return _lean_digraph(graph, saved, max(8, max_attr_chars))


# torchviz-like plain labels (no HTML tables, no frames, no legend): the notebook user wants
# the picture at once, and plain labels are also what dot lays out fastest.
EDGE_STYLE = {
    g.DATA: " [style=dashed arrowhead=empty]",
    g.CUT_EDGE: " [style=dotted arrowhead=tee]",
}


def _lean_digraph(graph: g.Graph, saved: bool, chars: int) -> graphviz.Digraph:
    """The graph in our light theme's shapes and fills, written straight to DOT lines."""
    t = get_theme("light")
    dot = graphviz.Digraph(
        name="autograd",
        engine="dot",
        graph_attr={"bgcolor": t.background, "nodesep": "0.3", "ranksep": "0.35"},
        node_attr={"fontname": t.font, "fontsize": "10", "color": t.text,
                   "margin": "0.1,0.04", "height": "0.3"},
        edge_attr={"color": t.text, "arrowsize": "0.7"},
    )  # fmt: skip
    lines = dot.body
    # Per kind, once: kind_attrs is cached by its theme, and hashing a theme (a frozen
    # dataclass of two dozen fields) for every node was about a twentieth of the build.
    attrs = {kind: kind_attrs(t, kind, boxes=True) for kind in {n.kind for n in graph.nodes}}
    for node in graph.nodes:
        if node.is_tensor:
            shape = fmt_shape(node.shape)
            text = f"{node.label}\n{shape}" if shape else node.label
        else:
            text = node.op or node.label
        if saved and node.saved:
            text += "".join("\n" + _saved_line(s, chars) for s in node.saved)
        label = dot_quote(text).replace("\n", "\\n")  # DOT's own line break
        lines.append(f"\t{node.id} [{attrs[node.kind]} label={label}]\n")
    for e in graph.edges:
        lines.append(f"\t{e.src} -> {e.dst}{EDGE_STYLE.get(e.kind, '')}\n")
    return dot


def _saved_line(s: g.Saved, chars: int) -> str:
    text = fmt_value(s.value) if s.value is not None else s.text
    return cut(f"saved {s.name}: {text}", chars + 10)


def _output_label(tensor: torch.Tensor, names: dict[str, Any]) -> str:
    for name, value in names.items():
        if value is tensor:
            return name
    return "output"


def _merged(graphs: list[g.Graph]) -> g.Graph:
    """Several traced outputs in one picture; ids get a per-output prefix to stay unique."""
    nodes: list[g.Node] = []
    edges: list[g.Edge] = []
    for i, graph in enumerate(graphs):
        prefix = f"o{i}"
        nodes += [replace(n, id=prefix + n.id) for n in graph.nodes]
        edges += [replace(e, src=prefix + e.src, dst=prefix + e.dst) for e in graph.edges]
    output = "o0" + graphs[0].output if graphs[0].output else None
    return g.Graph(tuple(nodes), tuple(edges), output)


def _tensors_only(graph: g.Graph) -> g.Graph:
    """show_saved without show_attrs: saved tensors only, as torchviz draws them."""
    nodes = tuple(
        replace(n, saved=tuple(s for s in n.saved if s.text in ("tensor", "freed after backward")))
        if n.saved
        else n
        for n in graph.nodes
    )
    return replace(graph, nodes=nodes)
