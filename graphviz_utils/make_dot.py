"""make_dot: a drop-in for torchviz.make_dot, built on engine.trace (iterative, stable ids)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import graphviz
import torch

from engine import graph as g
from engine.trace import trace

from .draw import scene
from .options import DrawOptions


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
    options = DrawOptions(
        legend=False,
        show_values=False,
        show_saved=saved,
        value_chars=max(8, max_attr_chars),
        max_nodes=10**9,  # like torchviz: everything; the notebook user chose this graph
    )
    sc = scene(graph, options)
    return sc.digraph(sc.state(None))


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
