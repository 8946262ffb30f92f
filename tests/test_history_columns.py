"""A loop's history on the wire: leaves that some iterations miss, and names that stay."""

import pytest
from test_wire import CAP

import engine
from engine import wire

# A dynamic net (as in the lesson corpus): `b` joins the graph only on odd steps.
BRANCHY = """\
import torch
a = torch.tensor([1.0, 2.0], requires_grad=True)
b = torch.tensor([0.5, 0.5], requires_grad=True)
for i in range(40):
    y = (a * a).sum() + ((b * a).sum() if i % 2 else 0.0)
    y.backward()
    with torch.no_grad():
        a -= 0.01 * a.grad
        if b.grad is not None:
            b -= 0.01 * b.grad
    a.grad = None
    b.grad = None
"""

# The update loop leaves `p` bound to `d`, the last leaf.
RENAMED = """\
import torch
a = torch.tensor(1.0, requires_grad=True)
d = torch.tensor(2.0, requires_grad=True)
for step in range(30):
    loss = (a * d - 3.0) ** 2
    loss.backward()
    with torch.no_grad():
        for p in (a, d):
            p -= 0.05 * p.grad
            p.grad = None
"""


def test_a_leaf_some_iterations_miss_travels_in_columns_and_comes_back_exact():
    done = engine.run(BRANCHY, numeric=False, trusted=True)
    assert done.ok, done.error
    names = [tuple(n for n, _ in i.leaves) for i in done.history]
    assert set(names) == {("a",), ("a", "b")}, "b is reached on odd steps only"
    doc = wire.run_document(done)
    assert isinstance(doc["history"], dict), "columns, not 40 rows"
    assert set(doc["history"]["rows"]) == {"b"}
    back = wire.run_from_document(wire.unframe(wire.frame(doc), CAP), 10_000)
    assert back.history == done.history


@pytest.mark.parametrize(
    "rows",
    [{"b": {"__array__": 10**6}}, {"c": None}, {"b": [3, 1]}, {"b": "odd"}],
)
def test_bad_rows_of_a_history_are_a_wire_error(rows):
    doc = wire.run_document(engine.run(BRANCHY, numeric=False, trusted=True))
    doc["history"]["rows"] = rows
    with pytest.raises(wire.WireError):
        wire.run_from_document(wire.unframe(wire.frame(doc), CAP), 10_000)


def test_rows_out_of_order_are_a_wire_error():
    doc = wire.run_document(engine.run(BRANCHY, numeric=False, trusted=True))
    table = doc["arrays"]
    ref = doc["history"]["rows"]["b"]["__array__"]
    backwards = wire._Packer()
    packed = backwards.pack(list(range(39, 0, -2)))
    table[ref] = backwards.arrays[packed["__array__"]]
    with pytest.raises(wire.WireError, match="increasing"):
        wire.run_from_document(wire.unframe(wire.frame(doc), CAP), 10_000)


def test_a_leaf_keeps_the_name_its_first_pass_gave_it():
    done = engine.run(RENAMED, numeric=False, trusted=True)
    assert done.ok, done.error
    assert {tuple(n for n, _ in i.leaves) for i in done.history} == {("a", "d")}
    for p in done.passes:
        leaves = {n.name for n in p.graph.nodes if n.kind == "leaf"}
        assert leaves == {"a", "d"}, f"pass {p.number} draws {leaves}"
    # The history's values are CPython's: d after each update, as plain torch computes it.
    import torch

    a, d, seen = torch.tensor(1.0), torch.tensor(2.0), []
    for _ in range(30):
        seen.append(d.item())
        ga, gd = 2 * (a * d - 3.0) * d, 2 * (a * d - 3.0) * a
        a, d = a - 0.05 * ga, d - 0.05 * gd
    got = [dict(i.leaves)["d"] for i in done.history]
    assert got == pytest.approx(seen, rel=1e-6)
