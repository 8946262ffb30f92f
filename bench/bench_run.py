"""engine.run in the worker pool: latency and its parts, lesson loops against plain CPython,
and a 20-session burst against the previous engine (2a6452e), all measured in this run.

1. The card's model and the reference lesson, request to Run with a warm pool (a locked
   child already waiting for its job), split into the engine's own work (the same run
   in-process, trusted=True), the JSON framing and validation of the job and the answer,
   and the rest (pipes, the child's wake-up, its first touches of copy-on-write pages).
   The child's lock-down happens before it reads its job, so it is not in these times.
2. Every lesson of tests/data/lessons with a loop (a literal range of >= 200 iterations,
   or a `while`): plain CPython running its text in this process against engine.run in a
   worker and engine.run(trusted=True). The project's goal: at most 1.3x plain CPython.
3. 20 threads calling engine.run at once, each on its own small program: HEAD's worker
   pool against the engine of 2a6452e (an in-process interpreter behind one run lock),
   which is imported in a subprocess from `git archive` of that commit (both are `engine`).

The machine is shared: every comparison takes turns, reports medians and its spread.
Usage: .venv/bin/python bench/bench_run.py [--old DIR]   (DIR: a checkout of 2a6452e)
"""

from __future__ import annotations

import ast
import contextlib
import cProfile
import io
import json
import math
import os
import pstats
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median, once, row

ROOT = Path(__file__).resolve().parent.parent
LESSONS = ROOT / "tests" / "data" / "lessons"
REFERENCE = LESSONS / "01_reference_lesson.py"
OLD_COMMIT = "2a6452e"
CARD = "x = [1.0, 2.0, 3.0]\nw = param([{w}])\nb = param(1.0)\ny = w·x + b\n"
CARD_SOURCE = CARD.format(w="0.1, 0.2, 0.3")
GOAL = 1.3  # the project's goal: a lesson loop at most 1.3x plain CPython
LATENCY_RUNS = 30
LOOP_ROUNDS = (3, 7)  # per lesson: at least 3 rounds, more while under LOOP_BUDGET seconds
LOOP_BUDGET = 4.0
LOOP_SECTION_BUDGET = 200.0  # past this, every lesson gets only the minimum rounds
# Section 2 only: a loop lesson takes seconds, and on a loaded machine the default 5 s
# limit would stop it; the limit changes no work (the recording budget is a share of time).
LOOP_SECONDS = 60.0
SESSIONS = 20
BURSTS = 3


# ----- shared by both sides of the burst (this process, and the old engine's subprocess) ----


def burst_programs() -> list[str]:
    """20 small programs: the card's model with a different w each, and the reference lesson."""
    cards = [
        CARD.format(w=", ".join(f"{0.1 * (k + 1) + 0.01 * i:.2f}" for k in range(3)))
        for i in range(SESSIONS - 1)
    ]
    return [*cards, REFERENCE.read_text()]


def burst(run) -> dict:
    """Every program in its own thread, released at once: each one's seconds, and the wall."""
    programs = burst_programs()
    barrier = threading.Barrier(len(programs))
    started = [0.0] * len(programs)
    ended = [0.0] * len(programs)
    ok = [False] * len(programs)

    def one(i: int) -> None:
        barrier.wait()
        started[i] = time.perf_counter()
        ok[i] = bool(run(programs[i]).ok)
        ended[i] = time.perf_counter()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(programs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {
        "latency": [e - s for s, e in zip(started, ended, strict=True)],
        "wall": max(ended) - min(started),
        "ok": all(ok),
    }


def burst_server(old_root: str) -> int:
    """The old engine's side: import it from `old_root`, then one burst per line on stdin."""
    sys.path.insert(0, old_root)
    import engine

    if not Path(engine.__file__).resolve().is_relative_to(Path(old_root).resolve()):
        print(json.dumps({"error": f"imported the wrong engine: {engine.__file__}"}), flush=True)
        return 1

    def run(source):
        return engine.run(source, numeric=False)

    for source in burst_programs():  # warm: imports, caches, torch's first ops
        run(source)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        if line.strip() != "burst":
            break
        print(json.dumps(burst(run)), flush=True)
    return 0


# ----- helpers --------------------------------------------------------------------------


def ms(seconds: float) -> float:
    return seconds * 1e3


def spread(values: list[float]) -> str:
    """p10-p90 of a sample (min-max when it is small), in ms."""
    v = sorted(values)
    if len(v) >= 10:
        lo, hi = v[len(v) // 10], v[(len(v) * 9) // 10]
    else:
        lo, hi = v[0], v[-1]
    return f"{ms(lo):.1f}-{ms(hi):.1f}"


def pct(values: list[float], q: float) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, math.ceil(q * len(v)) - 1)]


def geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f} (1/5/15 min, {os.cpu_count()} cores)"


def loop_lessons() -> list[tuple[Path, str]]:
    """Lessons with a literal range of >= 200 iterations, or a while loop."""
    found = []
    for path in sorted(LESSONS.glob("*.py")):
        most, has_while = 0, False
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.While):
                has_while = True
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "range"
                and node.args
                and not node.keywords
                and all(isinstance(a, ast.Constant) and type(a.value) is int for a in node.args)
            ):
                most = max(most, len(range(*(a.value for a in node.args))))
        if most >= 200:
            found.append((path, f"range {most}"))
        elif has_while:
            found.append((path, "while"))
    return found


def plain(text: str) -> None:
    """The program as plain CPython runs it, in this process (torch: 1 thread, seed 0)."""
    import torch

    torch.default_generator.manual_seed(0)
    code = compile(text, "<lesson>", "exec")
    with contextlib.redirect_stdout(io.StringIO()):
        exec(code, {"__name__": "__main__"})


class Head:
    """HEAD's engine in this process, its pool warmed."""

    def __init__(self):
        sys.path.insert(0, str(ROOT))
        import torch

        import engine
        import engine.pool
        from engine import wire
        from engine.limits import Limits

        torch.set_num_threads(1)  # as in every worker child
        self.engine, self.wire, self.limits = engine, wire, Limits()
        self.pool = engine.pool.pool()
        self.loop_limits = Limits(seconds=LOOP_SECONDS)

    def warm(self) -> float:
        start = time.perf_counter()
        self.pool.warm()
        self.ready()
        return time.perf_counter() - start

    def ready(self, limits=None, settle: float = 0.15, timeout: float = 30.0) -> None:
        """Wait (untimed) for the pool's spare children, then a moment for their lock-down."""
        p = self.pool
        key = self.engine.pool._key(limits or self.limits)
        p.warm(limits or self.limits)
        with p.cond:
            p.cond.wait_for(lambda: len(p.ready.get(key, [])) >= p.spare, timeout)
        time.sleep(settle)

    def worker(self, source: str, limits=None):
        return self.engine.run(source, limits, numeric=False)

    def trusted(self, source: str, limits=None):
        return self.engine.run(source, limits, numeric=False, trusted=True)

    def loop_worker(self, source: str):
        return self.worker(source, self.loop_limits)

    def child_cpu(self, reaped: int, timeout: float = 10.0) -> float:
        """CPU seconds of the child reaped after the first `reaped` (the zygote reports it
        once the child has exited, a moment after its answer)."""
        p = self.pool
        with p.cond:
            p.cond.wait_for(lambda: p.stats.reaped > reaped, timeout)
            return p.stats.cpu[-1] if p.stats.reaped > reaped and p.stats.cpu else math.nan

    def loop_trusted(self, source: str):
        return self.trusted(source, self.loop_limits)

    def probe(self, source: str, limits=None) -> tuple[float, float] | None:
        """engine.pool's exchange with one warm child, timed inside: seconds from the job
        sent to the whole framed answer in, and to EOF (the child has exited). Uses the
        pool's internals (None if they changed): the split of "the rest" only."""
        try:
            import select
            from dataclasses import asdict

            from engine import pool as P

            limits = limits or self.limits
            self.ready(limits)
            child = self.pool._take(P._key(limits))
            cap = limits.report_mb * 1024 * 1024 + 65536
            payload = json.dumps({"op": "run", "numeric": False, "source": source,
                                  "limits": asdict(limits), "inputs": None,
                                  "report_bytes": cap}).encode()  # fmt: skip
            parts, size, need, whole = [], 0, None, None
            start = time.perf_counter()
            try:
                P._write_all(child.job_w, P.JOB_HEADER.pack(len(payload)) + payload)
                while True:
                    select.select([child.result_r], [], [], 30.0)
                    chunk = os.read(child.result_r, 1 << 20)
                    if not chunk:
                        break
                    parts.append(chunk)
                    size += len(chunk)
                    if need is None and size >= self.wire.HEADER.size:
                        data = b"".join(parts)
                        at = data.find(self.wire.MAGIC)
                        need = (
                            at + self.wire.HEADER.size + self.wire.HEADER.unpack_from(data, at)[1]
                        )
                    if need is not None and size >= need and whole is None:
                        whole = time.perf_counter()
                eof = time.perf_counter()
            finally:
                P._close(child.job_w, child.result_r)
            return (whole or eof) - start, eof - start
        except (AttributeError, ImportError, OSError, TypeError):
            return None

    def as_child(self):
        """As in a worker child: snapshots keep their tensors' bytes for the answer."""
        from engine.values import collecting_bytes

        return collecting_bytes()

    def wire_parts(self, source: str, done) -> tuple[float, float, int]:
        """Seconds to encode (the job here, the answer in the child), to decode and validate
        (the job in the child, the answer here), and the answer's size in bytes."""
        w, lim = self.wire, self.limits
        from dataclasses import asdict

        sandbox = self.pool.status.to_json() if self.pool.status else {}
        cap = lim.report_mb * 1024 * 1024 + 65536
        job = {"op": "run", "numeric": False, "source": source, "limits": asdict(lim),
               "inputs": None, "report_bytes": cap}  # fmt: skip
        t0 = time.perf_counter()
        payload = json.dumps(job).encode()
        data = w.frame({"run": w.run_document(done), "sandbox": sandbox})
        t1 = time.perf_counter()
        json.loads(payload)
        w.run_from_document(w.unframe(data, cap)["run"], lim.print_chars + 1000)
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1, len(data)


