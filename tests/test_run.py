"""engine.run: a whole program through the interpreter, the graph and the recorded passes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from programs import PROGRAMS

import engine
from engine import graph as g

LESSON = Path(__file__).resolve().parent / "data" / "autograd-lesson.txt"  # copy of shared/seeds
CARD = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"
LINEAR = PROGRAMS["lesson_linear"]  # the lesson's linear model, from tests/data


def plain_python(source: str) -> str:
    """What CPython with torch prints for the same (trusted, test-only) text."""
    out = subprocess.run([sys.executable, "-c", source], capture_output=True, text=True, check=True)
    return out.stdout


def torch_linear():
    x = torch.tensor([1.0, 2.0, 3.0])
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    y = torch.dot(w, x) + b
    y.backward()
    return x, w, b, y


def test_linear_model_prints_like_python():
    """The lesson's linear model prints exactly what plain Python prints."""
    run = engine.run(LINEAR)
    assert run.ok, run.error
    assert run.stdout == plain_python(LINEAR)


def test_linear_model_tensors_and_grads():
    """tensors holds w, b, x, y with values and grads equal to torch's own."""
    _, w, b, y = torch_linear()
    run = engine.run(LINEAR)
    assert run.tensors["w"].grad == w.grad.tolist()
    assert run.tensors["b"].grad == b.grad.tolist()
    assert run.tensors["y"].value == y.item()
    assert run.tensors["w"].requires_grad and run.tensors["w"].is_leaf
    assert not run.tensors["x"].requires_grad


def test_card_math_style_gets_automatic_backward():
    """The card's y = w·x + b: the explorer's own pass runs on y with a note; its grads match
    torch's, and the program's own .grad stays None, as Python leaves it."""
    _, w, b, _ = torch_linear()
    run = engine.run(CARD)
    assert run.ok, run.error
    assert run.tensors["w"].pass_grad == w.grad.tolist()
    assert run.tensors["b"].pass_grad == b.grad.tolist()
    assert run.tensors["w"].grad is None and run.tensors["b"].grad is None
    assert any("never called backward" in n for n in run.notes)
    ops = {n.op for n in run.graph.nodes}
    assert {"DotBackward0", "AddBackward0", "AccumulateGrad"} <= ops
    assert [p.output for p in run.passes] == ["y"]


def test_vector_output_is_summed_with_a_note():
    """A vector as the last tensor gets backward on its .sum(), and a note says so."""
    run = engine.run("x = param([2.0, 3.0])\ny = x**2 + 3*x\n")
    assert run.ok, run.error
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    (x**2 + 3 * x).sum().backward()
    assert run.tensors["x"].pass_grad == x.grad.tolist() and run.tensors["x"].grad is None
    assert (
        "y is not a scalar, so the explorer's backward pass ran on y.sum() (as in the lesson); "
        "the program's own .grad values are unchanged"
    ) in run.notes
    assert run.passes[0].output == "y.sum()"


def test_constant_output_has_no_pass():
    """An output that needs no grad gives a graph, no pass, and a note saying why."""
    run = engine.run("x = [1.0, 2.0]\ny = x * 2\n")
    assert run.ok and run.passes == ()
    assert run.graph is not None
    assert any("does not depend on any tensor with requires_grad=True" in n for n in run.notes)


def test_numeric_grad_agrees_with_autograd():
    """The float64 finite differences agree with autograd's grad within 1e-4."""
    run = engine.run("x = param([0.5, -1.0, 2.0])\ny = sum(sigmoid(x) * exp(x) / (1 + x**2))\n")
    assert run.ok, run.error
    report = run.tensors["x"]
    assert report.numeric_grad is not None
    assert torch.allclose(
        torch.tensor(report.numeric_grad, dtype=torch.float64),
        torch.tensor(report.effective_grad, dtype=torch.float64),
        atol=1e-4,
    )


def test_error_names_the_line_and_keeps_output():
    """An undefined name fails with NameError on its line; what was printed before stays."""
    run = engine.run("import torch\nprint('hi')\ny = q * 2\n")
    assert not run.ok
    assert run.error.type == "NameError"
    assert run.error.message == "name 'q' is not defined"
    assert run.error.line == 3
    assert run.stdout == "hi\n"


def test_backward_twice_explains_retain_graph():
    """Backward twice through a freed graph is an error on that line that mentions retain_graph."""
    src = (
        "import torch\nx = torch.tensor(2.0, requires_grad=True)\n"
        "y = x * x\ny.backward()\ny.backward()\n"
    )
    run = engine.run(src)
    assert not run.ok and run.error.line == 5
    assert "retain_graph=True" in run.error.message
    first, second = run.passes  # the second is kept too: autograd recorded it, backward failed
    assert first.broke is None and "a second time" in second.broke.message


