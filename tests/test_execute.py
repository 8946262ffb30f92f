"""Programs run as real Python: the lesson, the corpus and the errors, against CPython + torch.

Every expected output, value, gradient and error here comes from CPython itself, running
the same text in a subprocess set up as the engine's worker is (the CPU generator seeded
with 0, one intra-op thread). Most tests use engine.run (the worker path); the ones that
need in-process objects use engine.execute or trusted=True.
"""

# ruff: noqa: E501 - the test programs are kept on one line each, long lines included

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from programs import MATH_PAIRS, PROGRAMS, PYTHON_PROGRAMS

import engine
from engine.execute import execute
from engine.limits import Limits

ROOT = Path(__file__).resolve().parent.parent
LESSON = (ROOT / "tests" / "data" / "autograd-lesson.txt").read_text()
EXCLUSION = (ROOT / "tests" / "data" / "lessons" / "03_exclusion_from_dag.py").read_text()

# The reference: plain `exec` of trusted test text, one subprocess for every program. For
# each it writes what was printed, every tensor the program can name (globals, module
# parameters as model.fc1.weight, a plain object's attributes as neuron.w, list items as
# parts[0]) and the exception that ended it: type, first line, line and 1-based column of
# the innermost frame in the program, in characters.
RUNNER = r"""
import contextlib, io, json, sys
import torch

torch.set_num_threads(1)


def tensor(t):
    grad = t.grad if t.is_leaf or t.retains_grad else None
    return {"value": t.tolist(), "grad": None if grad is None else grad.tolist()}


def tensors(namespace):
    out = {}
    for name, value in namespace.items():
        if name.startswith("__"):
            continue
        if isinstance(value, torch.Tensor):
            out[name] = tensor(value)
        elif isinstance(value, torch.nn.Module):
            for pname, p in value.named_parameters():
                out[f"{name}.{pname}"] = tensor(p)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                if isinstance(item, torch.Tensor):
                    out[f"{name}[{i}]"] = tensor(item)
        elif type(value).__module__ == "__main__" and not isinstance(value, type):
            for attr, item in vars(value).items():
                if isinstance(item, torch.Tensor):
                    out[f"{name}.{attr}"] = tensor(item)
    return out


def where(exc, lines):
    if isinstance(exc, SyntaxError):
        return exc.lineno, exc.offset
    line = column = None
    tb = exc.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename == "<program>":
            line = tb.tb_lineno
            start = list(code.co_positions())[tb.tb_lasti // 2][2]
            column = len(lines[line - 1].encode()[:start].decode()) + 1
        tb = tb.tb_next
    return line, column


programs, out_path = json.load(sys.stdin), sys.argv[1]
results = {}
for key, source in programs.items():
    torch.default_generator.manual_seed(0)
    torch.set_grad_enabled(True)
    namespace, buffer, error = {"__name__": "__main__"}, io.StringIO(), None
    try:
        with contextlib.redirect_stdout(buffer):
            exec(compile(source, "<program>", "exec"), namespace)
    except BaseException as exc:
        text = (exc.msg if isinstance(exc, SyntaxError) else str(exc)).strip()
        error = [type(exc).__name__, text.splitlines()[0] if text else "",
                 *where(exc, source.splitlines())]
    results[key] = {"stdout": buffer.getvalue(), "tensors": tensors(namespace), "error": error}
with open(out_path, "w") as f:
    json.dump(results, f)
"""