# ----- 1. latency and where it goes ---------------------------------------------------------


def section_latency(head: Head) -> None:
    print(f"\n1. Run latency with a warm pool, request to Run (ms, median of {LATENCY_RUNS}; "
          "p10-p90 in brackets)")  # fmt: skip
    print("   Before each worker run (untimed) the pool's spare children are forked and "
          "given 150 ms to lock down:\n   lock-down is before the job, so it is not in "
          "these times.")  # fmt: skip
    widths = (44, 22, 22)
    print(row("", "card's model", "reference lesson", widths=widths))
    cols = {}
    for name, source in (("card", CARD_SOURCE), ("lesson", REFERENCE.read_text())):
        head.ready()
        head.worker(source)
        head.trusted(source)
        worker, trusted, enc, dec, probes = [], [], [], [], []
        for i in range(LATENCY_RUNS):
            if i % 2 == 0:
                found = head.probe(source)
                if found is not None:
                    probes.append(found)
            head.ready()
            sides = [("w", head.worker), ("t", head.trusted)]
            for tag, fn in sides if i % 2 == 0 else sides[::-1]:
                t = once(lambda fn=fn, source=source: fn(source))
                (worker if tag == "w" else trusted).append(t)
            with head.as_child():
                done = head.trusted(source)
                e, d, size = head.wire_parts(source, done)
            enc.append(e)
            dec.append(d)
        assert done.ok, done.error
        rest = median(worker) - median(trusted) - median(enc) - median(dec)
        if probes:
            exit_wait = median([eof - whole for whole, eof in probes])
            cold = median([whole for whole, _ in probes]) - median(trusted) - median(enc)
        else:
            exit_wait = cold = float("nan")
        cols[name] = {
            "request to Run (worker)": worker,
            "  engine's own work (trusted, in-process)": trusted,
            "  JSON encode: job, answer (child)": enc,
            "  JSON decode + validation: answer, job": dec,
            "  the rest": [rest],
            "    answer in -> EOF (the child's exit)": [exit_wait],
            "    child's run beyond trusted+encode": [cold],
            "    pool, pipes, threads, wake-up": [rest - exit_wait - cold],
            "size": size,
        }
    for label in list(cols["card"])[:-1]:
        cells = []
        for name in ("card", "lesson"):
            v = cols[name][label]
            cells.append(f"{ms(median(v)):.1f}" + (f" [{spread(v)}]" if len(v) > 1 else ""))
        print(row(label, *cells, widths=widths))
    print(row("answer size (bytes)", f"{cols['card']['size']:,}", f"{cols['lesson']['size']:,}",
              widths=widths))  # fmt: skip
    print("   'answer in -> EOF': the parent reads until EOF, which comes after the child's "
          "exit has torn down\n   its address space; 'beyond trusted+encode': the child's cold "
          f"caches, copy-on-write faults, seccomp\n   (both split from {LATENCY_RUNS // 2} "
          "probes of the pool's exchange with a child, timed inside)")  # fmt: skip
    print(f"   pool: {head.pool.stats.line()}")


# ----- 2. lesson loops against plain CPython ------------------------------------------------


