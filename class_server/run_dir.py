"""The files of one class server, under .run/class-PORT/: its lock, PID files, config and logs."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = ROOT / ".run"


class AlreadyRunning(Exception):
    """Another class server holds this port's lock."""

    def __init__(self, port: int, pid: int | None):
        self.port, self.pid = port, pid
        who = f" (supervisor pid {pid})" if pid else ""
        super().__init__(
            f"a class server is already running on port {port}{who}; "
            f"`make stop-class PORT={port}` stops it"
        )


@dataclass(frozen=True)
class RunDir:
    """.run/class-PORT/: everything one `serve-class` on PORT writes."""

    path: Path
    port: int

    @classmethod
    def for_port(cls, port: int, base: Path | None = None) -> RunDir:
        return cls((base or DEFAULT_BASE) / f"class-{port}", port)

    def file(self, name: str) -> Path:
        return self.path / name

    def write_pid(self, name: str, pid: int) -> None:
        """`name.pid` holds the pid and its start time, so a recycled pid is never mistaken."""
        self.file(f"{name}.pid").write_text(f"{pid} {start_time(pid)}\n")

    def remove_pid(self, name: str) -> None:
        self.file(f"{name}.pid").unlink(missing_ok=True)

    def live_pids(self) -> dict[str, int]:
        """Each PID file's process, if it is still the process that wrote it."""
        found = {}
        for path in sorted(self.path.glob("*.pid")):
            fields = path.read_text().split()
            if len(fields) == 2 and fields[0].isdigit() and start_time(int(fields[0])) == fields[1]:
                found[path.stem] = int(fields[0])
        return found

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold this port's lock while serving; AlreadyRunning if another server holds it."""
        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.file("lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise AlreadyRunning(self.port, self.live_pids().get("supervisor")) from None
            self.write_pid("supervisor", os.getpid())
            try:
                yield
            finally:
                self.remove_pid("supervisor")
        finally:
            os.close(fd)  # releases the lock

    def is_locked(self) -> bool:
        """Whether a class server holds this port's lock right now."""
        if not self.file("lock").exists():
            return False
        fd = os.open(self.file("lock"), os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (/proc/PID/stat field 22), or None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces: split after it.
    return stat.rsplit(")", 1)[1].split()[19]
