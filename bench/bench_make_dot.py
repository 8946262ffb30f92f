"""make_dot against torchviz's make_dot, same graphs, same process: prints ours/torchviz ratios.

Times building the graphviz.Digraph only (no layout), as a notebook user pays before display.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graphviz_utils import make_dot


def chain(n: int) -> tuple[torch.Tensor, dict]:
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    y = x
    for _ in range(n):
        y = y * 1.0001 + 0.5
    return y.sum(), {"x": x}


def mlp(layers: int, width: int = 32) -> tuple[torch.Tensor, dict]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        *[m for _ in range(layers) for m in (torch.nn.Linear(width, width), torch.nn.ReLU())]
    )
    out = model(torch.randn(4, width)).pow(2).mean()
    return out, dict(model.named_parameters())


def best_of(fn, repeat: int = 15, number: int = 20) -> float:
    """Seconds per call: the best of `repeat` batches of `number` calls (less noise than one)."""
    fn()  # warm caches and imports outside the timing
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - start) / number)
    return min(times)


def main() -> int:
    from torchviz import make_dot as torchviz_make_dot

    cases = {"100-op chain": chain(50), "50-layer MLP": mlp(50)}  # chain(50): 100 ops
    print(f"{'graph':<16}{'ours ms':>10}{'torchviz ms':>14}{'ratio':>8}")
    worst = 0.0
    for name, (out, params) in cases.items():
        ours = best_of(lambda out=out, params=params: make_dot(out, params=params))
        theirs = best_of(lambda out=out, params=params: torchviz_make_dot(out, params=params))
        worst = max(worst, ours / theirs)
        print(f"{name:<16}{ours * 1e3:>10.1f}{theirs * 1e3:>14.1f}{ours / theirs:>8.2f}")
    for n in (5_000, 10_000):
        out, params = chain(n // 2)  # two ops per link
        ours = best_of(
            lambda out=out, params=params: make_dot(out, params=params), repeat=1, number=1
        )
        try:
            torchviz_make_dot(out, params=params)
            theirs = "ok"
        except RecursionError:
            theirs = "RecursionError"
        print(f"{n:,}-op chain: ours {ours * 1e3:.0f} ms; torchviz: {theirs}")
    print(f"worst ratio ours/torchviz: {worst:.2f} (want <= 1.0)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
