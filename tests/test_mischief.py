"""The adversarial corpus: what a clever student tries, against the locked worker child.

Programs run as real Python in a worker child (engine.pool, engine.worker, engine.sandbox).
Each case must end within its limit plus a second, fail with ONE line (naming the line when
one is knowable), leave the server (this process) untouched, write no file, read no secret,
open no connection, and leave the next run exactly as a fresh process would give it.

The corpus runs once per module (only the selected cases), two runs at a time as the pool
allows, in a pool started after a canary variable is set in this process's environment.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch

import engine
import engine.pool as engine_pool

ROOT = Path(__file__).resolve().parent.parent
FAST = engine.Limits(seconds=2)  # for anything that hangs: the kill comes at 2.8 s
DEFAULT = engine.Limits()
PREFIX = "ae-mischief-"  # every file a program of the corpus tries to write starts so

# Exact messages of the engine (engine/execute.py blocked_message and _error_info,
# engine/pool.py _failure).
PROCESSES = "starting other programs or processes is blocked here"
NETWORK = "network access is blocked here"
SIGNALS = "signalling other processes is blocked here"
SANDBOX = "this operation is blocked here (the program runs in a sandbox)"
SEGFAULT = "the program crashed PyTorch (segmentation fault)"
ABORT = "the program crashed PyTorch (abort)"
OOM = "out of memory (the limit is 1,000 MB)"
TIMEOUT = "run time is over the limit of 2 seconds"  # the child's own timer
STOPPED = TIMEOUT + " (the program was stopped)"  # the parent's kill


def files(path: str) -> str:
    return f"{path!r}: reading or writing files outside Python's own is blocked here"


@dataclass(frozen=True)
class Case:
    """One program; what must stop it (type, exact message or a piece of it) and where.

    kinds None: the program may run to its end (poisoning only itself); then `stdout`,
    when given, is what it prints. Sources use @NAME@ placeholders (see Context.fill).
    """

    group: str
    name: str
    source: str
    kinds: tuple[str, ...] | None
    message: str | tuple[str, ...] | None = None  # exact; a tuple: one of these
    says: str = ""
    line: int | tuple[int | None, ...] | None = None  # a tuple: one of these
    limits: engine.Limits = DEFAULT
    stdout: str | None = None
    connects: bool = False  # gets a loopback listener of its own, at @PORT@

    @property
    def id(self) -> str:
        return f"{self.group}-{self.name}"

    @property
    def writes(self) -> str:
        """The one file name this case may try to create (anywhere)."""
        return f"{PREFIX}{self.name}"


def case(group, name, source, kinds, message=None, line=None, **kw) -> Case:
    if isinstance(kinds, str):
        kinds = (kinds,)
    return Case(group, name, source, kinds, message, line=line, **kw)


T = "import torch\n"
LIBC = "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
FRAME = "import os, json, struct\nfor fd in range(3, 21):\n    try:\n        os.write(fd, {})\n"
FRAME_END = "    except OSError:\n        pass\n"

# fmt: off
CORPUS = [
    # ----- crashes: signals from C, reported as one line with the program's line -----
    # A fused Adam step with a 1-element state writes past the end of the heap block: it
    # segfaults at opt.step(), or glibc aborts later, when the broken heap is next used
    # (then the program's frame may be gone). SGD's momentum buffer segfaults every time.
    case("crash", "adam-fused-planted-state",
         T + "p = torch.nn.Parameter(torch.ones(1000))\nopt = torch.optim.Adam([p], fused=True)\n"
         "p.grad = torch.ones(1000)\nopt.state[p] = {'step': torch.tensor(0.0), "
         "'exp_avg': torch.zeros(1), 'exp_avg_sq': torch.zeros(1)}\nopt.step()\n",
         "Crash", (SEGFAULT, ABORT), (6, None)),
    case("crash", "adamw-fused-planted-state",
         T + "p = torch.nn.Parameter(torch.ones(10**6))\nopt = torch.optim.AdamW([p], fused=True)\n"
         "p.grad = torch.ones(10**6)\nopt.state[p] = {'step': torch.tensor(0.0), "
         "'exp_avg': torch.zeros(1), 'exp_avg_sq': torch.zeros(1)}\nopt.step()\n",
         "Crash", (SEGFAULT, ABORT), (6, None)),
    case("crash", "sgd-fused-momentum-buffer",
         T + "p = torch.nn.Parameter(torch.ones(10**6))\n"
         "opt = torch.optim.SGD([p], lr=0.1, momentum=0.9, fused=True)\n"
         "p.grad = torch.ones(10**6)\nopt.state[p] = {'momentum_buffer': torch.zeros(1)}\n"
         "opt.step()\n",
         "Crash", SEGFAULT, 6),
    case("crash", "ctypes-string-at-0", "import ctypes\nctypes.string_at(0)\n", "Crash",
         SEGFAULT, 2),
    case("crash", "sigfpe-int64-min-div-minus-one",
         T + "z = torch.div(torch.tensor(-2**63), torch.tensor(-1), rounding_mode='trunc')\n",
         "Crash", "the program crashed PyTorch (floating-point exception)", 2),
    case("crash", "hash-400000-deep-tuple",
         "t = ()\nfor i in range(400000):\n    t = (t,)\nhash(t)\n", "Crash", SEGFAULT, 4),
    # torch.ones([1]*100000) itself runs in torch 2.13; it is tolist() of its 100,000 dims
    # that segfaults (next case). Here that is the engine's own report of x, after the
    # program ended: not the program's crash. The wire refuses over 64 dims anyway.
    case("crash", "ones-100000-dims", T + "x = torch.ones([1] * 100000)\n", None),
    case("crash", "ones-100000-dims-tolist",
         T + "x = torch.ones([1] * 100000)\ny = x.tolist()\n", "Crash", SEGFAULT, 3),
    case("crash", "os-abort", "import os\nos.abort()\n", "Crash", ABORT, 2),
    case("crash", "pthread-kill-self-sigsegv",
         "import signal, threading\nsignal.pthread_kill(threading.main_thread().ident, "
         "signal.SIGSEGV)\n", "Crash", SEGFAULT, 2),
    # SIGKILL sent by the program to itself is not a CPU or memory limit.
    case("crash", "kill-self-sigkill", "import os\nos.kill(os.getpid(), 9)\n", "Crash",
         "the program crashed PyTorch (killed)"),
    # ----- freezes, most of them inside one C call that holds the GIL -----
    case("freeze", "float-in-huge-range", "x = 0.5 in range(10**18)\n",
         "LimitExceeded", STOPPED, 1, limits=FAST),
    case("freeze", "compare-shared-sublists",
         "a = [0]\nb = [0]\nfor i in range(40):\n    a = [a, a]\n    b = [b, b]\nprint(a == b)\n",
         "LimitExceeded", says=TIMEOUT, line=6, limits=FAST),
    case("freeze", "hash-shared-subtuples",
         "t = (0,)\nfor i in range(40):\n    t = (t, t)\nprint(hash(t))\n",
         "LimitExceeded", says=TIMEOUT, line=4, limits=FAST),
    case("freeze", "tensor-of-huge-range", T + "x = torch.tensor([range(10**18)])\n",
         "LimitExceeded", STOPPED, 2, limits=FAST),
    case("freeze", "index-with-200000-nones",
         T + "x = torch.ones(1)\ny = x[(None,) * 200000]\n",
         "LimitExceeded", STOPPED, 3, limits=FAST),
    case("freeze", "while-true", "while True:\n    pass\n", "LimitExceeded", TIMEOUT, 1,
         limits=FAST),
    case("freeze", "sleep-100", "import time\ntime.sleep(100)\n", "LimitExceeded", TIMEOUT, 2,
         limits=FAST),
    case("freeze", "lock-deadlock", "import threading\nl = threading.Lock()\nl.acquire()\n"
         "l.acquire()\n", "LimitExceeded", TIMEOUT, 4, limits=FAST),
    case("freeze", "select-100", "import select\nselect.select([], [], [], 100)\n",
         "LimitExceeded", TIMEOUT, 2, limits=FAST),
    case("freeze", "swallow-the-timeout",
         "while True:\n    try:\n        while True:\n            pass\n"
         "    except BaseException:\n        pass\n",
         # wherever the kill finds it: the inner loop, or the handler it swallowed in
         "LimitExceeded", says=TIMEOUT, line=(3, 4, 5, 6), limits=FAST),
    # (`try: while True: pass` has no handler in 3.11's bytecode: its finally never runs.)
    case("freeze", "loop-in-finally", "i = 0\ntry:\n    while True:\n        i += 1\n"
         "finally:\n    while True: i -= 1\n", "LimitExceeded", STOPPED, 6, limits=FAST),
    case("freeze", "ignore-sigalrm", "import signal\nsignal.signal(signal.SIGALRM, "
         "signal.SIG_IGN)\nwhile True: pass\n", "LimitExceeded", STOPPED, 3, limits=FAST),
    case("freeze", "cancel-the-timer", "import signal\nsignal.setitimer(signal.ITIMER_REAL, 0)\n"
         "while True: pass\n", "LimitExceeded", STOPPED, 3, limits=FAST),
    case("freeze", "exponent-tower", "x = 2**2**2**2**2**2\n", "LimitExceeded", says=TIMEOUT,
         line=1, limits=FAST),
    case("freeze", "pow-modular-huge", "a = 7**30000\nb = pow(a, a, a + 2)\n", "LimitExceeded",
         says=TIMEOUT, line=2, limits=FAST),
    case("freeze", "exponential-print", "a = [1]\nfor i in range(60):\n    a = [a, a]\nprint(a)\n",
         "LimitExceeded", says=TIMEOUT, line=4, limits=FAST),
    case("freeze", "spinning-thread-outlives-the-program",
         "import threading\ndef spin():\n    while True:\n        pass\n"
         "threading.Thread(target=spin).start()\nprint('main done')\n",
         None, stdout="main done\n", limits=FAST),
    # ----- memory bombs inside one statement -----
    case("memory", "bytearray-10-gb", "b = bytearray(10**10)\n", "MemoryError", OOM, 1),
    case("memory", "torch-empty-10-g", T + "t = torch.empty(10**10)\n", "MemoryError", OOM, 2),
    case("memory", "list-times-10-g", "a = [0] * 10**10\n", "MemoryError", OOM, 1),
    case("memory", "str-times-10-g", "s = 'x' * 10**10\n", "MemoryError", OOM, 1),
    case("memory", "sort-key-blowup",
         "a = list(range(10**4))\na.sort(key=lambda v: bytes(10**6))\n", "MemoryError", OOM, 2),
    case("memory", "print-star-huge-range", "print(*range(10**8), sep='x' * 1000)\n",
         ("MemoryError", "LimitExceeded"), line=1),
    case("memory", "150-tolists-of-a-big-tensor",
         T + "x = torch.ones(10**6)\na = [x.tolist() for i in range(150)]\n",
         ("MemoryError", "LimitExceeded"), line=3),  # on a busy machine, the 5 s come first
    case("memory", "string-doubling", "s = 'a'\nfor i in range(100):\n    s = s + s\n",
         "MemoryError", OOM, 3),
    case("memory", "thread-bomb", "import threading, time\nts = []\nfor i in range(10**5):\n"
         "    t = threading.Thread(target=time.sleep, args=(100,), daemon=True)\n    t.start()\n"
         "    ts.append(t)\n", "RuntimeError", "can't start new thread", 5),
    case("memory", "print-flood", "for i in range(10**6):\n    print('x' * 100)\n",
         "LimitExceeded", "printed output is over the limit of 100,000 characters", 2),
    case("memory", "print-limit-of-100",
         "for i in range(100):\n    print('xxxxxxxxxx')\n", "LimitExceeded",
         "printed output is over the limit of 100 characters", 2,
         limits=engine.Limits(print_chars=100)),
    case("memory", "huge-graph", T + "x = torch.ones(1, requires_grad=True)\ny = x\n"
         f"for i in range({engine.Limits().graph_nodes + 10}):\n    y = y * 1.0001\n",
         "LimitExceeded",
         f"the graph has more than {engine.Limits().graph_nodes:,} nodes (the graph_nodes limit)"),
    case("memory", "program-over-20000-chars", "x = 1\n" * 4000, "LimitExceeded",
         "program of 24,000 characters is over the limit of 20,000"),
    case("memory", "nested-too-deeply-to-compile", "x = " + "-" * 19000 + "1\n",
         "LimitExceeded", "the program is nested too deeply to compile"),
    # ----- leaks that would outlive a run in a shared process -----
    case("leak", "create-graph-cycles", T + "x = torch.ones(3, requires_grad=True)\n"
         "for i in range(50):\n    y = (x ** 3).sum()\n    y.backward(create_graph=True)\n"
         "print(x.grad.requires_grad)\n", None, stdout="True\n"),
    case("leak", "in-place-on-a-saved-non-leaf", T + "x = torch.ones(3, requires_grad=True)\n"
         "y = x * 2\nz = y * y\ny.add_(1)\nz.sum().backward()\n", "RuntimeError",
         says="a tensor this graph saved for backward was changed in place afterwards", line=6),
    case("leak", "global-module-forward-hook", T + "h = torch.nn.modules.module."
         "register_module_forward_hook(lambda m, i, o: o * 0)\n"
         "print(torch.nn.Linear(2, 1)(torch.ones(2)).item())\n", None, stdout="-0.0\n"),
    case("leak", "global-settings", T + "import sys\ntorch.autograd.set_detect_anomaly(True)\n"
         "torch.use_deterministic_algorithms(True)\ntorch.set_num_threads(3)\n"
         "sys.setrecursionlimit(60)\ntorch.manual_seed(12345)\n"
         "x = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\n", None),
    case("leak", "uncollectable-cycles-gc-off", "import gc\ngc.disable()\n"
         "for i in range(10000):\n    a = []\n    a.append(a)\nx = 1\n", None),
    case("leak", "atexit-handler", "import atexit\natexit.register(print, 'bye')\nx = 1\n", None,
         stdout=""),
    # ----- the operating system: processes -----
    case("os", "fork", "import os\npid = os.fork()\n", "PermissionError", PROCESSES, 2),
    case("os", "execv", "import os\nos.execv('/bin/sh', ['sh', '-c', 'touch /tmp/@WRITES@'])\n",
         "PermissionError", PROCESSES, 2),
    case("os", "subprocess-run", "import subprocess\nsubprocess.run(['touch', '/tmp/@WRITES@'])\n",
         "PermissionError", PROCESSES, 2),
    case("os", "os-system", "import os\nstatus = os.system('touch /tmp/@WRITES@')\n"
         "assert status == 0, f'os.system returned {status}'\n", "AssertionError",
         "os.system returned 32512", 3),
    case("os", "posix-spawn", "import os\nos.posix_spawn('/bin/touch', "
         "['touch', '/tmp/@WRITES@'], {})\n", "PermissionError", PROCESSES, 2),
    case("os", "multiprocessing", "import torch.multiprocessing as mp\n"
         "p = mp.Process(target=print)\np.start()\n", "PermissionError", SANDBOX, 3),
    # ----- the operating system: network -----
    case("os", "socket", "import socket\ns = socket.socket()\n", "PermissionError", NETWORK, 2),
    case("os", "unix-socket", "import socket\ns = socket.socket(socket.AF_UNIX)\n",
         "PermissionError", NETWORK, 2),
    case("os", "create-connection-to-loopback",
         "import socket\ns = socket.create_connection(('127.0.0.1', @PORT@))\n",
         "PermissionError", NETWORK, 2, connects=True),
    case("os", "urlopen-loopback", "import urllib.request\n"
         "urllib.request.urlopen('http://127.0.0.1:@PORT@/')\n", "URLError",
         "<urlopen error [Errno 1] Operation not permitted>", 2, connects=True),
    case("os", "torch-hub-load", T + "m = torch.hub.load('pytorch/vision', 'resnet18')\n",
         "PermissionError", files("/nonexistent"), 2),
    # ----- the operating system: writing files -----
    case("os", "open-tmp-for-writing", "f = open('/tmp/@WRITES@', 'w')\n", "PermissionError",
         files("/tmp/" + PREFIX + "open-tmp-for-writing"), 1),
    case("os", "open-cwd-for-writing", "f = open('@WRITES@', 'w')\n", "PermissionError",
         files(PREFIX + "open-cwd-for-writing"), 1),
    case("os", "open-watched-dir-for-writing", "f = open('@WATCH@/@WRITES@', 'w')\n",
         "PermissionError", says="reading or writing files outside Python's own is blocked",
         line=1),
    case("os", "write-in-path-home", "import pathlib\n(pathlib.Path.home() / '@WRITES@')"
         ".write_text('x')\n", "FileNotFoundError", line=2),
    case("os", "write-in-the-servers-home", "open('@HOME@/@WRITES@', 'w')\n",
         "PermissionError", says="reading or writing files outside Python's own is blocked",
         line=1),
    case("os", "write-in-the-checkout", "open('@ROOT@/@WRITES@', 'w')\n", "PermissionError",
         says="reading or writing files outside Python's own is blocked", line=1),
    case("os", "write-beside-the-engine", "import os, engine\nopen(os.path.join(os.path.dirname("
         "engine.__file__), '@WRITES@.py'), 'w')\n", "PermissionError",
         says="reading or writing files outside Python's own is blocked", line=2),
    case("os", "torch-save", T + "torch.save(torch.ones(1), '/tmp/@WRITES@')\n", "RuntimeError",
         says="Permission denied", line=2),
    case("os", "mkdir", "import os\nos.mkdir('/tmp/@WRITES@')\n", "PermissionError",
         files("/tmp/" + PREFIX + "mkdir"), 2),
    case("os", "symlink", "import os\nos.symlink('/etc/passwd', '/tmp/@WRITES@')\n",
         "PermissionError", files("/etc/passwd"), 2),
    case("os", "mkfifo", "import os\nos.mkfifo('/tmp/@WRITES@')\n", "PermissionError", SANDBOX, 2),
    case("os", "dev-shm", "f = open('/dev/shm/@WRITES@', 'w')\n", "PermissionError",
         files("/dev/shm/" + PREFIX + "dev-shm"), 1),
    case("os", "memfd-write", "import os\nfd = os.memfd_create('x')\nos.write(fd, b'hi')\n",
         "OSError", "[Errno 27] File too large", 3),
    # ----- the operating system: reading secrets -----
    case("os", "read-canary-file", "print(open('@CANARY@').read())\n", "PermissionError",
         line=1, says="reading or writing files outside Python's own is blocked"),
    case("os", "canary-file-into-a-tensor", T + "t = torch.from_file('@CANARY@', size=16, "
         "dtype=torch.uint8)\n", "RuntimeError", says="Permission denied", line=2),
    case("os", "list-the-canary-dir", "import os\nprint(os.listdir('@CANARY_DIR@'))\n",
         "PermissionError", line=2, says="reading or writing files outside Python's own"),
    # A secrets.toml beside app.py is where Streamlit keeps a server's secrets.
    case("os", "read-canary-in-the-checkout", "print(open('@CHECKOUT_CANARY@').read())\n",
         "PermissionError", line=1, says="reading or writing files outside Python's own"),
    case("os", "read-etc-shadow", "print(open('/etc/shadow').read())\n", "PermissionError",
         files("/etc/shadow"), 1),
    case("os", "torch-load-etc-passwd", T + "t = torch.load('/etc/passwd')\n", "PermissionError",
         files("/etc/passwd"), 2),
    case("os", "list-tmp", "import os\nprint(os.listdir('/tmp'))\n", "PermissionError",
         files("/tmp"), 2),
    case("os", "proc-server-environ", "print(open('/proc/@PID@/environ').read())\n",
         ("PermissionError", "FileNotFoundError"), line=1),
    case("os", "proc-self-environ", "print(open('/proc/self/environ').read())\n",
         ("PermissionError", "FileNotFoundError"), line=1),
    case("os", "proc-parent-environ", "import os\nprint(open(f'/proc/{os.getppid()}/environ')"
         ".read())\n", ("PermissionError", "FileNotFoundError"), line=2),
    case("os", "proc-1-cmdline", "print(open('/proc/1/cmdline').read())\n", "PermissionError",
         files("/proc/1/cmdline"), 1),
    case("os", "proc-server-mem", "f = open('/proc/@PID@/mem', 'rb')\n",
         ("PermissionError", "FileNotFoundError"), line=1),
    case("os", "os-environ", "import os\nprint(os.environ.get('AE_CANARY_SECRET'))\n"
         "print('AE_CANARY_SECRET' in os.environ, os.environ.get('HOME'))\n", None,
         stdout="None\nFalse /nonexistent\n"),
    case("os", "os-environ-all", "import os\nprint(dict(os.environ))\n", None),
    case("os", "environ-into-a-tensor", T + "import os\nsecret = "
         "os.environ.get('AE_CANARY_SECRET', 'none')\nx = torch.tensor(list(secret.encode()))\n",
         None),
    # ----- the operating system: signals and privileges -----
    case("os", "kill-parent", "import os\nos.kill(os.getppid(), 9)\n", "PermissionError",
         SIGNALS, 2),
    case("os", "kill-the-server", "import os\nos.kill(@PID@, 9)\n", "PermissionError", SIGNALS, 2),
    case("os", "kill-everything", "import os\nos.kill(-1, 9)\n", "PermissionError", SIGNALS, 2),
    case("os", "killpg-the-zygote", "import os\nos.killpg(os.getpgid(os.getppid()), 9)\n",
         "PermissionError", SIGNALS, 2),
    case("os", "killpg-the-server", "import os\nos.killpg(os.getpgid(@PID@), 9)\n",
         "PermissionError", SIGNALS, 2),
    case("os", "tgkill-the-server", LIBC + "if libc.syscall(234, @PID@, @PID@, 9) != 0:\n"
         "    raise OSError(ctypes.get_errno(), 'tgkill')\n", "PermissionError", SIGNALS, 4),
    case("os", "ptrace-attach", LIBC + "if libc.ptrace(16, @PID@, 0, 0) != 0:\n"
         "    raise OSError(ctypes.get_errno(), 'ptrace')\n", "PermissionError", SANDBOX, 4),
    case("os", "setuid-0", "import os\nos.setuid(0)\n", "PermissionError", SANDBOX, 2),
    case("os", "setsid", "import os\nos.setsid()\n", "PermissionError", SANDBOX, 2),
    case("os", "mount", LIBC + "if libc.syscall(165, b'none', b'/mnt', b'tmpfs', 0, 0) != 0:\n"
         "    raise OSError(ctypes.get_errno(), 'mount')\n", "PermissionError", SANDBOX, 4),
    case("os", "unshare", LIBC + "if libc.syscall(272, 0x10000000) != 0:\n"
         "    raise OSError(ctypes.get_errno(), 'unshare')\n", "PermissionError", SANDBOX, 4),
    case("os", "chroot", LIBC + "if libc.syscall(161, b'/') != 0:\n"
         "    raise OSError(ctypes.get_errno(), 'chroot')\n", "PermissionError", SANDBOX, 4),
    case("os", "raise-the-memory-limit", "import resource\nresource.setrlimit(resource.RLIMIT_AS, "
         "(resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n", "ValueError",
         "not allowed to raise maximum limit", 2),
    # ----- the result channel: the program owns the pipe its answer goes on -----
    case("channel", "garbage-on-every-fd", FRAME.format("b'garbage'") + FRAME_END
         + "print('done')\n", None, stdout="done\n"),
    case("channel", "forged-frame-huge-length",
         FRAME.format("b'AEJ1' + struct.pack('>Q', 2**62) + b'{}'") + FRAME_END,
         "WorkerError", "the program's worker stopped without an answer (exit status 0)"),
    case("channel", "forged-frame-wrong-types",
         "import os, json, struct\nbody = json.dumps({'run': {'ok': 'yes', 'tensors': 5}})"
         ".encode()\nfor fd in range(3, 21):\n    try:\n"
         "        os.write(fd, b'AEJ1' + struct.pack('>Q', len(body)) + body)\n" + FRAME_END
         + "os._exit(0)\n", "WorkerError", "a malformed answer: ok: not true or false"),
    case("channel", "gigabytes-on-every-fd", "import os\nfor fd in range(3, 21):\n    try:\n"
         "        for i in range(30):\n            os.write(fd, b'x' * 10**8)\n" + FRAME_END,
         "LimitExceeded", "the run's answer is over the limit of 64 MB"),
    case("channel", "close-fds-then-crash", "import os, ctypes\nos.closerange(3, 100)\n"
         "ctypes.string_at(0)\n", "Crash", SEGFAULT),
    case("channel", "close-fds-then-finish", "import os\nos.closerange(3, 100)\nx = 1\n",
         "WorkerError", "the program's worker stopped without an answer (exit status 70)"),
    case("channel", "exit-without-an-answer", "import os\nos._exit(0)\n", "WorkerError",
         "the program's worker stopped without an answer (exit status 0)"),
    case("channel", "sys-exit-3", "import sys\nsys.exit(3)\n", "SystemExit",
         "the program exited with status 3", 2),
    case("channel", "poison-json-dumps", "import json\njson.dumps = lambda *a, **k: 'x'\nx = 1\n",
         "WorkerError"),
    # It poisons only its own os module: the worker writes its answer with its own write.
    case("channel", "poison-os-write", "import os\nos.write = lambda *a: 0\nx = 1\n", None,
         limits=FAST),
    case("channel", "poison-tolist", T + "torch.Tensor.tolist = lambda self: 'x'\n"
         "x = torch.ones(2)\n", "WorkerError", says="a malformed answer"),
    case("channel", "poison-the-engines-report", "import sys\n"
         "sys.modules['engine.run'].report = None\nimport torch\nx = torch.ones(1)\n",
         "TypeError", "'NoneType' object is not callable"),
    # ----- poisoning: the program changes torch and Python for itself only -----
    case("poison", "tensor-add", T + "torch.Tensor.__add__ = lambda *a: 42\n"
         "print(torch.ones(1) + torch.ones(1))\n", None, stdout="42\n"),
    case("poison", "manual-seed-none", T + "torch.manual_seed = None\nprint(torch.randn(2))\n",
         None, stdout="tensor([ 1.5410, -0.2934])\n"),
    case("poison", "default-dtype-float64", T + "torch.set_default_dtype(torch.float64)\n"
         "x = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\nprint(x.dtype)\n", None,
         stdout="torch.float64\n"),
    case("poison", "print-options", T + "torch.set_printoptions(precision=1)\n"
         "print(torch.tensor([1.23456]))\n", None, stdout="tensor([1.2])\n"),
    case("poison", "grad-disabled", T + "torch.set_grad_enabled(False)\n"
         "x = torch.ones(2, requires_grad=True)\ny = (x * 2).sum()\nprint(y.requires_grad)\n",
         None, stdout="False\n"),
    case("poison", "linear-forward", T + "torch.nn.Linear.forward = lambda self, x: x * 0\n"
         "print(torch.nn.Linear(2, 2)(torch.ones(2)))\n", None, stdout="tensor([0., 0.])\n"),
    case("poison", "builtins-print-none", "import builtins\nbuiltins.print = None\nx = 1\n", None),
    case("poison", "builtins-dict-len", "__builtins__['len'] = None\nx = len([1])\n", "TypeError",
         "'NoneType' object is not callable", 2),
    case("poison", "sys-modules-torch-none", "import sys\nsys.modules['torch'] = None\n"
         "import torch\n", "ModuleNotFoundError", "import of torch halted; None in sys.modules", 3),
    case("poison", "sys-modules-torch-none-then-finish", "import sys\n"
         "sys.modules['torch'] = None\nx = 1\n", None),
    case("poison", "tensor-backward-none", T + "torch.Tensor.backward = None\n"
         "x = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\n", None),
    case("poison", "sys-stdout-none", "import sys\nsys.stdout = None\nprint(1)\n", None, stdout=""),
    case("poison", "settrace", "import sys\nsys.settrace(lambda *a: None)\nx = 1\n", None),
    case("poison", "faulthandler-off-then-crash", "import faulthandler\n"
         "faulthandler.cancel_dump_traceback_later()\nfaulthandler.disable()\nimport ctypes\n"
         "ctypes.string_at(0)\n", "Crash", SEGFAULT),
    # ----- breakage: Python's own errors, one line each, at the program's line -----
    case("breakage", "syntax-error", "x = 1\ny = = 2\n", "SyntaxError", "invalid syntax", 2),
    case("breakage", "unterminated-string", 's = "abc\n', "SyntaxError",
         "unterminated string literal (detected at line 1)", 1),
    case("breakage", "unexpected-indent", "x = 1\n    y = 2\n",
         ("IndentationError", "SyntaxError"),
         "unexpected indent", 2),
    case("breakage", "nul-character", "x = 1\x00\n", "SyntaxError",
         "source code string cannot contain null bytes"),
    case("breakage", "deep-parens", "x = " + "(" * 300 + "1" + ")" * 300 + "\n", "SyntaxError",
         "too many nested parentheses", 1),
    case("breakage", "undefined-name", "x = 1\ny = q + 1\n", "NameError",
         "name 'q' is not defined", 2),
    case("breakage", "backward-twice", T + "x = torch.ones(2, requires_grad=True)\n"
         "y = (x * x).sum()\ny.backward()\ny.backward()\n", "RuntimeError",
         says="pass retain_graph=True to the first backward()", line=5),
    case("breakage", "input", "s = input()\n", "EOFError",
         "input() has no keyboard here: write the value into the program", 1),
    case("breakage", "breakpoint", "breakpoint()\n", "RuntimeError",
         "breakpoint() has no debugger here: print() the values instead", 1),
    case("breakage", "deep-repr-recursion", "a = []\nfor i in range(5000):\n    a = [a]\n"
         "print(a)\n", "RecursionError",
         "maximum recursion depth exceeded while getting the repr of an object", 4),
    case("breakage", "multi-line-exception-message", "raise ValueError('first\\nsecond')\n",
         "ValueError", "first", 1),
    case("breakage", "200000-character-exception-message", "raise ValueError('x' * 200000)\n",
         "ValueError", line=1),
    case("breakage", "2000-character-tensor-name", T + "globals()['a' * 2000] = torch.ones(1)\n",
         None),
    case("breakage", "non-string-global-name", T + "globals()[1] = torch.ones(1)\nx = 2\n", None),
    case("breakage", "log-of-zero-is-minus-inf", T + "x = torch.tensor([0.0, 1.0], "
         "requires_grad=True)\ny = torch.log(x).sum()\n", None),
    case("breakage", "nan-leaf", T + "x = torch.tensor([float('nan'), 1.0], requires_grad=True)\n"
         "y = (x * 2).sum()\n", None),
]
# fmt: on

REFERENCE = """\
import torch
x = torch.tensor([2.0, 3.0], requires_grad=True)
y = x**2 + 3*x
y.sum().backward()
print(x.grad)
print(torch.randn(3))
print(torch.get_default_dtype())
print(1.0/3)
print(torch.tensor([1.23456789]))
print(torch.nn.Linear(2, 1)(torch.ones(2)).item())
print(torch.is_grad_enabled(), torch.ones(1) + torch.ones(1))
"""


# ----- the server's state, the watched places, the secrets --------------------------------

# torch._dynamo wraps torch.manual_seed when it is first imported (the first optimizer
# does it), which any other test in this process may do: take the originals after it.
import torch._dynamo  # noqa: E402

_ORIGINALS = {
    "Tensor.__add__": torch.Tensor.__add__,
    "Tensor.backward": torch.Tensor.backward,
    "Tensor.tolist": torch.Tensor.tolist,
    "manual_seed": torch.manual_seed,
    "Linear.forward": torch.nn.Linear.forward,
    "print": builtins.print,
    "sys.modules['torch']": sys.modules["torch"],
}


def server_state() -> dict:
    """What a program run in this process could change."""
    from torch._tensor_str import PRINT_OPTS

    return {
        "pid alive": os.kill(os.getpid(), 0) is None,
        "default dtype": torch.get_default_dtype(),
        "grad enabled": torch.is_grad_enabled(),
        "print options": dict(vars(PRINT_OPTS)),
        "num threads": torch.get_num_threads(),
        "deterministic": torch.are_deterministic_algorithms_enabled(),
        "anomaly": torch.is_anomaly_enabled(),
        "recursion limit": sys.getrecursionlimit(),
        **{name: current() is value for name, (current, value) in _current_originals().items()},
    }


def _current_originals() -> dict:
    return {
        "Tensor.__add__": (lambda: torch.Tensor.__add__, _ORIGINALS["Tensor.__add__"]),
        "Tensor.backward": (lambda: torch.Tensor.backward, _ORIGINALS["Tensor.backward"]),
        "Tensor.tolist": (lambda: torch.Tensor.tolist, _ORIGINALS["Tensor.tolist"]),
        "manual_seed": (lambda: torch.manual_seed, _ORIGINALS["manual_seed"]),
        "Linear.forward": (lambda: torch.nn.Linear.forward, _ORIGINALS["Linear.forward"]),
        "print": (lambda: builtins.print, _ORIGINALS["print"]),
        "sys.modules['torch']": (
            lambda: sys.modules.get("torch"),
            _ORIGINALS["sys.modules['torch']"],
        ),
    }


SERVER_BEFORE = server_state()


def texts_of(run: engine.Run) -> list[str]:
    """Everything a run hands back that a person could read, as text."""
    out = [run.stdout, *run.notes]
    if run.error is not None:
        out += [run.error.message, run.error.describe()]
    for name, t in run.tensors.items():
        out.append(name)
        for value in (t.value, t.grad, t.numeric_grad, t.pass_grad):
            numbers = list(_flat(value))
            out.append(repr(numbers))
            if numbers and all(isinstance(n, int) and 0 <= n < 256 for n in numbers):
                out.append(bytes(numbers).decode("latin-1"))
    graphs = [run.graph, *(p.graph for p in run.passes)]
    for graph in filter(None, graphs):
        out += [n.label for n in graph.nodes] + list(graph.notes)
    return out


def _flat(value):
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _flat(item)
    elif value is not None:
        yield value


def leaked(run: engine.Run, secret: str) -> bool:
    return any(secret in text for text in texts_of(run))


def summary(run: engine.Run) -> tuple:
    """A run as plain comparable data: ok, stdout, each tensor's value and grads."""
    return (
        run.ok,
        run.error,
        run.stdout,
        {n: (t.value, t.grad, t.dtype, t.requires_grad) for n, t in sorted(run.tensors.items())},
    )


