"""The engine: run a program with real PyTorch and observe what autograd records.

Imports torch only (never streamlit or graphviz), and hands out plain frozen data.
"""

from .errors import ErrorInfo, LimitExceeded, ProgramError, Refused
from .graph import Edge, Graph, Iteration, Node, Pass, Run, Saved, Step, TensorReport
from .limits import Limits
from .run import numeric_check, run
from .symbolic import Symbolic, symbolic_derivative
from .trace import trace

__all__ = [
    "Edge",
    "ErrorInfo",
    "Graph",
    "Iteration",
    "LimitExceeded",
    "Limits",
    "Node",
    "Pass",
    "ProgramError",
    "Refused",
    "Run",
    "Saved",
    "Step",
    "Symbolic",
    "TensorReport",
    "numeric_check",
    "run",
    "symbolic_derivative",
    "trace",
]
