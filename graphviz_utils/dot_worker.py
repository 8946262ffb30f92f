"""A small pool of long-lived `dot -Tsvg` processes: SVG layouts without dot's start-up.

Starting dot costs ~14 ms; a running dot lays out a small graph in ~1 ms. A pooled process
reads graph after graph on stdin and writes one SVG document for each to stdout.

The pool only carries graphs to dot and back. `DotPool.svg` returns the SVG, or None when
the caller should run dot once instead (no dot, a source the pool does not take, a process
that died or wrote something unexpected, every process busy), or raises DotTimeout.
`layout.layout_svg` turns these into its one-shot run and its LayoutError messages.
"""

from __future__ import annotations

import atexit
import os
import re
import secrets
import select
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass

MAX_WORKERS = 2  # the machine has 2 cores: a third dot would only queue for them
RECYCLE_AFTER = 200  # graphs a process lays out before it is replaced (dot may leak)
READ_SIZE = 1 << 16

# dot keeps a little state from one graph to the next in one process (Graphviz 2.43). Where
# it would show in the SVG the graph goes to a one-shot run, so pooled output is always
# byte-identical to a fresh dot's:
# - an anonymous graph is named by a process-wide counter (%3, then %7, ...): the pool
#   takes only named graphs;
# - a `layout` attribute switches the engine for every later graph: the pool takes no
#   source with the word in it;
# - gradient fills and linked HTML cells take ids from process-wide counters (seen in the
#   output: they are hard to spot in the source);
# - the root <g> id takes the page prefix the graph before ended on ("page0,1_"):
#   _without_stale_page takes it off, and any left elsewhere sends the graph to one run.
_NAMED_GRAPH = re.compile(
    r"""\s* (?i: (?:strict\s+)? (?:di)?graph ) \s*
        (?: "(?:[^"\\]|\\.)*" | [^\W\d]\w* | -?(?:\.\d+|\d+\.?\d*) )  # quoted, plain or numeral
        \s* \{""",
    re.X,
)
_COUNTED_IDS = re.compile(rb'Gradient id="|<g id="a_[^"]*_\d+"|page0,1_')
_STALE_PAGE = b'<g id="page0,1_'


def _without_stale_page(svg: bytes) -> bytes:
    """The SVG without the stale page prefix on the root group (the first <g> of dot's SVG)."""
    root = svg.find(b'<g id="')
    if svg.startswith(_STALE_PAGE, root):
        return svg[:root] + b'<g id="' + svg[root + len(_STALE_PAGE) :]
    return svg


class DotTimeout(Exception):
    """dot did not finish before the deadline; its process has been killed."""


@dataclass(frozen=True)
class PoolStats:
    """A snapshot of a pool, for tests and benchmarks."""

    started: int  # processes started since the pool was made
    graphs: int  # graphs laid out by pooled processes
    idle: tuple[int, ...]  # pids of the processes waiting for a graph
    busy: int  # processes laying out a graph right now


def poolable(source: str) -> bool:
    """Whether a pooled dot prints exactly what a one-shot dot prints for this source."""
    return _NAMED_GRAPH.match(source) is not None and "layout" not in source


