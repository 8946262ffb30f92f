"""Run a prepared program as real Python, with backward() observed; never raises.

CPython runs the program text (compiled by engine.prepare), so what it prints, computes
and raises is Python's own. This runs in whichever process calls it: a locked worker
child on a server, or the caller's own process for trusted code (a notebook).
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import sys
import types
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import CodeType
from typing import Any

import torch

from .errors import ErrorInfo, LimitExceeded, ProgramError, RunTimeout, first_line
from .limits import Limits
from .math_style import as_tensor, math_builtins, math_functions
from .names import scope_names
from .prepare import (
    FILENAME,
    LITERAL,
    Prepared,
    char_column,
    prepare,
    replace_middle_dot,
    syntax_error,
)
from .record import real_backward
from .rng import seed
from .values import cut

BackwardFn = Callable[..., None]
_ORIGINAL_TENSOR_BACKWARD = torch.Tensor.backward
_ORIGINAL_AUTOGRAD_BACKWARD = real_backward
MATH_NAMES = frozenset(math_functions()) | {"torch"}
MAX_MESSAGE = 2_000  # characters of an error's one line


@dataclass(frozen=True)
class Execution:
    """What one run of a program left behind."""

    namespace: Mapping[str, Any]
    stdout: str
    error: ErrorInfo | None
    last_tensor_name: str | None
    backward_called: bool
    undeclared: tuple[str, ...]
    math_style: bool
    warnings: tuple[str, ...] = ()


class PrintLimit(BaseException):
    """The program printed past Limits.print_chars (a BaseException: `except Exception`
    in the program must not swallow it)."""


class _Printed:
    """sys.stdout for a run: keeps what the program prints, up to the limit."""

    encoding = "utf-8"
    errors = "strict"
    newlines = None
    line_buffering = False

    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __init__(self, limit: int):
        self.parts: list[str] = []
        self.chars = 0
        self.limit = limit
        self.over = False

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if self.chars + len(text) > self.limit:
            self.parts.append(text[: max(0, self.limit - self.chars)])
            self.chars = self.limit
            self.over = True
            raise PrintLimit
        self.parts.append(text)
        self.chars += len(text)
        return len(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def text(self) -> str:
        return "".join(self.parts)


class _State:
    """What the observers learn while the program runs."""

    def __init__(self) -> None:
        self.backward_called = False
        # The backward that raised, and what it raised: only that error gets the hint.
        self.failed: tuple[str, torch.Tensor, BaseException] | None = None
        self.inside = False  # in torch's own backward, called by the observers


def execute(
    source: str,
    *,
    limits: Limits = Limits(),
    backward: BackwardFn | None = None,
    inputs: Mapping[str, Any] | None = None,
    namespace: dict[str, Any] | None = None,
    seed_rng: bool = True,
) -> Execution:
    """Compile and run `source` as CPython would; report the first error, never raise.

    backward: called for every Tensor.backward / torch.autograd.backward the program makes,
    as backward(tensor, gradient, retain_graph, create_graph, label=..., names=...).
    inputs: values for the free names of a math-style program (the variables table).
    namespace: run in this dict (a notebook's own); a fresh `__main__` one by default. A
    namespace that already holds torch makes the program plain Python (no math style).
    """
    if not isinstance(source, str):
        source = bytes(source).decode("utf-8", "replace")
    try:
        prepared = prepare(source, limits.program_chars, MATH_NAMES, _holds_torch(namespace))
        code = compile_program(prepared)
    except ProgramError as problem:
        info = problem.info()
        return Execution(types.MappingProxyType({}), "", info, None, False, (), True)
    ns: dict[str, Any] = namespace if namespace is not None else {"__name__": "__main__"}
    if namespace is None:
        ns["__builtins__"] = _sandbox_builtins()
    if prepared.math_style:
        ns.update(math_functions())
        ns.update(math_builtins(vars(builtins)))
        ns[LITERAL] = as_tensor
        ns.setdefault("torch", torch)
    for name in prepared.free_names:
        if inputs and name in inputs:
            ns[name] = as_tensor(inputs[name]) if prepared.math_style else inputs[name]
    state = _State()
    printed = _Printed(limits.print_chars)
    error: ErrorInfo | None = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        with _observed_backward(backward, state, prepared, ns), _printing_to(printed):
            if seed_rng:
                seed(0)
            try:
                exec(code, ns)
            except PrintLimit:
                error = ErrorInfo(
                    "LimitExceeded",
                    f"printed output is over the limit of {limits.print_chars:,} characters",
                    *_where(sys.exc_info()[2], prepared),
                )
            except SystemExit as stop:
                if stop.code not in (None, 0):
                    error = _error_info(stop, prepared, state, limits)
            except BaseException as exc:  # noqa: BLE001 - reported as one line, never raised
                error = _error_info(exc, prepared, state, limits)
    if printed.over and error is None:
        # The program caught the limit itself (a bare except): the limit still holds.
        error = ErrorInfo(
            "LimitExceeded",
            f"printed output is over the limit of {limits.print_chars:,} characters",
        )
    return Execution(
        namespace=types.MappingProxyType(ns),
        stdout=printed.text(),
        error=error,
        last_tensor_name=_last_tensor(prepared, ns),
        backward_called=state.backward_called,
        undeclared=prepared.free_names,
        math_style=prepared.math_style,
        warnings=tuple(dict.fromkeys(first_line(w.message) for w in caught)),
    )


def _holds_torch(namespace: Mapping[str, Any] | None) -> bool:
    """Whether a namespace imported torch already: its next cell is PyTorch code, even when
    that cell imports nothing itself."""
    return namespace is not None and any(
        isinstance(value, types.ModuleType) and value.__name__.split(".")[0] == "torch"
        for value in list(namespace.values())
    )


def compile_program(prepared: Prepared) -> CodeType:
    """The one place program text becomes code; a compile-time error names its line."""
    try:
        return compile(prepared.tree, FILENAME, "exec", dont_inherit=True)
    except SyntaxError as error:  # what only the compiler sees: 'return' outside function
        raise syntax_error(error) from None
    except (RecursionError, MemoryError):
        raise LimitExceeded("the program is nested too deeply to compile") from None


def _sandbox_builtins() -> dict[str, Any]:
    """Python's builtins, with input() and breakpoint() that say why there is no terminal."""

    def no_input(prompt: object = "") -> str:
        raise EOFError("input() has no keyboard here: write the value into the program")

    def no_debugger(*args: object, **kwargs: object) -> None:
        raise RuntimeError("breakpoint() has no debugger here: print() the values instead")

    return {**vars(builtins), "input": no_input, "breakpoint": no_debugger}


@contextlib.contextmanager
def _printing_to(printed: _Printed):
    saved = sys.stdout
    sys.stdout = printed
    try:
        yield
    finally:
        sys.stdout = saved


@contextlib.contextmanager
def _observed_backward(backward: BackwardFn | None, state: _State, prepared: Prepared, ns: dict):
    """Route Tensor.backward and torch.autograd.backward through `backward` for the run."""
    lines = tuple(replace_middle_dot("\n".join(prepared.lines)).split("\n"))

    def call(tensor, gradient, retain_graph, create_graph, inputs, label, frame):
        state.backward_called = True
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"backward() needs a tensor, not {type(tensor).__name__}")
        state.inside = True
        try:
            if backward is None:
                _ORIGINAL_AUTOGRAD_BACKWARD(tensor, gradient, retain_graph, create_graph,
                                            inputs=inputs)  # fmt: skip
            else:
                backward(tensor, gradient, retain_graph, create_graph, label=label,
                         names=lambda: scope_names(frame, ns, FILENAME), inputs=inputs)  # fmt: skip
        except RuntimeError as error:
            state.failed = (label, tensor, error)
            raise
        finally:
            state.inside = False

    labels: dict[tuple[Any, int, bool], str] = {}  # a loop calls backward from one place

    def label_at(frame: Any, receiver: bool) -> str:
        key = (frame.f_code, frame.f_lasti, receiver)
        if key not in labels:
            labels[key] = _call_label(frame, prepared, lines, receiver) or "tensor"
        return labels[key]

    def tensor_backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        frame = sys._getframe(1)
        label = label_at(frame, True)
        call(self, gradient, retain_graph, create_graph, inputs, label, frame)

    def autograd_backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
                          grad_variables=None, inputs=None):  # fmt: skip
        if state.inside:
            # torch's own backward dispatching to a TorchFunctionMode comes back through
            # the module's name, which is this function while the program runs.
            return _ORIGINAL_AUTOGRAD_BACKWARD(tensors, grad_tensors, retain_graph,
                                               create_graph, grad_variables, inputs)  # fmt: skip
        frame = sys._getframe(1)
        label = label_at(frame, False)
        grad_tensors = grad_tensors if grad_tensors is not None else grad_variables
        if isinstance(tensors, torch.Tensor):
            call(tensors, grad_tensors, retain_graph, create_graph, inputs, label, frame)
            return
        tensors = list(tensors)
        grads = list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
        if isinstance(grad_tensors, torch.Tensor):
            grads = [grad_tensors]
        for i, (tensor, grad) in enumerate(zip(tensors, grads, strict=False)):
            keep = True if i < len(tensors) - 1 else retain_graph
            call(tensor, grad, keep, create_graph, inputs, f"{label}[{i}]", frame)

    torch.Tensor.backward = tensor_backward  # type: ignore[method-assign]
    torch.autograd.backward = autograd_backward
    try:
        yield
    finally:
        torch.Tensor.backward = _ORIGINAL_TENSOR_BACKWARD  # type: ignore[method-assign]
        torch.autograd.backward = _ORIGINAL_AUTOGRAD_BACKWARD


