"""engine.run: run a program as real Python, record its graph and backward passes.

On a server a program runs only in a locked worker child (engine.pool); `trusted=True`
runs it here, in this process, for a person's own code on their own machine.
"""

from __future__ import annotations

import math
import sys
import threading
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import torch

from . import graph as g
from .collector import collector_paused
from .errors import ErrorInfo, ProgramError, RunTimeout, first_line
from .execute import execute, first_sentence
from .forward import ForwardRecorder, unobserved
from .limits import Limits
from .names import named_tensors
from .numeric import numeric_grads
from .record import BackwardRecorder
from .rng import seed
from .trace import trace, trace_live
from .values import shape_of

# Torch keeps the RNG, grad mode and a few settings per process: trusted runs share this
# process, so they take turns. Worker runs each have a process of their own.
_TRUSTED_LOCK = threading.Lock()
DEFAULT_SEED = 0  # an unseeded program still gives the same numbers every time it runs
MAX_DIMS = 64  # torch's own limit for most ops; a tensor with more is left out of reports


def run(
    source: str,
    limits: Limits | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    numeric: bool = True,
    trusted: bool = False,
    namespace: dict[str, Any] | None = None,
) -> g.Run:
    """Run a program. Never raises for a bad program.

    numeric=False skips the finite-difference check (numeric_grad stays None): the re-runs
    it needs cost more than the run itself, and a first picture should not wait for them.
    trusted=True runs it in this process instead of a locked worker child.
    namespace (trusted only) runs it in that dict, a notebook's own, as a plain cell runs:
    its variables stay there, the RNG is neither seeded nor put back, torch's settings stay
    as the program leaves them, and there are no finite differences (they would run the
    cell again, side effects and all).
    """
    limits = limits or Limits()
    if namespace is not None:
        if not trusted:
            raise ValueError("run(namespace=...) runs in this process: it needs trusted=True")
        with _TRUSTED_LOCK:
            return run_here(source, limits, inputs=inputs, numeric=False, namespace=namespace,
                            seed_rng=False)  # fmt: skip
    if not trusted:
        from .pool import worker_run

        return worker_run({"op": "run", "numeric": numeric}, source, limits, inputs)
    with _TRUSTED_LOCK, _isolated():
        return run_here(source, limits, inputs=inputs, numeric=numeric)


def numeric_check(
    source: str,
    done: g.Run,
    limits: Limits | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    trusted: bool = False,
) -> g.Run:
    """`done` (a run of the same source and inputs with numeric=False), numeric_grad filled in.

    The finite differences only, without running the program a first time again: a
    picture can come first and the check when someone asks for it. Never raises.
    """
    if not done.ok or len(done.history) != 1:
        return done
    limits = limits or Limits()
    leaves = leaves_of(done)
    if not leaves:
        return done
    if trusted:
        with _TRUSTED_LOCK, _isolated():
            found = numeric_here(source, leaves, limits, inputs, done.undeclared)
    else:
        from .pool import worker_numeric

        found = worker_numeric(source, leaves, limits, inputs, done.undeclared)
    tensors = {name: replace(t, numeric_grad=found.get(name)) for name, t in done.tensors.items()}
    return replace(done, tensors=tensors)


def leaves_of(done: g.Run) -> dict[str, tuple[int, tuple[int, ...]]]:
    """Each named leaf of a run as (k, shape): the k-th leaf the program touched."""
    return {
        name: (t.leaf_index, t.shape)
        for name, t in done.tensors.items()
        if t.leaf_index is not None
    }


def numeric_here(
    source: str,
    leaves: Mapping[str, tuple[int, tuple[int, ...]]],
    limits: Limits,
    inputs: Mapping[str, Any] | None,
    undeclared: tuple[str, ...],
) -> dict[str, Any]:
    """Float64 central differences of every named leaf, in this process. Never raises."""
    given = frozenset(undeclared) & frozenset(inputs or ())
    try:
        return numeric_grads(source, leaves, execute, limits=limits, inputs=inputs, given=given)
    except Exception:  # noqa: BLE001 - a check must never take its caller down
        return {}


