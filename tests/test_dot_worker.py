"""The pool of long-lived dot processes: the same SVG as one dot run, safe under threads,
timeouts, crashes and bad DOT, and no process left behind."""

from __future__ import annotations

import functools
import inspect
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import engine
from graphviz_utils import dot_worker, to_digraph
from graphviz_utils.draw import scene
from graphviz_utils.layout import LayoutError, graphviz, layout_svg

ROOT = Path(__file__).resolve().parent.parent
SQUARES = "x = param([1.0, 2.0])\ny = (x * x).sum()\n"
# dot takes ~13 s on this: any timeout well under a second always expires.
SLOW = "digraph slow {" + " ".join(f"a{i} -> a{(i * 7919) % 3000};" for i in range(3000)) + "}"
HAND_WRITTEN = [
    'digraph plain { a -> b -> c; a -> c [label="skip"] }',
    'digraph tag { t [label="</svg>\\n<svg> & \\"quoted\\""]; t -> u [xlabel="</svg>"] }',
    'digraph html { h [shape=plaintext label=<<TABLE><TR><TD PORT="p">&lt;/svg&gt;</TD>'
    "<TD>ü ∂ ←</TD></TR></TABLE>>]; h:p -> k }",
    'digraph clusters { rankdir=LR; subgraph cluster_a { label="A"; a1 -> a2 } '
    "subgraph cluster_b { b1 } a2 -> b1; { rank=same; a1; b1 } }",
    'graph undirected { node [shape=record]; r [label="{<f0> left|<f1> right}"]; r:f0 -- s }',
]


def one_shot(source: str) -> bytes:
    """What a fresh `dot -Tsvg` prints: the expected output of every pooled run."""
    return graphviz("dot", source, ["-Tsvg"], 60)


@functools.cache
def lesson_sources() -> list[str]:
    """The lesson's DOT as the app draws it: to_digraph, the player's base, every frame."""
    run = engine.run(SQUARES)
    assert run.ok, run.error
    sc = scene(run.passes[-1])
    return [to_digraph(run.passes[-1]).source, sc.base_source()] + [
        sc.digraph(sc.state(step)).source for step in range(-1, len(sc.frames) - 1)
    ]


def dot_children() -> set[int]:
    """pids of this process's `dot` children, zombies included."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        if comm == "dot" and ppid == os.getpid():
            found.add(int(entry))
    return found


def is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2 :].split()[0] == "Z"


def wait_until(condition, what: str, limit: float = 30.0) -> None:
    """Wait for something another process or thread does (a bound, not a timing claim)."""
    end = time.monotonic() + limit
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"never happened: {what}")
        time.sleep(0.005)


@pytest.fixture
def pool():
    pool = dot_worker.DotPool()
    yield pool
    pool.shutdown()


@pytest.fixture
def shared(monkeypatch, pool):
    """layout_svg without its cache, served by a fresh pool of this test's own."""
    monkeypatch.setattr(dot_worker, "POOL", pool)
    return layout_svg.__wrapped__


def test_pooled_svg_is_byte_identical_to_one_dot_run(pool):
    """Project graphs (every frame of a lesson) and hand-written ones, each sent twice so
    most are not the first graph their process sees."""
    sources = lesson_sources() + HAND_WRITTEN
    for source in sources + sources:
        assert pool.svg(source, 10) == one_shot(source), source[:60]
    assert pool.stats().graphs == 2 * len(sources)  # all answered by the pool, none run once


def test_a_label_with_an_svg_end_tag_keeps_the_process_in_step(pool):
    """`</svg>` in a label is escaped, so the answer neither ends early nor leaks into the next."""
    tag, plain = HAND_WRITTEN[1], HAND_WRITTEN[0]
    svg = pool.svg(tag, 10)
    assert svg == one_shot(tag) and b"&lt;/svg&gt;" in svg
    assert pool.svg(plain, 10) == one_shot(plain)
    assert pool.stats().started == 1