def test_two_passes_accumulate():
    """Two backward calls give two passes; the second shows w.grad growing with +=."""
    src = (
        "import torch\nw = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "(w * 3).sum().backward()\n(w * 3).sum().backward()\n"
    )
    run = engine.run(src)
    assert [p.number for p in run.passes] == [1, 2]
    acc = next(s for s in engine.explained(run.passes[1]).steps if s.leaf)
    assert acc.grad_before == (3.0, 3.0) and acc.grad_after == (6.0, 6.0)
    assert "+=" in acc.explanation


def test_no_grad_values_show_as_cut():
    """A value made under no_grad and used later appears in the graph as cut by no_grad."""
    src = (
        "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\n"
        "with torch.no_grad():\n    z = x * 2\ny = (z * x).sum()\ny.backward()\n"
    )
    run = engine.run(src)
    assert run.ok, run.error
    cut = [n for n in run.graph.nodes if n.kind == g.CUT]
    assert [(n.name, n.cut_by) for n in cut] == [("z", "no_grad")]


def test_runs_do_not_leak_grad_mode_or_rng():
    """A program that turns grad off or seeds the RNG leaves the caller's state as it was."""
    state = torch.random.get_rng_state()
    engine.run(
        "import torch\ntorch.manual_seed(3)\na = torch.randn(3)\n"
        "with torch.no_grad():\n    b = a * 2\n"
    )
    assert torch.is_grad_enabled()
    assert torch.equal(torch.random.get_rng_state(), state)


def test_json_has_the_fixed_keys():
    """Run.to_json has the keys `run --json` promises (checks rely on them), and is JSON."""
    data = json.loads(json.dumps(engine.run(CARD).to_json()))
    assert {"ok", "stdout", "tensors", "graph", "passes", "notes", "error"} <= set(data)
    assert set(data["tensors"]["w"]) >= {"value", "shape", "requires_grad", "is_leaf", "grad",
                                        "numeric_grad"}  # fmt: skip
    step = data["passes"][0]["steps"][0]
    assert {"index", "node", "op", "grad_outputs", "grad_inputs", "explanation"} <= set(step)
    assert {"id", "kind", "label"} <= set(data["graph"]["nodes"][0])


def test_lesson_cells_verbatim():
    """The lesson's code cells as one program print what plain Python prints, as in the lesson."""
    text = LESSON.read_text()
    cells = [block.split("]:\n", 1)[1].split("\n\n\n")[0] for block in text.split("In [")[1:]]
    program = "\n".join(cells)
    run = engine.run(program)
    assert run.ok, run.error
    assert run.stdout == plain_python(program)
    printed = run.stdout.splitlines()
    assert len(printed) == 8
    assert all(line in text.splitlines() for line in printed)


# Programs of the interpreter's corpus where finite differences rightly disagree with autograd.
NOT_SMOOTH = {
    "elementwise": "relu(x - 1) at x = 1.0 sits on its kink: autograd takes 0, the slopes average",
    "detach_and_data": "d = x.detach() follows x's value, but autograd treats it as a constant",
}


def test_numeric_grad_agrees_across_the_corpus():
    """On the interpreter corpus numeric_grad matches grad within 1e-4, except at kinks or cuts."""
    from programs import PROGRAMS

    disagree, checked = set(), 0
    for key, source in PROGRAMS.items():
        for report in engine.run(source).tensors.values():
            if report.numeric_grad is None or report.effective_grad is None:
                continue
            checked += 1
            numeric = torch.tensor(report.numeric_grad, dtype=torch.float64)
            grad = torch.tensor(report.effective_grad, dtype=torch.float64)
            if not torch.allclose(numeric, grad, atol=1e-4, rtol=1e-4):
                disagree.add(key)
    assert checked >= 25
    assert disagree == set(NOT_SMOOTH)


def test_numeric_check_later_equals_the_check_in_the_run():
    """numeric_check on a numeric=False run gives the numbers run() gives, program by program."""
    from programs import PROGRAMS

    compared = 0
    for key, source in PROGRAMS.items():
        whole = engine.run(source)
        quick = engine.run(source, numeric=False)
        assert all(t.numeric_grad is None for t in quick.tensors.values()), key
        later = engine.numeric_check(source, quick)
        assert later.passes == quick.passes, key
        for name, report in whole.tensors.items():
            assert later.tensors[name].numeric_grad == report.numeric_grad, (key, name)
            compared += report.numeric_grad is not None
    assert compared >= 25