# Typical mistakes, in programs CPython runs too: the engine reports what CPython raises.
ERRORS = {
    "name_error": "import torch\nx = torch.ones(2)\ny = x * undefined_thing\n",
    "type_error_operand": "import torch\nx = torch.ones(2)\ny = x + 'a'\n",
    "type_error_call": "import torch\nn = len(5)\n",
    "shape_mismatch_matmul": "import torch\na = torch.ones(2, 3)\nb = torch.ones(4, 5)\nc = a @ b\n",
    "shape_mismatch_broadcast": "import torch\na = torch.ones(2)\nb = torch.ones(3)\nc = a + b\n",
    "shape_mismatch_cat": (
        "import torch\na = torch.ones(1, 2)\nb = torch.ones(1, 3)\nc = torch.cat([a, b])\n"
    ),
    "index_error_tensor": "import torch\nx = torch.ones(3)\nprint(x[5])\n",
    "index_error_list": "import torch\nxs = [1, 2]\nprint(xs[2])\n",
    "key_error_string": "import torch\nd = {'a': 1}\nprint(d['b'])\n",
    "key_error_number": "import torch\nd = {'a': 1}\nprint(d[3])\n",
    "zero_division": "import torch\nn = 0\nprint('before')\nr = 3 / n\nprint('after')\n",
    "attribute_error": "import torch\nx = torch.ones(2)\nx.foo()\n",
    "value_error_ragged": "import torch\nx = torch.tensor([[1.0], [2.0, 3.0]])\n",
    "syntax_error_unclosed": "import torch\nx = torch.ones(2\ny = 3\n",
    "syntax_error_operator": "import torch\nx = 1\ny = x +* 2\n",
    "syntax_error_compile_phase": "import torch\nx = 1\nreturn x\n",
    "error_inside_def": (
        "import torch\n\ndef f(t):\n    u = t * 2\n    return u @ torch.ones(5)\n\n"
        "print(f(torch.ones(3)))\n"
    ),
    "error_in_module_method": (
        "import torch\nimport torch.nn as nn\n\nclass Model(nn.Module):\n"
        "    def __init__(self):\n        super().__init__()\n        self.fc = nn.Linear(2, 3)\n\n"
        "    def forward(self, x):\n        return self.fc(x)\n\nmodel = Model()\n"
        "out = model(torch.ones(4))\n"
    ),
    "error_in_plain_method": (
        "import torch\n\nclass Neuron:\n    def __init__(self):\n        self.w = torch.ones(3)\n\n"
        "    def __call__(self, x):\n        return self.w.dot(x)\n\n"
        "neuron = Neuron()\nneuron(torch.ones(2))\n"
    ),
    "recursion": "import torch\n\ndef f(n):\n    return f(n + 1)\n\nf(0)\n",
    "own_runtime_error": "import torch\nraise RuntimeError('first sentence. second sentence')\n",
    "undefined_in_math_style": "y = w * x + b\nz = y\n",
    "multiline_operands": "import torch\nx = torch.ones(2)\ny = (x +\n     'a')\n",
    "multiline_call": "import torch\ny = torch.matmul(\n    torch.ones(2),\n    torch.ones(3),\n)\n",
    "error_in_lambda": "import torch\nf = lambda t: t @ torch.ones(5)\nf(torch.ones(2))\n",
    "error_in_comprehension": "import torch\nxs = [torch.ones(2) @ torch.ones(k) for k in (2, 3)]\n",
    "error_in_generator": "import torch\n\ndef g():\n    yield 1\n    yield 1 / 0\n\nlist(g())\n",
    "accents_before_the_error": "import torch\ns = 'ñandú'; x = torch.ones(2) @ torch.ones(3)\n",
    "assertion": "import torch\nx = torch.ones(2)\nassert x.sum() > 5, 'too small'\n",
    "own_exception_class": (
        "import torch\n\nclass MyError(Exception):\n    pass\n\nraise MyError('bad\\nsecond line')\n"
    ),
    "unknown_module": "import torch\nimport not_a_module_xyz\n",
    "unbound_local": "import torch\n\ndef f():\n    print(v)\n    v = 1\n\nf()\n",
    "leaf_in_place": "import torch\nx = torch.ones(2, requires_grad=True)\nx += 1\n",
    "grad_is_none": "import torch\nx = torch.ones(2, requires_grad=True)\ny = x.grad * 2\n",
}

# Backward errors: CPython's message, its first sentence, then the lesson's hint.
BACKWARD_ERRORS = {
    "vector_output": (
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 2\ny.backward()\n",
        "y is a vector: call y.sum().backward(), as in the lesson",
    ),
    "backward_twice": (
        "import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x * x\n"
        "y.backward()\ny.backward()\n",
        "to call backward twice, pass retain_graph=True to the first backward()",
    ),
    "no_grad_needed": (
        "import torch\nc = torch.tensor([1.0, 2.0])\nloss = (c * 2).sum()\nloss.backward()\n",
        "loss does not depend on any tensor with requires_grad=True: "
        "create one with requires_grad=True or param(...)",
    ),
}

# A backward that failed and was caught must not change how a later error is reported.
CAUGHT_BACKWARD = (
    "import torch\nx = torch.ones(2, requires_grad=True)\ntry:\n    (x * 2).backward()\n"
    "except RuntimeError:\n    print('caught')\n"
)
LATER_ERRORS = {
    "cat_after_caught_backward": CAUGHT_BACKWARD + ERRORS["shape_mismatch_cat"],
    "own_error_after_caught_backward": CAUGHT_BACKWARD + ERRORS["own_runtime_error"],
}

# Extra programs for single tests, run by CPython in the same subprocess.
TRAINING_LOOP = (
    "import torch\nw = torch.tensor([0.5, -1.0], requires_grad=True)\nlosses = []\n\n"
    "def step(w):\n    loss = ((w - 2.0) ** 2).sum()\n    loss.backward()\n"
    "    with torch.no_grad():\n        w -= 0.2 * w.grad\n        w.grad.zero_()\n"
    "    return loss.item()\n\nfor i in range(4):\n    losses.append(step(w))\nprint(losses)\n"
)
MADE_IN_A_FUNCTION = (
    "import torch\n\ndef make(n):\n    weights = torch.full((n,), 0.5, requires_grad=True)\n"
    "    return weights\n\na = make(3)\nh = a * a\nloss = h.sum()\nloss.backward()\n"
)
# Programs CPython runs without an error, where the explorer's own pass (no backward in the
# program) cannot run: the graph was freed by autograd.grad, or changed in place.
FAULTLESS = {
    "graph_freed_by_autograd_grad": (
        "import torch\nw = torch.ones(2, requires_grad=True)\ny = (w * w).sum()\n"
        "g = torch.autograd.grad(y, w)\nprint(g)\n"
    ),
    "saved_tensor_changed_in_place": (
        "import torch\nx = torch.ones(2, requires_grad=True)\nz = x.sigmoid()\ny = z * 1\n"
        "z.mul_(2)\nprint('done')\n"
    ),
}
EXTRA = {
    "exclusion": EXCLUSION + "print(z.grad)\n",
    "exclusion_with_backward": EXCLUSION + "b.sum().backward()\n",
    "training_loop": TRAINING_LOOP,
    "made_in_a_function": MADE_IN_A_FUNCTION,
    "math_style_undefined": ERRORS["undefined_in_math_style"],
    **FAULTLESS,
}


