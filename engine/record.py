"""Run the real backward pass with hooks on every node, and record what happened."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from functools import partial
from typing import Any

import torch

from . import graph as g
from .explain import explain
from .forward import ForwardRecorder, unobserved
from .limits import Limits
from .trace import trace_live
from .values import snapshot


class BackwardRecorder:
    """A stand-in for Tensor.backward that records each pass; keeps the first and last few."""

    def __init__(
        self,
        *,
        forward: ForwardRecorder | None = None,
        limits: Limits = Limits(),
        keep: int = 10,
    ):
        self.forward = forward
        self.limits = limits
        self.keep = keep
        self.head: list[g.Pass] = []
        self.tail: deque[g.Pass] = deque(maxlen=keep)
        self.count = 0
        self.history: list[g.Iteration] = []

    @property
    def passes(self) -> tuple[g.Pass, ...]:
        return tuple(self.head) + tuple(self.tail)

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
        names: Mapping[str, Any] | None = None,
    ) -> None:
        """Trace, hook, then call torch's own backward; errors from torch pass through."""
        with unobserved():
            traced = trace_live(
                tensor,
                names,
                output_label=label,
                max_nodes=self.limits.graph_nodes,
                recorder=self.forward,
            )
        leaf_of = {e.dst: e.src for e in traced.graph.edges if e.kind == g.LEAF_EDGE}
        started: dict[str, tuple] = {}
        steps: list[g.Step] = []
        handles = []
        for nid, fn in traced.fns.items():
            leaf = traced.leaves.get(leaf_of.get(nid, ""))
            handles.append(fn.register_prehook(partial(_before, started, nid, leaf)))
            handles.append(
                fn.register_hook(partial(_after, started, steps, traced, nid, leaf_of.get(nid)))
            )
        try:
            torch.autograd.backward(tensor, gradient, retain_graph, create_graph)
        finally:
            for h in handles:
                h.remove()
        self.count += 1
        with unobserved():
            self.history.append(_iteration(self.count, label, tensor, traced))
            steps = [
                g.Step(**{**s.__dict__, "explanation": explain(s, traced.graph)}) for s in steps
            ]
        done = g.Pass(label or traced.graph.node(traced.graph.output).label, traced.graph,
                      tuple(steps), self.count)  # fmt: skip
        if len(self.head) < self.keep:
            self.head.append(done)
        else:
            self.tail.append(done)


HISTORY_CAP = 16  # elements of a leaf worth plotting per iteration


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
    nid: str,
    leaf_id: str | None,
    grad_inputs: tuple,
    grad_outputs: tuple,
) -> None:
    with unobserved():
        fn = traced.fns[nid]
        arrived, before = started.pop(nid, (tuple(snapshot(t) for t in grad_outputs), None))
        targets = tuple(_target(traced.graph, nid, slot) for slot in range(len(fn.next_functions)))
        leaf = traced.leaves.get(leaf_id) if leaf_id else None
        steps.append(
            g.Step(
                index=len(steps),
                node=nid,
                op=type(fn).__name__,
                grad_outputs=arrived,
                grad_inputs=tuple(snapshot(t) for t in grad_inputs),
                targets=targets,
                leaf=leaf_id,
                grad_before=before,
                grad_after=snapshot(leaf.grad) if leaf is not None else None,
            )
        )


def _target(graph: g.Graph, nid: str, slot: int) -> str | None:
    for e in graph.edges:
        if e.dst == nid and e.slot == slot:
            return e.src
    return None
