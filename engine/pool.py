"""The server's side of the worker: locked children forked ahead, one per run, killed at the limit.

A zygote (engine.worker) is started once from a clean interpreter. It keeps children
forked ahead, so no run waits for a fork or for torch's import. Each run takes one child,
sends it the job, and reads one framed JSON answer, which is validated (engine.wire)
before anything trusts it. At the wall-clock limit the child's process group is killed,
whatever C call it is in. As many runs proceed at once as there are cores.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import math
import os
import re
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import graph as g
from .collector import collector_paused
from .errors import ErrorInfo
from .limits import Limits
from .sandbox import SandboxStatus, probe, required
from .wire import HEADER, MAGIC, WireError, run_from_document, unframe
from .worker import JOB_HEADER

ROOT = Path(__file__).resolve().parent.parent  # the folder that holds the engine package
GRACE = 0.8  # seconds past the limit before the kill: the child's own timer speaks first
START_TIMEOUT = 120.0  # importing torch on a cold disk of a busy machine
# What the zygote's environment keeps of the server's: nothing secret, nothing of the
# server's own (a cookie secret, tokens); threads pinned to one for a fork-safe zygote.
KEPT_ENV = ("PATH", "LANG", "LC_ALL", "TZ", "AUTOGRAD_EXPLORER_SANDBOX")
SIGNAL_WORDS: dict[int, str] = {  # keyed by int: os.WTERMSIG gives a plain int
    signal.SIGSEGV: "segmentation fault",
    signal.SIGFPE: "floating-point exception",
    signal.SIGBUS: "bus error",
    signal.SIGILL: "illegal instruction",
    signal.SIGABRT: "abort",
    signal.SIGXCPU: "CPU time limit",
    signal.SIGKILL: "killed",
}
_PROGRAM_LINE = re.compile(r'File "<program>", line (\d+)')


@dataclass
class _Child:
    pid: int
    job_w: int
    result_r: int


@dataclass
class PoolStats:
    """What an operator watches: runs, their times, the queue, restarts."""

    runs: int = 0
    crashes: int = 0
    timeouts: int = 0
    zygote_starts: int = 0
    waiting: int = 0
    seconds: list[float] = field(default_factory=list)  # the latest run times, newest last
    # CPU seconds of the latest children, newest last, as the zygote reaped them (a child
    # forked but never used counts too: it is the same few milliseconds of lock-down).
    cpu: list[float] = field(default_factory=list)
    reaped: int = 0  # children whose exit the zygote reported

    def line(self) -> str:
        """One metrics line: runs=12 p50=0.021 p95=0.180 queue=0 ... child_cpu_p50=0.012."""
        times = sorted(self.seconds)

        def pct(q: float) -> float:
            return times[min(len(times) - 1, int(q * len(times)))] if times else 0.0

        cpu = sorted(self.cpu)
        cpu50 = cpu[len(cpu) // 2] if cpu else 0.0
        return (
            f"runs={self.runs} p50={pct(0.5):.3f} p95={pct(0.95):.3f} queue={self.waiting} "
            f"crashes={self.crashes} timeouts={self.timeouts} "
            f"restarts={max(0, self.zygote_starts - 1)} child_cpu_p50={cpu50:.3f}"
        )


class WorkerPool:
    """Children forked ahead by one zygote; `answer(job, limits)` runs one job in one child."""

    def __init__(self, parallel: int | None = None, spare: int | None = None):
        self.parallel = parallel or os.cpu_count() or 1
        # Children wait forked and locked: a burst of a class's edits should not wait for
        # forks. Idle ones cost little (copy-on-write pages of the zygote, no CPU).
        self.spare = spare if spare is not None else max(4, 2 * self.parallel)
        self.slots = threading.BoundedSemaphore(self.parallel)
        self.cond = threading.Condition()
        self.ready: dict[tuple[int, int], list[_Child]] = {}
        self.asked: dict[tuple[int, int], int] = {}
        self.exits: dict[int, int] = {}
        self.stats = PoolStats()
        self.status: SandboxStatus | None = None  # as the latest child reported it
        self.control: socket.socket | None = None
        self.zygote: subprocess.Popen | None = None
        self.closed = False

    # ----- the zygote ------------------------------------------------------------------

    def _ensure_zygote(self) -> None:
        """Start the zygote when there is none (or it died). Caller holds self.cond."""
        if self.zygote is not None and self.zygote.poll() is None and self.control is not None:
            return
        if self.closed:
            raise RuntimeError("the worker pool is shut down")
        if required():
            status = probe()
            if not status.complete:
                raise RuntimeError(
                    "the sandbox is required (AUTOGRAD_EXPLORER_SANDBOX=require) but "
                    + status.describe().removeprefix("sandbox: ")
                )
        self._drop_children()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {k: os.environ[k] for k in KEPT_ENV if k in os.environ}
        env.update(
            PYTHONPATH=str(ROOT),
            HOME="/nonexistent",
            OMP_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            PYTHONDONTWRITEBYTECODE="1",
            PYTHONBREAKPOINT="0",  # breakpoint() has no terminal here: it does nothing
        )
        env.setdefault("LANG", "C.UTF-8")
        self.zygote = subprocess.Popen(
            [sys.executable, "-m", "engine.worker", str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            env=env,
            cwd="/",
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl+C on the server's terminal is the server's
        )
        theirs.close()
        ours.settimeout(START_TIMEOUT)
        try:
            hello = json.loads(ours.recv(4096) or b"{}")
        except (OSError, ValueError):
            hello = {}
        if not hello.get("ready"):
            self.zygote.kill()
            ours.close()
            raise RuntimeError("the worker process did not start (see the server's log)")
        ours.settimeout(None)
        self.control = ours
        self.stats.zygote_starts += 1
        threading.Thread(target=self._listen, args=(ours,), daemon=True).start()

    def _listen(self, control: socket.socket) -> None:
        """The zygote's messages: a new child (with its pipes), or a child's exit status."""
        while True:
            try:
                data, fds, _, _ = socket.recv_fds(control, 4096, 2)
            except OSError:
                data, fds = b"", []
            if not data:
                with self.cond:
                    if self.control is control:
                        self.control = None
                    self.cond.notify_all()
                return
            message = json.loads(data)
            with self.cond:
                if "child" in message and len(fds) == 2:
                    key = (int(message["memory_mb"]), int(message["cpu"]))
                    self.asked[key] = max(0, self.asked.get(key, 0) - 1)
                    self.ready.setdefault(key, []).append(_Child(message["child"], *fds))
                elif "exit" in message:
                    self.exits[int(message["exit"])] = int(message["status"])
                    self.stats.reaped += 1
                    cpu = message.get("cpu")
                    if isinstance(cpu, (int, float)) and cpu >= 0:
                        self.stats.cpu = [*self.stats.cpu[-999:], float(cpu)]
                    if len(self.exits) > 10_000:
                        self.exits.pop(next(iter(self.exits)))
                else:
                    for fd in fds:
                        os.close(fd)
                self.cond.notify_all()

    def _drop_children(self) -> None:
        for children in self.ready.values():
            for child in children:
                _close(child.job_w, child.result_r)
        self.ready.clear()
        self.asked.clear()

    def _ask(self, key: tuple[int, int], count: int) -> None:
        if count <= 0 or self.control is None:
            return
        self.asked[key] = self.asked.get(key, 0) + count
        message = {"fork": count, "memory_mb": key[0], "cpu": key[1]}
        try:
            self.control.send(json.dumps(message).encode())
        except OSError:
            self.control = None

    def _take(self, key: tuple[int, int]) -> _Child:
        deadline = time.monotonic() + START_TIMEOUT
        with self.cond:
            while True:
                self._ensure_zygote()
                children = self.ready.setdefault(key, [])
                have = len(children) + self.asked.get(key, 0)
                if not children and have == 0:
                    self._ask(key, 1)
                if children:
                    child = children.pop(0)
                    # A run alone asks now only for what runs starting meanwhile need, and
                    # for the other spares when it is over (_top_up): a new child's fork,
                    # lock-down and warm-up (about 30 ms of CPU) took the other core during
                    # the run. With runs queued behind it, for all of them now: a burst
                    # needs each child locked down and warm by the time a slot frees.
                    self._refill(key, self.spare if self.stats.waiting else self.parallel)
                    return child
                if time.monotonic() > deadline:
                    raise RuntimeError("no worker child became ready")
                self.cond.wait(1.0)

    def _refill(self, key: tuple[int, int], want: int | None = None) -> None:
        """Ask for children until `want` (the spares) are ready or asked for. Caller holds
        self.cond."""
        have = len(self.ready.get(key, [])) + self.asked.get(key, 0)
        self._ask(key, (self.spare if want is None else want) - have)

    def _top_up(self, key: tuple[int, int]) -> None:
        """The spares a finished run leaves missing (none once the zygote is gone)."""
        with self.cond:
            self._refill(key)

    def warm(self, limits: Limits | None = None) -> None:
        """Start the zygote and fork the spare children now, not at the first run."""
        limits = limits or Limits()
        key = _key(limits)
        with self.cond:
            self._ensure_zygote()
            self._refill(key)

    def shutdown(self) -> None:
        with self.cond:
            self.closed = True
            self._drop_children()
            if self.control is not None:
                self.control.close()
                self.control = None
            if self.zygote is not None and self.zygote.poll() is None:
                self.zygote.terminate()
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.zygote.wait(5)

    # ----- one job ---------------------------------------------------------------------

    def answer(self, job: dict[str, Any], limits: Limits) -> dict[str, Any]:
        """Run one job in a fresh locked child: its validated-to-be-an-object answer.

        A crash, a timeout or garbage becomes {"failed": ErrorInfo}.
        """
        with self.cond:
            self.stats.waiting += 1
        try:
            with self.slots:
                with self.cond:
                    self.stats.waiting -= 1
                started = time.monotonic()
                try:
                    return self._answer(job, limits)
                finally:
                    self._top_up(_key(limits))
                    with self.cond:
                        self.stats.runs += 1
                        self.stats.seconds = [*self.stats.seconds[-999:],
                                              time.monotonic() - started]  # fmt: skip
        except RuntimeError as exc:  # the worker itself could not start
            return {"failed": ErrorInfo("WorkerError", str(exc))}

    def _answer(self, job: dict[str, Any], limits: Limits) -> dict[str, Any]:
        child = self._take(_key(limits))
        cap = limits.report_mb * 1024 * 1024 + 65536
        payload = json.dumps({**job, "report_bytes": cap}).encode()
        started = time.monotonic()
        data, timed_out = b"", False
        try:
            _write_all(child.job_w, JOB_HEADER.pack(len(payload)) + payload)
            data, timed_out = _read_until(child.result_r, started + limits.seconds + GRACE, cap)
        except OSError:
            pass  # the child died before it read the job: its exit says why
        finally:
            if timed_out or len(data) >= cap:
                _kill_group(child.pid)
                data += _drain(child.result_r, 0.3, 1 << 20)
            _close(child.job_w, child.result_r)
        try:
            with collector_paused():  # a big answer is many small acyclic objects
                doc = unframe(data, cap)
        except WireError:
            doc = None
        if doc is not None and not timed_out:
            if isinstance(doc.get("sandbox"), dict):
                with contextlib.suppress(ValueError):
                    self.status = SandboxStatus.from_json(doc["sandbox"])
            doc["answer_bytes"] = len(data)
            return doc
        return {"failed": self._failure(child.pid, data, timed_out, len(data) >= cap, limits)}

    def _failure(self, pid: int, data: bytes, timed_out: bool, flooded: bool,
                 limits: Limits) -> ErrorInfo:  # fmt: skip
        """One line for a child that gave no answer: where it was, and what happened."""
        text = data.decode("utf-8", "replace")
        found = _PROGRAM_LINE.findall(text)
        line = int(found[0]) if found else None  # faulthandler lists the innermost first
        with self.cond:
            if timed_out:
                self.stats.timeouts += 1
                return ErrorInfo(
                    "LimitExceeded",
                    f"run time is over the limit of {limits.seconds:g} seconds (the program "
                    "was stopped)",
                    line,
                )
            if flooded:
                return ErrorInfo(
                    "LimitExceeded",
                    f"the run's answer is over the limit of {limits.report_mb} MB",
                    line,
                )
            self.cond.wait_for(lambda: pid in self.exits, timeout=1.0)
            status = self.exits.pop(pid, None)
            self.stats.crashes += 1
        if status is not None and os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            if sig == signal.SIGXCPU:
                return ErrorInfo(
                    "LimitExceeded",
                    f"the program used more CPU time than its limit of {limits.seconds:g} "
                    "seconds allows, and was stopped",
                    line,
                )
            words = SIGNAL_WORDS.get(sig, signal.Signals(sig).name)
            return ErrorInfo("Crash", f"the program crashed PyTorch ({words})", line)
        code = os.WEXITSTATUS(status) if status is not None else None
        if "Fatal Python error" in text:
            return ErrorInfo("Crash", "the program crashed Python", line)
        return ErrorInfo(
            "WorkerError",
            "the program's worker stopped without an answer"
            + (f" (exit status {code})" if code is not None else ""),
            line,
        )


def _key(limits: Limits) -> tuple[int, int]:
    """Children differ by what their lock-down fixed: memory, and CPU seconds."""
    return int(limits.memory_mb), math.ceil(limits.seconds) + 2


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_until(fd: int, deadline: float, cap: int) -> tuple[bytes, bool]:
    """What the child writes until its answer is whole, EOF, the deadline (True) or the cap.

    A whole answer ends the read at once: waiting for EOF would wait for the child's exit,
    which tears down a torch-sized address space (about 20 ms).
    """
    parts: list[bytes] = []
    size = 0
    whole: int | None = None
    poller = select.poll()  # not select(): a busy server's descriptors pass 1,024
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    while size < cap:
        left = deadline - time.monotonic()
        if left <= 0:
            return b"".join(parts), True
        if not poller.poll(max(1, int(left * 1000))):
            continue
        chunk = os.read(fd, min(1 << 20, cap - size))
        if not chunk:
            break
        parts.append(chunk)
        size += len(chunk)
        if whole is None and size >= HEADER.size:
            head = b"".join(parts)[: HEADER.size]
            magic, length = HEADER.unpack(head)
            whole = HEADER.size + length if magic == MAGIC else -1
        if whole is not None and whole > 0 and size >= whole:
            break
    return b"".join(parts), False


def _drain(fd: int, seconds: float, cap: int) -> bytes:
    with contextlib.suppress(OSError):
        data, _ = _read_until(fd, time.monotonic() + seconds, cap)
        return data
    return b""


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _close(*fds: int) -> None:
    for fd in fds:
        with contextlib.suppress(OSError):
            os.close(fd)


# ----- the process's one pool --------------------------------------------------------------

_POOL: WorkerPool | None = None
_POOL_LOCK = threading.Lock()


def pool() -> WorkerPool:
    """This process's pool, started on first use."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = WorkerPool()
            atexit.register(_POOL.shutdown)
        return _POOL


