"""The teaching content: pitfalls drawn where backward broke, one chain-rule notation, sums
where gradients meet, and the pass a multi-pass lesson makes its point on.

Every expected number comes from running torch here, in the test.
"""

import re
from itertools import pairwise

import torch

import engine
from app_ui.card import pass_label, point_pass, step_markdown
from app_ui.presets import PRESETS
from app_ui.scenarios import SCENARIOS
from engine.explain import output_symbol
from engine.values import fmt_value
from graphviz_utils import export

IN_PLACE = SCENARIOS["In-place breaks backward"].program
NON_SCALAR = SCENARIOS["Non-scalar output"].program
SHARED = "a = param(2.0)\ny = a*a + a\n"


def torch_error(program: str) -> RuntimeError:
    """The error torch itself raises for a pitfall program, run as plain Python."""
    try:
        exec(program, {})
    except RuntimeError as exc:
        return exc
    raise AssertionError("the pitfall ran without an error")


def last_pass(program: str, **kwargs) -> engine.Pass:
    return engine.explained(engine.run(program, **kwargs).passes[-1])


def test_in_place_pitfall_keeps_its_graph_and_where_it_broke():
    """The in-place pitfall's pass is kept: σ is where it broke, its saved result b at the
    version torch's own message names."""
    error = torch_error(IN_PLACE)
    version, expected = map(
        int, re.search(r"version (\d+); expected version (\d+)", str(error)).groups()
    )
    run = engine.run(IN_PLACE)
    assert not run.ok and "modified by an inplace operation" in run.error.message
    (broken,) = run.passes
    node = broken.graph.node(broken.broke.node)
    assert node.op == "SigmoidBackward0"
    assert (broken.broke.saved, broken.broke.tensor) == ("result", "b")
    assert (broken.broke.version, broken.broke.expected) == (version, expected)
    # The steps that ran before it: from the output down to σ, as torch ran them.
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a.sigmoid()
    b.mul_(2)
    out = b.sum()
    assert [s.op for s in broken.steps] == [
        type(out.grad_fn).__name__,
        type(out.grad_fn.next_functions[0][0]).__name__,
    ]


def test_non_scalar_pitfall_breaks_at_the_output_with_torchs_words():
    """backward() on a vector: the recorded graph, no steps, broken at the output node."""
    error = torch_error(NON_SCALAR)
    (broken,) = engine.run(NON_SCALAR).passes
    assert broken.steps == ()
    assert broken.broke.node == broken.graph.output
    assert broken.broke.message == str(error).splitlines()[0]
    assert "grad can be implicitly created only for scalar outputs" in step_markdown(broken, -1)


def test_a_break_survives_the_worker_answer():
    """The worker's JSON answer carries the break, field for field, as a trusted run makes it."""
    for program in (IN_PLACE, NON_SCALAR):
        here = engine.run(program, trusted=True).passes[-1].broke
        assert engine.run(program).passes[-1].broke == here


def test_exported_svg_marks_the_break_on_its_node():
    """The SVG of a broken pass marks the node where it broke with ✗ and the version counter."""
    broken = last_pass(IN_PLACE)
    svg = export(broken, "svg").decode()
    node = re.search(rf'<g id="node&#45;{broken.broke.node}".*?</g>', svg, re.S).group(0)
    assert "✗ saved result b changed in place" in node
    assert f"version {broken.broke.version}, expected {broken.broke.expected}" in node
    scalar = last_pass(NON_SCALAR)
    svg = export(scalar, "svg").decode()
    node = re.search(rf'<g id="node&#45;{scalar.broke.node}".*?</g>', svg, re.S).group(0)
    assert "only for scalar outputs" in node


def shared_grads():
    """a·a + a in torch: what the Add and the Mul nodes sent, and a.grad."""
    a = torch.tensor(2.0, requires_grad=True)
    y = a * a + a
    sent = {}
    add = y.grad_fn
    mul = add.next_functions[0][0]
    add.register_hook(lambda gi, go: sent.__setitem__("add", [g.item() for g in gi]))
    mul.register_hook(lambda gi, go: sent.__setitem__("mul", [g.item() for g in gi]))
    y.backward()
    return sent, a.grad.item()


