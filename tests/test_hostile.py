"""The adversarial corpus: escapes, exhaustion and breakage, each refused cleanly.

Every program must fail with one line (naming the line and column where there is one),
no traceback, no file written, within 10 s and 2 GB, stopped by the engine's own limits.
Most run in one subprocess through engine.run (cheap); a representative subset also runs
through the real `autograd-explorer run` CLI, one process each, as a student's would.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / ".venv" / "bin" / "autograd-explorer"
SECONDS = 10.0
MAX_RSS_MB = 2048
ADDRESS_SPACE = 4 << 30  # torch maps far more virtual memory than it touches
REFUSED = ("NotAllowed",)
LIMIT = ("LimitExceeded",)
SYNTAX = ("SyntaxError",)


@dataclass(frozen=True)
class Case:
    """One hostile program, the error kinds that may stop it, and the line it must name."""

    name: str
    source: str
    kinds: tuple[str, ...]
    line: int | None = None
    says: str = ""  # a piece of the message


T = "import torch\n"
# fmt: off
CORPUS = [
    # ----- escapes: dunder walks, format strings, getattr chains -----
    Case("dunder-subclasses", "x = ().__class__.__bases__[0].__subclasses__()", REFUSED, 1),
    Case("dunder-str", 'x = "".__class__.__mro__', REFUSED, 1, "is not allowed"),
    Case("dunder-tensor-reduce", T + "t = torch.ones(1)\nr = t.__reduce_ex__(2)", REFUSED, 3),
    Case("dunder-globals", T + "g = torch.tensor.__globals__", REFUSED, 2),
    Case("dunder-builtins-name", "b = __builtins__", REFUSED, 1),
    Case("dunder-import-call", "os = __import__('os')", REFUSED, 1),
    Case("private-attr", T + "v = torch.ones(1)._version", REFUSED, 2),
    Case("fullwidth-eval", "\uff45\uff56\uff41\uff4c('1')", REFUSED, 1, "eval"),
    Case("fullwidth-underscore-attr", "x = (1).\uff3f\uff3fclass\uff3f\uff3f", SYNTAX, 1),
    Case("format-dunder", 'print("{0.__class__}".format(1))', REFUSED, 1),
    Case("format-built-at-run-time", "s = '{0.' + '__class__' + '}'\nprint(s.format(1))",
         REFUSED, 2),
    Case("format-grad-fn-walk", T + "x = torch.ones(1, requires_grad=True)\ny = x * 2\n"
         "print('{0.grad_fn.__init__.__globals__}'.format(y))", REFUSED, 4),
    Case("format-map", 'print("{x.__class__}".format_map({"x": 1}))', REFUSED, 1),
    Case("fstring-dunder", 'print(f"{(1).__class__}")', REFUSED, 1),
    Case("getattr", "f = getattr(1, '__class__')", REFUSED, 1, "getattr"),
    Case("vars-globals", "g = globals()", REFUSED, 1),
    Case("type-call", "t = type(1)", REFUSED, 1),
    Case("eval", "eval('1 + 1')", REFUSED, 1),
    Case("exec", "exec('import os')", REFUSED, 1),
    Case("compile", "c = compile('1', 'f', 'eval')", REFUSED, 1),
    Case("lambda", "f = lambda: 0", REFUSED, 1),
    Case("def", "def f():\n    return 1", REFUSED, 1),
    Case("class", "class A:\n    pass", REFUSED, 1),
    Case("grad-fn-hook", T + "x = torch.ones(1, requires_grad=True)\ny = x * 2\n"
         "h = y.grad_fn.register_prehook(print)", REFUSED, 4),
    Case("grad-fn-call", T + "x = torch.ones(1, requires_grad=True)\ny = x * 2\n"
         "z = y.grad_fn(torch.ones(1))", REFUSED, 4),
    Case("module-hook", T + "m = torch.nn.Linear(1, 1)\nm.register_forward_hook(print)",
         REFUSED, 3),
    Case("module-apply", T + "m = torch.nn.Linear(1, 1)\nm.apply(print)", REFUSED, 3),
    Case("tensor-class-call", T + "t = torch.Tensor(10**9)", REFUSED, 2),
    # ----- escapes: imports, files, processes, network, pickling, global settings -----
    Case("import-os", "import os", REFUSED, 1, "os"),
    Case("import-subprocess", "import subprocess", REFUSED, 1),
    Case("from-os-system", "from os import system", REFUSED, 1),
    Case("import-pickle", "import pickle", REFUSED, 1),
    Case("import-torch-utils", "import torch.utils.data", REFUSED, 1),
    Case("from-torch-star", "from torch import *", REFUSED, 1),
    Case("relative-import", "from . import engine", REFUSED, 1),
    Case("open-read", "text = open('/etc/passwd').read()", REFUSED, 1, "open"),
    Case("open-write", "f = open('pwned.txt', 'w')", REFUSED, 1),
    Case("with-open", "with open('pwned.txt', 'w') as f:\n    pass", REFUSED, 1),
    Case("print-to-file", "print('x', file=print)", REFUSED, 1, "file"),
    Case("torch-save", T + "torch.save(torch.ones(1), 'pwned.pt')", REFUSED, 2),
    Case("torch-load", T + "t = torch.load('/etc/passwd')", REFUSED, 2),
    Case("torch-from-file", T + "t = torch.from_file('/etc/passwd', size=10)", REFUSED, 2),
    Case("from-torch-load", "from torch import load", REFUSED, 1),
    Case("torch-hub-network", T + "m = torch.hub.load('pytorch/vision', 'resnet18')",
         REFUSED, 2),
    Case("torch-distributed", T + "torch.distributed.init_process_group('gloo')", REFUSED, 2),
    Case("torch-multiprocessing", T + "p = torch.multiprocessing.Process()", REFUSED, 2),
    Case("torch-ops-load-library", T + "torch.ops.load_library('/tmp/x.so')", REFUSED, 2),
    Case("torch-utils-cpp-extension", T + "torch.utils.cpp_extension.load_inline('x', '')",
         REFUSED, 2),
    Case("torch-jit", T + "f = torch.jit.script", REFUSED, 2),
    Case("torch-compile", T + "f = torch.compile", REFUSED, 2),
    Case("torch-c-internals", T + "s = torch._C", REFUSED, 2),
    Case("functional-back-to-torch", T + "import torch.nn.functional as F\nt = F.torch",
         REFUSED, 3),
    Case("tensor-numpy", T + "a = torch.ones(2).numpy()", REFUSED, 2),
    Case("tensor-storage", T + "s = torch.ones(2).untyped_storage()", REFUSED, 2),
    Case("cuda-device", T + "t = torch.ones(2, device='cuda')", REFUSED, 2, "CPU"),
    Case("meta-device", T + "t = torch.ones(2).to('meta')", REFUSED, 2),
    Case("set-default-dtype", T + "torch.set_default_dtype(torch.float64)", REFUSED, 2),
    Case("set-num-threads", T + "torch.set_num_threads(64)", REFUSED, 2),
    Case("set-grad-enabled-call", T + "torch.set_grad_enabled(False)", REFUSED, 2),
    Case("backends-flag", T + "torch.backends.cudnn.enabled = False", REFUSED, 2),
    Case("autograd-function", T + "f = torch.autograd.Function", REFUSED, 2),
    Case("input", "s = input()", REFUSED, 1),
    Case("breakpoint", "breakpoint()", REFUSED, 1),
    Case("exit", "exit(0)", REFUSED, 1),
    # ----- exhaustion: tensors, integers, loops, nesting, strings, lists, graphs, prints -----
    Case("huge-tensor", T + "t = torch.ones(10**5, 10**5)", LIMIT, 2, "1,000,000"),
    Case("huge-randn", T + "t = torch.randn(10**9)", LIMIT, 2),
    Case("huge-arange", T + "t = torch.arange(10**9)", LIMIT, 2),
    Case("huge-linear", T + "m = torch.nn.Linear(10**5, 10**5)", LIMIT, 2),
    Case("huge-total", T + "ts = [torch.ones(10**6) for i in range(30)]", LIMIT, 2, "total"),
    Case("huge-outer", T + "t = torch.ones(10**6, 1) @ torch.ones(1, 10**6)", LIMIT, 2),
    Case("huge-repeat", T + "t = torch.ones(1000).repeat(10**6)", LIMIT, 2),
    Case("huge-expand", T + "t = torch.ones(1).expand(10**6, 10**6)", LIMIT, 2),
    Case("huge-one-hot", T + "import torch.nn.functional as F\n"
         "h = F.one_hot(torch.arange(10**6), 10**6)", LIMIT, 3),
    Case("huge-cdist", T + "a = torch.ones(100000, 1)\nd = torch.cdist(a, a)", LIMIT, 3),
    Case("huge-index-select", T + "a = torch.ones(1000, 1000)\n"
         "i = torch.zeros(10**6, dtype=torch.long)\nb = a.index_select(0, i)",
         LIMIT, 4),
    Case("huge-fancy-index", T + "a = torch.ones(1000, 1000)\n"
         "i = torch.zeros(10**6, dtype=torch.long)\nb = a[i]", LIMIT, 4),
    Case("huge-nested-list-tensor", "a = [0.0] * 1000\nb = [a] * 1000\nc = [b] * 1000\n"
         "import torch\nt = torch.tensor(c)", LIMIT, 5),
    Case("huge-nested-list-param", "a = [0.0] * 1000\nb = [a] * 1000\nc = [b] * 1000\n"
         "w = param(c)", LIMIT, 4),
    Case("exponent-tower", "x = 2**2**2**2**2**2", LIMIT, 1, "digits"),
    Case("exponent-huge", "x = 10**10**10", LIMIT, 1),
    Case("pow-modular-huge", "a = 7**30000\nb = pow(a, a, a + 2)", LIMIT, 2),
    Case("shift-huge", "x = 1 << 10**9", LIMIT, 1),
    Case("long-loop", "for i in range(10**9):\n    pass", LIMIT, 1, "loop"),
    Case("nested-loops", "for i in range(1000):\n    for j in range(1000):\n        pass",
         LIMIT, 2),
    Case("while-true", "while True:\n    pass", REFUSED, 1, "while"),
    Case("long-comprehension", "d = {i: i for i in range(10**7)}", LIMIT, 1),
    Case("sum-huge-range", "s = sum(range(10**12))", LIMIT, 1),
    Case("list-huge-range", "s = list(range(10**9))", LIMIT, 1),
    Case("slow-matmuls", T + "a = torch.ones(1000, 1000)\nfor i in range(10000):\n"
         "    b = a @ a", LIMIT, None, "seconds"),
    Case("deep-parens", "x = " + "(" * 300 + "1" + ")" * 300, SYNTAX, 1),
    Case("deep-unary", "x = " + "-" * 19000 + "1", LIMIT + SYNTAX),
    Case("deep-binop-chain", "x = 1" + " + 1" * 4900, LIMIT),
    Case("deep-indent", "".join(" " * i + "if 1:\n" for i in range(110)) + " " * 110 + "x=1",
         SYNTAX),
    Case("deep-nested-list-print", "a = []\nfor i in range(5000):\n    a = [a]\nprint(a)",
         LIMIT, 4),
    Case("giant-string", "s = 'a' * 10**9", LIMIT, 1),
    Case("giant-list", "s = [0] * 10**9", LIMIT, 1),
    Case("string-doubling", "s = 'a'\nfor i in range(100):\n    s = s + s", LIMIT, 3),
    Case("list-doubling", "s = ['a']\nfor i in range(100):\n    s *= 2", LIMIT, 3),
    Case("replace-blowup", "s = 'x' * 10**6\nt = s.replace('x', 'xx' * 1000)", LIMIT, 2),
    Case("format-width", "s = '{:>1000000000}'.format(1)", LIMIT, 1),
    Case("fstring-width", "s = f'{1:>{10**9}}'", LIMIT, 1),
    Case("percent-width", "s = '%*d' % (10**9, 1)", LIMIT, 1),
    Case("center-width", "s = 'a'.center(10**9)", LIMIT, 1),
    Case("join-blowup", "s = ','.join(['a' * 1000] * 10000)", LIMIT, 1),
    Case("memory-strings", "a = ['b' * 999990 + str(i) for i in range(9000)]", LIMIT, 1),
    Case("memory-list-copies", "x = [0] * 10**6\na = [x[:] for i in range(9000)]", LIMIT, 2),
    Case("memory-tolist", T + "x = torch.ones(10**6)\na = [x.tolist() for i in range(5000)]",
         LIMIT, 3),
    Case("huge-print", "for i in range(10000):\n    print('x' * 100)", LIMIT, 2, "print"),
    Case("exponential-print", "a = [1]\nfor i in range(60):\n    a = [a, a]\nprint(a)",
         LIMIT, 4),
    Case("huge-graph", T + "x = torch.ones(1, requires_grad=True)\ny = x\n"
         "for i in range(9000):\n    y = y * 1.0001", LIMIT, None, "graph"),
    # ----- breakage -----
    Case("syntax-error", "x = 1\ny = = 2", SYNTAX, 2),
    Case("unterminated-string", 's = "abc', SYNTAX, 1),
    Case("bad-indent", "x = 1\n    y = 2", SYNTAX, 2),
    Case("tabs-and-spaces", "if 1:\n\tx = 1\n        y = 2", SYNTAX, 3),
    Case("crlf-syntax-error", "x = 1\r\ny = 2\r\nz = = 3\r\n", SYNTAX, 3),
    Case("garbage-bytes", bytes(range(256)).decode("latin-1"), SYNTAX),
    Case("replacement-chars", "x = 1\n\ufffd\ufffd\ufffd", SYNTAX, 2),
    Case("nul-character", "x = 1\x00", SYNTAX, None, "null"),
    Case("lone-surrogate", 'x = "\ud800"', SYNTAX),
    Case("one-megabyte", "x = 1\n" * 175_000, LIMIT, None, "20,000"),
    Case("only-close-paren", ")", SYNTAX, 1),
    Case("return-outside", "return 1", SYNTAX, 1),
    Case("break-outside", "break", SYNTAX, 1),
    Case("undefined-name", "x = 1\ny = q + 1", ("NameError",), 2, "'q'"),
    Case("shape-mismatch", T + "a = torch.ones(2) + torch.ones(3)", ("RuntimeError",), 2),
    Case("zero-division", "x = 1 / 0", ("ZeroDivisionError",), 1),
    Case("backward-twice", T + "x = torch.ones(2, requires_grad=True)\ny = (x * x).sum()\n"
         "y.backward()\ny.backward()", ("RuntimeError",), 5, "retain_graph"),
    Case("int-from-huge-string", "x = int('9' * 100000)", ("ValueError",), 1),
]
# fmt: on


BATCH = r"""
import faulthandler, json, os, resource, sys, time
resource.setrlimit(resource.RLIMIT_AS, (int(sys.argv[3]), int(sys.argv[3])))
import engine
cases, log = json.load(open(sys.argv[1])), open(sys.argv[2], "a")
quiet = open(os.devnull, "w")
for name, source in cases.items():
    files = set(os.listdir("."))
    log.write(json.dumps({"name": name, "hung": True}) + "\n")  # until the result line
    log.flush()
    # A C call that holds the GIL (a huge pow) blocks Python threads: faulthandler's own
    # thread still ends the process, and the next batch goes on after this case.
    faulthandler.dump_traceback_later(float(sys.argv[4]), exit=True, file=quiet)
    start = time.monotonic()
    run = engine.run(source)
    took = time.monotonic() - start
    faulthandler.cancel_dump_traceback_later()
    error = run.error
    log.write(json.dumps({
        "name": name, "ok": run.ok, "seconds": took,
        "new_files": sorted(set(os.listdir(".")) - files),
        "type": error and error.type, "line": error and error.line,
        "column": error and error.column, "text": error.describe() if error else "",
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }) + "\n")
    log.flush()
