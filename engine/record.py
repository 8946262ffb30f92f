"""Run the real backward pass with hooks on every node, and record what happened."""

from __future__ import annotations

import re
import time
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import replace
from functools import partial
from typing import Any

import torch

from . import graph as g
from .collector import collector_paused
from .forward import ForwardRecorder, unobserved
from .limits import Limits
from .trace import trace_live
from .values import snapshot, value_of

# torch's own backward, taken when the engine is imported: while a program runs, the
# names torch.autograd.backward and Tensor.backward lead to the engine's observers.
real_backward = torch.autograd.backward
# Recording a pass (trace, a hook per node, copies of every value) costs far more than a small
# model's backward: after the first passes, a loop's passes are recorded only while the
# recording has taken at most this share of the run so far, so that a training loop of
# thousands of steps runs at nearly CPython's own speed. The others are counted, and their
# loss goes into the history.
RECORDING_SHARE = 0.15
# Seconds of recording any run may spend regardless: a short loop is recorded on its fixed
# schedule however busy the machine is (the same program, the same passes).
RECORDING_ALLOWANCE = 0.5
# Passes kept after the first `keep` (5: the start of training, and the few passes that a
# lesson on accumulation or zero_() is about): the latest doublings, so a loop of 10,000
# steps keeps #40 to #5,120. Every record is copied, sent in the worker's answer and checked
# there: ten first passes instead of five made a lesson loop's answer about half again as big.
TAIL = 8