@dataclass
class Context:
    env_secret: str
    file_secret: str
    canary: Path
    checkout_canary: Path
    watched: Path
    pool: engine_pool.WorkerPool
    reference: engine.Run
    listeners: dict[str, socket.socket] = field(default_factory=dict)

    def fill(self, c: Case) -> str:
        port = self.listeners[c.name].getsockname()[1] if c.name in self.listeners else 9
        swaps = {
            "@PID@": str(os.getpid()),
            "@PORT@": str(port),
            "@CANARY@": str(self.canary),
            "@CANARY_DIR@": str(self.canary.parent),
            "@CHECKOUT_CANARY@": str(self.checkout_canary),
            "@WATCH@": str(self.watched),
            "@HOME@": str(Path.home()),
            "@ROOT@": str(ROOT),
            "@WRITES@": c.writes,
        }
        source = c.source
        for key, value in swaps.items():
            source = source.replace(key, value)
        return source

    def places(self) -> list[Path]:
        """Where a program of the corpus might try to write."""
        import engine as package

        return [
            Path("/tmp"),
            Path("/dev/shm"),
            Path("/"),
            Path.cwd(),
            self.watched,
            Path.home(),
            ROOT,
            Path(package.__file__).parent,
        ]


def written(ctx: Context) -> list[str]:
    """Files of the corpus's names in the watched places (other processes' files ignored)."""
    found = []
    for place in ctx.places():
        with contextlib.suppress(OSError):
            found += [str(place / n) for n in os.listdir(place) if n.startswith(PREFIX)]
    return sorted(found)


