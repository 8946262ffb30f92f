"""app_ui.card: the step card's words and numbers, checked against torch itself."""

import torch

import engine
from app_ui.card import leaf_grads, step_markdown, unbroken
from app_ui.presets import DEFAULT_PROGRAM, PRESETS
from engine.values import fmt_value


def linear_grads() -> dict[str, torch.Tensor]:
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    (torch.dot(w, torch.tensor([1.0, 2.0, 3.0])) + b).backward()
    return {"w": w.grad, "b": b.grad}


def test_before_backward_card_invites_play_and_lists_empty_leaves():
    """Step -1 says backward has not started, and every leaf's .grad is still empty."""
    pass_ = engine.explained(engine.run(DEFAULT_PROGRAM).passes[0])
    card = step_markdown(pass_, -1)
    assert "Before backward" in card and f"{len(pass_.steps)} steps" in card
    assert [grad for _, grad, _ in leaf_grads(pass_, -1)] == [None, None]


def test_dot_step_sends_x_to_w_as_torch_computes():
    """The DotBackward0 step names its op and sends ∂y/∂w = x, the number torch gives."""
    pass_ = engine.explained(engine.run(DEFAULT_PROGRAM).passes[0])
    dot = next(s for s in pass_.steps if s.op == "DotBackward0")
    card = step_markdown(pass_, dot.index)
    assert f"Step {dot.index + 1} of {len(pass_.steps)}" in card
    assert "`DotBackward0`" in card
    assert (
        f"to **AccumulateGrad (w)**: `{unbroken(fmt_value(linear_grads()['w'].tolist()))}`" in card
    )


def test_last_step_shows_every_leaf_grad_from_torch():
    """After the last step the leaves table holds torch's .grad for w and b."""
    pass_ = engine.explained(engine.run(DEFAULT_PROGRAM).passes[0])
    grads = {name: grad for name, grad, _ in leaf_grads(pass_, len(pass_.steps) - 1)}
    expected = linear_grads()
    assert {k: fmt_value(v) for k, v in grads.items()} == {
        k: fmt_value(t.tolist()) for k, t in expected.items()
    }


def test_second_backward_accumulates_with_plus_equals():
    """In the accumulation example, the second pass writes w.grad as a sum (3 + 3 = 6)."""
    second = engine.explained(engine.run(PRESETS["Accumulation & zero_()"]).passes[1])
    write = next(s for s in second.steps if s.leaf is not None)
    w = torch.tensor(2.0, requires_grad=True)
    (w * 3).backward()
    first_grad = w.grad.item()
    (w * 3).backward()
    card = step_markdown(second, write.index)
    assert "`+=`" in card
    before, added = fmt_value(first_grad), fmt_value(w.grad.item() - first_grad)
    total = fmt_value(w.grad.item())
    assert f"**Writes** `w.grad = {before} (already there) + {added} (from ×) = {total}`" in card
    assert leaf_grads(second, write.index)[0][2] == "+="


def test_chain_rule_rows_put_formula_then_numbers_then_result():
    """The Dot step's chain rule reads as three aligned rows: formula, numbers, torch's w.grad."""
    from app_ui.card import chain_rule_text

    pass_ = engine.explained(engine.run(DEFAULT_PROGRAM).passes[0])
    dot = next(s for s in pass_.steps if s.op == "DotBackward0")
    rows = chain_rule_text(dot).splitlines()
    grad = unbroken(fmt_value(linear_grads()["w"].tolist()))
    assert rows == [
        unbroken("∂y/∂w = ∂y/∂(w · x) · x"),
        f"      = 1.0 · {unbroken('[1.0, 2.0, 3.0]')}",
        f"      = {grad}",
    ]
    assert "**Chain rule**\n```text\n" + "\n".join(rows) in step_markdown(pass_, dot.index)


def test_summed_output_is_called_L_in_the_card():
    """For y.sum() the card names the output L, says what L is, and never says ∂L/∂out."""
    pass_ = engine.explained(engine.run(PRESETS["x² + 3x"]).passes[0])
    card = step_markdown(pass_, 0)
    assert "`L = y.sum()`" in card and unbroken("∂L/∂L") in card and "∂L/∂out" not in card
