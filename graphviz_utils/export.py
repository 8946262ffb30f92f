"""Exports of one laid-out graph: SVG, PNG, PDF, an animated GIF, a standalone HTML player."""

from __future__ import annotations

import io
import json
import os
import re
import textwrap
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from engine import graph as g
from engine.explain import WORD_JOINER

from .draw import BLANK, Scene, scene
from .frames import Frame, frame_index, state_at
from .layout import layout_svg, render_pinned
from .options import DrawOptions, OptionError, aspect_ratio
from .themes import Theme
from .view import COLLAPSED_NODES

if TYPE_CHECKING:  # Pillow is imported when a GIF is made: the app's first paint needs none
    from PIL import Image, ImageFont

FORMATS = ("svg", "png", "pdf", "gif", "html")
PNG_DPI = 144  # twice the 72 dpi of a plain render: crisp on high-density screens and slides
GIF_DPI = 96
MAX_PIXELS = 60e6  # a PNG or GIF frame larger than this is drawn collapsed
GIF_MAX_FRAMES = 150  # each frame is one Graphviz render; beyond this the HTML player is the way
HOLD_MS, STEP_MS, LAST_MS = 2000, 1200, 3500  # a pause on the first and last frames
HERE = Path(__file__).resolve().parent


def export(
    pass_or_graph: g.Pass | g.Graph,
    path_or_format: str | Path,
    *,
    step: int | None = None,
    dpi: float | None = None,
    options: DrawOptions | None = None,
) -> bytes:
    """Render to a format ("png") or a file path ("out.png", written too); returns the bytes."""
    fmt, path = check_output(path_or_format, dpi)
    dpi = dpi or (GIF_DPI if fmt == "gif" else PNG_DPI)
    sc = scene(pass_or_graph, options)
    if fmt in ("png", "gif") and _pixels(sc, dpi) > MAX_PIXELS:
        # Cairo takes many seconds on a bitmap this big, and nobody can read it: draw about
        # one screen's worth instead (the picture's note says what was collapsed).
        sc = scene(pass_or_graph, replace(sc.options, collapse=True))
    if fmt == "gif":
        data = gif(sc, dpi)
    elif fmt == "html":
        data = html(player_data_of(sc, start=step))
    else:
        data = render_frame(sc, frame_index(step, sc.frames), fmt, dpi)
    if path is not None:
        path.write_bytes(data)
    return data


def _pixels(sc: Scene, dpi: float) -> float:
    """How many pixels the scene's one layout would make as a bitmap at `dpi`."""
    if sc.options.collapse or len(sc.view.nodes) <= COLLAPSED_NODES:
        return 0.0  # nothing more to collapse
    _, _, width, height = (float(v) for v in sc.layout().bb.split(","))
    return width * height * (dpi / 72) ** 2


def check_output(path_or_format: str | Path, dpi: float | None = None) -> tuple[str, Path | None]:
    """The format and the path (None for a bare format) of an export; OptionError when the
    format or the dpi is not one export() makes."""
    if dpi is not None and not 10 <= dpi <= 1200:
        raise OptionError(f"dpi {dpi:g} is out of range: choose 10..1200", dpi)
    text = str(path_or_format)
    if text.lower() in FORMATS:
        return text.lower(), None
    suffix = Path(text).suffix.lower().lstrip(".")
    if suffix not in FORMATS:
        choices = ", ".join(FORMATS)
        raise OptionError(
            f"unknown format {suffix or text!r} for {text}; choose one of: {choices}", text
        )
    return suffix, Path(text)


def frame_source(sc: Scene, index: int, hidden: str = BLANK) -> str:
    """DOT for frame `index` with every position pinned from the scene's one layout."""
    return sc.digraph(state_at(sc.frames, index), hidden=hidden, pinned=sc.layout()).source


def render_frame(sc: Scene, index: int, fmt: str, dpi: float = PNG_DPI) -> bytes:
    """One frame rendered by Graphviz without a new layout (neato -n2); with an aspect
    option (16:9), framed to that shape, and a PNG at least a full-HD slide wide."""
    timeout = sc.options.layout_seconds
    source = frame_source(sc, index)
    ratio = aspect_ratio(sc.options.aspect) if sc.options.aspect else None
    if ratio is not None and fmt in ("svg", "png", "pdf"):
        source, width = _framed(source, sc.layout().bb, ratio)
        dpi = max(dpi, SLIDE_PIXELS * 72 / width)
    return render_pinned(source, fmt, timeout, dpi if fmt == "png" else None)


