"""Shared fixtures: a real `streamlit run` server and a Chromium page driven by Playwright."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(os.environ.get("ARTIFACTS_DIR", ROOT / "artifacts"))
CARD = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"


@pytest.fixture(scope="module")
def lesson():
    """The backward pass of the card's linear model y = w·x + b, run by the engine."""
    import engine

    run = engine.run(CARD)
    assert run.ok, run.error
    return run.passes[-1]


def require_modules(*names: str, what: str) -> list:
    """Import each module, or fail loudly: a missing one is never a silent skip."""
    try:
        return [importlib.import_module(name) for name in names]
    except ImportError as exc:
        pytest.fail(f"missing dependency: {exc.name} ({what}; `make test` installs it)")


def require(condition: bool, what: str) -> None:
    """A missing dependency fails loudly; it is never a silent skip."""
    if not condition:
        pytest.fail(f"missing dependency: {what} (run `make test`, which installs it)")


def backward_nodes(output) -> int:
    """How many nodes torch's engine runs in output.backward(): every grad_fn reachable."""
    seen, stack = set(), [output.grad_fn]
    while stack:
        fn = stack.pop()
        if fn is not None and fn not in seen:
            seen.add(fn)
            stack.extend(nxt for nxt, _ in fn.next_functions)
    return len(seen)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited early with code {proc.returncode}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r,
        ):
            if r.status == 200 and r.read().strip() == b"ok":
                return
        time.sleep(0.2)
    raise RuntimeError(f"{url}/_stcore/health did not answer ok within {timeout:.0f}s")


@contextlib.contextmanager
def streamlit_process(script: Path, *, launch=("-m", "streamlit"), env=None, output=None):
    """`streamlit run script` headless on a free port; yields (url, process); always stopped.

    `launch` is what follows the interpreter (a wrapper script for the benchmarks), and
    `output` a file for the server's log (else it is discarded).
    """
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, *launch, "run", str(script),
         "--server.headless", "true", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=output or subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(url, proc, timeout=120)
        yield url, proc
    finally:
        stop(proc)


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """End a process this test started: SIGTERM, then SIGKILL if it lingers."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture
def streamlit_server(tmp_path):
    """A headless `streamlit run app.py` on a free port; stopped when the test ends."""
    log_path = tmp_path / "streamlit.log"
    with log_path.open("w") as log, streamlit_process(ROOT / "app.py", output=log) as (url, _):
        yield url, log_path


@pytest.fixture(scope="session")
def browser():
    require(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM} (Debian package chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require(False, "the Python package playwright")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


def wait_script_done(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit says the script has finished running."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms
    )


@pytest.fixture
def app_page(request, streamlit_server, browser):
    """The app loaded in Chromium, after its first script run; artifacts saved on failure."""
    url, log_path = streamlit_server
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.app_url = url
    page.goto(url)
    wait_script_done(page)
    yield page
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    if failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shot = ARTIFACTS / f"{request.node.name}.png"
        log_copy = ARTIFACTS / f"{request.node.name}.streamlit.log"
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot), full_page=True)
        shutil.copy(log_path, log_copy)
        print(f"\nbrowser test failed: screenshot {shot}\nserver log {log_copy}")
    context.close()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Let fixtures see whether the test body failed (for screenshots on failure)."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)