def test_numeric_grad_of_an_input_tensor_is_exact_and_leaves_it_alone():
    """A variable given as an input is nudged in float64 copies: the finite difference matches
    torch's grad, and the caller's tensor is left exactly as it was: the run happens in a
    worker process, and only plain data comes back."""
    given = torch.tensor(3.0, requires_grad=True)
    run = engine.run("y = a * a + a\n", inputs={"a": given})
    a = torch.tensor(3.0, requires_grad=True)
    (a * a + a).backward()
    assert run.tensors["a"].numeric_grad == pytest.approx(a.grad.item(), abs=1e-6)
    assert given.item() == 3.0 and given.dtype == torch.float32
    assert given.grad is None


def test_numeric_grad_of_a_defined_name_ignores_an_unused_input_of_that_name():
    """An input named like a variable the program defines is not used, nor nudged."""
    run = engine.run("a = param(2.0)\ny = a * a\n", inputs={"a": torch.tensor(5.0)})
    a = torch.tensor(2.0, requires_grad=True)
    (a * a).backward()
    assert run.tensors["a"].numeric_grad == pytest.approx(a.grad.item(), abs=1e-6)


def test_numeric_check_leaves_runs_it_cannot_check_alone():
    """Errors and several backward calls: the run comes back unchanged, nothing raised."""
    bad = engine.run("x = param(2.0)\ny = x * q\n", numeric=False)
    assert engine.numeric_check("x = param(2.0)\ny = x * q\n", bad) is bad
    loop = "x = param(2.0)\nfor i in range(3):\n    (x * x).backward()\n"
    done = engine.run(loop, numeric=False)
    assert len(done.history) == 3
    assert engine.numeric_check(loop, done) is done


def test_history_has_one_entry_per_backward_call():
    """A training loop's history holds every loss value, equal to torch's own loop."""
    src = (
        "import torch\nw = torch.tensor([0.0, 0.0], requires_grad=True)\n"
        "x = torch.tensor([[1.0, 2.0], [3.0, 4.0]])\nt = torch.tensor([5.0, 11.0])\n"
        "opt = torch.optim.SGD([w], lr=0.01)\nfor i in range(30):\n    opt.zero_grad()\n"
        "    loss = ((x @ w - t)**2).mean()\n    loss.backward()\n    opt.step()\n"
    )
    run = engine.run(src)
    w = torch.tensor([0.0, 0.0], requires_grad=True)
    x, t = torch.tensor([[1.0, 2.0], [3.0, 4.0]]), torch.tensor([5.0, 11.0])
    opt, losses, weights = torch.optim.SGD([w], lr=0.01), [], []
    for _ in range(30):
        opt.zero_grad()
        loss = ((x @ w - t) ** 2).mean()
        loss.backward()
        losses.append(loss.item())
        weights.append(tuple(w.tolist()))
        opt.step()
    assert [i.value for i in run.history] == losses
    assert [dict(i.leaves)["w"] for i in run.history] == weights
    # Recorded: every pass up to 5, then one at each doubling (10, 20); all 30 in the history.
    assert [p.number for p in run.passes] == [1, 2, 3, 4, 5, 10, 20]
    assert any("backward ran 30 times" in n for n in run.notes)


def test_inplace_change_error_is_explained():
    """Changing a saved tensor in place breaks backward with a hint on how to avoid it."""
    src = (
        "import torch\na = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "c = (a * 2).sigmoid()\nc.mul_(2)\nc.sum().backward()\n"
    )
    run = engine.run(src)
    assert run.error.line == 5
    assert "modified by an inplace operation" in run.error.message
    assert "write x = x + 1 instead, or clone() it first" in run.error.message


def test_numeric_grad_of_module_parameters():
    """An unseeded nn.Sequential MLP: numeric_grad of every parameter matches its grad."""
    src = (
        "import torch\nx = torch.tensor([[1.0, 2.0]])\n"
        "nn = torch.nn\nmodel = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))\n"
        "loss = ((model(x) - 1.0) ** 2).mean()\nloss.backward()\n"
    )
    run = engine.run(src)
    params = {k: v for k, v in run.tensors.items() if k.startswith("model.")}
    assert len(params) == 4
    for report in params.values():
        numeric = torch.tensor(report.numeric_grad, dtype=torch.float64)
        assert torch.allclose(numeric, torch.tensor(report.grad, dtype=torch.float64), atol=1e-4)