def run_here(
    source: str,
    limits: Limits,
    *,
    inputs: Mapping[str, Any] | None = None,
    numeric: bool = True,
    namespace: dict[str, Any] | None = None,
    seed_rng: bool = True,
) -> g.Run:
    """The run itself, in this process: a worker child's job, or a trusted run."""
    try:
        return _run(source, limits, inputs, numeric, namespace, seed_rng)
    except ProgramError as exc:
        return g.Run(ok=False, error=exc.info())
    except RunTimeout:  # the limit struck in the engine's own work, after the program
        message = f"run time is over the limit of {limits.seconds:g} seconds"
        return g.Run(ok=False, error=ErrorInfo("LimitExceeded", message))
    except Exception as exc:  # noqa: BLE001 - a run must never crash its caller
        return g.Run(ok=False, error=ErrorInfo(type(exc).__name__, first_line(exc)))


def _run(source, limits, inputs, numeric, namespace, seed_rng) -> g.Run:
    forward = ForwardRecorder()
    recorder = BackwardRecorder(forward=forward, limits=limits)
    notes: list[str] = []

    def backward(*args, names=None, **kwargs):
        # Names are looked up only for a pass that is recorded (a loop records few).
        recorder(*args, names=lambda: named_tensors(names() if names else {}), **kwargs)

    with forward:
        execution = execute(source, limits=limits, backward=backward, inputs=inputs,
                            namespace=namespace, seed_rng=seed_rng)  # fmt: skip
    try:
        return _observed(execution, source, limits, inputs, numeric, forward, recorder, notes)
    except RunTimeout:
        # The limit struck while the explorer reported the run: the program's own error,
        # and what it printed, still come first.
        message = (
            f"run time is over the limit of {limits.seconds:g} seconds (while the explorer "
            "recorded the run)"
        )
        error = execution.error or ErrorInfo("LimitExceeded", message)
        return g.Run(ok=False, stdout=execution.stdout, error=error)


def _observed(execution, source, limits, inputs, numeric, forward, recorder, notes) -> g.Run:
    """What the observers saw of a finished program, as a Run."""
    names = named_tensors(execution.namespace)
    error = execution.error
    for name in [n for n, t in names.items() if t.dim() > MAX_DIMS]:
        # Legal in torch, but no picture or table can show 100,000 dimensions.
        notes.append(f"{name} has {names.pop(name).dim():,} dimensions: it is left out")
    # The program's own state, reported before the explorer's own pass can touch it.
    with unobserved(), collector_paused():
        tensors = {
            name: report(t, forward.leaves.of(t), limits.report_elements)
            for name, t in names.items()
        }
    output = None
    if error is None and not execution.backward_called:
        with forward:
            output, error = _own_backward(execution, names, recorder, notes)
    if output is not None and recorder.passes:
        given = _pass_grads(recorder.passes[-1])
        tensors = {n: replace(t, pass_grad=given.get(n)) for n, t in tensors.items()}
    notes.extend(f"warning: {w}" for w in execution.warnings)
    if recorder.dropped:
        kept = recorder.passes
        notes.append(
            f"backward ran {recorder.count:,} times; the player shows {len(kept)} of them "
            f"(the first {len(recorder.head)}, then later ones up to #{kept[-1].number:,}): "
            "recording every pass would slow the loop down; every loss is in the history"
        )
    passes = recorder.passes
    graph = passes[-1].graph if passes else None
    if graph is None and output is not None:
        with unobserved(), collector_paused():
            graph = trace(output[1], names, output_label=output[0],
                          max_nodes=limits.graph_nodes, recorder=forward)  # fmt: skip
        if not output[1].requires_grad:  # the note _own_backward wrote says why, in full
            graph = replace(graph, notes=())
    if graph is not None:
        notes.extend(graph.notes)
    if numeric and error is None and recorder.count == 1:
        # One backward pass: its grads are what the finite differences can be compared with.
        found = numeric_here(source, leaves_of(g.Run(True, tensors=tensors)), limits, inputs,
                             execution.undeclared)  # fmt: skip
        tensors = {name: replace(t, numeric_grad=found.get(name)) for name, t in tensors.items()}
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


