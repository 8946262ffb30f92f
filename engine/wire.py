"""The worker's answer on the wire: one framed JSON document, validated field by field.

A program that owns its worker child can write any bytes on the result pipe, so the
parent trusts nothing: no pickle, a size cap, and every field checked into the frozen
dataclasses of engine.graph. Anything off is a WireError, never a crash.
"""

from __future__ import annotations

import base64
import json
import math
import struct
from array import array
from collections.abc import Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from itertools import chain, pairwise
from typing import Any

from . import graph as g
from .errors import ErrorInfo
from .values import bytes_of

MAGIC = b"AEJ1"  # frame: MAGIC, 8-byte big-endian length, UTF-8 JSON
HEADER = struct.Struct(">4sQ")
MAX_DEPTH = 70  # a tensor has at most 64 dims; a value nested deeper is not one
MAX_TEXT = 100_000  # a label, a note or an explanation; stdout has its own limit
# Values of at least this many numbers travel as typed arrays in a table, each distinct one
# once: a loop's recorded passes repeat the same inputs (x, saved for three ops, in every
# pass), and JSON numbers cost a Python object per digit run to write and to read back.
PACK_MIN = 2
_TYPES = {float: "d", int: "q", bool: "b"}  # the Python type tolist gives -> array code
_TYPE_OF = {"d": float, "f": float, "q": int, "b": bool}


class WireError(ValueError):
    """The worker's answer is not a valid document."""


def frame(document: Mapping[str, Any]) -> bytes:
    """One document as bytes for the pipe (NaN and infinities as JSON's extensions)."""
    payload = json.dumps(document, default=_encode_extra, separators=(",", ":")).encode()
    return HEADER.pack(MAGIC, len(payload)) + payload


def unframe(data: bytes, cap: int) -> dict[str, Any]:
    """The document in `data` (the whole pipe's content), or WireError."""
    start = data.find(MAGIC)
    if start < 0 or len(data) - start < HEADER.size:
        raise WireError("no answer")
    _, size = HEADER.unpack_from(data, start)
    body = data[start + HEADER.size : start + HEADER.size + size]
    if size > cap or len(body) != size:
        raise WireError(f"an answer of {size:,} bytes (cut off or over the cap)")
    try:
        doc = json.loads(body, object_hook=_decode_extra)
    except (ValueError, RecursionError) as exc:
        raise WireError(f"malformed JSON ({type(exc).__name__})") from None
    if not isinstance(doc, dict):
        raise WireError("the answer is not an object")
    return doc


# ----- Run to plain data ------------------------------------------------------------------


def run_document(run: g.Run) -> dict[str, Any]:
    """Everything in a Run, each pass with its own graph; big values in the arrays table."""
    out = run.to_json(graphs=False)  # the graphs below, with their edges as int arrays
    out["passes"] = [p.to_json(with_graph=True, edges=False) for p in run.passes]
    out["graph"] = run.graph.to_json(edges=False) if run.graph else None
    # The run's graph is most often its last pass's: then it travels once, as that pass's.
    same = [i for i, p in enumerate(run.passes) if p.graph is run.graph]
    if run.graph is not None and same:
        out["graph"], out["graph_of_pass"] = None, same[-1]
    table = _Packer()
    passes = zip(run.passes, out["passes"], strict=True)
    graphs = [(run.graph, out["graph"]), *((p.graph, d["graph"]) for p, d in passes)]
    for graph, doc in graphs:
        if graph is not None and doc is not None:
            doc["edges"] = table.pack(_edge_rows(graph))
    for graph in [out["graph"], *(p["graph"] for p in out["passes"])]:
        for node in graph["nodes"] if graph else ():
            node["value"], node["grad"] = table.pack(node["value"]), table.pack(node["grad"])
            for saved in node["saved"]:
                saved["value"] = table.pack(saved["value"])
    for p in out["passes"]:
        for step in p["steps"]:
            step["grad_outputs"] = [table.pack(v) for v in step["grad_outputs"]]
            step["grad_inputs"] = [table.pack(v) for v in step["grad_inputs"]]
            step["grad_before"] = table.pack(step["grad_before"])
            step["grad_after"] = table.pack(step["grad_after"])
    for tensor in out["tensors"].values():
        for key in ("value", "grad", "numeric_grad", "pass_grad"):
            tensor[key] = table.pack(tensor[key])
    columns = _history_columns(out["history"], table)
    if columns is not None:
        out["history"] = columns
    else:
        for i in out["history"]:
            i["value"] = table.pack(i["value"])
            i["leaves"] = {k: table.pack(v) for k, v in i["leaves"].items()}
    out["arrays"] = table.arrays
    return out


