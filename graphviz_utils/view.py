"""What gets drawn: the engine graph after the options (fold, hide constants, node cap)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

from engine import graph as g

from .options import DrawOptions

SUMMARY_ID = "more"  # the node standing for the elided middle of a big graph
COLLAPSED_NODES = 60  # collapse=True: about what a class reads on one screen


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
    node_of: dict[str, str] = {}
    keep: list[g.Node] = []
    for node in graph.nodes:
        leaf = graph.leaf_of(node.id) if node.kind == g.ACCUMULATE else None
        if leaf is not None and options.fold_accumulate:
            node_of[node.id] = leaf
        elif node.kind == g.CONSTANT and not options.show_constants:
            continue
        else:
            node_of[node.id] = node.id
            keep.append(node)
    budget = min(options.max_nodes, COLLAPSED_NODES) if options.collapse else options.max_nodes
    hidden, note, banded = 0, None, True
    if len(keep) > budget:
        dropped, note, banded = _middle(keep, graph.edges, node_of, budget)
        hidden = len(dropped)
        keep = [n for n in keep if n.id not in dropped]
        keep.append(_summary_node(dropped, graph))
        node_of = {k: (SUMMARY_ID if v in dropped else v) for k, v in node_of.items()}
    edges: list[DrawnEdge] = []
    edge_of: dict[tuple[str, str, int | None], str] = {}
    leaf_edge: dict[str, str] = {}
    seen: Counter = Counter()
    for e in graph.edges:
        src, dst = node_of.get(e.src), node_of.get(e.dst)
        if src is None or dst is None or src == dst:
            continue  # a hidden constant, a folded leaf edge, or inside the elided middle
        if SUMMARY_ID in (src, dst) and (seen[(src, dst)] or (dst == SUMMARY_ID and not banded)):
            # The summary stands for a whole region: one edge each way is enough, and none
            # into it when it is a cut by id (hundreds of edges into one node stall dot).
            continue
        k = seen[(src, dst)]
        seen[(src, dst)] += 1
        drawn = DrawnEdge(f"edge-{src}-{dst}-{k}", src, dst, e.kind)
        edges.append(drawn)
        edge_of[(e.src, e.dst, e.slot)] = drawn.id
        if e.kind == g.LEAF_EDGE:
            leaf_edge[e.dst] = drawn.id
    notes = graph.notes + ((note,) if note else ())
    return View(keep, edges, node_of, edge_of, leaf_edge, hidden, notes)


def _middle(
    keep: list[g.Node], edges: tuple[g.Edge, ...], node_of: dict[str, str], budget: int
) -> tuple[set[str], str, bool]:
    """The ids to elide: the middle of the graph by distance from the output, so the output
    end and the input end stay whole; by id order (nearest the output first) when the graph
    is wide rather than long. Returns them, the note that says so, and whether by depth."""
    drawn = {n.id for n in keep}
    preds: dict[str, list[str]] = {n: [] for n in drawn}
    has_succ: set[str] = set()
    for e in edges:
        src, dst = node_of.get(e.src), node_of.get(e.dst)
        if src in drawn and dst in drawn and src != dst:
            preds[dst].append(src)
            has_succ.add(src)
    # Breadth-first from the sinks (the output): depth = steps back from the output end.
    depth = {n.id: 0 for n in keep if n.id not in has_succ}
    frontier = list(depth)
    while frontier:
        nxt = []
        for nid in frontier:
            for p in preds[nid]:
                if p not in depth:
                    depth[p] = depth[nid] + 1
                    nxt.append(p)
        frontier = nxt
    per_depth = Counter(depth.values())
    deepest = max(per_depth)
    half = max(1, budget // 2)
    top, shown = 0, per_depth[0]
    while top + 1 <= deepest and shown + per_depth[top + 1] <= half:
        top += 1
        shown += per_depth[top]
    bottom, low = deepest + 1, 0
    while bottom - 1 > top + 1 and low + per_depth[bottom - 1] < budget - shown:
        bottom -= 1
        low += per_depth[bottom]
    middle = {nid for nid, d in depth.items() if top < d < bottom}
    if len(middle) >= 3 and len(drawn) - len(middle) < budget:
        text = (
            f"Collapsed: the middle of the graph ({len(middle):,} nodes, {top + 1:,} to "
            f"{bottom - 1:,} steps from the output) is drawn as one node; both ends are whole"
        )
        return middle, text, True
    dropped = {n.id for n in keep[budget - 1 :]}  # ids follow a walk from the output
    return dropped, f"{len(dropped):,} nodes are not drawn (limit {budget:,} nodes)", False


def _summary_node(dropped: set[str], graph: g.Graph) -> g.Node:
    """One node standing for the elided region, counting what it holds."""
    kinds = Counter(n.kind for n in graph.nodes if n.id in dropped)
    ops = kinds[g.OP] + kinds[g.ACCUMULATE]
    tensors = sum(kinds.values()) - ops
    what = f"{ops:,} more ops" if ops else f"{tensors:,} more tensors"
    detail = f"and {tensors:,} tensors, not drawn" if ops and tensors else "not drawn"
    return replace(g.Node(id=SUMMARY_ID, kind=g.SUMMARY, label=f"… {what} …"), op=detail)
