"""The worker's answer on the wire: a Run survives the trip whole, and bad bytes are refused."""

import base64
import json
from array import array
from pathlib import Path

import pytest

import engine
from engine import values, wire
from engine.limits import Limits

LESSONS = Path(__file__).parent / "data" / "lessons"
CAP = 1 << 30


def trip(done: engine.Run) -> engine.Run:
    doc = wire.unframe(wire.frame({"run": wire.run_document(done)}), CAP)
    return wire.run_from_document(doc["run"], 10**6)


@pytest.mark.parametrize(
    "lesson",
    ["01_reference_lesson", "07_autograd_poly_sin", "13_logistic_regression", "53_custom_relu"],
)
def test_a_run_comes_back_equal(lesson):
    """Every field of a trusted run, values, grads, passes and history, survives the trip."""
    source = (LESSONS / f"{lesson}.py").read_text()
    done = engine.run(source, Limits(seconds=60), numeric=False, trusted=True)
    assert done.ok, done.error
    back = trip(done)
    assert back == done
    assert back.tensors.keys() == done.tensors.keys()
    for name, t in done.tensors.items():  # lists, as tolist gives, not tuples
        assert type(back.tensors[name].value) is type(t.value)


@pytest.mark.parametrize("lesson", ["07_autograd_poly_sin", "46_device_boilerplate"])
def test_a_childs_arrays_come_from_the_tensors_and_read_back_the_same(lesson):
    """As in a worker child: values recorded while bytes are collected travel as the
    tensors' own bytes (float32 as 'f', half the size) and decode to the very same Run."""
    source = (LESSONS / f"{lesson}.py").read_text()
    with values.collecting_bytes():
        done = engine.run(source, Limits(seconds=60), numeric=False, trusted=True)
        fast = wire.frame({"run": wire.run_document(done)})
    slow = wire.frame({"run": wire.run_document(done)})  # the tuples' own numbers, walked
    codes = [a["type"] for a in wire.unframe(fast, CAP)["run"]["arrays"]]
    assert "f" in codes and "f" not in [a["type"] for a in wire.unframe(slow, CAP)["run"]["arrays"]]
    assert len(fast) < 0.8 * len(slow)
    back = wire.run_from_document(wire.unframe(fast, CAP)["run"], 10**6)
    assert back == done == wire.run_from_document(wire.unframe(slow, CAP)["run"], 10**6)


def test_bytes_are_kept_only_for_the_value_they_were_taken_for():
    """An equal tuple made elsewhere is walked as before; nothing is kept outside the block;
    a value of fewer than BYTES_MIN numbers (a loop's history, every pass) is walked too."""
    import torch

    numbers = [0.5 * i for i in range(values.BYTES_MIN)]
    with values.collecting_bytes():
        kept = values.snapshot(torch.tensor(numbers))
        assert values.bytes_of(kept) == ("f", (len(numbers),), array("f", numbers).tobytes())
        assert values.bytes_of(tuple(numbers)) is None
        small = values.snapshot(torch.tensor(numbers[:-1]))
        assert small == tuple(numbers[:-1]) and values.bytes_of(small) is None
    assert values.bytes_of(kept) is None


def test_values_repeated_across_passes_travel_once():
    """x is an input of three ops in each of 17 recorded passes; the table holds it once."""
    source = (LESSONS / "07_autograd_poly_sin.py").read_text()
    done = engine.run(source, Limits(seconds=60), numeric=False, trusted=True)
    doc = wire.run_document(done)
    text = json.dumps(doc)
    references = text.count('"__array__"')
    assert len(doc["arrays"]) * 3 < references
    x = next(n.value for n in done.passes[0].graph.nodes if n.name == "x")
    packed = array("d", x).tobytes()
    assert sum(base64.b64decode(a["data"]) == packed for a in doc["arrays"]) == 1


def test_number_types_and_specials_survive():
    """ints stay ints, bools bools, and NaN and infinities come back as themselves."""
    source = (
        "import torch\n"
        "i = torch.arange(6).reshape(2, 3)\n"
        "b = torch.tensor([True, False, True, True])\n"
        "f = torch.tensor([float('nan'), float('inf'), -float('inf'), 1.5])\n"
    )
    done = engine.run(source, numeric=False, trusted=True)
    back = trip(done)
    assert back.tensors["i"].value == [[0, 1, 2], [3, 4, 5]]
    assert all(type(v) is int for row in back.tensors["i"].value for v in row)
    assert back.tensors["b"].value == [True, False, True, True]
    assert all(type(v) is bool for v in back.tensors["b"].value)
    nan, inf, minf, x = back.tensors["f"].value
    assert nan != nan and inf == float("inf") and minf == -float("inf") and x == 1.5


