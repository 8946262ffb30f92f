"""Exports: every format is a valid file, frames never move nodes, bad requests are clear."""

from __future__ import annotations

import io
import re
import sys
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

import engine
from graphviz_utils import DrawOptions, export
from graphviz_utils.draw import scene
from graphviz_utils.export import (
    HOLD_MS,
    LAST_MS,
    MOTION_FRAMES,
    MOTION_MS,
    STEP_MS,
    frame_source,
    render_frame,
)
from graphviz_utils.options import get_theme

LESSON = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"
SVG = "{http://www.w3.org/2000/svg}"


def _shapes(svg: bytes) -> dict[str, list]:
    """Every node's outline geometry, by node id."""
    out = {}
    for g in ET.fromstring(svg).iter(SVG + "g"):
        if g.get("class") == "node":
            out[g.get("id")] = [
                (c.tag, c.get("points") or c.get("d") or (c.get("cx"), c.get("cy"), c.get("rx")))
                for c in g
                if c.tag in (SVG + "polygon", SVG + "ellipse", SVG + "path")
            ]
    return out


def test_svg_parses_and_holds_the_node_ids(lesson):
    """The SVG is well-formed XML with a group per node, found by its stable id."""
    root = ET.fromstring(export(lesson, "svg"))
    ids = {g.get("id") for g in root.iter(SVG + "g")}
    assert {f"node-{n.id}" for n in lesson.graph.nodes} <= ids


def test_png_header_and_dpi(lesson):
    """PNG is a PNG; a higher dpi gives a proportionally larger image."""
    low = Image.open(io.BytesIO(export(lesson, "png", dpi=72)))
    high = Image.open(io.BytesIO(export(lesson, "png", dpi=144)))
    assert low.format == "PNG"
    assert high.width == pytest.approx(low.width * 2, abs=4)


def test_png_is_crisp_by_default(lesson):
    """Without --dpi the PNG is rendered at twice the 72 dpi of a plain render."""
    default = Image.open(io.BytesIO(export(lesson, "png")))
    plain = Image.open(io.BytesIO(export(lesson, "png", dpi=72)))
    assert default.width == pytest.approx(plain.width * 2, abs=4)


def test_pdf_header(lesson):
    """PDF starts with the PDF magic."""
    assert export(lesson, "pdf").startswith(b"%PDF-")


def test_gif_has_a_frame_per_step_plus_the_opening_pause(lesson):
    """GIF frames = 1 (before backward, held) + per step, a token's in-between frames and the
    step itself; first and last are held longer."""
    gif = Image.open(io.BytesIO(export(lesson, "gif")))
    assert gif.format == "GIF"
    assert gif.n_frames == len(lesson.steps) * (MOTION_FRAMES + 1) + 1
    durations = []
    for k in range(gif.n_frames):
        gif.seek(k)
        durations.append(gif.info["duration"])
    step = [MOTION_MS] * MOTION_FRAMES
    expected = [HOLD_MS, *[*step, STEP_MS] * (len(lesson.steps) - 1), *step, LAST_MS]
    assert durations == expected


def test_node_positions_equal_in_every_frame(lesson):
    """Each frame is restyled, never laid out again: every node outline is identical."""
    sc = scene(lesson, DrawOptions(theme="slide"))
    frames = [_shapes(render_frame(sc, i, "svg")) for i in range(len(sc.frames))]
    assert len(frames) == len(lesson.steps) + 1
    assert all(f == frames[0] for f in frames[1:])


def test_frames_differ_in_style(lesson):
    """... while the active node's style does change from frame to frame."""
    sc = scene(lesson)
    first, second = (frame_source(sc, i) for i in (1, 2))
    assert first != second


def test_export_writes_the_file(lesson, tmp_path):
    """A path argument writes the file and returns the same bytes."""
    out = tmp_path / "graph.svg"
    data = export(lesson, out, step=1)
    assert out.read_bytes() == data


def test_grad_text_appears_only_once_reached(lesson):
    """The w.grad text is absent before its AccumulateGrad step and present after."""
    w_step = next(
        s.index for s in lesson.steps if s.leaf and lesson.graph.node(s.leaf).label == "w"
    )
    before = export(lesson, "svg", step=w_step - 1).decode()
    after = export(lesson, "svg", step=w_step).decode()
    assert "w.grad = [1.0, 2.0, 3.0]" not in before
    assert "w.grad = [1.0, 2.0, 3.0]" in after


def test_gradient_value_on_the_travelling_edge(lesson):
    """At the Dot step the gradient [1.0, 2.0, 3.0] is drawn on the edge it travels."""
    dot_step = next(s.index for s in lesson.steps if s.op == "DotBackward0")
    root = ET.fromstring(export(lesson, "svg", step=dot_step))
    texts = {
        g.get("id"): "".join(t.text or "" for t in g.iter(SVG + "text"))
        for g in root.iter(SVG + "g")
        if g.get("class") == "edge"
    }
    assert any("[1.0, 2.0, 3.0]" in text for text in texts.values())


def test_every_theme_renders(lesson):
    """All themes render to PNG without a Graphviz warning turning into an error."""
    for theme in ("light", "dark", "slide", "print", "colorblind"):
        assert export(lesson, "png", dpi=36, options=DrawOptions(theme=theme)).startswith(
            b"\x89PNG"
        )


def test_bad_format_is_clear(lesson):
    """An unknown format names the choices."""
    with pytest.raises(ValueError, match=r"unknown format 'bmp'.*svg, png, pdf, gif, html"):
        export(lesson, "out.bmp")


def test_bad_dpi_is_clear(lesson):
    """A silly dpi is refused with its range."""
    with pytest.raises(ValueError, match=r"dpi 0 is out of range"):
        export(lesson, "png", dpi=0)


def test_graph_over_the_node_limit_is_summarised(lesson):
    """Past max_nodes the picture collapses its middle and says how many nodes it left out."""
    svg = export(lesson.graph, "svg", options=DrawOptions(max_nodes=3)).decode()
    hidden = len(lesson.graph.nodes) - 2  # two drawn, and the node standing for the rest
    assert f"Collapsed: the middle of the graph ({hidden} nodes" in svg
    assert re.search(r"… \d+ more ops …", svg)


def test_gif_keeps_the_theme_colours_exactly(lesson):
    """The last GIF frame draws done edges and .grad text in the theme's exact colours."""
    image = Image.open(io.BytesIO(export(lesson, "gif")))
    image.seek(image.n_frames - 1)
    used = {rgb for _, rgb in image.convert("RGB").getcolors(1 << 16)}
    theme = get_theme("light")
    for colour in (theme.done, theme.grad, theme.active):
        assert tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5)) in used, colour


def test_huge_bitmap_is_drawn_collapsed(monkeypatch):
    """A PNG past MAX_PIXELS is drawn collapsed (smaller), not left to Cairo for minutes."""
    ex = sys.modules["graphviz_utils.export"]  # the package's `export` is the function
    run = engine.run("x = param([1.0, 2.0])\ny = x\nfor i in range(40):\n    y = tanh(y * 1.01)\n")
    assert run.ok, run.error
    monkeypatch.setattr(ex, "MAX_PIXELS", float("inf"))
    whole = Image.open(io.BytesIO(export(run.passes[-1], "png", dpi=20)))
    monkeypatch.setattr(ex, "MAX_PIXELS", 0.0)
    collapsed = Image.open(io.BytesIO(export(run.passes[-1], "png", dpi=20)))
    assert collapsed.height < whole.height * 0.8, (collapsed.size, whole.size)