def _call_label(frame: Any, prepared: Prepared, lines: tuple[str, ...], receiver: bool) -> str:
    """The person's text of what backward ran on: `y.sum()` in `y.sum().backward()`.

    The calling frame's current instruction spans the whole call (3.11 code positions);
    its text is parsed again to find the receiver, or the first argument.
    """
    if frame is None or frame.f_code.co_filename != FILENAME:
        return ""
    try:
        line, end_line, col, end_col = list(frame.f_code.co_positions())[frame.f_lasti // 2]
    except (IndexError, ValueError, AttributeError):
        return ""
    if None in (line, end_line, col, end_col) or not 1 <= line <= end_line <= len(lines):
        return ""
    # The call's text, in the compiled form (`@`) and as typed (`·`): the same characters.
    start = (char_column(lines[line - 1], col) or 1) - 1
    end = (char_column(lines[end_line - 1], end_col) or 1) - 1
    code = _span(lines, line, start, end_line, end)
    typed = _span(prepared.lines, line, start, end_line, end)
    try:
        call = ast.parse("(" + code + ")", mode="eval").body
    except SyntaxError:
        return ""
    target: ast.expr | None = None
    if isinstance(call, ast.Call):
        if receiver and isinstance(call.func, ast.Attribute):
            target = call.func.value
        elif not receiver and call.args:
            target = call.args[0]
    if target is None or target.end_lineno is None or target.end_col_offset is None:
        return ""
    wrapped = ("(" + typed + ")").split("\n")
    first = _offset(wrapped, target.lineno, target.col_offset)
    last = _offset(wrapped, target.end_lineno, target.end_col_offset)
    return " ".join("\n".join(wrapped)[first:last].split())


def _span(lines, line: int, start: int, end_line: int, end: int) -> str:
    if line == end_line:
        return lines[line - 1][start:end]
    return "\n".join(
        [lines[line - 1][start:], *lines[line : end_line - 1], lines[end_line - 1][:end]]
    )


def _offset(lines: list[str], lineno: int, byte_col: int) -> int:
    """A flat character index of an ast position (line, UTF-8 byte column) in `lines`."""
    before = sum(len(text) + 1 for text in lines[: lineno - 1])
    return before + (char_column(lines[lineno - 1], byte_col) or 1) - 1


def _last_tensor(prepared: Prepared, ns: Mapping[str, Any]) -> str | None:
    """The last assigned tensor that autograd tracks, else the last assigned tensor.

    The exclusion-from-the-DAG demo ends with `b = x + y.sum()`, a constant: the graph
    worth showing is `a`'s, assigned just before it.
    """
    tensors = [n for n in reversed(prepared.assigned) if isinstance(ns.get(n), torch.Tensor)]
    tracked = [n for n in tensors if ns[n].requires_grad]
    chosen = tracked or tensors
    return chosen[0] if chosen else None


def _where(tb: Any, prepared: Prepared) -> tuple[int | None, int | None]:
    """Line and 1-based column of the innermost program frame in a traceback."""
    line = column = None
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == FILENAME:
            line = tb.tb_lineno
            column = None
            try:
                pos = list(code.co_positions())[tb.tb_lasti // 2]
                if pos[0] == line and pos[2] is not None and line <= len(prepared.lines):
                    text = replace_middle_dot(prepared.lines[line - 1])
                    column = char_column(text, pos[2])
            except (IndexError, ValueError):
                column = None
        tb = tb.tb_next
    return line, column


def _error_info(exc: BaseException, prepared: Prepared, state: _State, limits: Limits) -> ErrorInfo:
    """One line for an exception that ended the program: its type, message and line."""
    line, column = _where(exc.__traceback__, prepared)
    kind = type(exc).__name__
    message = first_line(exc)
    if isinstance(exc, KeyError) and exc.args:
        message = repr(exc.args[0])
    elif isinstance(exc, MemoryError) or "can't allocate memory" in message:
        kind, message = "MemoryError", f"out of memory (the limit is {limits.memory_mb:,} MB)"
    elif isinstance(exc, RunTimeout):
        kind, message = "LimitExceeded", f"run time is over the limit of {limits.seconds:g} seconds"
    elif isinstance(exc, LimitExceeded):
        kind, message = "LimitExceeded", exc.message
    elif isinstance(exc, PermissionError) or (
        isinstance(exc, OSError) and exc.errno in (1, 13)  # EPERM, EACCES
    ):
        message = blocked_message(exc, prepared.lines[line - 1] if line else "")
    elif isinstance(exc, RuntimeError) and state.failed is not None and state.failed[2] is exc:
        message = first_sentence(message)
        hint = backward_hint(message, state.failed[1], state.failed[0])
        message = f"{message} ({hint})" if hint else message
    elif isinstance(exc, SystemExit):
        message = f"the program exited with status {exc.code!r}"
    return ErrorInfo(kind, cut(message, MAX_MESSAGE), line, column)


def blocked_message(exc: OSError, line: str) -> str:
    """What the sandbox stopped, in words: `writing files is blocked here`."""
    filename = getattr(exc, "filename", None)
    text = line.replace(" ", "")
    if any(word in text for word in ("fork", "exec", "spawn", "system(", "Popen", "subprocess")):
        return "starting other programs or processes is blocked here"
    if filename is not None:
        return f"{filename!r}: reading or writing files outside Python's own is blocked here"
    if any(word in text for word in ("socket", "connect", "urlopen", "http", "request")):
        return "network access is blocked here"
    if "kill" in text or "signal" in text:
        return "signalling other processes is blocked here"
    return "this operation is blocked here (the program runs in a sandbox)"


def first_sentence(message: str) -> str:
    """Torch's backward errors run on for several sentences; the first one says it."""
    end = message.find(". ")
    return message[: end + 1] if end > 0 else message


def backward_hint(message: str, tensor: torch.Tensor, label: str) -> str:
    """A hint for the backward errors beginners meet, in the lesson's words."""
    name = label if label.isidentifier() else f"({label})"
    if "implicitly created only for scalar outputs" in message:
        shape = "a vector" if tensor.dim() == 1 else f"of shape {list(tensor.shape)}"
        return f"{label} is {shape}: call {name}.sum().backward(), as in the lesson"
    if "backward through the graph a second time" in message:
        return "to call backward twice, pass retain_graph=True to the first backward()"
    if "modified by an inplace operation" in message:
        return (
            "a tensor this graph saved for backward was changed in place afterwards "
            "(x += 1, x.mul_(2), x[0] = ...): write x = x + 1 instead, or clone() it first"
        )
    if "does not require grad and does not have a grad_fn" in message:
        return (
            f"{label} does not depend on any tensor with requires_grad=True: "
            "create one with requires_grad=True or param(...)"
        )
    return ""
