"""A class through nginx: `make serve-class` with two replicas, twenty Chromium sessions, and
one replica SIGKILLed mid-lesson.

Sixteen sessions type their own program, four only open a share link and watch (their last
run is a full run: the case Streamlit alone leaves dead after a reconnect). The page is
opened as http://class.test:PORT (Chromium maps the name to 127.0.0.1), so the websocket's
Origin is a real host name on a port other than 80, which nginx must pass on in Host.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    ROOT,
    free_port,
    require,
    wait_script_done,
)

from app_ui.share import decode_program, encode_program
from class_server.metrics import process_tree
from class_server.run_dir import RunDir

pytestmark = pytest.mark.browser

SESSIONS = 20
WATCHERS = range(16, 20)  # these open a share link and only watch
HOST = "class.test"
EDITOR = '[data-testid="stTextArea"] textarea'
# The goal for a page of the lost replica to show its graph again. Reported, not
# asserted (tests assert no wall-clock times; the pages share this machine's two cores).
BACK_WITHIN = 10.0
GRAPH_TIMEOUT = 90.0  # one edit waiting longer than this is an error (as in the load test)
START_TIMEOUT = 240.0
CRASH = "import ctypes\nctypes.string_at(0)\n"  # a segfault in the worker child (issue 9)


def program(name: str) -> str:
    """A small model whose leaf is called `name`: its graph says whose it is."""
    return f"x = [1.0, 2.0]\n{name} = param([0.1, 0.2])\ny = {name}·x + 1.0\n"


def graph_shows(page, name: str) -> bool:
    return page.locator(".agx-canvas svg text").filter(has_text=re.compile(f"^{name}$")).count()


def footer_replica(page) -> tuple[str, int] | None:
    """The replica (name, pid) the page's session runs on, as its footer says."""
    caption = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="replica ")
    if not caption.count():
        return None
    found = re.search(r"replica (r\d+), pid (\d+)", caption.first.inner_text())
    return (found.group(1), int(found.group(2))) if found else None


def url_program(page) -> str | None:
    """The program the address bar holds (what the page would come back with)."""
    token = parse_qs(urlparse(page.url).query).get("p", [""])[0]
    return decode_program(token) if token else None


class Student:
    """One browser context: its page, the replicas that answered it, and its websockets."""

    def __init__(self, browser, index: int):
        self.index = index
        self.watcher = index in WATCHERS
        self.context = browser.new_context(viewport={"width": 1400, "height": 900})
        self.page = self.context.new_page()
        self.answered: list[str | None] = []  # X-Autograd-Replica of every HTTP response
        self.sockets: list = []
        self.closed: list = []
        self.page.on("response", self._response)
        self.page.on("websocket", self._socket)
        self.name = f"v{index}" if self.watcher else f"w{index}"
        self.replica: str | None = None

    def _response(self, response) -> None:
        if urlparse(response.url).hostname == HOST:  # not data: URLs (the favicon)
            self.answered.append(response.headers.get("x-autograd-replica"))

    def _socket(self, ws) -> None:
        if "_stcore/stream" in ws.url:
            self.sockets.append(ws)
            ws.on("close", lambda _ws: self.closed.append(time.monotonic()))

    def type_program(self, name: str, run: bool = True) -> None:
        editor = self.page.locator(EDITOR)
        editor.fill(program(name), timeout=GRAPH_TIMEOUT * 1000)
        if run:
            editor.press("Control+Enter")
            self.name = name

    def cookie(self) -> str | None:
        found = [c["value"] for c in self.context.cookies() if c["name"] == "ae_replica"]
        return found[0] if found else None


RETRY_AFTER = 30.0  # a page still without its graph by then gets Ctrl+Enter again, once