def document_with(array_doc, ref=0) -> dict:
    """A minimal run document whose one tensor's value refers to one array."""
    return {
        "ok": True,
        "tensors": {
            "t": {
                "value": wire._Ref(ref) if isinstance(ref, int) else ref,
                "shape": [4],
                "requires_grad": False,
                "is_leaf": True,
                "dtype": "torch.float32",
            }
        },
        "arrays": [array_doc],
        "stdout": "",
    }


GOOD = {"type": "d", "shape": [4], "data": base64.b64encode(array("d", [1, 2, 3, 4])).decode()}


def test_a_good_array_decodes():
    assert wire.run_from_document(document_with(GOOD), 1000).tensors["t"].value == [1, 2, 3, 4]


@pytest.mark.parametrize(
    "bad",
    [
        {**GOOD, "type": "f"},  # not a type the wire uses
        {**GOOD, "type": ["d"]},
        {**GOOD, "data": "not base64!"},
        {**GOOD, "data": base64.b64encode(b"123").decode()},  # not whole numbers of 8 bytes
        {**GOOD, "shape": [5]},  # does not fill its shape
        {**GOOD, "shape": [2**40]},  # a huge shape with little data: refused, not allocated
        {**GOOD, "shape": [4, 0]},
        {**GOOD, "shape": []},
        {**GOOD, "shape": "4"},
        {**GOOD, "data": 12},
        "an array",
    ],
)
def test_a_bad_array_is_a_wire_error(bad):
    with pytest.raises(wire.WireError):
        wire.run_from_document(document_with(bad), 1000)


@pytest.mark.parametrize("ref", [1, -1, 2**70])
def test_a_reference_to_no_array_is_a_wire_error(ref):
    with pytest.raises(wire.WireError):
        wire.run_from_document(document_with(GOOD, ref), 1000)


@pytest.mark.parametrize("body", [b'{"run": {"x": {"__array__": true}}}', b'{"__array__": "0"}'])
def test_a_malformed_reference_is_refused_when_read(body):
    data = wire.HEADER.pack(wire.MAGIC, len(body)) + body
    with pytest.raises(wire.WireError):
        wire.unframe(data, CAP)


def history_document(**change) -> dict:
    """A run document whose history is columnar, from a real three-pass loop, changed."""
    source = "import torch\nw = torch.tensor(1.0, requires_grad=True)\n" \
             "for i in range(3):\n    (w * w).backward()\n"  # fmt: skip
    doc = wire.run_document(engine.run(source, numeric=False, trusted=True))
    assert isinstance(doc["history"], dict)
    doc["history"].update(change)
    return wire.unframe(wire.frame(doc), CAP)


def test_a_columnar_history_comes_back_as_iterations():
    back = wire.run_from_document(history_document(), 1000)
    assert [(i.number, i.output) for i in back.history] == [
        (1, "w * w"),
        (2, "w * w"),
        (3, "w * w"),
    ]
    assert [dict(i.leaves)["w"] for i in back.history] == [1.0, 1.0, 1.0]


@pytest.mark.parametrize(
    "change",
    [
        {"count": 4},
        {"outputs": []},
        {"values": [1.0, 2.0, 3.0]},
        {"leaves": {"w": 3}},
        {"numbers": None},
    ],
)
def test_a_bad_columnar_history_is_a_wire_error(change):
    with pytest.raises(wire.WireError):
        wire.run_from_document(history_document(**change), 1000)


def test_the_common_order_of_many_rows_is_that_of_their_few_orders():
    """A dynamic net's 600 rows take three orders: the same answer as the rows one by one."""
    rows = [["a", "b"], ["a", "b", "c"], ["b", "c"]] * 200
    assert wire._common_order(rows) == ["a", "b", "c"]
    assert wire._common_order([*rows, ["c", "a"]]) is None
    assert wire._common_order([["a", "b"]] * 5) == ["a", "b"]
