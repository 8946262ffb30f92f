"""App tests without a browser: streamlit.testing.v1.AppTest runs app.py in-process."""

from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

import engine
from app_ui.tables import PASS_COLUMN
from engine.values import fmt_value

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
CARD = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"
BROKEN = "x = param([2.0, 3.0])\ny = x *\n"


def at_run(**kwargs) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    return at.run(**kwargs)


def open_menu(at: AppTest, key: str) -> AppTest:
    """Open one of the page's lazy popovers (its content is made only while it is open)."""
    at.session_state[key] = True
    return at.run()


def preset_names() -> list[str]:
    from app_ui.presets import PRESETS

    return list(PRESETS)


def tensor_table(at: AppTest) -> list[dict[str, str]]:
    """The Tensors tab's Markdown table as rows of plain text (bold and code marks dropped)."""
    text = next(m.value for m in at.markdown if m.value.startswith("| name |"))
    lines = [ln.strip().strip("|").split(" | ") for ln in text.splitlines()]
    head = [c.strip() for c in lines[0]]
    return [
        dict(zip(head, (c.strip().strip("*`").replace("\\|", "|") for c in cells), strict=True))
        for cells in lines[2:]
    ]


def tensor_row(at: AppTest, name: str) -> dict:
    return next(row for row in tensor_table(at) if row["name"] == name)


def test_app_shows_title_and_editor():
    """The page has its title and the program editor keyed 'program'."""
    at = at_run()
    assert not at.exception
    assert at.title[0].value == "Autograd Explorer"
    assert at.text_area(key="program").value.strip() != ""


@pytest.mark.parametrize("index", range(len(preset_names())))
def test_each_preset_loads_and_runs(index):
    """One click loads the example into the editor, and it runs with no error on the page."""
    at = at_run()
    at.button(key=f"preset-{index}").click().run()
    assert not at.exception
    assert at.text_area(key="program").value == at.session_state.program
    assert at.text_area(key="program").value.strip()
    assert [e.value for e in at.error] == []
    assert any(".grad" in m.value for m in at.markdown), "the step card lists the leaves"


def test_syntax_error_names_line_and_keeps_last_good_graph():
    """A bad program says which line, keeps its text, and leaves the last graph marked stale."""
    at = at_run()
    card_before = [m.value for m in at.markdown if "leaf" in m.value]
    at.text_area(key="program").input(BROKEN).run()
    assert not at.exception
    assert "line 2" in at.error[0].value and "SyntaxError" in at.error[0].value
    assert at.text_area(key="program").value == BROKEN
    assert any("Out of date" in w.value for w in at.warning)
    assert [m.value for m in at.markdown if "leaf" in m.value] == card_before


def test_variables_table_changes_the_result():
    """An undeclared name gets a row in the variables table; its value drives the run."""
    at = at_run()
    at.button(key="preset-5").click().run()  # y = a*a + a, with `a` undeclared
    assert "a" in at.session_state.variables
    at.session_state.variables = {"a": {"value": "3.0", "requires_grad": True}}
    at.run()
    a = torch.tensor(3.0, requires_grad=True)
    (a * a + a).backward()
    row = tensor_row(at, "a")
    assert row["value"] == fmt_value(3.0)
    assert row["grad"] == "None"  # the program never calls backward: Python leaves None
    assert row[PASS_COLUMN] == fmt_value(a.grad.item())


def test_bad_variable_value_is_a_clear_error():
    """A value that is not a number names the variable and what was typed."""
    at = at_run()
    at.button(key="preset-5").click().run()
    at.session_state.variables = {"a": {"value": "three", "requires_grad": True}}
    at.run()
    assert "variable a" in at.error[0].value and "'three'" in at.error[0].value


def test_url_round_trips_program_and_step():
    """The URL holds the program and step; opening it restores both."""
    from app_ui.share import encode_program

    at = at_run()
    at.button(key="preset-0").click().run()
    assert at.query_params["p"] == encode_program(at.session_state.program)
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["p"] = encode_program(BROKEN.replace("*\n", "* 2\n"))
    fresh.query_params["s"] = "2"
    fresh.run()
    assert fresh.text_area(key="program").value == BROKEN.replace("*\n", "* 2\n")
    assert fresh.session_state.step == 2
    assert any("Step 3 of" in m.value for m in fresh.markdown)


