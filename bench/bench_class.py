"""A class through nginx: students editing every 20 s on average, and a replica lost.

Starts `python -m class_server serve` (REPLICAS replicas, default the number of cores) on a
free port, then for each class size (default 20, 50 and 100) lets that many simulated
students arrive over 10 s and edit for 2 minutes, each waiting a random time (exponential,
mean 20 s) between edits and never sending one before the last one's graph came. Reports
edit-to-graph p50 and p95 and errors, memory per replica (its whole process tree: the
server, the worker zygote and its children, dot) and CPU, each against a baseline measured
first in the same run: one student alone, editing.

How the clients' own cost is kept apart: the simulated students are websocket-level clients
(bench/class_client.py), hundreds of them in one asyncio loop, speaking Streamlit's protocol
as a page does and timing each edit to the arrival of its picture, not to its drawing. The
CPU they use is measured (this process) and reported beside the server's. A separate phase
runs 20 real Chromium pages on the same schedule, timed to the picture on screen: its
figures include the browsers' cost, which in a classroom is on the students' machines.
A last phase loses a replica (SIGKILL) under load and times how soon each of its pages has
its own graph again on the other.

    .venv/bin/python bench/bench_class.py                          # 20, 50, 100 and the rest
    .venv/bin/python bench/bench_class.py --students 20 --seconds 60 --no-browsers
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests"))

from class_client import EditError, Student, program  # noqa: E402
from conftest import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, free_port  # noqa: E402
from timing import row  # noqa: E402

from class_server.metrics import cpu_seconds  # noqa: E402
from class_server.run_dir import RunDir  # noqa: E402

ARRIVAL = 10.0  # seconds over which a class's students open the page
SAMPLE_EVERY = 5.0  # seconds between readings of the replicas' metrics
WIDTHS = (40, 7, 7, 8, 8, 10, 17, 11, 6)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


class ClassServer:
    """`python -m class_server serve` on a free port, in a folder of its own; stopped by Ctrl+C."""

    def __init__(self, replicas: int):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.run_base = Path(tempfile.mkdtemp(prefix="bench-class-"))
        self.run = RunDir.for_port(self.port, self.run_base)
        self.replicas = [f"r{i + 1}" for i in range(replicas)]
        self.log = self.run_base / "serve.out"
        with self.log.open("w") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "class_server", "serve", "--replicas", str(replicas),
                 "--port", str(self.port), "--listen", "127.0.0.1", "--metrics-every", "3600",
                 "--run-dir", str(self.run_base)],
                cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip
        while "serving at" not in self.log.read_text():
            if self.proc.poll() is not None:
                raise SystemExit(f"the class server did not start:\n{self.log.read_text()}")
            time.sleep(0.2)

    def metrics(self, replica: str) -> dict[str, float]:
        """A replica's metrics line (through nginx, by its cookie) as numbers."""
        request = urllib.request.Request(
            self.base + "/_autograd/metrics", headers={"Cookie": f"ae_replica={replica}"}
        )
        with urllib.request.urlopen(request, timeout=30) as r:
            line = r.read().decode()
        fields = dict(re.findall(r"(\w+)=(\S+)", line))
        if fields.get("replica") != replica:
            return {}
        return {k: float(v) for k, v in fields.items() if re.fullmatch(r"[\d.]+", v)}

    def cpu(self) -> float:
        """CPU seconds of everything the class server runs (replicas, workers, nginx)."""
        return cpu_seconds(self.proc.pid)

    def kill(self, replica: str) -> int:
        pid = self.run.live_pids()[f"replica-{replica}"]
        os.kill(pid, signal.SIGKILL)
        return pid

    def wait_back(self, replica: str, timeout: float = 300.0) -> None:
        deadline = time.monotonic() + timeout
        while f"replica {replica} is back" not in self.log.read_text():
            if time.monotonic() > deadline:
                raise SystemExit(f"replica {replica} did not come back:\n{self.log.read_text()}")
            time.sleep(0.5)

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(60)


class Sampler:
    """The replicas' memory and the server's and clients' CPU over one phase."""

    def __init__(self, server: ClassServer):
        self.server = server
        self.peak_mb: dict[str, float] = {}
        self.rss_mb: dict[str, float] = {}
        self.sessions: dict[str, float] = {}
        self.started = time.monotonic()
        self.server_cpu = server.cpu()
        self.client_cpu = self._client_cpu()

    def _client_cpu(self) -> float:
        return cpu_seconds(os.getpid()) - self.server.cpu()

    def sample(self) -> None:
        for replica in self.server.replicas:
            try:
                m = self.server.metrics(replica)
            except OSError:
                continue
            if m:
                self.peak_mb[replica] = max(self.peak_mb.get(replica, 0.0), m["tree_mb"])
                self.rss_mb[replica] = max(self.rss_mb.get(replica, 0.0), m["rss_mb"])
                self.sessions[replica] = max(self.sessions.get(replica, 0.0), m["sessions"])

    def result(self) -> dict:
        seconds = time.monotonic() - self.started
        return {
            "replica_tree_mb_peak": {r: round(v) for r, v in sorted(self.peak_mb.items())},
            "replica_server_rss_mb_peak": {r: round(v) for r, v in sorted(self.rss_mb.items())},
            "replica_sessions_peak": {r: int(v) for r, v in sorted(self.sessions.items())},
            "server_cores": round((self.server.cpu() - self.server_cpu) / seconds, 2),
            "client_cores": round((self._client_cpu() - self.client_cpu) / seconds, 2),
            "load_average": round(os.getloadavg()[0], 1),  # the machine is shared: how busy
        }