def worker_run(
    job: dict[str, Any], source: str, limits: Limits, inputs: Mapping[str, Any] | None
) -> g.Run:
    """engine.run's sandboxed path: one job in one child, its answer checked into a Run."""
    if not isinstance(source, str):
        source = bytes(source).decode("utf-8", "replace")
    if len(source) > limits.program_chars:
        message = (
            f"program of {len(source):,} characters is over the limit of {limits.program_chars:,}"
        )
        return g.Run(ok=False, error=ErrorInfo("LimitExceeded", message))
    try:
        encoded = _encode_inputs(inputs)
    except (TypeError, ValueError) as exc:
        return g.Run(ok=False, error=ErrorInfo("ValueError", str(exc)))
    doc = pool().answer(
        {**job, "source": source, "limits": _limits_json(limits), "inputs": encoded}, limits
    )
    return _run_of(doc, limits)


def worker_numeric(source, leaves, limits: Limits, inputs, undeclared) -> dict[str, Any]:
    """Finite differences in a child: {name: nested list}; {} when anything goes wrong."""
    try:
        encoded = _encode_inputs(inputs)
    except (TypeError, ValueError):
        return {}
    job = {
        "op": "numeric",
        "source": source,
        "limits": _limits_json(limits),
        "inputs": encoded,
        "leaves": {k: [v[0], list(v[1])] for k, v in leaves.items()},
        "undeclared": list(undeclared),
    }
    doc = pool().answer(job, limits)
    found = doc.get("numeric")
    if not isinstance(found, dict):
        return {}
    out = {}
    for name, value in found.items():
        if name in leaves:
            with contextlib.suppress(WireError):
                out[name] = _checked_value(value)
    return out


