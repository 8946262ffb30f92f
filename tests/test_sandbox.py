"""engine.sandbox: each lock-down runs for real in a fresh interpreter, never in pytest itself.

The pytest process may hold torch's threads, so nothing here forks it: every case is a
`python -c SCRIPT` that locks itself down, tries one thing and prints a verdict line.
"""

from __future__ import annotations

import ast
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from engine.sandbox import (
    LAYER_NAMES,
    Confinement,
    Layer,
    SandboxStatus,
    default_read_paths,
    probe,
    required,
)

ROOT = Path(__file__).resolve().parent.parent
linux = pytest.mark.skipif(sys.platform != "linux", reason="the sandbox is Linux-only")
root_only = pytest.mark.skipif(
    sys.platform != "linux" or os.geteuid() != 0, reason="the uid drop needs root"
)

# Imports engine.sandbox without engine/__init__ (which imports torch, and a fresh
# `import torch` starts a thread): the real worker is a single-threaded forked child. It must
# not import json, decimal, fractions or statistics itself: one test imports them afterwards.
PRELUDE = f"""
import errno, os, sys, types
_pkg = types.ModuleType("engine")
_pkg.__path__ = [{str(ROOT / "engine")!r}]
sys.modules["engine"] = _pkg
from engine.sandbox import Confinement, default_read_paths, lock_down

def vm_size():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024

def lock(cpu_seconds=5, memory_bytes=None, **kw):
    global STATUS
    budget = memory_bytes if memory_bytes is not None else vm_size() + 200 * 2**20
    conf = Confinement(memory_bytes=budget, cpu_seconds=cpu_seconds,
                       read_paths=default_read_paths(), **kw)
    STATUS = lock_down(conf)
    return budget

def attempt(fn):
    try:
        fn()
    except BaseException as e:
        return (type(e).__name__, errno.errorcode.get(getattr(e, "errno", None) or 0))
    return "ok"

def report(**kw):
    print("VERDICT " + repr(kw), flush=True)
"""


def run_script(body: str, *args: str, cwd: Path = ROOT, env=None, timeout: float = 60):
    """Run PRELUDE + body in a fresh interpreter; body calls lock() and report()."""
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + body, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def verdict_of(done: subprocess.CompletedProcess) -> dict:
    lines = [line for line in done.stdout.splitlines() if line.startswith("VERDICT ")]
    assert len(lines) == 1, (done.returncode, done.stdout, done.stderr)
    return ast.literal_eval(lines[0].removeprefix("VERDICT "))


def verdict(body: str, *args: str, **kw) -> dict:
    done = run_script(body, *args, **kw)
    assert done.returncode == 0, done.stderr
    return verdict_of(done)


def landlock_abi() -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc.syscall(ctypes.c_long(444), ctypes.c_long(0), ctypes.c_long(0), ctypes.c_long(1))


def all_active_line() -> str:
    return (
        "sandbox: all 5 layers active (rlimits, uid 65534, no_new_privs, "
        f"landlock ABI {landlock_abi()}, seccomp)"
    )


@pytest.fixture
def outside():
    """A world-readable directory in /tmp, outside every read path, with a canary file."""
    path = Path(tempfile.mkdtemp(prefix="sandbox-outside-", dir="/tmp"))
    path.chmod(0o777)
    canary = path / "canary.txt"
    canary.write_text(f"canary-{uuid.uuid4()}")
    canary.chmod(0o644)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def status_line(layers) -> SandboxStatus:
    return SandboxStatus(tuple(Layer(*layer) for layer in layers))


COMPLETE = [
    ("rlimits", True, "address space 220 MiB, CPU 5 s (killed at 6 s)"),
    ("uid", True, "uid 65534, gid 65534, no supplementary groups, no capabilities"),
    ("no_new_privs", True, "no setuid or file capabilities can ever be gained"),
    ("landlock", True, "Landlock ABI 7: read-only beneath 6 paths, no writes"),
    ("seccomp", True, "seccomp filter on every thread: 73 syscalls refused"),
]