def connections(listener: socket.socket) -> int:
    """How many connections wait on a non-blocking listener (each accepted and closed)."""
    count = 0
    while True:
        try:
            conn, _ = listener.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def wait_ready(pool: engine_pool.WorkerPool, limits: engine.Limits, timeout: float = 120) -> None:
    key = engine_pool._key(limits)
    deadline = time.monotonic() + timeout
    with pool.cond:
        while len(pool.ready.get(key, [])) < pool.spare and time.monotonic() < deadline:
            pool.cond.wait(0.5)


@pytest.fixture(scope="module")
def ctx():
    """A fresh pool, started after a canary secret is put in this process's environment."""
    env_secret = "env-" + secrets.token_hex(16)
    file_secret = "file-" + secrets.token_hex(16)
    os.environ["AE_CANARY_SECRET"] = env_secret
    canary_dir = Path(tempfile.mkdtemp(prefix="ae-canary-", dir="/tmp"))
    canary = canary_dir / "secret.txt"
    canary.write_text(file_secret)
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    checkout_canary = ROOT / ".pytest_cache" / f"ae-canary-{secrets.token_hex(6)}.toml"
    checkout_canary.write_text(f'secret = "{file_secret}"\n')
    watched = Path(tempfile.mkdtemp(prefix="ae-watched-", dir="/tmp"))
    old = engine_pool._POOL
    engine_pool._POOL = pool = engine_pool.WorkerPool()
    listeners: dict[str, socket.socket] = {}
    try:
        for limits in (FAST, DEFAULT):
            pool.warm(limits)
        for limits in (FAST, DEFAULT):
            wait_ready(pool, limits)
        reference = engine.run(REFERENCE)
        for c in CORPUS:
            if c.connects:
                listeners[c.name] = listener = socket.socket()
                listener.bind(("127.0.0.1", 0))
                listener.listen(8)
                listener.setblocking(False)
        yield Context(env_secret, file_secret, canary, checkout_canary, watched, pool,
                      reference, listeners)  # fmt: skip
    finally:
        for listener in listeners.values():
            listener.close()
        pool.shutdown()
        engine_pool._POOL = old
        del os.environ["AE_CANARY_SECRET"]
        shutil.rmtree(canary_dir, ignore_errors=True)
        shutil.rmtree(watched, ignore_errors=True)
        checkout_canary.unlink(missing_ok=True)


