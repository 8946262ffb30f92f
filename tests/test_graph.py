"""engine.graph.Graph: its index answers what a scan would, and big graphs stay linear."""

from dataclasses import replace

import pytest
import torch

import engine
from engine import graph as g
from engine import wire

LESSON = """
import torch
x = torch.tensor([2.0, 3.0], requires_grad=True)
w = torch.tensor(0.5, requires_grad=True)
h = x * w + x ** 2
y = (h * 3).sum() + w
y.backward()
"""


@pytest.fixture(scope="module")
def graph() -> g.Graph:
    return engine.run(LESSON, numeric=False).passes[-1].graph


def test_the_index_answers_what_a_scan_would(graph):
    assert graph.nodes and graph.edges
    for node in graph.nodes:
        assert graph.node(node.id) is node and graph.has(node.id)
        assert graph.edges_into(node.id) == tuple(e for e in graph.edges if e.dst == node.id)
        assert graph.edges_out_of(node.id) == tuple(e for e in graph.edges if e.src == node.id)
        leaves = [e.src for e in graph.edges if e.dst == node.id and e.kind == g.LEAF_EDGE]
        assert graph.leaf_of(node.id) == (leaves[0] if leaves else None)
    assert {graph.node(graph.leaf_of(n.id)).name for n in graph.nodes
            if n.kind == g.ACCUMULATE} == {"x", "w"}  # fmt: skip
    assert not graph.has("n999") and graph.edges_into("n999") == ()
    with pytest.raises(KeyError, match="n999"):
        graph.node("n999")


def test_a_replaced_graph_is_indexed_anew_and_equality_ignores_the_index(graph):
    renamed = tuple(replace(n, name=f"{n.id}!") for n in graph.nodes)
    other = replace(graph, nodes=renamed)
    assert other.node(graph.nodes[0].id).name == f"{graph.nodes[0].id}!"
    assert other != graph
    assert replace(graph, notes=graph.notes) == graph
    assert g.Graph(graph.nodes, graph.edges, graph.output, graph.notes) == graph


def test_a_graph_from_the_wire_is_indexed(graph):
    done = engine.run(LESSON, numeric=False, trusted=True)
    doc = wire.unframe(wire.frame({"run": wire.run_document(done)}), 1 << 30)
    back = wire.run_from_document(doc["run"], 10**6)
    assert back.graph == done.graph
    last = back.passes[-1].graph
    assert back.graph is last  # sent once, as the last pass's
    for node in last.nodes:
        assert last.edges_into(node.id) == done.graph.edges_into(node.id)


CAT = "import torch\nx = torch.ones(2, requires_grad=True)\ny = torch.cat([x] * {n}).sum()\n" \
      "y.backward()\n"  # fmt: skip


def test_the_backward_of_a_cat_of_thirty_thousand_copies_runs_within_the_limits():
    """Once quadratic in the recorder's per-step scans (hours at 100,000 copies): now it
    finishes in the worker under the default limits, with torch's gradient."""
    n = 30_000
    done = engine.run(CAT.format(n=n), numeric=False)
    assert done.ok, done.error
    x = torch.ones(2, requires_grad=True)
    torch.cat([x] * n).sum().backward()
    assert done.tensors["x"].grad == x.grad.tolist()
    cat = next(s for s in done.passes[-1].steps if s.op == "CatBackward0")
    assert len(cat.grad_inputs) == n and len(set(cat.targets)) == 1


def test_explaining_a_step_with_many_inputs_is_linear(monkeypatch):
    """The cat step's words compare edges a number of times linear in its inputs (they were
    compared pairwise: 12 million comparisons at 5,000 copies)."""
    n = 2_000
    done = engine.run(CAT.format(n=n), numeric=False, trusted=True)
    compared = []
    original = g.Edge.__eq__
    monkeypatch.setattr(g.Edge, "__eq__", lambda a, b: compared.append(1) or original(a, b))
    words = engine.explained(done.passes[-1])
    assert any("CatBackward0" in s.explanation for s in words.steps)
    assert len(compared) <= 4 * n


def test_a_step_explained_as_is_replace_with_its_explanation():
    """explained_as lists Step's fields by hand (for speed): a field added to Step and not
    to it would be lost; every field here has a value other than its default."""
    from dataclasses import fields, replace

    values = {f.name: (f"v{i}",) for i, f in enumerate(fields(g.Step))}
    step = g.Step(**values)
    assert step.explained_as("words") == replace(step, explanation="words")
    assert step.explained_as("words").explanation == "words"