class BackwardRecorder:
    """A stand-in for Tensor.backward that records passes on a schedule (_scheduled)."""

    def __init__(
        self,
        *,
        forward: ForwardRecorder | None = None,
        limits: Limits = Limits(),
        keep: int = 5,
    ):
        self.forward = forward
        self.limits = limits
        self.keep = keep
        self.head: list[g.Pass] = []
        self.tail: deque[g.Pass] = deque(maxlen=TAIL)
        self.count = 0
        self.history: list[g.Iteration] = []
        # Each leaf of the latest pass with its .grad before that pass: the explorer's own
        # pass (for a program that never calls backward) puts them back afterwards.
        self.grads_before: tuple[tuple[torch.Tensor, Any], ...] = ()
        self.started = time.perf_counter()
        self.spent = 0.0  # seconds spent recording passes
        self.skipped = 0  # passes run without a record (only their history entry)
        self.record_next = True
        self.named_leaves: tuple[tuple[str, torch.Tensor], ...] = ()  # of the latest record
        # The name each leaf had when a pass first drew it: id -> (weak tensor, name).
        self.first_names: dict[int, tuple[weakref.ref, str]] = {}

    @property
    def passes(self) -> tuple[g.Pass, ...]:
        """The kept passes (their explanations are explain.explained's job)."""
        return (*self.head, *self.tail)

    @property
    def dropped(self) -> int:
        return self.count - len(self.head) - len(self.tail)

    def __call__(
        self,
        tensor: torch.Tensor,
        gradient: Any = None,
        retain_graph: bool | None = None,
        create_graph: bool = False,
        *,
        label: str | None = None,
        names: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
        inputs: Any = None,
    ) -> None:
        """Trace, hook, then call torch's own backward; errors from torch pass through.

        `names` may be a function that gives them: a pass that is not recorded never asks.
        """
        if not self.record_next:
            try:
                self._unrecorded(tensor, gradient, retain_graph, create_graph, inputs, label)
            finally:
                self._plan_next()
            return
        began = time.perf_counter()
        try:
            # A recorded pass is the explorer's own work (and the hooks' objects hold no
            # cycles): a program's own code runs in it only as a hook of its tensors.
            with collector_paused():
                self._recorded(tensor, gradient, retain_graph, create_graph, inputs, label,
                               names() if callable(names) else names)  # fmt: skip
        finally:
            self.spent += time.perf_counter() - began
            self._plan_next()

    def _plan_next(self) -> None:
        """Decide now whether the next pass is recorded: its forward pass runs before it,
        observed (the forward recorder on) only when it is."""
        upcoming = self.count + 1
        self.record_next = upcoming <= self.keep or (
            _scheduled(upcoming, self.keep) and self._within_budget()
        )
        if self.forward is not None:
            if self.record_next:
                self.forward.resume()
            else:
                self.forward.pause()

    def _within_budget(self) -> bool:
        elapsed = time.perf_counter() - self.started
        return self.spent <= RECORDING_SHARE * elapsed + RECORDING_ALLOWANCE

    def _unrecorded(self, tensor, gradient, retain_graph, create_graph, inputs, label) -> None:
        """torch's backward alone; the loss and the latest named leaves go into the history."""
        with unobserved():  # torch's backward would hand itself to the forward recorder
            real_backward(tensor, gradient, retain_graph, create_graph, inputs=inputs)
            self.count += 1
            self.skipped += 1
            leaves = tuple([(name, value_of(leaf, HISTORY_CAP))
                            for name, leaf in self.named_leaves])  # fmt: skip
            value = value_of(tensor, HISTORY_CAP)
        self.history.append(g.Iteration(self.count, label or "output", value, leaves))

    def _recorded(self, tensor, gradient, retain_graph, create_graph, inputs, label, names):
        names = self._stable(names)
        with unobserved():
            traced = trace_live(
                tensor,
                names,
                output_label=label,
                max_nodes=self.limits.graph_nodes,
                recorder=self.forward,
            )
            traced.graph = with_output_symbol(traced.graph)
        targets = _targets(traced)
        started: dict[str, tuple] = {}
        steps: list[g.Step] = []
        handles = []
        for nid, fn in traced.fns.items():
            leaf_id = traced.graph.leaf_of(nid)
            leaf = traced.leaves.get(leaf_id) if leaf_id else None
            # Every node: what arrived, the leaf's .grad before, and (a pre-hook that ran
            # with no hook after it) where a failing backward stopped.
            handles.append(fn.register_prehook(partial(_before, started, nid, leaf)))
            handles.append(
                fn.register_hook(partial(_after, started, steps, traced, targets, nid, leaf_id))
            )
        self.grads_before = tuple((leaf, leaf.grad) for leaf in traced.leaves.values())
        try:
            with unobserved():
                real_backward(tensor, gradient, retain_graph, create_graph, inputs=inputs)
        except RuntimeError as exc:
            # Autograd recorded the graph; only backward failed. The pass is kept with the
            # steps that ran and where it broke, so the picture can show it.
            self.count += 1
            with unobserved():
                broke = _break(exc, traced, started, names or {})
            self._keep(g.Pass(label or _output_label(traced.graph), traced.graph,
                              tuple(steps), self.count, broke))  # fmt: skip
            raise
        finally:
            for h in handles:
                h.remove()
        self.count += 1
        with unobserved():
            self._remember(traced)
            self.history.append(_iteration(self.count, label, tensor, traced))
            self.named_leaves = tuple(
                (traced.graph.node(nid).name, leaf)
                for nid, leaf in traced.leaves.items()
                if traced.graph.node(nid).name and leaf.numel() <= HISTORY_CAP
            )
        self._keep(g.Pass(label or _output_label(traced.graph), traced.graph, tuple(steps),
                          self.count))  # fmt: skip

    def _stable(self, names: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
        """The names with each leaf's first name last, where the tracer lets it win.

        `for p in (a, b, c, d): p -= lr * p.grad` leaves `p` bound to `d`: from the second
        pass on, `d` would be drawn, and plotted in the history, as `p`.
        """
        if not names or not self.first_names:
            return names
        first = []
        for name, value in names.items():
            known = self.first_names.get(id(value)) if isinstance(value, torch.Tensor) else None
            if known is not None and known[1] == name and known[0]() is value:
                first.append(name)
        if not first:
            return names
        kept = set(first)
        out = {n: v for n, v in names.items() if n not in kept}
        out.update((n, names[n]) for n in first)
        return out

    def _remember(self, traced: Any) -> None:
        for nid, leaf in traced.leaves.items():
            name = traced.graph.node(nid).name
            known = self.first_names.get(id(leaf))
            if name and (known is None or known[0]() is not leaf):
                self.first_names[id(leaf)] = (weakref.ref(leaf), name)

    def _keep(self, done: g.Pass) -> None:
        if len(self.head) < self.keep:
            self.head.append(done)
        else:
            self.tail.append(done)


HISTORY_CAP = 16  # elements of a leaf worth plotting per iteration
# The letter the chain rule calls an output that is an expression (y.sum()): the graph
# draws it as "L = y.sum()", so every symbol of a formula is on the picture.
OUTPUT_SYMBOLS = ("L", "ℒ", "J")


def _output_label(graph: g.Graph) -> str:
    node = graph.node(graph.output) if graph.output else None
    return node.label.split(" = ", 1)[-1] if node is not None else "output"


def with_output_symbol(graph: g.Graph) -> g.Graph:
    """The graph with an expression output (y.sum(), a*b) named L and labelled "L = y.sum()";
    an output with a variable's name (y, loss) keeps it."""
    out = graph.node(graph.output) if graph.output else None
    if out is None or out.kind != g.OUTPUT or out.label.isidentifier():
        return graph
    taken = {n.name for n in graph.nodes} | {n.label for n in graph.nodes}
    symbol = next((s for s in OUTPUT_SYMBOLS if s not in taken), None)
    if symbol is None:
        return graph
    named = replace(out, name=symbol, label=f"{symbol} = {out.label}")
    nodes = tuple(named if n.id == out.id else n for n in graph.nodes)
    return g.Graph(nodes, graph.edges, graph.output, graph.notes)


VERSIONS = re.compile(r"is at version (\d+); expected version (\d+)")


def _break(exc: RuntimeError, traced: Any, started: dict, names: Mapping[str, Any]) -> g.Break:
    """Where torch's backward stopped: the node whose pre-hook ran but not its hook (the
    output node when backward never started), with torch's own first sentence."""
    from .execute import first_sentence  # execute imports this module

    message = first_sentence(str(exc).strip().splitlines()[0] if str(exc).strip() else "")
    nid = next(iter(started), None) or traced.graph.output
    found = VERSIONS.search(str(exc))
    fn = traced.fns.get(nid)
    if found is None or fn is None:
        return g.Break(nid, message)
    saved, holder = None, None
    for attr in (a for a in dir(fn) if a.startswith("_saved_")):
        try:
            getattr(fn, attr)
        except RuntimeError:  # this one was changed in place since the op saved it
            saved = attr.removeprefix("_saved_")
            raw = getattr(fn, "_raw" + attr, None)
            data = getattr(raw, "data", None)
            if isinstance(data, torch.Tensor):
                holder = next((n for n, t in names.items() if isinstance(t, torch.Tensor)
                               and t.data_ptr() == data.data_ptr() and t.shape == data.shape),
                              None)  # fmt: skip
            break
    return g.Break(nid, message, saved, holder, int(found[1]), int(found[2]))


def _scheduled(number: int, keep: int) -> bool:
    """Whether pass `number` is one to record: every pass up to `keep`, then the passes at
    2·keep, 4·keep, 8·keep, ...: the same ones every run, whatever the machine's load.

    A record costs a few iterations of a small model's loop, so a loop of 200 steps that
    recorded a fifth of its passes ran at twice CPython's time; with this schedule a
    lesson's loop runs within a few tenths of it, and the player still shows the start of
    training, and then its progress at every doubling (the history has every loss).
    """
    if number <= keep:
        return True
    times, rest = divmod(number, keep)
    return rest == 0 and times & (times - 1) == 0


def _iteration(number: int, label: str | None, tensor: torch.Tensor, traced: Any) -> g.Iteration:
    leaves = tuple(
        (traced.graph.node(nid).name, snapshot(leaf, HISTORY_CAP))
        for nid, leaf in traced.leaves.items()
        if traced.graph.node(nid).name and leaf.numel() <= HISTORY_CAP
    )
    return g.Iteration(number, label or "output", snapshot(tensor, HISTORY_CAP), leaves)


def _before(started: dict, nid: str, leaf: torch.Tensor | None, grad_outputs: tuple) -> None:
    with unobserved():
        before = snapshot(leaf.grad) if leaf is not None else None
        started[nid] = (tuple(snapshot(t) for t in grad_outputs), before)


def _after(
    started: dict,
    steps: list,
    traced: Any,
    targets: dict[str, tuple[str | None, ...]],
    nid: str,
    leaf_id: str | None,
    grad_inputs: tuple,
    grad_outputs: tuple,
) -> None:
    with unobserved():
        fn = traced.fns[nid]
        # pop() without a default: a default would be built, snapshots and all, every time.
        found = started.pop(nid, None)
        arrived, before = found or (tuple(snapshot(t) for t in grad_outputs), None)
        leaf = traced.leaves.get(leaf_id) if leaf_id else None
        steps.append(
            g.Step(
                index=len(steps),
                node=nid,
                op=type(fn).__name__,
                grad_outputs=arrived,
                grad_inputs=tuple(snapshot(t) for t in grad_inputs),
                targets=targets.get(nid, ()),
                leaf=leaf_id,
                grad_before=before,
                grad_after=snapshot(leaf.grad) if leaf is not None else None,
            )
        )


def _targets(traced: Any) -> dict[str, tuple[str | None, ...]]:
    """Each op's node id -> the node receiving each of its grad_inputs (by slot)."""
    by_slot = {(e.dst, e.slot): e.src for e in traced.graph.edges if e.slot is not None}
    return {
        nid: tuple(by_slot.get((nid, slot)) for slot in range(len(fn.next_functions)))
        for nid, fn in traced.fns.items()
    }
