"""Resource limits for one run of a program."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Every limit a run obeys; each default can be changed per run.

    The operating system enforces the time and memory limits on the worker child that
    runs the program (a kill at the wall-clock limit, RLIMIT_AS), whatever it is doing.
    """

    program_chars: int = 20_000
    seconds: float = 5.0  # wall clock, from the request to the answer; then a kill
    memory_mb: int = 1_000  # what the program may add to the worker's address space
    graph_nodes: int = 20_000  # drawn collapsed beyond DrawOptions.max_nodes
    print_chars: int = 100_000
    report_elements: int = 10_000  # per tensor; beyond it, the shape and summary statistics
    report_mb: int = 64  # the worker's whole answer
    layout_seconds: float = 10.0
