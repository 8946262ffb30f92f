"""make_dot against torchviz's make_dot, same graphs, same process: prints ours/torchviz ratios.

Two timings per graph: building the graphviz.Digraph (what a notebook user pays before
display), and building plus laying out to SVG with the same `dot` binary for both.
"""

from __future__ import annotations

import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import compare, once, row

from graphviz_utils import make_dot
from graphviz_utils.layout import graphviz

SVG_TIMEOUT = 600  # seconds; dot on the 300-layer MLP takes a few


def chain(n: int) -> tuple[torch.Tensor, dict]:
    """A chain of 2n ops (a multiply and an add per link) from one leaf."""
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.5
    return y.sum(), {"x": x}


def mlp(layers: int, width: int = 32) -> tuple[torch.Tensor, dict]:
    """A Linear+ReLU stack with a squared-mean loss: about 7 nodes per layer."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        *[m for _ in range(layers) for m in (torch.nn.Linear(width, width), torch.nn.ReLU())]
    )
    out = model(torch.randn(4, width)).pow(2).mean()
    return out, dict(model.named_parameters())


def svg(dot) -> bytes:
    """Lay out and render with the one `dot` binary on PATH (the same for both sides)."""
    return graphviz("dot", dot.source, ["-Tsvg"], SVG_TIMEOUT)


def main() -> int:
    from torchviz import make_dot as torchviz_make_dot

    cases = {
        "100-op chain": (chain(50), 20, 3),
        "50-layer MLP": (mlp(50), 15, 2),
        "300-layer MLP": (mlp(300), 9, 3),
    }
    print(row("graph (nodes)", "ours ms", "torchviz ms", "ratio", "| +SVG ours", "torchviz",
              "ratio", widths=(26, 10, 13, 8, 13, 10, 8)))  # fmt: skip
    worst_dot = worst_svg = 0.0
    for name, ((out, params), rounds, svg_rounds) in cases.items():

        def ours(out=out, params=params):
            return make_dot(out, params=params)

        def theirs(out=out, params=params):
            return torchviz_make_dot(out, params=params)

        nodes = ours().source.count("label=")
        a, b = compare(ours, theirs, rounds=rounds, number=max(1, 400 // nodes))
        sa, sb = compare(
            lambda: svg(ours()), lambda: svg(theirs()), rounds=svg_rounds * 2, number=1
        )
        worst_dot, worst_svg = max(worst_dot, a / b), max(worst_svg, sa / sb)
        print(row(f"{name} ({nodes:,})", a * 1e3, b * 1e3, a / b, sa * 1e3, sb * 1e3, sa / sb,
                  widths=(26, 10, 13, 8, 13, 10, 8)))  # fmt: skip
    for n in (5_000, 10_000):
        out, params = chain(n // 2)  # two ops per link
        built = once(lambda out=out, params=params: make_dot(out, params=params))
        rendered = once(lambda out=out, params=params: svg(make_dot(out, params=params)))
        try:
            torchviz_make_dot(out, params=params)
            theirs = "ok"
        except RecursionError:
            theirs = "RecursionError"
        print(f"{n:,}-op chain: ours builds in {built * 1e3:.0f} ms, to SVG in {rendered:.1f} s; "
              f"torchviz: {theirs}")  # fmt: skip
    print(f"worst ratio ours/torchviz: DOT {worst_dot:.2f} (want <= 1.0), "
          f"DOT+SVG {worst_svg:.2f} (want <= 1.05)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
