"""The worker side: a zygote that imports torch once, and the locked children it forks.

`python -m engine.worker FD` is started by engine.pool from a clean interpreter with a
minimal environment, never forked from the server. On the SOCK_SEQPACKET socket FD it
takes fork requests and hands back, for each child, the child's pid and its two pipe
ends (SCM_RIGHTS). Each child locks itself down before it reads its one job, runs it,
writes one framed JSON answer and exits. The zygote reports every child's exit status.
"""

from __future__ import annotations

import contextlib
import faulthandler
import gc
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
from typing import Any

JOB_HEADER = struct.Struct(">Q")
# The child's own ways out, taken before any program runs: a program may replace os.write
# or os._exit with its own, and its answer must still reach the server.
_WRITE = os.write
_EXIT = os._exit
MAX_JOB = 16 * 1024 * 1024
WARM_UP_MATH = "x = [1.0, 2.0]\nw = param([0.5, 1.0])\nb = param(1.0)\ny = sigmoid(w·x + b) * 2\n"
# What lesson code touches first: imports that torch makes lazily (optimizers load
# torch._dynamo, which looks for a temporary directory) happen here, before any lock.
WARM_UP = """
import torch
from torch import nn
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = (x * x).sum()
y.backward()
model = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
for opt in (torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
            torch.optim.Adam(model.parameters(), lr=0.1)):
    loss = nn.functional.mse_loss(model(x.detach()), torch.ones(1))
    opt.zero_grad()
    loss.backward()
    opt.step()
print(x.grad, nn.functional.cross_entropy(torch.randn(2, 3), torch.tensor([0, 2])))
"""


def main(argv: list[str]) -> None:
    control = socket.socket(fileno=int(argv[1]))
    _warm_up()
    # Every object so far moves out of the collector's reach: a child's collections then
    # never write to the pages it shares with the zygote (copy-on-write faults).
    gc.collect()
    gc.freeze()
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    _send(control, {"ready": True, "pid": os.getpid()})
    watched: list[socket.socket | int] = [control, wake_r]
    while True:
        readable, _, _ = select.select(watched, [], [])
        if wake_r in readable:
            os.read(wake_r, 512)
            _reap(control)
        if control in readable:
            try:
                data = control.recv(4096)
            except OSError:
                data = b""
            if not data:
                os._exit(0)  # the server is gone; its children see EOF on their job pipes
            request = json.loads(data)
            for _ in range(int(request.get("fork", 0))):
                _fork_child(control, request)


def _warm_up() -> None:
    """Import torch and the engine, and run one program: no child pays for it again."""
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    import torch

    torch.set_num_threads(1)  # one intra-op thread: bit-identical floats, nothing to fork
    torch.set_num_interop_threads(1)
    import tempfile

    tempfile.gettempdir()  # found now: a locked child can look for it no more
    import numpy  # noqa: F401 - lesson code imports it; load it once, before any lock
    import torch.autograd.functional
    import torch.nn.functional
    import torch.optim

    from . import sandbox, wire  # noqa: F401
    from .limits import Limits
    from .run import run_here

    run_here(WARM_UP, Limits())
    # ... and the math style with the explorer's own pass, the card's model (the first
    # program most people run): its caches are then warm in every child.
    run_here(WARM_UP_MATH, Limits())
    # The child builds its filter with it after the fork; importing it runs ldconfig.
    with contextlib.suppress(Exception):  # a missing one is reported by the child's status
        import pyseccomp  # noqa: F401


def _fork_child(control: socket.socket, request: dict) -> None:
    job_r, job_w = os.pipe()
    result_r, result_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            _child(job_r, result_w, request, keep={job_r, result_w})
        finally:
            os._exit(70)
    os.close(job_r)
    os.close(result_w)
    message = {"child": pid, "memory_mb": request.get("memory_mb"), "cpu": request.get("cpu")}
    socket.send_fds(control, [json.dumps(message).encode()], [job_w, result_r])
    os.close(job_w)
    os.close(result_r)


