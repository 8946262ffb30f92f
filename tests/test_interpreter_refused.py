"""Programs the interpreter refuses or that fail: one clear line each, and every limit."""

# ruff: noqa: E501 - tables of programs and their exact messages read best one case a line

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # a fresh checkout runs too

from engine.interpreter import execute
from engine.limits import Limits

T = "import torch\n"

# (program, error type, exact message, line, column)
REFUSED = [
    ("import os", "NotAllowed", "import of 'os' is not allowed", 1, 1),
    ("import numpy as np", "NotAllowed", "import of 'numpy' is not allowed", 1, 1),
    ("from os import path", "NotAllowed", "import of 'os' is not allowed", 1, 1),
    ("from torch import *", "NotAllowed", "'from torch import *' is not allowed", 1, 1),
    ("from torch import save", "NotAllowed", "'torch.save' is not allowed", 1, 1),
    ("x = 1\ndef f():\n    pass", "NotAllowed", "'def' is not allowed", 2, 1),
    ("class A:\n    pass", "NotAllowed", "'class' is not allowed", 1, 1),
    ("f = lambda x: x", "NotAllowed", "'lambda' is not allowed", 1, 5),
    (
        "while True:\n    pass",
        "NotAllowed",
        "'while' is not allowed: use 'for i in range(n):'",
        1,
        1,
    ),
    ("try:\n    x = 1\nexcept Exception:\n    pass", "NotAllowed", "'try' is not allowed", 1, 1),
    ("global x", "NotAllowed", "'global' is not allowed", 1, 1),
    ("raise ValueError('x')", "NotAllowed", "'raise' is not allowed", 1, 1),
    ("print((y := 3))", "NotAllowed", "':=' is not allowed", 1, 8),
    ("async def f():\n    pass", "NotAllowed", "'async def' is not allowed", 1, 1),
    ("return 5", "SyntaxError", "'return' outside function", 1, 1),
    ("x = 1\ncontinue", "SyntaxError", "'continue' not properly in loop", 2, 1),
    ("break", "SyntaxError", "'break' outside loop", 1, 1),
    (
        T + "x = torch.ones(1)\nprint(x.__class__)",
        "NotAllowed",
        "attribute '__class__' is not allowed",
        3,
        7,
    ),
    (T + "x = torch.ones(1)\nx._base", "NotAllowed", "attribute '_base' is not allowed", 3, 1),
    ("eval('1')", "NotAllowed", "'eval' is not allowed", 1, 1),
    ("exec('x = 1')", "NotAllowed", "'exec' is not allowed", 1, 1),
    ("open('/etc/passwd')", "NotAllowed", "'open' is not allowed", 1, 1),
    ("getattr(1, 'real')", "NotAllowed", "'getattr' is not allowed", 1, 1),
    ("globals()", "NotAllowed", "'globals' is not allowed", 1, 1),
    ("vars()", "NotAllowed", "'vars' is not allowed", 1, 1),
    ("x = type(1)", "NotAllowed", "'type' is not allowed", 1, 5),
    ("__import__('os')", "NotAllowed", "'__import__' is not allowed", 1, 1),
    ("compile('1', '', 'exec')", "NotAllowed", "'compile' is not allowed", 1, 1),
    ("input()", "NotAllowed", "'input' is not allowed", 1, 1),
    (T + "torch.save(torch.ones(1), 'f.pt')", "NotAllowed", "'torch.save' is not allowed", 2, 1),
    (T + "torch.load('f.pt')", "NotAllowed", "'torch.load' is not allowed", 2, 1),
    (
        T + "x = torch.ones(1)\nx.numpy()",
        "NotAllowed",
        "attribute 'numpy' of a tensor is not allowed",
        3,
        1,
    ),
    (
        T + "x = torch.ones(1)\nx.untyped_storage()",
        "NotAllowed",
        "attribute 'untyped_storage' of a tensor is not allowed",
        3,
        1,
    ),
    (T + "torch.hub.load('a', 'b')", "NotAllowed", "'torch.hub' is not allowed", 2, 1),
    (T + "torch.ops", "NotAllowed", "'torch.ops' is not allowed", 2, 1),
    (T + "torch.utils", "NotAllowed", "'torch.utils' is not allowed", 2, 1),
    (T + "torch.from_file('x')", "NotAllowed", "'torch.from_file' is not allowed", 2, 1),
    (T + "torch.jit.script", "NotAllowed", "'torch.jit' is not allowed", 2, 1),
    (T + "torch.compile", "NotAllowed", "'torch.compile' is not allowed", 2, 1),
    (T + "torch.cuda.is_available()", "NotAllowed", "'torch.cuda' is not allowed", 2, 1),
    (T + "torch.backends", "NotAllowed", "'torch.backends' is not allowed", 2, 1),
    (
        T + "torch.set_default_dtype(torch.float64)",
        "NotAllowed",
        "'torch.set_default_dtype' is not allowed",
        2,
        1,
    ),
    (T + "torch.set_num_threads(1)", "NotAllowed", "'torch.set_num_threads' is not allowed", 2, 1),
    (
        T + "torch.set_printoptions(precision=2)",
        "NotAllowed",
        "'torch.set_printoptions' is not allowed",
        2,
        1,
    ),
    (
        T + "torch.use_deterministic_algorithms(True)",
        "NotAllowed",
        "'torch.use_deterministic_algorithms' is not allowed",
        2,
        1,
    ),
    (
        T + "torch.autograd.set_detect_anomaly(True)",
        "NotAllowed",
        "'torch.autograd.set_detect_anomaly' is not allowed",
        2,
        1,
    ),
    (
        T + "torch.set_grad_enabled(False)",
        "NotAllowed",
        "torch.set_grad_enabled(...) is only allowed as a context manager: with torch.set_grad_enabled(...):",
        2,
        1,
    ),
    (
        T + "torch.no_grad()",
        "NotAllowed",
        "torch.no_grad(...) is only allowed as a context manager: with torch.no_grad(...):",
        2,
        1,
    ),
    (
        T + "x = torch.ones(1)\nx.to('cuda')",
        "NotAllowed",
        "device 'cuda' is not allowed: programs run on the CPU",
        3,
        1,
    ),
    (
        T + "x = torch.ones(1, device='cuda')",
        "NotAllowed",
        "device 'cuda' is not allowed: programs run on the CPU",
        2,
        5,
    ),
    (
        T + "with open('f') as f:\n    pass",
        "NotAllowed",
        "'with' is only allowed with torch.no_grad(), torch.enable_grad() or torch.set_grad_enabled(...)",
        2,
        6,
    ),
    (
        T + "with torch.no_grad() as g:\n    pass",
        "NotAllowed",
        "'with ... as' is not allowed",
        2,
        25,
    ),
    (
        T + "x = torch.Tensor(3)",
        "NotAllowed",
        "calling torch.Tensor(...) is not allowed: use torch.tensor(...)",
        2,
        5,
    ),
    (
        T + "x = torch.ones(2, requires_grad=True)\ny = x * 2\ny.grad_fn(x)",
        "NotAllowed",
        "calling a grad_fn is not allowed",
        4,
        1,
    ),
    (
        T + "x = torch.ones(1)\nx.register_hook(print)",
        "NotAllowed",
        "attribute 'register_hook' of a tensor is not allowed",
        3,
        1,
    ),
    ("x = 1\nx.y = 2", "NotAllowed", "setting attribute 'y' is not allowed", 2, 1),
    ("print(1, file=print)", "NotAllowed", "print(file=...) is not allowed", 1, 1),
]

