"""`make stop-class`: stop the class server on a port, or what is left of one."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

from .run_dir import RunDir

WAIT = 60.0  # the supervisor stops nginx and waits up to 10 s for each replica


def stop(port: int, base: Path | None = None) -> int:
    """Ask the supervisor to stop everything; without one, stop its leftovers by PID file."""
    run = RunDir.for_port(port, base)
    pids = run.live_pids()
    supervisor = pids.pop("supervisor", None)
    if supervisor is not None and run.is_locked():
        os.kill(supervisor, signal.SIGTERM)
        deadline = time.monotonic() + WAIT
        while run.is_locked() and time.monotonic() < deadline:
            time.sleep(0.2)
        if run.is_locked():
            print(
                f"error: the class server on port {port} (pid {supervisor}) did not stop "
                f"within {WAIT:.0f} s"
            )
            return 1
        print(f"stopped the class server on port {port}")
        return 0
    if pids:  # the supervisor was killed outright: its children are still listed
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
        time.sleep(2)
        for name, pid in run.live_pids().items():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
            run.remove_pid(name)
        print(f"stopped what was left of the class server on port {port}: {', '.join(pids)}")
        return 0
    print(f"no class server is running on port {port}")
    return 0
