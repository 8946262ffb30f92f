"""engine.trace: the grad_fn graph of any tensor, as plain data with stable ids."""

import torch
from torch import nn

from engine import graph as g
from engine.errors import LimitExceeded
from engine.forward import ForwardRecorder
from engine.trace import trace


def linear_model(recorder=None):
    x = torch.tensor([1.0, 2.0, 3.0])
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    if recorder is None:
        y = torch.dot(w, x) + b
    else:
        with recorder:
            y = torch.dot(w, x) + b
    return dict(x=x, w=w, b=b, y=y)


def test_linear_model_ops_and_names():
    """The lesson's model shows AddBackward0, DotBackward0, two AccumulateGrads, w, b, y."""
    t = linear_model()
    graph = trace(t["y"], t)
    ops = sorted(n.op for n in graph.nodes if n.op)
    assert ops == ["AccumulateGrad", "AccumulateGrad", "AddBackward0", "DotBackward0"]
    named = {n.name: n for n in graph.nodes if n.name}
    assert named["w"].kind == g.LEAF and named["b"].kind == g.LEAF
    assert named["y"].kind == g.OUTPUT
    assert named["y"].value == t["y"].item()
    assert named["w"].value == tuple(t["w"].tolist())


def test_ids_are_stable_across_runs():
    """The same program traced twice gives the same ids, labels and edges."""
    a, b = linear_model(), linear_model()
    assert trace(a["y"], a) == trace(b["y"], b)
    assert [n.id for n in trace(a["y"], a).nodes] == [f"n{i}" for i in range(7)]


def test_op_labels_are_maths():
    """Op nodes carry the maths symbol: · for dot, + for add, x² for a square."""
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    labels = {n.op: n.label for n in trace((x**2 + torch.sigmoid(x)).sum()).nodes if n.op}
    assert labels["PowBackward0"] == "x²"
    assert labels["SigmoidBackward0"] == "σ"
    assert labels["SumBackward0"] == "Σ"


def test_edges_point_forward_with_slots():
    """Each op input is an edge into the op, with its next_functions slot."""
    t = linear_model()
    graph = trace(t["y"], t)
    add = next(n for n in graph.nodes if n.op == "AddBackward0")
    slots = sorted(e.slot for e in graph.edges if e.dst == add.id and e.kind == g.GRAD)
    assert slots == [0, 1]
    out_edges = [e for e in graph.edges if e.kind == g.OUT_EDGE]
    assert out_edges == [g.Edge(add.id, graph.output, g.OUT_EDGE)]


def test_forward_recorder_adds_constants():
    """Constants autograd drops (x in w·x, the 3 in 3*x) appear when the forward was watched."""
    rec = ForwardRecorder()
    t = linear_model(rec)
    graph = trace(t["y"], t, recorder=rec)
    x = next(n for n in graph.nodes if n.name == "x")
    assert x.kind == g.CONSTANT and x.value == (1.0, 2.0, 3.0)
    dot = next(n for n in graph.nodes if n.op == "DotBackward0")
    assert g.Edge(x.id, dot.id, g.DATA) in graph.edges
    with rec:
        v = torch.tensor([2.0, 3.0], requires_grad=True)
        y = 3 * v
    consts = [n for n in trace(y, recorder=rec).nodes if n.kind == g.CONSTANT]
    assert [c.value for c in consts] == [3]


def test_no_grad_value_is_cut():
    """A value computed under no_grad and then used is marked cut, with where it came from."""
    rec = ForwardRecorder()
    with rec:
        x = torch.tensor([2.0, 3.0], requires_grad=True)
        with torch.no_grad():
            z = x * 2
        d = x.detach()
        y = (z * x + d).sum()
    graph = trace(y, dict(x=x, z=z, d=d, y=y), recorder=rec)
    cuts = {n.name: n.cut_by for n in graph.nodes if n.kind == g.CUT}
    assert cuts == {"z": "no_grad", "d": "detach"}
    x_id = next(n.id for n in graph.nodes if n.name == "x")
    z_id = next(n.id for n in graph.nodes if n.name == "z")
    assert g.Edge(x_id, z_id, g.CUT_EDGE) in graph.edges


def test_shared_input_is_one_node():
    """a·a + a: the leaf a is one node whose AccumulateGrad has three incoming uses."""
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a + a).sum()
    graph = trace(y, {"a": a})
    acc = [n for n in graph.nodes if n.kind == g.ACCUMULATE]
    assert len(acc) == 1
    uses = [e for e in graph.edges if e.src == acc[0].id and e.kind == g.GRAD]
    assert len(uses) == 3


def test_mlp_module_graph():
    """An nn.Module MLP traces with AddmmBackward0 and named parameters as leaves."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    loss = model(torch.randn(5, 3)).pow(2).mean()
    params = dict(model.named_parameters())
    graph = trace(loss, params)
    ops = {n.op for n in graph.nodes}
    assert {"AddmmBackward0", "ReluBackward0", "MeanBackward0"} <= ops
    leaves = {n.name for n in graph.nodes if n.kind == g.LEAF}
    assert leaves == set(params)


def test_ten_thousand_op_chain():
    """A chain of 10,000 ops traces without recursion: 10,000 ops plus leaf, accumulate, output."""
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    graph = trace(y)
    assert sum(n.op == "MulBackward0" for n in graph.nodes) == 10_000
    assert len(graph.nodes) == 10_003


def test_node_limit():
    """A graph over max_nodes is refused with a clear LimitExceeded."""
    x = torch.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(50):
        y = y + 1
    try:
        trace(y, max_nodes=20)
    except LimitExceeded as exc:
        assert "more than 20 nodes" in str(exc)
    else:
        raise AssertionError("no LimitExceeded")


def test_leaf_and_constant_outputs():
    """Tracing a leaf or a constant gives a one-node graph, with a note for the constant."""
    w = torch.tensor([1.0], requires_grad=True)
    assert [n.kind for n in trace(w, {"w": w}).nodes] == [g.LEAF]
    c = torch.tensor([1.0])
    graph = trace(c, {"c": c})
    assert [n.kind for n in graph.nodes] == [g.CONSTANT]
    assert graph.notes == ("c does not require grad",)


def test_saved_tensors_after_free():
    """Saved tensors are read with values; after backward frees them they say so."""
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    y = (x * x).sum()
    mul = next(n for n in trace(y).nodes if n.op == "MulBackward0")
    assert ("self", (2.0, 3.0)) in {(s.name, s.value) for s in mul.saved}
    y.backward()
    mul = next(n for n in trace(y).nodes if n.op == "MulBackward0")
    assert {s.text for s in mul.saved} == {"freed after backward"}
