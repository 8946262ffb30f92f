"""The promise: a cell of real PyTorch teaching code runs in the engine exactly as in CPython.

Every program in tests/data/lessons/ is run twice: by plain CPython in a fresh process
(tests/lesson_reference.py: the reference), and by `engine.run(source)`. The engine must
print the same text and end with the same named tensors: same shapes, flags, values, grads,
bit for bit. The corpus-level tests keep the corpus honest about what it covers.
"""

from __future__ import annotations

import ast
import contextlib
import difflib
import math
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from lesson_reference import ReferenceRunError, reference

LESSONS_DIR = Path(__file__).resolve().parent / "data" / "lessons"
LESSONS = sorted(LESSONS_DIR.glob("*.py"))
LESSON_SEED = Path(__file__).resolve().parent / "data" / "autograd-lesson.txt"
BUDGET = 1.5  # seconds of CPU a corpus program may take in plain CPython

# What the reference lesson prints, as its notebook shows it (tests/data/autograd-lesson.txt).
LESSON_OUTPUT = """\
x: tensor([2., 3.], requires_grad=True)
y: tensor([10., 18.], grad_fn=<AddBackward0>)
dy/dx: tensor([7., 9.])
No grad tensor z: tensor([4., 6.])
Detached z: tensor([2., 3.])
Output y: tensor(2.4000, grad_fn=<AddBackward0>)
Gradient of w: tensor([1., 2., 3.])
Gradient of b: tensor(1.)
"""


# --------------------------------------------------------------------------- references


@pytest.fixture(scope="session")
def references(request) -> dict[str, dict | BaseException]:
    """CPython's report for every lesson this session will test, by file name.

    Computed once, two subprocesses at a time (each one imports torch). Only the lessons
    the session collected are run, so `-k 07_` costs one subprocess, not the corpus.
    A reference that could not be computed is stored as its exception, for that test alone.
    """
    wanted = {
        item.callspec.params["lesson"]
        for item in request.session.items
        if getattr(item, "callspec", None) is not None and "lesson" in item.callspec.params
    }
    paths = [p for p in LESSONS if p in wanted] or LESSONS

    def one(path: Path) -> dict | BaseException:
        for attempt in (1, 2):  # a loaded machine can push one import of torch past 60 s
            try:
                return reference(path)
            except ReferenceRunError as exc:
                if attempt == 2 or "longer than" not in str(exc):
                    return exc
            except Exception as exc:  # noqa: BLE001 - reported by the lesson's own test
                return exc
        raise AssertionError("unreachable")

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip((p.name for p in paths), pool.map(one, paths), strict=True))
    elapsed = time.perf_counter() - start
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None:
        quiet = capture.global_and_fixture_disabled() if capture else contextlib.nullcontext()
        with quiet:
            reporter.write_line(f"\nCPython references: {len(paths)} programs in {elapsed:.1f} s")
    return results


def _reference_for(references: dict, lesson: Path) -> dict:
    ref = references.get(lesson.name)
    if ref is None:  # collected in a way the fixture did not foresee: compute it now
        ref = references[lesson.name] = reference(lesson)
    if isinstance(ref, BaseException):
        pytest.fail(f"{lesson.name}: no CPython reference: {ref}")
    if ref["error"] is not None:
        pytest.fail(
            f"{lesson.name}: the corpus program itself fails in plain CPython "
            f"({ref['error']}); fix the program\n{ref['traceback']}"
        )
    return ref


# --------------------------------------------------------------------------- comparison


def normalise(value):
    """Nested tuples and lists both become lists; everything else is left as it is."""
    if isinstance(value, tuple | list):
        return [normalise(v) for v in value]
    return value


