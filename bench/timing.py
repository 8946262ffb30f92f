"""Shared timing for the benchmarks: interleaved, best-of batches (the machine is shared)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def compare(
    ours: Callable[[], object], theirs: Callable[[], object], rounds: int = 15, number: int = 10
) -> tuple[float, float]:
    """Seconds per call of each: the best of `rounds` batches, ours and theirs taking turns.

    Taking turns (and alternating who goes first) means a burst of load from other
    processes hits both sides alike; the best batch is the least disturbed one.
    """
    ours(), theirs()  # warm caches and imports outside the timing
    best = [float("inf"), float("inf")]
    for r in range(rounds):
        order = ((0, ours), (1, theirs)) if r % 2 == 0 else ((1, theirs), (0, ours))
        for i, fn in order:
            start = time.perf_counter()
            for _ in range(number):
                fn()
            best[i] = min(best[i], (time.perf_counter() - start) / number)
    return best[0], best[1]


def once(fn: Callable[[], object]) -> float:
    """Seconds one call takes."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def median(values: list[float]) -> float:
    return statistics.median(values)


def row(*cells: object, widths: tuple[int, ...] = (22, 12, 12, 8)) -> str:
    """One line of a results table: first cell left-aligned, the others right-aligned."""
    out = []
    for k, cell in enumerate(cells):
        width = widths[k] if k < len(widths) else 12
        text = f"{cell:.2f}" if isinstance(cell, float) else str(cell)
        out.append(text.ljust(width) if k == 0 else text.rjust(width))
    return "".join(out)