FAILING = [
    (
        T + "x = torch.ones(1)\nx.foo",
        "AttributeError",
        "'Tensor' object has no attribute 'foo'",
        3,
        1,
    ),
    (T + "torch.foo", "AttributeError", "module 'torch' has no attribute 'foo'", 2, 1),
    ("1 +", "SyntaxError", "invalid syntax", 1, 4),
    ("x = 1\n  y = 2", "SyntaxError", "unexpected indent", 2, 2),
    ("x = (1", "SyntaxError", "'(' was never closed", 1, 5),
    ("a, b = [1, 2, 3]", "ValueError", "too many values to unpack (expected 2)", 1, 1),
    ("a, b, c = [1, 2]", "ValueError", "not enough values to unpack (expected 3, got 2)", 1, 1),
    ("x = [1][5]", "IndexError", "list index out of range", 1, 5),
    ("x = {'a': 1}['b']", "KeyError", "'b'", 1, 5),
    ("print(q)", "NameError", "name 'q' is not defined", 1, 7),
    ("x = 1\ndel x\nprint(x)", "NameError", "name 'x' is not defined", 3, 7),
    ("x = 1 / 0", "ZeroDivisionError", "division by zero", 1, 5),
    (
        T + "x = torch.ones(2, requires_grad=True).item()",
        "RuntimeError",
        "a Tensor with 2 elements cannot be converted to Scalar",
        2,
        5,
    ),
    (
        T + "x = torch.ones(2)\nif x > 0:\n    pass",
        "RuntimeError",
        "Boolean value of Tensor with more than one value is ambiguous",
        3,
        4,
    ),
    (
        T + "x = torch.tensor([1.0, 2.0], requires_grad=True)\ny = x * 2\ny.backward()",
        "RuntimeError",
        "grad can be implicitly created only for scalar outputs (y is a vector: call y.sum().backward(), as in the lesson)",
        4,
        1,
    ),
    (
        T + "x = torch.tensor(1.0, requires_grad=True)\ny = x * 2\ny.backward()\ny.backward()",
        "RuntimeError",
        "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). "
        "(to call backward twice, pass retain_graph=True to the first backward())",
        5,
        1,
    ),
    (
        T + "x = torch.ones(2)\n(x * 2).sum().backward()",
        "RuntimeError",
        "element 0 of tensors does not require grad and does not have a grad_fn "
        "((x * 2).sum() does not depend on any tensor with requires_grad=True: create one with requires_grad=True or param(...))",
        3,
        1,
    ),
    (
        T + "w = torch.ones(2, requires_grad=True)\nw -= 1",
        "RuntimeError",
        "a leaf Variable that requires grad is being used in an in-place operation.",
        3,
        1,
    ),
    ("assert 1 == 2, 'no'", "AssertionError", "no", 1, 1),
]