# --- the status on this machine ----------------------------------------------------------


@linux
def test_every_layer_is_active_here():
    """lock_down reports all five layers active on this machine, in order."""
    out = verdict("lock()\nimport json\nreport(status=json.dumps(STATUS.to_json()))")
    status = SandboxStatus.from_json(json.loads(out["status"]))
    assert [layer.name for layer in status.layers] == list(LAYER_NAMES)
    assert status.missing() == ()
    assert status.complete
    assert status.describe() == all_active_line()


@root_only
def test_uid_is_nobody_after_lock_down():
    """As root, lock_down leaves uid and gid 65534 everywhere and no supplementary groups."""
    out = verdict("lock()\nreport(uid=os.getresuid(), gid=os.getresgid(), groups=os.getgroups())")
    assert out == {"uid": (65534,) * 3, "gid": (65534,) * 3, "groups": []}


@linux
def test_lock_down_never_raises_on_a_bad_confinement():
    """A malformed Confinement makes rlimits inactive with the reason; the rest still holds."""
    layers = "[(x.name, x.active, x.detail) for x in STATUS.layers]"
    out = verdict(f"lock(memory_bytes='lots')\nreport(layers={layers})")
    assert out["layers"][0] == (
        "rlimits",
        False,
        "ValueError: memory_bytes must be a positive int, not 'lots'",
    )
    assert [active for _, active, _ in out["layers"][1:]] == [True] * 4


@linux
def test_a_thread_started_before_lock_down_leaves_landlock_inactive():
    """Landlock (ABI < 8) cannot reach threads that already run, and says so."""
    out = verdict(
        "import threading\n"
        "ev = threading.Event(); t = threading.Thread(target=ev.wait); t.start()\n"
        "lock()\n"
        "ev.set(); t.join()\n"
        "report(missing=STATUS.missing(), detail=STATUS.layers[3].detail)"
    )
    abi = landlock_abi()
    if abi >= 8:  # LANDLOCK_RESTRICT_SELF_TSYNC covers every thread
        assert out["missing"] == ()
    else:
        assert out == {
            "missing": ("landlock",),
            "detail": f"Landlock ABI {abi} confines only the calling thread, and 1 other "
            "thread already runs (lock down before starting threads)",
        }


# --- files -------------------------------------------------------------------------------


@linux
def test_writing_in_tmp_is_refused():
    """Creating a file in /tmp (world-writable, so only Landlock stops it) fails."""
    target = Path("/tmp") / f"sandbox-write-{uuid.uuid4()}"
    try:
        out = verdict("lock()\nreport(result=attempt(lambda: open(sys.argv[1], 'w')))", str(target))
        assert out["result"] == ("PermissionError", "EACCES")
        assert not target.exists()
    finally:
        target.unlink(missing_ok=True)


@linux
def test_writing_in_the_cwd_is_refused(outside):
    """Creating a file in a world-writable cwd fails, and no file appears there."""
    out = verdict("lock()\nreport(result=attempt(lambda: open('new.txt', 'x')))", cwd=outside)
    assert out["result"] == ("PermissionError", "EACCES")
    assert sorted(p.name for p in outside.iterdir()) == ["canary.txt"]


@root_only
def test_the_canary_is_readable_by_nobody_without_landlock(outside):
    """Control: uid 65534 alone may read the canary, so Landlock is what refuses it below."""
    body = (
        "os.setgroups([])\nos.setresgid(65534, 65534, 65534)\nos.setresuid(65534, 65534, 65534)\n"
    )
    out = verdict(body + "report(text=open(sys.argv[1]).read())", str(outside / "canary.txt"))
    assert out["text"] == (outside / "canary.txt").read_text()


@linux
def test_reading_outside_the_read_paths_is_refused(outside):
    """A world-readable canary in /tmp cannot be read, and never reaches the output."""
    canary = outside / "canary.txt"
    done = run_script(
        "lock()\nreport(result=attempt(lambda: print(open(sys.argv[1]).read())))", str(canary)
    )
    assert verdict_of(done)["result"] == ("PermissionError", "EACCES")
    assert canary.read_text() not in done.stdout + done.stderr


