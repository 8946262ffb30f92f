"""The app in Chromium against the baseline app (torchviz in st.graphviz_chart).

Per app: edit of the card's model to the new graph on screen, and the Streamlit rerun
(the server's work for the edit: from each rerun request's arrival to its script_finished,
summed over every run the edit caused, fragment runs included; see timed_server.py),
medians. The floor app (floor_app.py) is the baseline with our engine in place of plain
torch: its rerun is what running the program through the interpreter costs before the
page shows anything more. Ours only: frames per second while playing
(requestAnimationFrame gaps), websocket messages sent meanwhile.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from apps import BASELINE, FLOOR, GRAPH, OURS, chromium, server
from timing import median, row

CARD = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param({b})\ny = w·x + b\n"
EDITS = 10
FPS_JS = """ms => new Promise(done => { const gaps = []; let last = null; const end =
  performance.now() + ms; function tick(now) { if (last !== null) gaps.push(now - last);
  last = now; if (now < end) requestAnimationFrame(tick); else done(gaps); }
  requestAnimationFrame(tick); })"""


def sized_card(n: int) -> str:
    """The card's model with n inputs: both apps' pictures change with n (ours shows the
    shape and values, torchviz's make_dot the parameter's size, "(n)")."""
    xs = [float(i + 1) for i in range(n)]
    ws = [round(0.1 * (i + 1), 1) for i in range(n)]
    return f"x = {xs}\nw = param({ws})\nb = param(1.0)\ny = w·x + b\n"


def edits(page, script: Path, run_log: Path) -> tuple[list[float], list[float]]:
    """Seconds from Ctrl+Enter to the new graph on screen, and the server's seconds per edit."""
    editor = page.locator('[data-testid="stTextArea"] textarea')
    times, server = [], []
    for k in range(EDITS):
        n = 4 + k  # the page starts with 3 inputs: every edit gives a new picture
        editor.fill(sized_card(n))
        before = len(run_log.read_text().split())
        start = time.perf_counter()
        editor.press("Control+Enter")
        if script == OURS:  # w's label in the player's SVG says its new size
            graph = page.locator(GRAPH[script]).first
            graph.locator("text").filter(has_text=f"parameter · {n}").first.wait_for(timeout=60_000)
        else:
            # st.graphviz_chart (Streamlit 1.67) redraws only every other new spec, and in a
            # keyed container it sometimes drew nothing: the baseline is timed to its run's
            # end on the server (in its favour: its layout in the browser is not counted).
            # Any other app (--compare) is timed the same way.
            while len(run_log.read_text().split()) <= before:
                time.sleep(0.002)
        times.append(time.perf_counter() - start)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        page.wait_for_timeout(500)
        runs = [float(s) for s in run_log.read_text().split()[before:]]
        assert runs, "the edit caused no script run"
        server.append(sum(runs))
    return times, server


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


def standalone_fps(browser) -> list[float]:
    """rAF gaps (ms) for 3 s of play in the lesson's standalone HTML player (no app around)."""
    import engine
    from graphviz_utils import export

    path = Path(tempfile.mkdtemp()) / "lesson.html"
    export(engine.run(CARD.format(b="1.0")).passes[-1], path)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto(path.as_uri())
    page.keyboard.press("Space")
    gaps = page.evaluate(FPS_JS, 3000)
    page.close()
    return gaps


def fps_line(name: str, gaps: list[float]) -> str:
    gaps = sorted(gaps)
    fps = 1000 * len(gaps) / sum(gaps)
    p95 = gaps[int(len(gaps) * 0.95)]
    return (f"{name}: {fps:.1f} frames per second (median gap {median(gaps):.1f} ms, "
            f"95th percentile {p95:.1f} ms, longest {gaps[-1]:.0f} ms)")  # fmt: skip


@contextlib.contextmanager
def timed_app(browser, script: Path):
    """The app served by timed_server.py, open and idle in a page; yields (page, run_log)."""
    run_log = Path(tempfile.mkdtemp()) / "runs.txt"
    run_log.write_text("")
    with server(script, run_log) as (url, _):
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(url)
        page.locator(GRAPH.get(script, '[data-testid="stTextArea"] textarea')).first.wait_for(
            timeout=120_000
        )
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        page.wait_for_timeout(1000)
        try:
            yield page, run_log
        finally:
            page.close()


def compare(scripts: list[Path], turns: int = 2) -> int:
    """Median Streamlit rerun per edit of each app, taking turns: e.g. this checkout's app.py
    against another commit's, from `git worktree add /tmp/old <commit>`."""
    reruns: dict[Path, list[float]] = {s: [] for s in scripts}
    with chromium() as browser:
        for _ in range(turns):
            for script in scripts:
                with timed_app(browser, script) as (page, run_log):
                    reruns[script] += edits(page, script, run_log)[1]
    for script, times in reruns.items():
        print(row(str(script), 1000 * median(times), widths=(60, 10)), "ms rerun, median of",
              len(times))  # fmt: skip
    return 0


def main() -> int:
    if sys.argv[1:2] == ["--compare"]:
        return compare([Path(a).resolve() for a in sys.argv[2:]])
    result = {}
    with chromium() as browser:
        for script in (OURS, FLOOR, BASELINE):
            with timed_app(browser, script) as (page, run_log):
                result[script] = edits(page, script, run_log)
                if script == OURS:
                    gaps, during, total = playing(page)
        alone = standalone_fps(browser)
    (ours_edit, ours_run), (base_edit, base_run) = result[OURS], result[BASELINE]
    floor_run = result[FLOOR][1]
    w = (32, 10, 13, 8)
    ms = lambda times: 1000 * median(times)  # noqa: E731
    print(row(f"app (median of {EDITS})", "ours ms", "baseline ms", "ratio", widths=w))
    print(row("edit to new graph", ms(ours_edit), ms(base_edit),
              median(ours_edit) / median(base_edit), widths=w))  # fmt: skip
    print(row("Streamlit rerun (server)", ms(ours_run), ms(base_run),
              median(ours_run) / median(base_run), widths=w))  # fmt: skip
    print(row("floor: engine + graphviz_chart", ms(floor_run), ms(base_run),
              median(floor_run) / median(base_run), widths=w))  # fmt: skip
    print("want rerun ratio <= 1.5 (the floor is what interpreting the program alone costs)")
    print(fps_line("playing in the app", gaps) + "; want 60")
    print(fps_line("playing, standalone HTML", alone))
    print(f"websocket messages sent: {during} in the first 3 s of play, "
          f"{total} from play to the end (want 0, then 1: the final step)")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