@pytest.fixture(scope="module")
def cpython(tmp_path_factory) -> dict[str, dict]:
    """Every program of this module run by CPython + torch, in one subprocess."""
    programs = {**PROGRAMS, **PYTHON_PROGRAMS, **ERRORS, **LATER_ERRORS, **EXTRA}
    programs.update({f"math:{key}": pair[1] for key, pair in MATH_PAIRS.items()})
    programs.update({f"backward:{key}": pair[0] for key, pair in BACKWARD_ERRORS.items()})
    programs.update({f"lesson:{i}": source for i, source in enumerate(lesson_programs())})
    out = tmp_path_factory.mktemp("cpython") / "results.json"
    subprocess.run(
        [sys.executable, "-c", RUNNER, str(out)],
        input=json.dumps(programs),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=True,
    )
    return json.loads(out.read_text())


def assert_same_tensors(run: engine.Run, expected: dict) -> None:
    """Each tensor CPython's run can name has the same value and .grad in the explorer's."""
    assert expected, "the CPython run named no tensors"
    missing = set(expected) - set(run.tensors)
    assert not missing, missing
    for name, want in expected.items():
        assert run.tensors[name].value == want["value"], name
        assert run.tensors[name].grad == want["grad"], name


def scope(names) -> dict:
    """The names a backward hook is given: a mapping, or a function that makes one lazily."""
    return names() if callable(names) else names


def error_of(run: engine.Run) -> list:
    assert run.error is not None, "the run did not fail"
    return [run.error.type, run.error.message, run.error.line, run.error.column]


def test_reference_programs_run_cleanly_in_cpython(cpython):
    """The programs used as references for clean runs raise nothing in CPython either."""
    clean = [k for k in EXTRA if k != "math_style_undefined"]
    clean += [f"lesson:{i}" for i in range(len(CELLS))]
    assert {k: cpython[k]["error"] for k in clean} == dict.fromkeys(clean)


# ----- the lesson ---------------------------------------------------------------------


def lesson_cells() -> list[tuple[str, str]]:
    """(code, printed output) of each `In [n]:` cell, as the lesson shows them."""
    cells = []
    for chunk in re.split(r"^In \[\d+\]:\n", LESSON, flags=re.M)[1:]:
        code, _, rest = chunk.partition("\n\n\n")
        output = rest.lstrip("\n").split("\n\n\n")[0]
        cells.append((code + "\n", output))
    return cells


CELLS = lesson_cells()
PRINTING_CELLS = {0, 2, 3, 4}  # cell [5] only repeats `y = ...`; its "output" is prose


def lesson_programs() -> list[str]:
    """The lesson's cells up to the first, the second, ... the last, each as one program."""
    return ["".join(code for code, _ in CELLS[: upto + 1]) for upto in range(len(CELLS))]


def expected_lesson_stdout(upto: int) -> str:
    return "".join(CELLS[i][1] + "\n" for i in range(upto + 1) if i in PRINTING_CELLS)


def test_lesson_has_five_cells():
    """The lesson parser finds every code cell (so the tests below cover them all)."""
    assert len(CELLS) == 5
    assert CELLS[2][0].startswith("# Define a function\ny = x**2 + 3*x\n")


@pytest.mark.parametrize("upto", range(len(CELLS)))
def test_lesson_cells_print_what_the_lesson_shows(upto):
    """Running the lesson's cells up to this one prints exactly the lesson's outputs."""
    run = engine.run(lesson_programs()[upto], numeric=False)
    assert run.error is None, run.error
    assert run.stdout == expected_lesson_stdout(upto)


@pytest.mark.parametrize("upto", range(len(CELLS)))
def test_lesson_cells_match_cpython(upto, cpython):
    """The lesson's cells up to this one: CPython's output, values and grads."""
    run = engine.run(lesson_programs()[upto], numeric=False)
    assert run.stdout == cpython[f"lesson:{upto}"]["stdout"]
    assert_same_tensors(run, cpython[f"lesson:{upto}"]["tensors"])


def test_lesson_gradient_cell_gives_the_lessons_gradient(cpython):
    """Cell [6]: dy/dx = 2x + 3 on x = [2, 3], as the lesson's own output says."""
    run = engine.run(CELLS[0][0] + CELLS[2][0], numeric=False)
    assert f"dy/dx: {torch.tensor(run.tensors['x'].grad)}" in CELLS[2][1]
    assert run.tensors["x"].grad == cpython["lesson:2"]["tensors"]["x"]["grad"]


# ----- the corpus against CPython -------------------------------------------------------


def test_there_are_at_least_forty_compared_programs():
    """The comparison covers at least 40 programs."""
    assert len(PROGRAMS) + len(PYTHON_PROGRAMS) + len(MATH_PAIRS) >= 40


@pytest.mark.parametrize("key", sorted(PROGRAMS) + sorted(PYTHON_PROGRAMS))
def test_program_prints_what_cpython_prints(key, cpython):
    """Exactly CPython's stdout, with no error where CPython raises none."""
    run = engine.run({**PROGRAMS, **PYTHON_PROGRAMS}[key], numeric=False)
    assert cpython[key]["error"] is None
    assert run.error is None, run.error
    assert run.stdout == cpython[key]["stdout"]


