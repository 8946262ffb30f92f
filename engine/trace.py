"""Walk a tensor's grad_fn graph (iteratively) into a plain Graph with stable ids."""

from __future__ import annotations

import contextlib
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import torch

from . import graph as g
from .collector import collector_paused
from .errors import LimitExceeded
from .forward import IDLE_NOTE, ForwardRecorder, forward_op
from .ops import symbol
from .values import VALUE_CAP, cut, shape_of, snapshot

# Nodes a walk makes before it holds the collector off (see walk).
PAUSE_AFTER = 1_000


@dataclass
class Traced:
    """A Graph plus the live autograd objects behind its node ids (for hooking)."""

    graph: g.Graph
    fns: dict[str, Any] = field(default_factory=dict)  # node id -> grad_fn object
    leaves: dict[str, torch.Tensor] = field(default_factory=dict)  # node id -> leaf tensor


def trace(tensor: torch.Tensor, names: Mapping[str, Any] | None = None, **options) -> g.Graph:
    """The autograd graph behind `tensor`, named by `names` (variable name -> tensor).

    Options are trace_live's: output_label, max_nodes, saved, recorder, cap.
    """
    return trace_live(tensor, names, **options).graph


def trace_live(
    tensor: torch.Tensor,
    names: Mapping[str, Any] | None = None,
    *,
    output_label: str | None = None,
    max_nodes: int | None = None,
    saved: bool = True,
    recorder: ForwardRecorder | None = None,
    cap: int = VALUE_CAP,
) -> Traced:
    """The graph plus the live grad_fn objects behind its ids, so backward can be hooked.

    output_label names the output node; max_nodes raises LimitExceeded past it; saved reads
    the tensors ops saved for backward; recorder adds what the forward pass showed
    (constants, cut values); cap is the most elements of a value kept per node.
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"trace() needs a torch.Tensor, not {type(tensor).__name__}")
    walker = _Walker(names or {}, max_nodes, saved, recorder, cap)
    return walker.walk(tensor, output_label)


class _Walker:
    """Breadth-first walk over next_functions; ids are given in visiting order."""

    def __init__(self, names, max_nodes, saved, recorder, cap) -> None:
        self.tensor_names: dict[int, str] = {}
        self.fn_names: dict[int, tuple[str, torch.Tensor]] = {}
        for name, value in names.items():
            if isinstance(value, torch.Tensor):
                self.tensor_names[id(value)] = name
                if value.grad_fn is not None:
                    self.fn_names[id(value.grad_fn)] = (name, value)
        self.max_nodes = max_nodes
        self.saved = saved
        self.recorder = recorder
        self.cap = cap
        self.nodes: list[g.Node] = []
        self.edges: list[g.Edge] = []
        self.ids: dict[int, str] = {}  # id(grad_fn or tensor) -> node id, during the walk only
        self.keep: list[Any] = []  # keeps keyed objects alive so their id() stays unique
        self.traced = Traced(graph=None)  # type: ignore[arg-type]

    def walk(self, tensor: torch.Tensor, output_label: str | None) -> Traced:
        out_name = output_label or self.tensor_names.get(id(tensor)) or "output"
        root = tensor.grad_fn
        if root is None:
            # A leaf or a constant: nothing was recorded, the graph is the tensor itself.
            kind = g.LEAF if tensor.requires_grad else g.CONSTANT
            nid = self._tensor_node(tensor, kind, out_name)
            note = () if tensor.requires_grad else (f"{out_name} does not require grad",)
            self.traced.graph = g.Graph(tuple(self.nodes), (), nid, note)
            return self.traced
        out_id = self._add(
            kind=g.OUTPUT,
            label=out_name,
            name=out_name,
            shape=shape_of(tensor),
            value=snapshot(tensor, self.cap),
            dtype=str(tensor.dtype),
            requires_grad=tensor.requires_grad,
        )
        self.keep.append(tensor)
        self.fn_names.pop(id(root), None)  # the output node already carries that name
        queue: deque[Any] = deque()
        root_id = self._fn_node(root, queue)
        self.edges.append(g.Edge(root_id, out_id, g.OUT_EDGE))
        with contextlib.ExitStack() as held:
            paused = False
            while queue:
                if not paused and len(self.nodes) > PAUSE_AFTER:
                    # A big graph: its nodes and edges hold no cycles, and the collector's
                    # full walks of them, again and again as they grow, made the walk
                    # superlinear. A small one is not worth the pause's own cost.
                    held.enter_context(collector_paused())
                    paused = True
                fn, fid, fwd = queue.popleft()
                for slot, (nxt, _) in enumerate(fn.next_functions):
                    if nxt is not None:
                        self.edges.append(g.Edge(self._fn_node(nxt, queue), fid, g.GRAD, slot))
                if fwd is not None:
                    self._constants(fwd, fid)
            # An idle recorder saw none of this graph's ops (it idles only before any leaf).
            notes = (IDLE_NOTE,) if self.recorder is not None and self.recorder.idle else ()
            self.traced.graph = g.Graph(tuple(self.nodes), tuple(self.edges), out_id, notes)
        return self.traced

    def _add(self, **fields: Any) -> str:
        if self.max_nodes is not None and len(self.nodes) >= self.max_nodes:
            raise LimitExceeded(
                f"the graph has more than {self.max_nodes:,} nodes (the graph_nodes limit)"
            )
        nid = f"n{len(self.nodes)}"
        self.nodes.append(g.Node(id=nid, **fields))
        return nid

    def _fn_node(self, fn: Any, queue: deque) -> str:
        """The node id of a grad_fn, creating (and queueing) it on first sight."""
        key = id(fn)
        if key in self.ids:
            return self.ids[key]
        self.keep.append(fn)
        op = type(fn).__name__
        if op == "AccumulateGrad":
            nid = self._add(kind=g.ACCUMULATE, label="AccumulateGrad", op=op)
            self.ids[key] = nid
            self.traced.fns[nid] = fn
            leaf = fn.variable
            leaf_id = self._tensor_node(leaf, g.LEAF)
            self.traced.leaves[leaf_id] = leaf
            self.edges.append(g.Edge(leaf_id, nid, g.LEAF_EDGE))
            return nid
        # Forward info exists only where a ForwardRecorder watched; reading metadata costs.
        fwd = forward_op(fn) if self.recorder is not None else None
        saved = self._saved(fn) if self.saved else ()
        exponent = _pow_exponent(fn)
        name, named = self.fn_names.get(key, (None, None))
        nid = self._add(
            kind=g.OP,
            label=symbol(op, exponent),
            op=op,
            name=name,
            value=self._op_value(fwd, named),
            saved=saved,
        )
        self.ids[key] = nid
        self.traced.fns[nid] = fn
        queue.append((fn, nid, fwd))
        return nid

    def _op_value(self, fwd: Any, named: torch.Tensor | None) -> Any:
        return snapshot(fwd.value if fwd is not None else named, self.cap)

    def _tensor_node(self, tensor: torch.Tensor, kind: str, label: str | None = None) -> str:
        key = id(tensor)
        if key in self.ids:
            return self.ids[key]
        self.keep.append(tensor)
        name = self.tensor_names.get(key)
        cut = self.recorder.cut_of(tensor) if self.recorder and kind == g.CONSTANT else None
        nid = self._add(
            kind=g.CUT if cut else kind,
            label=label or name or _anonymous(tensor),
            name=name,
            shape=shape_of(tensor),
            value=snapshot(tensor, self.cap),
            dtype=str(tensor.dtype),
            requires_grad=tensor.requires_grad,
            grad=snapshot(tensor.grad, self.cap) if kind == g.LEAF else None,
            cut_by=cut.reason if cut else None,
        )
        self.ids[key] = nid
        if cut:
            # One level of history: where the value came from before the cut.
            for src in cut.sources:
                src_kind = g.LEAF if src.is_leaf and src.requires_grad else g.CONSTANT
                src_id = self._tensor_node(src, src_kind)
                self.edges.append(g.Edge(src_id, nid, g.CUT_EDGE))
        return nid

    def _constants(self, fwd: Any, fid: str) -> None:
        """Inputs autograd dropped (constants, cut values), as the forward recorder saw them."""
        for value in fwd.inputs:
            if isinstance(value, torch.Tensor):
                if value.requires_grad:
                    continue  # already reached through next_functions
                src = self._tensor_node(value, g.CONSTANT)
            else:
                src = self._add(kind=g.CONSTANT, label=_number_text(value), value=value, shape=())
            self.edges.append(g.Edge(src, fid, g.DATA))

    def _saved(self, fn: Any) -> tuple[g.Saved, ...]:
        out = []
        for attr in _saved_attributes(type(fn), fn):
            label = attr.removeprefix("_saved_")
            try:
                value = getattr(fn, attr)
            except RuntimeError:
                # Freed by an earlier backward without retain_graph=True.
                out.append(g.Saved(label, None, None, "freed after backward"))
                continue
            if isinstance(value, torch.Tensor):
                out.append(g.Saved(label, shape_of(value), snapshot(value, self.cap), "tensor"))
            elif value is not None:
                out.append(g.Saved(label, None, _plain(value), cut(str(value), 50)))
        return tuple(out)


_SAVED_ATTRIBUTES: dict[type, tuple[str, ...]] = {}


def _saved_attributes(kind: type, fn: Any) -> tuple[str, ...]:
    """The _saved_* attributes of a grad_fn class: dir() is slow, and a class's are fixed."""
    found = _SAVED_ATTRIBUTES.get(kind)
    if found is None:
        found = tuple(
            a
            for a in dir(fn)
            if a.startswith("_saved_") and not a.endswith(("_sym_sizes", "_sym_strides"))
        )
        _SAVED_ATTRIBUTES[kind] = found
    return found


def _pow_exponent(fn: Any) -> Any:
    """The exponent a live PowBackward holds, for the node's label (x²); None otherwise."""
    if type(fn).__name__.startswith("PowBackward"):
        value = getattr(fn, "_saved_exponent", None)
        return value if isinstance(value, (int, float)) else None
    return None


def _anonymous(tensor: torch.Tensor) -> str:
    return "tensor" if tensor.dim() == 0 else "tensor " + "×".join(map(str, tensor.shape))


def _number_text(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, (int, float, bool, str)):
        return value
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    return str(value)