def _history_columns(rows: list[dict[str, Any]], table: _Packer) -> dict[str, Any] | None:
    """A loop's history as columns (numbers, outputs, losses, each leaf's values), one
    array each, when every value is a plain number: the rows of a 2,000-step loop were most
    of its answer's reading time. A leaf missing from some iterations (a branch of a dynamic
    net) also lists the rows it is in. None when the rows' leaves keep no common order."""
    if len(rows) < 2 or not all(type(r["value"]) is float for r in rows):
        return None
    names = _common_order([list(r["leaves"]) for r in rows])
    if names is None:
        return None
    outputs = sorted({r["output"] for r in rows})
    which = {o: i for i, o in enumerate(outputs)}
    present = {n: [i for i, r in enumerate(rows) if n in r["leaves"]] for n in names}
    doc: dict[str, Any] = {
        "count": len(rows),
        "numbers": table.pack([r["number"] for r in rows]),
        "outputs": outputs,
        "output_of": table.pack([which[r["output"]] for r in rows]),
        "values": table.pack([r["value"] for r in rows]),
        "leaves": {n: table.pack([rows[i]["leaves"][n] for i in present[n]]) for n in names},
        "rows": {n: table.pack(at) for n, at in present.items() if len(at) < len(rows)},
    }
    packed = [doc["numbers"], doc["output_of"], doc["values"], *doc["leaves"].values(),
              *doc["rows"].values()]  # fmt: skip
    return doc if all(isinstance(p, dict) for p in packed) else None


def _common_order(orders: list[list[str]]) -> list[str] | None:
    """One order of every name that each row's order follows, or None (rows disagree)."""
    if all(o == orders[0] for o in orders):
        return orders[0]
    # A dynamic net's rows take a few orders, each hundreds of times: check each once.
    orders = [list(o) for o in dict.fromkeys(map(tuple, orders))]
    rank: dict[str, int] = {}
    for order in orders:
        for n in order:
            rank.setdefault(n, len(rank))
    names = list(rank)
    if any(any(rank[a] > rank[b] for a, b in pairwise(o)) for o in orders):
        return None
    return names


_EDGE_KIND_LIST = (g.GRAD, g.DATA, g.CUT_EDGE, g.LEAF_EDGE, g.OUT_EDGE)


def _edge_rows(graph: g.Graph) -> list[tuple[int, int, int, int]]:
    """Each edge as (source's position, destination's, kind's, slot or -1): an int array,
    as the backward of torch.cat([x] * 100000) has 100,000 edges to write and read."""
    position = {n.id: i for i, n in enumerate(graph.nodes)}
    kind = {k: i for i, k in enumerate(_EDGE_KIND_LIST)}
    return [
        (position[e.src], position[e.dst], kind[e.kind], -1 if e.slot is None else e.slot)
        for e in graph.edges
    ]


class _Packer:
    """Nested tuples or lists of one type of number -> {"__array__": i}, i into `arrays`."""

    def __init__(self) -> None:
        self.arrays: list[dict[str, Any]] = []
        self.index: dict[tuple[str, tuple[int, ...], bytes], int] = {}

    def pack(self, value: Any) -> Any:
        if not isinstance(value, (tuple, list)):
            return value
        kept = bytes_of(value)
        if kept is not None:
            # The child's own tensor bytes (float32 as 'f', four bytes a number): no walk.
            return self._entry(*kept)
        shape = _shape_of(value)
        if shape is None or math.prod(shape) < PACK_MIN:
            return value
        code = _TYPES.get(type(_first(value, len(shape))))
        if code is None:
            return value  # complex numbers, say: JSON, as before
        try:
            data = array(code, _flat(value, len(shape))).tobytes()
        except (TypeError, OverflowError):
            return value  # not one type after all: JSON carries it as it is
        if len(data) != math.prod(shape) * array(code).itemsize:
            return value  # unevenly nested
        return self._entry(code, shape, data)

    def _entry(self, code: str, shape: tuple[int, ...], data: bytes) -> dict[str, int]:
        key = (code, shape, data)
        if key not in self.index:
            self.index[key] = len(self.arrays)
            text = base64.b64encode(data).decode()
            self.arrays.append({"type": code, "shape": list(shape), "data": text})
        return {"__array__": self.index[key]}


