"""engine.explain: each backward step's chain rule, with numbers that torch itself computes."""

from dataclasses import replace

import torch

import engine
from engine.values import fmt_value

LESSON = """\
import torch
x = torch.tensor([1.0, 2.0, 3.0])
w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
b = torch.tensor(1.0, requires_grad=True)
y = torch.dot(w, x) + b
y.backward()
"""


def explanation(program: str, op: str, number: int = 1) -> str:
    """The explanation of the first step running `op` in backward pass `number`."""
    pass_ = engine.explained(engine.run(program).passes[number - 1])
    return next(s.explanation for s in pass_.steps if s.op == op)


def test_lesson_dot_step_holds_x_and_w_grad():
    """DotBackward0: ∂y/∂w = ∂y/∂(w · x) · x, then 1.0 · x = w.grad, all as torch computes."""
    x = torch.tensor([1.0, 2.0, 3.0])
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    (torch.dot(w, x) + b).backward()
    text = explanation(LESSON, "DotBackward0")
    expected = (
        f"∂y/∂w = ∂y/∂(w · x) · x = 1.0 · {fmt_value(x.tolist())} = {fmt_value(w.grad.tolist())}"
    )
    assert expected in text.splitlines()


def test_lesson_add_step_sends_one_to_both_sides():
    """AddBackward0 passes ∂y/∂y = 1 to w·x and to b unchanged (b.grad is 1, as torch says)."""
    b = torch.tensor(1.0, requires_grad=True)
    (torch.dot(torch.tensor([0.1, 0.2, 0.3]), torch.tensor([1.0, 2.0, 3.0])) + b).backward()
    lines = explanation(LESSON, "AddBackward0").splitlines()
    assert lines[0] == "AddBackward0 (+) runs: ∂y/∂y = 1.0 arrives."
    assert f"∂y/∂b = ∂y/∂y = {fmt_value(b.grad.item())}" in lines


def test_lesson_accumulate_grad_writes_the_leaf():
    """AccumulateGrad of an empty w.grad writes torch's gradient."""
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    torch.dot(w, torch.tensor([1.0, 2.0, 3.0])).backward()
    pass_ = engine.explained(engine.run(LESSON).passes[0])
    text = [s.explanation for s in pass_.steps if s.op == "AccumulateGrad"]
    assert f"AccumulateGrad (+=): w.grad = {fmt_value(w.grad.tolist())}." in text


def test_compound_operand_keeps_its_parentheses():
    """(a − b)·(a + b): each factor's gradient is ∂L/∂y · (the other factor), bracketed."""
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 5.0], requires_grad=True)
    left = a - b
    left.retain_grad()
    ((left * (a + b)).sum()).backward()
    program = "a = param([1.0, 2.0])\nb = param([3.0, 5.0])\ny = (a - b) * (a + b)\n"
    text = explanation(program, "MulBackward0")
    assert "∂L/∂(a − b) = ∂L/∂y · (a + b) = [1.0, 1.0] · [4.0, 7.0] = " in text
    assert text.splitlines()[1].endswith(fmt_value(left.grad.tolist()))


def test_broadcast_bias_says_summed_not_equal():
    """A bias broadcast over 3 rows: its gradient is the arriving one summed, 3, as torch gives."""
    program = """\
import torch
X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
W = torch.tensor([[0.5], [-0.5]], requires_grad=True)
b = torch.tensor([0.1], requires_grad=True)
y = X @ W + b
y.sum().backward()
"""
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    W = torch.tensor([[0.5], [-0.5]], requires_grad=True)
    b = torch.tensor([0.1], requires_grad=True)
    (X @ W + b).sum().backward()
    text = explanation(program, "AddBackward0")
    line = next(x for x in text.splitlines() if x.startswith("∂L/∂b"))
    assert "summed over the broadcast dimensions" in line
    assert line.endswith(f"summed to shape 1 = {fmt_value(b.grad.tolist())}")
    assert "∂L/∂(X @ W)" in text, "the constant X stays on the left of X @ W"


def test_scalar_weight_times_vector_is_summed_to_a_scalar():
    """w * x with a scalar w: ∂L/∂w sums ∂L/∂out · x down to a scalar (torch's w.grad)."""
    w = torch.tensor(2.0, requires_grad=True)
    (w * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
    text = explanation("x = [1.0, 2.0, 3.0]\nw = param(2.0)\ny = w * x\n", "MulBackward0")
    assert text.splitlines()[1].endswith(f"summed to a scalar = {fmt_value(w.grad.item())}")


def test_softmax_shows_its_result_not_a_false_equality():
    """Softmax's numbers line uses s = softmax(a) from torch, then gives torch's a.grad."""
    a = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)
    s = torch.softmax(a, dim=0)
    s[0].backward()
    program = "import torch\na = torch.tensor([1.0, 2.0, 0.5], requires_grad=True)\n"
    program += "s = torch.softmax(a, dim=0)\ny = s[0]\ny.backward()\n"
    line = explanation(program, "SoftmaxBackward0").splitlines()[1]
    assert line.startswith("∂y/∂a = softmax(a) ⊙ (∂y/∂s − Σ(∂y/∂s ⊙ softmax(a)))")
    assert fmt_value(s.detach().tolist()) in line
    assert line.endswith(f"= {fmt_value(a.grad.tolist())}")


