"""What plain CPython does with a lesson program: the reference the engine must reproduce.

`reference(path)` runs the program in a FRESH interpreter (`sys.executable`), set up the way
the engine's worker is set up (torch's CPU generator seeded with 0, one intra-op thread),
and returns:

    {"stdout": exact text the program printed,
     "tensors": {name: {"value", "grad", "shape", "requires_grad", "is_leaf", "dtype"}},
     "seconds": the program's own time: wall time of the exec, less the first-time imports
                it triggered (torch imports parts lazily on first use, see DRIVER),
     "program_cpu_seconds": the same in CPU time (what a loaded machine does not inflate),
     "wall_seconds", "cpu_seconds", "import_seconds", "import_cpu_seconds": the parts,
     "error": None, or "Type: message" if the program raised (with "traceback")}

Named tensors are the ones the engine reports: every global holding a torch.Tensor, and for
every global nn.Module its named_parameters() as "model.fc1.weight". The JSON comes back
through a temp file, never through the program's stdout.

Run as a script to print one line per program: `python tests/lesson_reference.py FILE...`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

TIMEOUT = 60.0  # seconds, per program, including the import of torch

# The driver runs in the child. The program gets a fresh namespace of its own and only its
# own output is captured; the one thing of the driver's it runs under is the import timer
# below, which changes no result.
DRIVER = r"""
import contextlib, importlib._bootstrap as bootstrap, io, json, sys, time, traceback

import torch

# Torch imports some machinery lazily on first use: torch._dynamo (about 1.2 s, on the
# first optimizer built) and sympy via fx.symbolic_shapes (0.5 s, on the first backward
# given gradient=). A worker that has run a program before has paid for that already, so
# the program's own time leaves it out. Every first-time import, by an import statement
# or importlib.import_module, goes through bootstrap._find_and_load: time the outermost.
imports = {"wall": 0.0, "cpu": 0.0, "depth": 0}
find_and_load = bootstrap._find_and_load


def timed_find_and_load(name, import_):
    if imports["depth"]:
        return find_and_load(name, import_)
    imports["depth"] = 1
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        return find_and_load(name, import_)
    finally:
        imports["wall"] += time.perf_counter() - wall
        imports["cpu"] += time.process_time() - cpu
        imports["depth"] = 0


path, out_path = sys.argv[1], sys.argv[2]
torch.default_generator.manual_seed(0)  # the engine seeds torch with 0 before every run
torch.set_num_threads(1)                # the engine's worker runs one intra-op thread

with open(path, encoding="utf-8") as f:
    source = f.read()
code = compile(source, "<program>", "exec")
namespace = {"__name__": "__main__"}
buffer = io.StringIO()
error = tb = None
bootstrap._find_and_load = timed_find_and_load
start, cpu_start = time.perf_counter(), time.process_time()
try:
    with contextlib.redirect_stdout(buffer):
        exec(code, namespace)
except BaseException as exc:  # the report says what went wrong; the driver still answers
    error = f"{type(exc).__name__}: {exc}"
    tb = traceback.format_exc()
wall, cpu = time.perf_counter() - start, time.process_time() - cpu_start
bootstrap._find_and_load = find_and_load

named = {}
for name, value in list(namespace.items()):
    if isinstance(value, torch.Tensor):
        named[name] = value
    elif isinstance(value, torch.nn.Module):
        for pname, p in value.named_parameters():
            named[f"{name}.{pname}"] = p

tensors = {}
for name, t in named.items():
    grad = t.grad if (t.is_leaf or t.retains_grad) else None
    tensors[name] = {
        "value": t.detach().tolist(),
        "grad": grad.tolist() if grad is not None else None,
        "shape": list(t.shape),
        "requires_grad": bool(t.requires_grad),
        "is_leaf": bool(t.is_leaf),
        "dtype": str(t.dtype),
    }

report = {"stdout": buffer.getvalue(), "tensors": tensors, "wall_seconds": wall,
          "cpu_seconds": cpu, "import_seconds": imports["wall"],
          "import_cpu_seconds": imports["cpu"], "error": error, "traceback": tb}
with open(out_path, "w", encoding="utf-8") as f:
    json.dump(report, f)
"""


class ReferenceRunError(RuntimeError):
    """The CPython run did not produce a report (crash, timeout)."""


def reference(path: str | os.PathLike, timeout: float = TIMEOUT) -> dict:
    """Run the program at `path` in a fresh CPython and return what it did (see module doc)."""
    path = Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="lesson-ref-") as tmp:
        out = Path(tmp) / "report.json"
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONIOENCODING="utf-8")
        try:
            proc = subprocess.run(
                [sys.executable, "-c", DRIVER, str(path), str(out)],
                cwd=tmp,  # a program that writes a file by mistake writes it here
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            message = f"{path.name}: CPython took longer than {timeout:.0f} s"
            raise ReferenceRunError(message) from exc
        if proc.returncode != 0 or not out.exists():
            raise ReferenceRunError(
                f"{path.name}: the reference driver exited with {proc.returncode}\n"
                f"{proc.stderr[-3000:]}"
            )
        report = json.loads(out.read_text(encoding="utf-8"))
    report["seconds"] = max(report["wall_seconds"] - report["import_seconds"], 0.0)
    report["program_cpu_seconds"] = max(report["cpu_seconds"] - report["import_cpu_seconds"], 0.0)
    report["stderr"] = proc.stderr
    return report


# Notebook cells: each cell's code runs in one shared namespace, as a kernel runs them; a cell
# whose last statement is an expression also gives its repr, as Jupyter's Out[] shows it.
CELLS_DRIVER = r"""
import ast, contextlib, io, json, sys

import torch

cells = json.loads(sys.stdin.read())
namespace = {"__name__": "__main__"}
results = []
for source in cells:
    tree = ast.parse(source)
    last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        exec(compile(tree, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), namespace)
    results.append({"stdout": buffer.getvalue(), "repr": repr(value) if last else None})
print(json.dumps(results))
"""


def lesson_cells(path: str | os.PathLike) -> list[str]:
    """The code cells of a lesson notebook saved as text ("In [N]:", the code, two blank lines)."""
    text = Path(path).read_text(encoding="utf-8")
    return re.findall(r"^In \[\d+\]:\n(.*?)\n\n\n", text, flags=re.S | re.M)


def cells_reference(cells: list[str], timeout: float = TIMEOUT) -> list[dict]:
    """What a fresh CPython prints for each cell run in turn ({"stdout", "repr"} per cell)."""
    proc = subprocess.run(
        [sys.executable, "-c", CELLS_DRIVER],
        input=json.dumps(cells),
        capture_output=True,
        text=True,
        timeout=timeout,
        env=dict(os.environ, PYTHONIOENCODING="utf-8"),
    )
    if proc.returncode != 0:
        raise ReferenceRunError(f"the cells driver exited with {proc.returncode}\n{proc.stderr}")
    return json.loads(proc.stdout)


def digest(report: dict) -> str:
    """A short fingerprint of everything a run reports except its time: equal means same run."""
    fields = {k: report[k] for k in ("stdout", "tensors", "error")}
    return hashlib.sha1(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:10]


def main(argv: list[str]) -> int:
    for name in argv:
        r = reference(name)
        status = "ok" if r["error"] is None else f"ERROR {r['error']}"
        print(
            f"{Path(name).name:36s} {r['seconds']:6.3f}s (cpu {r['program_cpu_seconds']:6.3f}s, "
            f"imports {r['import_seconds']:5.2f}s) {len(r['tensors']):3d} tensors "
            f"{digest(r)} {status}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
