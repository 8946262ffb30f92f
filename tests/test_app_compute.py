"""app_ui.compute: which programs run where."""

from __future__ import annotations

from dataclasses import replace

import engine
from app_ui.compute import is_own, run_program
from app_ui.presets import DEFAULT_PROGRAM, PRESETS
from engine.pool import pool


def test_only_the_pages_own_first_program_as_shipped_is_its_own():
    assert is_own(DEFAULT_PROGRAM)
    assert not is_own(DEFAULT_PROGRAM, (("x", "2.0", True),))  # a table value: a visitor's
    assert not is_own(DEFAULT_PROGRAM.replace("0.3", "0.4"))
    assert not is_own(DEFAULT_PROGRAM + "\n")
    assert not any(is_own(text) for name, text in PRESETS.items() if text != DEFAULT_PROGRAM)


def test_the_first_program_runs_here_and_gives_the_workers_run():
    """No worker is asked for it, and what it shows is what a locked child gives."""
    runs = pool().stats.runs
    here = run_program.__wrapped__(DEFAULT_PROGRAM, ())
    assert pool().stats.runs == runs
    there = engine.run(DEFAULT_PROGRAM, numeric=False)
    assert pool().stats.runs == runs + 1
    assert here.ok and there.ok
    assert replace(here, answer_bytes=0) == replace(there, answer_bytes=0)
    assert here.passes[-1].steps and here.tensors["w"].pass_grad is not None


def test_any_other_program_runs_in_a_worker():
    runs = pool().stats.runs
    done = run_program.__wrapped__(DEFAULT_PROGRAM.replace("0.3", "0.4"), ())
    assert done.ok, done.error
    assert pool().stats.runs == runs + 1
