"""A replica's metrics line: who it is, its sessions, memory, CPU, and the worker pool's runs."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")


def replica_name() -> str:
    """This replica's name (r1, r2, ...), given by the supervisor; "" outside a class server."""
    return os.environ.get("AUTOGRAD_EXPLORER_REPLICA", "")


def process_tree(root: int) -> list[int]:
    """`root` and every process below it (its worker zygote and children, its dot workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, ()))
    return tree


def _status_kb(pid: int, field: str) -> int:
    with contextlib.suppress(OSError, ValueError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def memory_mb(root: int) -> tuple[float, float]:
    """(resident MB of `root`, proportional MB of its whole tree).

    Proportional set size (Pss) shares each copy-on-write page among the processes that map
    it, so the worker children forked from one zygote are not counted many times over.
    """
    total_kb = 0
    for pid in process_tree(root):
        pss = 0
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    pss = int(line.split()[1])
                    break
        total_kb += pss or _status_kb(pid, "VmRSS")
    return _status_kb(root, "VmRSS") / 1024, total_kb / 1024


def cpu_seconds(root: int) -> float:
    """CPU time of `root`'s tree so far, reaped children included (the runs' children are
    reaped by the zygote, so their time is in its cutime and cstime)."""
    ticks = 0
    for pid in process_tree(root):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            ticks += sum(int(f) for f in fields[11:15])  # utime stime cutime cstime
    return ticks / TICKS


def active_sessions() -> int | None:
    """Open browser sessions on this replica, or None where Streamlit does not say."""
    from streamlit.runtime import Runtime

    with contextlib.suppress(AttributeError, RuntimeError):
        # Streamlit has no public count; its session manager keeps one.
        return int(Runtime.instance()._session_mgr.num_active_sessions())
    return None


def metrics_line() -> str:
    """replica=r1 sessions=12 rss_mb=290 tree_mb=410 cpu_s=81.2 runs=... p50=... queue=0 ..."""
    from engine.pool import pool

    rss, tree = memory_mb(os.getpid())
    sessions = active_sessions()
    return (
        f"replica={replica_name() or '-'} pid={os.getpid()} "
        f"sessions={'?' if sessions is None else sessions} rss_mb={rss:.0f} tree_mb={tree:.0f} "
        f"cpu_s={cpu_seconds(os.getpid()):.1f} {pool().stats.line()}"
    )