async def sampling(sampler: Sampler, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.to_thread(sampler.sample)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), SAMPLE_EVERY)


async def student_life(server, index: int, seconds: float, interval: float, out: dict,
                       lost: dict | None = None) -> None:  # fmt: skip
    """Arrive, then edit until `seconds` are up; a dropped connection is followed by the
    reconnect a page makes (timed in `lost` when given)."""
    rng = random.Random(index)
    await asyncio.sleep(rng.uniform(0, ARRIVAL))
    student = Student(server.base)
    try:
        out["loads"].append(await student.load())
    except (OSError, EditError) as exc:
        out["errors"].append(f"student {index}: the page did not load: {exc}")
        return
    end = time.monotonic() + seconds
    next_edit = time.monotonic() + rng.expovariate(1 / interval)
    n = 0
    while time.monotonic() < end:
        dropped = await student.idle(min(next_edit, end) - time.monotonic())
        if not dropped and time.monotonic() < end:
            n += 1
            try:
                out["edits"].append(await student.edit(f"s{index}e{n}"))
            except EditError as exc:
                dropped = "closed" in str(exc)
                if not dropped:
                    out["errors"].append(f"student {index} edit {n}: {exc}")
            next_edit += rng.expovariate(1 / interval)
        if dropped:  # its replica was lost: come back at once, as a page does
            if lost is None:
                out["errors"].append(f"student {index}: the connection dropped")
                break
            lost[index] = await student.come_back(lost["killed_at"])
    await student.close()


async def a_class(server, students: int, seconds: float, interval: float,
                  kill_after: float | None = None) -> dict:  # fmt: skip
    """`students` students for `seconds`; with kill_after, r1 is SIGKILLed that far in."""
    out: dict = {"edits": [], "loads": [], "errors": []}
    sampler = Sampler(server)
    stop = asyncio.Event()
    watcher = asyncio.create_task(sampling(sampler, stop))
    lost: dict | None = None
    tasks = []
    if kill_after is not None:
        lost = {"killed_at": float("inf")}
    for i in range(students):
        tasks.append(asyncio.create_task(student_life(server, i, seconds, interval, out, lost)))
    if kill_after is not None and lost is not None:
        await asyncio.sleep(ARRIVAL + kill_after)
        lost["killed_at"] = time.monotonic()
        server.kill("r1")
    await asyncio.gather(*tasks)
    stop.set()
    await watcher
    edits = out["edits"]
    result = {
        "students": students,
        "edits": len(edits),
        "errors": len(out["errors"]),
        "error_samples": out["errors"][:5],
        "p50_s": round(statistics.median(edits), 3) if edits else None,
        "p95_s": round(pct(edits, 0.95), 3) if edits else None,
        "page_load_p50_s": round(statistics.median(out["loads"]), 3) if out["loads"] else None,
        **sampler.result(),
    }
    if lost is not None:
        # The lost replica's worker zygote outlives it, out of the tree: its CPU time is gone.
        result["server_cores"] = None
        back = [v for k, v in lost.items() if k != "killed_at"]
        result["lost_pages"] = len(back)
        result["back_p50_s"] = round(statistics.median(back), 2) if back else None
        result["back_max_s"] = round(max(back), 2) if back else None
    return result


async def baseline(server, edits: int = 30) -> dict:
    """One student alone: the same edits with nobody else on the server."""
    student = Student(server.base)
    await student.load()
    times = []
    for n in range(edits):
        times.append(await student.edit(f"alone{n}"))
        await asyncio.sleep(0.3)
    await student.close()
    p50, p95 = round(statistics.median(times), 3), round(pct(times, 0.95), 3)
    load = round(os.getloadavg()[0], 1)
    return {"students": 1, "edits": edits, "errors": 0, "p50_s": p50, "p95_s": p95,
            "load_average": load}  # fmt: skip