def test_sequential_calls_reuse_one_process(pool):
    source, expected = lesson_sources()[0], one_shot(lesson_sources()[0])
    assert pool.svg(source, 10) == expected
    first = pool.stats().idle
    for _ in range(30):
        assert pool.svg(source, 10) == expected
    after = pool.stats()
    assert len(first) == 1 and after.idle == first
    assert after.started == 1 and after.graphs == 31


def test_layout_svg_uses_the_pool_and_keeps_its_cache(monkeypatch, pool):
    monkeypatch.setattr(dot_worker, "POOL", pool)
    layout_svg.cache_clear()
    source = lesson_sources()[1]
    svg = layout_svg(source, 10.0)
    assert svg == one_shot(source)
    assert layout_svg(source, 10.0) is svg
    assert pool.stats().graphs == 1
    layout_svg.cache_clear()


def test_concurrent_calls_get_their_own_correct_answers(shared, pool):
    """8 threads at once, 10 graphs each: every answer is its own graph's, and at most two
    dot processes ever run for the pool (the rest of the callers run dot once)."""
    sources = [f'digraph g{k} {{ a{k} -> b [label="thread {k}"] }}' for k in range(8)]
    expected = [one_shot(s) for s in sources]
    assert len(set(expected)) == 8
    results: dict[int, list[bytes]] = {}
    start = threading.Barrier(8)

    def caller(k: int) -> None:
        start.wait()
        results[k] = [shared(sources[k], 10.0) for _ in range(10)]

    threads = [threading.Thread(target=caller, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in range(8):
        assert results[k] == [expected[k]] * 10
    stats = pool.stats()
    assert stats.graphs > 0 and stats.started <= dot_worker.MAX_WORKERS
    assert len(stats.idle) <= dot_worker.MAX_WORKERS and stats.busy == 0


def test_a_layout_past_its_time_is_a_layout_error_and_the_pool_goes_on(shared, pool):
    source = lesson_sources()[0]
    shared(source, 10.0)
    (old,) = pool.stats().idle
    with pytest.raises(LayoutError, match=r"Graphviz layout took longer than 0\.05 s"):
        shared(SLOW, 0.05)
    assert old not in dot_children()  # killed and reaped, never reused
    assert pool.stats().idle == ()
    assert shared(source, 10.0) == one_shot(source)
    assert pool.stats().started == 2


def test_a_killed_idle_process_is_replaced_on_the_next_call(shared, pool):
    source = HAND_WRITTEN[3]
    shared(source, 10.0)
    (old,) = pool.stats().idle
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: is_zombie(old), "the killed dot exits")
    assert shared(source, 10.0) == one_shot(source)
    stats = pool.stats()
    assert stats.started == 2 and len(stats.idle) == 1 and stats.idle != (old,)
    assert old not in dot_children()  # reaped: no zombie


def test_a_process_that_dies_during_a_call_falls_back_to_one_run(shared, pool, monkeypatch):
    """The death shows on the pipes: that call runs dot once, the next gets a new process."""
    source = HAND_WRITTEN[2]
    shared(source, 10.0)
    (old,) = pool.stats().idle
    os.kill(old, signal.SIGKILL)
    wait_until(lambda: is_zombie(old), "the killed dot exits")
    monkeypatch.setattr(dot_worker._Worker, "alive", lambda self: True)  # not seen at hand-out
    assert pool.svg(source, 10) is None
    assert shared(source, 10.0) == one_shot(source)
    assert old not in dot_children()
    assert pool.stats().started == 2 and pool.stats().idle not in ((), (old,))


def test_bad_dot_gives_dots_message_and_the_pool_goes_on(shared, pool):
    source = HAND_WRITTEN[0]
    shared(source, 10.0)
    with pytest.raises(LayoutError, match=r"Graphviz `dot` failed: .*syntax error in line 1"):
        shared("digraph bad { a -> }", 10.0)
    assert shared(source, 10.0) == one_shot(source)
    assert pool.stats().graphs == 2


def test_two_graphs_in_one_source_are_caught_by_the_end_graph(shared, pool):
    """dot answers twice: the pool notices, drops that process and the output is one run's."""
    both = HAND_WRITTEN[0] + "\n" + HAND_WRITTEN[4]
    assert pool.svg(both, 10) is None
    assert shared(both, 10.0) == one_shot(both)
    assert one_shot(both).count(b"</svg>") == 2
    assert shared(HAND_WRITTEN[4], 10.0) == one_shot(HAND_WRITTEN[4])
    assert pool.stats().started == 3  # each of the two tries cost its process


@pytest.mark.parametrize(
    "source",
    [
        "digraph { a -> b }",  # anonymous: its title counts graphs in the process
        'digraph gradient { a [style=filled fillcolor="red:blue"] }',  # counted gradient ids
        'digraph anchor { a [label=<<TABLE><TR><TD HREF="h">x</TD></TR></TABLE>>] }',  # counted
        'digraph root { URL="u"; a }',  # the root's link takes the stale page prefix
        "digraph engine { layout=neato; a -> b }",  # would switch the process to neato
    ],
)
def test_graphs_dot_would_number_differently_are_run_once(shared, pool, source):
    """Features where a reused dot prints something else are left to a one-shot run."""
    warm = lesson_sources()[0]
    shared(warm, 10.0)  # so the process has seen a graph before
    for _ in range(2):
        assert pool.svg(source, 10) is None
        assert shared(source, 10.0) == one_shot(source)
    assert shared(warm, 10.0) == one_shot(warm)  # and the process is still right
    assert pool.stats().started == 1


def test_a_process_is_replaced_after_its_graph_limit(monkeypatch):
    pool = dot_worker.DotPool(recycle_after=3)
    monkeypatch.setattr(dot_worker, "POOL", pool)
    try:
        source, expected = HAND_WRITTEN[0], one_shot(HAND_WRITTEN[0])
        pids = set()
        for _ in range(7):  # processes serve calls 1-3, 4-6 and 7
            assert layout_svg.__wrapped__(source, 10.0) == expected
            pids.update(pool.stats().idle)
        assert pool.stats().started == 3 and len(pids) == 3
        assert not (pids - set(pool.stats().idle)) & dot_children()
    finally:
        pool.shutdown()


def test_missing_dot_is_the_same_layout_error(shared, pool, monkeypatch, tmp_path):
    """Even with a process already running: dot is looked up on PATH each call."""
    shared(HAND_WRITTEN[0], 10.0)
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pool.svg(HAND_WRITTEN[0], 10) is None
    with pytest.raises(LayoutError, match=r"Graphviz's `dot` is not installed \(Debian package"):
        shared(HAND_WRITTEN[0], 10.0)
    assert pool.stats().started == 1 and pool.stats().graphs == 1


def test_shutdown_leaves_no_dot_process(pool):
    """One idle and one busy process: both are killed and reaped."""
    expected = one_shot(HAND_WRITTEN[0])
    others = dot_children()  # the shared pool's, from other tests
    answers = []
    slow = threading.Thread(target=lambda: answers.append(pool.svg(SLOW, 60)))
    slow.start()
    wait_until(lambda: pool.stats().busy == 1, "the slow layout starts")
    assert pool.svg(HAND_WRITTEN[0], 10) == expected
    ours = dot_children() - others
    assert len(ours) == 2 and len(pool.stats().idle) == 1
    pool.shutdown()
    slow.join(30)
    assert answers == [None]  # the busy caller saw its dot end: it would run dot once
    assert not ours & dot_children()  # killed and reaped
    assert pool.svg(HAND_WRITTEN[0], 10) is None  # no new processes after shutdown
    assert pool.stats().started == 2


def test_interpreter_exit_leaves_no_dot_process():
    """The shared pool is shut down at exit: a handler that runs after it finds no dot."""
    script = f"""
import atexit, os, sys
from pathlib import Path
{inspect.getsource(dot_children)}
atexit.register(lambda: print("at exit", len(dot_children())))  # runs last: LIFO
from graphviz_utils.layout import layout_svg
layout_svg({HAND_WRITTEN[0]!r})
print("running", len(dot_children()))
"""
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
        check=True,
    )  # fmt: skip
    assert done.stdout.split("\n")[:2] == ["running 1", "at exit 0"], done.stderr
