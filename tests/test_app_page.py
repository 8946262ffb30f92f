"""The page's own state without a browser (AppTest): the person's program kept across an
example, Back to an earlier URL, presentation mode's picker and editor, output and notes."""

import contextlib
import io
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

import engine
from app_ui import state
from app_ui.presets import PRESETS
from app_ui.scenarios import SCENARIOS
from app_ui.share import View, view_to_params

APP = str(Path(__file__).resolve().parent.parent / "app.py")
OWN = "x = param(3.0)\ny = x * x * 2\nprint('y is', y.item())\n"


def at_run() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def test_a_preset_keeps_the_own_program_and_one_click_brings_it_back():
    at = at_run()
    assert not [b for b in at.button if b.key == "bring-back"]  # the default is an example
    at.text_area(key="program").input(OWN).run()
    at.button(key="preset-0").click().run()
    assert at.session_state.program == next(iter(PRESETS.values()))
    at.button(key="scenario-0").click().run()  # a second example keeps the same own program
    at.button(key="bring-back").click().run()
    assert at.text_area(key="program").value == OWN
    assert not [b for b in at.button if b.key == "bring-back"]


def test_an_edited_example_is_the_persons_own():
    at = at_run()
    edited = next(iter(PRESETS.values())).replace("3*x", "4*x")
    at.text_area(key="program").input(edited).run()
    at.button(key="preset-3").click().run()
    at.button(key="bring-back").click().run()
    assert at.session_state.program == edited


def test_history_navigation_adopts_the_urls_view(monkeypatch):
    """Back (a rerun the browser marks as history navigation) brings the URL's program,
    step and variables back; an ordinary rerun with a lagging URL does not."""
    at = at_run()
    at.button(key="preset-5").click().run()  # reads `a` from the variables table
    earlier = view_to_params(View(program=OWN, step=0, variables=(("a", "4.0", False),)))
    for key in list(at.query_params):
        del at.query_params[key]
    at.query_params.update(earlier)
    at.run()  # not history navigation: the session's own view wins
    assert at.session_state.program == PRESETS["Shared variable a·a + a"]
    monkeypatch.setattr(state, "_history_navigation", lambda: True)
    at.query_params.update(earlier)
    at.run()
    assert at.text_area(key="program").value == OWN
    assert at.session_state.step == 0
    assert at.session_state.variables == {"a": {"value": "4.0", "requires_grad": False}}


def test_presentation_mode_has_a_picker_and_an_editor_made_only_while_open():
    at = at_run()
    at.toggle(key="present").set_value(True).run()
    assert len(at.text_area) == 0
    picker = at.selectbox(key="example-pick")
    assert picker.value == "w·x + b (math style)"  # the default program is that example
    pitfall = next(iter(SCENARIOS))
    picker.set_value(f"Pitfall: {pitfall}").run()
    assert at.session_state.program == SCENARIOS[pitfall].program
    at.session_state["present-editor"] = True
    at.run()
    at.text_area(key="program").input(OWN).run()
    assert not at.exception
    assert at.selectbox(key="example-pick").value is None  # the own program is no example
    assert at.toggle(key="present").value is True


def cpython_prints(program: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(program, {})
    return out.getvalue()


@pytest.mark.parametrize("present", [False, True])
def test_printed_output_and_notes_are_on_the_page_not_in_a_tab(present):
    program = "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\n"
    program += "y = x**2 + 3*x\nprint('y:', y)\n"
    at = at_run()
    at.text_area(key="program").input(program).run()
    if present:
        at.toggle(key="present").set_value(True).run()
        at.session_state["present-editor"] = True
        at.run()
    assert "Console" not in [t.label for t in at.tabs]
    codes = [c.value for c in at.code]
    assert cpython_prints(program).rstrip("\n") in codes
    (note,) = engine.run(program).notes
    assert note in [i.value for i in at.info]


def player_theme(at: AppTest) -> str:
    data = json.loads(at.get("bidi_component")[0].proto.json)
    return json.loads(data["player"])["theme"]


def test_the_graph_follows_a_dark_page(monkeypatch):
    """A dark page (Streamlit's own theme, Settings) draws the graph dark, unless another
    theme was picked; the graph's dark theme darkens the page (CSS) the other way round."""
    import streamlit as st

    at = at_run()
    assert player_theme(at) == "light"
    assert not any("#0e1117" in h.proto.body for h in at.get("html"))
    monkeypatch.setattr(
        type(st.context), "theme", property(lambda self: SimpleNamespace(type="dark"))
    )
    at.run()
    assert player_theme(at) == "dark"
    at.session_state.opt_theme = "colorblind"
    at.run()
    assert player_theme(at) == "colorblind"
    at.session_state.opt_theme = "dark"
    at.run()
    assert any("#0e1117" in h.proto.body for h in at.get("html"))
