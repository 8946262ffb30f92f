"""Plain immutable data the engine hands out: graphs, backward steps, runs."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# Node kinds. Tensors: what the user named or fed in; ops: what autograd recorded.
LEAF = "leaf"  # a tensor with requires_grad=True and no grad_fn (gets .grad)
CONSTANT = "constant"  # a tensor or number autograd does not track
CUT = "cut"  # a value computed under no_grad or detached: its history is cut off
OUTPUT = "output"  # the tensor backward() starts from
OP = "op"  # a grad_fn node (AddBackward0, ...)
ACCUMULATE = "accumulate"  # the AccumulateGrad node that writes a leaf's .grad
SUMMARY = "summary"  # drawn only: one node standing for a big graph's elided middle
TENSOR_KINDS = (LEAF, CONSTANT, CUT, OUTPUT)

# Edge kinds. Edges point the way values flow forward; gradients run against them.
GRAD = "grad"  # a differentiable input of an op (carries a gradient backward)
DATA = "data"  # a constant fed to an op (no gradient)
CUT_EDGE = "cut"  # where a value came from before no_grad/detach cut it off
LEAF_EDGE = "leaf"  # leaf tensor -> its AccumulateGrad
OUT_EDGE = "out"  # last op -> the output tensor


@dataclass(frozen=True)
class Saved:
    """A tensor or value an op saved for its backward."""

    name: str
    shape: tuple[int, ...] | None
    value: Any  # nested tuples of floats, a number, or None when too big or freed
    text: str  # short human text (also for non-tensor values such as an exponent)


@dataclass(frozen=True)
class Node:
    """A tensor or an autograd op, with everything needed to draw it."""

    id: str
    kind: str
    label: str  # what to draw: a variable name, or the maths of an op (·, +, x²)
    op: str | None = None  # PyTorch grad_fn class name, e.g. "DotBackward0"
    name: str | None = None  # the user's variable name for this tensor (or op output)
    shape: tuple[int, ...] | None = None
    value: Any = None  # nested tuples / number; None when over the size cap
    dtype: str | None = None
    requires_grad: bool = False
    grad: Any = None  # a leaf's .grad when the graph was traced
    saved: tuple[Saved, ...] = ()
    cut_by: str | None = None  # "no_grad" or "detach" for kind CUT

    @property
    def is_tensor(self) -> bool:
        return self.kind in TENSOR_KINDS

    @property
    def exponent_value(self) -> int | float | None:
        """A power's exponent as the number it saved (x**2: 2); None when not a saved number."""
        value = next((s.value for s in self.saved if s.name == "exponent"), None)
        return value if isinstance(value, (int, float)) else None

    @property
    def exponent_text(self) -> str | None:
        """A power's saved exponent as text for formulas (a tensor one too); None if unsaved."""
        return next((s.text for s in self.saved if s.name == "exponent"), None)


@dataclass(frozen=True)
class Edge:
    """src feeds dst in the forward pass; slot is the index in dst's next_functions."""

    src: str
    dst: str
    kind: str = GRAD
    slot: int | None = None


