"""Exports of the lesson's linear model: the GIF against rendering its frames as PNGs.

Baseline: every frame rendered to PNG (what a GIF must do at least). Prints file sizes too.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import compare, row

import engine
from graphviz_utils import export
from graphviz_utils.draw import scene
from graphviz_utils.export import GIF_DPI, render_frame

LESSON = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"


def main() -> int:
    pass_ = engine.run(LESSON).passes[-1]
    sc = scene(pass_)

    def pngs():
        return [render_frame(sc, i, "png", GIF_DPI) for i in range(len(sc.frames))]

    gif_s, png_s = compare(lambda: export(pass_, "gif"), pngs, rounds=6, number=1)
    print(row("lesson (4 steps)", "GIF s", "PNGs s", "ratio"))
    print(row(f"{len(sc.frames)} frames", gif_s, png_s, gif_s / png_s))
    print("want ratio <= 2.0")
    print("sizes:", ", ".join(f"{fmt} {len(export(pass_, fmt)) / 1024:.1f} KiB"
                              for fmt in ("svg", "png", "pdf", "gif", "html")))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