@dataclass
class Outcome:
    run: engine.Run
    seconds: float
    after: engine.Run  # the reference program, run right after this case
    connections: int = 0
    first_seconds: float | None = None  # when the first, parallel attempt was over the bound


@pytest.fixture(scope="module")
def outcomes(request, ctx) -> dict[str, Outcome]:
    """The selected cases, each then the reference program, as many at a time as the pool."""
    selected = {
        item.callspec.params["c"].name
        for item in request.session.items
        if item.module is request.module
        and hasattr(item, "callspec")
        and "c" in item.callspec.params
    }
    chosen = [c for c in CORPUS if c.name in selected]
    before = written(ctx)

    def attempt(c: Case) -> tuple[str, Outcome]:
        source = ctx.fill(c)
        start = time.monotonic()
        run = engine.run(source, c.limits)
        took = time.monotonic() - start
        after = engine.run(REFERENCE)
        return c.name, Outcome(run, took, after)

    # Slow cases first, so the last minutes are not one long case after another.
    chosen.sort(key=lambda c: c.limits is not FAST)
    with ThreadPoolExecutor(max_workers=ctx.pool.parallel) as workers:
        results = dict(workers.map(attempt, chosen))
    # Other processes on a small CI machine can push a run that is killed at 2.8 s past the
    # 3 s bound: such a case is measured again alone, and both times are kept. A real hang
    # past the limit is over the bound both times.
    for c in chosen:
        if results[c.name].seconds > c.limits.seconds + 1:
            first = results[c.name].seconds
            _, again = attempt(c)
            again.first_seconds = first
            results[c.name] = again
    for name, listener in ctx.listeners.items():
        if name in results:
            results[name].connections = connections(listener)
    results["__written__"] = (before, written(ctx))  # type: ignore[assignment]
    return results