def browsers(server, students: int, seconds: float, interval: float) -> dict:
    """Real Chromium pages on the same schedule, timed to the picture on screen."""
    from playwright.sync_api import sync_playwright

    editor = '[data-testid="stTextArea"] textarea'
    sampler = Sampler(server)
    times, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        pages = [browser.new_page(viewport={"width": 1400, "height": 900})
                 for _ in range(students)]  # fmt: skip
        for page in pages:
            page.goto(server.base, wait_until="commit")
        for page in pages:
            page.locator(editor).wait_for(timeout=120_000)
            page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]')
        rngs = [random.Random(1000 + i) for i in range(students)]
        now = time.monotonic()
        due = [now + r.expovariate(1 / interval) for r in rngs]
        sent: dict[int, tuple[str, float]] = {}
        counts = [0] * students
        end = now + seconds
        last_sample = now
        while time.monotonic() < end or sent:
            for i, page in enumerate(pages):
                if i in sent:
                    name, at = sent[i]
                    svg = page.locator(".agx-canvas svg text").filter(
                        has_text=re.compile(f"^{name}$")
                    )
                    if svg.count():
                        times.append(time.monotonic() - at)
                        del sent[i]
                        due[i] = max(due[i], time.monotonic())
                    elif time.monotonic() - at > 60:
                        errors.append(f"browser {i}: no graph for {name} in 60 s")
                        del sent[i]
                elif time.monotonic() >= due[i] and time.monotonic() < end:
                    counts[i] += 1
                    name = f"b{i}e{counts[i]}"
                    page.locator(editor).fill(program(name))
                    page.locator(editor).press("Control+Enter")
                    sent[i] = (name, time.monotonic())
                    due[i] += rngs[i].expovariate(1 / interval)
            if time.monotonic() - last_sample > SAMPLE_EVERY:
                sampler.sample()
                last_sample = time.monotonic()
            time.sleep(0.02)
        browser.close()
    return {
        "students": students,
        "edits": len(times),
        "errors": len(errors),
        "error_samples": errors[:5],
        "p50_s": round(statistics.median(times), 3) if times else None,
        "p95_s": round(pct(times, 0.95), 3) if times else None,
        **sampler.result(),
    }


def line(what: str, r: dict, base: float) -> str:
    ratio = f"{r['p50_s'] / base:.1f}" if r.get("p50_s") else "-"
    mem = "/".join(str(v) for v in r.get("replica_tree_mb_peak", {}).values()) or "-"
    cores = f"{r.get('server_cores') or '-'}/{r.get('client_cores', '-')}"
    cells = (r["edits"], r["errors"], r["p50_s"], r["p95_s"], ratio, mem, cores,
             r.get("load_average", "-"))  # fmt: skip
    return row(what, *(str(c) for c in cells), widths=WIDTHS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", default="20,50,100")
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--interval", type=float, default=20.0)
    parser.add_argument("--replicas", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--browsers", type=int, default=20, help="0: no Chromium phase")
    parser.add_argument("--failover", type=int, default=50, help="students; 0: no replica lost")
    args = parser.parse_args()
    sizes = [int(s) for s in args.students.split(",") if s]
    server = ClassServer(args.replicas)
    results: dict = {"replicas": args.replicas, "cpus": os.cpu_count(), "phases": {}}
    try:
        base = asyncio.run(baseline(server))
        results["phases"]["1 student alone (baseline)"] = base
        for n in sizes:
            results["phases"][f"{n} students (websocket clients)"] = asyncio.run(
                a_class(server, n, args.seconds, args.interval)
            )
        if args.browsers and Path(CHROMIUM).exists():
            results["phases"][f"{args.browsers} students (Chromium pages)"] = browsers(
                server, args.browsers, args.seconds, args.interval
            )
        if args.failover:
            lost = asyncio.run(a_class(server, args.failover, 60.0, args.interval, kill_after=20))
            results["phases"][f"{args.failover} students, r1 SIGKILLed at 20 s"] = lost
            server.wait_back("r1")
    finally:
        server.stop()
    print(f"\n{args.replicas} replicas on {os.cpu_count()} cores; each student edits every "
          f"{args.interval:g} s on average for {args.seconds:g} s")  # fmt: skip
    print(row("phase", "edits", "errors", "p50 s", "p95 s", "p50/base", "tree MB/replica",
              "cores s/c", "load", widths=WIDTHS))  # fmt: skip
    for what, r in results["phases"].items():
        print(line(what, r, base["p50_s"]))
        if r.get("error_samples"):
            print("   errors:", "; ".join(r["error_samples"]))
        if "lost_pages" in r:
            print(f"   {r['lost_pages']} pages of r1 had their graph back on r2 after "
                  f"{r['back_p50_s']} s (median), {r['back_max_s']} s (slowest)")  # fmt: skip
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "bench-class.json").write_text(json.dumps(results, indent=1))
    print(f"(cores: server/clients; details in {ARTIFACTS / 'bench-class.json'})")


if __name__ == "__main__":
    main()
