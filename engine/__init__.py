"""The engine: run a program as real Python and observe what autograd records.

Imports torch only (never streamlit or graphviz), and hands out plain frozen data.
"""

from .errors import ErrorInfo, LimitExceeded, ProgramError
from .explain import explained
from .graph import Edge, Graph, Iteration, Node, Pass, Run, Saved, Step, TensorReport
from .limits import Limits
from .run import numeric_check, observe, run
from .sandbox import Layer, SandboxStatus
from .symbolic import Symbolic, symbolic_derivative
from .trace import trace

__all__ = [
    "Edge",
    "ErrorInfo",
    "Graph",
    "Iteration",
    "Layer",
    "LimitExceeded",
    "Limits",
    "Node",
    "Pass",
    "ProgramError",
    "Run",
    "SandboxStatus",
    "Saved",
    "Step",
    "Symbolic",
    "TensorReport",
    "explained",
    "numeric_check",
    "observe",
    "run",
    "sandbox_status",
    "symbolic_derivative",
    "trace",
]


def sandbox_status() -> SandboxStatus:
    """Which layers of the worker's sandbox are active on this machine, and why not."""
    from .sandbox import probe

    return probe()
