"""class_server.metrics: the line a replica answers at /_autograd/metrics."""

import os
import re
import signal
import subprocess
import sys

from class_server.metrics import cpu_seconds, memory_mb, metrics_line, process_tree

# A parent that runs one child burning 0.3 s of CPU (then reaped), and keeps a second child.
FAMILY = """\
import subprocess, sys, time
burn = "import time\\nwhile time.process_time() < 0.3: pass"
subprocess.run([sys.executable, "-c", burn], check=True)
kept = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
print(kept.pid, flush=True)
time.sleep(60)
"""


def test_tree_memory_and_cpu_count_every_descendant():
    """A process's tree holds its children; its memory adds theirs; its CPU time includes
    children already reaped (a zygote's finished runs)."""
    parent = subprocess.Popen([sys.executable, "-c", FAMILY], stdout=subprocess.PIPE, text=True)
    child = None
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert set(process_tree(os.getpid())) >= {os.getpid(), parent.pid, child}
        assert process_tree(child) == [child]
        assert memory_mb(parent.pid)[1] > memory_mb(child)[1] > 0
        assert cpu_seconds(parent.pid) >= 0.3
    finally:
        if child is not None:
            os.kill(child, signal.SIGKILL)
        parent.kill()
        parent.wait()


def test_metrics_line_names_every_figure():
    """One line: replica, sessions, memory, CPU, then the worker pool's runs and queue."""
    line = metrics_line()
    assert re.fullmatch(
        r"replica=- pid=\d+ sessions=\S+ rss_mb=\d+ tree_mb=\d+ cpu_s=\d+\.\d "
        r"runs=\d+ p50=\d+\.\d{3} p95=\d+\.\d{3} queue=\d+ crashes=\d+ timeouts=\d+ restarts=\d+"
        r" child_cpu_p50=\d+\.\d{3}",
        line,
    ), line