def _run_of(doc: dict[str, Any], limits: Limits) -> g.Run:
    failed = doc.get("failed")
    if isinstance(failed, ErrorInfo):
        return g.Run(ok=False, error=failed)
    if isinstance(doc.get("refused"), str):
        return g.Run(ok=False, error=ErrorInfo("SandboxMissing", doc["refused"][:1000]))
    if isinstance(doc.get("too_big"), int):
        message = (
            f"the run's answer ({doc['too_big'] / 2**20:,.0f} MB) is over the limit of "
            f"{limits.report_mb} MB"
        )
        return g.Run(ok=False, error=ErrorInfo("LimitExceeded", message))
    try:
        with collector_paused():
            done = run_from_document(doc.get("run"), limits.print_chars + 1000)
        return replace(done, answer_bytes=int(doc.get("answer_bytes", 0)))
    except WireError as exc:
        return g.Run(ok=False, error=ErrorInfo("WorkerError", f"a malformed answer: {exc}"))


def _checked_value(value: Any) -> Any:
    from .wire import _value

    return _value(value, "numeric", listed=True)


def _limits_json(limits: Limits) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(limits)


def _encode_inputs(inputs: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The variables table for the wire: numbers, lists, or tensors as tagged lists."""
    if not inputs:
        return None
    import torch

    out: dict[str, Any] = {}
    for name, value in inputs.items():
        if isinstance(value, torch.Tensor):
            out[name] = {
                "__tensor__": value.detach().tolist(),
                "dtype": str(value.dtype),
                "requires_grad": bool(value.requires_grad),
            }
        elif isinstance(value, (int, float, list, tuple, bool)) or value is None:
            out[name] = value
        else:
            raise TypeError(f"variable {name}: a {type(value).__name__} cannot be sent")
    return out
