"""engine.record: the real backward pass, step by step, through hooks."""

import pytest
import torch

from engine.explain import explain
from engine.forward import ForwardRecorder
from engine.record import BackwardRecorder
from engine.values import fmt_value


def lesson_linear():
    x = torch.tensor([1.0, 2.0, 3.0])
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    return dict(x=x, w=w, b=b, y=torch.dot(w, x) + b)


def expected_grads(make, leaves):
    """Gradients from torch itself, on a fresh copy of the same model."""
    t = make()
    t["y"].backward()
    return {k: t[k].grad.tolist() for k in leaves}


def test_leaf_grads_equal_torch():
    """After the recorded backward each leaf's .grad equals plain torch's."""
    t = lesson_linear()
    rec = BackwardRecorder()
    rec(t["y"], label="y", names=t)
    want = expected_grads(lesson_linear, ["w", "b"])
    assert {k: t[k].grad.tolist() for k in ["w", "b"]} == want
    steps = rec.passes[0].steps
    finals = {rec.passes[0].graph.node(s.leaf).name: s.grad_after for s in steps if s.leaf}
    assert finals == {"w": tuple(want["w"]), "b": want["b"]}


def test_every_op_runs_once_in_engine_order():
    """Each op node of the graph appears exactly once, first the one next to the output."""
    t = lesson_linear()
    rec = BackwardRecorder()
    rec(t["y"], label="y", names=t)
    p = rec.passes[0]
    ops = [n.id for n in p.graph.nodes if n.op]
    assert sorted(s.node for s in p.steps) == sorted(ops)
    assert p.steps[0].op == "AddBackward0"
    assert [s.index for s in p.steps] == list(range(len(p.steps)))


def test_grads_on_edges_match_autograd_grad():
    """What DotBackward0 sends to w equals torch.autograd.grad of the dot product."""
    t = lesson_linear()
    rec = BackwardRecorder()
    rec(t["y"], label="y", names=t)
    dot = next(s for s in rec.passes[0].steps if s.op == "DotBackward0")
    f = lesson_linear()
    (want,) = torch.autograd.grad(torch.dot(f["w"], f["x"]), f["w"])
    assert dot.grad_inputs[0] == tuple(want.tolist())
    assert dot.grad_outputs == (1.0,)


def test_second_pass_shows_accumulation():
    """Backward twice: the second pass's AccumulateGrad steps start from the first's grad."""
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    y = (a * a).sum()
    rec = BackwardRecorder()
    rec(y, retain_graph=True, label="y", names={"a": a})
    rec(y, label="y", names={"a": a})
    first, second = rec.passes
    acc1 = next(s for s in first.steps if s.leaf)
    acc2 = next(s for s in second.steps if s.leaf)
    assert acc1.grad_before is None
    assert acc2.grad_before == acc1.grad_after
    assert acc2.grad_after == tuple(a.grad.tolist())
    assert "+=" in explain(acc2, second.graph)
    assert [second.number, first.number] == [2, 1]


def test_hooks_are_removed():
    """After recording, a further plain backward runs no recording hooks."""
    a = torch.tensor(2.0, requires_grad=True)
    y = a * a
    rec = BackwardRecorder()
    rec(y, retain_graph=True, label="y")
    y.backward()
    assert len(rec.passes) == 1
    assert a.grad.item() == 8.0


def test_torch_errors_pass_through():
    """Backward on a vector raises torch's own error; the traced graph is kept, no steps,
    broken at the output node with torch's message."""
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    rec = BackwardRecorder()
    with pytest.raises(RuntimeError, match="scalar outputs") as raised:
        rec(a * 2, label="v")
    (kept,) = rec.passes
    assert kept.steps == () and kept.broke.node == kept.graph.output
    assert kept.broke.message == str(raised.value)


def test_keeps_the_first_passes_then_one_at_each_doubling():
    """Of 50 passes, 1 to 10 are recorded, then #20 and #40; the rest are counted, and
    every pass is in the history."""
    w = torch.tensor(1.0, requires_grad=True)
    rec = BackwardRecorder(keep=10)
    for _ in range(50):
        rec(w * 3, label="y")
    assert [p.number for p in rec.passes] == [*range(1, 11), 20, 40]
    assert rec.count == 50 and rec.dropped == 50 - 12
    assert [i.number for i in rec.history] == list(range(1, 51))


