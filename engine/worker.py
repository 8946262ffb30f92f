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
# What a lesson's training loop runs, run once when the zygote is first idle. A child pays
# again for every first time its zygote never had (torch's Python caches, CPython's
# specialised bytecode, copy-on-write pages): the first run of a lesson loop in a process
# took 1.4x the CPU of its later runs. Forked after this warm-up, children of a zygote
# replica ran 6 of 8 corpus loops with 5 to 30 % less CPU. Not before "ready": the first
# graph of a fresh server does not wait for it.
WARM_UP_LOOP = """
import math
import torch
from torch import nn
import torch.nn.functional as F

class Square(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x.clamp(min=0) * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2 * x.clamp(min=0)

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        h = torch.relu(self.fc1(x))
        return self.fc2(torch.sigmoid(h) + torch.tanh(h))

x = torch.randn(8, 3)
t = torch.randint(0, 2, (8,))
model = Net()
opts = [torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9),
        torch.optim.Adam(model.parameters(), lr=1e-3),
        torch.optim.RMSprop(model.parameters(), lr=1e-3)]
sched = torch.optim.lr_scheduler.StepLR(opts[0], step_size=5, gamma=0.5)
w = torch.randn(3, 1, requires_grad=True)
b = torch.zeros(1, requires_grad=True)
for i in range(24):
    opt = opts[i % 3]
    opt.zero_grad()
    out = model(x)
    loss = F.cross_entropy(out, t) + F.mse_loss(out.softmax(1), F.one_hot(t, 2).float())
    loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    if i % 3 == 0:
        sched.step()
    y = Square.apply(x.mm(w) + b).pow(2).mean() + (x @ w).exp().log1p().sum() * 1e-3
    y = y + torch.sin(w).cos().abs().sqrt().sum() + w.t().reshape(-1)[0:2].clone().sum()
    y.backward()
    with torch.no_grad():
        w -= 0.01 * w.grad
        b -= 0.01 * b.grad
        w.grad.zero_()
        b.grad = None
    p = torch.sigmoid(x.mm(w).squeeze(1) + b)
    bce = F.binary_cross_entropy(p, (t == 1).float()) * math.sqrt(i + 1)
print(loss.item(), y.item(), bce.item())
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
    warmed = False
    while True:
        # Until the loop warm-up is done, wait briefly: it runs at the first idle moment.
        readable, _, _ = select.select(watched, [], [], None if warmed else 0.05)
        if not readable and not warmed:
            _warm_up_loop()
            warmed = True
            continue
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


def _warm_up_loop() -> None:
    from .limits import Limits
    from .run import run_here

    run_here(WARM_UP_LOOP, Limits())
    gc.collect()
    gc.freeze()  # its leftovers too: out of a child's collections, as after _warm_up


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
            pid, status, usage = os.wait4(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        # Its CPU seconds: an operator's measure of a run's work that load does not inflate.
        _send(control, {"exit": pid, "status": status, "cpu": usage.ru_utime + usage.ru_stime})


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
    _settle_in(job_r)
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
    from .collector import collector_paused
    from .limits import Limits
    from .run import numeric_here, run_here
    from .values import collecting_bytes

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
        with collecting_bytes():  # the answer's arrays straight from the tensors' memory
            done = run_here(job["source"], limits, inputs=inputs, numeric=bool(job.get("numeric")))
            signal.setitimer(signal.ITIMER_REAL, 0)
            with collector_paused():
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


def _settle_in(job_r: int) -> None:
    """While no job waits: run the card's model once, as the zygote did before the fork.

    A fresh child shares its pages with the zygote, and a run's first writes to them (every
    object a run touches has its reference count written) copy them one by one: about 900
    page faults, 4 ms of the card's 8 ms in a child. Taken here, they are off the request's
    path. The program is the app's own and changes nothing a job can see: the zygote ran it
    too, and each run seeds the generator itself.
    """
    waiting, _, _ = select.select([job_r], [], [], 0)
    if waiting:
        return  # a busy pool: the job goes first
    from .limits import Limits
    from .run import run_here

    run_here(WARM_UP_MATH, Limits())


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
