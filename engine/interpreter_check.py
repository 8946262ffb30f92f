"""The static pass over a parsed program: refuse what is not allowed before anything runs.

Refusing up front (like Python's own compile step) means a refused program prints nothing.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from engine.allowlist import (
    AUTOGRAD_NAMES,
    F_NAMES,
    FORBIDDEN_NAMES,
    NN_NAMES,
    OPTIM_NAMES,
    TORCH_NAMES,
)
from engine.errors import ProgramError, Refused

# The names each importable module offers (`from torch import nn`, `import torch.nn as nn`).
MODULE_NAMES = {
    "torch": TORCH_NAMES,
    "torch.nn": NN_NAMES,
    "torch.nn.functional": F_NAMES,
    "torch.optim": OPTIM_NAMES,
    "torch.autograd": AUTOGRAD_NAMES,
}

GRAD_MODE_NAMES = frozenset({"no_grad", "enable_grad", "set_grad_enabled"})

_ALLOWED_BASES = tuple(
    getattr(ast, name)
    for name in """
Module Expr Assign AugAssign AnnAssign For If With withitem Break Continue Pass Import ImportFrom
alias Delete Assert BoolOp BinOp UnaryOp IfExp Dict Set ListComp SetComp DictComp GeneratorExp
comprehension Compare Call keyword Starred FormattedValue JoinedStr Constant Attribute Subscript
Slice Name List Tuple expr_context boolop operator unaryop cmpop
""".split()
)
# Concrete classes, so checking a node is one set lookup (programs can have 100,000 nodes).
ALLOWED_NODES = frozenset(cls for base in _ALLOWED_BASES for cls in (base, *base.__subclasses__()))

# What the refusal says for well-known statements and expressions.
REFUSED_WORDS = {
    ast.FunctionDef: "'def'",
    ast.AsyncFunctionDef: "'async def'",
    ast.ClassDef: "'class'",
    ast.Lambda: "'lambda'",
    ast.While: "'while'",
    ast.Try: "'try'",
    ast.Raise: "'raise'",
    ast.Global: "'global'",
    ast.Nonlocal: "'nonlocal'",
    ast.AsyncFor: "'async for'",
    ast.AsyncWith: "'async with'",
    ast.NamedExpr: "':='",
    ast.Match: "'match'",
}
if hasattr(ast, "TryStar"):
    REFUSED_WORDS[ast.TryStar] = "'try'"

# Python itself rejects these at compile time; say it the way Python does.
OUTSIDE_FUNCTION = {
    ast.Return: "'return' outside function",
    ast.Yield: "'yield' outside function",
    ast.YieldFrom: "'yield' outside function",
    ast.Await: "'await' outside function",
}


class PythonSyntaxError(ProgramError):
    """A program Python itself would not compile."""

    kind = "SyntaxError"


@dataclass(frozen=True)
class ProgramFacts:
    """What the static pass learnt about a program."""

    math_style: bool
    undeclared: tuple[str, ...]


def check_program(tree: ast.Module, known_names: frozenset[str] | set[str]) -> ProgramFacts:
    """Raise the first problem in source order, or return the program's facts."""
    problems: list[ProgramError] = []
    stored: set[str] = set()
    loads: list[ast.Name] = []
    math_style = True
    for node in ast.walk(tree):
        problem = _problem(node)
        if problem is not None:
            problems.append(problem)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            loads.append(node)
        elif isinstance(node, ast.Name):
            stored.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stored.update(_bound_names(node))
            math_style = math_style and not _imports_torch(node)
    problems.extend(_misplaced_loop_controls(tree))
    if problems:
        raise min(problems, key=lambda p: (p.line or 0, p.column or 0))
    loads.sort(key=lambda name: (name.lineno, name.col_offset))
    undeclared = [name.id for name in loads if name.id not in stored and name.id not in known_names]
    return ProgramFacts(math_style, tuple(dict.fromkeys(undeclared)))


def _at(error: ProgramError, node: ast.AST) -> ProgramError:
    """Pin an error to a node; the caller turns `node` into a 1-based character column."""
    error.line = getattr(node, "lineno", None)
    error.node = node
    return error


