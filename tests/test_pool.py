"""The worker pool's own figures, and the zygote's warm-up programs."""

from __future__ import annotations

import os
import time

import pytest

import engine
from engine import worker
from engine.pool import WorkerPool, _key, _limits_json
from engine.run import run_here


@pytest.mark.parametrize("name", ["WARM_UP", "WARM_UP_MATH", "WARM_UP_LOOP"])
def test_the_zygote_warm_ups_run_without_an_error(name):
    """Each warm-up runs whole (one that raised would warm nothing, silently)."""
    done = run_here(getattr(worker, name), engine.Limits())
    assert done.ok and done.error is None, done.error
    assert done.passes


def test_each_child_reports_its_cpu_seconds():
    """A program that spins until its own CPU clock passes 0.3 s: the zygote reports at
    least that much for its child, and the metrics line shows a median."""
    pool = WorkerPool(parallel=1, spare=1)
    try:
        spin = "import time\nwhile time.process_time() < 0.3:\n    pass\nprint('done')\n"
        limits = engine.Limits()
        job = {"op": "run", "numeric": False, "source": spin, "limits": _limits_json(limits),
               "inputs": None}  # fmt: skip
        answer = pool.answer(job, limits)
        assert "run" in answer, answer
        deadline = time.monotonic() + 10
        with pool.cond:
            while not any(c >= 0.3 for c in pool.stats.cpu) and time.monotonic() < deadline:
                pool.cond.wait(0.1)
            seen, reaped = list(pool.stats.cpu), pool.stats.reaped
        assert any(c >= 0.3 for c in seen), seen
        assert reaped >= 1
        assert "child_cpu_p50=" in pool.stats.line()
    finally:
        pool.shutdown()


LIMITS = engine.Limits()
KEY = _key(LIMITS)


def spares(pool: WorkerPool) -> int:
    """Children ready or asked for (caller holds pool.cond)."""
    return len(pool.ready.get(KEY, [])) + pool.asked.get(KEY, 0)


@pytest.fixture
def three_spares():
    """A pool of one slot with its three spare children forked and ready."""
    pool = WorkerPool(parallel=1, spare=3)
    try:
        pool.warm(LIMITS)
        with pool.cond:
            assert pool.cond.wait_for(lambda: len(pool.ready.get(KEY, [])) == 3, 60)
        yield pool
    finally:
        pool.shutdown()


def test_a_taken_child_is_replaced_after_its_run_not_during_it(three_spares):
    """While a run goes on, the zygote forks no new spare beyond what concurrent runs need
    (its fork, lock-down and warm-up would take the other core); after it, the spares are
    topped up again."""
    import threading

    pool = three_spares
    spin = "import time\nwhile time.process_time() < 0.6:\n    pass\n"
    job = {"op": "run", "numeric": False, "source": spin, "limits": _limits_json(LIMITS),
           "inputs": None}  # fmt: skip
    answers = []
    runner = threading.Thread(target=lambda: answers.append(pool.answer(job, LIMITS)))
    runner.start()
    time.sleep(0.3)
    with pool.cond:
        during = spares(pool)
    runner.join(30)
    assert "run" in answers[0], answers
    assert during == 2
    with pool.cond:
        assert pool.cond.wait_for(lambda: len(pool.ready.get(KEY, [])) == 3, 60)


def test_with_runs_queued_a_taken_child_is_replaced_at_once(three_spares):
    """In a burst (runs waiting for a slot) the spares are refilled when a child is taken."""
    pool = three_spares
    with pool.cond:
        pool.stats.waiting = 1  # as while another run waits for the slot
    child = pool._take(KEY)
    with pool.cond:
        refilled = spares(pool)
        pool.stats.waiting = 0
    os.close(child.job_w)
    os.close(child.result_r)
    assert refilled == 3