def _own_backward(execution, names, recorder, notes) -> tuple[Any, ErrorInfo | None]:
    """No backward() in the program: the explorer's own pass from the last assigned tensor.

    It keeps the graph (retain_graph=True) and puts every .grad back as it was, so the
    program's state is exactly what Python left, even in a person's own notebook.
    """
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
        notes.append(
            f"{name} is not a scalar, so the explorer's backward pass ran on {label} "
            "(as in the lesson); the program's own .grad values are unchanged"
        )
    else:
        notes.append(
            f"the program never called backward, so the explorer ran its own pass from {name}, "
            "the last tensor; the program's own .grad values are unchanged"
        )
    try:
        failed = _pass_keeping_grads(tensor, label, names, recorder)
    except ProgramError as exc:
        return (label, tensor), exc.info()
    if failed is not None:
        # The program itself ran as Python runs it; only the explorer's extra pass could
        # not (its graph was freed by autograd.grad, or changed in place): say so, no error.
        notes[-1] = (
            f"the program never called backward, and the explorer could not run its own "
            f"pass from {label}: {failed}"
        )
    return (label, tensor), None


def _pass_keeping_grads(
    tensor: torch.Tensor,
    label: str,
    names: Mapping[str, torch.Tensor],
    recorder: BackwardRecorder,
    fresh: bool = False,
) -> str | None:
    """The explorer's own recorded pass from `tensor` (retain_graph=True), with every .grad
    put back as it was; returns why torch refused it, or None.

    fresh: the leaves start the pass without a .grad, so it shows `tensor`'s gradient alone
    rather than one added to an earlier backward's.
    """
    kept = _grads([*names.values(), tensor])
    if fresh:
        with unobserved():
            leaves = list(trace_live(tensor, saved=False, cap=0).leaves.values())
        kept += _grads(leaves)
        with unobserved(), torch.no_grad():
            for leaf in leaves:
                leaf.grad = None
    try:
        recorder(tensor, retain_graph=True, label=label, names=names)
    except RuntimeError as exc:
        return first_sentence(first_line(exc) or type(exc).__name__)
    finally:
        _restore_grads(kept, recorder)
    return None


SHOW_EARLIER = " Look at the tensor before backward(), or pass retain_graph=True to it."


def observe(
    tensor: torch.Tensor,
    names: Mapping[str, Any] | None = None,
    *,
    label: str | None = None,
    limits: Limits | None = None,
) -> g.Run:
    """The graph behind any tensor, from any torch code, with a backward pass recorded from
    it (from its sum when it is not a scalar), every .grad left as it was: a notebook's show().

    names: variable name -> value (a namespace: modules give `model.fc1.weight`). The pass
    starts with no .grad on the leaves, so it shows this tensor's gradient alone.
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"observe() needs a torch.Tensor, not {type(tensor).__name__}")
    limits = limits or Limits()
    named = named_tensors(names or {})
    name = label or next((n for n, t in named.items() if t is tensor), "output")
    notes: list[str] = []
    recorder = BackwardRecorder(limits=limits)
    target, target_label = tensor, name
    try:
        with _TRUSTED_LOCK, torch.enable_grad():
            if not tensor.requires_grad:
                notes.append(f"{name} does not depend on any tensor with requires_grad=True, "
                             "so there is no gradient to compute")  # fmt: skip
            else:
                if tensor.numel() != 1:
                    target, target_label = tensor.sum(), f"{name}.sum()"
                    notes.append(f"{name} is not a scalar, so the explorer's backward pass ran "
                                 f"on {target_label}")  # fmt: skip
                failed = _pass_keeping_grads(target, target_label, named, recorder, fresh=True)
                if failed is not None:
                    hint = SHOW_EARLIER if "a second time" in failed else ""
                    notes.append(f"the explorer could not run a backward pass from "
                                 f"{target_label}: {failed}{hint}")  # fmt: skip
            passes = recorder.passes
            graph = (
                passes[-1].graph
                if passes
                else trace(tensor, named, output_label=name, max_nodes=limits.graph_nodes)
            )
            # A notebook's namespace holds every tensor it made: report the graph's alone.
            drawn = {node.name for node in graph.nodes}
            tensors = {
                n: report(t, None, limits.report_elements) for n, t in named.items() if n in drawn
            }
    except ProgramError as exc:
        return g.Run(ok=False, error=exc.info())
    if passes:
        given = _pass_grads(passes[-1])
        tensors = {n: replace(t, pass_grad=given.get(n)) for n, t in tensors.items()}
    if not tensor.requires_grad:  # the note above says why, in full
        graph = replace(graph, notes=())
    return g.Run(ok=True, tensors=tensors, graph=graph, passes=passes,
                 notes=(*notes, *graph.notes))  # fmt: skip


def _pass_grads(done: g.Pass) -> dict[str, Any]:
    """What a pass left in each named leaf's .grad (as nested lists, like tolist)."""
    out = {}
    for step in done.steps:
        if step.leaf is not None:
            name = done.graph.node(step.leaf).name
            if name is not None:
                out[name] = _listed(step.grad_after)
    return out