@linux
def test_reading_under_sys_prefix_works():
    """A file beneath sys.prefix (the interpreter's own tree) stays readable."""
    inside = Path(sys.prefix) / "pyvenv.cfg"
    if not inside.exists():
        inside = Path(os.__file__)
    out = verdict("lock()\nreport(text=open(sys.argv[1]).read())", str(inside))
    assert out["text"] == inside.read_text()


DRIVER = """
import os, subprocess, sys
own = open("/proc/self/environ", "rb").read()
print("CONTROL", os.environ["SANDBOX_CANARY"].encode() in own, flush=True)
env = {k: v for k, v in os.environ.items() if k != "SANDBOX_CANARY"}
done = subprocess.run([sys.executable, "-c", sys.argv[1], str(os.getpid()), sys.argv[2]],
                      env=env, capture_output=True, text=True)
sys.stdout.write(done.stdout)
sys.stderr.write(done.stderr)
sys.exit(done.returncode)
"""


@linux
def test_the_parents_environment_is_unreadable(monkeypatch):
    """/proc/<parent>/environ (holding a canary) cannot be read; the canary never leaks."""
    canary = f"canary-{uuid.uuid4()}"
    monkeypatch.setenv("SANDBOX_CANARY", canary)
    body = (
        "lock()\n"
        "show = lambda pid: print(open(f'/proc/{pid}/environ').read())\n"
        "report(driver=attempt(lambda: show(sys.argv[1])), test=attempt(lambda: show(sys.argv[2])))"
    )
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, PRELUDE + body, str(os.getpid())],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "CONTROL True" in done.stdout  # the driver's own environ does hold the canary
    out = verdict_of(done)
    assert out == {"driver": ("PermissionError", "EACCES"), "test": ("PermissionError", "EACCES")}
    assert canary not in done.stdout.replace("CONTROL True", "") + done.stderr


# --- network -----------------------------------------------------------------------------


@linux
def test_socket_is_refused():
    """socket.socket() fails with EPERM."""
    out = verdict("lock()\nimport socket\nreport(result=attempt(socket.socket))")
    assert out["result"] == ("PermissionError", "EPERM")


@linux
def test_socketpair_is_refused():
    """socket.socketpair() fails with EPERM."""
    out = verdict("lock()\nimport socket\nreport(result=attempt(socket.socketpair))")
    assert out["result"] == ("PermissionError", "EPERM")