def _same_number(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is not list and type(b) is not list and a == b


def first_difference(engine_value, cpython_value, where: str = "") -> str | None:
    """None if equal (exactly; nan equals nan), else where and how they first differ."""
    a, b = normalise(engine_value), normalise(cpython_value)
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where or 'top level'}: engine has {len(a)} items, CPython {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            found = first_difference(x, y, f"{where}[{i}]")
            if found is not None:
                return found
        return None
    if isinstance(a, list) or isinstance(b, list) or not _same_number(a, b):
        return f"{where or 'value'}: engine {a!r} != CPython {b!r}"
    return None


def _flatten(value) -> list:
    if isinstance(value, list | tuple):
        return [x for v in value for x in _flatten(v)]
    return [value]


def summary_of(value) -> dict[str, float]:
    """min, max and mean of a reference value (a nested list or a number), as the engine
    gives them: in float64, and nan for a statistic that is not finite."""
    flat = [float(v) for v in _flatten(value)]
    if not flat:
        return {}
    if not all(math.isfinite(v) for v in flat):  # the engine reports a non-finite stat as nan
        nan = math.nan
        finite_min_max = not any(math.isnan(v) for v in flat)
        return {
            "min": min(flat) if finite_min_max and math.isfinite(min(flat)) else nan,
            "max": max(flat) if finite_min_max and math.isfinite(max(flat)) else nan,
            "mean": nan,
        }
    return {"min": min(flat), "max": max(flat), "mean": math.fsum(flat) / len(flat)}


def _summary_field(summary, key):
    return summary[key] if isinstance(summary, dict) else getattr(summary, key)


def summary_difference(summary, cpython_value) -> str | None:
    """Compare an engine summary (of a value too big to report) with CPython's value.

    min and max are elements of the tensor, so they must match exactly. The mean is
    computed here in exact arithmetic, and by the engine perhaps in float32, so it is
    compared to a few float32 ulps of the tensor's scale.
    """
    expected = summary_of(cpython_value)
    problems = []
    for key, want in expected.items():
        try:
            got = float(_summary_field(summary, key))
        except (KeyError, AttributeError, TypeError, ValueError):
            problems.append(f"summary has no usable {key!r} ({summary!r})")
            continue
        if math.isnan(want) and math.isnan(got):
            continue
        if key == "mean":
            scale = max(abs(expected["min"]), abs(expected["max"]), 1e-30)
            ok = math.isclose(got, want, rel_tol=1e-5, abs_tol=1e-6 * scale)
        else:
            ok = got == want
        if not ok:
            problems.append(f"summary {key}: engine {got!r} != CPython {want!r}")
    return "; ".join(problems) or None


def _part_differences(name, part, got, want, summary_name) -> list[str]:
    """`.value` or `.grad` of one tensor; a part left out as too big is judged by its summary."""
    mine, theirs = getattr(got, part), want[part]
    if mine is None and theirs is not None:
        summary = getattr(got, summary_name, None)
        if summary is None:
            what = "left out, with no summary to compare instead" if part == "value" else "None"
            return [f"{name}.{part}: engine {what}; CPython has one"]
        found = summary_difference(summary, theirs)
        return (
            [f"{name}.{part} (too big to report, so its {summary_name}): {found}"] if found else []
        )
    if mine is not None and theirs is None:
        return [f"{name}.{part}: engine has one, CPython's is None"]
    if mine is None:
        return []
    found = first_difference(mine, theirs, f"{name}.{part}")
    return [found] if found else []


def tensor_differences(run_tensors, ref_tensors) -> list[str]:
    """Every way the engine's named tensors differ from CPython's, one line each."""
    problems: list[str] = []
    for name, want in ref_tensors.items():
        if name not in run_tensors:
            problems.append(f"{name}: missing from run.tensors")
            continue
        got = run_tensors[name]
        shape = normalise(list(got.shape)) if got.shape is not None else None
        if shape != want["shape"]:
            problems.append(f"{name}.shape: engine {shape} != CPython {want['shape']}")
        for flag in ("requires_grad", "is_leaf"):
            if getattr(got, flag) != want[flag]:
                problems.append(
                    f"{name}.{flag}: engine {getattr(got, flag)} != CPython {want[flag]}"
                )
        for part, summary_name in (("value", "summary"), ("grad", "grad_summary")):
            problems.extend(_part_differences(name, part, got, want, summary_name))
    return problems


def _stdout_diff(engine_out: str, cpython_out: str, limit: int = 40) -> str:
    diff = difflib.unified_diff(
        cpython_out.splitlines(keepends=True),
        engine_out.splitlines(keepends=True),
        fromfile="CPython",
        tofile="engine",
    )
    lines = list(diff)
    more = f"\n... {len(lines) - limit} more diff lines" if len(lines) > limit else ""
    return "".join(lines[:limit]) + more


# --------------------------------------------------------------------------- the promise


@pytest.mark.parametrize("lesson", LESSONS, ids=[p.name for p in LESSONS])
def test_lesson_runs_as_in_cpython(lesson: Path, references):
    ref = _reference_for(references, lesson)
    source = lesson.read_text(encoding="utf-8")

    import engine

    run = engine.run(source)

    assert run.ok and run.error is None, f"{lesson.name}: the engine failed: {run.error!r}"
    assert run.stdout == ref["stdout"], (
        f"{lesson.name}: printed text differs from CPython's\n"
        + _stdout_diff(run.stdout, ref["stdout"])
    )
    problems = tensor_differences(run.tensors, ref["tensors"])
    assert not problems, (
        f"{lesson.name}: {len(problems)} difference(s) from CPython in the named tensors:\n  "
        + "\n  ".join(problems[:30])
    )


# --------------------------------------------------------------------------- the corpus


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


PYTHON_NODES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda, ast.While)


def uses_python(path: Path) -> bool:
    """def, class, lambda or while: what the old allow-list interpreter refused."""
    return any(isinstance(node, PYTHON_NODES) for node in ast.walk(_tree(path)))


def _int_constants(tree: ast.Module) -> dict[str, int]:
    """Module-level `NAME = <int literal>` bindings, e.g. num_epochs = 300."""
    found = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Constant)
            and type(node.value.value) is int
        ):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    found[target.id] = node.value.value
    return found