def _listed(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_listed(v) for v in value]
    return value


def _grads(tensors) -> list[tuple[torch.Tensor, torch.Tensor | None]]:
    return [(t, t.grad) for t in tensors if t.is_leaf or t.retains_grad]


def _restore_grads(kept, recorder: BackwardRecorder) -> None:
    """Every .grad back as the program left it, including leaves only the graph reaches."""
    with unobserved(), torch.no_grad():
        for tensor, grad in (*recorder.grads_before, *kept):
            tensor.grad = grad


def report(tensor: torch.Tensor, leaf_index: int | None, cap: int) -> g.TensorReport:
    """A named tensor as plain data; past `cap` elements, shape and summary statistics."""
    t = tensor.detach()
    grad = tensor.grad if tensor.is_leaf or tensor.retains_grad else None
    value, summary = _bounded(t, cap)
    grad_value, grad_summary = _bounded(grad, cap) if grad is not None else (None, None)
    return g.TensorReport(
        value=value,
        shape=shape_of(t),
        requires_grad=tensor.requires_grad,
        is_leaf=tensor.is_leaf,
        grad=grad_value,
        dtype=str(tensor.dtype),
        leaf_index=leaf_index if tensor.is_leaf and tensor.requires_grad else None,
        summary=summary,
        grad_summary=grad_summary,
    )


def _bounded(t: torch.Tensor, cap: int) -> tuple[Any, dict[str, float] | None]:
    # tolist() of a tensor of 100,000 dims overflows the C stack: past 64 dims, a summary.
    if t.numel() <= cap and t.dim() <= 64 and not t.is_sparse and t.device.type != "meta":
        return t.tolist(), None
    return None, summarize(t)


def summarize(t: torch.Tensor) -> dict[str, float] | None:
    """min, max, mean and std of a big tensor, in float64 (None when it has no numbers)."""
    if t.numel() == 0 or t.is_sparse or t.device.type == "meta" or t.is_complex():
        return None
    # Flat first: a reduction over a tensor of 100,000 size-1 dims takes half a minute.
    x = t.detach().reshape(-1).double()
    stats = {
        "min": float(x.min()),
        "max": float(x.max()),
        "mean": float(x.mean()),
        "std": float(x.std()) if x.numel() > 1 else 0.0,
    }
    return {k: (v if math.isfinite(v) else float("nan")) for k, v in stats.items()}


class _isolated:
    """Keep torch's process-wide settings as they were before a trusted run.

    A trusted run shares this process; a worker run needs none of this (its process ends).
    """

    def __enter__(self):
        from torch._tensor_str import PRINT_OPTS

        self.rng = torch.random.get_rng_state()
        self.grad_enabled = torch.is_grad_enabled()
        self.dtype = torch.get_default_dtype()
        self.print_options = dict(vars(PRINT_OPTS))
        self.anomaly = torch.is_anomaly_enabled()
        self.deterministic = torch.are_deterministic_algorithms_enabled()
        self.threads = torch.get_num_threads()
        self.recursion = sys.getrecursionlimit()
        seed(DEFAULT_SEED)
        return self

    def __exit__(self, *exc):
        from torch._tensor_str import PRINT_OPTS

        torch.random.set_rng_state(self.rng)
        torch.set_grad_enabled(self.grad_enabled)
        torch.set_default_dtype(self.dtype)
        vars(PRINT_OPTS).update(self.print_options)
        if torch.is_anomaly_enabled() != self.anomaly:
            torch.autograd.set_detect_anomaly(self.anomaly)
        if torch.are_deterministic_algorithms_enabled() != self.deterministic:
            # Only when changed: the call imports torch._inductor, 2.7 s on a cold start.
            torch.use_deterministic_algorithms(self.deterministic)
        if torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        sys.setrecursionlimit(self.recursion)
        return False
