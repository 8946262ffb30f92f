"""class_server.run_dir and class_server.stop: the lock, PID files, and stopping leftovers."""

import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT

from class_server.run_dir import AlreadyRunning, RunDir, start_time
from class_server.stop import stop


def test_a_second_server_on_the_port_is_told_it_is_running(tmp_path):
    """While one holds the port's lock, another gets AlreadyRunning naming port and pid."""
    run = RunDir.for_port(8500, tmp_path)
    with run.locked():
        assert run.is_locked()
        with pytest.raises(AlreadyRunning) as error, RunDir.for_port(8500, tmp_path).locked():
            pass
        assert str(error.value) == (
            f"a class server is already running on port 8500 (supervisor pid {os.getpid()}); "
            "`make stop-class PORT=8500` stops it"
        )
        with RunDir.for_port(8501, tmp_path).locked():  # another port is another class
            pass
    assert not run.is_locked()
    assert run.live_pids() == {}, "the supervisor's PID file goes with the lock"


def test_a_pid_file_names_only_the_process_that_wrote_it(tmp_path):
    """A PID file whose process has gone, or whose pid was reused, is not a live process."""
    run = RunDir.for_port(8500, tmp_path)
    run.path.mkdir(parents=True)
    run.write_pid("replica-r1", os.getpid())
    run.file("replica-r2.pid").write_text(f"{os.getpid()} 1\n")  # another start time
    run.file("nginx.pid").write_text("junk\n")
    assert run.live_pids() == {"replica-r1": os.getpid()}
    assert start_time(os.getpid()) is not None


def test_stop_without_a_supervisor_stops_its_leftovers(tmp_path, capsys):
    """When the supervisor was killed outright, stop ends the processes its PID files name."""
    run = RunDir.for_port(8500, tmp_path)
    run.path.mkdir(parents=True)
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                             cwd=ROOT, start_new_session=True)  # fmt: skip
    try:
        run.write_pid("replica-r1", child.pid)
        assert stop(8500, tmp_path) == 0
        assert child.wait(10) == -15  # SIGTERM
        assert capsys.readouterr().out.strip() == (
            "stopped what was left of the class server on port 8500: replica-r1"
        )
        assert not run.file("replica-r1.pid").exists()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_stop_with_nothing_running_says_so(tmp_path, capsys):
    assert stop(8502, tmp_path) == 0
    assert capsys.readouterr().out.strip() == "no class server is running on port 8502"


def test_stop_asks_the_supervisor_and_waits_for_it(tmp_path, capsys):
    """A supervisor holding the lock gets SIGTERM; stop returns once it has let go."""
    code = (
        "import signal, sys, time\n"
        "from pathlib import Path\n"
        "from class_server.run_dir import RunDir\n"
        "stop = []\n"
        "signal.signal(signal.SIGTERM, lambda *a: stop.append(1))\n"
        f"with RunDir.for_port(8503, Path({str(tmp_path)!r})).locked():\n"
        "    print('locked', flush=True)\n"
        "    while not stop: time.sleep(0.05)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        assert stop(8503, tmp_path) == 0
        assert holder.wait(10) == 0 and time.monotonic() - started < 60
        assert capsys.readouterr().out.strip() == "stopped the class server on port 8503"
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