@pytest.mark.parametrize("key", sorted(PROGRAMS) + sorted(PYTHON_PROGRAMS))
def test_program_values_and_grads_match_cpython(key, cpython):
    """Every tensor CPython can name has the same value and .grad."""
    run = engine.run({**PROGRAMS, **PYTHON_PROGRAMS}[key], numeric=False)
    assert run.error is None, run.error
    if cpython[key]["tensors"]:
        assert_same_tensors(run, cpython[key]["tensors"])
    else:
        assert {name for name in run.tensors if "." not in name and "[" not in name} == set()


@pytest.mark.parametrize("key", sorted(MATH_PAIRS))
def test_math_style_matches_its_pytorch_twin(key, cpython):
    """A math-style program prints, computes and differentiates as its PyTorch twin."""
    run = engine.run(MATH_PAIRS[key][0], numeric=False)
    assert run.error is None, run.error
    assert run.stdout == cpython[f"math:{key}"]["stdout"]
    assert_same_tensors(run, cpython[f"math:{key}"]["tensors"])


def test_unseeded_random_draws_match_cpython_seeded_with_zero(cpython):
    """Without manual_seed, randn and nn.Linear draw what CPython draws after seeding 0."""
    run = engine.run(PYTHON_PROGRAMS["unseeded_random"], numeric=False)
    want = cpython["unseeded_random"]["tensors"]
    assert run.tensors["x"].value == want["x"]["value"]
    assert run.tensors["layer.weight"].value == want["layer.weight"]["value"]


def test_two_runs_draw_the_same_numbers():
    """The RNG is seeded before every run: two runs of an unseeded program agree."""
    source = "import torch\nr = torch.randn(3)\n"
    assert engine.run(source).tensors["r"].value == engine.run(source).tensors["r"].value


# ----- errors ---------------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(ERRORS))
def test_error_is_what_cpython_raises(key, cpython):
    """Type, first line of the message, line and column are CPython's own."""
    run = engine.run(ERRORS[key], numeric=False)
    assert not run.ok
    assert error_of(run) == cpython[key]["error"]


@pytest.mark.parametrize("key", sorted(ERRORS))
def test_output_before_an_error_is_kept(key, cpython):
    """What the program printed before it failed is what CPython printed."""
    run = engine.run(ERRORS[key], numeric=False)
    assert run.stdout == cpython[key]["stdout"]


def test_zero_division_keeps_the_output_before_it(cpython):
    """stdout ends where the program stopped: `before` is printed, `after` is not."""
    run = engine.run(ERRORS["zero_division"], numeric=False)
    assert run.stdout == cpython["zero_division"]["stdout"] == "before\n"


def test_error_inside_a_def_names_the_line_inside_the_function(cpython):
    """The innermost program frame is the `return u @ ...` line, not the call of f."""
    source = ERRORS["error_inside_def"]
    run = engine.run(source, numeric=False)
    line = source.splitlines()[run.error.line - 1]
    assert line.strip().startswith("return u @")
    assert run.error.column == line.index("u @") + 1


def test_error_in_a_module_method_names_the_forward_line():
    """A shape error in an nn.Module subclass's forward is reported on its `return` line."""
    source = ERRORS["error_in_module_method"]
    run = engine.run(source, numeric=False)
    line = source.splitlines()[run.error.line - 1]
    assert line == "        return self.fc(x)"
    assert run.error.column == line.index("self.fc") + 1


def test_syntax_error_has_line_and_column(cpython):
    """An unclosed bracket: SyntaxError at the bracket, as CPython reports it."""
    run = engine.run(ERRORS["syntax_error_unclosed"], numeric=False)
    line = ERRORS["syntax_error_unclosed"].splitlines()[1]
    message = cpython["syntax_error_unclosed"]["error"][1]
    assert error_of(run) == ["SyntaxError", message, 2, line.index("(") + 1]


def test_indentation_error_is_named_as_cpython_names_it(tmp_path):
    """An unexpected indent is CPython's IndentationError, with its message and position."""
    source = "import torch\nx = 1\n    y = 2\n"
    try:
        compile(source, "<program>", "exec")
    except SyntaxError as error:
        want = [type(error).__name__, error.msg, error.lineno, error.offset]
    run = engine.run(source, numeric=False)
    assert error_of(run) == want


@pytest.mark.parametrize("key", sorted(BACKWARD_ERRORS))
def test_backward_error_is_cpythons_first_sentence_with_a_hint(key, cpython):
    """A RuntimeError from backward: CPython's line and column, its first sentence, a hint."""
    source, hint = BACKWARD_ERRORS[key]
    kind, message, line, column = cpython[f"backward:{key}"]["error"]
    end = message.find(". ")
    first = message[: end + 1] if end > 0 else message
    run = engine.run(source, numeric=False)
    assert error_of(run) == [kind, f"{first} ({hint})", line, column]


@pytest.mark.parametrize("key", sorted(LATER_ERRORS))
def test_caught_backward_error_leaves_later_errors_alone(key, cpython):
    """After the program caught a failed backward, a later RuntimeError is CPython's own."""
    run = engine.run(LATER_ERRORS[key], numeric=False)
    assert run.stdout == cpython[key]["stdout"]
    assert error_of(run) == cpython[key]["error"]