def _reap(control: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(control, {"exit": pid, "status": status})


def _send(control: socket.socket, message: dict) -> None:
    try:
        control.send(json.dumps(message).encode())
    except OSError:
        os._exit(0)


# ----- the child --------------------------------------------------------------------------


def _child(job_r: int, result_w: int, request: dict, keep: set[int]) -> None:
    """Lock down, read one job, answer it, exit. Never returns."""
    signal.set_wakeup_fd(-1)
    for sig in (signal.SIGCHLD, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_DFL)
    os.setsid()  # its own process group: the parent kills the whole group at the limit
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    _close_all_but(keep)
    # A crash (segfault, SIGFPE, abort) leaves its Python traceback on the result pipe:
    # the parent names the program's line from it.
    faulthandler.enable(file=result_w, all_threads=True)
    from .sandbox import Confinement, default_read_paths, lock_down, required

    memory = _address_space() + int(request.get("memory_mb", 1000)) * 1024 * 1024
    status = lock_down(
        Confinement(
            memory_bytes=memory,
            cpu_seconds=int(request.get("cpu", 10)),
            read_paths=default_read_paths(),
        )
    )
    job = _read_job(job_r)
    if job is None:
        _EXIT(0)
    from . import wire

    if required() and not status.complete:
        answer: dict[str, Any] = {
            "refused": "the sandbox is required (AUTOGRAD_EXPLORER_SANDBOX=require) but "
            + status.describe().removeprefix("sandbox: ")
        }
    else:
        answer = _answer(job, result_w)
    answer["sandbox"] = status.to_json()
    data = wire.frame(answer)
    if len(data) > int(job.get("report_bytes", 64 << 20)):
        data = wire.frame({"too_big": len(data), "sandbox": status.to_json()})
    view = memoryview(data)
    while view:
        written = _WRITE(result_w, view)
        view = view[written:]
    _EXIT(0)


def _answer(job: dict, result_w: int) -> dict[str, Any]:
    from . import wire
    from .limits import Limits
    from .run import numeric_here, run_here

    limits = Limits(**job["limits"])
    inputs = _inputs(job.get("inputs"))
    seconds = limits.seconds
    # A Python-level stop at the limit gives a clean message with the line; a C call that
    # never returns is killed by the parent a moment later, after faulthandler's dump.
    signal.signal(signal.SIGALRM, _timeout)
    signal.setitimer(signal.ITIMER_REAL, max(0.05, seconds - 0.1))
    faulthandler.dump_traceback_later(seconds + 0.3, exit=False, file=result_w)
    try:
        if job["op"] == "numeric":
            leaves = {k: (int(v[0]), tuple(v[1])) for k, v in job["leaves"].items()}
            found = numeric_here(
                job["source"], leaves, limits, inputs, tuple(job.get("undeclared", ()))
            )
            return {"numeric": found}
        done = run_here(job["source"], limits, inputs=inputs, numeric=bool(job.get("numeric")))
        signal.setitimer(signal.ITIMER_REAL, 0)
        return {"run": wire.run_document(done)}
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def _timeout(*_: Any) -> None:
    signal.setitimer(signal.ITIMER_REAL, 0)
    from .errors import RunTimeout

    raise RunTimeout


def _inputs(doc: Any) -> dict[str, Any] | None:
    if not doc:
        return None
    import torch

    out: dict[str, Any] = {}
    for name, value in doc.items():
        if isinstance(value, dict) and "__tensor__" in value:
            dtype = getattr(torch, str(value.get("dtype", "float32")).removeprefix("torch."))
            out[name] = torch.tensor(
                value["__tensor__"], dtype=dtype, requires_grad=bool(value.get("requires_grad"))
            )
        else:
            out[name] = value
    return out


def _read_job(fd: int) -> dict | None:
    head = _read_exactly(fd, JOB_HEADER.size)
    if head is None:
        return None
    (size,) = JOB_HEADER.unpack(head)
    if size > MAX_JOB:
        return None
    body = _read_exactly(fd, size)
    return None if body is None else json.loads(body)


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        parts.append(chunk)
        left -= len(chunk)
    return b"".join(parts)


def _close_all_but(keep: set[int]) -> None:
    """Close every inherited descriptor (the control socket, other children's pipes)."""
    try:
        fds = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        fds = list(range(3, resource.getrlimit(resource.RLIMIT_NOFILE)[0]))
    for fd in fds:
        if fd > 2 and fd not in keep:
            with contextlib.suppress(OSError):
                os.close(fd)


def _address_space() -> int:
    """The child's virtual size now (the zygote's, shared copy-on-write), in bytes."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 4 << 30


if __name__ == "__main__":
    main(sys.argv)
