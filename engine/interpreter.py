"""The safe interpreter of the model language: walks `ast` with allow-lists, never `eval`.

`execute(source)` parses the program, refuses anything outside the language (see
`engine.interpreter_check` and `engine.allowlist`), then runs it statement by statement
on real torch objects, so what it prints is what CPython prints.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import operator
import re
import time
import types
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from engine import interpreter_guards as guards
from engine.allowlist import (
    AUTOGRAD_NAMES,
    DICT_ATTRS,
    DTYPE_ATTRS,
    F_NAMES,
    FACTORIES,
    GROWING,
    LIST_ATTRS,
    MODULE_ATTRS,
    MODULE_SETTABLE,
    NN_NAMES,
    NODE_ATTRS,
    NUMBER_ATTRS,
    OPTIM_NAMES,
    OPTIMIZER_ATTRS,
    PLAIN_BUILTINS,
    RETURN_TYPE_ATTRS,
    STR_ATTRS,
    TENSOR_ATTRS,
    TENSOR_SETTABLE,
    TORCH_NAMES,
    TUPLE_ATTRS,
)
from engine.errors import ErrorInfo, LimitExceeded, ProgramError, Refused
from engine.interpreter_check import PythonSyntaxError, check_program
from engine.interpreter_format import SafeFormatter
from engine.limits import Limits
from engine.math_style import (
    as_tensor,
    is_number_literal,
    math_builtins,
    math_functions,
    replace_middle_dot,
)
from engine.rng import seed
from engine.safe_objects import GradModeFactory, Namespace, SafeCallable

BackwardFn = Callable[..., None]


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


def execute(
    source: str,
    *,
    limits: Limits = Limits(),
    backward: BackwardFn | None = None,
    inputs: Mapping[str, Any] | None = None,
) -> Execution:
    """Run a model-language program; never raises, reports the first error instead.

    The torch random generator is seeded with 0 at the start (so a program without
    `torch.manual_seed` still draws the same numbers every run) and restored afterwards,
    as is the grad mode.
    """
    try:
        return _Interpreter(source, limits, backward, dict(inputs or {})).run()
    except Exception as error:  # noqa: BLE001 - reported, never raised
        info = ErrorInfo("InternalError", _first_line(error) or type(error).__name__)
        return Execution(types.MappingProxyType({}), "", info, None, False, (), True)


class _RuntimeProblem(ProgramError):
    """A Python or torch exception raised by the user's program, kept as one line."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


_BREAK, _CONTINUE = "break", "continue"

_BINOPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
    ast.MatMult: operator.matmul,
    ast.LShift: operator.lshift,
    ast.RShift: operator.rshift,
    ast.BitAnd: operator.and_,
    ast.BitOr: operator.or_,
    ast.BitXor: operator.xor,
}
_INPLACE = {
    ast.Add: operator.iadd,
    ast.Sub: operator.isub,
    ast.Mult: operator.imul,
    ast.Div: operator.itruediv,
    ast.FloorDiv: operator.ifloordiv,
    ast.Mod: operator.imod,
    ast.Pow: operator.ipow,
    ast.MatMult: operator.imatmul,
    ast.LShift: operator.ilshift,
    ast.RShift: operator.irshift,
    ast.BitAnd: operator.iand,
    ast.BitOr: operator.ior,
    ast.BitXor: operator.ixor,
}
_UNARY = {ast.USub: operator.neg, ast.UAdd: operator.pos, ast.Invert: operator.invert}
_COMPARE = {
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Is: operator.is_,
    ast.IsNot: operator.is_not,
    ast.In: lambda a, b: a in b,
    ast.NotIn: lambda a, b: a not in b,
}
_MATMUL_OPS = (operator.matmul, operator.imatmul)
# Joining ops make exactly as many elements as their inputs hold: no meta probe needed.
_JOINING = frozenset("cat concat concatenate stack hstack vstack".split())
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