"""
HANG = 3 * SECONDS  # a case still running after this is recorded as hung


def _limit_address_space() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> dict:
    """The corpus through engine.run in as few subprocesses as hangs allow, memory capped."""
    work = tmp_path_factory.mktemp("hostile-cwd")
    corpus, log = work.parent / "corpus.json", work.parent / "results.jsonl"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out: dict = {"__stderr__": ""}
    pending = {c.name: c.source for c in CORPUS}
    while pending:
        corpus.write_text(json.dumps(pending))
        done = subprocess.run(
            [sys.executable, "-c", BATCH, str(corpus), str(log), str(ADDRESS_SPACE), str(HANG)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
        )
        out["__stderr__"] += done.stderr
        before = len(pending)
        for line in log.read_text().splitlines():
            result = json.loads(line)
            out[result["name"]] = result
            pending.pop(result["name"], None)
        assert len(pending) < before, done.stderr[-2000:]
    out["__peak_rss_mb__"] = max(r.get("rss_mb", 0) for r in out.values() if isinstance(r, dict))
    out["__files__"] = sorted(os.listdir(work))
    return out


def test_corpus_is_large_and_named_uniquely():
    """At least 60 hostile programs, each with its own name."""
    names = [c.name for c in CORPUS]
    assert len(names) >= 60
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CORPUS, ids=lambda c: c.name)
def test_refused_cleanly(case, batch):
    """The program fails with one line of the expected kind, at its line, fast, writing nothing."""
    got = batch[case.name]
    assert not got.get("hung"), f"still running after {HANG:g} s"
    assert got["ok"] is False, got
    assert got["type"] in case.kinds, got["text"]
    assert "\n" not in got["text"] and "Traceback" not in got["text"]
    assert got["seconds"] < SECONDS, got
    assert got["new_files"] == []
    if case.line is not None:
        assert got["line"] == case.line, got["text"]
        assert got["text"].startswith(f"line {case.line}, column {got['column']}: "), got
    assert case.says in got["text"]


def test_corpus_run_stays_under_2_gb_and_quiet(batch):
    """The whole corpus in one process: peak memory under 2 GB, nothing printed, no file left."""
    assert batch["__peak_rss_mb__"] < MAX_RSS_MB
    assert "Traceback" not in batch["__stderr__"]
    assert batch["__files__"] == []


# A representative subset through the real command line, one process each.
CLI_CASES = [
    "format-grad-fn-walk", "import-os", "torch-save", "torch-hub-network", "huge-tensor",
    "huge-nested-list-tensor", "exponent-tower", "long-loop", "huge-cdist", "huge-print",
    "syntax-error", "one-megabyte",
]  # fmt: skip
BY_NAME = {c.name: c for c in CORPUS}


def run_cli(source: bytes, tmp_path: Path, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """`autograd-explorer run -` in an empty directory, time- and memory-capped; (result, MB)."""
    start = time.monotonic()
    done = subprocess.run(
        [str(CLI), "run", "-", *args],
        input=source,
        cwd=tmp_path,
        capture_output=True,
        timeout=SECONDS,
        preexec_fn=_limit_address_space,
    )
    assert time.monotonic() - start < SECONDS
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return done, peak


def assert_one_line_failure(done: subprocess.CompletedProcess, tmp_path: Path) -> str:
    out, err = done.stdout.decode(errors="replace"), done.stderr.decode(errors="replace")
    assert done.returncode == 1, (out, err)
    assert "Traceback" not in out + err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    assert list(tmp_path.iterdir()) == []
    return err


@pytest.mark.parametrize("name", CLI_CASES)
def test_cli_refuses_with_one_line(name, tmp_path):
    """`autograd-explorer run`: exit 1, one line on stderr naming the line, nothing written."""
    assert CLI.exists(), "run `.venv/bin/pip install -e .` (make test does)"
    case = BY_NAME[name]
    done, peak_mb = run_cli(case.source.encode("utf-8", "surrogatepass"), tmp_path)
    err = assert_one_line_failure(done, tmp_path)
    assert peak_mb < MAX_RSS_MB
    assert any(f"{kind}:" in err for kind in case.kinds), err
    if case.line is not None:
        assert f"line {case.line}, column " in err


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"", "empty"),
        (b"  \n\n", "empty"),
        (b"x = 1\n\xff\xfe\x80garbage", "line 2, column 1"),
        (b"x = 1\x00\n", "null"),
    ],
    ids=["empty", "blank", "invalid-utf8", "nul"],
)
def test_cli_breakage_bytes(raw, says, tmp_path):
    """Empty input, invalid UTF-8 and NUL bytes on stdin: exit 1 and one clear line."""
    done, _ = run_cli(raw, tmp_path)
    err = assert_one_line_failure(done, tmp_path)
    assert says in err and "internal error" not in err


def test_cli_garbage_file_is_a_bad_program_not_bad_usage(tmp_path):
    """A FILE of bytes that are not UTF-8: exit 1 with the line, as for any bad program."""
    program = tmp_path.parent / f"{tmp_path.name}-garbage.py"
    program.write_bytes(b"x = 1\ny = \xff\xfe\n")
    done = subprocess.run([str(CLI), "run", str(program)], cwd=tmp_path, capture_output=True,
                          timeout=SECONDS)  # fmt: skip
    err = assert_one_line_failure(done, tmp_path)
    assert "line 2, column 5: SyntaxError" in err


def test_cli_json_failure_is_one_object(tmp_path):
    """`run --json` on a hostile program: exit 1 and one JSON object with ok false and a line."""
    done, _ = run_cli(b"import os\n", tmp_path, "--json")
    assert done.returncode == 1
    result = json.loads(done.stdout)
    assert result["ok"] is False
    assert result["error"]["line"] == 1 and result["error"]["type"] == "NotAllowed"


def test_gradient_check_keeps_a_slow_run_within_10_s():
    """A program near the time limit, then its finite-difference re-runs: still under 10 s."""
    import engine

    body = "import torch\na = torch.ones(600, 600)\nfor i in range({n}):\n    a = a @ a / 600\n"
    start = time.monotonic()
    assert engine.run(body.format(n=20)).ok
    per_iteration = (time.monotonic() - start) / 20
    n = max(20, int(4.5 / per_iteration))  # most of the 5 s limit
    source = body.format(n=n) + "x = torch.ones(1, requires_grad=True)\ny = x * a[0, 0]\n"
    start = time.monotonic()
    run = engine.run(source)
    assert time.monotonic() - start < SECONDS
    assert run.error is not None or run.tensors["x"].grad is not None  # ran or said why


def test_memory_limit_stops_python_objects_with_its_own_message():
    """Strings are not tensors: the memory limit stops them, naming itself."""
    import engine

    source = "a = ['b' * 999990 + str(i) for i in range(9000)]\n"
    run = engine.run(source, engine.Limits(memory_mb=100))
    assert run.error.type == "LimitExceeded"
    assert run.error.message == "the program holds over 100 MB of memory (the memory limit)"
    assert run.error.line == 1
