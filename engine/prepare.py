"""Program text to a checked tree: `·` for `@`, math-style literals, free names; lines kept.

engine.execute compiles and runs the tree (it is the one place that does). The math style
is a rewrite of the parsed tree, whose nodes keep the positions they had, so every error
and every backward label points at the person's own line and column.
"""

from __future__ import annotations

import ast
import builtins
import io
import re
import tokenize
from dataclasses import dataclass

from .errors import LimitExceeded, ProgramError

FILENAME = "<program>"  # what tracebacks call the program: how its frames are found
LITERAL = "__autograd_explorer_literal__"  # math style: the float32 tensor of a literal
MIDDLE_DOT = "\u00b7"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class PythonSyntaxError(ProgramError):
    """A program Python itself would not compile."""

    kind = "SyntaxError"


@dataclass(frozen=True)
class Prepared:
    """A compiled program and what the static pass learnt about it."""

    tree: ast.Module  # parsed, and rewritten in math style; engine.execute compiles it
    math_style: bool  # no import of torch anywhere: number literals become tensors
    free_names: tuple[str, ...]  # math style: names read but never bound (variables table)
    assigned: tuple[str, ...]  # module-level names assigned, in source order
    lines: tuple[str, ...]  # the person's own lines, with `·` as typed


def prepare(
    source: str, program_chars: int, known: frozenset[str] = frozenset(), python: bool = False
) -> Prepared:
    """Parse and rewrite `source`, or raise PythonSyntaxError / LimitExceeded naming the line.

    `known`: names the math style provides itself (sigmoid, param, ...), never free.
    `python`: plain Python even without an import of torch (a notebook cell after the cell
    that imported it).
    """
    if len(source) > program_chars:
        raise LimitExceeded(
            f"program of {len(source):,} characters is over the limit of {program_chars:,}"
        )
    rewritten = replace_middle_dot(source)
    lines = tuple(_LINE_BREAK.split(source))
    try:
        tree = ast.parse(rewritten, FILENAME)
    except SyntaxError as error:
        raise syntax_error(error) from None
    except (RecursionError, MemoryError):
        raise LimitExceeded("the program is nested too deeply to compile") from None
    except ValueError as error:  # a NUL byte in the text
        raise PythonSyntaxError(str(error).strip() or "invalid source text") from None
    math_style = not python and not _imports_torch(tree)
    free: tuple[str, ...] = ()
    if math_style:
        tree = ast.fix_missing_locations(_Literals().visit(tree))
        free = _free_names(tree, known)
    return Prepared(tree, math_style, free, _assigned(tree), lines)


def replace_middle_dot(source: str) -> str:
    """Turn `·` into `@` outside strings and comments, keeping every column where it was.

    U+00B7 is a legal identifier character, so `w·x` is one NAME token; tokenizing first
    tells us which `·` are code. When tokenizing fails the source is left alone and the
    parser reports the syntax error.
    """
    if MIDDLE_DOT not in source:
        return source
    if not any(mark in source for mark in "'\"#"):
        return source.replace(MIDDLE_DOT, "@")  # no string or comment: every `·` is code
    lines = source.splitlines(keepends=True)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError, ValueError):
        return source
    for tok in tokens:
        if tok.type in (tokenize.STRING, tokenize.COMMENT) or MIDDLE_DOT not in tok.string:
            continue
        (row, col), (end_row, end_col) = tok.start, tok.end
        if row != end_row or row > len(lines):
            continue
        line = lines[row - 1]
        lines[row - 1] = line[:col] + line[col:end_col].replace(MIDDLE_DOT, "@") + line[end_col:]
    return "".join(lines)


def is_number_literal(node: ast.AST) -> bool:
    """A number, a signed number, or a (nested) list or tuple of them."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return is_number_literal(node.operand)
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, (ast.List, ast.Tuple)):
        return bool(node.elts) and all(is_number_literal(elt) for elt in node.elts)
    return False


def char_column(line: str, byte_offset: int | None) -> int | None:
    """1-based character column of a 0-based UTF-8 byte offset into `line`."""
    if byte_offset is None:
        return None
    return len(line.encode()[:byte_offset].decode("utf-8", "ignore")) + 1


class _Literals(ast.NodeTransformer):
    """Math style: `x = [1.0, 2.0]` assigns a float32 tensor; the value keeps its position."""

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        node.value = self._wrapped(node.value)
        return self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> ast.AST:
        if node.value is not None:
            node.value = self._wrapped(node.value)
        return self.generic_visit(node)

    @staticmethod
    def _wrapped(value: ast.expr) -> ast.expr:
        if not is_number_literal(value):
            return value
        call = ast.Call(func=ast.Name(LITERAL, ast.Load()), args=[value], keywords=[])
        return ast.copy_location(call, value)


def _imports_torch(tree: ast.Module) -> bool:
    # Iterative, like every walk here: ast.walk keeps an explicit queue.
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            if any(alias.name.split(".")[0] == "torch" for alias in node.names):
                return True
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch":
            return True
    return False


def _free_names(tree: ast.Module, known: frozenset[str]) -> tuple[str, ...]:
    """Names read but bound nowhere in the program (any scope), in order of first use."""
    bound: set[str] = set(dir(builtins)) | set(known) | {LITERAL}
    loads: list[ast.Name] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            if isinstance(node.ctx, ast.Load):
                loads.append(node)
            else:
                bound.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            bound.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            bound.add(node.name)
    loads.sort(key=lambda n: (n.lineno, n.col_offset))
    return tuple(dict.fromkeys(n.id for n in loads if n.id not in bound))


def _assigned(tree: ast.Module) -> tuple[str, ...]:
    """Module-level names bound by assignment, in source order (not inside def or class)."""
    out: list[tuple[int, int, str]] = []
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            out.append((node.lineno, node.col_offset, node.id))
        stack.extend(ast.iter_child_nodes(node))
    out.sort()
    return tuple(name for _, _, name in out)


def syntax_error(error: SyntaxError) -> PythonSyntaxError:
    """Python's own SyntaxError (or IndentationError, TabError) as one line.

    SyntaxError.offset already counts characters, 1-based, for text parsed from a str.
    """
    column = max(1, error.offset) if error.lineno is not None and error.offset else None
    problem = PythonSyntaxError(error.msg or "invalid syntax", error.lineno, column)
    problem.kind = type(error).__name__
    return problem
