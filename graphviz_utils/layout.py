"""Run Graphviz as a subprocess with a timeout: lay out once, then render pinned frames."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from functools import lru_cache

from . import dot_worker


class LayoutError(RuntimeError):
    """Graphviz is missing, failed, or took longer than the layout limit."""


@dataclass(frozen=True)
class Layout:
    """Positions from one dot run, keyed by the DOT id attributes of nodes and edges."""

    bb: str
    nodes: dict[str, tuple[str, float, float]]  # id -> (pos, width, height)
    edges: dict[str, tuple[str, str | None]]  # id -> (spline pos, label pos or None)


def graphviz(program: str, source: str, args: list[str], timeout: float) -> bytes:
    """Run a Graphviz program on DOT text; never hangs (the graphviz package has no timeout)."""
    exe = shutil.which(program)
    if exe is None:
        raise LayoutError(f"Graphviz's `{program}` is not installed (Debian package graphviz)")
    try:
        done = subprocess.run(
            [exe, *args], input=source.encode(), capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise timeout_error(timeout) from None
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.decode(errors="replace").splitlines() if ln.strip()]
        raise LayoutError(f"Graphviz `{program}` failed: {errors[-1] if errors else 'no message'}")
    return done.stdout


def timeout_error(timeout: float) -> LayoutError:
    """The error for a layout past its limit, whichever way dot was run."""
    return LayoutError(
        f"Graphviz layout took longer than {timeout:g} s (the layout_seconds limit); "
        "try a smaller graph or fold AccumulateGrad and hide constants"
    )


@lru_cache(maxsize=64)
def layout(source: str, timeout: float = 10.0) -> Layout:
    """Lay out DOT text with dot, once per distinct text (cached)."""
    data = json.loads(graphviz("dot", source, ["-Tjson"], timeout))
    nodes, edges = {}, {}
    for obj in data.get("objects", []):
        if "pos" in obj and "id" in obj:
            nodes[obj["id"]] = (obj["pos"], float(obj["width"]), float(obj["height"]))
    for edge in data.get("edges", []):
        if "pos" in edge and "id" in edge:
            edges[edge["id"]] = (edge["pos"], edge.get("lp") or edge.get("xlp"))
    return Layout(data["bb"], nodes, edges)


@lru_cache(maxsize=64)
def layout_svg(source: str, timeout: float = 10.0) -> bytes:
    """dot's SVG of DOT text: the same one layout, drawn in a single run (cached).

    A pooled dot process saves ~14 ms of start-up a call. When the pool cannot answer
    (see dot_worker.DotPool.svg) dot runs once: the same SVG, or dot's own error message.
    """
    try:
        svg = dot_worker.svg(source, timeout)
    except dot_worker.DotTimeout:
        raise timeout_error(timeout) from None
    return svg if svg is not None else graphviz("dot", source, ["-Tsvg"], timeout)


def render_pinned(source: str, fmt: str, timeout: float, dpi: float | None = None) -> bytes:
    """Render DOT whose nodes and edges already carry positions, without laying it out again."""
    args = ["-n2", f"-T{fmt}"]
    if dpi:
        args.append(f"-Gdpi={dpi:g}")
    return graphviz("neato", source, args, timeout)
