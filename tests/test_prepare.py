"""engine.prepare: `·` for `@`, the math style, free names, assigned names, syntax errors."""

from __future__ import annotations

import ast
import dis

import pytest

from engine.errors import LimitExceeded
from engine.execute import compile_program
from engine.prepare import (
    LITERAL,
    PythonSyntaxError,
    is_number_literal,
    prepare,
    replace_middle_dot,
)

LIMIT = 20_000


def cpython_syntax_error(source: str) -> tuple[str, int, int]:
    """(message, line, column) of the SyntaxError CPython raises compiling `source`."""
    with pytest.raises(SyntaxError) as caught:
        compile(source, "<program>", "exec")
    return caught.value.msg, caught.value.lineno, caught.value.offset


def literal_positions(code) -> list[tuple[int, int, int, int]]:
    """Positions of every load of the literal wrapper in `code` and the code nested in it."""
    found = []
    for instruction in dis.get_instructions(code):
        if instruction.argval == LITERAL and instruction.opname.startswith("LOAD_"):
            p = instruction.positions
            found.append((p.lineno, p.end_lineno, p.col_offset, p.end_col_offset))
    for const in code.co_consts:
        if hasattr(const, "co_code"):
            found.extend(literal_positions(const))
    return found


def value_positions(source: str) -> list[tuple[int, int, int, int]]:
    """Positions of the value of every assignment of a number literal, as Python parses it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        assigns = isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None
        if assigns and is_number_literal(node.value):
            v = node.value
            found.append((v.lineno, v.end_lineno, v.col_offset, v.end_col_offset))
    return sorted(found)


# ----- `·` ------------------------------------------------------------------------------


def test_middle_dot_becomes_matmul_in_code():
    """Without strings or comments, every `·` is `@`."""
    assert replace_middle_dot("y = w·x + W·v\n") == "y = w@x + W@v\n"


def test_middle_dot_stays_in_strings_and_comments():
    """`·` inside a string or a comment is a character, and stays one."""
    code, string, comment = "y = w·x", "s = 'w·x'; t = \"a·b\"", "  # w·x"
    source = f"{code}{comment}\n{string}\n"
    want = f"{code.replace('·', '@')}{comment}\n{string}\n"
    assert replace_middle_dot(source) == want


def test_middle_dot_in_an_f_string_stays_a_character():
    """An f-string is one string token: a `·` in it is left alone, as in any string."""
    source = 'print(f"w·x = {1}")\ny = a·b\n'
    assert replace_middle_dot(source) == 'print(f"w·x = {1}")\ny = a@b\n'


def test_middle_dot_replacement_keeps_every_column():
    """Same length, and every character but the replaced `·` where it was."""
    source = "s = 'é·'; y = w·x·z  # ·\n"
    out = replace_middle_dot(source)
    assert len(out) == len(source)
    changed = [i for i, (a, b) in enumerate(zip(source, out, strict=True)) if a != b]
    assert changed == [source.index("w·x") + 1, source.index("x·z") + 1]
    assert all(out[i] == "@" for i in changed)


def test_middle_dot_left_alone_when_the_text_does_not_tokenize():
    """An unterminated string: tokenizing fails, the text is returned as it was."""
    source = "y = w·x\ns = '''unterminated # \n"
    assert replace_middle_dot(source) == source


def test_prepare_keeps_the_persons_lines_with_the_middle_dot():
    """Prepared.lines are the lines as typed, `·` included."""
    source = "x = [1.0]\ny = x·x\n"
    assert prepare(source, LIMIT).lines == tuple(source.split("\n"))


# ----- the math style -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "math_style"),
    [
        ("x = 1\n", True),
        ("import math\nimport numpy as np\nx = 1\n", True),
        ("import torchvision_like\n", True),
        ("import torch\n", False),
        ("import torch.nn as nn\n", False),
        ("import os, torch.nn.functional as F\n", False),
        ("from torch import nn\n", False),
        ("from torch.nn import functional\n", False),
        ("def f():\n    import torch\n    return torch\n", False),
    ],
)
def test_math_style_is_no_import_of_torch_anywhere(source, math_style):
    """The math style is on exactly when no import of torch (or torch.x) appears anywhere."""
    assert prepare(source, LIMIT).math_style is math_style


def test_number_and_list_literals_are_wrapped_where_they_stand():
    """Each wrapped literal keeps the line and columns Python gives the literal itself."""
    source = "x = [1.0, 2.0]\nc = -2\nW = [[1, 2],\n     [3, 4]]\nd: float = 0.5\n"
    prepared = prepare(source, LIMIT)
    assert sorted(literal_positions(compile_program(prepared))) == value_positions(source)
    assert len(value_positions(source)) == 4


def test_literals_inside_functions_are_wrapped_too():
    """An assignment inside a def is rewritten like one at the top level."""
    source = "def f():\n    k = 3\n    return k\n"
    assert literal_positions(compile_program(prepare(source, LIMIT))) == value_positions(source)


@pytest.mark.parametrize(
    "source",
    ["flag = True\n", "s = 'a'\n", "e = []\n", "t = (1, 'a')\n", "y = x\n", "n = len([1])\n"],
)
def test_values_that_are_not_number_literals_are_not_wrapped(source):
    """Booleans, strings, empty lists, mixed tuples, names and calls are left as they are."""
    assert literal_positions(compile_program(prepare(source, LIMIT))) == []


def test_pytorch_style_literals_are_not_wrapped():
    """With `import torch`, `x = [1.0, 2.0]` stays a Python list."""
    prepared = prepare("import torch\nx = [1.0, 2.0]\n", LIMIT)
    assert literal_positions(compile_program(prepared)) == []


# ----- free names -----------------------------------------------------------------------


def test_free_names_in_order_of_first_use():
    """Names read but never bound, each once, in the order they first appear."""
    source = "y = w * x + b\nz = exp(w) + q * x\n"
    assert prepare(source, LIMIT, frozenset({"exp"})).free_names == ("w", "x", "b", "q")


@pytest.mark.parametrize(
    ("source", "bound"),
    [
        ("def f(a, *rest, k=1, **kw):\n    return a + k + len(rest) + len(kw) + u\n", "a"),
        ("ys = [i * u for i in range(3)]\n", "i"),
        ("g = lambda t: t * u\n", "t"),
        ("import math as m\nfrom os import path\nv = m.pi + len(path.sep) + u\n", "m"),
        ("try:\n    v = 1\nexcept ValueError as err:\n    v = err\nw = u\n", "err"),
        ("class Net:\n    pass\nn = Net() if u else Net\n", "Net"),
        ("def f():\n    global later\n    later = 1\nv = later + u\n", "later"),
        ("for i in range(2):\n    pass\nv = i + u\n", "i"),
        ("with open('f') as fh:\n    pass\nv = fh, u\n", "fh"),
        ("if (n := 3):\n    v = n + u\n", "n"),
        ("v = u + later\nlater = 1\n", "later"),
    ],
)
def test_free_names_exclude_names_bound_anywhere(source, bound):
    """A name bound anywhere (arg, loop, import, except, class, global, walrus...) is not free."""
    free = prepare(source, LIMIT).free_names
    assert free == ("u",), free
    reads = {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name)}
    assert bound in reads  # the program does read the name it binds


def test_free_names_exclude_builtins_and_known_names():
    """print, len, ... and the names the math style provides are never free."""
    source = "print(len(xs), sigmoid(xs), param(1.0))\n"
    assert prepare(source, LIMIT, frozenset({"sigmoid", "param"})).free_names == ("xs",)


def test_a_pytorch_style_program_has_no_free_names():
    """With `import torch`, an unbound name is Python's NameError, not a variable to fill in."""
    assert prepare("import torch\ny = w * x\n", LIMIT).free_names == ()