SLIDE_PIXELS = 1920  # a 16:9 PNG is at least this wide: a full-HD slide
SLIDE_MARGIN = 0.04  # of the slide's width, kept clear on the tighter side


def _framed(source: str, bb: str, ratio: float) -> tuple[str, float]:
    """DOT whose drawing is centred in a `ratio`-shaped frame (Graphviz's viewport): the
    whole graph, with a margin, on the tighter side; room to spare on the other."""
    llx, lly, urx, ury = (float(v) for v in bb.split(","))
    w, h = (urx - llx) * (1 + 2 * SLIDE_MARGIN), (ury - lly) * (1 + 2 * SLIDE_MARGIN)
    width = max(w, h * ratio)
    height = width / ratio
    cx, cy = (llx + urx) / 2, (lly + ury) / 2
    view = f'\tgraph [viewport="{width:.2f},{height:.2f},1,{cx:.2f},{cy:.2f}" pad=0 margin=0]\n'
    body, _, _ = source.rstrip().rpartition("}")  # last, so it wins over the graph's own
    return body + view + "}\n", width


def gif(sc: Scene, dpi: float = GIF_DPI) -> bytes:
    """Every frame of the backward pass, each with a caption naming its step."""
    if len(sc.frames) > GIF_MAX_FRAMES:
        raise ValueError(
            f"the backward pass has {len(sc.frames) - 1} steps; a GIF holds at most "
            f"{GIF_MAX_FRAMES - 1} (export HTML to play a longer pass)"
        )
    from PIL import Image

    sc.layout()  # once, before the renders run side by side
    with ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 2)) as pool:
        pngs = list(pool.map(lambda i: render_frame(sc, i, "png", dpi), range(len(sc.frames))))
    images = [Image.open(io.BytesIO(png)).convert("RGB") for png in pngs]
    captions = [f.caption for f in sc.frames]
    durations = [STEP_MS] * len(images)
    durations[0] = HOLD_MS
    durations[-1] = LAST_MS if len(images) > 1 else HOLD_MS
    captioned = _shared_palette(_with_captions(images, captions, sc, dpi), sc.theme)
    captioned, durations = _with_motion(sc, captioned, images[0].size, durations)
    out = io.BytesIO()
    captioned[0].save(
        out, "GIF", save_all=True, append_images=captioned[1:], duration=durations, loop=0
    )
    return out.getvalue()


MOTION_FRAMES = 6  # in-between frames of a token travelling its edge, before each step
MOTION_MS = 70  # each: the token takes about 0.4 s along its edge, as in the player
MOTION_BUDGET = 300  # in-between frames in a whole GIF: a long pass moves in fewer


def _with_motion(sc: Scene, frames: list, graph_size: tuple[int, int], durations: list[int]):
    """Before each step's frame, in-between frames with a token (the gradient) moving along
    each edge the step sends it on: from the arrow's head back to its tail, the way
    gradients flow. Each is the step's frame (its caption) with the picture before it, the
    token drawn by Pillow in the shared palette: no Graphviz run, no new quantizing."""
    from PIL import ImageDraw

    steps = len(frames) - 1
    count = min(MOTION_FRAMES, MOTION_BUDGET // max(1, steps))
    if count < 2 or steps < 1:
        return frames, durations
    layout = sc.layout()
    to_pixels = _pixel_map(layout.bb, graph_size)
    palette = frames[0].getpalette() or []
    colours = [tuple(palette[i : i + 3]) for i in range(0, len(palette), 3)]
    fill = colours.index(_rgb(sc.theme.travel))
    edge = colours.index(_rgb(sc.theme.background))
    radius = max(6, round(graph_size[0] / 70))
    graph_box = (0, 0, *graph_size)
    out, out_durations = [frames[0]], [durations[0]]
    for k in range(1, len(frames)):
        paths = [_spline(layout.edges[e][0]) for e, _ in sc.frames[k].travel if e in layout.edges]
        paths = [[to_pixels(x, y) for x, y in p] for p in paths if len(p) >= 2]
        before = frames[k - 1].crop(graph_box)
        for i in range(1, count + 1) if paths else ():
            frame = frames[k].copy()
            frame.paste(before, (0, 0))
            draw = ImageDraw.Draw(frame)
            for path in paths:
                x, y = _along(path, 1 - i / (count + 1))  # head → tail: against the arrow
                draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=fill,
                             outline=edge, width=max(1, radius // 3))  # fmt: skip
            out.append(frame)
            out_durations.append(MOTION_MS)
        out.append(frames[k])
        out_durations.append(durations[k])
    return out, out_durations


def _pixel_map(bb: str, size: tuple[int, int]):
    """Graph points (y up, Graphviz's bb) -> pixels of a frame rendered with its padding."""
    llx, lly, urx, ury = (float(v) for v in bb.split(","))
    width, height = size
    pad = 18.0  # the picture's pad: 0.25 inch in points
    sx = width / (urx - llx + 2 * pad)
    sy = height / (ury - lly + 2 * pad)
    return lambda x, y: ((x - llx + pad) * sx, (ury - y + pad) * sy)


def _spline(pos: str) -> list[tuple[float, float]]:
    """Points along a Graphviz edge spline ("e,x,y p0 p1 p2 p3 ..."), from tail to arrow tip."""
    points, tip = [], None
    for part in pos.split():
        fields = part.split(",")
        if fields[0] in ("e", "s") and len(fields) == 3:
            if fields[0] == "e":
                tip = (float(fields[1]), float(fields[2]))
            continue
        points.append((float(fields[0]), float(fields[1])))
    curve = []
    for j in range(0, len(points) - 3, 3):  # cubic Bézier pieces
        p0, p1, p2, p3 = points[j : j + 4]
        for n in range(8):
            u = n / 8
            a, b, c, d = (1 - u) ** 3, 3 * u * (1 - u) ** 2, 3 * u * u * (1 - u), u**3
            curve.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                          a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))  # fmt: skip
    if points:
        curve.append(points[-1])
    if tip is not None:
        curve.append(tip)
    return curve