def check(source: str, kind: str, message: str, line: int, column: int) -> None:
    run = execute(source)
    assert run.error is not None, "no error"
    assert (run.error.type, run.error.message, run.error.line, run.error.column) == (
        kind,
        message,
        line,
        column,
    )


@pytest.mark.parametrize(("source", "kind", "message", "line", "column"), REFUSED)
def test_refused(source, kind, message, line, column):
    """Outside the language: refused with one line naming what is not allowed, and where."""
    check(source, kind, message, line, column)


@pytest.mark.parametrize(("source", "kind", "message", "line", "column"), FAILING)
def test_failing(source, kind, message, line, column):
    """A failing program: Python's or torch's own error, on one line, at the user's code."""
    check(source, kind, message, line, column)


def test_refusal_happens_before_anything_runs():
    """A refused program prints nothing, even from lines before the refusal."""
    run = execute("print('hi')\nimport os\n")
    assert run.stdout == "" and run.error.type == "NotAllowed"


def test_format_fields_cannot_reach_dunders():
    """ "{0.__class__}".format(x) is refused like the attribute itself."""
    run = execute("print('{0.__class__}'.format(1))")
    assert (run.error.type, run.error.message) == (
        "NotAllowed",
        "attribute '__class__' is not allowed",
    )


# ----- limits -----------------------------------------------------------------------------