def test_shared_variable_says_the_sum_where_gradients_meet():
    """AccumulateGrad for a·a + a writes the sum of what each edge brought, torch's numbers."""
    sent, total = shared_grads()
    left, right = (fmt_value(v) for v in sent["mul"])
    plus = fmt_value(sent["add"][1])
    done = last_pass(SHARED)
    acc = next(s for s in done.steps if s.leaf is not None)
    expected = (
        f"a.grad = {left} (left of ×) + {right} (right of ×) + {plus} (from +) = {fmt_value(total)}"
    )
    assert expected in acc.explanation
    assert expected in step_markdown(done, acc.index)


def test_mul_step_tells_its_two_lines_for_a_apart():
    """The Mul step of a·a has one line per side, never two identical ∂y/∂a lines."""
    done = last_pass(SHARED)
    mul = next(s for s in done.steps if s.op == "MulBackward0")
    lines = mul.explanation.splitlines()[1:]
    assert len(lines) == 2 and len(set(lines)) == 2
    assert lines[0].startswith("∂y/∂a (left of ×) = ") and lines[1].startswith(
        "∂y/∂a (right of ×) = "
    )


def test_one_name_for_the_output_on_graph_card_and_caption():
    """y.sum() is L everywhere: the graph draws "L = y.sum()", card and caption say ∂L/…,
    and neither says ∂L/∂out, ∂y.sum() or (× output)."""
    done = last_pass(PRESETS["x² + 3x"])
    assert output_symbol(done.graph) == "L"
    assert done.graph.node(done.graph.output).label == f"L = {done.output}"
    svg = export(done, "svg", step=0).decode()
    assert f"L = {done.output}" in svg
    for index in range(-1, len(done.steps)):
        card = step_markdown(done, index)
        assert "∂L/∂out" not in card and "∂y.sum()" not in card and "output)" not in card
    for step in done.steps:
        assert "out " not in step.explanation and "∂L/∂out" not in step.explanation
        assert step.explanation.startswith(f"{step.op}") or step.leaf is not None


def test_no_explanation_names_a_symbol_the_graph_lacks():
    """No preset's explanation uses "∂L/∂out", "(× output)" or the output's raw expression."""
    for name, program in PRESETS.items():
        inputs = {"a": 2.0} if "a*a" in program else None
        for done in engine.run(program, inputs=inputs).passes:
            for step in engine.explained(done).steps:
                text = step.explanation
                assert "∂L/∂out" not in text and " output)" not in text, (name, text)
                assert f"∂{done.output}/" not in text or done.output.isidentifier(), (name, text)


def test_vectors_never_break_inside_the_card():
    """Inside a vector the card has only non-breaking spaces, so it never wraps mid-vector."""
    done = last_pass(PRESETS["x² + 3x"])
    for index in range(-1, len(done.steps)):
        for vector in re.findall(r"\[[^\[\]]*\]", step_markdown(done, index)):
            assert " " not in vector, vector


def forgot_zero_grads() -> list[float]:
    """w.grad after each backward of the Forgot zero_() lesson, run in torch."""
    w = torch.tensor(1.0, requires_grad=True)
    grads = []
    for _ in range(3):
        ((w * 3) ** 2 / 2).backward()
        grads.append(w.grad.item())
    return grads


def test_accumulation_lesson_opens_on_the_pass_that_adds_up():
    """Forgot zero_() makes its point on pass #3 (18 → 27 in torch); its label says so."""
    grads = forgot_zero_grads()
    passes = engine.run(SCENARIOS["Forgot zero_()"].program).passes
    assert point_pass(passes) == 3
    labels = [pass_label(p) for p in passes]
    assert labels[2] == f"#3 · w.grad {fmt_value(grads[1])} → {fmt_value(grads[2])}"
    assert labels[0] == f"#1 · w.grad — → {fmt_value(grads[0])}"