def test_numeric_false_skips_the_check_only():
    """numeric=False leaves numeric_grad empty and changes nothing else in the run."""
    full, quick = engine.run(CARD), engine.run(CARD, numeric=False)
    assert full.tensors["w"].numeric_grad is not None
    assert quick.tensors["w"].numeric_grad is None
    assert quick.tensors["w"].grad == full.tensors["w"].grad
    assert quick.passes == full.passes and quick.stdout == full.stdout


# ----- a notebook's own namespace, and observe() ---------------------------------------


def lesson_function():
    """The lesson's y = x**2 + 3*x, as plain torch code in this process."""
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    return x, x**2 + 3 * x


def test_run_in_a_namespace_leaves_the_variables_there():
    """namespace=: the cell's variables stay in the dict, as a plain cell leaves them."""
    namespace: dict = {}
    first = engine.run("import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\n",
                       trusted=True, namespace=namespace)  # fmt: skip
    second = engine.run("y = x**2 + 3*x\ny.sum().backward()\n", trusted=True, namespace=namespace)
    x, y = lesson_function()
    y.sum().backward()
    assert first.ok and second.ok, (first.error, second.error)
    assert torch.equal(namespace["x"].grad, x.grad)
    assert torch.equal(namespace["y"], y)


def test_a_cell_after_import_torch_is_plain_python():
    """A namespace holding torch makes a cell without an import plain Python: no math style."""
    namespace: dict = {}
    engine.run("import torch\n", trusted=True, namespace=namespace)
    run = engine.run("v = [1.0, 2.0]\n", trusted=True, namespace=namespace)
    assert run.ok and namespace["v"] == [1.0, 2.0]
    assert "sigmoid" not in namespace and "param" not in namespace


def test_run_in_a_namespace_does_not_reseed_the_rng():
    """A plain cell draws the next random numbers; so does a cell run in its namespace."""
    namespace: dict = {}
    engine.run("import torch\n", trusted=True, namespace=namespace)
    torch.manual_seed(123)
    engine.run("r = torch.rand(3)\n", trusted=True, namespace=namespace)
    torch.manual_seed(123)
    assert torch.equal(namespace["r"], torch.rand(3))


def test_namespace_needs_trusted():
    """A namespace exists only in this process: without trusted=True it is refused."""
    with pytest.raises(ValueError, match=r"run\(namespace=...\) runs in this process"):
        engine.run("x = 1\n", namespace={})


def test_observe_records_a_pass_without_changing_grad():
    """observe(y): the pass from y.sum() gives torch's gradient; x.grad stays None."""
    x, y = lesson_function()
    run = engine.observe(y, {"x": x, "y": y})
    expected_x, expected_y = lesson_function()
    expected_y.sum().backward()
    assert x.grad is None
    assert run.ok and [p.output for p in run.passes] == ["y.sum()"]
    assert run.tensors["x"].pass_grad == expected_x.grad.tolist()
    assert "y is not a scalar, so the explorer's backward pass ran on y.sum()" in run.notes


def test_observe_after_backward_shows_the_gradient_alone():
    """With .grad already set, the pass starts fresh (no +=) and .grad is put back."""
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    before = x.grad.clone()
    y = x**2 + 3 * x
    run = engine.observe(y, {"x": x, "y": y})
    write = next(s for s in run.passes[-1].steps if s.leaf is not None)
    expected_x, expected_y = lesson_function()
    expected_y.sum().backward()
    assert torch.equal(x.grad, before)
    assert write.grad_before is None and list(write.grad_after) == expected_x.grad.tolist()


def test_observe_a_freed_graph_keeps_the_picture_and_says_why():
    """After backward() freed the graph, observe() gives the graph, where it broke, and a note."""
    x, y = lesson_function()
    y.sum().backward()
    run = engine.observe(y, {"x": x, "y": y})
    (broken,) = run.passes
    assert run.ok and run.graph is broken.graph
    assert "a second time" in broken.broke.message
    assert {n.name for n in run.graph.nodes} >= {"x", "y"}
    assert any("Look at the tensor before backward()" in note for note in run.notes)


def test_observe_names_module_parameters():
    """A module in names gives its parameters' names: model.weight, model.bias."""
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    loss = model(torch.tensor([1.0, 2.0])).sum()
    run = engine.observe(loss, {"model": model, "loss": loss})
    names = {n.name for n in run.graph.nodes if n.kind == g.LEAF}
    assert names == {"model.weight", "model.bias"}
    assert model.weight.grad is None


def test_observe_refuses_what_is_not_a_tensor():
    """observe() of a list says what it needs."""
    with pytest.raises(TypeError, match=r"^observe\(\) needs a torch.Tensor, not list$"):
        engine.observe([1.0])
