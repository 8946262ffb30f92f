"""Frames of the backward pass: what each step restyles, including accumulation (+=)."""

from __future__ import annotations

import pytest
import torch

import engine
from graphviz_utils.draw import scene
from graphviz_utils.frames import state_at
from graphviz_utils.options import get_theme
from graphviz_utils.themes import THEMES

TWICE = (
    "import torch\nw = torch.tensor(2.0, requires_grad=True)\n"
    "(w * 3).backward()\n(w * 5).backward()\n"
)


def test_second_backward_shows_accumulation():
    """A second backward shows w.grad += 5.0 → 8.0, as torch accumulates it."""
    w = torch.tensor(2.0, requires_grad=True)
    (w * 3).backward()
    (w * 5).backward()
    run = engine.run(TWICE)
    assert run.ok, run.error
    sc = scene(run.passes[-1])
    final = state_at(sc.frames, len(sc.frames) - 1)
    assert list(final.grads.values()) == [f"w.grad += 5.0 → {w.grad.item():.1f}"]


def test_earlier_grad_is_shown_before_the_second_pass():
    """Before the second pass runs, w.grad already shows the first pass's 3.0."""
    run = engine.run(TWICE)
    sc = scene(run.passes[-1])
    assert list(state_at(sc.frames, 0).grads.values()) == ["w.grad = 3.0"]


def test_done_edges_accumulate_over_frames():
    """Edges a gradient travelled stay labelled (done) in later frames."""
    run = engine.run("x = [1.0, 2.0]\nw = param([0.5, 0.5])\ny = w·x\n")
    sc = scene(run.passes[-1])
    travelled = {e for f in sc.frames for e, _ in f.travel}
    assert (
        set(state_at(sc.frames, len(sc.frames) - 1).done)
        | set(state_at(sc.frames, len(sc.frames) - 1).travel)
        == travelled
    )


def test_frame_out_of_range():
    """state_at past the last frame is an IndexError with the range."""
    run = engine.run("w = param(1.0)\ny = w * 2\n")
    with pytest.raises(IndexError, match="out of range"):
        state_at(scene(run.passes[-1]).frames, 99)


def test_slide_theme_is_large_and_thick():
    """The slide theme has >= 20 pt type and lines at least twice as thick as light."""
    assert THEMES["slide"].font_size >= 20
    assert THEMES["slide"].pen >= 2 * THEMES["light"].pen


def test_print_theme_has_no_fill():
    """print is black on white with no fill."""
    t = get_theme("print")
    assert (t.filled, t.text, t.background) == (False, "#000000", "#ffffff")


LESSON = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"


def forward_of(program: str):
    """The scene of a program's last pass with the forward frames on."""
    from graphviz_utils import DrawOptions

    run = engine.run(program)
    assert run.ok, run.error
    return scene(run.passes[-1], DrawOptions(forward=True))


def test_forward_frames_follow_the_arrows_inputs_first():
    """Forward frames light w · x, then + b, then y, with captions giving torch's values."""
    w = torch.tensor([0.1, 0.2, 0.3])
    dot = torch.dot(w, torch.tensor([1.0, 2.0, 3.0]))
    sc = forward_of(LESSON)
    assert [f.caption for f in sc.forward[1:]] == [
        f"Forward 1 of 3: w · x = {dot.item():.4g}",
        f"Forward 2 of 3: (w · x) + b = {dot.item() + 1:.4g}",
        f"Forward 3 of 3: y = (w · x) + b = {dot.item() + 1:.4g}, the output: backward "
        "starts from here",
    ]
    assert sc.forward[0].caption.startswith("Before forward: the inputs w = [0.1, 0.2, 0.3]")


def test_forward_order_puts_every_input_before_its_consumer():
    """Each drawn edge's source comes before its destination in the forward order."""
    from graphviz_utils.frames import forward_order

    sc = forward_of("a = param(2.0)\nb = param(3.0)\nc = a * b\nd = sin(c) + c * a\n")
    position = {n.id: i for i, n in enumerate(forward_order(sc.view))}
    assert len(position) == len(sc.view.nodes)
    assert all(position[e.src] < position[e.dst] for e in sc.view.edges)


def test_forward_order_is_iterative_on_a_long_chain():
    """A 3,000-op chain orders without recursion (no RecursionError), output last."""
    from engine import graph as g
    from graphviz_utils import DrawOptions
    from graphviz_utils.frames import forward_order
    from graphviz_utils.view import build_view

    n = 3000
    nodes = [g.Node("n0", g.OUTPUT, "y")] + [g.Node(f"n{i}", g.OP, "sin") for i in range(1, n)]
    edges = [g.Edge("n1", "n0", g.OUT_EDGE)] + [
        g.Edge(f"n{i + 1}", f"n{i}", g.GRAD, 0) for i in range(1, n - 1)
    ]
    view = build_view(g.Graph(tuple(nodes), tuple(edges), "n0"), DrawOptions(max_nodes=n))
    order = [node.id for node in forward_order(view)]
    assert order == [f"n{i}" for i in range(n - 1, -1, -1)]


def test_forward_reveals_the_value_row_as_drawn():
    """Each revealed text is exactly a row of its node's drawn label (so it keeps its room)."""
    sc = forward_of("x = param(2.0)\nh = x * 3\nz = sin(h) + h\n")
    source = sc.base_source()
    reveals = [r for f in sc.forward for r in f.reveal]
    assert [text for _, text in reveals] == ["h = 6.0", "= -0.2794", "= 5.721", "5.721"]
    for node, text in reveals:
        line = next(line for line in source.splitlines() if line.strip().startswith(node + " "))
        assert f"<TD>{text}</TD>" in line, (node, text)


def test_forward_is_off_by_default_and_empty_without_ops():
    """No forward frames unless asked; a lone parameter has no forward pass to show."""
    run = engine.run(LESSON)
    assert scene(run.passes[-1]).forward == []
    assert forward_of("w = param(1.0)\ny = w * 2\n").forward != []
    lone = engine.run("x = param(2.0)")
    from graphviz_utils import DrawOptions

    assert scene(lone.graph, DrawOptions(forward=True)).forward == []