def test_a_failed_pass_is_the_point_of_its_pitfall():
    """Backward twice opens on its second pass, the one that failed."""
    passes = engine.run(SCENARIOS["Backward twice"].program).passes
    assert [p.broke is None for p in passes] == [True, False]
    assert point_pass(passes) == passes[1].number


def test_plots_take_the_grad_of_the_pass_on_screen():
    """The gradient plot of pass #1 shows w.grad after pass #1 (9 in torch), not the last's."""
    from app_ui.plots import grads_of_pass

    grads = forgot_zero_grads()
    passes = engine.run(SCENARIOS["Forgot zero_()"].program).passes
    assert [grads_of_pass(p) for p in passes] == [{"w": g} for g in grads]


def test_slide_export_is_sixteen_by_nine_with_the_whole_graph():
    """With aspect 16:9, PNG, SVG and PDF are slide-shaped, the PNG at least full-HD wide."""
    import io

    from PIL import Image

    from graphviz_utils import DrawOptions

    done = last_pass(PRESETS["x² + 3x"])
    slide = DrawOptions(aspect="16:9")
    png = Image.open(io.BytesIO(export(done, "png", step=1, options=slide)))
    assert png.width >= 1920 and abs(png.width / png.height - 16 / 9) < 0.01
    portrait = Image.open(io.BytesIO(export(done, "png", step=1)))
    assert portrait.width / portrait.height < 1  # the ordinary export is unchanged
    svg = export(done, "svg", step=1, options=slide).decode()
    w, h = (
        float(v) for v in re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', svg).groups()
    )
    assert abs(w / h - 16 / 9) < 0.01
    assert all(f"node&#45;{n.id}" in svg for n in done.graph.nodes)
    pdf = export(done, "pdf", step=1, options=slide)
    box = [float(v) for v in re.search(rb"MediaBox \[([\d. ]+)\]", pdf).group(1).split()]
    assert abs((box[2] - box[0]) / (box[3] - box[1]) - 16 / 9) < 0.01


def test_gif_moves_a_token_along_each_edge_between_steps():
    """Between two steps the GIF has frames where a token travels the edge: each differs from
    the step before it only in a small spot of the theme's travel colour, and the spot moves."""
    import io

    from PIL import Image, ImageChops, ImageSequence

    from graphviz_utils.export import MOTION_FRAMES
    from graphviz_utils.options import get_theme

    done = last_pass(SHARED)
    gif = Image.open(io.BytesIO(export(done, "gif")))
    frames = [f.convert("RGB") for f in ImageSequence.Iterator(gif)]
    assert len(frames) == 1 + len(done.steps) * (MOTION_FRAMES + 1)
    travel = tuple(int(get_theme("light").travel[i : i + 2], 16) for i in (1, 3, 5))
    moving = frames[1 : 1 + MOTION_FRAMES]  # the picture before step 1, a token on its way
    spots = []
    for earlier, frame in pairwise(moving):
        box = ImageChops.difference(frame, earlier).getbbox()
        assert box is not None, "the token moves from frame to frame"
        width, height = box[2] - box[0], box[3] - box[1]
        assert width * height < 0.1 * frame.width * frame.height  # tokens, not a new picture
        assert travel in {c for _, c in frame.crop(box).getcolors(maxcolors=100000)}
        spots.append(box)
    assert len(set(spots)) == len(spots)


def test_a_break_at_no_node_is_refused_on_the_wire():
    """The worker's answer is untrusted: a break naming a node its graph lacks is a WireError."""
    import pytest

    from engine.wire import WireError, frame, run_document, run_from_document, unframe

    doc = unframe(frame(run_document(engine.run(NON_SCALAR, trusted=True))), 10**8)
    assert (
        run_from_document(doc, 10_000).passes[-1].broke.node == doc["passes"][-1]["broke"]["node"]
    )
    doc["passes"][-1]["broke"]["node"] = "n999"
    with pytest.raises(WireError, match="a break at no node of its graph"):
        run_from_document(doc, 10_000)
    doc["passes"][-1]["broke"] = {"node": "n0", "message": 7}
    with pytest.raises(WireError, match="message"):
        run_from_document(doc, 10_000)
