"""engine.collector: the cyclic collector paused for the engine's own work, and only then."""

from __future__ import annotations

import contextlib
import gc
import io
import threading

import engine
from engine.collector import collector_paused


def test_a_pause_turns_the_collector_off_and_back_on():
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still holds
    assert gc.isenabled()


def test_a_pause_leaves_a_collector_that_was_off_off():
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_overlapping_pauses_in_two_threads_end_with_the_collector_on():
    first_in, second_done = threading.Event(), threading.Event()
    seen = []

    def first():
        with collector_paused():
            first_in.set()
            second_done.wait(5)
            seen.append(gc.isenabled())  # the second thread's pause ended, this one holds

    thread = threading.Thread(target=first)
    thread.start()
    first_in.wait(5)
    with collector_paused():
        pass
    second_done.set()
    thread.join(5)
    assert seen == [False]
    assert gc.isenabled()


def test_an_error_inside_a_pause_still_ends_it():
    try:
        with collector_paused():
            raise KeyError("x")
    except KeyError:
        pass
    assert gc.isenabled()


def _plain(source: str) -> str:
    """What CPython prints for the program, with the collector put back on after it."""
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, "<plain>", "exec"), {"__name__": "__main__"})
    finally:
        gc.enable()
    return out.getvalue()


PROGRAM = (
    "import gc, torch\n"
    "on_at_start = gc.isenabled()\n"
    "x = torch.tensor([1.0, 2.0], requires_grad=True)\n"
    "y = (x * x).sum()\n"
    "y.backward()\n"
    "print(on_at_start, gc.isenabled())\n"
)


def test_a_program_sees_the_collector_as_python_leaves_it():
    """Its own code never runs paused (trusted: this process's collector is the one seen)."""
    done = engine.run(PROGRAM, trusted=True, numeric=False)
    assert done.ok, done.error
    assert done.stdout == _plain(PROGRAM)
    assert "True" in done.stdout
    assert gc.isenabled()


def test_a_programs_own_gc_disable_outlives_the_engines_pauses():
    source = PROGRAM.replace("import gc, torch\n", "import gc, torch\ngc.disable()\n")
    try:
        done = engine.run(source, trusted=True, numeric=False)
        assert done.ok, done.error
        assert not gc.isenabled()  # as the program left it
        assert done.stdout == _plain(source)
        assert "False" in done.stdout
    finally:
        gc.enable()
