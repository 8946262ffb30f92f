"""engine.run: interpret a program with real torch, record its graph and backward passes."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import torch

from . import graph as g
from .errors import ErrorInfo, ProgramError
from .forward import ForwardRecorder
from .limits import Limits
from .numeric import numeric_grads
from .record import BackwardRecorder
from .rng import seed
from .trace import trace
from .values import shape_of

# Torch keeps the RNG, grad mode and a few settings per process: one run at a time keeps
# one student's program from seeing another's state. Runs are short (limits), so this is cheap.
_RUN_LOCK = threading.Lock()
DEFAULT_SEED = 0  # an unseeded program still gives the same numbers every time it runs


def run(
    source: str,
    limits: Limits | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    numeric: bool = True,
) -> g.Run:
    """Run a program in the model language. Never raises for a bad program.

    numeric=False skips the finite-difference check (numeric_grad stays None): the re-runs
    it needs cost more than the run itself, and a first picture should not wait for them.
    """
    limits = limits or Limits()
    try:
        with _RUN_LOCK, _isolated():
            return _run(source, limits, inputs, numeric)
    except ProgramError as exc:
        return g.Run(ok=False, error=exc.info())
    except Exception as exc:  # noqa: BLE001 - a run must never crash its caller
        return g.Run(ok=False, error=ErrorInfo(type(exc).__name__, _one_line(exc)))


def numeric_check(
    source: str,
    done: g.Run,
    limits: Limits | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
) -> g.Run:
    """`done` (a run of the same source and inputs with numeric=False), numeric_grad filled in.

    The finite differences only, without running the program a first time again: a
    picture can come first and the check when someone asks for it. Never raises.
    """
    if not done.ok or len(done.history) != 1:
        return done
    limits = limits or Limits()
    try:
        with _RUN_LOCK, _isolated():
            tensors = _with_numeric(source, done.tensors, limits, inputs, done.undeclared)
    except Exception:  # noqa: BLE001 - a check must never take its caller down
        return done
    return replace(done, tensors=tensors)


def _with_numeric(
    source: str,
    tensors: dict[str, g.TensorReport],
    limits: Limits,
    inputs: Mapping[str, Any] | None,
    undeclared: tuple[str, ...],
) -> dict[str, g.TensorReport]:
    """The reports with numeric_grad from float64 central differences of every named leaf.

    `undeclared`: the names the program read from `inputs` (it defines the others itself).
    """
    from .interpreter import execute

    leaves = {
        name: (t.leaf_index, t.shape) for name, t in tensors.items() if t.leaf_index is not None
    }
    given = frozenset(undeclared) & frozenset(inputs or ())
    found = numeric_grads(source, leaves, execute, limits=limits, inputs=inputs, given=given)
    return {name: replace(t, numeric_grad=found.get(name)) for name, t in tensors.items()}


def _run(source: str, limits: Limits, inputs: Mapping[str, Any] | None, numeric: bool) -> g.Run:
    from .interpreter import execute  # lazy: trace and record work without the interpreter

    forward = ForwardRecorder()
    recorder = BackwardRecorder(forward=forward, limits=limits)
    notes: list[str] = []
    with forward:

        def backward(*args, names=None, **kwargs):
            recorder(*args, names=_named_tensors(names or {}), **kwargs)

        execution = execute(source, limits=limits, backward=backward, inputs=inputs)
        names = _named_tensors(execution.namespace)
        error = execution.error
        output = None
        if error is None and not execution.backward_called:
            output, error = _auto_backward(execution, names, recorder, notes)
    if recorder.dropped:
        notes.append(
            f"backward ran {recorder.count} times; the first and last {recorder.keep} "
            f"passes are kept ({recorder.dropped} in between are not shown)"
        )
    passes = recorder.passes
    graph = passes[-1].graph if passes else None
    if graph is None and output is not None:
        graph = trace(output[1], names, output_label=output[0], max_nodes=limits.graph_nodes,
                      recorder=forward)  # fmt: skip
    if graph is not None:
        notes.extend(graph.notes)
    tensors = {name: _report(t, forward.leaves.of(t)) for name, t in names.items()}
    if numeric and error is None and recorder.count == 1:
        # One backward pass: its grads are what the finite differences can be compared with.
        tensors = _with_numeric(source, tensors, limits, inputs, execution.undeclared)
    return g.Run(
        ok=error is None,
        stdout=execution.stdout,
        tensors=tensors,
        graph=graph,
        passes=passes,
        notes=tuple(notes),
        error=error,
        undeclared=execution.undeclared,
        history=tuple(recorder.history),
    )


def _auto_backward(execution, names, recorder, notes) -> tuple[Any, ErrorInfo | None]:
    """No backward() in the program: run it on the last assigned tensor, as DESIGN.md says."""
    name = execution.last_tensor_name
    if name is None or name not in names:
        return None, None
    tensor = names[name]
    if not tensor.requires_grad:
        notes.append(
            f"{name} does not depend on any tensor with requires_grad=True, "
            "so there is no gradient to compute (use param(...) or requires_grad=True)"
        )
        return (name, tensor), None
    label = name
    if tensor.numel() != 1:
        tensor, label = tensor.sum(), f"{name}.sum()"
        notes.append(f"{name} is not a scalar, so backward ran on {label} (as in the lesson)")
    else:
        notes.append(f"the program never called backward, so it ran on {name}, the last tensor")
    try:
        recorder(tensor, label=label, names=names)
    except ProgramError as exc:
        return (label, tensor), exc.info()
    except RuntimeError as exc:
        return (label, tensor), ErrorInfo("RuntimeError", _one_line(exc))
    return (label, tensor), None


def _named_tensors(namespace: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the user can name: variables, and a module's parameters as model.weight."""
    out: dict[str, torch.Tensor] = {}
    for name, value in namespace.items():
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, torch.nn.Module):
            for pname, p in value.named_parameters():
                out[f"{name}.{pname}"] = p
    return out


def _report(tensor: torch.Tensor, leaf_index: int | None) -> g.TensorReport:
    t = tensor.detach()
    grad = tensor.grad if tensor.is_leaf or tensor.retains_grad else None
    return g.TensorReport(
        value=t.tolist(),
        shape=shape_of(t),
        requires_grad=tensor.requires_grad,
        is_leaf=tensor.is_leaf,
        grad=grad.tolist() if grad is not None else None,
        dtype=str(tensor.dtype),
        leaf_index=leaf_index if tensor.is_leaf and tensor.requires_grad else None,
    )


class _isolated:
    """Keep torch's process-wide state (RNG, grad mode) as it was before the run."""

    def __enter__(self):
        self.rng = torch.random.get_rng_state()
        self.grad_enabled = torch.is_grad_enabled()
        seed(DEFAULT_SEED)
        return self

    def __exit__(self, *exc):
        torch.random.set_rng_state(self.rng)
        torch.set_grad_enabled(self.grad_enabled)
        return False


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