class _Interpreter:
    """One run of one program."""

    def __init__(self, source: Any, limits: Limits, backward: BackwardFn | None, inputs: dict):
        if isinstance(source, (bytes, bytearray)):
            source = bytes(source).decode("utf-8", "replace")
        self.source = source if isinstance(source, str) else str(source)
        self.limits = limits
        self.backward_fn = backward
        self.inputs = inputs
        self.ns: dict[str, Any] = {}
        self.scopes: list[dict[str, Any]] = []
        self.stdout: list[str] = []
        self.stdout_chars = 0
        self.loops = 0
        self.deadline = time.monotonic() + limits.seconds
        self.live = guards.LiveElements(limits)
        self.memory = guards.MemoryBudget(limits)
        self.tensor_names: dict[str, None] = {}
        self.backward_called = False
        self.math_style = True
        self.undeclared: tuple[str, ...] = ()
        self.lines: list[str] = []
        self.original_lines: list[str] = []
        self.stmt: ast.stmt | None = None
        self.call_node: ast.Call | None = None
        self.modules = self._namespaces()
        self.builtins = self._builtins()
        self.functions = math_functions()
        self.formatter = SafeFormatter(self._getattr, self._format_check, limits.tensor_elements)

    # ----- the run ---------------------------------------------------------------------

    def run(self) -> Execution:
        grad_mode, rng = torch.is_grad_enabled(), torch.get_rng_state()
        error: ErrorInfo | None = None
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("default")
            try:
                seed(0)
                tree = self._prepare()
                self._exec_block(tree.body)
            except ProgramError as problem:
                error = problem.info()
            except RecursionError:
                error = self._error_here("LimitExceeded", "expression is nested too deeply")
            except MemoryError:
                error = self._error_here("MemoryError", "out of memory")
            finally:
                torch.set_grad_enabled(grad_mode)
                torch.set_rng_state(rng)
        return Execution(
            namespace=types.MappingProxyType(dict(self.ns)),
            stdout="".join(self.stdout),
            error=error,
            last_tensor_name=self._last_tensor_name(),
            backward_called=self.backward_called,
            undeclared=self.undeclared,
            math_style=self.math_style,
            warnings=tuple(dict.fromkeys(_first_line(w.message) for w in caught)),
        )

    def _error_here(self, kind: str, message: str) -> ErrorInfo:
        stmt = self.stmt
        if stmt is None:
            return ErrorInfo(kind, message)
        return ErrorInfo(kind, message, stmt.lineno, self._column(stmt))

    def _prepare(self) -> ast.Module:
        """Size check, `·` rewrite, parse, static allow-list check."""
        chars = len(self.source)
        if chars > self.limits.program_chars:
            raise LimitExceeded(
                f"program of {guards.n(chars)} characters is over the limit of "
                f"{guards.n(self.limits.program_chars)}"
            )
        rewritten = replace_middle_dot(self.source)
        self.lines = _LINE_BREAK.split(rewritten)
        self.original_lines = _LINE_BREAK.split(self.source)
        tree = self._parse(rewritten)
        known = set(self.builtins) | set(self.functions)
        try:
            facts = check_program(tree, known)
        except ProgramError as problem:
            node = getattr(problem, "node", None)
            if node is not None and hasattr(node, "col_offset"):
                problem.column = self._column(node)
            raise
        self.math_style, self.undeclared = facts.math_style, facts.undeclared
        if self.math_style:
            self.builtins.update(math_builtins(self.builtins))
        return tree

    def _parse(self, text: str) -> ast.Module:
        try:
            return ast.parse(text)
        except SyntaxError as error:
            raise PythonSyntaxError(
                error.msg or "invalid syntax", error.lineno, error.offset
            ) from None
        except (RecursionError, MemoryError):
            raise LimitExceeded("expression is nested too deeply") from None
        except (ValueError, UnicodeError) as error:
            raise PythonSyntaxError(_first_line(error)) from None

    def _last_tensor_name(self) -> str | None:
        for name in reversed(self.tensor_names):
            if isinstance(self.ns.get(name), torch.Tensor):
                return name
        return None

    # ----- positions -------------------------------------------------------------------

    def _column(self, node: ast.AST) -> int:
        """1-based character column (ast gives a UTF-8 byte offset)."""
        try:
            line = self.lines[node.lineno - 1]
            return len(line.encode()[: node.col_offset].decode("utf-8", "ignore")) + 1
        except (IndexError, AttributeError, UnicodeError):
            return getattr(node, "col_offset", 0) + 1

    def _segment(self, node: ast.AST) -> str:
        """The user's own text of a node (with `·` as typed)."""
        if node.lineno == node.end_lineno:
            start = self._column(node) - 1
            line = self.lines[node.lineno - 1]
            end = len(line.encode()[: node.end_col_offset].decode("utf-8", "ignore"))
            return self.original_lines[node.lineno - 1][start:end]
        return ast.get_source_segment("\n".join(self.lines), node) or ""

    def _locate(self, problem: ProgramError, node: ast.AST) -> ProgramError:
        if problem.line is None and hasattr(node, "lineno"):
            problem.line, problem.column = node.lineno, self._column(node)
        return problem

    def _wrap_error(self, error: Exception, node: ast.AST) -> ProgramError:
        """A Python or torch exception, as one line pinned to the innermost node."""
        message = _first_line(error)
        if isinstance(error, KeyError) and error.args:
            message = repr(error.args[0])
        return self._locate(_RuntimeProblem(type(error).__name__, message), node)

    # ----- budgets ---------------------------------------------------------------------

    def _tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitExceeded(f"run time is over the limit of {self.limits.seconds:g} seconds")
        self.memory.check()

    def _count_loop(self) -> None:
        self.loops += 1
        if self.loops > self.limits.loop_iterations:
            raise LimitExceeded(
                f"loop iteration {guards.n(self.loops)} is over the limit of "
                f"{guards.n(self.limits.loop_iterations)}"
            )
        if self.loops % 64 == 0:
            self._tick()

    def _counted(self, iterable: Iterable) -> Iterator:
        """Iterate, counting every item against the loop limit."""
        for item in iterable:
            self._count_loop()
            yield item

    # ----- statements ------------------------------------------------------------------

    def _exec_block(self, body: list[ast.stmt]) -> str | None:
        """Run statements in order; return a pending break/continue."""
        for stmt in body:
            self._tick()
            self.stmt = stmt
            signal = self._dispatch("_exec_", stmt)
            if signal is not None:
                return signal
        return None

    def _exec_Expr(self, node: ast.Expr) -> None:
        self._eval(node.value)

    def _exec_Pass(self, node: ast.Pass) -> None:
        return None

    def _exec_Break(self, node: ast.Break) -> str:
        return _BREAK

    def _exec_Continue(self, node: ast.Continue) -> str:
        return _CONTINUE

    def _exec_Assign(self, node: ast.Assign) -> None:
        value = self._assigned_value(node.value)
        for target in node.targets:
            self._store(target, value)

    def _exec_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None:
            self._store(node.target, self._assigned_value(node.value))

    def _assigned_value(self, node: ast.expr) -> Any:
        """In math style a number or list literal becomes a float32 constant tensor."""
        value = self._eval(node)
        if self.math_style and is_number_literal(node):
            value = as_tensor(value)
            self.live.track(value)
        return value

    def _exec_AugAssign(self, node: ast.AugAssign) -> None:
        op, target = _INPLACE[type(node.op)], node.target
        if isinstance(target, ast.Name):
            current = self._lookup(target.id, target)
            self._assign_name(target.id, self._binop(op, current, self._eval(node.value)))
        elif isinstance(target, ast.Attribute):
            obj = self._eval(target.value)
            current = self._getattr(obj, target.attr, target)
            self._setattr(obj, target.attr, self._binop(op, current, self._eval(node.value)))
        else:
            obj, index = self._eval(target.value), self._eval(target.slice)
            current = self._index(obj, index)
            obj[index] = self._binop(op, current, self._eval(node.value))

    def _exec_For(self, node: ast.For) -> None:
        iterator = self._iter(self._eval(node.iter), node.iter)
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                break
            except ProgramError:
                raise
            except Exception as error:  # noqa: BLE001 - reported, never raised
                raise self._wrap_error(error, node.iter) from None
            self._count_loop()
            self._tick()
            self._store(node.target, item)
            if self._exec_block(node.body) == _BREAK:
                return None
        return self._exec_block(node.orelse)

    def _iter(self, value: Any, node: ast.AST) -> Iterator:
        try:
            return iter(value)
        except Exception as error:  # noqa: BLE001 - reported, never raised
            raise self._wrap_error(error, node) from None

    def _exec_If(self, node: ast.If) -> str | None:
        branch = node.body if self._truth(node.test) else node.orelse
        return self._exec_block(branch)

    def _truth(self, test: ast.expr) -> bool:
        value = self._eval(test)
        try:
            return bool(value)
        except Exception as error:  # noqa: BLE001 - reported, never raised
            raise self._wrap_error(error, test) from None

    def _exec_With(self, node: ast.With) -> str | None:
        modes = [self._grad_mode(item.context_expr) for item in node.items]
        previous = torch.is_grad_enabled()
        try:
            for mode in modes:
                torch.set_grad_enabled(mode)
            return self._exec_block(node.body)
        finally:
            torch.set_grad_enabled(previous)

    def _grad_mode(self, expr: ast.expr) -> bool:
        """The mode a `with torch.no_grad():` item asks for (the static pass checked the shape)."""
        assert isinstance(expr, ast.Call)
        factory = self._eval(expr.func)
        if not isinstance(factory, GradModeFactory):
            raise self._locate(Refused("'with' is only allowed with torch's grad modes"), expr)
        args, kwargs = self._arguments(expr)
        try:
            return factory.mode_for(*args, **kwargs)
        except TypeError as error:
            raise self._wrap_error(error, expr) from None

    def _exec_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self._assign_name(alias.asname, self._module(alias.name))
            else:
                root = alias.name.split(".")[0]
                self._assign_name(root, self._module(root))

    def _exec_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = self._module(node.module or "")
        for alias in node.names:
            self._assign_name(alias.asname or alias.name, module.attr(alias.name))

    def _exec_Delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                if target.id not in self.ns:
                    raise self._locate(
                        _RuntimeProblem("NameError", f"name '{target.id}' is not defined"), target
                    )
                del self.ns[target.id]
            elif isinstance(target, ast.Subscript):
                obj = self._eval(target.value)
                del obj[self._eval(target.slice)]
            else:
                raise self._locate(Refused("only 'del name' and 'del x[i]' are allowed"), target)

    def _exec_Assert(self, node: ast.Assert) -> None:
        if not self._truth(node.test):
            message = "" if node.msg is None else self._str(self._eval(node.msg))
            raise self._locate(_RuntimeProblem("AssertionError", message), node)

    # ----- assignment ------------------------------------------------------------------

    def _store(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self._assign_name(target.id, value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            self._unpack(target.elts, value, target)
        elif isinstance(target, ast.Attribute):
            self._setattr(self._eval(target.value), target.attr, value)
        elif isinstance(target, ast.Subscript):
            obj, index = self._eval(target.value), self._eval(target.slice)
            try:
                obj[index] = value
            except Exception as error:  # noqa: BLE001 - reported, never raised
                raise self._wrap_error(error, target) from None
        else:
            raise self._locate(Refused(f"cannot assign to {type(target).__name__}"), target)

    def _assign_name(self, name: str, value: Any) -> None:
        if self.scopes:
            self.scopes[-1][name] = value
            return
        self.ns[name] = value
        if isinstance(value, torch.Tensor):
            self.tensor_names.pop(name, None)
            self.tensor_names[name] = None

    def _unpack(self, targets: list[ast.expr], value: Any, node: ast.AST) -> None:
        """`a, b = ...` and `a, *rest = ...`, with CPython's messages."""
        starred = [i for i, t in enumerate(targets) if isinstance(t, ast.Starred)]
        expected = len(targets) - len(starred)
        iterator = self._iter(value, node)
        if not starred:
            items = list(itertools.islice(self._counted(iterator), expected + 1))
            if len(items) > expected:
                raise ValueError(f"too many values to unpack (expected {expected})")
            if len(items) < expected:
                raise ValueError(
                    f"not enough values to unpack (expected {expected}, got {len(items)})"
                )
            for target, item in zip(targets, items, strict=False):
                self._store(target, item)
            return
        items = list(self._counted(iterator))
        if len(items) < expected:
            raise ValueError(
                f"not enough values to unpack (expected at least {expected}, got {len(items)})"
            )
        star = starred[0]
        after = len(targets) - star - 1
        for target, item in zip(targets[:star], items[:star], strict=False):
            self._store(target, item)
        self._store(targets[star].value, items[star : len(items) - after])
        for target, item in zip(targets[star + 1 :], items[len(items) - after :], strict=False):
            self._store(target, item)

    def _setattr(self, obj: Any, name: str, value: Any) -> None:
        allowed = (
            TENSOR_SETTABLE
            if isinstance(obj, torch.Tensor)
            else MODULE_SETTABLE
            if isinstance(obj, torch.nn.Module)
            else frozenset()
        )
        if name not in allowed:
            raise Refused(f"setting attribute '{name}' is not allowed")
        setattr(obj, name, value)

    # ----- names and attributes --------------------------------------------------------

    def _lookup(self, name: str, node: ast.AST) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.ns:
            return self.ns[name]
        if name in self.inputs and name in self.undeclared:
            value = self.inputs[name]
            self.ns[name] = as_tensor(value) if self.math_style else value
            return self.ns[name]
        if name in self.builtins:
            return self.builtins[name]
        if name in self.functions:
            return self.functions[name]
        raise self._locate(_RuntimeProblem("NameError", f"name '{name}' is not defined"), node)

    def _getattr(self, obj: Any, name: str, node: ast.AST | None = None) -> Any:
        """`obj.name` through the allow-list for obj's kind."""
        if name.startswith("_"):
            raise Refused(f"attribute '{name}' is not allowed")
        if isinstance(obj, Namespace):
            return obj.attr(name)
        kind, allowed = _attribute_kind(obj)
        if name not in allowed:
            if not _has_attribute(obj, name):
                raise AttributeError(f"'{type(obj).__name__}' object has no attribute '{name}'")
            raise Refused(f"attribute '{name}' of {kind} is not allowed")
        if isinstance(obj, torch.Tensor):
            return self._tensor_member(obj, name, node)
        value = getattr(obj, name)
        guard = self._member_guard(obj, name)
        return SafeCallable(guard(value), value) if guard else value

    def _tensor_member(self, tensor: torch.Tensor, name: str, node: ast.AST | None) -> Any:
        if name == "backward":
            label = self._segment(node.value) if isinstance(node, ast.Attribute) else "tensor"
            return SafeCallable(self._backward_method(tensor, label), tensor.backward)
        value = getattr(tensor, name)
        if not (inspect.ismethod(value) or inspect.isbuiltin(value)):
            return value  # data, grad, grad_fn, shape...

        def call(*args: Any, **kwargs: Any) -> Any:
            self._check_device(name, args, kwargs)
            if name in FACTORIES or name in GROWING:
                self.live.admit(guards.method_numel(tensor, name, args, kwargs))
            elif not name.endswith("_"):
                self.live.admit(guards.broadcast_numel((tensor, *args, *kwargs.values())))
            return value(*args, **kwargs)

        return SafeCallable(call, value)

    def _member_guard(self, obj: Any, name: str) -> Callable | None:
        """Methods of str and list that could build enormous values get a size check."""
        if isinstance(obj, str) and name in _TEXT_GUARDS:
            return lambda method: _TEXT_GUARDS[name](self, obj, method)
        if isinstance(obj, list) and name == "extend":
            return lambda method: lambda items: method(self._extension(obj, items))
        return None

    def _sized(self, items: Any) -> Any:
        """Collections are used as they are; other iterables count against the loop limit."""
        return (
            items
            if isinstance(items, (list, tuple, dict, set, str))
            else list(self._counted(items))
        )

    def _joinable(self, separator: str, items: Any) -> Any:
        items = self._sized(items)
        size = sum(len(i) for i in items if isinstance(i, str)) + len(separator) * len(items)
        guards.check_length(size, self.limits.tensor_elements)
        return items

    def _extension(self, target: list, items: Any) -> Any:
        items = self._sized(items)
        guards.check_length(len(target) + len(items), self.limits.tensor_elements)
        return items

    # ----- modules and builtins --------------------------------------------------------

    def _namespaces(self) -> dict[str, Namespace]:
        nn = torch.nn
        functional = Namespace("torch.nn.functional", nn.functional, F_NAMES, self._guarded)
        nn_space = Namespace("torch.nn", nn, NN_NAMES, self._guarded, {"functional": functional})
        optim = Namespace("torch.optim", torch.optim, OPTIM_NAMES, self._guarded)
        autograd = Namespace(
            "torch.autograd",
            torch.autograd,
            AUTOGRAD_NAMES,
            self._guarded,
            {"backward": SafeCallable(self._autograd_backward, torch.autograd.backward)},
        )
        children = {"nn": nn_space, "optim": optim, "autograd": autograd}
        root = Namespace("torch", torch, TORCH_NAMES, self._guarded, children)
        return {
            "torch": root,
            "torch.nn": nn_space,
            "torch.nn.functional": functional,
            "torch.optim": optim,
            "torch.autograd": autograd,
        }

    def _module(self, path: str) -> Namespace:
        return self.modules[path]

    def _guarded(self, path: str, value: Any) -> Any:
        """A torch callable that sizes its result before allocating it."""
        if isinstance(value, (torch.dtype, Namespace)) or not callable(value):
            return value
        name = path.rsplit(".", 1)[-1]
        if value is torch.Tensor:
            return SafeCallable(_refuse_tensor_class, value)

        def call(*args: Any, **kwargs: Any) -> Any:
            self._check_device(name, args, kwargs)
            self.live.admit(self._estimate(name, value, args, kwargs))
            return value(*args, **kwargs)

        return SafeCallable(call, value)

    def _estimate(self, name: str, fn: Any, args: tuple, kwargs: dict) -> int | None:
        """The element count a torch call would produce, when it can be known cheaply."""
        for arg in args:
            if isinstance(arg, range) and len(arg) > self.limits.tensor_elements:
                raise guards.tensor_limit_error(len(arg), self.limits)
        if name in FACTORIES:
            return guards.factory_numel(fn, args, kwargs)
        if name in _JOINING and args and isinstance(args[0], (list, tuple)):
            return sum(t.numel() for t in args[0] if isinstance(t, torch.Tensor))
        if name in GROWING:
            return guards.meta_numel(fn, args, kwargs)
        if name == "one_hot":
            return _one_hot_numel(args, kwargs)
        if isinstance(fn, type) and issubclass(fn, torch.nn.Module):
            return guards.factory_numel(fn, args, kwargs)
        return guards.broadcast_numel((*args, *kwargs.values()))

    def _check_device(self, name: str, args: tuple, kwargs: dict) -> None:
        """Programs run on the CPU: refuse any other device, also spelled as a string."""
        candidates = [kwargs.get("device")]
        if name in ("to", "type"):
            candidates += list(args)
        for value in candidates:
            if isinstance(value, str) and not re.fullmatch(r"cpu(:0)?|torch\.\w+", value):
                raise Refused(f"device {value!r} is not allowed: programs run on the CPU")
            if isinstance(value, torch.device) and value.type != "cpu":
                raise Refused(f"device '{value}' is not allowed: programs run on the CPU")
            if isinstance(value, str) and "cuda" in value:
                raise Refused(f"device {value!r} is not allowed: programs run on the CPU")

    def _builtins(self) -> dict[str, Any]:
        table: dict[str, Any] = dict(PLAIN_BUILTINS)
        consuming = {
            "list": list,
            "tuple": tuple,
            "set": set,
            "sorted": sorted,
            "sum": sum,
            "any": any,
            "all": all,
            "enumerate": enumerate,
        }
        for name, fn in consuming.items():
            table[name] = SafeCallable(self._consumer(fn), fn)
        table["zip"] = SafeCallable(lambda *its: zip(*map(self._counted, its), strict=False), zip)
        table["map"] = SafeCallable(lambda fn, *its: map(fn, *map(self._counted, its)), map)
        table["min"] = SafeCallable(self._extremum(min), min)
        table["max"] = SafeCallable(self._extremum(max), max)
        table["dict"] = SafeCallable(self._dict, dict)
        table["str"] = SafeCallable(self._str_builtin, str)
        table["repr"] = SafeCallable(self._repr, repr)
        table["format"] = SafeCallable(self._format, format)
        table["pow"] = SafeCallable(self._pow, pow)
        table["print"] = SafeCallable(self._print, print)
        return table

    def _consumer(self, fn: Callable) -> Callable:
        def call(iterable: Any = (), *args: Any, **kwargs: Any) -> Any:
            if fn in (list, tuple, set) and (args or kwargs):
                return fn(iterable, *args, **kwargs)
            return fn(self._counted(iterable), *args, **kwargs)

        return call

    def _extremum(self, fn: Callable) -> Callable:
        def call(*args: Any, **kwargs: Any) -> Any:
            if len(args) == 1:
                return fn(self._counted(args[0]), **kwargs)
            return fn(*args, **kwargs)

        return call

    def _dict(self, *args: Any, **kwargs: Any) -> dict:
        if args and not isinstance(args[0], dict):
            args = (self._counted(args[0]), *args[1:])
        return dict(*args, **kwargs)

    def _pow(self, base: Any, exp: Any, *mod: Any) -> Any:
        if not mod:
            guards.check_python_binop(operator.pow, base, exp, self.limits.tensor_elements)
        else:
            guards.check_modular_pow(exp, mod[0])
        return pow(base, exp, *mod)

    # ----- text ------------------------------------------------------------------------

    def _format_check(self, value: Any, spec: str) -> None:
        guards.check_format_spec(spec, self.limits.print_chars)
        guards.check_printable(value, self.limits.tensor_elements)

    def _str(self, value: Any) -> str:
        guards.check_printable(value, self.limits.tensor_elements)
        return str(value)

    def _str_builtin(self, *args: Any, **kwargs: Any) -> str:
        if len(args) == 1 and not kwargs:
            return self._str(args[0])
        return str(*args, **kwargs)

    def _repr(self, value: Any) -> str:
        guards.check_printable(value, self.limits.tensor_elements)
        return repr(value)

    def _format(self, value: Any, spec: str = "") -> str:
        self._format_check(value, spec)
        return format(value, spec)

    def _print(self, *args: Any, sep: Any = " ", end: Any = "\n", file: Any = None, flush=False):
        """CPython's print, into the run's stdout, within the print limit."""
        if file is not None:
            raise Refused("print(file=...) is not allowed")
        for label, value in (("sep", sep), ("end", end)):
            if value is not None and not isinstance(value, str):
                raise TypeError(f"{label} must be None or a string, not {type(value).__name__}")
        sep = " " if sep is None else sep
        end = "\n" if end is None else end
        for arg in args:
            guards.check_printable(arg, self.limits.print_chars)
        text = sep.join(str(arg) for arg in args) + end
        if self.stdout_chars + len(text) > self.limits.print_chars:
            raise LimitExceeded(
                f"print output is over the limit of {guards.n(self.limits.print_chars)} characters"
            )
        self.stdout.append(text)
        self.stdout_chars += len(text)

    # ----- backward --------------------------------------------------------------------

    def _backward_method(self, tensor: torch.Tensor, label: str) -> Callable:
        def backward(gradient=None, retain_graph=None, create_graph=False):
            self._backward(tensor, label, gradient, retain_graph, create_graph)

        return backward

    def _autograd_backward(
        self, tensors, grad_tensors=None, retain_graph=None, create_graph=False
    ) -> None:
        """`torch.autograd.backward(t, ...)`, one output at a time through our hook."""
        node = self.call_node
        label = self._segment(node.args[0]) if node is not None and node.args else "tensor"
        if isinstance(tensors, torch.Tensor):
            self._backward(tensors, label, grad_tensors, retain_graph, create_graph)
            return
        tensors = list(tensors)
        grads = list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
        for i, (tensor, grad) in enumerate(zip(tensors, grads, strict=False)):
            keep = True if i < len(tensors) - 1 else retain_graph
            self._backward(tensor, f"{label}[{i}]", grad, keep, create_graph)

    def _backward(self, tensor, label, gradient, retain_graph, create_graph) -> None:
        if not isinstance(tensor, torch.Tensor):
            raise TypeError(f"backward() needs a tensor, not {type(tensor).__name__}")
        self.backward_called = True
        try:
            if self.backward_fn is None:
                tensor.backward(gradient, retain_graph, create_graph)
            else:
                extra = {"names": self.ns} if _accepts_names(self.backward_fn) else {}
                self.backward_fn(tensor, gradient, retain_graph, create_graph, label=label, **extra)
        except RuntimeError as error:
            message = _first_sentence(_first_line(error))
            hint = _backward_hint(message, tensor, label)
            raise _RuntimeProblem(
                "RuntimeError", f"{message} ({hint})" if hint else message
            ) from None

    # ----- expressions -----------------------------------------------------------------

    def _eval(self, node: ast.expr) -> Any:
        return self._dispatch("_eval_", node)

    def _dispatch(self, kind: str, node: ast.AST) -> Any:
        """Run the handler for a node; any problem comes back pinned to that node's line."""
        try:
            return getattr(self, kind + type(node).__name__)(node)
        except ProgramError as problem:
            raise self._locate(problem, node) from None
        except RecursionError:
            raise
        except Exception as error:  # noqa: BLE001 - reported, never raised
            raise self._wrap_error(error, node) from None

    def _eval_Constant(self, node: ast.Constant) -> Any:
        return node.value

    def _eval_Name(self, node: ast.Name) -> Any:
        return self._lookup(node.id, node)

    def _eval_Attribute(self, node: ast.Attribute) -> Any:
        return self._getattr(self._eval(node.value), node.attr, node)

    def _eval_Subscript(self, node: ast.Subscript) -> Any:
        value = self._eval(node.value)
        result = self._index(value, self._eval(node.slice))
        self.live.track(result)
        return result

    def _index(self, value: Any, index: Any) -> Any:
        """`value[index]`; a tensor's fancy index (`a[i]`, i of a million) is sized first."""
        if isinstance(value, torch.Tensor) and guards.is_advanced_index(index):
            self.live.admit(guards.meta_numel(operator.getitem, (value, index), {}))
        return value[index]

    def _eval_Slice(self, node: ast.Slice) -> slice:
        parts = (node.lower, node.upper, node.step)
        return slice(*(None if p is None else self._eval(p) for p in parts))

    def _elements(self, nodes: list[ast.expr]) -> list:
        items: list = []
        for node in nodes:
            if isinstance(node, ast.Starred):
                items.extend(self._counted(self._eval(node.value)))
            else:
                items.append(self._eval(node))
        return items

    def _eval_List(self, node: ast.List) -> list:
        return self._elements(node.elts)

    def _eval_Tuple(self, node: ast.Tuple) -> tuple:
        return tuple(self._elements(node.elts))

    def _eval_Set(self, node: ast.Set) -> set:
        return set(self._elements(node.elts))

    def _eval_Dict(self, node: ast.Dict) -> dict:
        result: dict = {}
        for key, value in zip(node.keys, node.values, strict=False):
            if key is None:
                result.update(self._eval(value))
            else:
                result[self._eval(key)] = self._eval(value)
        return result

    def _eval_BinOp(self, node: ast.BinOp) -> Any:
        left, right = self._eval(node.left), self._eval(node.right)
        return self._binop(_BINOPS[type(node.op)], left, right)

    def _binop(self, op: Callable, left: Any, right: Any) -> Any:
        """One operator application, sized before it runs and counted after."""
        limit = self.limits.tensor_elements
        guards.check_python_binop(op, left, right, limit)
        if isinstance(left, str) and op in (operator.mod, operator.imod):
            guards.check_percent_format(left, right, self.limits.print_chars)
            guards.check_printable(right, limit)
            guards.check_length(len(left) * (1 + _longest_text(right)), limit)
        if isinstance(left, torch.Tensor) or isinstance(right, torch.Tensor):
            in_place = isinstance(left, torch.Tensor) and op in _INPLACE.values()
            if op in _MATMUL_OPS:
                self.live.admit(guards.meta_numel(operator.matmul, (left, right), {}))
            elif not in_place:
                self.live.admit(guards.broadcast_numel((left, right)))
        result = op(left, right)
        self.live.track(result)
        return result

    def _eval_UnaryOp(self, node: ast.UnaryOp) -> Any:
        operand = self._eval(node.operand)
        if isinstance(node.op, ast.Not):
            return not operand
        result = _UNARY[type(node.op)](operand)
        self.live.track(result)
        return result

    def _eval_BoolOp(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value = None
        for operand in node.values:
            value = self._eval(operand)
            if bool(value) != is_and:
                return value
        return value

    def _eval_Compare(self, node: ast.Compare) -> Any:
        left = self._eval(node.left)
        result: Any = True
        for op, right_node in zip(node.ops, node.comparators, strict=False):
            right = self._eval(right_node)
            result = self._binop(_COMPARE[type(op)], left, right)
            if len(node.ops) > 1 and not result:
                return result
            left = right
        return result

    def _eval_IfExp(self, node: ast.IfExp) -> Any:
        return self._eval(node.body if self._truth(node.test) else node.orelse)

    def _arguments(self, node: ast.Call) -> tuple[list, dict]:
        args = self._elements(node.args)
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            value = self._eval(keyword.value)
            if keyword.arg is None:
                kwargs.update(value)
            else:
                kwargs[keyword.arg] = value
        return args, kwargs

    def _eval_Call(self, node: ast.Call) -> Any:
        fn = self._eval(node.func)
        args, kwargs = self._arguments(node)
        if isinstance(fn, torch.autograd.graph.Node):
            raise Refused("calling a grad_fn is not allowed")
        if isinstance(fn, type) and fn not in PLAIN_BUILTINS.values():
            raise Refused(f"calling {fn.__name__} is not allowed")
        if not any(fn is b for b in self.builtins.values()):  # torch.tensor(c): sized first
            for arg in (*args, *kwargs.values()):
                if isinstance(arg, (list, tuple)):
                    self.live.admit(guards.nested_numel(arg))
        self.call_node = node
        result = fn(*args, **kwargs)
        self.live.track(result)
        return result

    def _eval_JoinedStr(self, node: ast.JoinedStr) -> str:
        parts, size = [], 0
        for value in node.values:
            part = self._eval(value)
            size += len(part)
            guards.check_length(size, self.limits.tensor_elements)
            parts.append(part)
        return "".join(parts)

    def _eval_FormattedValue(self, node: ast.FormattedValue) -> str:
        value = self._eval(node.value)
        if node.conversion == ord("s"):
            value = self._str(value)
        elif node.conversion in (ord("r"), ord("a")):
            value = self._repr(value)
            value = ascii(value)[1:-1] if node.conversion == ord("a") else value
        spec = self._eval(node.format_spec) if node.format_spec is not None else ""
        return self._format(value, spec)

    # ----- comprehensions --------------------------------------------------------------

    def _comprehension(self, node: Any, emit: Callable[[], None]) -> None:
        self.scopes.append({})
        try:
            self._generate(node.generators, 0, emit)
        finally:
            self.scopes.pop()

    def _generate(self, generators: list[ast.comprehension], index: int, emit: Callable) -> None:
        generator = generators[index]
        for item in self._counted(self._iter(self._eval(generator.iter), generator.iter)):
            self._tick()
            self._store(generator.target, item)
            if all(self._truth(test) for test in generator.ifs):
                if index + 1 == len(generators):
                    emit()
                else:
                    self._generate(generators, index + 1, emit)

    def _eval_ListComp(self, node: ast.ListComp) -> list:
        items: list = []
        self._comprehension(node, lambda: items.append(self._eval(node.elt)))
        return items

    def _eval_GeneratorExp(self, node: ast.GeneratorExp) -> Iterator:
        return iter(self._eval_ListComp(node))

    def _eval_SetComp(self, node: ast.SetComp) -> set:
        items: set = set()
        self._comprehension(node, lambda: items.add(self._eval(node.elt)))
        return items

    def _eval_DictComp(self, node: ast.DictComp) -> dict:
        items: dict = {}

        def emit() -> None:
            key = self._eval(node.key)
            items[key] = self._eval(node.value)

        self._comprehension(node, emit)
        return items


def _format_method(interp: _Interpreter, text: str, method: Callable) -> Callable:
    return lambda *args, **kwargs: interp.formatter.format(text, *args, **kwargs)


def _join_method(interp: _Interpreter, text: str, method: Callable) -> Callable:
    return lambda items: method(interp._joinable(text, items))


def _pad_method(interp: _Interpreter, text: str, method: Callable) -> Callable:
    def pad(width: Any, *rest: Any) -> str:
        if isinstance(width, int):
            guards.check_length(width, interp.limits.tensor_elements)
        return method(width, *rest)

    return pad


def _replace_method(interp: _Interpreter, text: str, method: Callable) -> Callable:
    def replace(old: Any, new: Any, *rest: Any) -> str:
        guards.check_length(_replaced_length(text, old, new), interp.limits.tensor_elements)
        return method(old, new, *rest)

    return replace


_TEXT_GUARDS = {
    "format": _format_method,
    "join": _join_method,
    "ljust": _pad_method,
    "rjust": _pad_method,
    "center": _pad_method,
    "zfill": _pad_method,
    "replace": _replace_method,
}


# ----- helpers without state ---------------------------------------------------------


def _attribute_kind(obj: Any) -> tuple[str, frozenset[str]]:
    """What kind of object this is, for messages, and the attributes it allows."""
    if isinstance(obj, torch.Tensor):
        return "a tensor", TENSOR_ATTRS
    if isinstance(obj, torch.nn.Module):
        return "a module", MODULE_ATTRS
    if isinstance(obj, torch.optim.Optimizer):
        return "an optimizer", OPTIMIZER_ATTRS
    if isinstance(obj, torch.dtype):
        return "a dtype", DTYPE_ATTRS
    if isinstance(obj, torch.autograd.graph.Node):
        return "a grad_fn", NODE_ATTRS
    if type(obj).__module__ == "torch.return_types":
        return "a result", RETURN_TYPE_ATTRS
    for kind, allowed in _PLAIN_KINDS:
        if isinstance(obj, kind) and not isinstance(obj, type):
            return f"{kind.__name__}", allowed
    return f"{type(obj).__name__}", frozenset()


_PLAIN_KINDS = (
    (str, STR_ATTRS),
    (list, LIST_ATTRS),
    (dict, DICT_ATTRS),
    (tuple, TUPLE_ATTRS),
    (bool, frozenset()),
    (int, NUMBER_ATTRS),
    (float, NUMBER_ATTRS),
)


def _has_attribute(obj: Any, name: str) -> bool:
    try:
        return hasattr(obj, name)
    except Exception:  # noqa: BLE001 - an estimate that fails just means no estimate
        return False


def _refuse_tensor_class(*args: Any, **kwargs: Any) -> None:
    raise Refused("calling torch.Tensor(...) is not allowed: use torch.tensor(...)")


def _replaced_length(text: str, old: Any, new: Any) -> int:
    if not isinstance(old, str) or not isinstance(new, str):
        return len(text)
    count = text.count(old) if old else len(text) + 1
    return len(text) + count * (len(new) - len(old))


def _longest_text(value: Any) -> int:
    values = value.values() if isinstance(value, dict) else value
    if not isinstance(values, (tuple, type({}.values()))):
        values = (value,)
    return max((len(v) for v in values if isinstance(v, str)), default=32)


def _one_hot_numel(args: tuple, kwargs: dict) -> int | None:
    tensor = args[0] if args else kwargs.get("tensor")
    classes = args[1] if len(args) > 1 else kwargs.get("num_classes", -1)
    if not isinstance(tensor, torch.Tensor) or tensor.numel() == 0:
        return None
    if not isinstance(classes, int) or classes < 0:
        try:
            classes = int(tensor.max()) + 1
        except Exception:  # noqa: BLE001 - an estimate that fails just means no estimate
            return None
    return tensor.numel() * classes


def _accepts_names(fn: Callable) -> bool:
    """The run's recorder also takes the live namespace (`names=`); a plain hook need not."""
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "names" or p.kind is p.VAR_KEYWORD for p in parameters)


def _first_sentence(message: str) -> str:
    """Torch's backward errors run on for several sentences; the first one says it."""
    end = message.find(". ")
    return message[: end + 1] if end > 0 else message


def _backward_hint(message: str, tensor: torch.Tensor, label: str) -> str:
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