# ----- the corpus ---------------------------------------------------------------------------


def test_corpus_is_large_and_named_uniquely():
    """Every class has cases, and every case its own name."""
    names = [c.name for c in CORPUS]
    assert len(set(names)) == len(names)
    groups = {c.group for c in CORPUS}
    assert groups >= {"crash", "freeze", "memory", "leak", "os", "channel", "poison"}
    assert len(CORPUS) >= 100


def one_of(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


# Engine bugs this corpus found and that are not fixed yet: strict, so that each one fails
# the suite the day it is fixed, and its marker is removed then.
KNOWN_BUGS = {}


@pytest.mark.parametrize(
    "c",
    [
        pytest.param(c, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[c.id]))
        if c.id in KNOWN_BUGS
        else c
        for c in CORPUS
    ],
    ids=lambda c: c.id,
)
def test_case(c: Case, ctx: Context, outcomes):
    """Stopped in one line at its line, in time, nothing written, read, connected or left over."""
    got = outcomes[c.name]
    run = got.run
    text = run.error.describe() if run.error else ""
    # One line, in time.
    assert "\n" not in text and "Traceback" not in text, text
    assert got.seconds <= c.limits.seconds + 1, f"{got.seconds:.2f} s (and {got.first_seconds})"
    # Stopped as expected, with the engine's own words.
    if c.kinds is None:
        assert run.ok, text
        assert run.error is None
    else:
        assert run.ok is False and run.error is not None, run.stdout[:500]
        assert run.error.type in c.kinds, text
        if c.message is not None:
            assert run.error.message in one_of(c.message), text
        assert c.says in run.error.message, text
        assert run.error.line in one_of(c.line), text
        if run.error.line is not None:
            assert text.startswith(f"line {run.error.line}"), text
    if c.stdout is not None:
        assert run.stdout == c.stdout
    # No secret read, no file written, no connection.
    assert not leaked(run, ctx.env_secret), "the server's environment reached the program"
    assert not leaked(run, ctx.file_secret), "a canary file's content reached the program"
    for place in ctx.places():
        assert not (place / c.writes).exists(), f"{place / c.writes} was written"
    assert got.connections == 0, "the loopback listener saw a connection"
    # The server is untouched; the next run is a fresh process's.
    assert server_state() == SERVER_BEFORE
    assert summary(got.after) == summary(ctx.reference)
    assert got.after.notes == ctx.reference.notes