@linux
def test_a_loopback_listener_sees_no_connection():
    """A TCP listener on 127.0.0.1 gets no connection from the locked-down child."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        out = verdict(
            "lock()\nimport socket\n"
            "report(result=attempt(lambda: socket.create_connection(('127.0.0.1', "
            "int(sys.argv[1])), timeout=2)))",
            str(port),
        )
        listener.settimeout(0.5)
        with pytest.raises(TimeoutError):
            listener.accept()
    assert out["result"] == ("PermissionError", "EPERM")


# --- processes ---------------------------------------------------------------------------


@linux
def test_fork_is_refused():
    """os.fork() fails with EPERM (clone without CLONE_THREAD)."""
    body = (
        "def fork():\n"
        "    pid = os.fork()\n"
        "    if pid == 0:\n"
        "        os._exit(0)\n"
        "    os.waitpid(pid, 0)\n"
        "lock()\nreport(result=attempt(fork))"
    )
    assert verdict(body)["result"] == ("PermissionError", "EPERM")


@linux
def test_execv_is_refused():
    """os.execv fails with EPERM (had it worked, no verdict would be printed)."""
    out = verdict("lock()\nreport(result=attempt(lambda: os.execv('/bin/true', ['true'])))")
    assert out["result"] == ("PermissionError", "EPERM")


@linux
def test_subprocess_run_is_refused():
    """subprocess.run(['true']) fails with EPERM."""
    body = "lock()\nimport subprocess\nreport(result=attempt(lambda: subprocess.run(['true'])))"
    assert verdict(body)["result"] == ("PermissionError", "EPERM")


@linux
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ptrace", "EPERM"),  # PTRACE_TRACEME would succeed unfiltered
        ("unshare", "EPERM"),  # unshare(0) would succeed unfiltered
        ("mount", "EPERM"),
        ("chroot", "EPERM"),
        ("bpf", "EPERM"),
        ("userfaultfd", "EPERM"),
        ("io_uring_setup", "EPERM"),
        ("pidfd_open", "EPERM"),
        ("keyctl", "EPERM"),
        ("clone3", "ENOSYS"),  # so glibc falls back to clone(), which the filter can read
    ],
)
def test_seccomp_refuses_the_syscall(name, expected):
    """The named syscall, called raw with zero arguments, is refused with the given errno."""
    body = (
        "import ctypes, pyseccomp\n"
        "nr = pyseccomp.resolve_syscall(pyseccomp.Arch.NATIVE, sys.argv[1])\n"
        "lock()\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "libc.syscall.restype = ctypes.c_long\n"
        "result = libc.syscall(ctypes.c_long(nr), *[ctypes.c_long(0)] * 5)\n"
        "report(result=result, errno=errno.errorcode.get(ctypes.get_errno()))"
    )
    assert verdict(body, name) == {"result": -1, "errno": expected}


# --- signals -----------------------------------------------------------------------------


@linux
def test_signalling_the_test_process_is_refused():
    """os.kill(<test pid>, 0) fails with EPERM."""
    body = "lock()\nreport(result=attempt(lambda: os.kill(int(sys.argv[1]), 0)))"
    assert verdict(body, str(os.getpid()))["result"] == ("PermissionError", "EPERM")


@linux
def test_signalling_itself_works():
    """os.kill(os.getpid(), 0) still works."""
    assert verdict("lock()\nreport(result=attempt(lambda: os.kill(os.getpid(), 0)))") == {
        "result": "ok"
    }


@linux
def test_abort_kills_the_child_with_sigabrt():
    """os.abort() after lock-down ends the child by its own SIGABRT."""
    done = run_script("lock()\nreport(complete=STATUS.complete)\nos.abort()")
    assert verdict_of(done) == {"complete": True}
    assert done.returncode == -signal.SIGABRT


@linux
def test_faulthandler_reraises_a_fatal_signal():
    """faulthandler dumps the traceback, then re-raises SIGSEGV on itself."""
    done = run_script(
        "import faulthandler, ctypes\nfaulthandler.enable()\nlock()\n"
        "report(complete=STATUS.complete)\nctypes.string_at(0)"
    )
    assert verdict_of(done) == {"complete": True}
    assert done.returncode == -signal.SIGSEGV
    assert "Fatal Python error: Segmentation fault" in done.stderr


# --- what must keep working ------------------------------------------------------------


@linux
def test_threads_work_after_lock_down():
    """Four threading.Threads start, run and join after lock-down."""
    body = (
        "import threading\nlock()\n"
        "results = []\n"
        "threads = [threading.Thread(target=lambda i=i: results.append(i * i)) for i in range(4)]\n"
        "for t in threads: t.start()\n"
        "for t in threads: t.join()\n"
        "report(complete=STATUS.complete, results=sorted(results))"
    )
    assert verdict(body) == {"complete": True, "results": [0, 1, 4, 9]}


TORCH_WORKER = """
import torch
pid = os.fork()  # like the real worker: torch imported first, then a single-threaded child
if pid == 0:
    try:
        lock(memory_bytes=vm_size() + 2**30)
        torch.set_num_threads(2)
        value = (torch.randn(300, 300) @ torch.randn(300, 300)).sum().item()
        report(missing=STATUS.missing(), finite=value == value and abs(value) < float("inf"),
               threads=torch.get_num_threads())
    finally:
        os._exit(0)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@linux
def test_torch_runs_multithreaded_after_lock_down():
    """A child forked after `import torch` locks down completely and multiplies on 2 threads."""
    assert verdict(TORCH_WORKER, timeout=120) == {"missing": (), "finite": True, "threads": 2}