# (program, limits, exact message)
LIMITS = [
    ("x = 1\n" * 4000, Limits(), "program of 24,000 characters is over the limit of 20,000"),
    (
        T + "x = torch.ones(1000, 1001)",
        Limits(),
        "tensor of 1,001,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "x = torch.ones(10**9)",
        Limits(),
        "tensor of 1,000,000,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "a = torch.ones(1000, 1000)\nb = torch.ones(1000, 1000)\nc = torch.ones(1000, 1000)",
        Limits(total_elements=2_500_000),
        "3,000,000 tensor elements in total are over the limit of 2,500,000",
    ),
    (
        T + "a = torch.ones(1000, 1)\nb = torch.ones(1, 2000)\nc = a @ b",
        Limits(),
        "tensor of 2,000,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "a = torch.ones(1000, 1)\nb = torch.ones(1, 2000)\nc = a + b",
        Limits(),
        "tensor of 2,000,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "a = torch.ones(1000)\nb = a.repeat(2000)",
        Limits(),
        "tensor of 2,000,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "a = torch.ones(1000)\nb = torch.cat([a] * 2000)",
        Limits(),
        "tensor of 2,000,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "a = torch.ones(10)\nb = a.expand(1000, 1000, 10)",
        Limits(),
        "tensor of 10,000,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "m = torch.nn.Linear(100000, 100000)",
        Limits(),
        "tensor of 10,000,100,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "import torch.nn.functional as F\nF.one_hot(torch.tensor([10**8]))",
        Limits(),
        "tensor of 100,000,001 elements is over the limit of 1,000,000",
    ),
    (
        T + "torch.arange(10**12)",
        Limits(),
        "tensor of 1,000,000,000,000 elements is over the limit of 1,000,000",
    ),
    (
        T + "torch.tensor(range(10**9))",
        Limits(),
        "tensor of 1,000,000,000 elements is over the limit of 1,000,000",
    ),
    (
        "print(2**10**10)",
        Limits(),
        "integer of about 3,010,300,000 digits is over the limit of 30,103 digits",
    ),
    (
        "x = [0] * 10**9",
        Limits(),
        "a string or list of 1,000,000,000 items is over the limit of 1,000,000",
    ),
    (
        "x = 'a' * 10**9",
        Limits(),
        "a string or list of 1,000,000,000 items is over the limit of 1,000,000",
    ),
    (
        "s = 'ab'\nfor i in range(40):\n    s = s + s",
        Limits(),
        "a string or list of 1,048,576 items is over the limit of 1,000,000",
    ),
    (
        T + "xs = [1]\nfor i in range(40):\n    xs.extend(xs)",
        Limits(),
        "a string or list of 1,048,576 items is over the limit of 1,000,000",
    ),
    (
        "a = [0]\nfor i in range(40):\n    a = [a, a]\nprint(a)",
        Limits(),
        "text of over 100,000 characters is over the print limit",
    ),
    (
        "for i in range(100000):\n    pass",
        Limits(),
        "loop iteration 10,001 is over the limit of 10,000",
    ),
    (
        "x = [i for i in range(20000)]",
        Limits(),
        "loop iteration 10,001 is over the limit of 10,000",
    ),
    ("x = list(range(10**9))", Limits(), "loop iteration 10,001 is over the limit of 10,000"),
    ("print(sum(range(10**12)))", Limits(), "loop iteration 10,001 is over the limit of 10,000"),
    (
        T + "x = torch.zeros(1)\nfor i in range(10**7):\n    x = x + 1",
        Limits(seconds=0.05, loop_iterations=10**8),
        "run time is over the limit of 0.05 seconds",
    ),
    (
        "for i in range(100):\n    print('xxxxxxxxxx')",
        Limits(print_chars=100),
        "print output is over the limit of 100 characters",
    ),
    (
        "print(f'{1:>1000000000}')",
        Limits(),
        "format width 1000000000 is over the print limit of 100,000 characters",
    ),
    (
        "print('{:>1000000000}'.format(1))",
        Limits(),
        "format width 1000000000 is over the print limit of 100,000 characters",
    ),
    (
        "print('%1000000000d' % 1)",
        Limits(),
        "format width 1000000000 is over the print limit of 100,000 characters",
    ),
    (
        "print('a'.ljust(10**9))",
        Limits(),
        "a string or list of 1,000,000,000 items is over the limit of 1,000,000",
    ),
    (
        "y = " + "+".join(["1"] * 100_000),
        Limits(program_chars=10**6),
        "expression is nested too deeply",
    ),
    ("y = " + "+".join(["1"] * 900), Limits(), "expression is nested too deeply"),
]


@pytest.mark.parametrize(("source", "limits", "message"), LIMITS, ids=range(len(LIMITS)))
def test_limit(source, limits, message):
    """Each limit stops the program with a LimitExceeded naming the limit and its value."""
    run = execute(source, limits=limits)
    assert run.error is not None
    assert (run.error.type, run.error.message) == ("LimitExceeded", message)


def test_print_limit_keeps_what_fit():
    """Output printed before the print limit was reached is kept."""
    run = execute("for i in range(100):\n    print('xxxxxxxxxx')", limits=Limits(print_chars=100))
    assert run.stdout == "xxxxxxxxxx\n" * 9


def test_deep_parentheses_are_a_syntax_error():
    """1000 nested parentheses: Python's own 'too many nested parentheses'."""
    run = execute("y = " + "(" * 1000 + "1" + ")" * 1000)
    assert (run.error.type, run.error.message) == ("SyntaxError", "too many nested parentheses")


@pytest.mark.parametrize(
    "source",
    [
        "\x00\x01\x02",
        "x = 1\x00",
        bytes(range(256)).decode("latin-1"),
        "x = '\ud800'",
        "\ufeff\u202e\u00b7\u00b7\u00b7",
        "print(" * 50,
        "x = 1\n" * 200_000,
    ],
    ids=["nul", "trailing-nul", "all-bytes", "surrogate", "odd-unicode", "unclosed", "1MB"],
)
def test_garbage_returns_an_error(source):
    """Garbage, NUL characters and a 1 MB program come back as an error, never an exception."""
    run = execute(source)
    assert run.error is not None and run.error.type in ("SyntaxError", "LimitExceeded")
    assert run.stdout == ""


def test_bytes_are_decoded_not_raised():
    """Even bytes instead of text return an Execution."""
    run = execute(b"print('hi')")  # type: ignore[arg-type]
    assert run.stdout == "hi\n" and run.error is None


def test_empty_program_runs():
    """An empty program runs, prints nothing and names no tensor."""
    run = execute("")
    assert (run.error, run.stdout, run.last_tensor_name) == (None, "", None)