def test_nothing_written_anywhere(ctx, outcomes):
    """No file of the corpus's names appeared in /tmp, the cwd, the watched dir, home or the
    checkout, over the whole corpus."""
    before, after = outcomes["__written__"]
    assert after == before


def test_the_zygote_survived_the_corpus(ctx, outcomes):
    """No program could kill the zygote: it was started once for the whole corpus."""
    assert ctx.pool.stats.zygote_starts == 1
    assert ctx.pool.zygote is not None and ctx.pool.zygote.poll() is None


def test_the_secrets_are_set_and_the_reference_is_a_fresh_process(ctx):
    """The checks can fail: the canary is in this process's environment and file, and the
    reference run prints what a fresh CPython prints for the same program."""
    assert os.environ["AE_CANARY_SECRET"] == ctx.env_secret
    assert ctx.canary.read_text() == ctx.file_secret
    assert ctx.reference.ok, ctx.reference.error
    fresh = subprocess.run(
        [sys.executable, "-c", "import torch\ntorch.manual_seed(0)\n" + REFERENCE],
        capture_output=True, text=True, timeout=120, cwd="/",
        env={"PATH": os.environ["PATH"], "OMP_NUM_THREADS": "1"},
    )  # fmt: skip
    assert fresh.returncode == 0, fresh.stderr
    assert ctx.reference.stdout == fresh.stdout
    assert ctx.reference.tensors["x"].grad == [7.0, 9.0]