@dataclass(frozen=True)
class Graph:
    """The recorded computation graph: node ids n0, n1, ... in traversal order.

    Indexed once when made (nodes by id, the edges into and out of each node, the leaf each
    AccumulateGrad writes), so every question a walk asks is answered in constant time.
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    output: str | None = None  # id of the OUTPUT node
    notes: tuple[str, ...] = ()
    _by_id: dict[str, Node] = field(init=False, repr=False, compare=False)
    _into: dict[str, tuple[Edge, ...]] = field(init=False, repr=False, compare=False)
    _out_of: dict[str, tuple[Edge, ...]] = field(init=False, repr=False, compare=False)
    _leaf_of: dict[str, str] = field(init=False, repr=False, compare=False)
    # A cache for what is derived from this (immutable) graph, such as the maths text of a
    # node: a 9,000-step pass asks for the same operands' text again and again. A field, not
    # a property: a pass's words look it up some 40 times a step.
    memo: dict[Any, Any] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        into: dict[str, list[Edge]] = {}
        out_of: dict[str, list[Edge]] = {}
        leaf_of: dict[str, str] = {}
        for e in self.edges:
            into.setdefault(e.dst, []).append(e)
            out_of.setdefault(e.src, []).append(e)
            if e.kind == LEAF_EDGE:
                leaf_of.setdefault(e.dst, e.src)
        # A frozen dataclass: its derived fields are set once, here, the documented way.
        object.__setattr__(self, "_by_id", {n.id: n for n in self.nodes})
        object.__setattr__(self, "_into", {k: tuple(v) for k, v in into.items()})
        object.__setattr__(self, "_out_of", {k: tuple(v) for k, v in out_of.items()})
        object.__setattr__(self, "_leaf_of", leaf_of)
        object.__setattr__(self, "memo", {})

    def node(self, node_id: str) -> Node:
        try:
            return self._by_id[node_id]
        except KeyError:
            raise KeyError(f"no node {node_id!r} in the graph") from None

    def has(self, node_id: str) -> bool:
        return node_id in self._by_id

    def edges_into(self, node_id: str) -> tuple[Edge, ...]:
        """The edges whose dst is node_id, in the graph's order."""
        return self._into.get(node_id, ())

    def edges_out_of(self, node_id: str) -> tuple[Edge, ...]:
        """The edges whose src is node_id, in the graph's order."""
        return self._out_of.get(node_id, ())

    def leaf_of(self, node_id: str) -> str | None:
        """The leaf tensor node an AccumulateGrad node writes (None for other nodes)."""
        return self._leaf_of.get(node_id)

    def to_json(self, edges: bool = True) -> dict:
        out = {
            "nodes": [_node_json(n) for n in self.nodes],
            "output": self.output,
            "notes": list(self.notes),
        }
        if edges:
            out["edges"] = [shallow(e) for e in self.edges]
        return out


@dataclass(frozen=True)
class Step:
    """One node the backward engine ran, with the gradients in and out."""

    index: int
    node: str  # node id in the pass's graph
    op: str
    grad_outputs: tuple[Any, ...]  # gradient arriving for each output of the node
    grad_inputs: tuple[Any, ...]  # gradient sent to each input (next_functions order)
    targets: tuple[str | None, ...]  # node id receiving each grad_input
    explanation: str = ""
    leaf: str | None = None  # for AccumulateGrad: the leaf tensor node it writes
    grad_before: Any = None  # the leaf's .grad before this step (None if unset)
    grad_after: Any = None  # ... and after (shows += on accumulation)

    def explained_as(self, text: str) -> Step:
        """This step with its explanation written (dataclasses.replace, three times faster:
        a 9,000-step pass makes one per step)."""
        return Step(self.index, self.node, self.op, self.grad_outputs, self.grad_inputs,
                    self.targets, text, self.leaf, self.grad_before, self.grad_after)  # fmt: skip

    def to_json(self) -> dict:
        return shallow(self)


@dataclass(frozen=True)
class Break:
    """Where torch's backward stopped: the node it could not run (the output node when it
    refused to start), torch's own message, and an in-place change's saved tensor."""

    node: str
    message: str
    saved: str | None = None  # the op's saved tensor changed in place, e.g. "result"
    tensor: str | None = None  # the variable that holds it, e.g. "b"
    version: int | None = None  # its version counter now ...
    expected: int | None = None  # ... and when the op saved it


@dataclass(frozen=True)
class Pass:
    """One backward() call: its graph and the steps in the engine's real order."""

    output: str  # source text of what backward ran on, e.g. "y.sum()"
    graph: Graph
    steps: tuple[Step, ...]
    number: int = 1  # 1 for the program's first backward call, 2 for the next, ...
    broke: Break | None = None  # torch raised: the steps are those that ran before

    def to_json(self, with_graph: bool = False, edges: bool = True) -> dict:
        out: dict[str, Any] = {"output": self.output, "number": self.number}
        out["steps"] = [s.to_json() for s in self.steps]
        out["broke"] = shallow(self.broke) if self.broke else None
        if with_graph:
            out["graph"] = self.graph.to_json(edges)
        return out


