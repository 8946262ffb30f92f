"""What gets drawn: collapsing big graphs into a readable picture with both ends whole."""

from __future__ import annotations

import pytest
import torch

from engine import graph as g
from engine.trace import trace
from graphviz_utils import DrawOptions
from graphviz_utils.view import COLLAPSED_NODES, SUMMARY_ID, build_view


@pytest.fixture(scope="module")
def long_chain() -> g.Graph:
    """A 600-op chain from one leaf to a scalar output."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(300):
        y = torch.tanh(y * 1.01)
    return trace(y.sum(), {"x": x})


def test_small_graph_is_drawn_whole(long_chain):
    """Under max_nodes nothing is collapsed and no note is added."""
    view = build_view(long_chain, DrawOptions(max_nodes=10_000))
    assert len(view.nodes) == len(long_chain.nodes) and view.hidden == 0
    assert not any("Collapsed" in n for n in view.notes)


def test_collapse_keeps_both_ends_with_their_ids(long_chain):
    """collapse=True keeps the output and the leaf, under their own ids, and elides the middle."""
    view = build_view(long_chain, DrawOptions(collapse=True))
    ids = {n.id for n in view.nodes}
    leaf = next(n for n in long_chain.nodes if n.kind == g.LEAF)
    assert long_chain.output in ids and leaf.id in ids
    assert len(view.nodes) <= COLLAPSED_NODES
    by_id = {n.id: n for n in long_chain.nodes}
    assert all(by_id[n.id] == n for n in view.nodes if n.id != SUMMARY_ID)


def test_collapsed_middle_is_one_node_that_counts_its_ops(long_chain):
    """The elided middle is one node, "… N more ops …", with N the ops it stands for."""
    view = build_view(long_chain, DrawOptions(collapse=True))
    (summary,) = [n for n in view.nodes if n.id == SUMMARY_ID]
    shown = {n.id for n in view.nodes}
    ops = sum(1 for n in long_chain.nodes if n.kind in (g.OP, g.ACCUMULATE) and n.id not in shown)
    assert summary.label == f"… {ops:,} more ops …"
    assert view.hidden == len(long_chain.nodes) - len(view.nodes) + 1


def test_collapse_says_so_in_a_note(long_chain):
    """A note tells the reader the middle was collapsed and how many nodes it holds."""
    view = build_view(long_chain, DrawOptions(collapse=True))
    assert any(
        n.startswith(f"Collapsed: the middle of the graph ({view.hidden:,} nodes")
        for n in view.notes
    )


def test_collapsed_chain_stays_connected(long_chain):
    """The summary is wired in: one edge into it from the leaf side, one out toward the output."""
    view = build_view(long_chain, DrawOptions(collapse=True))
    into = [e for e in view.edges if e.dst == SUMMARY_ID]
    out = [e for e in view.edges if e.src == SUMMARY_ID]
    assert len(into) == 1 and len(out) == 1
    drawn = {n.id for n in view.nodes}
    assert all(e.src in drawn and e.dst in drawn for e in view.edges)


def test_over_max_nodes_collapses_without_being_asked(long_chain):
    """Past max_nodes the graph is collapsed to fit, rather than cut off."""
    view = build_view(long_chain, DrawOptions(max_nodes=100))
    assert len(view.nodes) <= 100 and view.hidden > 0
    assert long_chain.output in {n.id for n in view.nodes}