@linux
def test_stdlib_modules_import_after_lock_down():
    """json, decimal, fractions and statistics, not yet imported, import after lock-down."""
    body = (
        "names = ('json', 'decimal', 'fractions', 'statistics')\n"
        "before = [n for n in names if n in sys.modules]\n"
        "lock()\n"
        "import json, decimal, fractions, statistics\n"
        "report(before=before, value=(json.dumps([1]), str(decimal.Decimal('1.1') + 1),\n"
        "       str(fractions.Fraction(1, 3) * 3), statistics.mean([1, 2, 3])))"
    )
    assert verdict(body) == {"before": [], "value": ("[1]", "2.1", "1", 2)}


@linux
def test_memory_beyond_the_budget_raises_memory_error():
    """RLIMIT_AS (VmSize + 200 MB) makes bytearray(2 * budget) raise MemoryError."""
    body = (
        "budget = lock(memory_bytes=vm_size() + 200 * 2**20)\n"
        "report(small=attempt(lambda: bytearray(50 * 2**20)),\n"
        "       big=attempt(lambda: bytearray(2 * budget)))"
    )
    assert verdict(body) == {"small": "ok", "big": ("MemoryError", None)}


@linux
def test_a_busy_loop_is_killed_by_the_cpu_limit():
    """With cpu_seconds=1 a busy loop dies by SIGXCPU (or SIGKILL) within 4 s of wall time."""
    start = time.monotonic()
    done = run_script("lock(cpu_seconds=1)\nreport(complete=STATUS.complete)\nwhile True: pass")
    elapsed = time.monotonic() - start
    assert verdict_of(done) == {"complete": True}
    assert done.returncode in (-signal.SIGXCPU, -signal.SIGKILL)
    assert elapsed < 4


# --- status data -------------------------------------------------------------------------


def _valid() -> dict:
    return status_line(COMPLETE).to_json()


def _with(change):
    data = json.loads(json.dumps(_valid()))
    change(data)
    return data


MALFORMED = {
    "none": None,
    "a list": [],
    "a string": "layers",
    "no layers key": {},
    "extra top-level key": _with(lambda d: d.update(junk=1)),
    "layers not a list": _with(lambda d: d.update(layers="x")),
    "four layers": _with(lambda d: d["layers"].pop()),
    "six layers": _with(lambda d: d["layers"].append(d["layers"][0])),
    "a layer not an object": _with(lambda d: d["layers"].__setitem__(0, ["rlimits"])),
    "missing detail": _with(lambda d: d["layers"][0].pop("detail")),
    "extra layer key": _with(lambda d: d["layers"][0].update(junk=True)),
    "active as int": _with(lambda d: d["layers"][0].update(active=1)),
    "active as string": _with(lambda d: d["layers"][0].update(active="true")),
    "unknown name": _with(lambda d: d["layers"][0].update(name="apparmor")),
    "name not a string": _with(lambda d: d["layers"][0].update(name=0)),
    "layers out of order": _with(lambda d: d["layers"].reverse()),
    "detail not a string": _with(lambda d: d["layers"][1].update(detail=5)),
    "detail with a newline": _with(lambda d: d["layers"][1].update(detail="a\nb")),
    "detail too long": _with(lambda d: d["layers"][1].update(detail="x" * 501)),
}


@pytest.mark.parametrize("data", MALFORMED.values(), ids=MALFORMED.keys())
def test_from_json_rejects_malformed_data(data):
    """Wrong types, missing keys or extra junk from a child raise ValueError."""
    with pytest.raises(ValueError):
        SandboxStatus.from_json(data)


def test_from_json_round_trips_to_json():
    """from_json(to_json()) through real JSON text gives back an equal status."""
    no_landlock = ("landlock", False, "the kernel has no Landlock (ENOSYS)")
    status = status_line([*COMPLETE[:3], no_landlock, COMPLETE[4]])
    assert SandboxStatus.from_json(json.loads(json.dumps(status.to_json()))) == status


