"""The app in Chromium against the baseline app (torchviz in st.graphviz_chart).

Per app: edit of the card's model to the new graph on screen, and the Streamlit rerun
(script running to finished), medians of 10. Ours only: frames per second while playing
(requestAnimationFrame gaps) and websocket messages sent while playing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from apps import BASELINE, GRAPH, OURS, chromium, server
from timing import median, row

CARD = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param({b})\ny = w·x + b\n"
EDITS = 10
# Time the script spends running, seen from the page: Streamlit marks the app element.
WATCH_JS = """() => { const app = document.querySelector('[data-testid="stApp"]');
  window.__runs = []; let start = null;
  new MutationObserver(() => { const s = app.dataset.testScriptState;
    if (s === 'running' && start === null) start = performance.now();
    if (s === 'notRunning' && start !== null) { window.__runs.push(performance.now() - start);
                                                 start = null; } })
    .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }"""
FPS_JS = """ms => new Promise(done => { const gaps = []; let last = null; const end =
  performance.now() + ms; function tick(now) { if (last !== null) gaps.push(now - last);
  last = now; if (now < end) requestAnimationFrame(tick); else done(gaps); }
  requestAnimationFrame(tick); })"""


def edits(page, script: Path) -> tuple[list[float], list[float]]:
    """Seconds from Ctrl+Enter to the new value in the graph, and the reruns' seconds."""
    editor = page.locator('[data-testid="stTextArea"] textarea')
    page.evaluate(WATCH_JS)
    times = []
    for k in range(EDITS):
        value = f"{2 + k * 0.5:.1f}"  # b's new value: the output node shows w·x + b
        editor.fill(CARD.format(b=value))
        start = time.perf_counter()
        editor.press("Control+Enter")
        want = f"{1.4 + float(value):.1f}" if script == OURS else "()"
        graph = page.locator(GRAPH[script]).first
        if script == OURS:
            graph.locator("text").filter(has_text=want).first.wait_for(timeout=60_000)
        else:
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
            graph.wait_for(timeout=60_000)
        times.append(time.perf_counter() - start)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        page.wait_for_timeout(300)
    runs = [ms / 1e3 for ms in page.evaluate("window.__runs")]
    return times, runs


def playing(page) -> tuple[list[float], int]:
    """rAF gaps (ms) for 3 s of play, and websocket messages sent from play to the end."""
    sent = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    page.reload()
    page.locator(GRAPH[OURS]).first.wait_for(timeout=60_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
    page.wait_for_timeout(1000)
    sent.clear()
    page.locator("[data-role=play]").click()
    gaps = page.evaluate(FPS_JS, 3000)
    during = len(sent)
    page.locator("[data-role=counter]").filter(has_text="step 4 / 4").wait_for(timeout=30_000)
    page.wait_for_timeout(1500)
    return gaps, during, len(sent)


def main() -> int:
    result = {}
    with chromium() as browser:
        for script in (OURS, BASELINE):
            with server(script) as (url, _):
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                page.goto(url)
                page.locator(GRAPH[script]).first.wait_for(timeout=120_000)
                result[script] = edits(page, script)
                if script == OURS:
                    gaps, during, total = playing(page)
                page.close()
    (ours_edit, ours_run), (base_edit, base_run) = result[OURS], result[BASELINE]
    w = (30, 10, 12, 8)
    print(row(f"app (median of {EDITS})", "ours s", "baseline s", "ratio", widths=w))
    print(row("edit to new graph", median(ours_edit), median(base_edit),
              median(ours_edit) / median(base_edit), widths=w))  # fmt: skip
    print(row("Streamlit rerun", median(ours_run), median(base_run),
              median(ours_run) / median(base_run), widths=w))  # fmt: skip
    print("want rerun ratio <= 1.5")
    gaps.sort()
    fps = 1000 * len(gaps) / sum(gaps)
    print(f"playing: {fps:.1f} frames per second (median gap {median(gaps):.1f} ms, "
          f"95th percentile {gaps[int(len(gaps) * 0.95)]:.1f} ms; want 60)")  # fmt: skip
    print(f"websocket messages sent: {during} in the first 3 s of play, "
          f"{total} from play to the end (want 0, then 1: the final step)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