def wait_graphs(students, names: dict[int, tuple[str, ...]], timeout: float, not_on=None,
                retried: list | None = None):  # fmt: skip
    """Poll every page until it draws its own graph (one of its names), from a session not
    on the process `not_on` if given (a page that lost its server still shows its old
    picture); the seconds each took from now.

    With `retried`, a page that shows neither its graph nor a running script after
    RETRY_AFTER seconds gets Ctrl+Enter once more, as a student would press it again; its
    index goes into `retried`, which the test reports and bounds.
    """
    started, done = time.monotonic(), {}
    while len(done) < len(students) and time.monotonic() - started < timeout:
        if retried is not None and time.monotonic() - started > RETRY_AFTER:
            for s in students:
                if s.index not in done and s.index not in retried and idle(s.page):
                    retried.append(s.index)
                    s.page.locator(EDITOR).press("Control+Enter")
        for s in students:
            if s.index in done or not any(graph_shows(s.page, n) for n in names[s.index]):
                continue
            where = footer_replica(s.page)
            if not_on is None or (where is not None and where[1] != not_on):
                done[s.index] = time.monotonic() - started
        time.sleep(0.05)
    return done


def idle(page) -> bool:
    state = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
    return state == "notRunning" and page.locator(EDITOR).count() == 1


