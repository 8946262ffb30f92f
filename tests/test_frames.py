"""Frames of the backward pass: what each step restyles, including accumulation (+=)."""

from __future__ import annotations

import pytest
import torch

import engine
from graphviz_utils.draw import scene
from graphviz_utils.frames import state_at
from graphviz_utils.themes import THEMES, get_theme

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
