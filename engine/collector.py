"""collector_paused(): CPython's cyclic collector held off while the engine builds a report.

A recorded pass, a trace, an answer on the wire and a pass's explanations each make tens of
thousands of small objects that hold no cycles (frozen nodes, steps, tuples of numbers).
Every few hundred of them start a collection, and each full one walks everything still
alive: on a 5,000-node graph a tenth of the engine's time went there, and more of it the
bigger the graph. Reference counting still frees everything at once; what a pause leaves
for later is only cyclic garbage, which the next collection takes.

Never around a program's own code outside a recorded pass: its collections stay as
CPython's. The collector is one per process and the app's sessions are threads, so pauses
are counted: it runs again when the last one ends, and only if it was on when the first
began (a program or a person may have turned it off themselves).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_LOCK = threading.Lock()
_state = {"pauses": 0, "was_on": False}


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic collection inside the block (nested and concurrent blocks are fine)."""
    with _LOCK:
        if _state["pauses"] == 0:
            _state["was_on"] = gc.isenabled()
            gc.disable()
        _state["pauses"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _state["pauses"] -= 1
            if _state["pauses"] == 0 and _state["was_on"]:
                gc.enable()
