"""Start and stop Streamlit servers and a Chromium for the app benchmarks."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, streamlit_process  # noqa: E402

OURS, BASELINE = ROOT / "app.py", ROOT / "bench" / "baseline_app.py"
FLOOR = ROOT / "bench" / "floor_app.py"  # the baseline with our engine: see its docstring
# The graph each app draws: our player's SVG, or Streamlit's graphviz chart.
CHART = '[data-testid="stGraphVizChart"] svg'
GRAPH = {OURS: ".agx-canvas svg", BASELINE: CHART, FLOOR: CHART}


@contextlib.contextmanager
def server(script: Path, run_log: Path | None = None):
    """`streamlit run script` on a free port; yields (url, time.perf_counter() at start).

    With run_log, the server is timed_server.py, which appends each script run's seconds.
    """
    env = dict(os.environ)
    launch = ("-m", "streamlit")
    if run_log is not None:
        env["BENCH_RUN_LOG"] = str(run_log)
        launch = (str(ROOT / "bench" / "timed_server.py"),)
    started = time.perf_counter()
    with streamlit_process(script, launch=launch, env=env) as (url, _):
        yield url, started


@contextlib.contextmanager
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
