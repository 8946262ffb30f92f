"""Pure work behind the page, cached by program text, inputs and options (never by objects).

The caches are plain LRU caches (runs bounded by bytes), shared by every session. Their
values are immutable (frozen dataclasses, str, bytes), so sharing them is safe, and a hit
costs a dictionary lookup: st.cache_data pickled every value in and out and inspected the
function's signature on every call, a few milliseconds of each rerun.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app_ui.byte_cache import byte_lru

# One row of the variables table: (name, value as typed, requires_grad). Tuples keep it hashable.
Inputs = tuple[tuple[str, str, bool], ...]
# DrawOptions as sorted (field, value) pairs: hashable, and graphviz_utils stays unimported.
OptionItems = tuple[tuple[str, Any], ...]


def parse_value(text: str) -> float | list:
    """A number or a (nested) list of numbers, as typed in the variables table."""
    try:
        value = ast.literal_eval(text.strip())
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        value = None
    if not _numeric(value):
        raise ValueError(f"{text!r} is not a number or a list of numbers")
    return value


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, (list, tuple)) and bool(value) and all(_numeric(v) for v in value)


# Runs are kept by the bytes they hold (a big loop's run is megabytes), the rest by count:
# a payload or export is bounded by the graph's size limit.
RUN_CACHE_BYTES = 256 * 1024 * 1024
OBJECTS_PER_ANSWER_BYTE = 4  # Python objects are a few times bigger than their JSON


def _run_bytes(run) -> int:
    return max(4096, OBJECTS_PER_ANSWER_BYTE * getattr(run, "answer_bytes", 0))


@byte_lru(RUN_CACHE_BYTES, _run_bytes)
def run_program(source: str, inputs: Inputs = ()):
    """engine.run with the variables table's values; a bad value is an error like any other.

    Without the finite-difference check: the graph should not wait for its re-runs. The
    Check tab asks checked_program for them when it is opened.
    """
    import engine

    values = input_tensors(inputs)
    if isinstance(values, engine.ErrorInfo):
        return engine.Run(ok=False, error=values)
    return engine.run(source, inputs=values or None, numeric=False, trusted=is_own(source, inputs))


def is_own(source: str, inputs: Inputs = ()) -> bool:
    """Whether a program is the page's own first one exactly as shipped: the app's code,
    not a visitor's, so it may run in the server's process.

    Every visitor's page opens with it, and a cold server has no worker yet: the zygote's
    fresh interpreter takes about three seconds to import torch and warm up, which the first
    graph then waited for. Any other text, or any value in the variables table, goes to a
    locked worker.
    """
    from app_ui.presets import DEFAULT_PROGRAM

    return source == DEFAULT_PROGRAM and not inputs


@byte_lru(RUN_CACHE_BYTES // 4, _run_bytes)
def checked_program(source: str, inputs: Inputs = ()):
    """run_program's run with numeric_grad filled in (finite differences: re-runs only)."""
    import engine

    done = run_program(source, inputs)
    values = input_tensors(inputs)
    if isinstance(values, engine.ErrorInfo):
        return done
    return engine.numeric_check(source, done, inputs=values or None)


# A loop, or a number of four digits or more (a size): what may_be_slow looks for.
SLOW_HINT = re.compile(r"\b(for|while)\b|\d{4,}")


def may_be_slow(source: str) -> bool:
    """Whether a run could take long enough (up to the time limit) to need a spinner.

    Straight-line programs over small tensors run in milliseconds; a spinner costs a thread
    and a message on every rerun.
    """
    return SLOW_HINT.search(source) is not None


def input_tensors(inputs: Inputs):
    """The variables table as fresh tensors by name, or the ErrorInfo of its first bad value."""
    import torch

    import engine

    values = {}
    for name, text, requires_grad in inputs:
        try:
            number = parse_value(text)
            values[name] = torch.tensor(number, dtype=torch.float32, requires_grad=requires_grad)
        except (ValueError, TypeError, RuntimeError) as exc:
            return engine.ErrorInfo("ValueError", f"variable {name}: {exc}")
    return values


def drawable_pass(run, number: int):
    """The backward pass numbered `number` (clamped), or the bare graph as a pass of no steps;
    its steps explained."""
    if run.passes:
        import engine

        chosen = next((p for p in run.passes if p.number == number), run.passes[-1])
        return engine.explained(chosen)
    if run.graph is None:
        return None
    from engine import Pass

    label = run.graph.node(run.graph.output).label if run.graph.output else "output"
    return Pass(output=label, graph=run.graph, steps=())


def draw_options(items: OptionItems):
    from graphviz_utils import DrawOptions

    return DrawOptions(**dict(items))


@dataclass(frozen=True)
class PlayerPayload:
    """The player's data as JSON text (encoded once, when laid out), or why it failed."""

    json: str = ""
    error: str = ""


@dataclass(frozen=True)
class RunView:
    """What the graph shows: a program, its variables table, the pass on screen and the
    drawing options. Frozen and hashable: the caches below key on it, and its methods give
    the (cached) run and pass behind it, so no caller rebuilds them from loose parts.
    """

    source: str
    inputs: Inputs = ()
    number: int = 1  # which backward() call (clamped to the last one the run made)
    items: OptionItems = ()

    def run(self):
        """The program's run with the variables table's values (cached)."""
        return run_program(self.source, self.inputs)

    def checked(self):
        """The run with finite differences filled in (re-runs only; cached)."""
        return checked_program(self.source, self.inputs)

    def pass_(self):
        """The pass on screen, its steps explained; None when the run drew no graph."""
        return drawable_pass(self.run(), self.number)

    def payload(self):
        """The player's data for this pass and options (laid out once, then cached)."""
        return player_payload(self)

    def export(self, fmt: str, step: int | None) -> bytes:
        """One download of this view (cached)."""
        return export_bytes(self, fmt, step)


@lru_cache(maxsize=64)
def player_payload(view: RunView):
    """The player's data (one Graphviz layout plus per-step restyles) for one pass.

    A layout that fails (Graphviz out of time) is returned as an error rather than raised,
    so the cache keeps it and the next rerun does not wait for Graphviz again.
    """
    from graphviz_utils import LayoutError, player_data

    pass_ = view.pass_()
    if pass_ is None:
        return None
    try:
        return PlayerPayload(json=json.dumps(player_data(pass_, draw_options(view.items))))
    except (LayoutError, ValueError) as exc:
        return PlayerPayload(error=str(exc))


@lru_cache(maxsize=32)
def export_bytes(view: RunView, fmt: str, step: int | None) -> bytes:
    """One download (svg, png, pdf of a step; gif or html of the whole pass)."""
    from graphviz_utils import export

    options = draw_options(view.items)
    return export(view.pass_(), fmt, step=step, dpi=150, options=options)


_WARMING: list[threading.Thread] = []


def warm_workers() -> None:
    """Start the worker pool (its zygote imports torch) beside the first paint, once."""
    if not _WARMING:
        from engine.pool import pool

        thread = threading.Thread(target=_warm, args=(pool,), daemon=True)
        _WARMING.append(thread)
        thread.start()


def _warm(pool) -> None:
    with contextlib.suppress(RuntimeError):  # the first run reports why it could not start
        pool().warm()


@lru_cache(maxsize=1)
def sandbox_line() -> str:
    """The sandbox's one-line status on this machine (measured once per process)."""
    import engine

    return engine.sandbox_status().describe()