def test_url_round_trips_options_and_variables():
    """Drawing options and the variables table are in the URL too; a fresh page restores them,
    so a page moved to another replica of a class server draws the same picture."""
    from app_ui.share import params_to_view

    at = at_run()
    at.button(key="preset-5").click().run()  # a math-style preset that reads `a`
    at.session_state.variables = {"a": {"value": "1.5", "requires_grad": False}}
    at.session_state.opt_fold_accumulate = True
    at.session_state.opt_direction = "LR"
    at.run()
    view = params_to_view(dict(at.query_params))
    assert ("a", "1.5", False) in view.variables
    assert set(view.options) == {("fold_accumulate", True), ("direction", "LR")}
    fresh = AppTest.from_file(APP, default_timeout=60)
    for key, value in at.query_params.items():
        fresh.query_params[key] = value
    fresh.run()
    assert not fresh.exception
    assert fresh.session_state.opt_fold_accumulate is True
    assert fresh.session_state.opt_direction == "LR"
    assert fresh.session_state.variables["a"] == {"value": "1.5", "requires_grad": False}
    assert tensor_row(fresh, "a")["value"] == fmt_value(1.5)


def test_empty_program_shows_a_hint_not_a_blank():
    """An empty editor shows what to type instead of an empty graph area."""
    at = at_run()
    at.text_area(key="program").input("").run()
    assert not at.exception
    assert any("Nothing to draw yet" in i.value for i in at.info)


def test_presentation_mode_hides_editor_and_keeps_program():
    """Presentation mode hides the editor; leaving it brings the same program back."""
    at = at_run()
    at.button(key="preset-1").click().run()
    program = at.session_state.program
    at.toggle(key="present").set_value(True).run()
    assert not at.exception
    assert len(at.text_area) == 0
    assert any("leaf" in m.value for m in at.markdown)
    at.toggle(key="present").set_value(False).run()
    assert at.text_area(key="program").value == program


def test_one_line_program_explains_itself():
    """A lone parameter draws one node and a card that says there is nothing to step through."""
    at = at_run()
    at.text_area(key="program").input("x = param(2.0)").run()
    assert not at.exception
    assert [e.value for e in at.error] == []
    assert any("Nothing to step through" in m.value for m in at.markdown)


def test_two_hundred_node_program_gets_a_graph_or_a_clear_message():
    """A 200-node program finishes: the card walks its steps, nothing hangs or crashes."""
    program = "x = param(0.5)\ny = x\nfor i in range(100):\n    y = sin(y) * 0.9\n"
    steps = len(engine.run(program).passes[0].steps)
    at = at_run()
    at.text_area(key="program").input(program).run()
    assert not at.exception
    assert len(engine.run(program).graph.nodes) >= 200
    assert any(f"{steps} steps to go" in m.value for m in at.markdown)


def player_json(at: AppTest) -> dict:
    """The data the app sends to its player component (the SVG, frames and options)."""
    import json

    data = json.loads(at.get("bidi_component")[0].proto.json)
    return {**json.loads(data.pop("player")), **data}  # the picture and frames are one string


CHAIN_300 = "x = param(0.5)\ny = x\nfor i in range(300):\n    y = sin(y)\n"


def test_big_graph_offers_collapse_and_draws_the_more_ops_summary():
    """A 300-op chain suggests collapsing; turning it on draws '… more ops …' and a note."""
    at = at_run()
    at.text_area(key="program").input(CHAIN_300).run()
    assert not at.exception
    assert "more ops" not in player_json(at)["svg"]
    assert any("collapsing the middle" in c.value for c in at.caption)
    at.button(key="collapse-on").click().run()
    assert at.session_state.opt_collapse is True
    svg = player_json(at)["svg"]
    assert "more ops" in svg and "Collapsed: the middle of the graph" in svg
    assert not any("collapsing the middle" in c.value for c in at.caption)


