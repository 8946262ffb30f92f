"""Runs are independent: no torch global and no variable leaks between runs or sessions."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import torch
from streamlit.testing.v1 import AppTest

import engine

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


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


def program(k: int) -> str:
    """A program whose numbers, names and printed text depend on k."""
    return (
        "import torch\n"
        f"torch.manual_seed({k})\n"
        f"w_{k} = torch.randn(3, requires_grad=True)\n"
        f"x = torch.tensor([{k}.0, 1.0, 2.0])\n"
        f"y = (w_{k} * x).sum() * {k}\n"
        "y.backward()\n"
        f'print("run {k}", y.item())\n'
    )


def summary(run: engine.Run) -> tuple:
    """What a run returned, as plain comparable data."""
    assert run.ok, run.error
    return (run.stdout, {n: (t.value, t.grad) for n, t in run.tensors.items()})


def test_concurrent_runs_in_threads_match_sequential_runs():
    """Twenty-four runs from eight threads give exactly what each gives alone."""
    alone = {k: summary(engine.run(program(k))) for k in range(12)}
    with ThreadPoolExecutor(max_workers=8) as pool:
        both = list(pool.map(lambda k: (k % 12, summary(engine.run(program(k % 12)))), range(24)))
    for k, got in both:
        assert got == alone[k]


def test_concurrent_runs_never_share_names():
    """Under concurrency each run reports only its own variables."""
    with ThreadPoolExecutor(max_workers=6) as pool:
        runs = list(pool.map(lambda k: (k, engine.run(program(k))), range(12)))
    for k, run in runs:
        assert {n for n in run.tensors if n.startswith("w_")} == {f"w_{k}"}


def test_a_name_from_one_run_is_unknown_to_the_next():
    """A variable defined by one run is a NameError in the next, not a leftover."""
    assert engine.run("import torch\nsecret = torch.ones(2) * 7\n").ok
    run = engine.run("import torch\ny = secret + 1\n")
    assert run.error.type == "NameError" and "secret" in run.error.message
    assert "secret" not in run.tensors


def test_seed_and_draws_do_not_leak_into_the_next_run():
    """A program's manual_seed and draws leave the next unseeded run's numbers unchanged."""
    draw = "import torch\nr = torch.rand(4)\n"
    fresh = engine.run(draw).tensors["r"].value
    assert engine.run("import torch\ntorch.manual_seed(1234)\na = torch.randn(1000)\n").ok
    assert engine.run(draw).tensors["r"].value == fresh


def test_caller_rng_and_settings_are_untouched():
    """The caller's RNG state, grad mode, dtype and threads are as they were after any run."""
    torch.manual_seed(99)
    before = torch_globals()
    for source in [
        program(3),
        "import torch\ntorch.manual_seed(5)\nx = torch.randn(3)\n",
        "import torch\nwith torch.no_grad():\n    x = torch.ones(2)\n    y = 1 / 0\n",
        "import torch\nwith torch.set_grad_enabled(False):\n    x = torch.ones(1)\n",
        "import torch\ntorch.set_default_dtype(torch.float64)\n",
        "import torch\ntorch.set_num_threads(1)\n",
        "import torch\ntorch.use_deterministic_algorithms(True)\n",
        "import torch\ntorch.autograd.set_detect_anomaly(True)\n",
        "import torch\nwith torch.inference_mode():\n    x = torch.ones(1)\n",
    ]:
        engine.run(source)
        assert torch_globals() == before, source


def test_no_grad_that_fails_midway_leaves_grad_on_for_the_next_run():
    """An error inside `with torch.no_grad():` does not leave the next run without gradients."""
    failed = engine.run(
        "import torch\nwith torch.no_grad():\n    z = torch.ones(2)\n    q = z[5]\n"
    )
    assert failed.error.type == "IndexError"
    run = engine.run("x = param([1.0, 2.0])\ny = (x * x).sum()\n")
    assert run.ok and run.tensors["x"].pass_grad == [2.0, 4.0]


def test_settings_refused_inside_threads_leave_others_untouched():
    """Runs that change torch's settings, in threads beside normal ones: normal results stay
    exact, because every run has a process of its own."""
    hostile = [
        "import torch\ntorch.set_default_dtype(torch.float64)\n",
        "import torch\nwith torch.no_grad():\n    for i in range(10**5):\n        pass\n",
        "import torch\ntorch.manual_seed(7)\nx = torch.randn(10)\ny = 1 / 0\n",
    ]
    expected = summary(engine.run(program(5)))
    sources = [program(5) if i % 2 else hostile[i % 3] for i in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        runs = list(pool.map(engine.run, sources))
    for source, run in zip(sources, runs, strict=True):
        if source == program(5):
            assert summary(run) == expected
        elif "1 / 0" in source:
            assert run.error.type == "ZeroDivisionError"
        else:
            assert run.ok, run.error
    assert torch.is_grad_enabled() and torch.get_default_dtype() == torch.float32


def tensor_names(at: AppTest) -> set[str]:
    """The names in the app's tensors table."""
    table = next(m.value for m in at.markdown if m.value.startswith("| name |"))
    return {line.split("|")[1].strip().strip("*") for line in table.splitlines()[2:]}


def test_two_app_sessions_keep_their_own_variables():
    """Two sessions of the app: each table shows its own program's names only."""
    first = AppTest.from_file(APP, default_timeout=60).run()
    second = AppTest.from_file(APP, default_timeout=60).run()
    first.text_area(key="program").input("alpha = param([1.0, 2.0])\nout = alpha * 3\n").run()
    second.text_area(key="program").input("beta = param(5.0)\nres = beta * beta\n").run()
    first.run()
    assert not first.exception and not second.exception
    assert {"alpha", "out"} <= tensor_names(first)
    assert {"beta", "res"} <= tensor_names(second)
    assert not tensor_names(first) & {"beta", "res"}
    assert not tensor_names(second) & {"alpha", "out"}
