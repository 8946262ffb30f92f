"""Program generators and the oracle shared by tests/test_fuzz.py and bench/fuzz_hour.py.

Four kinds of input: programs from a grammar of the model language (mostly valid, so they
reach the interpreter's run-time paths), mutations of real example programs, token soup,
and arbitrary text. The oracle says what every run must satisfy, whatever the input.
"""

from __future__ import annotations

import os
import time

import torch
from hypothesis import strategies as st

import engine

SEEDS = [
    "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n",
    "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\ny = x**2 + 3*x\n"
    'y.sum().backward()\nprint("dy/dx:", x.grad)\n',
    "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\nwith torch.no_grad():\n"
    "    z = x * 2\nz_detached = x.detach()\ny = x * z + z_detached\n",
    "import torch\nimport torch.nn as nn\nmodel = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), "
    "nn.Linear(3, 1))\nopt = torch.optim.SGD(model.parameters(), lr=0.1)\n"
    "X = torch.tensor([[1.0, 2.0], [3.0, 4.0]])\nfor i in range(3):\n    opt.zero_grad()\n"
    "    loss = ((model(X) - 1) ** 2).mean()\n    loss.backward()\n    opt.step()\n"
    'print(f"{loss.item():.4f}")\n',
    "import torch\nimport torch.nn.functional as F\nlogits = torch.tensor([[1.0, 2.0, 0.5]], "
    "requires_grad=True)\nloss = F.cross_entropy(logits, torch.tensor([1]))\nloss.backward()\n",
    "a = param(2.0)\nb = a·a + a\nc = sigmoid(b)\nprint(c)\n",
]
try:  # the app's examples are the best seeds, when the app package is importable
    from app_ui.presets import PRESETS

    SEEDS += list(PRESETS.values())
except ImportError:
    pass

NAMES = ["x", "y", "w", "b", "z", "t", "loss", "i", "s", "m", "opt"]
TORCH_FNS = (
    "tensor ones zeros full rand randn arange linspace eye exp log sigmoid tanh relu sum mean "
    "matmul cat stack where clamp softmax max min norm outer cumsum sort topk unique cdist "
    "broadcast_tensors reshape transpose diag kron zeros_like manual_seed no_grad is_grad_enabled"
).split()
METHODS = (
    "sum mean backward detach requires_grad_ retain_grad zero_ item tolist shape size dim "
    "grad data T view reshape expand repeat clone float double long t unsqueeze squeeze "
    "grad_fn is_leaf numel exp relu pow clamp_ abs max argmax softmax to type"
).split()
ATTRS = METHODS + "__class__ _version next_functions variable name __dict__ real".split()
F_FNS = "relu sigmoid softmax mse_loss cross_entropy linear one_hot dropout".split()
BUILTINS = "print len range list sum min max abs round str repr format int float sorted".split()
MATH = "param sigmoid tanh exp log relu dot matmul softmax mean".split()
OPS = "+ - * / // % ** @ · < > == != and or & | ^ << >>".split()

_ints = st.one_of(st.integers(-3, 12), st.sampled_from([0, 1, 2, 64, 1000, 10**6, 10**9]))
_floats = st.sampled_from(["0.5", "1.0", "-2.0", "1e308", "1e-300", "float('inf')", "3.14"])
_strings = st.sampled_from(["'a'", "'{}'", "'%d'", "'{0.x}'", "'ab' * 3", "''", "'{:>9}'"])


def _number_list(inner):
    return st.lists(inner, min_size=0, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]")


_atoms = st.one_of(
    st.sampled_from(NAMES),
    _ints.map(str),
    _floats,
    _strings,
    _number_list(st.one_of(_ints.map(str), _floats)),
    st.just("torch.tensor([1.0, 2.0], requires_grad=True)"),
    st.just("param([0.5, -1.0])"),
    st.just("torch.ones(2, 2, requires_grad=True)"),
    st.just("nn.Linear(2, 2)"),
    st.just("torch.optim.SGD([w], lr=0.1)"),
)