def longest_range(path: Path) -> int:
    """The largest N of any `for ... in range(...)` whose stop is a literal or a constant."""
    tree = _tree(path)
    constants = _int_constants(tree)
    best = 0
    for node in ast.walk(tree):
        if not (
            isinstance(node, ast.For)
            and isinstance(node.iter, ast.Call)
            and isinstance(node.iter.func, ast.Name)
            and node.iter.func.id == "range"
            and node.iter.args
        ):
            continue
        args = node.iter.args
        stop = args[0] if len(args) == 1 else args[1]
        start = args[0] if len(args) > 1 else ast.Constant(0)

        def value(n):
            if isinstance(n, ast.Constant) and type(n.value) is int:
                return n.value
            if isinstance(n, ast.Name):
                return constants.get(n.id)
            return None

        lo, hi = value(start), value(stop)
        if lo is not None and hi is not None:
            best = max(best, hi - lo)
    return best


def has_while(path: Path) -> bool:
    return any(isinstance(node, ast.While) for node in ast.walk(_tree(path)))


def test_corpus_size_and_names():
    names = [p.name for p in LESSONS]
    assert len(names) >= 62, f"only {len(names)} lesson programs; the corpus needs at least 62"
    bad = [n for n in names if not re.fullmatch(r"\d\d_[a-z0-9_]+\.py", n)]
    assert not bad, f"lesson files must be named NN_short_name.py: {bad}"
    numbers = [n[:2] for n in names]
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    assert not dupes, f"lesson numbers used twice: {dupes}"
    assert "01_reference_lesson.py" in names


def test_corpus_files_say_what_they_teach():
    missing = []
    for path in LESSONS:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        if not (first.startswith("# ") and len(first) > 30):
            missing.append(path.name)
    assert not missing, f"first line must be a comment saying what it teaches: {missing}"


def test_corpus_uses_real_python():
    using = [p.name for p in LESSONS if uses_python(p)]
    assert len(using) >= 24, (
        f"only {len(using)} programs use def/class/lambda/while (need 24): {using}"
    )


def test_corpus_has_long_training_loops():
    long_loops = [p.name for p in LESSONS if longest_range(p) >= 200 or has_while(p)]
    assert len(long_loops) >= 6, (
        f"only {len(long_loops)} programs loop 200+ times or use while (need 6): {long_loops}"
    )


ALLOWED_IMPORTS = {"torch", "math", "random", "numpy"}
FORBIDDEN_IMPORTS = {
    "os", "sys", "subprocess", "socket", "threading", "multiprocessing", "concurrent",
    "asyncio", "shutil", "pathlib", "io", "tempfile", "urllib", "http", "ctypes", "signal",
    "time", "datetime",
}  # fmt: skip
FORBIDDEN_CALLS = {"open", "input", "exec", "eval", "compile", "__import__", "breakpoint"}


def test_corpus_is_self_contained():
    """Only torch, math, random, numpy and quiet stdlib; no files, input, clocks or threads."""
    problems = []
    for path in LESSONS:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Import):
                roots = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                roots = [(node.module or "").split(".")[0]]
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in FORBIDDEN_CALLS
            ):
                problems.append(f"{path.name}:{node.lineno}: calls {node.func.id}()")
                continue
            else:
                continue
            for root in roots:
                if root in FORBIDDEN_IMPORTS or (
                    root not in ALLOWED_IMPORTS and root not in sys.stdlib_module_names
                ):
                    problems.append(f"{path.name}:{node.lineno}: imports {root}")
    assert not problems, "\n".join(problems)


def test_corpus_runs_cleanly_and_fast_in_cpython(references):
    """Each program runs without error in plain CPython, within the CPU budget.

    CPU time, not wall time, so a loaded machine does not fail it; less the first-time
    imports of torch's lazy parts, which a warm worker has already paid for.
    """
    problems = []
    for path in LESSONS:
        ref = references.get(path.name)
        if ref is None:
            continue  # not collected in this session
        if isinstance(ref, BaseException):
            problems.append(f"{path.name}: no reference: {ref}")
        elif ref["error"] is not None:
            problems.append(f"{path.name}: {ref['error']}")
        elif ref["program_cpu_seconds"] > BUDGET:
            problems.append(
                f"{path.name}: {ref['program_cpu_seconds']:.2f} s of CPU (budget {BUDGET} s)"
            )
        elif not ref["stdout"].strip():
            problems.append(f"{path.name}: prints nothing")
    assert not problems, "\n".join(problems)


def test_reference_lesson_prints_what_the_lesson_shows(references):
    ref = _reference_for(references, LESSONS_DIR / "01_reference_lesson.py")
    assert ref["stdout"] == LESSON_OUTPUT, _stdout_diff(ref["stdout"], LESSON_OUTPUT)
    seed = LESSON_SEED.read_text(encoding="utf-8")
    for line in LESSON_OUTPUT.splitlines():
        assert line in seed, f"expected output line not in the lesson itself: {line!r}"
