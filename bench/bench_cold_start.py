"""Cold start: from `streamlit run` to the first graph on screen, ours against the baseline app."""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apps import BASELINE, GRAPH, OURS, chromium, server
from timing import median, row

ROUNDS = 3


def cold_start(browser, script: Path) -> float:
    """Seconds from starting the server to its graph's SVG in Chromium."""
    with server(script) as (url, started):
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        page.locator(GRAPH[script]).first.wait_for(timeout=120_000)
        seconds = time.perf_counter() - started
        page.close()
    return seconds


def main() -> int:
    times: dict[Path, list[float]] = {OURS: [], BASELINE: []}
    with chromium() as browser:
        for _ in range(ROUNDS):  # taking turns, as load from other processes comes and goes
            for script in (OURS, BASELINE):
                times[script].append(cold_start(browser, script))
    ours, base = median(times[OURS]), median(times[BASELINE])
    print(row("cold start (median of 3)", "ours s", "baseline s", "ratio", widths=(28, 10, 12, 8)))
    print(row("server start to graph", ours, base, ours / base, widths=(28, 10, 12, 8)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