# ----- assigned names -------------------------------------------------------------------


def test_assigned_names_at_the_top_level_in_source_order():
    """Module-level names bound by assignment, in source order, not those inside def or class."""
    source = (
        "a = 1\nif a:\n    b = 2\ndef f():\n    c = 3\nclass K:\n    d = 4\n"
        "for i in range(2):\n    e = i\nx, y = 1, 2\ng = lambda h: h\n"
    )
    assert prepare(source, LIMIT).assigned == ("a", "b", "i", "e", "x", "y", "g")


def test_assigned_names_repeat_for_each_assignment():
    """A name assigned twice appears twice, in order (the last one is the latest)."""
    assert prepare("w = 1\nv = 2\nw = 3\n", LIMIT).assigned == ("w", "v", "w")


# ----- syntax errors and limits ---------------------------------------------------------


def test_syntax_error_has_cpythons_message_line_and_column():
    """An invalid line: CPython's message, line and column."""
    source = "x = 1\ny = x +* 2\n"
    with pytest.raises(PythonSyntaxError) as caught:
        prepare(source, LIMIT)
    error = caught.value
    assert (error.message, error.line, error.column) == cpython_syntax_error(source)
    assert error.info().type == "SyntaxError"


def test_syntax_error_column_counts_characters_after_a_middle_dot_and_accents():
    """The column is in characters with `·` and `é` earlier on the line (2 UTF-8 bytes each)."""
    source = "w = [1.0]\ns = 'é·é'; y = w·w +* 2\n"
    with pytest.raises(PythonSyntaxError) as caught:
        prepare(source, LIMIT)
    line = source.splitlines()[1]
    ascii_twin = "w = [1.0]\n" + line.replace("é", "e").replace("·", "@") + "\n"
    error = caught.value
    assert (error.message, error.line, error.column) == cpython_syntax_error(ascii_twin)
    assert error.column == line.index("*") + 1


def test_compile_phase_syntax_error_has_line_and_column():
    """`return` outside a function, which only the compiler sees, names its line and column."""
    source = "x = 1\nreturn x\n"
    with pytest.raises(PythonSyntaxError) as caught:
        compile_program(prepare(source, LIMIT))
    error = caught.value
    assert (error.message, error.line, error.column) == cpython_syntax_error(source)


def test_program_size_limit_message():
    """Longer than the limit: LimitExceeded saying both sizes, with thousands separators."""
    source = "x = 1\n" * 4000
    with pytest.raises(LimitExceeded) as caught:
        prepare(source, LIMIT)
    assert caught.value.message == (
        f"program of {len(source):,} characters is over the limit of {LIMIT:,}"
    )
    assert caught.value.line is None


def test_a_program_at_the_limit_compiles():
    """Exactly the limit is allowed."""
    source = ("x = 1\n" * LIMIT)[:LIMIT]
    assert len(prepare(source, LIMIT).lines) > 1


def test_a_nul_byte_is_a_syntax_error_with_pythons_message():
    """A NUL byte in the text: a SyntaxError with the message Python gives for it."""
    source = "x = 1\x00\n"
    with pytest.raises((SyntaxError, ValueError)) as python:
        ast.parse(source)
    with pytest.raises(PythonSyntaxError) as caught:
        prepare(source, LIMIT)
    assert caught.value.message == str(python.value)


def test_nesting_too_deep_to_compile_is_a_limit():
    """A hundred thousand nested unary minuses: LimitExceeded, not a crash."""
    with pytest.raises(LimitExceeded) as caught:
        compile_program(prepare("x = " + "-" * 100_000 + "1\n", 10**6))
    assert caught.value.message == "the program is nested too deeply to compile"