def test_small_graph_offers_no_collapse():
    """The default model is small: no collapse hint on the page."""
    at = at_run()
    assert not any("collapsing the middle" in c.value for c in at.caption)


def test_forward_toggle_sends_forward_frames_and_caption_only_while_playing():
    """'Show the forward pass first' gives the player forward frames; captions show on play."""
    at = at_run()
    data = player_json(at)
    assert data["forward"] == [] and data["caption"] == "playing"
    open_menu(at, "menu-options")
    at.toggle(key="opt_forward").set_value(True).run()
    assert not at.exception
    forward = player_json(at)["forward"]
    assert forward[1]["caption"].startswith(f"Forward 1 of {len(forward) - 1}: ")
    assert forward[-1]["node"] == "node-" + engine.run(at.session_state.program).graph.output


def test_direction_clicked_off_keeps_drawing_top_to_bottom():
    """The direction control can be clicked off: no crash, and the graph keeps a direction."""
    top_down = player_json(at_run())["svg"]
    at = at_run()
    open_menu(at, "menu-options")
    at.button_group(key="opt_direction").set_value("LR").run()
    assert player_json(at)["svg"] != top_down
    at.button_group(key="opt_direction").set_value(None).run()
    assert not at.exception
    assert at.session_state.opt_direction == "TB"
    assert player_json(at)["svg"] == top_down


def test_player_reports_of_an_earlier_graph_are_ignored():
    """One player element serves every graph: a step it reported for an earlier mount must
    not move the step of the graph on screen now; a report for this mount does."""
    at = at_run()
    first = player_json(at)["mount"]
    at.session_state["player"] = {"step": {"mount": first, "step": 2}}
    at.run()
    assert at.session_state.step == 2
    at.text_area(key="program").input("x = param(2.0)\ny = x * x * x\n").run()
    data = player_json(at)
    assert data["mount"] == first + 1 and data["start"] == at.session_state.step
    at.session_state["player"] = {"step": {"mount": first, "step": 0}}  # late, from before
    at.run()
    assert not at.exception
    assert at.session_state.step == data["start"]
    at.session_state["player"] = {"step": {"mount": first + 1, "step": 0}}
    at.run()
    assert at.session_state.step == 0


def test_closed_menus_make_no_widgets_and_options_outlive_them():
    """Options, downloads and the share link are made only while their menu is open; an
    option set in the menu stays set after it closes and through later edits."""
    at = at_run()
    assert [t.key for t in at.toggle] == ["present"]
    assert at.get("download_button") == [] and len(at.code) == 0
    open_menu(at, "menu-options")
    at.toggle(key="opt_forward").set_value(True).run()
    at.session_state["menu-options"] = False
    at.text_area(key="program").input("x = param(2.0)\ny = x * x\n").run()
    assert at.session_state.opt_forward is True
    assert player_json(at)["forward"] != []
    open_menu(at, "menu-download")
    assert len(at.get("download_button")) == 5
    open_menu(at, "menu-share")
    assert "?p=" in at.code[0].value  # the compressed program


def test_tensors_table_holds_torch_values_and_grads():
    """The Tensors tab: each named tensor's value, shape, requires_grad and grad, as torch has
    them after the card's model ran (without pandas: a Markdown table). The card never calls
    backward, so .grad is None, as in Python; the explorer's own pass has a column."""
    at = at_run()
    at.text_area(key="program").input(CARD).run()
    x = torch.tensor([1.0, 2.0, 3.0])
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    y = torch.dot(w, x) + b
    y.backward()
    rows = {row["name"]: row for row in tensor_table(at)}
    assert set(rows) == {"x", "w", "b", "y"}
    assert rows["w"] == {"name": "w", "value": fmt_value(w.tolist()), "shape": "3",
                         "requires_grad": "True", "grad": "None",
                         PASS_COLUMN: fmt_value(w.grad.tolist())}  # fmt: skip
    assert rows["b"]["grad"] == "None" and rows["b"][PASS_COLUMN] == fmt_value(b.grad.item())
    assert rows["x"]["requires_grad"] == "False" and rows["x"]["grad"] == ""
    assert rows["y"]["value"] == fmt_value(y.item())