def _extend(inner):
    args = st.lists(inner, min_size=0, max_size=3).map(", ".join)
    return st.one_of(
        st.tuples(inner, st.sampled_from(OPS), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.tuples(st.sampled_from(["-", "not ", "~"]), inner).map(lambda t: f"{t[0]}{t[1]}"),
        st.tuples(st.sampled_from(TORCH_FNS), args).map(lambda t: f"torch.{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(F_FNS), args).map(lambda t: f"F.{t[0]}({t[1]})"),
        st.tuples(st.sampled_from(BUILTINS + MATH), args).map(lambda t: f"{t[0]}({t[1]})"),
        st.tuples(inner, st.sampled_from(METHODS), args).map(lambda t: f"{t[0]}.{t[1]}({t[2]})"),
        st.tuples(inner, st.sampled_from(ATTRS)).map(lambda t: f"{t[0]}.{t[1]}"),
        st.tuples(inner, inner).map(lambda t: f"{t[0]}[{t[1]}]"),
        st.tuples(inner, _ints).map(lambda t: f"{t[0]}[:{t[1]}]"),
        st.tuples(st.sampled_from(NAMES), st.sampled_from(["", "!r", ":>6", ":.3f", "!a:^9"])).map(
            lambda t: f'f"<{{{t[0]}{t[1]}}}>"'
        ),
        st.tuples(inner, st.sampled_from(NAMES), inner).map(
            lambda t: f"[{t[0]} for {t[1]} in {t[2]}]"
        ),
        st.tuples(inner, inner, inner).map(lambda t: f"({t[0]} if {t[1]} else {t[2]})"),
        st.tuples(inner, inner).map(lambda t: f"{{{t[0]}: {t[1]}}}"),
    )


expressions = st.recursive(_atoms, _extend, max_leaves=8)


@st.composite
def _statement(draw, depth: int = 0) -> list[str]:
    kind = draw(st.integers(0, 11 if depth < 2 else 8))
    name, expr = draw(st.sampled_from(NAMES)), draw(expressions)
    if kind <= 3:
        return [f"{name} = {expr}"]
    if kind == 4:
        return [f"{name} {draw(st.sampled_from(['+=', '-=', '*=', '@=', '/=']))} {expr}"]
    if kind == 5:
        return [f"print({expr})"]
    if kind == 6:
        return [f"{expr}.backward()" if draw(st.booleans()) else expr]
    if kind == 7:
        return [f"{expr}.{draw(st.sampled_from(['grad', 'data', 'requires_grad']))} = {name}"]
    if kind == 8:
        return [draw(st.sampled_from(["del " + name, "pass", "import torch", "assert " + expr]))]
    body = draw(st.lists(_statement(depth + 1), min_size=1, max_size=3))
    lines = ["    " + line for stmt in body for line in stmt]
    if kind == 9:
        return [f"for {name} in {draw(expressions)}:", *lines]
    if kind == 10:
        return ["with torch.no_grad():", *lines]
    return [f"if {expr}:", *lines]


PRELUDE = """\
import torch
import torch.nn as nn
import torch.nn.functional as F
x = torch.tensor([1.0, 2.0], requires_grad=True)
w = param([0.5, -1.0])
y = x * w
b = torch.ones(2)
z = [1, 2, 3]
t = torch.randn(2, 2)
loss = y.sum()
i = 3
s = "ab"
m = nn.Linear(2, 2)
opt = torch.optim.SGD(m.parameters(), lr=0.1)
"""
grammar_programs = st.lists(_statement(), min_size=1, max_size=8).map(
    lambda stmts: PRELUDE + "\n".join(line for stmt in stmts for line in stmt) + "\n"
)

_SNIPPETS = [
    "(", ")", "[", "]", ":", "\n", "    ", "·", "**", "__class__", ".", ",", "=", "'", '"',
    "\x00", "\\", "#", "f'{", "}", "for i in range(10**6):", "torch.", "import os", "lambda",
    "9" * 40, "1e999", "x", ".grad", ".backward()", "\ufeff", "\r", "\t", "𝑥", "é",
]  # fmt: skip


@st.composite
def mutated_programs(draw) -> str:
    """A real example program with a few random edits: deletions, insertions, duplications."""
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.integers(0, 3))
        if action == 0:
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif action == 1:
            text = text[:at] + draw(st.sampled_from(_SNIPPETS)) + text[at:]
        elif action == 2:
            end = min(len(text), at + draw(st.integers(1, 60)))
            text = text[:end] + text[at:end] * draw(st.integers(1, 3)) + text[end:]
        else:
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
    return text


token_soup = st.lists(
    st.sampled_from(_SNIPPETS + NAMES + OPS + TORCH_FNS + METHODS + ["1", "2.0", " "]),
    max_size=40,
).map("".join)

any_text = st.one_of(
    st.text(max_size=200),
    st.binary(max_size=200).map(lambda b: b.decode("utf-8", "replace")),
)

programs = st.one_of(grammar_programs, grammar_programs, mutated_programs(), token_soup, any_text)

# ----- the oracle --------------------------------------------------------------------


def torch_globals() -> tuple:
    """The process-wide torch settings a run must leave as it found them."""
    return (
        torch.is_grad_enabled(),
        torch.get_default_dtype(),
        torch.get_num_threads(),
        torch.is_inference_mode_enabled(),
        torch.are_deterministic_algorithms_enabled(),
        torch.is_anomaly_enabled(),
        bytes(torch.get_rng_state().numpy()),
    )


def rss_bytes() -> int:
    """Resident memory of this process now (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


MAX_SECONDS = 10.0
MAX_RSS = 2 << 30


def check_run(source: str, cwd: str) -> list[str]:
    """Run one program; return what it broke (empty when the run behaved)."""
    before, files = torch_globals(), set(os.listdir(cwd))
    start = time.monotonic()
    try:
        result = engine.run(source)
    except BaseException as exc:  # noqa: BLE001 - the oracle reports every escape
        return [f"engine.run raised {type(exc).__name__}: {exc}"]
    took = time.monotonic() - start
    problems = []
    if took > MAX_SECONDS:
        problems.append(f"took {took:.1f} s")
    if rss_bytes() > MAX_RSS:
        problems.append(f"resident memory {rss_bytes() >> 20} MB")
    if torch_globals() != before:
        problems.append("a torch global setting changed")
    if set(os.listdir(cwd)) != files:
        problems.append("a file was written")
    if result.ok != (result.error is None):
        problems.append("ok disagrees with error")
    if result.error is not None:
        text = result.error.describe()
        if "\n" in text or "Traceback" in text:
            problems.append(f"error is not one line: {text!r}")
        if result.error.type in ("InternalError", "MemoryError", "RecursionError", "SystemError"):
            problems.append(f"internal failure: {text}")
    return problems
