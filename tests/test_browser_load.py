"""Twenty students on one `streamlit run` server: real browser sessions editing at once.

Twenty Playwright contexts (separate cookies and websockets) from one Chromium each type
a new program, all within a moment, then wait for their own graph. The sync API is one
thread, so the sessions are interleaved: every edit is sent first, then all pages are
polled. Reports edit-to-graph p50/p95, errors and server memory; asserts no errors only
(tests never assert wall-clock times).
"""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from pathlib import Path

import pytest
from conftest import ARTIFACTS, wait_script_done
from playwright.sync_api import Error as PlaywrightError

pytestmark = pytest.mark.browser

SESSIONS = int(os.environ.get("LOAD_SESSIONS", "20"))  # LOAD_SESSIONS=1 gives the baseline
ROUNDS = int(os.environ.get("LOAD_ROUNDS", "1"))
GRAPH_TIMEOUT = 90.0  # one edit waiting longer than this counts as an error
EDITOR = '[data-testid="stTextArea"] textarea'


def program(session: int, round_: int) -> str:
    """A small model whose leaf name is unique to this session and round."""
    name = f"w{session}r{round_}"
    return (
        f"x = [1.0, 2.0, {round_}.0]\n{name} = param([0.1, 0.2, 0.3])\ny = {name}·x + {session}.0\n"
    )


def graph_shows(page, name: str) -> bool:
    """The player's SVG has a text element naming this leaf."""
    return page.locator(".agx-canvas svg text").filter(has_text=re.compile(f"^{name}")).count() > 0


def server_pid(url: str) -> int | None:
    """The pid of the `streamlit run` serving this url's port."""
    port = url.rsplit(":", 1)[1]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                args = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"streamlit" in b" ".join(args) and port.encode() in args:
                return int(entry.name)
    return None


def memory_mb(pid: int | None) -> dict:
    """Resident memory now and at its peak (VmRSS, VmHWM) of a process, in MB."""
    if pid is None:
        return {}
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            fields[key] = int(value.split()[0]) // 1024
    return fields


@pytest.fixture
def served_as_in_production(monkeypatch):
    """No file watcher, as on a class server: files edited in the checkout meanwhile (other
    work in the same tree) would otherwise make Streamlit reload modules mid-session."""
    monkeypatch.setenv("STREAMLIT_SERVER_FILE_WATCHER_TYPE", "none")


def test_twenty_sessions_edit_at_once(served_as_in_production, streamlit_server, browser):
    """20 concurrent sessions editing programs: every edit gets its own graph, no errors."""
    url, log_path = streamlit_server
    pid = server_pid(url)
    idle = memory_mb(pid)
    contexts = [
        browser.new_context(viewport={"width": 1400, "height": 900}) for _ in range(SESSIONS)
    ]
    pages = [c.new_page() for c in contexts]
    started = time.monotonic()
    try:
        for page in pages:
            page.goto(url, wait_until="commit")
        for page in pages:
            wait_script_done(page, timeout_ms=120_000)
            page.locator(EDITOR).wait_for(timeout=60_000)
        loaded = memory_mb(pid)
        times, errors = [], []
        for round_ in range(ROUNDS):
            sent = {}
            for session, page in enumerate(pages):
                editor = page.locator(EDITOR)
                try:
                    editor.fill(program(session, round_), timeout=GRAPH_TIMEOUT * 1000)
                    editor.press("Control+Enter")
                except PlaywrightError as exc:
                    ARTIFACTS.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(ARTIFACTS / f"load-{session}-{round_}.png"))
                    errors.append(f"session {session} round {round_}: {str(exc).splitlines()[0]}")
                    continue
                sent[session] = time.monotonic()
            pending = dict(sent)
            while pending:
                for session in list(pending):
                    page = pages[session]
                    if graph_shows(page, f"w{session}r{round_}"):
                        times.append(time.monotonic() - pending.pop(session))
                    elif page.locator('[data-testid="stException"]').count():
                        text = page.locator('[data-testid="stException"]').first.inner_text()
                        errors.append(f"session {session} round {round_}: {text[:300]!r}")
                        pending.pop(session)
                    elif time.monotonic() - pending[session] > GRAPH_TIMEOUT:
                        errors.append(f"session {session} round {round_}: no graph in time")
                        pending.pop(session)
                time.sleep(0.05)
        for page in pages:
            text = page.locator('[data-testid="stApp"]').inner_text()
            if "Traceback" in text:
                errors.append("a traceback on a page")
    finally:
        for context in contexts:
            context.close()
    times.sort()
    report = {
        "sessions": SESSIONS,
        "edits": SESSIONS * ROUNDS,
        "graphs": len(times),
        "errors": errors,
        "p50_s": round(statistics.median(times), 2) if times else None,
        "p95_s": round(times[int(0.95 * (len(times) - 1))], 2) if times else None,
        "max_s": round(times[-1], 2) if times else None,
        "server_mb_idle": idle,
        "server_mb_loaded": loaded,
        "server_mb_after": memory_mb(pid),
        "cpus": os.cpu_count(),
        "total_s": round(time.monotonic() - started, 1),
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "load-test.json").write_text(json.dumps(report, indent=1))
    print("\nload test:", json.dumps(report))
    if errors:
        (ARTIFACTS / "load-test.streamlit.log").write_text(log_path.read_text())
    assert errors == []
    assert len(times) == SESSIONS * ROUNDS