class _Worker:
    """One running `dot -Tsvg`, used by one caller at a time (the pool hands it out)."""

    def __init__(self, exe: str) -> None:
        # stderr to DEVNULL: dot writes warnings there and a pipe nobody reads would fill
        # and stall it. A failed graph is run again one-shot to get dot's message.
        self.proc = subprocess.Popen(
            [exe, "-Tsvg"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None  # both are PIPE
        self.stdin, self.stdout = self.proc.stdin, self.proc.stdout
        self.exe = exe
        self.pid = self.proc.pid
        self.graphs = 0
        self._in = self.stdin.fileno()
        self._out = self.stdout.fileno()
        # Non-blocking both ways, driven by poll against a deadline: a write of a big graph
        # to a stuck dot must time out too, and poll has no 1024-fd limit as select has.
        os.set_blocking(self._in, False)
        os.set_blocking(self._out, False)

    def alive(self) -> bool:
        """Whether the process still runs."""
        return self.proc.poll() is None  # poll also reaps a process that died while idle

    def exchange(self, request: bytes, marker: bytes, deadline: float) -> bytes | None:
        """Write the request, read until the end graph's SVG (it contains marker).

        Returns everything dot wrote before that last document, or None if dot exited.
        """
        poller = select.poll()
        poller.register(self._out, select.POLLIN)
        poller.register(self._in, select.POLLOUT)
        pending = memoryview(request)
        out = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise DotTimeout
            for fd, _ in poller.poll(left * 1000):  # ms, rounded up
                try:
                    if fd == self._in:
                        pending = pending[os.write(self._in, pending) :]
                        if not pending:
                            poller.unregister(self._in)
                        continue
                    chunk = os.read(self._out, READ_SIZE)
                except BlockingIOError:  # woken without room or data after all: poll again
                    continue
                except BrokenPipeError:  # dot exited
                    return None
                if not chunk:
                    return None
                out += chunk
                # SVG escapes text, so `</svg>` ends a document and never sits in a label.
                if out[-16:].rstrip().endswith(b"</svg>"):
                    last = out.rfind(b"<?xml")
                    if out.find(marker, last) != -1:
                        return bytes(out[:last])

    def kill(self) -> None:
        """Stop the process and reap it (no zombie); the pipes stay open for their owner."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()

    def close(self) -> None:
        """Stop the process and close its pipes: only by the worker's user, or when idle."""
        self.kill()
        self.stdin.close()
        self.stdout.close()


class DotPool:
    """At most `size` long-lived dot processes, each serving one caller at a time.

    Thread-safe: Streamlit serves every session from its own thread. A caller takes an
    idle process or starts one; when `size` are busy it gets None and runs dot once,
    which costs what it always did, instead of waiting behind a long layout.
    """

    def __init__(self, size: int = MAX_WORKERS, recycle_after: int = RECYCLE_AFTER) -> None:
        self._size = size
        self._recycle_after = recycle_after
        self._lock = threading.Lock()
        self._idle: list[_Worker] = []
        self._live: set[_Worker] = set()  # idle and busy
        self._starting = 0  # slots taken by processes being started outside the lock
        self._started = 0
        self._graphs = 0
        self._closed = False
        # An end graph after each request: its SVG marks where the answer ends, even when
        # dot printed nothing for a graph (a failed layout) or several (two graphs in one
        # source). The random name keeps a label from imitating it.
        name = f"dot_worker_end_{secrets.token_hex(8)}"
        self._end = f"\ndigraph {name} {{}}\n".encode()
        self._marker = f"<title>{name}</title>".encode()

    def svg(self, source: str, timeout: float) -> bytes | None:
        """dot's SVG of one graph, or None: run dot once instead. Raises DotTimeout."""
        # Looked up each call (~20 µs), as a one-shot run would: PATH may change under us.
        exe = shutil.which("dot")
        if exe is None or not poolable(source):
            return None
        worker = self._take(exe)
        if worker is None:
            return None
        deadline = time.monotonic() + timeout
        svg = None
        try:
            svg = worker.exchange(source.encode() + self._end, self._marker, deadline)
            # Exactly one document, or the process is out of step with its requests.
            if svg is not None and not (svg.startswith(b"<?xml") and svg.count(b"</svg>") == 1):
                svg = None
        finally:
            self._give_back(worker, ok=svg is not None)
        if svg is None:
            return None
        svg = _without_stale_page(svg)
        return None if _COUNTED_IDS.search(svg) else svg

    def stats(self) -> PoolStats:
        with self._lock:
            idle = tuple(w.pid for w in self._idle)
            return PoolStats(self._started, self._graphs, idle, len(self._live) - len(idle))

    def shutdown(self) -> None:
        """Stop every process and start no more (later calls get None: run dot once)."""
        with self._lock:
            self._closed = True
            idle, busy = self._idle, self._live.difference(self._idle)
            self._idle, self._live = [], set()
        for worker in idle:
            worker.close()
        for worker in busy:  # their callers see dot exit, and close the pipes they use
            worker.kill()

    def _take(self, exe: str) -> _Worker | None:
        worker: _Worker | None
        with self._lock:
            if self._closed:
                return None
            while self._idle:
                worker = self._idle.pop()
                if worker.alive() and worker.exe == exe:
                    return worker
                # Killed or crashed while idle, or another dot now: replaced below.
                self._live.discard(worker)
                worker.close()
            if len(self._live) + self._starting >= self._size:
                return None
            self._starting += 1
        try:
            worker = _Worker(exe)
        except OSError:
            worker = None
        with self._lock:
            self._starting -= 1
            if worker is not None and not self._closed:
                self._started += 1
                self._live.add(worker)
                return worker
        if worker is not None:
            worker.close()
        return None

    def _give_back(self, worker: _Worker, ok: bool) -> None:
        worker.graphs += 1
        with self._lock:
            self._graphs += ok
            keep = ok and worker in self._live and worker.graphs < self._recycle_after
            if keep:
                self._idle.append(worker)
                return
            self._live.discard(worker)
        # A process that timed out, died or wrote something unexpected is never reused.
        worker.close()

    def _forget(self) -> None:
        """In a forked child: the processes belong to the parent, so let go of them."""
        for worker in self._live:
            worker.stdin.close()  # the child's copies: the parent's dot still sees EOF
            worker.stdout.close()
        self._lock = threading.Lock()
        self._idle, self._live, self._starting = [], set(), 0


POOL = DotPool()
atexit.register(POOL.shutdown)
# A forked child sharing the parent's processes would read answers meant for the parent.
os.register_at_fork(after_in_child=POOL._forget)


def svg(source: str, timeout: float) -> bytes | None:
    """The shared pool's SVG of one graph, or None: run dot once. Raises DotTimeout."""
    return POOL.svg(source, timeout)
