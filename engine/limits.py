"""Resource limits for one run of a user program."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Every limit a run obeys; each default can be changed per run."""

    program_chars: int = 20_000
    tensor_elements: int = 1_000_000
    total_elements: int = 20_000_000
    loop_iterations: int = 10_000
    graph_nodes: int = 5_000
    seconds: float = 5.0
    print_chars: int = 100_000
    layout_seconds: float = 10.0
    # What a run may add to the process's resident memory: Python strings and lists are
    # not tensors, so only this catches ten thousand one-megabyte strings.
    memory_mb: int = 1_000
