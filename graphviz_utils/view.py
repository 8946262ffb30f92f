"""What gets drawn: the engine graph after the options (fold, hide constants, node cap)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from engine import graph as g

from .options import DrawOptions

SUMMARY_ID = "more"  # the node standing for everything past the node limit


@dataclass(frozen=True)
class DrawnEdge:
    """An edge as drawn: a DOT id stable across frames, and the engine edge it came from."""

    id: str
    src: str
    dst: str
    kind: str


@dataclass
class View:
    """Drawn nodes and edges, plus maps from engine ids to drawn ids."""

    nodes: list[g.Node]
    edges: list[DrawnEdge]
    node_of: dict[str, str]  # engine node id -> drawn node id (AccumulateGrad may fold)
    edge_of: dict[tuple[str, str, int | None], str]  # engine (src, dst, slot) -> drawn edge id
    leaf_edge: dict[str, str] = field(default_factory=dict)  # accumulate id -> leaf edge id
    hidden: int = 0  # engine nodes not drawn because of the node limit
    notes: tuple[str, ...] = ()


def build_view(graph: g.Graph, options: DrawOptions) -> View:
    """Apply the drawing options to an engine graph, in the graph's own (stable) order."""
    leaf_of = {e.dst: e.src for e in graph.edges if e.kind == g.LEAF_EDGE}
    node_of: dict[str, str] = {}
    keep: list[g.Node] = []
    for node in graph.nodes:
        if node.kind == g.ACCUMULATE and options.fold_accumulate and node.id in leaf_of:
            node_of[node.id] = leaf_of[node.id]
        elif node.kind == g.CONSTANT and not options.show_constants:
            continue
        else:
            node_of[node.id] = node.id
            keep.append(node)
    hidden = max(0, len(keep) - options.max_nodes)
    if hidden:
        # Ids follow a breadth-first walk from the output, so the first ones are nearest it.
        dropped = {n.id for n in keep[options.max_nodes :]}
        keep = keep[: options.max_nodes]
        keep.append(_summary_node(hidden, options.max_nodes))
        node_of = {k: (SUMMARY_ID if v in dropped else v) for k, v in node_of.items()}
    edges: list[DrawnEdge] = []
    edge_of: dict[tuple[str, str, int | None], str] = {}
    leaf_edge: dict[str, str] = {}
    seen: Counter = Counter()
    for e in graph.edges:
        src, dst = node_of.get(e.src), node_of.get(e.dst)
        if src is None or dst is None or src == dst:
            continue  # a hidden constant, or a leaf edge folded into its leaf
        if dst == SUMMARY_ID or (src == SUMMARY_ID and seen[(src, dst)]):
            continue  # the summary stands for a whole hidden region: one edge out is enough
        k = seen[(src, dst)]
        seen[(src, dst)] += 1
        drawn = DrawnEdge(f"edge-{src}-{dst}-{k}", src, dst, e.kind)
        edges.append(drawn)
        edge_of[(e.src, e.dst, e.slot)] = drawn.id
        if e.kind == g.LEAF_EDGE:
            leaf_edge[e.dst] = drawn.id
    notes = graph.notes
    if hidden:
        notes += (f"{hidden:,} nodes are not drawn (limit {options.max_nodes:,} nodes)",)
    return View(keep, edges, node_of, edge_of, leaf_edge, hidden, notes)


def _summary_node(hidden: int, limit: int) -> g.Node:
    return replace(
        g.Node(id=SUMMARY_ID, kind="summary", label=f"… {hidden:,} more nodes"),
        op=f"not drawn: over the {limit:,}-node limit",
    )