def test_describe_a_complete_status():
    """A complete status describes itself in one line naming each layer."""
    status = status_line(COMPLETE)
    assert status.complete
    assert status.describe() == (
        "sandbox: all 5 layers active (rlimits, uid 65534, no_new_privs, landlock ABI 7, seccomp)"
    )


def test_describe_an_incomplete_status():
    """An incomplete status counts what holds and gives each missing layer's reason."""
    status = status_line(
        [
            *COMPLETE[:3],
            ("landlock", False, "the kernel has no Landlock (ENOSYS)"),
            ("seccomp", False, "libseccomp not found"),
        ]
    )
    assert not status.complete
    assert status.missing() == ("landlock", "seccomp")
    assert status.describe() == (
        "sandbox: 3 of 5 layers active; missing landlock (the kernel has no Landlock), "
        "seccomp (libseccomp not found)"
    )


def test_describe_names_an_unprivileged_uid():
    """When the process was never root, describe shows the uid it already ran as."""
    unprivileged = ("uid", True, "already unprivileged (uid 10001)")
    status = status_line([COMPLETE[0], unprivileged, *COMPLETE[2:]])
    assert status.describe() == (
        "sandbox: all 5 layers active (rlimits, uid 10001, no_new_privs, landlock ABI 7, seccomp)"
    )


# --- probe, paths, module ----------------------------------------------------------------


@linux
def test_probe_is_cached_and_complete_here():
    """probe() measures once per process and finds every layer active."""
    first = probe()
    assert probe() is first
    assert first.missing() == ()
    assert first.describe() == all_active_line()


def test_default_read_paths_grant_python_but_no_scratch_or_homes():
    """The read paths exist, hold the interpreter and engine, and never /, /tmp, /proc or homes:
    beneath /tmp or a home, only the interpreter's and the engine's own folders (a clone in
    /tmp, a pyenv Python under /root)."""
    paths = default_read_paths()
    assert len(paths) == len(set(paths))
    assert all(os.path.exists(p) for p in paths)

    def covered(target: str) -> bool:
        real = os.path.realpath(target)
        return any(real == p or real.startswith(p + "/") for p in paths)

    assert covered(sys.prefix)
    assert covered(sys.base_prefix)
    assert covered(os.__file__)
    assert covered(str(ROOT / "engine" / "sandbox.py"))
    for forbidden in ("/", "/tmp", "/proc", "/home", "/root"):
        assert forbidden not in paths
        assert not covered(forbidden)
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix)}
    own = prefixes | {os.path.realpath(ROOT / "engine")}
    assert not any(p.startswith("/proc/") for p in paths)
    scratch = [p for p in paths if p.startswith(("/tmp/", "/root/", "/home/"))]
    assert set(scratch) <= own, scratch
    assert os.path.realpath(ROOT) not in paths or os.path.realpath(ROOT) in prefixes


def test_the_module_imports_only_the_standard_library():
    """Importing engine.sandbox loads neither torch, streamlit, graphviz nor pyseccomp."""
    loaded = "{m.split('.')[0] for m in sys.modules}"
    out = verdict(
        f"report(loaded=sorted({{'torch', 'streamlit', 'graphviz', 'pyseccomp'}} & {loaded}))"
    )
    assert out == {"loaded": []}


def test_required_reads_the_environment(monkeypatch):
    """required() is true only for AUTOGRAD_EXPLORER_SANDBOX=require."""
    monkeypatch.setenv("AUTOGRAD_EXPLORER_SANDBOX", "require")
    assert required()
    monkeypatch.setenv("AUTOGRAD_EXPLORER_SANDBOX", "warn")
    assert not required()
    monkeypatch.delenv("AUTOGRAD_EXPLORER_SANDBOX")
    assert not required()


def test_confinement_defaults():
    """Confinement defaults to 64 open files and uid/gid 65534, and is frozen."""
    conf = Confinement(memory_bytes=1, cpu_seconds=1, read_paths=())
    assert (conf.open_files, conf.uid, conf.gid) == (64, 65534, 65534)
    with pytest.raises(AttributeError):
        conf.uid = 0  # type: ignore[misc]