def _shape_of(value: Any) -> tuple[int, ...] | None:
    """The shape of evenly nested sequences (as tolist makes), from their first items."""
    shape: list[int] = []
    while isinstance(value, (tuple, list)):
        if len(shape) == 64:
            return None
        shape.append(len(value))
        if not value:
            break
        value = value[0]
    return tuple(shape)


def _first(value: Any, depth: int) -> Any:
    for _ in range(depth):
        if not value:
            return None
        value = value[0]
    return value


def _flat(value: Any, depth: int) -> Iterable[Any]:
    """The numbers of evenly nested sequences (array() checks each is one of its type)."""
    rows = value
    for _ in range(depth - 1):
        rows = chain.from_iterable(rows)
    return rows


# ----- plain data to Run, checked ----------------------------------------------------------


def run_from_document(doc: Any, cap_text: int) -> g.Run:
    """A Run from an untrusted document; WireError names the first bad field."""
    d = _obj(doc, "run")
    token = _ARRAYS.set(_Arrays(_list(d, "arrays")))
    try:
        return _run(d, cap_text)
    finally:
        _ARRAYS.reset(token)


def _run(d: dict[str, Any], cap_text: int) -> g.Run:
    passes = tuple(_pass(p, f"passes[{i}]") for i, p in enumerate(_list(d, "passes")))
    graph_doc = d.get("graph")
    graph = None if graph_doc is None else _graph(graph_doc, "graph")
    if d.get("graph_of_pass") is not None:
        index = _int(d, "graph_of_pass")
        if graph is not None or not 0 <= index < len(passes):
            raise WireError("graph_of_pass: no such pass, or a graph as well")
        graph = passes[index].graph
    return g.Run(
        ok=_bool(d, "ok"),
        stdout=_str(d, "stdout", cap_text),
        tensors={
            _name(k, "tensors"): _tensor(v, f"tensors[{k!r}]")
            for k, v in _obj(d.get("tensors"), "tensors").items()
        },
        graph=graph,
        passes=passes,
        notes=tuple(_text(n, "notes") for n in _list(d, "notes")),
        error=None if d.get("error") is None else error_from(d["error"]),
        undeclared=tuple(_name(n, "undeclared") for n in _list(d, "undeclared")),
        history=_history(d.get("history", [])),
    )


def error_from(doc: Any) -> ErrorInfo:
    d = _obj(doc, "error")
    return ErrorInfo(
        type=_str(d, "type", 200),
        message=_str(d, "message", MAX_TEXT),
        line=_opt_int(d, "line"),
        column=_opt_int(d, "column"),
    )


def _tensor(doc: Any, where: str) -> g.TensorReport:
    d = _obj(doc, where)
    return g.TensorReport(
        value=_value(d.get("value"), where + ".value", listed=True),
        shape=_shape(d.get("shape"), where),
        requires_grad=_bool(d, "requires_grad"),
        is_leaf=_bool(d, "is_leaf"),
        grad=_value(d.get("grad"), where + ".grad", listed=True),
        numeric_grad=_value(d.get("numeric_grad"), where + ".numeric_grad", listed=True),
        dtype=_str(d, "dtype", 40),
        leaf_index=_opt_int(d, "leaf_index"),
        summary=_summary(d.get("summary"), where),
        grad_summary=_summary(d.get("grad_summary"), where),
        pass_grad=_value(d.get("pass_grad"), where + ".pass_grad", listed=True),
    )


