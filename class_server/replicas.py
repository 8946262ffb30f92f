"""One replica: `streamlit run class_server/replica_app.py` on a loopback port."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY = Path(__file__).with_name("replica_app.py")
_PR_SET_PDEATHSIG = 1


@dataclass
class Replica:
    """A replica's name (r1, r2, ...), its port, and its current process."""

    name: str
    port: int
    address: str = "127.0.0.1"
    process: subprocess.Popen | None = None
    started: float = 0.0
    healthy: bool = False
    failed_checks: int = 0
    next_check: float = 0.0
    restarts: int = 0
    exits: list[float] = field(default_factory=list)  # when it last died, for the back-off

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.address in ("", "0.0.0.0") else self.address
        return f"http://{host}:{self.port}"


def command(replica: Replica) -> list[str]:
    """The replica's command line (no secret in it: the cookie secret is in its environment)."""
    return [sys.executable, "-m", "streamlit", "run", str(ENTRY),
            "--server.port", str(replica.port), "--server.address", replica.address,
            "--server.headless", "true", "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false"]  # fmt: skip


def environment(replica: Replica, cookie_secret: str) -> dict[str, str]:
    """The server's environment plus the shared cookie secret and the replica's name."""
    env = dict(os.environ)
    env["STREAMLIT_SERVER_COOKIE_SECRET"] = cookie_secret
    env["AUTOGRAD_EXPLORER_REPLICA"] = replica.name
    # A class server runs programs only inside the whole sandbox, unless told otherwise.
    env.setdefault("AUTOGRAD_EXPLORER_SANDBOX", "require")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def _die_with_parent() -> None:
    """In the child before exec: its own session (a Ctrl+C is the supervisor's to handle),
    and SIGTERM when the supervisor dies, so nothing it started outlives it."""
    os.setsid()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def spawn(args: list[str], env: dict[str, str] | None, log: Path) -> subprocess.Popen:
    """Start a process the supervisor owns: its output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out,
            stderr=subprocess.STDOUT, preexec_fn=_die_with_parent,
        )  # fmt: skip


def start(replica: Replica, cookie_secret: str, log: Path) -> None:
    replica.process = spawn(command(replica), environment(replica, cookie_secret), log)
    replica.started = time.monotonic()
    replica.healthy = False
    replica.failed_checks = 0


def healthy(replica: Replica, timeout: float = 2.0) -> bool:
    """Its /_stcore/health answers ok."""
    with (
        contextlib.suppress(OSError, ValueError),
        urllib.request.urlopen(replica.url + "/_stcore/health", timeout=timeout) as r,
    ):
        return r.status == 200 and r.read().strip() == b"ok"
    return False


def metrics(replica: Replica, timeout: float = 5.0) -> str | None:
    """Its one metrics line (/_autograd/metrics), or None when it does not answer."""
    with (
        contextlib.suppress(OSError, ValueError),
        urllib.request.urlopen(replica.url + "/_autograd/metrics", timeout=timeout) as r,
    ):
        return r.read().decode("utf-8", "replace").strip()
    return None


def stop(process: subprocess.Popen | None, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds, to the process's whole group."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def port_free(port: int, address: str = "127.0.0.1") -> bool:
    """Nothing listens on address:port (a bind succeeds)."""
    with socket.socket() as s:
        # As servers do: connections of a server just stopped (TIME_WAIT) do not count.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((address, port))
        except OSError:
            return False
    return True


def free_ports(after: int, count: int, address: str = "127.0.0.1") -> list[int]:
    """The first `count` free ports above `after`: replicas of the class on PORT use PORT+1..."""
    ports: list[int] = []
    port = after
    while len(ports) < count:
        port += 1
        if port > 65535:
            raise RuntimeError(f"no {count} free ports above {after}")
        if port_free(port, address):
            ports.append(port)
    return ports


def describe_exit(code: int) -> str:
    """'was killed by SIGKILL' or 'exited with status 1'."""
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with status {code}"