def missing(students, done, label: str) -> str:
    """What each page that did not draw shows (its screenshot saved): the failure's cause."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    lines = []
    for s in students:
        if s.index in done:
            continue
        page = s.page
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTIFACTS / f"class-{label}-{s.index}.png"), full_page=True)
        state = page.locator('[data-testid="stApp"]').get_attribute("data-test-script-state")
        alerts = [a.inner_text()[:160] for a in page.locator('[data-testid="stAlert"]').all()]
        editor = page.locator(EDITOR)
        text = editor.input_value() if editor.count() else None
        lines.append(
            f"session {s.index} ({s.name}): script {state}, footer {footer_replica(page)}, "
            f"editor {text!r}, alerts {alerts}, url program {url_program(page)!r}, "
            f"sockets {len(s.sockets)} closed {len(s.closed)}"
        )
    return "\n".join(lines)


def own_names(students) -> dict[int, tuple[str, ...]]:
    return {s.index: (s.name,) for s in students}


def pid_of(run: RunDir, name: str) -> int:
    return run.live_pids()[name]


@pytest.fixture
def chromium_for_class(browser):
    """A Chromium of its own that resolves class.test to this machine."""
    rules = f"--host-resolver-rules=MAP {HOST} 127.0.0.1"
    extra = browser.browser_type.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, rules], headless=True
    )
    yield extra
    extra.close()


@pytest.fixture
def class_server(tmp_path):
    """`make serve-class REPLICAS=2` on a free port, started as a terminal would (its own
    process group, so a Ctrl+C can be sent to it as the terminal sends one)."""
    require(shutil.which("nginx", path="/usr/sbin:/usr/bin") is not None, "nginx (Debian)")
    port = free_port()
    run = RunDir.for_port(port)
    log_path = tmp_path / "serve-class.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["make", "-s", "serve-class", f"PORT={port}", "REPLICAS=2", "LISTEN=127.0.0.1",
             "CLASS_ARGS=--metrics-every 5"],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while "serving at" not in log_path.read_text():
            assert proc.poll() is None, log_path.read_text()
            assert time.monotonic() < deadline, log_path.read_text()
            time.sleep(0.2)
        yield proc, port, run, log_path
    finally:
        if proc.poll() is None:  # the test failed before its Ctrl+C: stop what we started
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if run.path.exists():
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            shutil.copytree(run.path, ARTIFACTS / f"class-{port}", dirs_exist_ok=True)
            shutil.copy(log_path, ARTIFACTS / f"class-{port}" / "serve-class.log")
            shutil.rmtree(run.path)


def test_a_class_survives_a_lost_replica(class_server, chromium_for_class):
    """Twenty sessions through nginx stay on their replicas and share them; one replica is
    SIGKILLed mid-lesson; every one of its pages shows its own graph again (how soon is
    reported: the goal is 10 s) and keeps working, the other replica's pages never notice,
    and the lost replica is back."""
    proc, port, run, log_path = class_server
    url = f"http://{HOST}:{port}/"

    # --- the lesson starts: sixteen type their own program, four open a shared link ------
    students = [Student(chromium_for_class, i) for i in range(SESSIONS)]
    for s in students:
        link = url + ("?p=" + encode_program(program(s.name)) if s.watcher else "")
        s.page.goto(link, wait_until="commit")
    for s in students:
        wait_script_done(s.page, timeout_ms=int(START_TIMEOUT * 1000))
        # A student types once the page shows its first graph (the default program's).
        s.page.locator(".agx-canvas svg").first.wait_for(timeout=START_TIMEOUT * 1000)
        if not s.watcher:
            s.type_program(s.name)
    retried: list[int] = []
    took = wait_graphs(students, own_names(students), GRAPH_TIMEOUT, retried=retried)
    assert sorted(took) == list(range(SESSIONS)), missing(students, took, "start")

    for s in students:
        where = footer_replica(s.page)
        assert where is not None, f"session {s.index}: the footer names no replica"
        s.replica = where[0]
        assert s.cookie() == s.replica, "nginx's cookie names the replica the session is on"
        assert set(s.answered) == {s.replica}, f"session {s.index} was answered by {s.answered}"
        assert url_program(s.page) == program(s.name), "the URL holds the program on screen"
        assert len(s.sockets) == 1 and not s.closed
    on = {r: [s for s in students if s.replica == r] for r in ("r1", "r2")}
    assert on["r1"] and on["r2"], "both replicas have sessions"
    assert any(s.watcher for s in on["r1"]), "a watcher is on the replica to be lost"

    # --- mid-lesson: one student has typed a program but not run it; r1 is killed ----------
    typist = next(s for s in on["r1"] if not s.watcher)
    typist.type_program(f"{typist.name}typed", run=False)
    secret = secret_of(pid_of(run, "replica-r1"))
    assert secret == secret_of(pid_of(run, "replica-r2")), "the replicas share one secret"
    old_r1 = pid_of(run, "replica-r1")
    before = {s.index: len(s.answered) for s in students}
    os.kill(old_r1, signal.SIGKILL)
    # The typist's text may have been sent as the connection dropped: then it ran on r2.
    names = {**own_names(on["r1"]), typist.index: (typist.name, f"{typist.name}typed")}
    back = wait_graphs(on["r1"], names, GRAPH_TIMEOUT, not_on=old_r1)
    report = {
        "sessions": {r: len(on[r]) for r in on},
        "back_after_s": {k: round(v, 2) for k, v in sorted(back.items())},
        "back_within_10_s": sum(v <= BACK_WITHIN for v in back.values()),
        "pressed_ctrl_enter_twice": retried,
    }
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "class-test.json").write_text(json.dumps(report, indent=1))
    print("\nclass test:", json.dumps(report))
    assert sorted(back) == sorted(s.index for s in on["r1"]), missing(on["r1"], back, "back")
    # One page in twenty whose first run needed a second Ctrl+Enter on a loaded machine is
    # reported; more is a fault of the class server, not of the machine.
    assert len(retried) <= 1, missing([s for s in students if s.index in retried], {}, "twice")
    for s in on["r1"]:
        where = footer_replica(s.page)
        assert where is not None
        s.replica = where[0]
        assert set(s.answered[before[s.index] :]) <= {s.replica}, "one replica answers it"
        assert s.cookie() == s.replica, "the cookie moved with the session"
    assert "r2" in {s.replica for s in on["r1"]}, "pages failed over to the live replica"
    for s in on["r2"]:
        assert len(s.sockets) == 1 and not s.closed, f"session {s.index} of r2 noticed"
    assert typist.page.locator(EDITOR).input_value() == program(f"{typist.name}typed"), (
        "the text typed but not run is still in the editor"
    )

    # --- a program that segfaults costs its run, not the replica -----------------------------
    crasher = next(s for s in on["r2"] if not s.watcher)
    r2 = pid_of(run, "replica-r2")
    crasher.page.locator(EDITOR).fill(CRASH)
    crasher.page.locator(EDITOR).press("Control+Enter")
    crash = crasher.page.locator('[data-testid="stAlert"]').filter(has_text="segmentation fault")
    crash.first.wait_for(timeout=GRAPH_TIMEOUT * 1000)
    assert (
        "line 2: Crash: the program crashed PyTorch (segmentation fault)"
        in crash.first.inner_text()
    )
    assert pid_of(run, "replica-r2") == r2

    # --- the lesson goes on: every page still works (watchers' first edit included) --------
    for s in students:
        if s is typist:
            s.page.locator(EDITOR).press("Control+Enter")
            s.name = f"{s.name}typed"
        else:
            s.type_program(f"{s.name}c")
    took = wait_graphs(students, own_names(students), GRAPH_TIMEOUT)
    assert sorted(took) == list(range(SESSIONS)), missing(students, took, "after")
    for s in on["r2"]:
        assert len(s.sockets) == 1 and not s.closed and footer_replica(s.page)[0] == "r2"

    # --- the lost replica is back, and new students reach it ------------------------------
    deadline = time.monotonic() + START_TIMEOUT
    while "replica r1 is back" not in log_path.read_text():
        assert time.monotonic() < deadline, log_path.read_text()
        time.sleep(0.5)
    assert pid_of(run, "replica-r1") != old_r1
    assert re.search(
        r"replica r1 \(port \d+, pid \d+\) was killed by SIGKILL", log_path.read_text()
    )
    newcomers = [Student(chromium_for_class, SESSIONS + i) for i in range(4)]
    for s in newcomers:
        s.page.goto(url)
        wait_script_done(s.page, timeout_ms=int(START_TIMEOUT * 1000))
    reached = {where[0] for s in newcomers if (where := footer_replica(s.page))}
    assert "r1" in reached, "new pages reach r1 again"

    # --- what an operator sees ----------------------------------------------------------------
    line = metrics_through_nginx(port, "r2")
    assert line.startswith("replica=r2 ") and re.search(r" runs=[1-9]\d* ", line), line
    assert re.search(r" crashes=[1-9]", line), "the segfault is counted"
    assert re.search(r" p50=\d+\.\d+ p95=\d+\.\d+ queue=\d+ ", line), line
    assert re.search(r"metrics replica=r\d ", log_path.read_text()), "metrics are logged"
    for path in [log_path, *run.path.glob("*.log"), *run.path.glob("*.conf")]:
        assert secret not in path.read_text(), f"the cookie secret is in {path.name}"
    second = subprocess.run(
        ["make", "-s", "serve-class", f"PORT={port}", "REPLICAS=2", "LISTEN=127.0.0.1"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert second.returncode != 0
    assert f"already running on port {port}" in second.stdout + second.stderr

    # --- Ctrl+C stops everything it started -------------------------------------------------
    for s in students + newcomers:
        s.context.close()
    started = process_tree(pid_of(run, "supervisor"))
    assert len(started) >= 5, started  # supervisor, two replicas, nginx and its workers
    os.killpg(proc.pid, signal.SIGINT)
    proc.wait(60)
    deadline = time.monotonic() + 30  # the worker zygotes exit as their replicas' sockets close
    while (left := [pid for pid in started if Path(f"/proc/{pid}").exists()]) and (
        time.monotonic() < deadline
    ):
        time.sleep(0.2)
    assert left == [], "every process the class server started has stopped"
    assert run.live_pids() == {} and list(run.path.glob("*.pid")) == []
    assert re.search(r"^\d\d:\d\d:\d\d stopped$", log_path.read_text(), re.MULTILINE)


def secret_of(pid: int) -> str:
    """The cookie secret in a replica's environment (readable by its owner only)."""
    env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    found = [e.split(b"=", 1)[1] for e in env if e.startswith(b"STREAMLIT_SERVER_COOKIE_SECRET=")]
    assert found and re.fullmatch(rb"[0-9a-f]{64}", found[0])
    return found[0].decode()


def metrics_through_nginx(port: int, replica: str) -> str:
    """A replica's metrics line, reached through nginx by its cookie."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/_autograd/metrics", headers={"Cookie": f"ae_replica={replica}"}
    )
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.headers["X-Autograd-Replica"] == replica
        return r.read().decode()