def _graph(doc: Any, where: str) -> g.Graph:
    d = _obj(doc, where)
    nodes = tuple(_node(n, f"{where}.nodes") for n in _list(d, "nodes"))
    ids = {n.id for n in nodes}
    if len(ids) != len(nodes):
        raise WireError(f"{where}: repeated node ids")
    if isinstance(d.get("edges"), _Ref):
        edges = _edges_from_rows(d["edges"], nodes, where)
    else:
        edges = tuple(_edge(e, f"{where}.edges", ids) for e in _list(d, "edges"))
    output = _opt_str(d, "output", 20)
    if output is not None and output not in ids:
        raise WireError(f"{where}.output: no such node {output!r}")
    notes = tuple(_text(n, where + ".notes") for n in _list(d, "notes"))
    return g.Graph(nodes, edges, output, notes)


_NODE_KINDS = frozenset((*g.TENSOR_KINDS, g.OP, g.ACCUMULATE, g.SUMMARY))
_EDGE_KINDS = frozenset((g.GRAD, g.DATA, g.CUT_EDGE, g.LEAF_EDGE, g.OUT_EDGE))


def _node(doc: Any, where: str) -> g.Node:
    d = _obj(doc, where)
    kind = _str(d, "kind", 20)
    if kind not in _NODE_KINDS:
        raise WireError(f"{where}: unknown node kind {kind[:20]!r}")
    return g.Node(
        id=_node_id(d.get("id"), where),
        kind=kind,
        label=_str(d, "label", MAX_TEXT),
        op=_opt_str(d, "op", 200),
        name=_opt_str(d, "name", 1000),
        shape=None if d.get("shape") is None else _shape(d.get("shape"), where),
        value=_value(d.get("value"), where + ".value"),
        dtype=_opt_str(d, "dtype", 40),
        requires_grad=_bool(d, "requires_grad"),
        grad=_value(d.get("grad"), where + ".grad"),
        saved=tuple(_saved(s, where + ".saved") for s in _list(d, "saved")),
        cut_by=_opt_str(d, "cut_by", 40),
    )


def _saved(doc: Any, where: str) -> g.Saved:
    d = _obj(doc, where)
    return g.Saved(
        name=_str(d, "name", 200),
        shape=None if d.get("shape") is None else _shape(d.get("shape"), where),
        value=_value(d.get("value"), where, strings=True),
        text=_str(d, "text", MAX_TEXT),
    )


def _edges_from_rows(ref: _Ref, nodes: tuple[g.Node, ...], where: str) -> tuple[g.Edge, ...]:
    """Edges from an int array of (src, dst, kind, slot) rows, checked column by column."""
    arrays = _ARRAYS.get(None)
    if arrays is None or arrays.code(ref, where) != "q":
        raise WireError(f"{where}.edges: not an array of integers")
    rows = arrays.get(ref, where, listed=False)
    if any(len(r) != 4 for r in rows):
        raise WireError(f"{where}.edges: not rows of four integers")
    if rows:
        src, dst, kind, slot = zip(*rows, strict=True)
        if min(src + dst) < 0 or max(src + dst) >= len(nodes):
            raise WireError(f"{where}.edges: an edge to a node that does not exist")
        if min(kind) < 0 or max(kind) >= len(_EDGE_KIND_LIST) or min(slot) < -1:
            raise WireError(f"{where}.edges: an unknown edge kind or slot")
    ids = [n.id for n in nodes]
    return tuple(
        g.Edge(ids[s], ids[d], _EDGE_KIND_LIST[k], None if slot < 0 else slot)
        for s, d, k, slot in rows
    )


def _edge(doc: Any, where: str, ids: set[str]) -> g.Edge:
    d = _obj(doc, where)
    src, dst = _node_id(d.get("src"), where), _node_id(d.get("dst"), where)
    if src not in ids or dst not in ids:
        raise WireError(f"{where}: an edge to a node that does not exist")
    kind = _str(d, "kind", 20)
    if kind not in _EDGE_KINDS:
        raise WireError(f"{where}: unknown edge kind {kind[:20]!r}")
    return g.Edge(src, dst, kind, _opt_int(d, "slot"))