def _problem(node: ast.AST) -> ProgramError | None:
    """The refusal for one node, or None when it is allowed."""
    if type(node) in OUTSIDE_FUNCTION:
        return _at(PythonSyntaxError(OUTSIDE_FUNCTION[type(node)]), node)
    if type(node) not in ALLOWED_NODES and hasattr(node, "lineno"):
        word = REFUSED_WORDS.get(type(node), f"'{type(node).__name__}'")
        hint = ": use 'for i in range(n):'" if isinstance(node, ast.While) else ""
        return _at(Refused(f"{word} is not allowed{hint}"), node)
    if type(node) not in ALLOWED_NODES:
        return None  # a part of a refused statement (e.g. a def's arguments): it is reported
    if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
        return _at(Refused(f"attribute '{node.attr}' is not allowed"), node)
    if isinstance(node, ast.Name) and (
        node.id in FORBIDDEN_NAMES or (node.id.startswith("__") and node.id.endswith("__"))
    ):
        return _at(Refused(f"'{node.id}' is not allowed"), node)
    if isinstance(node, ast.Import):
        return _import_problem(node)
    if isinstance(node, ast.ImportFrom):
        return _import_from_problem(node)
    if isinstance(node, ast.withitem):
        return _with_problem(node)
    if isinstance(node, ast.comprehension) and node.is_async:
        return _at(Refused("'async for' is not allowed"), node.target)
    return None


def _import_problem(node: ast.Import) -> ProgramError | None:
    for alias in node.names:
        if alias.name not in MODULE_NAMES:
            return _at(Refused(f"import of '{alias.name}' is not allowed"), node)
    return None


def _import_from_problem(node: ast.ImportFrom) -> ProgramError | None:
    module = node.module or ""
    if node.level or module not in MODULE_NAMES:
        return _at(Refused(f"import of '{'.' * node.level}{module}' is not allowed"), node)
    for alias in node.names:
        if alias.name == "*":
            return _at(Refused(f"'from {module} import *' is not allowed"), node)
        if alias.name not in MODULE_NAMES[module]:
            return _at(Refused(f"'{module}.{alias.name}' is not allowed"), node)
    return None


def _with_problem(item: ast.withitem) -> ProgramError | None:
    expr = item.context_expr
    func = expr.func if isinstance(expr, ast.Call) else None
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    if name not in GRAD_MODE_NAMES:
        return _at(
            Refused(
                "'with' is only allowed with torch.no_grad(), torch.enable_grad() "
                "or torch.set_grad_enabled(...)"
            ),
            expr,
        )
    if item.optional_vars is not None:
        return _at(Refused("'with ... as' is not allowed"), item.optional_vars)
    return None


def _bound_names(node: ast.Import | ast.ImportFrom) -> list[str]:
    if isinstance(node, ast.ImportFrom):
        return [alias.asname or alias.name for alias in node.names]
    return [alias.asname or alias.name.split(".")[0] for alias in node.names]


def _imports_torch(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] == "torch"
    return any(alias.name.split(".")[0] == "torch" for alias in node.names)


def _misplaced_loop_controls(tree: ast.Module) -> list[ProgramError]:
    """`break`/`continue` outside a loop, which Python rejects before running anything."""
    problems: list[ProgramError] = []
    stack: list[tuple[ast.stmt, bool]] = [(stmt, False) for stmt in tree.body]
    while stack:
        stmt, in_loop = stack.pop()
        if isinstance(stmt, (ast.Break, ast.Continue)) and not in_loop:
            word = "break" if isinstance(stmt, ast.Break) else "continue"
            where = "outside loop" if word == "break" else "not properly in loop"
            problems.append(_at(PythonSyntaxError(f"'{word}' {where}"), stmt))
        for field, inner in (("body", True), ("orelse", False)):
            for child in getattr(stmt, field, ()):
                if isinstance(child, ast.stmt):
                    body_in_loop = in_loop or (inner and isinstance(stmt, (ast.For, ast.While)))
                    stack.append((child, body_in_loop))
    return problems