@pytest.mark.parametrize("key", sorted(FAULTLESS))
def test_a_program_cpython_runs_cleanly_is_not_failed_by_the_explorers_pass(key, cpython):
    """No backward in the program and a pass the explorer cannot make: still CPython's clean run."""
    run = engine.run(FAULTLESS[key], numeric=False)
    assert cpython[key]["error"] is None
    assert run.stdout == cpython[key]["stdout"]
    assert run.error is None, run.error


def test_multi_line_backward_call_is_labelled_with_its_receiver():
    """`loss.backward(` with its arguments on the next line is still labelled "loss"."""
    source = (
        "import torch\nw = torch.ones(2, requires_grad=True)\nloss = (w * 2).sum()\n"
        "loss.backward(\n    retain_graph=True)\n"
    )
    run = engine.run(source, numeric=False)
    assert [p.output for p in run.passes] == ["loss"]


def test_undefined_name_in_math_style_is_a_name_error(cpython):
    """A free name with no input: NameError on its line, as CPython says, and it is listed."""
    run = engine.run(ERRORS["undefined_in_math_style"], numeric=False)
    assert run.undeclared == ("w", "x", "b")
    assert error_of(run) == cpython["math_style_undefined"]["error"]


def test_columns_count_characters_after_a_middle_dot():
    """Error columns are characters, not UTF-8 bytes, on a line with `·` and an accent."""
    source = "w = param([1.0])\ns = 'é'; y = w·w + nope\n"
    run = engine.run(source, numeric=False)
    line = source.splitlines()[1]
    assert error_of(run) == ["NameError", "name 'nope' is not defined", 2, line.index("nope") + 1]


def test_syntax_error_column_counts_characters_after_a_middle_dot():
    """A SyntaxError after `·` on the line: the column of the bad token, in characters."""
    source = "w = param([1.0])\ny = w·w +* 2\n"
    run = engine.run(source, numeric=False)
    line = source.splitlines()[1]
    assert error_of(run) == ["SyntaxError", "invalid syntax", 2, line.index("*") + 1]


def test_print_limit_names_the_line():
    """Printing past the limit stops the run with LimitExceeded on the print line."""
    source = "for i in range(100):\n    print('x' * 50)\n"
    run = engine.run(source, Limits(print_chars=1000), numeric=False)
    column = source.splitlines()[1].index("print") + 1
    assert error_of(run) == [
        "LimitExceeded",
        "printed output is over the limit of 1,000 characters",
        2,
        column,
    ]
    assert run.stdout == (("x" * 50 + "\n") * 20)[:1000]


def test_print_limit_holds_when_the_program_catches_it():
    """A bare `except:` around the print does not let the program print past the limit."""
    source = "for i in range(100):\n    try:\n        print('x' * 50)\n    except:\n        pass\n"
    run = engine.run(source, Limits(print_chars=1000), numeric=False)
    assert (run.error.type, run.error.message) == (
        "LimitExceeded",
        "printed output is over the limit of 1,000 characters",
    )
    assert len(run.stdout) == 1000


def test_program_size_limit():
    """A program longer than the limit is refused before it runs, saying both sizes."""
    source = "x = 1\n" * 2000
    run = engine.run(source, Limits(program_chars=10_000))
    assert error_of(run) == [
        "LimitExceeded",
        f"program of {len(source):,} characters is over the limit of 10,000",
        None,
        None,
    ]


def test_input_gives_a_clear_eof_error():
    """input() has no keyboard: a one-line EOFError that says what to do, on its line."""
    source = "import torch\nname = input('your name: ')\n"
    run = engine.run(source, numeric=False)
    assert error_of(run) == [
        "EOFError",
        "input() has no keyboard here: write the value into the program",
        2,
        source.splitlines()[1].index("input") + 1,
    ]


def test_exit_with_a_status_is_an_error_and_exit_zero_is_not():
    """sys.exit(3) ends the run with an error naming the status; sys.exit(0) ends it cleanly."""
    failed = engine.run("import sys\nsys.exit(3)\nprint('never')\n", numeric=False)
    assert error_of(failed) == ["SystemExit", "the program exited with status 3", 2, 1]
    clean = engine.run("import sys\nprint('done')\nsys.exit(0)\nprint('never')\n")
    assert clean.ok and clean.stdout == "done\n"


def test_sys_stdout_is_a_text_stream_like_cpythons():
    """Programs may read sys.stdout.encoding, as with a real text stream."""
    run = engine.run("import sys\nprint(sys.stdout.encoding)\n", numeric=False)
    assert run.error is None, run.error
    assert run.stdout == "utf-8\n"


# ----- backward passes and their labels ---------------------------------------------------


def test_sum_backward_pass_is_labelled_with_its_receiver():
    """`y.sum().backward()` gives one pass labelled "y.sum()"."""
    run = engine.run(CELLS[0][0] + CELLS[2][0], numeric=False)
    assert [p.output for p in run.passes] == ["y.sum()"]
    assert [i.output for i in run.history] == ["y.sum()"]


def test_autograd_backward_pass_is_labelled_with_its_argument():
    """`torch.autograd.backward(loss)` gives one pass labelled "loss"."""
    source = (
        "import torch\nw = torch.ones(2, requires_grad=True)\nloss = (w * 2).sum()\n"
        "torch.autograd.backward(loss)\n"
    )
    run = engine.run(source, numeric=False)
    assert [p.output for p in run.passes] == ["loss"]
    assert run.tensors["w"].grad == [2.0, 2.0]