def section_loops(head: Head) -> None:
    lessons = loop_lessons()
    print(f"\n2. Lesson loops against plain CPython ({len(lessons)} lessons; ms, median of "
          f"{LOOP_ROUNDS[0]}-{LOOP_ROUNDS[1]} rounds taking turns; goal <= {GOAL}x)")  # fmt: skip
    print("   plain: compile + exec in a fresh __main__ dict, stdout to a StringIO, "
          "torch 1 thread, seed 0, this process;\n   worker and trusted: engine.run(text, "
          f"Limits(seconds={LOOP_SECONDS:g}), numeric=False), so load cannot time them "
          "out")  # fmt: skip
    widths = (26, 11, 9, 9, 7, 9, 7, 8, 22, 6)
    print(row("lesson", "loop", "plain", "trusted", "ratio", "worker", "ratio", "best",
              "paired (range)", "goal", widths=widths))  # fmt: skip
    # A child's CPU seconds include its lock-down (before the job arrives) and its exit
    # (after the answer is sent): off the request's path. An empty program's child measures
    # them, and they are taken off each lesson's worker CPU.
    empties = []
    for _ in range(7):
        head.ready()
        reaped = head.pool.stats.reaped
        head.worker("x = 1\n")
        empties.append(head.child_cpu(reaped))
    off_path = median(empties)
    section_start = time.perf_counter()
    results = []
    cpu_ratios: list[tuple[float, float]] = []
    for path, loop in lessons:
        text = path.read_text()
        times: dict[str, list[float]] = {"plain": [], "trusted": [], "worker": []}
        cpus: dict[str, list[float]] = {"plain": [], "trusted": [], "worker": []}
        fns = {"plain": plain, "trusted": head.loop_trusted, "worker": head.loop_worker}
        failed = None
        # Once, untimed: what the program imports on first use (an optimizer loads
        # torch._dynamo, about a second) is then loaded in this process, as it is in every
        # worker child (the zygote loaded it). Lesson 10's plain median was twice its
        # trusted one.
        plain(text)
        started = time.perf_counter()
        r = 0
        while True:
            names = list(fns)
            names = names[r % 3 :] + names[: r % 3]  # each side goes first in turn
            for name in names:
                if name == "worker":
                    head.ready(head.loop_limits)
                out = None

                def call(name=name, fns=fns, text=text):
                    nonlocal out
                    out = fns[name](text)

                reaped = head.pool.stats.reaped
                cpu_start = time.process_time()
                times[name].append(once(call))
                cpu = time.process_time() - cpu_start  # this process: plain, trusted, decode
                child = head.child_cpu(reaped) - off_path if name == "worker" else 0.0
                cpus[name].append(cpu + child)
                if name != "plain" and not out.ok:
                    failed = f"{name}: {out.error.type}: {out.error.message}"[:90]
            r += 1
            if failed:
                break
            spent = time.perf_counter() - started
            over = time.perf_counter() - section_start > LOOP_SECTION_BUDGET
            if r >= LOOP_ROUNDS[1] or (r >= LOOP_ROUNDS[0] and (spent > LOOP_BUDGET or over)):
                break
        if failed:
            print(row(path.stem[:25], loop, f"  FAILED {failed}", widths=widths[:2]), flush=True)
            continue
        p, t, w = (median(times[k]) for k in ("plain", "trusted", "worker"))
        # Each round's worker/plain, the two run back to back: this machine's speed drifts
        # by a fifth from one minute to the next, and a round's pair shares its minute.
        per_round = [wk / pk for wk, pk in zip(times["worker"], times["plain"], strict=True)]
        paired = median(per_round)
        results.append((path, text, p, t, w, times, paired))
        cpu_ratios.append(
            tuple(median(cpus[k]) / median(cpus["plain"]) for k in ("trusted", "worker"))
        )
        best = min(times["worker"]) / min(times["plain"])
        print(row(path.stem[:25], loop, ms(p), ms(t), t / p, ms(w), w / p, best,
                  f"{paired:.2f} ({min(per_round):.2f}-{max(per_round):.2f}, {r})",
                  "met" if paired <= GOAL else "NOT", widths=widths), flush=True)  # fmt: skip
    worker_ratios = [x[4] / x[2] for x in results]
    trusted_ratios = [x[3] / x[2] for x in results]
    pairs = [x[6] for x in results]
    big = [(x[3] / x[2], x[4] / x[2], x[6]) for x in results if x[2] >= 0.1]
    met = sum(r <= GOAL for r in pairs)
    bests = [min(x[5]["worker"]) / min(x[5]["plain"]) for x in results]
    print(row("geometric mean, all", "", "", "", geomean(trusted_ratios), "",
              geomean(worker_ratios), geomean(bests), f"{geomean(pairs):.2f}",
              f"{met}/{len(results)}", widths=widths))  # fmt: skip
    if big and len(big) < len(results):
        print(row("  of >= 100 ms plain", "", "", "", geomean([b[0] for b in big]), "",
                  geomean([b[1] for b in big]), "", f"{geomean([b[2] for b in big]):.2f}",
                  f"{sum(b[2] <= GOAL for b in big)}/{len(big)}", widths=widths))  # fmt: skip
    big_cpu = [c for c, x in zip(cpu_ratios, results, strict=True) if x[2] >= 0.1]
    print(row("CPU seconds, >= 100 ms", "", "", "", geomean([c[0] for c in big_cpu]), "",
              geomean([c[1] for c in big_cpu]), "", "",
              f"{sum(c[1] <= GOAL for c in big_cpu)}/{len(big_cpu)}", widths=widths))  # fmt: skip
    print("   (CPU seconds: this process's, plus the worker child's as the zygote reaped it, "
          f"less an empty program's child,\n   {ms(off_path):.1f} ms: its lock-down and exit, "
          "off the request's path. Load from other processes inflates\n   CPU seconds less "
          "than wall-clock times.)")  # fmt: skip
    print(f"   ({time.perf_counter() - section_start:.0f} s. ratio: of the medians; best: fastest "
          "worker / fastest plain;\n   paired: the median of each round's worker/plain, the two "
          "run back to back (lowest, highest, rounds);\n   the goal is judged on the paired "
          "ratio)")  # fmt: skip
    worst = max(results, key=lambda x: x[6])
    where(head, worst, "worst of all")
    substantial = [x for x in results if x[2] >= 0.1]
    if substantial:
        worst_big = max(substantial, key=lambda x: x[6])
        if worst_big is not worst:
            where(head, worst_big, "worst of those >= 100 ms plain")