def test_mean_and_mse_divide_by_the_element_count():
    """mean divides by N = 3 and MSE by N = 2, with the target's values in the numbers line."""
    mean = explanation("a = param([1.0, 2.0, 4.0])\ny = mean(a * a)\n", "MeanBackward0")
    assert "∂y/∂(a × a) = ∂y/∂y / 3, copied to every element of (a × a)" in mean
    p = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.nn.functional.mse_loss(p, torch.tensor([0.5, 3.0])).backward()
    program = "import torch\nimport torch.nn.functional as F\n"
    program += "p = torch.tensor([1.0, 2.0], requires_grad=True)\nt = torch.tensor([0.5, 3.0])\n"
    program += "loss = F.mse_loss(p, t)\nloss.backward()\n"
    mse = explanation(program, "MseLossBackward0").splitlines()[1]
    assert mse == (
        "∂loss/∂p = ∂loss/∂loss · 2(p − t) / 2 = 1.0 · 2([1.0, 2.0] − [0.5, 3.0]) / 2 = "
        + fmt_value(p.grad.tolist())
    )


def test_transpose_and_index_read_as_postfix():
    """Wᵀ and a[i] read as maths, not as ᵀ(W) or [i](a)."""
    linear = "import torch\nlin = torch.nn.Linear(2, 1)\nx = torch.tensor([[1.0, 2.0]])\n"
    assert "∂y/∂lin.weightᵀ = xᵀ @ ∂y/∂(x @ lin.weightᵀ + lin.bias)" in explanation(
        linear + "y = lin(x).sum()\ny.backward()\n", "AddmmBackward0"
    )
    index = "a = param([1.0, 2.0, 3.0])\ny = a[1] * 2\n"
    assert "∂y/∂a[i] = ∂y/∂y · 2 = 1.0 · 2 = 2.0" in explanation(index, "MulBackward0")


def test_op_without_formula_says_so_and_shows_the_number():
    """An op with no formula in the table is honest about it and still gives torch's number."""
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    torch.log1p(a).sum().backward()
    program = "import torch\na = torch.tensor([1.0, 2.0], requires_grad=True)\n"
    program += "y = torch.log1p(a).sum()\ny.backward()\n"
    text = explanation(program, "Log1PBackward0")
    assert f"∂y/∂a = {fmt_value(a.grad.tolist())} (no formula shown for Log1PBackward0)" in text


def test_a_run_leaves_the_words_to_whoever_shows_a_pass():
    """engine.run sends numbers, not prose; explained() writes every step's words once."""
    done = engine.run(LESSON)
    raw = done.passes[0]
    assert raw.steps and not any(s.explanation for s in raw.steps)
    words = engine.explained(raw)
    assert all(s.explanation for s in words.steps)
    assert engine.explained(raw) is words and engine.explained(words) is words
    assert [replace(s, explanation="") for s in words.steps] == list(raw.steps)


def test_a_sum_of_thousands_of_terms_shows_a_few_and_counts_the_rest():
    """torch.cat([x] * 50): x.grad's sum writes the first five terms, the count of the
    others, the last, and torch's own total."""
    program = "import torch\nx = torch.ones(2, requires_grad=True)\n"
    program += "y = torch.cat([x] * 50).sum()\ny.backward()\n"
    x = torch.ones(2, requires_grad=True)
    torch.cat([x] * 50).sum().backward()
    words = next(s.explanation for s in engine.explained(engine.run(program).passes[0]).steps
                 if s.leaf)  # fmt: skip
    assert "(input 5 of cat) + … (44 more) + " in words
    assert "(input 6 of cat)" not in words and "(input 50 of cat)" in words
    assert words.endswith(f"= {fmt_value(tuple(x.grad.tolist()))}.")


def test_explaining_a_chain_runs_lines_linear_in_its_steps():
    """The lines of engine/explain.py that explaining a pass runs grow linearly with a
    chain's length (counted by a tracer, not timed): each step's sum used to scan every
    step before it."""
    import sys

    from engine import explain

    def lines(steps: int) -> int:
        program = "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x\n"
        program += f"for i in range({steps}):\n    y = torch.tanh(y * 1.01 + 0.1)\n"
        program += "loss = y.sum()\nloss.backward()\n"
        done = engine.run(program, numeric=False, trusted=True).passes[0]
        count = 0

        def local(frame, event, arg):
            nonlocal count
            count += event == "line"
            return local

        def tracer(frame, event, arg):
            return local if frame.f_code.co_filename == explain.__file__ else None

        sys.settrace(tracer)
        try:
            engine.explained(done)
        finally:
            sys.settrace(None)
        return count

    small, big = lines(40), lines(400)
    assert big <= 11 * small, (small, big)


def test_a_call_is_one_operand_and_its_parentheses_are_never_doubled():
    """tanh(…) × 2, not (tanh(…)) × 2; tanh²(a × 2), not tanh²((a × 2)); after a ∂ the call
    keeps its parentheses: ∂y/∂(tanh(…))."""
    program = (
        "import torch\nx = torch.tensor([0.5, 1.0], requires_grad=True)\n"
        "h = torch.tanh(torch.tanh(x * 1.01 + 0.1) * 2.0)\ny = h.sum()\ny.backward()\n"
    )
    done = engine.run(program, trusted=True, numeric=False)
    assert done.ok, done.error
    texts = [s.explanation for s in engine.explained(done.passes[-1]).steps]
    outer = next(t for t in texts if t.startswith("TanhBackward0") and "∂y/∂h" in t)
    assert "∂y/∂(tanh(… + 0.1) × 2) = ∂y/∂h · (1 − tanh²(tanh(… + 0.1) × 2))" in outer
    assert any("∂y/∂(tanh((x × 1.01) + 0.1))" in t for t in texts)
    for text in texts:
        assert "((tanh" not in text and "(((" not in text, text
