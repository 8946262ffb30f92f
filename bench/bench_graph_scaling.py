"""Graph work against graph size (issue 17): the engine on chains of
`y = torch.tanh(y * 1.01 + 0.1)`, against plain CPython and against dot's layout.

Engine work is engine.run (trace, record) plus engine.explained of the pass shown, without
layout: trusted (in-process) and in a worker (with the wire). Each comparison takes turns
with its baseline and keeps the best batch (bench/timing.compare), all in this process.
Goals: 500 -> 5,000 nodes at most 11x the time; at 1,500 nodes at most 20x plain CPython
with backward(); at 2,000 nodes at most 0.3x the dot layout of the same graph.
"""

from __future__ import annotations

import contextlib
import gc
import io
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import torch
from timing import compare, row

import engine
from graphviz_utils import DrawOptions
from graphviz_utils.draw import ALL, scene
from graphviz_utils.frames import State
from graphviz_utils.layout import graphviz

LIMITS = engine.Limits(graph_nodes=10**6, seconds=120)
WIDTHS = (30, 12, 12, 10)


def chain(steps: int) -> str:
    return (
        "import torch\nx = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x\n"
        f"for i in range({steps}):\n    y = torch.tanh(y * 1.01 + 0.1)\n"
        "loss = y.sum()\nloss.backward()\n"
    )


def steps_for(nodes: int) -> int:
    return max(1, (nodes - 4) // 5)  # a step adds mul, add, tanh and their two constants


def engine_work(source: str, trusted: bool = True):
    done = engine.run(source, LIMITS, numeric=False, trusted=trusted)
    assert done.ok, done.error
    return engine.explained(done.passes[-1])


def plain(source: str) -> None:
    code = compile(source, "<chain>", "exec")
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, {"__name__": "__main__"})


def rounds_for(nodes: int) -> int:
    """Batches for a size: as many seconds of samples for a small graph as for a big one
    (five batches of 500 nodes, a quarter second, left the best of them to chance)."""
    return max(5, 25_000 // nodes)


def main() -> int:
    torch.set_num_threads(1)  # as in every worker child
    # As the app's server process (app_ui/process.py) and the worker's zygote do: what the
    # imports made leaves the collector, whose full walks of it would land on some size.
    gc.collect()
    gc.freeze()
    print("1. Linear scaling: engine work (trusted) per node count, against plain CPython")
    print(row("nodes", "engine s", "plain s", "ratio", widths=WIDTHS))
    for nodes in (500, 1500, 2000, 5000):
        source = chain(steps_for(nodes))
        count = len(engine.run(source, LIMITS, numeric=False, trusted=True).graph.nodes)
        ours, theirs = compare(lambda s=source: engine_work(s), lambda s=source: plain(s),
                               rounds=rounds_for(nodes), number=1)  # fmt: skip
        print(row(f"{count:,}", ours, theirs, ours / theirs, widths=WIDTHS), flush=True)
    # The growth itself from the two sizes taking turns (ten small runs a batch against one
    # big one), so a slower spell of a shared machine falls on both; the sizes' own rows
    # above were measured a minute apart.
    small, big = chain(steps_for(500)), chain(steps_for(5000))
    rounds = 12
    ours_big, ours_small = compare(lambda: engine_work(big),
                                   lambda: [engine_work(small) for _ in range(10)],
                                   rounds=rounds, number=1)  # fmt: skip
    plain_big, plain_small = compare(lambda: plain(big), lambda: [plain(small) for _ in range(10)],
                                     rounds=rounds, number=1)  # fmt: skip
    growth, plain_growth = 10 * ours_big / ours_small, 10 * plain_big / plain_small
    print(f"   500 -> 5,000 nodes, the sizes taking turns: {growth:.1f}x the time for 10x the "
          f"nodes (goal <= 11): {'met' if growth <= 11 else 'NOT met'}; plain CPython's own: "
          f"{plain_growth:.1f}x")  # fmt: skip

    print("\n2. In a worker (the run, its answer on the wire, explained in the server)")
    print(row("nodes", "worker s", "plain s", "ratio", widths=WIDTHS))
    for nodes in (1500, 5000):
        source = chain(steps_for(nodes))
        ours, theirs = compare(lambda s=source: engine_work(s, trusted=False),
                               lambda s=source: plain(s), rounds=4, number=1)  # fmt: skip
        print(row(f"{nodes:,}", ours, theirs, ours / theirs, widths=WIDTHS), flush=True)
    print("   goal at 1,500 nodes: <= 20x plain CPython")

    print("\n3. Against the layout: engine work and dot -Tsvg of the whole graph, 2,000 nodes")
    source = chain(steps_for(2000))
    done = engine.run(source, LIMITS, numeric=False, trusted=True)
    full = scene(done.passes[-1], DrawOptions(max_nodes=10**9)).digraph(State(), hidden=ALL)

    def layout() -> None:
        graphviz("dot", full.source, ["-Tsvg"], 600)

    ours, theirs = compare(lambda: engine_work(source), layout, rounds=4, number=1)
    print(row("engine / dot", ours, theirs, ours / theirs, widths=WIDTHS))
    print(f"   goal <= 0.3: {'met' if ours / theirs <= 0.3 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