def test_backward_inside_a_training_loop_function(cpython):
    """A backward in a function called in a loop: one pass and one history entry per call,
    labelled with the function's own name, with the losses CPython printed."""
    run = engine.run(TRAINING_LOOP, numeric=False)
    assert run.error is None and cpython["training_loop"]["error"] is None, run.error
    assert run.stdout == cpython["training_loop"]["stdout"]
    assert [p.output for p in run.passes] == ["loss"] * 4
    assert [i.number for i in run.history] == [1, 2, 3, 4]
    assert [i.value for i in run.history] == json.loads(run.stdout)
    assert_same_tensors(run, cpython["training_loop"]["tensors"])


def test_history_records_the_leaves_before_each_step(cpython):
    """Each history entry holds w as it was when that backward ran."""
    run = engine.run(TRAINING_LOOP, numeric=False)
    first = dict(run.history[0].leaves)["w"]
    assert list(first) == [0.5, -1.0]
    assert dict(run.history[-1].leaves)["w"] != first


def test_backward_goes_through_the_given_function_with_its_label():
    """execute(backward=...) gets every backward call, with the receiver's text as label."""
    calls = []

    def backward(tensor, gradient, retain_graph, create_graph, *, label, names, inputs):
        named = sorted(n for n in scope(names) if not n.startswith("__"))
        calls.append((label, gradient, retain_graph, create_graph, named))
        torch.autograd.backward(tensor, gradient, retain_graph, create_graph, inputs=inputs)

    source = (
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x * 3\n"
        "y.sum().backward(retain_graph=True)\n"
    )
    done = execute(source, backward=backward)
    assert done.error is None, done.error
    assert calls == [("y.sum()", None, True, False, ["torch", "x", "y"])]
    assert done.namespace["x"].grad.tolist() == [3.0, 3.0]
    assert done.backward_called


def test_backward_in_a_function_sees_the_functions_locals():
    """names= holds the locals of the program's frames, then its globals."""
    seen = []

    def backward(tensor, gradient, retain_graph, create_graph, *, label, names, inputs):
        seen.append((label, {"loss", "w", "step"} <= set(scope(names))))
        torch.autograd.backward(tensor, gradient, retain_graph, create_graph)

    done = execute(TRAINING_LOOP, backward=backward)
    assert done.error is None, done.error
    assert seen == [("loss", True)] * 4


def test_backward_error_from_the_given_function_gets_the_users_line():
    """A torch error raised through the hook is reported on the program's line, with the hint."""

    def backward(tensor, gradient, retain_graph, create_graph, *, label, names, inputs):
        torch.autograd.backward(tensor, gradient, retain_graph, create_graph)

    done = execute("y = param([1.0, 2.0]) * 2\n\ny.backward()\n", backward=backward)
    assert (done.error.type, done.error.line, done.error.column) == ("RuntimeError", 3, 1)
    assert done.error.message.endswith("(y is a vector: call y.sum().backward(), as in the lesson)")


# ----- names ----------------------------------------------------------------------------


def test_module_parameters_are_named_by_their_path(cpython):
    """An nn.Module subclass's parameters are model.fc1.weight, ..., in tensors and the graph."""
    run = engine.run(PYTHON_PROGRAMS["nn_module_subclass"], numeric=False)
    want = {n for n in cpython["nn_module_subclass"]["tensors"] if n.startswith("model.")}
    assert want == {"model.fc1.weight", "model.fc1.bias", "model.fc2.weight", "model.fc2.bias"}
    assert {n for n in run.tensors if n.startswith("model.")} == want
    leaves = {n.name for n in run.passes[0].graph.nodes if n.kind == "leaf"}
    assert leaves == want


def test_plain_object_attributes_are_named_like_self_w(cpython):
    """A plain class instance's tensors are neuron.w and neuron.b, in tensors and the graph."""
    run = engine.run(PYTHON_PROGRAMS["plain_class_neuron"], numeric=False)
    assert {"neuron.w", "neuron.b"} <= set(cpython["plain_class_neuron"]["tensors"])
    assert {"neuron.w", "neuron.b"} <= set(run.tensors)
    leaves = {n.name for n in run.passes[0].graph.nodes if n.kind == "leaf"}
    assert leaves == {"neuron.w", "neuron.b"}


def test_tensor_made_in_a_function_is_named_by_the_variable_it_is_returned_to(cpython):
    """`a = make(3)`: the leaf created as `weights` inside make is `a` in tensors and graph."""
    run = engine.run(MADE_IN_A_FUNCTION, numeric=False)
    assert "weights" not in run.tensors
    assert run.tensors["a"].grad == cpython["made_in_a_function"]["tensors"]["a"]["grad"]
    leaves = [n.name for n in run.passes[0].graph.nodes if n.kind == "leaf"]
    assert leaves == ["a"]


def test_list_items_are_named_by_index(cpython):
    """Tensors in a list are parts[0], parts[1], with CPython's values."""
    run = engine.run(PYTHON_PROGRAMS["generators_and_closures"], numeric=False)
    want = cpython["generators_and_closures"]["tensors"]
    assert {"parts[0]", "parts[1]"} <= set(want)
    assert [run.tensors[n].value for n in ("parts[0]", "parts[1]")] == [
        want["parts[0]"]["value"],
        want["parts[1]"]["value"],
    ]