def where(head: Head, result, title: str) -> None:
    """Where a lesson's time goes beyond plain CPython: the engine, the wire, the rest."""
    path, text, p, t, w = result[:5]
    with head.as_child():
        done = head.loop_trusted(text)
        parts = [head.wire_parts(text, done) for _ in range(3)]
    enc, dec = median([x[0] for x in parts]), median([x[1] for x in parts])
    size = parts[0][2]
    print(f"\n   Where the time goes, {title}: {path.name} (worker {w / p:.2f}x plain)")
    print(f"     plain CPython                        {ms(p):9.1f} ms")
    print(f"     + the engine's work in-process       {ms(t - p):9.1f} ms  (trusted - plain)")
    print(f"     + JSON encode (job, answer)          {ms(enc):9.1f} ms  "
          f"(answer {size:,} bytes, {len(done.passes)} recorded passes, "
          f"{len(done.history)} history entries)")  # fmt: skip
    print(f"     + JSON decode + validation           {ms(dec):9.1f} ms")
    print(f"     + the rest                           {ms(w - t - enc - dec):9.1f} ms")
    probes = [x for x in (head.probe(text, head.loop_limits) for _ in range(2)) if x is not None]
    if probes:
        whole = median([x[0] for x in probes])
        exit_wait = median([x[1] - x[0] for x in probes])
        print(
            f"         probe: job sent -> answer in {ms(whole):9.1f} ms  (the child's run + "
            f"encode; trusted + encode: {ms(t + enc):.1f} ms)"
        )
        print(f"         probe: answer in -> EOF      {ms(exit_wait):9.1f} ms  (the child's exit)")
    print(f"     = request to Run in a worker         {ms(w):9.1f} ms")
    profiler = cProfile.Profile()
    profiler.enable()
    head.loop_trusted(text)
    profiler.disable()
    stats = pstats.Stats(profiler)
    groups: dict[str, float] = {}
    total = 0.0
    rows = []
    for (file, line, func), (_, calls, tottime, cumtime, _) in stats.stats.items():
        total += tottime
        if file == "<program>":
            group = "the program's own lines"
        elif "/engine/" in file:
            group = f"engine/{Path(file).name}"
        elif "torch" in file:
            group = "torch (Python code)"
        elif file == "~":
            group = "C functions (torch ops, builtins)"
        else:
            group = "other Python (stdlib, ...)"
        groups[group] = groups.get(group, 0.0) + tottime
        rows.append((tottime, calls, cumtime, f"{Path(file).name}:{line}({func})"))
    print("     cProfile of the trusted run, own time by where the code is "
          "(profiling inflates Python-heavy parts):")  # fmt: skip
    for group, seconds in sorted(groups.items(), key=lambda x: -x[1])[:8]:
        print(f"       {group:40s} {100 * seconds / total:5.1f} %")
    print("     top functions by own time:")
    for tottime, calls, _, name in sorted(rows, reverse=True)[:8]:
        print(f"       {100 * tottime / total:5.1f} %  {calls:>8,} calls  {name[:70]}")


