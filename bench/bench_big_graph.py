"""A 2,000-node graph on screen: the player's data (collapsed) against dot laying out it all.

Baseline: `dot -Tsvg` of the whole graph, drawn by us with no node limit. Ours: everything
the player needs (the collapsed view, its one layout, its SVG, every frame), cold caches.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import compare, row

import engine
from graphviz_utils import DrawOptions, player_data
from graphviz_utils.draw import ALL, scene
from graphviz_utils.frames import State
from graphviz_utils.layout import graphviz, layout, layout_svg

PROGRAM = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x
for i in range(700):
    y = torch.tanh(y * 1.01)
loss = y.sum()
loss.backward()
"""


def main() -> int:
    pass_ = engine.run(PROGRAM).passes[-1]
    full = scene(pass_, DrawOptions(max_nodes=10**9)).digraph(State(), hidden=ALL).source

    def baseline():
        return graphviz("dot", full, ["-Tsvg"], 600)

    print(row("on screen (2,104 nodes)", "ours s", "dot all s", "ratio", widths=(34, 10, 12, 8)))
    for name, options in (("default (max_nodes 400)", DrawOptions()),
                          ("collapse=True", DrawOptions(collapse=True))):  # fmt: skip

        def ours(options=options):
            layout.cache_clear()  # cold: as the first time a program is shown
            layout_svg.cache_clear()
            return player_data(pass_, options)

        a, b = compare(ours, baseline, rounds=4, number=1)
        nodes = len(scene(pass_, options).view.nodes)
        print(row(f"{name}: {nodes} drawn", a, b, a / b, widths=(34, 10, 12, 8)))
    print("want ratio <= 2.0")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