def _pass(doc: Any, where: str) -> g.Pass:
    d = _obj(doc, where)
    graph = _graph(d.get("graph"), where + ".graph")
    ids = {n.id for n in graph.nodes}
    steps = tuple(_step(s, f"{where}.steps", ids) for s in _list(d, "steps"))
    broke = None if d.get("broke") is None else _break(d["broke"], where + ".broke", ids)
    return g.Pass(_str(d, "output", MAX_TEXT), graph, steps, _int(d, "number"), broke)


def _break(doc: Any, where: str, ids: set[str]) -> g.Break:
    d = _obj(doc, where)
    node = _node_id(d.get("node"), where)
    if node not in ids:
        raise WireError(f"{where}: a break at no node of its graph")
    return g.Break(
        node=node,
        message=_str(d, "message", MAX_TEXT),
        saved=_opt_str(d, "saved", 200),
        tensor=_opt_str(d, "tensor", 1000),
        version=_opt_int(d, "version"),
        expected=_opt_int(d, "expected"),
    )


def _step(doc: Any, where: str, ids: set[str]) -> g.Step:
    d = _obj(doc, where)
    node = _node_id(d.get("node"), where)
    targets = tuple(None if t is None else _node_id(t, where) for t in _list(d, "targets"))
    leaf = _opt_str(d, "leaf", 20)
    for ref in (node, leaf, *targets):
        if ref is not None and ref not in ids:
            raise WireError(f"{where}: a step refers to no node of its graph")
    return g.Step(
        index=_int(d, "index"),
        node=node,
        op=_str(d, "op", 200),
        grad_outputs=tuple(_value(v, where) for v in _list(d, "grad_outputs")),
        grad_inputs=tuple(_value(v, where) for v in _list(d, "grad_inputs")),
        targets=targets,
        explanation=_str(d, "explanation", MAX_TEXT),
        leaf=leaf,
        grad_before=_value(d.get("grad_before"), where),
        grad_after=_value(d.get("grad_after"), where),
    )


def _history(doc: Any) -> tuple[g.Iteration, ...]:
    if isinstance(doc, list):
        return tuple(_iteration(i, "history") for i in doc)
    d = _obj(doc, "history")
    count = _int(d, "count")
    outputs = tuple(_text(o, "history.outputs") for o in _list(d, "outputs"))
    leaves = _obj(d.get("leaves"), "history.leaves")
    columns = {
        key: _column(d.get(key), f"history.{key}", count) for key in ("numbers", "output_of")
    }
    values = _column(d.get("values"), "history.values", count)
    rows_doc = _obj(d.get("rows", {}), "history.rows")
    at = {_name(k, "history.rows"): _rows(v, f"history.rows[{k!r}]", count)
          for k, v in rows_doc.items()}  # fmt: skip
    if set(at) - set(leaves):
        raise WireError("history.rows: rows of a leaf that is not listed")
    leaf_columns: dict[str, tuple[Any, ...] | dict[int, Any]] = {}
    for k, v in leaves.items():
        name = _name(k, "history.leaves")
        where = at.get(name)
        column = _column(v, f"history.leaves[{k!r}]", count if where is None else len(where))
        leaf_columns[name] = column if where is None else dict(zip(where, column, strict=True))
    if not all(type(n) is int for n in columns["numbers"]):
        raise WireError("history.numbers: not integers")
    if any(type(o) is not int or not 0 <= o < len(outputs) for o in columns["output_of"]):
        raise WireError("history.output_of: an output that is not listed")
    if not all(type(v) is float for v in values):
        raise WireError("history.values: not numbers")
    # Each row's (name, value) pairs, built column by column: 2,000 rows of 5 leaves are
    # 10,000 pairs, and a generator per row made the reading of a loop's answer slow.
    pairs: list[list[tuple[str, Any]]] = [[] for _ in range(count)]
    for name, held in leaf_columns.items():
        cells = held.items() if isinstance(held, dict) else enumerate(held)
        for i, cell in cells:
            pairs[i].append((name, cell))
    return tuple(
        g.Iteration(number, outputs[output], value, tuple(row))
        for number, output, value, row in zip(
            columns["numbers"], columns["output_of"], values, pairs, strict=True
        )
    )