# ----- 3. the burst -------------------------------------------------------------------------


@contextlib.contextmanager
def old_engine(old: str | None):
    """A subprocess serving bursts with the engine of OLD_COMMIT (git archive, read-only)."""
    with tempfile.TemporaryDirectory(prefix="old-engine-") as tmp:
        if old is None:
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", OLD_COMMIT, "engine"],
                                     check=True, capture_output=True).stdout  # fmt: skip
            subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
            old = tmp
        proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--burst-server", old],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            cwd=tmp,
        )
        try:
            hello = json.loads(proc.stdout.readline() or "{}")
            if not hello.get("ready"):
                raise SystemExit(f"the old engine did not start: {hello}")

            def one_burst() -> dict:
                proc.stdin.write("burst\n")
                proc.stdin.flush()
                return json.loads(proc.stdout.readline())

            yield one_burst
        finally:
            with contextlib.suppress(OSError):
                proc.stdin.close()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def section_burst(head: Head, old: str | None) -> None:
    print(f"\n3. {SESSIONS} sessions at once (19 card models with their own w, and the "
          f"reference lesson), {BURSTS} bursts a side, taking turns")  # fmt: skip
    new_runs, old_runs = [], []
    with old_engine(old) as old_burst:
        for r in range(BURSTS):
            sides = [("new", None), ("old", old_burst)]
            for name, fn in sides if r % 2 == 0 else sides[::-1]:
                if name == "new":
                    head.ready()
                    new_runs.append(burst(head.worker))
                else:
                    old_runs.append(fn())
    widths = (40, 10, 10, 10, 18, 6)
    print(row("", "p50 ms", "p95 ms", "max ms", "wall ms (range)", "ok", widths=widths))
    stats = {}
    for label, runs in ((f"HEAD: worker pool, {head.pool.parallel} at once", new_runs),
                        (f"{OLD_COMMIT}: in-process, one run lock", old_runs)):  # fmt: skip
        lat = [x for b in runs for x in b["latency"]]
        walls = [b["wall"] for b in runs]
        s = (pct(lat, 0.5), pct(lat, 0.95), max(lat), median(walls))
        stats[label] = s
        print(row(label, ms(s[0]), ms(s[1]), ms(s[2]),
                  f"{ms(s[3]):.0f} ({ms(min(walls)):.0f}-{ms(max(walls)):.0f})",
                  "yes" if all(b["ok"] for b in runs) else "NO", widths=widths))  # fmt: skip
    a, b = stats.values()
    print(row("ratio HEAD / old", a[0] / b[0], a[1] / b[1], a[2] / b[2], f"{a[3] / b[3]:.2f}",
              "", widths=widths))  # fmt: skip
    print("   (latency: each session's own, pooled over the bursts; wall: first call to last "
          "answer, median of the bursts)")  # fmt: skip


def main(argv: list[str]) -> int:
    if len(argv) >= 3 and argv[1] == "--burst-server":
        return burst_server(argv[2])
    old = argv[argv.index("--old") + 1] if "--old" in argv else None
    begun = time.perf_counter()
    print(f"load average at the start: {load()}")
    git = ["git", "-C", str(ROOT)]
    changed = subprocess.run([*git, "diff", "--name-only", "HEAD", "--", "engine"],
                             capture_output=True, text=True).stdout.split()  # fmt: skip
    head_rev = subprocess.run([*git, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
    print(f"engine: the working tree at HEAD {head_rev}"
          + (f" (uncommitted changes in {', '.join(changed)})" if changed else ""))  # fmt: skip
    head = Head()
    print(f"{head.engine.sandbox_status().describe()}")
    print(f"pool warm-up (zygote start, {head.pool.spare} spare children): {head.warm():.1f} s")
    section_latency(head)
    section_loops(head)
    section_burst(head, old)
    print(
        f"\nload average at the end: {load()}; whole benchmark {time.perf_counter() - begun:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