def test_the_leak_and_connection_checks_can_fail(ctx):
    """A secret in a tensor's bytes is seen; a connection to a listener is counted."""
    run = engine.Run(
        ok=True,
        tensors={"t": engine.TensorReport(value=list(ctx.env_secret.encode()), shape=(1,),
                                          requires_grad=False, is_leaf=True, grad=None,
                                          dtype="torch.int64")},
    )  # fmt: skip
    assert leaked(run, ctx.env_secret)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.setblocking(False)
    with socket.create_connection(listener.getsockname()):
        time.sleep(0.1)
        assert connections(listener) == 1
    listener.close()


def test_sandbox_is_complete():
    """The corpus means something only with every layer active."""
    status = engine.sandbox_status()
    assert status.complete, status.describe()


# ----- the allow-list is gone: what it refused is real Python now ---------------------------

REAL_PYTHON = [
    "def fact(n):\n    return 1 if n < 2 else n * fact(n - 1)\nprint(fact(20))\n",
    "class V:\n    def __init__(self, x):\n        self.x = x\n    def __add__(self, o):\n"
    "        return V(self.x + o.x)\n    def __repr__(self):\n        return f'V({self.x})'\n"
    "print(V(1) + V(2), V.__name__, [c.__name__ for c in type(V(1)).__mro__])\n",
    "print(sorted(['bb', 'a', 'ccc'], key=lambda s: -len(s)), (lambda: 7)())\n",
    "n = 0\nwhile (n := n + 1) < 5:\n    pass\ntry:\n    raise ValueError('x')\n"
    "except ValueError as e:\n    print(n, repr(e))\nglobal g\ng = 1\nprint(g)\n",
    "print(().__class__.__bases__[0].__name__, (1).__class__.__name__,\n"
    "      '{0.__class__.__name__}'.format(1.0), getattr(1, 'real'), eval('1 + 1'))\n"
    "exec('z = 3')\nprint(z, type(z), vars()['z'])\n",
]


