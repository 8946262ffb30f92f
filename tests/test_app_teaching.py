"""The teaching layer in AppTest: checks beside autograd, plots, and pitfall scenarios."""

import json
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from app_ui.presets import PRESETS  # app_ui lives beside app.py: pytest's pythonpath is "."
from app_ui.scenarios import SCENARIOS
from engine.values import fmt_value

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def at_preset(name: str, tab: str = "Tensors") -> AppTest:
    """The app after one click on the preset called `name`, with the panel `tab` open."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.session_state["panel"] = tab  # the tabs are lazy: only the open one runs
    at.button(key=f"preset-{list(PRESETS).index(name)}").click().run()
    assert not at.exception
    return at


def figures(at: AppTest) -> dict[str, dict]:
    """Each plotly chart's figure JSON, by the chart's key."""
    return {c.proto.id.rsplit("-plot-", 1)[-1]: json.loads(c.proto.spec)
            for c in at.get("plotly_chart")}  # fmt: skip


def lesson_grad() -> torch.Tensor:
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    (x**2 + 3 * x).sum().backward()
    return x.grad


def test_lesson_symbolic_derivative_gives_7_and_9():
    """x² + 3x: the Check tab says dy/dx = 2*x + 3 and, at x = [2, 3], torch's [7, 9]."""
    at = at_preset("x² + 3x", "Check")
    text = [m.value for m in at.markdown]
    grad = fmt_value(lesson_grad().tolist())
    assert f"dy/dx = `2*x + 3`, so at x = `[2.0, 3.0]` it is `{grad}`" in text
    assert f"Autograd sent `x` the gradient `{grad}`" in text


def test_check_table_puts_numeric_beside_autograd():
    """The linear model: every leaf's .grad, its finite differences, and that they agree."""
    at = at_preset("Linear model w·x + b", "Check")
    table = next(d.value for d in at.dataframe if "numeric (float64)" in d.value.columns)
    w = table[table["leaf"] == "w"].iloc[0]
    assert w["autograd .grad"] == fmt_value([1.0, 2.0, 3.0])
    assert w["numeric (float64)"] == fmt_value([1.0, 2.0, 3.0])
    assert w["max |difference|"].endswith("✓ agree")
    assert any("rightly differ" in c.value for c in at.caption)


def test_numeric_grad_missing_says_why():
    """A training loop runs backward 5 times: the Check tab says so instead of a number."""
    at = at_preset("Training loop", "Check")
    table = next(d.value for d in at.dataframe if "numeric (float64)" in d.value.columns)
    assert set(table["numeric (float64)"]) == {
        "not computed: backward ran 5 times (it needs exactly one)"
    }


def test_closed_tabs_do_not_run():
    """Only the open tab's work is done: no figures or finite differences behind the Tensors tab."""
    at = at_preset("Linear model w·x + b")
    assert at.get("plotly_chart") == []
    assert not any("numeric (float64)" in d.value.columns for d in at.dataframe)
    tensors = next(m.value for m in at.markdown if m.value.startswith("| name |"))
    assert all(f"| **{name}** |" in tensors for name in ("x", "w", "b", "y"))
    at.session_state["panel"] = "Plots"
    at.run()
    assert at.get("plotly_chart") != []
    assert not any(m.value.startswith("| name |") for m in at.markdown)


def test_tangent_plot_follows_the_function_and_its_gradient():
    """The f(x) curve is x² + 3x as torch computes it; each tangent's slope is torch's grad."""
    at = at_preset("x² + 3x", "Plots")
    fig = figures(at)["tangent"]
    curve = fig["data"][0]
    xs = torch.tensor(curve["x"], dtype=torch.float64)
    assert torch.allclose(torch.tensor(curve["y"], dtype=torch.float64), xs**2 + 3 * xs)
    tangents = [t for t in fig["data"] if t["name"].startswith("slope")]
    slopes = [(t["y"][1] - t["y"][0]) / (t["x"][1] - t["x"][0]) for t in tangents]
    assert slopes == pytest.approx(lesson_grad().tolist())


def test_gradient_bars_and_heatmap_hold_torch_grads():
    """Broadcast bias: W's gradient is a heatmap and b's a bar, both with torch's numbers."""
    X = torch.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    W = torch.tensor([[0.5], [-0.5]], requires_grad=True)
    b = torch.tensor([0.1], requires_grad=True)
    (X @ W + b).sum().backward()
    figs = figures(at_preset("Broadcast bias", "Plots"))
    assert figs["W.grad"]["data"][0]["type"] == "heatmap"
    assert figs["W.grad"]["data"][0]["z"] == W.grad.tolist()
    bar = figs["gradients"]["data"][0]
    assert bar["type"] == "bar" and bar["y"] == b.grad.tolist()


def test_training_loop_plots_loss_and_parameters_per_call():
    """The loss per backward call and w per call are those of the same loop run in torch."""
    x = torch.tensor([1.0, 2.0, 3.0, 4.0])
    w = torch.tensor(0.0, requires_grad=True)
    b = torch.tensor(0.0, requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.05)
    losses, ws = [], []
    for _ in range(5):
        loss = ((w * x + b - (2 * x + 1)) ** 2).mean()
        losses.append(loss.item())
        ws.append(w.item())
        opt.zero_grad()
        loss.backward()
        opt.step()
    figs = figures(at_preset("Training loop", "Plots"))
    assert figs["loss"]["data"][0]["y"] == pytest.approx(losses)
    w_line = next(t for t in figs["params"]["data"] if t["name"] == "w")
    assert w_line["y"] == pytest.approx(ws)


@pytest.mark.parametrize("index", range(len(SCENARIOS)))
def test_each_scenario_shows_guidance_and_no_traceback(index):
    """A pitfall loads with its sentence of guidance; any error is one clear line, no traceback."""
    name, scenario = list(SCENARIOS.items())[index]
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.button(key=f"scenario-{index}").click().run()
    assert not at.exception
    assert at.text_area(key="program").value == scenario.program
    assert scenario.guidance in [i.value for i in at.info]
    for error in at.error:
        assert "Traceback" not in error.value and "RuntimeError" in error.value
    assert not any("Out of date" in w.value for w in at.warning), name


def test_guidance_leaves_once_the_scenario_is_edited():
    """Editing a scenario's program makes it the student's own: the guidance goes away."""
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.button(key="scenario-5").click().run()  # non-scalar output
    fixed = SCENARIOS["Non-scalar output"].program.replace("y.backward()", "y.sum().backward()")
    at.text_area(key="program").input(fixed).run()
    assert [e.value for e in at.error] == []
    assert SCENARIOS["Non-scalar output"].guidance not in [i.value for i in at.info]
