"""layout_svg through the pool of long-lived dot processes against one `dot -Tsvg` per call.

Baseline: what layout_svg did before the pool, a fresh dot for every graph. Ours: the
uncached layout_svg, served by a pooled dot. Medians of interleaved single calls.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import median, row

import engine
from graphviz_utils import dot_worker
from graphviz_utils.draw import scene
from graphviz_utils.layout import graphviz, layout_svg

LESSON = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"
MLP = (
    "x = [1.0, 2.0]\nh = x\n"
    + "".join(f"W{i} = param([[0.5, -0.2], [0.1, 0.3]])\nh = relu(W{i}·h)\n" for i in range(50))
    + "y = h.sum()\n"
)
PROGRAMS = {"lesson y = w·x + b": LESSON, "MLP chain, 50 layers": MLP}
SAMPLES = 41


def source_of(program: str) -> tuple[str, int]:
    """The DOT layout_svg gets for a program (the player's base picture), and its nodes."""
    run = engine.run(program, numeric=False)
    assert run.ok, run.error
    sc = scene(run.passes[-1])
    return sc.base_source(), len(sc.view.nodes)


def medians(source: str) -> tuple[float, float]:
    """Median seconds of the pooled and the one-shot call, taking turns."""

    def pooled():
        return layout_svg.__wrapped__(source, 60.0)  # layout_svg without its cache

    def one_shot():
        return graphviz("dot", source, ["-Tsvg"], 60.0)

    assert pooled() == one_shot(), "the pool must print what one dot run prints"
    times: tuple[list[float], list[float]] = ([], [])
    for k in range(SAMPLES):
        order = ((0, pooled), (1, one_shot)) if k % 2 == 0 else ((1, one_shot), (0, pooled))
        for i, fn in order:
            start = time.perf_counter()
            fn()
            times[i].append(time.perf_counter() - start)
    return median(times[0]), median(times[1])


def main() -> int:
    widths = (28, 10, 13, 8, 10)
    print(row("graph (nodes drawn)", "pool ms", "one-shot ms", "ratio", "speed-up", widths=widths))
    for name, program in PROGRAMS.items():
        source, nodes = source_of(program)
        ours, theirs = medians(source)
        label = f"{name} ({nodes})"
        print(row(label, ours * 1e3, theirs * 1e3, ours / theirs, theirs / ours, widths=widths))
    stats = dot_worker.POOL.stats()
    print(f"pool: {stats.started} dot process(es) started for {stats.graphs} graphs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