# ----- inputs and free names ------------------------------------------------------------


def test_inputs_fill_the_free_names_of_a_math_style_program():
    """Values from the variables table become the free names, as float32 tensors."""
    run = engine.run("y = (w * x).sum()\n", inputs={"w": 2.0, "x": [3.0, 4.0]}, numeric=False)
    assert run.error is None, run.error
    assert run.undeclared == ("w", "x")
    assert run.tensors["x"].value == [3.0, 4.0] and run.tensors["x"].dtype == "torch.float32"
    assert run.tensors["y"].value == (torch.tensor(2.0) * torch.tensor([3.0, 4.0])).sum().item()


def test_inputs_do_not_reach_a_name_the_program_assigns():
    """An input named like an assigned variable is ignored: the program's own value wins."""
    run = engine.run("a = param(2.0)\ny = a * b\n", inputs={"a": 5.0, "b": 3.0}, numeric=False)
    assert run.undeclared == ("b",)
    assert run.tensors["a"].value == 2.0 and run.tensors["y"].value == 6.0


def test_inputs_do_not_reach_a_pytorch_style_program(cpython):
    """With `import torch` there are no free names: an input is not used, NameError as CPython."""
    source = ERRORS["name_error"]
    run = engine.run(source, inputs={"undefined_thing": 2.0}, numeric=False)
    assert run.undeclared == ()
    assert error_of(run) == cpython["name_error"]["error"]


def test_inputs_in_a_trusted_run_are_the_callers_own_tensors():
    """trusted=True: an input tensor is used as it is, so the program's backward fills its .grad."""
    w = torch.tensor([1.0, 2.0], requires_grad=True)
    run = engine.run("y = (w * x).sum()\ny.backward()\n", inputs={"w": w, "x": [3.0, 4.0]},
                     trusted=True, numeric=False)  # fmt: skip
    assert run.error is None, run.error
    assert w.grad.tolist() == [3.0, 4.0] == run.tensors["w"].grad


def test_math_style_flag():
    """math_style is True exactly when the program imports torch nowhere."""
    assert execute("x = 1\n").math_style
    assert execute("def f():\n    import numpy\nx = 1\n").math_style
    assert not execute("import torch.nn as nn\n").math_style
    assert not execute("from torch import nn\n").math_style
    assert not execute("def f():\n    import torch\n").math_style


def test_python_values_stay_python_values_in_pytorch_style():
    """With `import torch`, `c = 2` stays an int and `xs = [1.0]` a list."""
    done = execute("import torch\nc = 2\nxs = [1.0]\n")
    assert done.namespace["c"] == 2 and done.namespace["xs"] == [1.0]


def test_math_literals_become_float32_constants():
    """Without `import torch`, number and list literals assigned to names are float32 tensors."""
    done = execute("x = [1, 2]\nc = -2\n")
    assert done.namespace["x"].dtype == torch.float32
    assert done.namespace["c"].tolist() == -2.0 and not done.namespace["c"].requires_grad


def test_param_makes_float32_leaves():
    """param() takes a number, a list or a tensor, and returns a float32 leaf."""
    done = execute("a = param(1)\nb = param([1, 2])\nc = param(b * 2)\n")
    for name in "abc":
        tensor = done.namespace[name]
        assert tensor.is_leaf and tensor.requires_grad and tensor.dtype == torch.float32


def test_math_style_sum_max_min_reduce_tensors_and_stay_python_on_lists():
    """sum/max/min reduce a tensor the torch way, and still work on plain Python values."""
    done = execute("v = [1.0, -2.0, 3.0]\na = sum(v)\nb = max(v)\nc = min(v)\nd = sum(range(4))\n")
    v = torch.tensor([1.0, -2.0, 3.0])
    assert [done.namespace[n].item() for n in "abc"] == [v.sum().item(), v.max().item(),
                                                         v.min().item()]  # fmt: skip
    assert done.namespace["d"] == sum(range(4))


def test_middle_dot_inside_strings_is_left_alone():
    """`·` is matmul in code, but stays a character in strings and comments."""
    run = engine.run('w = param([1.0])\nx = [2.0]\nprint("w·x =", w·x)  # w·x\n', numeric=False)
    w = torch.tensor([1.0], requires_grad=True)
    assert run.stdout == f"w·x = {w @ torch.tensor([2.0])!s}\n"


def test_no_backward_call_leaves_backward_called_false():
    """A program that never calls backward says so, and names its last tensor that autograd
    tracks (the graph worth showing), not a constant assigned after it."""
    done = execute("w = param([1.0, 2.0])\ny = w * 2\nn = 3.5\n")
    assert not done.backward_called
    assert done.last_tensor_name == "y"
    constants = execute("import torch\na = torch.ones(1)\nb = torch.zeros(1)\n")
    assert constants.last_tensor_name == "b"  # none tracked: the last tensor


def test_last_tensor_name_skips_names_no_longer_holding_tensors():
    """The last assigned name that still holds a tensor."""
    done = execute("import torch\na = torch.ones(1)\nb = torch.ones(1)\nb = 3\n")
    assert done.last_tensor_name == "a"


