"""The forward recorder: what it watches, and when it steps aside to keep loops fast."""

import sys

import pytest
import torch
import torch.optim.optimizer as optimizer_module

import engine
from engine import graph as g
from engine.forward import IDLE_CALLS, IDLE_NOTE, ForwardRecorder, forward_op


def constants_of(graph: g.Graph) -> list[str]:
    return sorted(n.label for n in graph.nodes if n.kind == g.CONSTANT)


def test_an_optimizer_step_is_not_watched_and_the_next_forward_is():
    """Inside opt.step() the mode is off torch's stack; after it, on again, so the next
    pass's graph still shows its constants."""
    fr = ForwardRecorder()
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.1, momentum=0.9)
    seen_inside = []
    opt.register_step_pre_hook(lambda *a: seen_inside.append(fr.on))
    with fr:
        (w * 3).sum().backward()
        opt.step()
        assert fr.on and not fr.stepping
        y = (w * 5).sum()
    assert seen_inside == [False]
    op = forward_op(y.grad_fn.next_functions[0][0])
    assert op is not None and [a for a in op.inputs if not isinstance(a, torch.Tensor)] == [5]


def test_the_optimizer_hooks_go_with_the_recorder():
    before = (
        dict(optimizer_module._global_optimizer_pre_hooks),
        dict(optimizer_module._global_optimizer_post_hooks),
    )
    with ForwardRecorder():
        assert len(optimizer_module._global_optimizer_pre_hooks) == len(before[0]) + 1
    after = (
        dict(optimizer_module._global_optimizer_pre_hooks),
        dict(optimizer_module._global_optimizer_post_hooks),
    )
    assert after == before


def test_reading_grad_off_a_parameter_is_no_cut():
    """p.grad is read off the leaf, not computed from it: no 'cut by no_grad' for it."""
    fr = ForwardRecorder()
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    with fr:
        (w * 3).sum().backward()
        with torch.no_grad():
            grad = w.grad
            half = w * 0.5
            data = w.data
    assert fr.cut_of(grad) is None
    assert fr.cut_of(half) is not None and fr.cut_of(half).reason == "no_grad"
    assert fr.cut_of(data) is not None


IDLE_THEN_GRAPH = f"""
import torch
acc = torch.zeros(3)
for i in range({IDLE_CALLS} + 10):
    acc = acc + 1.0
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
y = (w * 2.0).sum()
"""

GRAPH_THEN_LOOP = f"""
import torch
w = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
acc = torch.zeros(3)
for i in range({IDLE_CALLS} + 10):
    acc = acc + 1.0
y = (w * 2.0).sum()
"""


@pytest.mark.parametrize("trusted", [True, False])
def test_a_long_run_without_autograd_stops_being_watched_and_says_so(trusted):
    """Past IDLE_CALLS calls with no tensor that requires grad, the recorder steps aside;
    a graph built after that lacks its constants, and a note says why."""
    done = engine.run(IDLE_THEN_GRAPH, numeric=False, trusted=trusted)
    assert done.ok, done.error
    assert IDLE_NOTE in done.notes
    assert "2.0" not in constants_of(done.graph)
    assert done.tensors["w"].grad is None  # the explorer's own pass changed nothing


@pytest.mark.parametrize("trusted", [True, False])
def test_a_program_with_a_leaf_is_always_watched(trusted):
    """Once a leaf exists, no number of plain calls stops the watching."""
    done = engine.run(GRAPH_THEN_LOOP, numeric=False, trusted=trusted)
    assert done.ok, done.error
    assert IDLE_NOTE not in done.notes
    assert "2" in constants_of(done.graph)


def test_stepping_aside_leaves_the_tracer_as_it_was():
    """The recorder leaves torch's stack through sys.settrace for one line, and puts
    back whatever trace function the person had (a trusted run in a notebook)."""
    calls = []

    def mine(frame, event, arg):
        calls.append(event)

    sys.settrace(mine)
    try:
        done = engine.run(IDLE_THEN_GRAPH, numeric=False, trusted=True)
        assert sys.gettrace() is mine
    finally:
        sys.settrace(None)
    assert done.ok and IDLE_NOTE in done.notes
    assert calls