def _along(path: list[tuple[float, float]], share: float) -> tuple[float, float]:
    """The point `share` (0..1) of the way along a polyline, by length."""
    pairs = list(pairwise(path))
    lengths = [((x2 - x1) ** 2 + (y2 - y1) ** 2) ** 0.5 for (x1, y1), (x2, y2) in pairs]
    goal = share * sum(lengths)
    for ((x1, y1), (x2, y2)), length in zip(pairs, lengths, strict=True):
        if goal <= length and length > 0:
            u = goal / length
            return x1 + u * (x2 - x1), y1 + u * (y2 - y1)
        goal -= length
    return path[-1]


def _shared_palette(frames: list[Image.Image], theme: Theme) -> list[Image.Image]:
    """One palette for every frame: the theme's own colours exactly (thin coloured lines such
    as done edges would otherwise fade to grey), the rest from a small sample of all frames.
    Far faster than Pillow's per-frame median cut on large frames."""
    from PIL import Image

    exact = sorted({_rgb(v) for v in asdict(theme).values() if isinstance(v, str) and
                    v.startswith("#")})  # fmt: skip
    thumbs = [im.resize((max(1, im.width // 4), max(1, im.height // 4))) for im in frames]
    sample = Image.new("RGB", (thumbs[0].width, sum(t.height for t in thumbs)))
    y = 0
    for t in thumbs:
        sample.paste(t, (0, y))
        y += t.height
    sampled = sample.quantize(256 - len(exact)).getpalette()
    assert sampled is not None  # quantize makes a "P" image, which always has a palette
    rest = sampled[: 3 * (256 - len(exact))]
    palette = Image.new("P", (1, 1))
    palette.putpalette([c for rgb in exact for c in rgb] + rest)
    return [im.quantize(palette=palette, dither=Image.Dither.NONE) for im in frames]


def _rgb(colour: str) -> tuple[int, int, int]:
    return tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))  # type: ignore[return-value]


def _with_captions(images: list[Image.Image], captions: list[str], sc: Scene, dpi: float):
    """Add one band below every frame, as tall as the longest caption needs (frames stay equal)."""
    from PIL import Image, ImageDraw

    t = sc.theme
    width = max(im.width for im in images)
    size = max(12, round(t.font_size * 0.95 * dpi / 72))
    font = _font(size)
    chars = max(20, int(width / (size * 0.55)))
    # Each line of a caption wrapped on its own: the chain rule's rows stay rows. Non-breaking
    # spaces hold vectors together; the word joiner has no glyph in every font.
    lines_of = [c.replace(WORD_JOINER, "").splitlines() for c in captions]
    wrapped = [[w for line in lines for w in textwrap.wrap(line, chars) or [""]] or [""]
               for lines in lines_of]  # fmt: skip
    line_h = round(size * 1.35)
    band = line_h * max(len(w) for w in wrapped) + size
    out = []
    for im, lines in zip(images, wrapped, strict=True):
        frame = Image.new("RGB", (width, max(i.height for i in images) + band), t.background)
        frame.paste(im, (0, 0))
        draw = ImageDraw.Draw(frame)
        y = frame.height - band + size // 2
        for line in lines:
            draw.text((size, y), line, fill=t.text, font=font)
            y += line_h
        out.append(frame)
    return out


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    try:
        return ImageFont.truetype("DejaVuSans.ttf", size)  # Pillow searches /usr/share/fonts
    except OSError:
        return ImageFont.load_default(size)


def player_data(
    pass_or_graph: g.Pass | g.Graph,
    options: DrawOptions | None = None,
    *,
    start: int | None = None,
) -> dict:
    """JSON-able data for player.js: the one-layout SVG and what each frame restyles."""
    return player_data_of(scene(pass_or_graph, options), start)


def player_data_of(sc: Scene, start: int | None = None) -> dict:
    first = frame_index(start, sc.frames)  # validates start
    t = sc.theme
    # The player's picture is frame 0 with every text at its widest: exactly the DOT the one
    # layout is made from, so dot draws it in the same run (no second Graphviz process).
    svg = layout_svg(sc.base_source(), sc.options.layout_seconds)
    return {
        "svg": _inline_svg(svg.decode()),
        "frames": [_frame_json(f) for f in sc.frames],
        "forward": [_frame_json(f) for f in sc.forward],  # played first; [] when off
        "captions": [f.caption for f in sc.frames],
        "steps": len(sc.frames) - 1,
        "start": first - 1,
        "theme": t.name,
        "style": {k: v for k, v in asdict(t).items() if k != "name"},
        "edges": sorted(sc.edge_room),
        "grad_nodes": sorted(f"node-{n}" for n in sc.grad_rows),
    }


def _frame_json(f: Frame) -> dict:
    """One frame for player.js, with drawn ids as they are in the SVG."""
    return {
        "step": f.step,
        "node": f"node-{f.node}" if f.node else None,
        "travel": [list(p) for p in f.travel],
        "grads": [[f"node-{n}", text] for n, text in f.grads],
        "reveal": [[f"node-{n}", text] for n, text in f.reveal],
        "flow": [[f"node-{a}", f"node-{b}"] for a, b in f.flow],
        "caption": f.caption,
    }


def _inline_svg(svg: str) -> str:
    """The <svg> element alone: no XML prolog, doctype or comments, ready for innerHTML."""
    svg = svg[svg.index("<svg") :]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


class PlayerMissing(RuntimeError):
    """player.js or player.css is not installed beside this module (a broken install)."""


PLAYER_MODULES = ("timeline", "paint", "controls", "view")  # player/*.js, before player.js


def player_assets() -> tuple[str, str]:
    """The player's JS (its modules, then player.js, as one script) and CSS, shipped beside
    this module as package data."""
    files = [HERE / "player.js", HERE / "player.css"]
    files += [HERE / "player" / f"{name}.js" for name in PLAYER_MODULES]
    try:
        main, css, *modules = (path.read_text() for path in files)
    except OSError as exc:
        missing = Path(exc.filename or "player.js")
        name = missing.relative_to(HERE) if missing.is_relative_to(HERE) else missing.name
        raise PlayerMissing(
            f"the player's {name} is missing from {HERE} (reinstall autograd-explorer)"
        ) from None
    return "\n".join([*modules, main]), css


def html(data: dict) -> bytes:
    """A standalone page that plays the backward pass offline: our own JS and CSS inlined."""
    js, css = player_assets()
    # One player on the page: focused at once, so → works without a click first.
    # No "</script>" inside the JSON.
    payload = json.dumps({**data, "focus": True, "page_keys": True}).replace("</", "<\\/")
    page = PAGE.format(
        title="Autograd Explorer: backward pass",
        css=css,
        js=js,
        data=payload,
        bg=data["style"]["background"],
    )
    return page.encode()


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ margin: 0; padding: 16px; background: {bg}; font-family: system-ui, sans-serif; }}
{css}
</style>
</head>
<body>
<div id="player"></div>
<script id="player-data" type="application/json">{data}</script>
<script>
{js}
</script>
<script>
mountPlayer(document.getElementById("player"),
            JSON.parse(document.getElementById("player-data").textContent), null);
</script>
</body>
</html>
"""