def test_first_paint_imports_no_pandas_sympy_or_plots():
    """The first run imports only what the first picture needs: pandas, pyarrow and sympy
    wait for a tab or a table that uses them (they cost about a second of cold start)."""
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=60).run()\n"
        "assert not at.exception\n"
        "print(sorted(m for m in ('pandas', 'pyarrow', 'sympy', 'app_ui.plots')"
        " if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_check_tab_nudges_the_variables_table_values():
    """The Check tab's finite differences run with the variables table's values too."""
    at = at_run()
    at.button(key="preset-5").click().run()  # y = a*a + a, with `a` undeclared
    at.session_state.variables = {"a": {"value": "3.0", "requires_grad": True}}
    at.session_state["panel"] = "Check"
    at.run()
    a = torch.tensor(3.0, requires_grad=True)
    (a * a + a).backward()
    table = next(d.value for d in at.dataframe if "numeric (float64)" in d.value.columns)
    row = table[table["leaf"] == "a"].iloc[0]
    assert row["numeric (float64)"] == fmt_value(a.grad.item())
    assert row["max |difference|"].endswith("✓ agree")


def test_a_spinner_only_for_programs_that_loop_or_make_big_tensors():
    """Straight-line programs over small tensors get no spinner (a thread per rerun); a loop
    or a four-digit size does, and every preset with a loop is among them."""
    from app_ui.compute import may_be_slow
    from app_ui.presets import PRESETS

    assert not may_be_slow(CARD)
    assert not may_be_slow(BROKEN)
    assert may_be_slow("w = param(1.0)\nfor i in range(3):\n    y = w * i\n")
    assert may_be_slow("i = 0\nwhile i < 3:\n    i = i + 1\n")
    assert may_be_slow("import torch\na = torch.ones(1000, 1000)\nb = a @ a\n")
    looping = [name for name, text in PRESETS.items() if "for " in text or "while " in text]
    assert looping, "the lesson's training loop is a preset"
    assert all(may_be_slow(PRESETS[name]) for name in looping)


def test_runs_and_pictures_are_shared_immutable_values():
    """The caches hand every session the same frozen run and the same player JSON (a hit is
    a lookup, not a copy), and the JSON is the player data of that run's pass."""
    import dataclasses
    import json

    from app_ui.compute import PlayerPayload, drawable_pass, player_payload, run_program
    from graphviz_utils import DrawOptions, player_data

    source = CARD.replace("0.3]", "0.35]")  # a program no other test has cached
    run = run_program(source, ())
    assert run_program(source, ()) is run
    with pytest.raises(dataclasses.FrozenInstanceError):
        run.ok = False
    payload = player_payload(source, (), 1, ())
    assert isinstance(payload, PlayerPayload) and payload.error == ""
    assert player_payload(source, (), 1, ()) is payload
    expected = player_data(drawable_pass(run, 1), DrawOptions())
    assert json.loads(payload.json) == json.loads(json.dumps(expected))


def test_the_url_follows_the_view_even_when_the_browser_reports_a_stale_one(monkeypatch):
    """Step reports can overtake the URL of the run before them: the browser then reports
    a URL that already matches the new view, and the one it is about to apply is for the
    step before. The app must send the view's URL anyway, or the address bar stays behind.
    """
    from streamlit.runtime.state.query_params import QueryParams

    sent = []
    real = QueryParams.from_dict
    monkeypatch.setattr(
        QueryParams, "from_dict", lambda self, d: (sent.append(dict(d)), real(self, d))[1]
    )
    at = at_run()
    mount = player_json(at)["mount"]
    at.session_state["player"] = {"step": {"mount": mount, "step": 1}}
    at.run()
    assert sent[-1]["s"] == "1" and at.query_params["s"] == "1"
    at.query_params["s"] = "0"  # the browser has not applied s=1 yet when it reports step 0
    sent.clear()
    at.session_state["player"] = {"step": {"mount": mount, "step": 0}}
    at.run()
    assert not at.exception and at.session_state.step == 0
    assert [d["s"] for d in sent] == ["0"], "the view's URL goes out although the report matched"