def _rows(doc: Any, where: str, count: int) -> tuple[int, ...]:
    """The rows a leaf is in: increasing row numbers below `count`."""
    if not isinstance(doc, _Ref):
        raise WireError(f"{where}: not an array")
    found = _value(doc, where)
    if (
        not isinstance(found, tuple)
        or not all(type(i) is int and 0 <= i < count for i in found)
        or any(a >= b for a, b in pairwise(found))
    ):
        raise WireError(f"{where}: not increasing rows below {count:,}")
    return found


def _column(doc: Any, where: str, count: int) -> tuple[Any, ...]:
    """One array of a columnar history: `count` rows (numbers or nested tuples)."""
    if not isinstance(doc, _Ref):
        raise WireError(f"{where}: not an array")
    column = _value(doc, where)
    if not isinstance(column, tuple) or len(column) != count:
        raise WireError(f"{where}: not {count:,} rows")
    return column


def _iteration(doc: Any, where: str) -> g.Iteration:
    d = _obj(doc, where)
    leaves = _obj(d.get("leaves"), where + ".leaves")
    return g.Iteration(
        number=_int(d, "number"),
        output=_str(d, "output", MAX_TEXT),
        value=_value(d.get("value"), where),
        leaves=tuple((_name(k, where), _value(v, where)) for k, v in leaves.items()),
    )


def _summary(doc: Any, where: str) -> dict[str, float] | None:
    if doc is None:
        return None
    d = _obj(doc, where + ".summary")
    out = {}
    for key in ("min", "max", "mean", "std"):
        value = d.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise WireError(f"{where}.summary.{key}: not a number")
        out[key] = float(value)
    if set(d) - set(out):
        raise WireError(f"{where}.summary: unexpected keys")
    return out


# ----- small checks -----------------------------------------------------------------------


def _obj(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WireError(f"{where}: not an object")
    return value


def _list(d: dict[str, Any], key: str) -> list[Any]:
    value = d.get(key, [])
    if not isinstance(value, list):
        raise WireError(f"{key}: not a list")
    return value


def _str(d: dict[str, Any], key: str, cap: int) -> str:
    value = d.get(key)
    if not isinstance(value, str) or len(value) > cap:
        raise WireError(f"{key}: not a string of at most {cap:,} characters")
    return value


def _opt_str(d: dict[str, Any], key: str, cap: int) -> str | None:
    return None if d.get(key) is None else _str(d, key, cap)


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise WireError(f"{where}: not a short string")
    return value


def _name(value: Any, where: str) -> str:
    if not isinstance(value, str) or not 0 < len(value) <= 1000:
        raise WireError(f"{where}: a name that is not a short string")
    return value


def _node_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.startswith("n") or not value[1:].isdigit():
        raise WireError(f"{where}: not a node id")
    return value


def _bool(d: dict[str, Any], key: str) -> bool:
    value = d.get(key, False)
    if not isinstance(value, bool):
        raise WireError(f"{key}: not true or false")
    return value


def _int(d: dict[str, Any], key: str) -> int:
    value = d.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**62:
        raise WireError(f"{key}: not an integer")
    return value


def _opt_int(d: dict[str, Any], key: str) -> int | None:
    return None if d.get(key) is None else _int(d, key)


def _shape(value: Any, where: str) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > 64:
        raise WireError(f"{where}.shape: not a list of at most 64 sizes")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 2**62 for v in value):
        raise WireError(f"{where}.shape: a size that is not a natural number")
    return tuple(value)


@dataclass(frozen=True)
class _Ref:
    """{"__array__": i} in a document: the i-th entry of its arrays table."""

    index: int