@pytest.mark.parametrize("program", REAL_PYTHON, ids=["def", "class", "lambda", "while-try",
                                                      "dunder-eval"])  # fmt: skip
def test_what_the_allow_list_refused_now_runs_as_cpython(program):
    """def, class, lambda, while, try, :=, global, dunders, eval, exec: CPython's output."""
    program = "import torch  # a torch program: numbers stay Python's numbers\n" + program
    run = engine.run(program)
    assert run.ok, run.error
    cpython = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True,
                             timeout=60, check=True)  # fmt: skip
    assert run.stdout == cpython.stdout and cpython.stdout


# ----- the command line, as a student would run it --------------------------------------------

CLI = ROOT / ".venv" / "bin" / "autograd-explorer"


def test_cli_reports_a_crash_and_a_blocked_fork_in_one_line(tmp_path):
    """`autograd-explorer run -`: exit 1 and one line on stderr naming the line, nothing written."""
    assert CLI.exists(), "run `.venv/bin/pip install -e .` (make test does)"
    programs = {
        "import ctypes\nctypes.string_at(0)\n": f"error: line 2: Crash: {SEGFAULT}",
        "import os\nos.fork()\n": f"error: line 2, column 1: PermissionError: {PROCESSES}",
    }
    procs = {
        source: subprocess.Popen([str(CLI), "run", "-"], cwd=tmp_path, stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for source in programs
    }  # fmt: skip
    for source, proc in procs.items():
        out, err = proc.communicate(source.encode(), timeout=120)
        assert proc.returncode == 1, (out, err)
        assert err.decode() == programs[source] + "\n"
    assert list(tmp_path.iterdir()) == []
