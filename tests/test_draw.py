"""to_digraph: the DOT of a graph explains itself (names, maths, values, kinds, legend)."""

from __future__ import annotations

import pytest
import torch

import engine
from engine.values import fmt_value
from graphviz_utils import THEMES, DrawOptions, to_digraph

LESSON = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"


def test_lesson_dot_holds_op_names(lesson):
    """The ops appear with their grad_fn class names and maths symbols."""
    src = to_digraph(lesson).source
    for text in ("DotBackward0", "AddBackward0", "AccumulateGrad", "·", "+"):
        assert text in src


def test_lesson_dot_holds_names_and_values(lesson):
    """Variables appear by name with their values as torch computes them."""
    w = torch.tensor([0.1, 0.2, 0.3])
    y = torch.dot(w, torch.tensor([1.0, 2.0, 3.0])) + 1.0
    src = to_digraph(lesson).source
    for text in ("<B>w</B>", "<B>x</B>", "<B>b</B>", "<B>y</B>", fmt_value(w.tolist())):
        assert text in src
    assert fmt_value(y.item()) in src


def test_final_step_shows_leaf_grads(lesson):
    """At the last step every leaf's .grad text is drawn in the grad colour."""
    src = to_digraph(lesson, step=len(lesson.steps) - 1).source
    grad = THEMES["light"].grad
    assert f'<FONT COLOR="{grad}"><B>w.grad = [1.0, 2.0, 3.0]</B>' in src
    assert f'<FONT COLOR="{grad}"><B>b.grad = 1.0</B>' in src


def test_before_backward_hides_grads_but_keeps_room(lesson):
    """Before backward the .grad text is present (its room) but not in the grad colour."""
    src = to_digraph(lesson, step=None).source
    assert "w.grad = [1.0, 2.0, 3.0]" in src
    assert f'COLOR="{THEMES["light"].grad}"><B>w.grad' not in src


def test_kinds_differ_by_shape_not_only_colour(lesson):
    """Leaves, constants, outputs and ops get different shapes or borders."""
    src = to_digraph(lesson, options=DrawOptions(theme="print")).source
    lines = {line.split()[0]: line for line in src.splitlines() if 'id="node-' in line}
    kinds = {n.id: n.kind for n in lesson.graph.nodes}
    looks = {}
    for nid, line in lines.items():
        look = tuple(a for a in line.split() if a.startswith(("shape=", "style=", "peripheries=")))
        looks.setdefault(kinds[nid], look)
    assert len(set(looks.values())) == len(looks)


def test_stable_dom_ids(lesson):
    """Nodes and edges carry ids derived from the engine ids."""
    src = to_digraph(lesson).source
    assert 'id="node-n0"' in src
    assert 'id="edge-n1-n0-0"' in src


def test_legend_names_the_kinds_present(lesson):
    """The legend explains parameters and constants, and no cut values when there are none."""
    src = to_digraph(lesson).source
    assert "parameter: a leaf that requires grad" in src
    assert "constant: no gradient" in src
    assert "cut off by no_grad" not in src


def test_cut_values_are_dashed_and_named():
    """A detached value is drawn dashed and says what cut it."""
    run = engine.run("import torch\nw = torch.tensor(2.0, requires_grad=True)\n"
                     "d = (w * 3).detach()\ny = w * d\ny.backward()\n")  # fmt: skip
    assert run.ok, run.error
    src = to_digraph(run.passes[-1]).source
    assert "cut off by detach" in src
    assert "dashed" in src


def test_fold_accumulate_removes_its_nodes(lesson):
    """Folding draws no AccumulateGrad node; the leaf keeps its .grad row."""
    src = to_digraph(lesson, options=DrawOptions(fold_accumulate=True)).source
    assert "AccumulateGrad</FONT>" not in src
    assert "w.grad =" in src


def test_hide_constants(lesson):
    """show_constants=False leaves the constant x out."""
    src = to_digraph(lesson, options=DrawOptions(show_constants=False)).source
    assert "<B>x</B>" not in src


def test_direction_left_to_right(lesson):
    """direction LR reaches Graphviz as rankdir."""
    assert "rankdir=LR" in to_digraph(lesson, options=DrawOptions(direction="LR")).source


def test_transparent_background(lesson):
    """transparent=True asks Graphviz for no background fill."""
    assert "bgcolor=transparent" in to_digraph(lesson, options=DrawOptions(transparent=True)).source


def test_saved_tensors_on_request(lesson):
    """show_saved lists what an op saved for backward."""
    plain = to_digraph(lesson).source
    saved = to_digraph(lesson, options=DrawOptions(show_saved=True)).source
    assert "saved tensor: [1.0, 2.0, 3.0]" in saved
    assert "saved tensor" not in plain


def test_user_text_is_escaped():
    """A name with < & > cannot break the HTML-like label."""
    t = torch.tensor(1.0, requires_grad=True)
    graph = engine.trace(t * 2, names={"a<b&c>": t})
    assert "a&lt;b&amp;c&gt;" in to_digraph(graph).source


def test_bad_theme_names_the_choices(lesson):
    """An unknown theme is a ValueError listing the themes."""
    with pytest.raises(ValueError, match="unknown theme 'neon'; choose one of: light, dark"):
        to_digraph(lesson, options=DrawOptions(theme="neon"))


def test_bad_step_names_the_range(lesson):
    """A step past the end is a ValueError with the valid range."""
    with pytest.raises(ValueError, match=r"step 99 is out of range: choose 0\.\.3"):
        to_digraph(lesson, step=99)


def test_not_a_graph_is_a_type_error():
    """Anything but a Graph or Pass is refused with its type."""
    with pytest.raises(TypeError, match="not str"):
        to_digraph("y = x")


def test_fan_out_graph_uses_outside_labels_and_lays_out():
    """A leaf reused by 40 ops gets outside edge labels, so dot lays it out within the limit."""
    from graphviz_utils.draw import scene

    run = engine.run("x = param(0.5)\ny = x\nfor i in range(40):\n    y = sin(y)*0.9 + x\n")
    sc = scene(run.passes[-1], DrawOptions(layout_seconds=5))
    assert sc.label_key == "xlabel"
    assert "xlabel=" in sc.digraph(sc.state(3)).source
    assert sc.layout().edges  # raised LayoutError (timeout) before outside labels


def test_small_graph_keeps_edge_labels():
    """The lesson's model keeps ordinary edge labels (placed by dot beside each edge)."""
    from graphviz_utils.draw import scene

    run = engine.run("x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\ny = w·x + 1.0\n")
    assert scene(run.passes[-1], DrawOptions()).label_key == "label"