class _Arrays:
    """A document's arrays table, each entry checked and decoded once, when first used."""

    def __init__(self, docs: list[Any]) -> None:
        self.docs = docs
        self.decoded: dict[tuple[int, bool], Any] = {}

    def code(self, ref: _Ref, where: str) -> Any:
        """The entry's type code (checked by get())."""
        self.get(ref, where, listed=False)
        return self.docs[ref.index]["type"]

    def get(self, ref: _Ref, where: str, listed: bool) -> Any:
        key = (ref.index, listed)
        if key not in self.decoded:
            if not 0 <= ref.index < len(self.docs):
                raise WireError(f"{where}: no array {ref.index}")
            self.decoded[key] = _decoded(self.docs[ref.index], where, listed)
        return self.decoded[key]


_ARRAYS: ContextVar[_Arrays] = ContextVar("arrays")


def _decoded(doc: Any, where: str, listed: bool) -> Any:
    d = _obj(doc, where + " (array)")
    code = d.get("type")
    if not isinstance(code, str) or code not in _TYPE_OF:
        raise WireError(f"{where}: an array of unknown type")
    shape = _shape(d.get("shape"), where)
    text = d.get("data")
    if not isinstance(text, str) or not shape or not all(shape):
        raise WireError(f"{where}: a malformed array")
    try:
        numbers = array(code, base64.b64decode(text, validate=True))
    except (ValueError, TypeError):
        raise WireError(f"{where}: array data that is not base64 of its type") from None
    if len(numbers) != math.prod(shape):
        raise WireError(f"{where}: array data that does not fill its shape")
    flat: list[Any] = numbers.tolist()
    if code == "b":
        flat = [bool(x) for x in flat]
    # Rows from the innermost dimension out: lists as tolist gives, or tuples.
    rows: list[Any] = flat
    for size in reversed(shape[1:]):
        # zip over one iterator `size` times cuts the rows as tuples, in C.
        rows = list(zip(*[iter(rows)] * size, strict=True))
        if listed:
            rows = list(map(list, rows))
    return rows if listed else tuple(rows)


def _value(value: Any, where: str, *, listed: bool = False, strings: bool = False) -> Any:
    """A number, None, or nested lists of numbers; tuples unless `listed` (as tolist gives).

    Iterative, with an explicit stack, so a hostile document nested 10,000 deep is refused
    rather than overflowing the parent's stack.
    """
    if isinstance(value, _Ref):
        arrays = _ARRAYS.get(None)
        if arrays is None:
            raise WireError(f"{where}: an array outside a run")
        return arrays.get(value, where, listed)
    if not isinstance(value, list):
        return _leaf(value, where, strings)
    stack: list[tuple[list, int]] = [(value, 1)]
    while stack:
        items, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise WireError(f"{where}: nested too deeply")
        for item in items:
            if isinstance(item, list):
                stack.append((item, depth + 1))
            else:
                _leaf(item, where, strings)
    return value if listed else _frozen(value)


def _leaf(value: Any, where: str, strings: bool) -> Any:
    if value is None or isinstance(value, (bool, int, float, complex)):
        return value
    if strings and isinstance(value, str) and len(value) <= MAX_TEXT:
        return value
    raise WireError(f"{where}: {type(value).__name__} is not a number")


def _frozen(value: list) -> tuple:
    """Nested lists to nested tuples, iteratively (depth is already checked)."""
    root: list = []
    stack: list[tuple[list, list]] = [(value, root)]
    pending: list[tuple[list, list, int]] = []
    while stack:
        src, dst = stack.pop()
        for i, item in enumerate(src):
            if isinstance(item, list):
                child: list = []
                dst.append(child)
                pending.append((dst, child, i))
                stack.append((item, child))
            else:
                dst.append(item)
    for parent, child, i in reversed(pending):
        parent[i] = tuple(child)
    return tuple(root)


def _encode_extra(value: Any) -> Any:
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} cannot go on the wire")


def _decode_extra(d: dict[str, Any]) -> Any:
    if len(d) != 1:  # every object of a document comes here: most are plain ones
        return d
    if "__array__" in d:
        index = d["__array__"]
        if isinstance(index, int) and not isinstance(index, bool):
            return _Ref(index)
        raise ValueError("a malformed array reference")
    if "__complex__" in d:
        pair = d["__complex__"]
        if (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in pair)
        ):
            return complex(pair[0], pair[1])
        raise ValueError("a malformed complex number")
    return d
