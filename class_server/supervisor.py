"""The class server: start the replicas and nginx, watch them, restart what dies, stop it all."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from . import nginx, replicas
from .replicas import Replica
from .run_dir import AlreadyRunning, RunDir

HEALTH_EVERY = 5.0  # seconds between health checks of a replica that is up
HUNG_AFTER = 3  # failed checks in a row (5 s each at most) before a live replica is replaced
START_TIMEOUT = 180.0  # a replica imports torch and Streamlit; a busy machine is slow at it
BACKOFF = (0.0, 1.0, 2.0, 5.0, 10.0, 30.0)  # seconds before a restart, by deaths in 5 minutes


class StartError(RuntimeError):
    """The class server could not start (a port in use, a replica that never came up)."""


@dataclass(frozen=True)
class Options:
    """What `python -m class_server serve` was asked for."""

    replicas: int
    port: int
    listen: str = ""  # the address nginx listens on; "" is every address (students' machines)
    address: str = "127.0.0.1"  # where the replicas listen (0.0.0.0 for nginx on another host)
    prefix: str = "r"  # replica names: r1, r2, ... (another prefix per machine: a1, b1, ...)
    nginx: bool = True
    metrics_every: float = 60.0
    run_base: Path | None = None


class Supervisor:
    """Owns every process of one class server, from start to stop."""

    def __init__(self, options: Options):
        if options.replicas < 1:
            raise ValueError(f"REPLICAS={options.replicas}: a class needs at least one replica")
        self.options = options
        self.run = RunDir.for_port(options.port, options.run_base)
        self.stopping = threading.Event()
        self.replicas: list[Replica] = []
        self.nginx: subprocess.Popen | None = None
        self.restart_at: dict[str, float] = {}
        # One secret for every replica, so a cookie one signs is valid on all. Given in the
        # environment when replicas on several machines must share it; never printed.
        self.secret = os.environ.get("STREAMLIT_SERVER_COOKIE_SECRET") or secrets.token_hex(32)

    # ----- the whole life ------------------------------------------------------------

    def serve(self) -> int:
        """Run until Ctrl+C, SIGTERM or `make stop-class`; 0, or 1 with a one-line error."""
        try:
            with self.run.locked():
                for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
                    signal.signal(sig, self._on_signal)
                try:
                    self._start_all()
                    if not self.stopping.is_set():
                        self._watch()
                finally:
                    self._stop_all()
        except (AlreadyRunning, StartError, nginx.NginxError, ValueError) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stopping.set()

    def log(self, message: str) -> None:
        """A timestamped line on the terminal and in .run/class-PORT/serve.log."""
        line = f"{time.strftime('%H:%M:%S')} {message}"
        print(line, flush=True)
        with self.run.file("serve.log").open("a") as out:
            out.write(line + "\n")

    # ----- starting ------------------------------------------------------------------

    def _start_all(self) -> None:
        opts = self.options
        if opts.nginx and not replicas.port_free(opts.port, opts.listen or "0.0.0.0"):
            raise StartError(f"port {opts.port} is in use by another program")
        ports = replicas.free_ports(opts.port, opts.replicas, opts.address)
        self.replicas = [
            Replica(f"{opts.prefix}{i + 1}", port, opts.address) for i, port in enumerate(ports)
        ]
        where = ", ".join(f"{r.name} on {opts.address}:{r.port}" for r in self.replicas)
        count = len(self.replicas)
        self.log(f"starting {count} replica{'s' if count > 1 else ''} ({where})")
        for replica in self.replicas:
            self._start(replica)
        self._wait(lambda: all(r.healthy for r in self.replicas), "the replicas")
        if opts.nginx:
            self._start_nginx()
            self._wait(self._front_healthy, "nginx")
        if self.stopping.is_set():
            return
        at = self._public_url() if opts.nginx else f"{where}, for an nginx elsewhere"
        self.log(f"serving at {at} (Ctrl+C, or `make stop-class PORT={opts.port}`, stops it)")

    def _wait(self, ready, what: str) -> None:
        """Watch (and restart) the replicas until `ready()`, or fail after START_TIMEOUT."""
        deadline = time.monotonic() + START_TIMEOUT
        while not self.stopping.is_set() and not ready():
            if time.monotonic() > deadline:
                raise StartError(
                    f"{what} did not answer within {START_TIMEOUT:.0f} s "
                    f"(see the logs in {self.run.path})"
                )
            for replica in self.replicas:
                self._check(replica, time.monotonic())
            self.stopping.wait(0.25)

    def _start(self, replica: Replica) -> None:
        replicas.start(replica, self.secret, self.run.file(f"replica-{replica.name}.log"))
        assert replica.process is not None
        self.run.write_pid(f"replica-{replica.name}", replica.process.pid)

    def _start_nginx(self) -> None:
        listen = self.options.listen
        address = f"{listen}:{self.options.port}" if listen else str(self.options.port)
        ups = [nginx.Upstream(r.name, f"{r.url.removeprefix('http://')}") for r in self.replicas]
        conf = nginx.write_config(nginx.render(ups, address, self.run.path), self.run.path)
        self.nginx = replicas.spawn(
            nginx.command(conf, self.run.path), None, self.run.file("nginx.out")
        )
        self.run.write_pid("nginx", self.nginx.pid)

    def _front_url(self) -> str:
        host = self.options.listen if self.options.listen not in ("", "0.0.0.0") else "127.0.0.1"
        return f"http://{host}:{self.options.port}"

    def _public_url(self) -> str:
        if self.options.listen not in ("", "0.0.0.0"):
            return self._front_url()
        return (
            f"http://{socket.gethostname()}:{self.options.port} (http://localhost:"
            f"{self.options.port} here)"
        )

    def _front_healthy(self) -> bool:
        if self.nginx is not None and self.nginx.poll() is not None:
            raise StartError(f"nginx exited at start (see {self.run.file('nginx-error.log')})")
        with (
            contextlib.suppress(OSError, ValueError),
            urllib.request.urlopen(self._front_url() + "/_stcore/health", timeout=2) as r,
        ):
            return r.status == 200
        return False

    # ----- watching ------------------------------------------------------------------

    def _watch(self) -> None:
        next_metrics = time.monotonic() + self.options.metrics_every
        while not self.stopping.wait(0.5):
            now = time.monotonic()
            for replica in self.replicas:
                self._check(replica, now)
            self._check_nginx()
            if now >= next_metrics:
                next_metrics = now + self.options.metrics_every
                for replica in self.replicas:
                    if replica.healthy:
                        line = replicas.metrics(replica)
                        self.log(
                            f"metrics {line}"
                            if line
                            else f"replica {replica.name}: no metrics (it did not answer)"
                        )

    def _check(self, replica: Replica, now: float) -> None:
        """Restart a replica that died or hangs; log when one comes up."""
        process = replica.process
        if process is None:  # dead, waiting out its back-off
            if now >= self.restart_at.get(replica.name, 0.0):
                replica.restarts += 1
                self._start(replica)
            return
        code = process.poll()
        if code is not None:
            self._died(
                replica,
                f"(port {replica.port}, pid {process.pid}) {replicas.describe_exit(code)}",
                now,
            )
        elif not replica.healthy:
            if replicas.healthy(replica, timeout=1.0):
                replica.healthy = True
                replica.next_check = now + HEALTH_EVERY
                verb = "is back" if replica.restarts else "is up"
                self.log(
                    f"replica {replica.name} {verb} on port {replica.port} (pid "
                    f"{process.pid}, {now - replica.started:.1f} s after its start)"
                )
            elif now - replica.started > START_TIMEOUT:
                replicas.stop(process, grace=5)
                self._died(
                    replica, f"did not answer within {START_TIMEOUT:.0f} s of its start", now
                )
        elif now >= replica.next_check:
            replica.next_check = now + HEALTH_EVERY
            if replicas.healthy(replica, timeout=5.0):
                replica.failed_checks = 0
                return
            replica.failed_checks += 1
            if replica.failed_checks >= HUNG_AFTER:
                replicas.stop(process, grace=5)
                self._died(
                    replica,
                    f"(pid {process.pid}) failed {HUNG_AFTER} health checks "
                    "in a row and was stopped",
                    now,
                )

    def _died(self, replica: Replica, what: str, now: float) -> None:
        self.run.remove_pid(f"replica-{replica.name}")
        replica.process, replica.healthy = None, False
        replica.exits = [t for t in replica.exits if now - t < 300] + [now]
        delay = BACKOFF[min(len(replica.exits), len(BACKOFF)) - 1]
        self.restart_at[replica.name] = now + delay
        when = f"in {delay:.0f} s" if delay else "now"
        self.log(f"replica {replica.name} {what}; restarting it {when}")

    def _check_nginx(self) -> None:
        if self.nginx is None or self.nginx.poll() is None:
            return
        self.log(
            f"nginx {replicas.describe_exit(self.nginx.returncode)}; restarting it "
            f"(see {self.run.file('nginx-error.log')})"
        )
        self._start_nginx()

    # ----- stopping ------------------------------------------------------------------

    def _stop_all(self) -> None:
        """nginx first (no new requests), then every replica; each by its pid, and waited for."""
        running = [p for p in [self.nginx, *(r.process for r in self.replicas)] if p is not None]
        if not running:
            return
        self.log("stopping " + ("nginx and " if self.nginx else "") + "the replicas")
        replicas.stop(self.nginx, grace=5)
        processes = [r.process for r in self.replicas if r.process is not None]
        for process in processes:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            replicas.stop(process, grace=10)
        for name in ["nginx", *(f"replica-{r.name}" for r in self.replicas)]:
            self.run.remove_pid(name)
        self.log("stopped")