@dataclass(frozen=True)
class Iteration:
    """One backward() call in a loop: the value it started from and the leaves it reached."""

    number: int
    output: str
    value: Any  # the output's value (a number for a scalar loss)
    leaves: tuple[tuple[str, Any], ...]  # (name, value) of each named leaf, when small

    def to_json(self) -> dict:
        return {"number": self.number, "output": self.output, "value": self.value,
                "leaves": dict(self.leaves)}  # fmt: skip


@dataclass(frozen=True)
class TensorReport:
    """A named tensor as it stands when the program ends."""

    value: Any
    shape: tuple[int, ...]
    requires_grad: bool
    is_leaf: bool
    grad: Any = None
    numeric_grad: Any = None
    dtype: str = "torch.float32"
    leaf_index: int | None = None  # k: the program's k-th leaf (finite differences find it so)
    summary: dict[str, float] | None = None  # min/max/mean/std when value is left out (too big)
    grad_summary: dict[str, float] | None = None  # ... and the same for grad
    # A program that never calls backward leaves .grad as Python does (None); this is what
    # the explorer's own pass, recorded for the player, would have put there.
    pass_grad: Any = None

    @property
    def effective_grad(self) -> Any:
        """Python's .grad, or else the gradient of the explorer's own pass."""
        return self.grad if self.grad is not None else self.pass_grad

    def to_json(self) -> dict:
        out = shallow(self)
        out["shape"] = list(self.shape)
        return out


@dataclass(frozen=True)
class Run:
    """Everything one program run produced; never raised, always returned."""

    ok: bool
    stdout: str = ""
    tensors: dict[str, TensorReport] = field(default_factory=dict)
    graph: Graph | None = None
    passes: tuple[Pass, ...] = ()
    notes: tuple[str, ...] = ()
    error: Any = None  # engine.errors.ErrorInfo or None
    undeclared: tuple[str, ...] = ()
    history: tuple[Iteration, ...] = ()  # every backward call, for loss-per-iteration plots
    # Bytes of the worker's answer this run came from (0 for a trusted run): a cache bounds
    # what it keeps by this, since the objects are a few times bigger than their JSON.
    answer_bytes: int = field(default=0, compare=False)

    def to_json(self, graphs: bool = True) -> dict:
        """The run as JSON-ready data; graphs=False leaves out the graph and the passes."""
        out = {
            "ok": self.ok,
            "stdout": self.stdout,
            "tensors": {k: v.to_json() for k, v in self.tensors.items()},
            "notes": list(self.notes),
            "error": shallow(self.error) if self.error else None,
            "undeclared": list(self.undeclared),
            "history": [i.to_json() for i in self.history],
        }
        if graphs:
            out["graph"] = self.graph.to_json() if self.graph else {"nodes": [], "edges": []}
            out["passes"] = [p.to_json() for p in self.passes]
        return out


def _node_json(node: Node) -> dict:
    out = shallow(node)
    out["saved"] = [shallow(s) for s in node.saved]
    return out


def shallow(obj: Any) -> dict:
    """A dataclass's fields as a dict, values as they are (json writes tuples as lists).

    dataclasses.asdict deep-copies every nested value: for a loop's recorded passes that
    was most of the time it took to send a run back from its worker.
    """
    names = _FIELDS.get(type(obj))
    if names is None:  # dataclasses.fields() is slow, and a class's fields are fixed
        names = _FIELDS[type(obj)] = tuple(f.name for f in fields(obj) if f.init)
    return {name: getattr(obj, name) for name in names}


_FIELDS: dict[type, tuple[str, ...]] = {}