def test_by_default_the_first_five_then_the_doublings_of_five():
    """The default schedule: passes 1 to 5, then #10, #20, #40; the latest eight of the
    doublings are kept (of 10,000 passes: #40 to #5,120)."""
    w = torch.tensor(1.0, requires_grad=True)
    rec = BackwardRecorder()
    for _ in range(50):
        rec(w * 3, label="y")
    assert [p.number for p in rec.passes] == [1, 2, 3, 4, 5, 10, 20, 40]
    rec = BackwardRecorder()
    for _ in range(10_000):
        rec(w * 3, label="y")
    assert [p.number for p in rec.passes] == [1, 2, 3, 4, 5, *(5 * 2**k for k in range(3, 11))]


def test_a_long_loop_records_the_same_few_passes_every_time():
    """2,000 passes: 17 records (the first 10, then 20, 40, ... 1,280), the same ones every
    run, and a history entry for every pass."""
    w = torch.tensor(1.0, requires_grad=True)
    numbers = []
    for _ in range(2):
        rec = BackwardRecorder(keep=10)
        for _ in range(2000):
            rec(w * 3, label="y")
        numbers.append([p.number for p in rec.passes])
    assert numbers[0] == numbers[1]
    assert numbers[0] == [*range(1, 11), *(10 * 2**k for k in range(1, 8))]
    assert rec.count == 2000 and len(rec.history) == 2000


def test_a_recorded_pass_keeps_the_values_it_had_then():
    """Records hold snapshots: the optimizer's later in-place steps change no recorded value,
    grad or saved tensor of an earlier pass (expected values from the same loop, plain)."""

    def loop(rec=None, seen=None):
        w = torch.tensor([1.0, 2.0], requires_grad=True)
        x = torch.tensor([3.0, 4.0])
        for _ in range(3):
            loss = (w * w * x).sum()
            if seen is not None:
                grad = None if w.grad is None else tuple(w.grad.tolist())
                seen.append((tuple(w.tolist()), grad))
            if rec is None:
                loss.backward()
            else:
                rec(loss, label="loss", names={"w": w, "x": x, "loss": loss})
            if seen is not None:
                seen[-1] += (tuple(w.grad.tolist()),)
            with torch.no_grad():
                w -= 0.5 * w.grad

    expected: list = []
    loop(seen=expected)
    fr = ForwardRecorder()
    rec = BackwardRecorder(forward=fr)
    with fr:
        loop(rec)
    for done, (w_value, grad_before, grad_after) in zip(rec.passes, expected, strict=True):
        leaf = next(n for n in done.graph.nodes if n.name == "w")
        assert leaf.value == w_value
        accumulate = next(s for s in done.steps if s.op == "AccumulateGrad")
        assert (accumulate.grad_before, accumulate.grad_after) == (grad_before, grad_after)
        first_mul = next(n for n in done.graph.nodes if n.op == "MulBackward0" and n.saved
                         and {s.name for s in n.saved} == {"self", "other"}
                         and all(s.shape == (2,) for s in n.saved))  # fmt: skip
        assert {s.value for s in first_mul.saved} == {w_value}  # w · w saved w twice
    assert len({p.graph.nodes[0].value for p in rec.passes}) == 3  # three different losses


def test_explanation_names_numbers():
    """The dot step explains ∂y/∂w = ∂y/∂(w · x) · x, then with the numbers torch produced."""
    fr = ForwardRecorder()
    with fr:
        t = lesson_linear()
    rec = BackwardRecorder(forward=fr)
    rec(t["y"], label="y", names=t)
    dot = next(s for s in rec.passes[0].steps if s.op == "DotBackward0")
    x, grad = fmt_value(tuple(t["x"].tolist())), fmt_value(tuple(t["w"].grad.tolist()))
    assert f"∂y/∂w = ∂y/∂(w · x) · x = 1.0 · {x} = {grad}" in explain(dot, rec.passes[0].graph)


def _tuples(value):
    return tuple(_tuples(v) for v in value) if isinstance(value, list) else value


@pytest.mark.parametrize(
    "make, shown",
    [
        (lambda: torch.tensor(1.5), True),
        (lambda: torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True), True),
        (lambda: torch.tensor([1 + 2j]), True),
        (lambda: torch.arange(20.0), False),  # over the history's cap
        (lambda: torch.ones([1] * 70), False),  # past 64 dims: tolist would overflow the C stack
        (lambda: torch.sparse_coo_tensor([[0]], [1.0], (2,), check_invariants=True), False),
        (lambda: torch.empty(2, device="meta"), False),
    ],
)
def test_a_history_value_is_the_tensors_own_or_none(make, shown):
    """What a loop's history reads every pass: tolist() as tuples, or None for a tensor
    over the cap, past 64 dims, or with no data to read; snapshot() reads the same."""
    from engine.values import snapshot, value_of

    t = make()
    expected = _tuples(t.detach().tolist()) if shown else None
    assert value_of(t, 16) == expected
    assert snapshot(t, 16) == expected