def test_namespace_is_read_only():
    """The namespace handed back cannot be changed by the caller."""
    done = execute("a = 1\n")
    with pytest.raises(TypeError):
        done.namespace["a"] = 2  # type: ignore[index]


# ----- the explorer's own pass ----------------------------------------------------------


def test_exclusion_demo_prints_what_cpython_prints(cpython):
    """The "Exclusion from the DAG" demo, with print(z.grad) added: CPython's output (None)."""
    run = engine.run(EXCLUSION + "print(z.grad)\n", numeric=False)
    assert run.error is None, run.error
    assert run.stdout == cpython["exclusion"]["stdout"]
    assert run.stdout.endswith("None\n")


def test_exclusion_demo_leaves_grad_none_and_records_the_pass_grad(cpython):
    """No backward: z.grad stays None as in Python; pass_grad is what b.sum().backward() gives."""
    run = engine.run(EXCLUSION, numeric=False)
    want = cpython["exclusion_with_backward"]["tensors"]["z"]["grad"]
    assert run.tensors["z"].grad is None
    assert run.tensors["z"].pass_grad == want == run.tensors["z"].effective_grad
    assert [p.output for p in run.passes] == ["b.sum()"]
    assert (
        "b is not a scalar, so the explorer's backward pass ran on b.sum() (as in the lesson); "
        "the program's own .grad values are unchanged"
    ) in run.notes


def test_explorer_pass_leaves_the_programs_grads_in_a_trusted_run():
    """trusted=True: after the explorer's own pass, every .grad is as the program left it."""
    namespace = {"__name__": "__main__"}
    from engine.run import run_here

    run = run_here("x = param([2.0, 3.0])\ny = x * x\n", Limits(), namespace=namespace)
    assert run.ok and run.tensors["x"].pass_grad == [4.0, 6.0]
    assert namespace["x"].grad is None


def test_history_of_a_program_without_backward_is_the_explorers_pass():
    """No backward call: the history holds the explorer's own pass only, labelled b.sum()."""
    run = engine.run(EXCLUSION, numeric=False)
    assert [(i.number, i.output) for i in run.history] == [(1, "b.sum()")]


# ----- torch features -------------------------------------------------------------------


def test_cuda_is_unavailable_and_cpu_moves_work(cpython):
    """torch.cuda.is_available() is False, and .to("cpu") / .to(device) keep the tensor usable."""
    run = engine.run(PYTHON_PROGRAMS["device_cpu"], numeric=False)
    assert run.error is None, run.error
    assert run.stdout.split()[:3] == ["False", "cpu", "cpu"]
    assert run.tensors["x"].grad == cpython["device_cpu"]["tensors"]["x"]["grad"]


def test_no_grad_decorator_turns_tracking_off_inside_only():
    """@torch.no_grad(): the result needs no grad, and grad mode is back on afterwards."""
    run = engine.run(PYTHON_PROGRAMS["no_grad_decorator"], numeric=False)
    assert run.tensors["out"].requires_grad is False
    assert run.stdout.rstrip().endswith("False True")


def test_autograd_function_subclass_runs_its_own_backward(cpython):
    """An autograd.Function using ctx.save_for_backward: its node in the graph, CPython's grad."""
    run = engine.run(PYTHON_PROGRAMS["autograd_function"], numeric=False)
    assert "CubeBackward" in {n.op for n in run.passes[0].graph.nodes}
    assert run.tensors["x"].grad == cpython["autograd_function"]["tensors"]["x"]["grad"]


def test_warnings_are_collected_as_notes_not_printed():
    """A torch warning (.grad of a non-leaf) is a note; stdout has only what print wrote."""
    source = "import torch\nx = torch.ones(1, requires_grad=True)\ny = x * 2\nprint(y.grad)\n"
    run = engine.run(source, numeric=False)
    assert run.stdout == "None\n"
    assert any(n.startswith("warning: ") and "not a leaf" in n for n in run.notes)


# ----- trusted runs keep the caller's state -----------------------------------------------


def test_trusted_run_restores_the_callers_random_state():
    """A trusted run does not change this process's torch random generator."""
    state = torch.get_rng_state()
    engine.run("import torch\ntorch.manual_seed(5)\nr = torch.randn(3)\n", trusted=True)
    assert torch.equal(state, torch.get_rng_state())


def test_trusted_run_restores_grad_mode_and_default_dtype():
    """A program that turns grad off and changes the default dtype leaves neither changed."""
    source = "import torch\ntorch.set_grad_enabled(False)\ntorch.set_default_dtype(torch.float64)\n"
    run = engine.run(source, trusted=True)
    assert run.ok, run.error
    assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32


def test_trusted_run_restores_tensor_backward():
    """After a trusted run, Tensor.backward and torch.autograd.backward are torch's own again."""
    before = (torch.Tensor.backward, torch.autograd.backward)
    engine.run("import torch\nx = torch.ones(1, requires_grad=True)\n(x * 2).sum().backward()\n",
               trusted=True)  # fmt: skip
    assert (torch.Tensor.backward, torch.autograd.backward) == before


def test_trusted_run_matches_the_worker_run():
    """The same program gives the same stdout, values and grads in-process and in a worker."""
    source = PYTHON_PROGRAMS["nn_module_subclass"]
    here, there = engine.run(source, trusted=True), engine.run(source)
    assert here.stdout == there.stdout
    assert here.tensors == there.tensors
