"""The player in the app, in real Chromium, as a lecturer sees it (issue 15's player items).

Each test asserts what a person sees: where the graph is drawn against the player, how tall
its text is on screen, what the step card says while playing, which keys step it.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from conftest import wait_script_done
from playwright.sync_api import expect
from test_browser_app import TIMEOUT, counter, steps_of

import engine
from app_ui.presets import DEFAULT_PROGRAM, PRESETS
from app_ui.share import View, view_to_params
from engine import graph as g
from engine.values import fmt_value
from graphviz_utils import DrawOptions, player_data

pytestmark = pytest.mark.browser

# Where the whole drawn graph is, and the stage that shows it, in page pixels.
BOXES_JS = """p => {
  const box = e => { const r = e.getBoundingClientRect();
                     return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
                             width: r.width, height: r.height}; };
  return {graph: box(p.querySelector('.agx-canvas svg g.graph')),
          stage: box(p.querySelector('[data-role=stage]'))}; }"""


def open_view(page, view: View, width: int, height: int) -> None:
    """Open the app at a share link's view, in a window of this size."""
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{page.app_url}/?{urlencode(view_to_params(view))}")
    wait_script_done(page)
    counter(page).wait_for(timeout=TIMEOUT)


def boxes(page) -> dict:
    return page.locator("[data-role=player]").evaluate(BOXES_JS)


def assert_whole_inside(page) -> dict:
    """The graph's bounding box is inside the player's stage, and not a speck in it."""
    b = boxes(page)
    g, s = b["graph"], b["stage"]
    slack = 1.5
    assert g["left"] >= s["left"] - slack and g["right"] <= s["right"] + slack, b
    assert g["top"] >= s["top"] - slack and g["bottom"] <= s["bottom"] + slack, b
    # Fitted: the graph spans the stage in its width or its height.
    assert max(g["width"] / s["width"], g["height"] / s["height"]) > 0.95, b
    return b


def wait_fitted(page) -> dict:
    """The player refits on the next animation frames after a resize."""
    page.wait_for_timeout(400)
    return assert_whole_inside(page)


def test_graph_opens_whole_and_refits_after_a_resize(app_page):
    """x² + 3x at a projector's 1280×720 opens whole; a resize to 1920×1080 (a projector
    plugged in) and a zoom then 0 bring the whole graph back, fitted."""
    open_view(app_page, View(program=PRESETS["x² + 3x"]), 1280, 720)
    wait_fitted(app_page)
    app_page.set_viewport_size({"width": 1920, "height": 1080})
    wait_fitted(app_page)
    app_page.set_viewport_size({"width": 1000, "height": 700})
    wait_fitted(app_page)
    stage = app_page.locator("[data-role=stage]")
    stage.hover()
    app_page.mouse.wheel(0, -600)  # zoom in
    expect(app_page.locator("[data-role=view-note]")).to_be_visible()
    app_page.keyboard.press("0")
    expect(app_page.locator("[data-role=view-note]")).to_be_hidden()
    wait_fitted(app_page)


def test_follow_is_an_option_and_says_it_hides_part_of_the_graph(app_page):
    """The two-layer MLP opens whole; Follow zooms onto the active node and says so."""
    open_view(app_page, View(program=PRESETS["Two-layer MLP"]), 1920, 1080)
    wait_fitted(app_page)
    app_page.keyboard.press("ArrowRight")
    wait_fitted(app_page)  # stepping alone never zooms
    app_page.locator("[data-role=follow]").click()
    expect(app_page.locator("[data-role=follow]")).to_have_attribute("aria-pressed", "true")
    note = app_page.locator("[data-role=view-note]")
    expect(note).to_contain_text("out of view")
    note.click()  # the note itself shows the whole graph again
    wait_fitted(app_page)


def card_headers(pass_) -> list[str]:
    """The step card's first line for each frame, as app_ui.card writes it."""
    from app_ui.card import step_markdown

    return [
        step_markdown(pass_, i).split("\n", 1)[0].replace("**", "").replace("`", "")
        for i in range(-1, len(pass_.steps))
    ]


@pytest.mark.parametrize(("width", "height", "present"), [(1920, 1080, False), (1280, 720, True)])
def test_step_card_follows_every_frame_while_playing(app_page, width, height, present):
    """While playing, the card beside the graph says the step the player shows, frame by
    frame, with no message to the server; the card stays in the window."""
    from streamlit.proto.BackMsg_pb2 import BackMsg

    pass_ = engine.run(DEFAULT_PROGRAM).passes[0]
    headers = card_headers(pass_)
    open_view(app_page, View(program=DEFAULT_PROGRAM, present=present), width, height)
    sent = []

    def on_socket(ws):
        ws.on("framesent", lambda payload: sent.append(payload))

    app_page.on("websocket", on_socket)
    app_page.reload()
    wait_script_done(app_page)
    counter(app_page).wait_for(timeout=TIMEOUT)
    app_page.wait_for_timeout(500)
    card = app_page.locator(".st-key-step-card")
    sent.clear()
    app_page.locator("[data-role=play]").click()
    seen = {}
    for _ in range(60):
        # The frame and the card in one evaluation: two reads would let the player step
        # between them, and a card would seem to belong to the frame before its own.
        frame, text = app_page.locator("[data-role=player]").evaluate(
            "p => [p.dataset.step, document.querySelector('.st-key-step-card').innerText]"
        )
        seen.setdefault(int(frame), set()).add(text.split("\n", 1)[0].strip())
        box = card.bounding_box()
        assert box is not None and box["y"] + min(box["height"], 200) <= height, box
        if int(frame) == len(pass_.steps) - 1:
            break
        app_page.wait_for_timeout(150)
    during = [BackMsg.FromString(p).WhichOneof("type") for p in sent if isinstance(p, bytes)]
    # Every step shown was read on the card, with that step's own header and no other.
    for step in range(len(pass_.steps)):
        assert seen.get(step) == {headers[step + 1]}, (step, seen)
    assert "rerun_script" not in during, during


def values_on_screen(page, program: str) -> list[tuple[str, float]]:
    """(text, height in px) of each node's value row, found from the engine's own values."""
    run = engine.run(program)
    values = {fmt_value(n.value) for n in run.passes[0].graph.nodes if n.value is not None}
    values |= {f"= {v}" for v in values}
    return page.locator("[data-role=player]").evaluate(
        """(p, values) => [...p.querySelectorAll('.agx-canvas svg g.node text')]
             .filter(t => values.includes(t.textContent.trim()))
             .map(t => [t.textContent.trim(), t.getBoundingClientRect().height])""",
        sorted(values),
    )


def test_presentation_values_are_big_enough_for_a_room(app_page):
    """In presentation mode at 1280×720 every node value is at least 20 px tall on screen,
    and the graph spans the player, which runs down the window's whole height (its controls
    and the engine's note sit beside it)."""
    open_view(app_page, View(program=DEFAULT_PROGRAM, present=True), 1280, 720)
    b = wait_fitted(app_page)
    shown = values_on_screen(app_page, DEFAULT_PROGRAM)
    assert len(shown) >= 4, shown
    assert min(h for _, h in shown) >= 20, shown
    assert b["stage"]["bottom"] <= 720, b
    assert b["stage"]["height"] >= 0.85 * 720, b  # the window's height, not a box in it
    assert b["graph"]["width"] >= 0.85 * b["stage"]["width"], b  # not a third of its width


def test_left_to_right_fills_the_player_and_survives_a_resize(app_page):
    """Left → right: the whole graph in a player of full height, also after a resize."""
    view = View(program=PRESETS["Two-layer MLP"], options=(("direction", "LR"),))
    open_view(app_page, view, 1920, 1080)
    b = wait_fitted(app_page)
    assert b["stage"]["height"] >= 300, b  # a player, not a strip
    assert b["graph"]["width"] >= 0.95 * b["stage"]["width"], b  # wide: it spans the width
    app_page.set_viewport_size({"width": 1280, "height": 720})
    b = wait_fitted(app_page)
    assert b["graph"]["width"] >= 0.95 * b["stage"]["width"], b


def test_forward_frames_go_leaf_to_op_not_through_accumulate_grad(app_page):
    """In forward frames no edge of an AccumulateGrad lights up; each leaf's value is drawn
    going straight to the op it feeds."""
    data = player_data(engine.run(DEFAULT_PROGRAM).passes[0], DrawOptions(forward=True))
    graph = engine.run(DEFAULT_PROGRAM).passes[0].graph
    accumulate = {n.id for n in graph.nodes if n.kind == g.ACCUMULATE}
    assert accumulate, [n.kind for n in graph.nodes]
    view = View(program=DEFAULT_PROGRAM, options=(("forward", True),))
    open_view(app_page, view, 1400, 900)
    counter(app_page).filter(has_text="forward 0").wait_for(timeout=TIMEOUT)
    forward_colour = data["style"]["forward"]
    app_page.locator("[data-role=stage]").click()
    flows = set()
    for k in range(1, len(data["forward"])):
        app_page.keyboard.press("ArrowRight")
        counter(app_page).filter(has_text=f"forward {k} /").wait_for(timeout=TIMEOUT)
        lit = app_page.locator("[data-role=player]").evaluate(
            """(p, colour) => [...p.querySelectorAll('.agx-canvas svg g.edge')]
                 .filter(g => [...g.children].some(c => c.getAttribute('stroke') === colour))
                 .map(g => g.id)""",
            forward_colour,
        )
        assert lit, k
        touching = [e for e in lit if set(e.split("-")[1:3]) & accumulate]
        assert touching == [], (k, touching)
        flows |= {
            tuple(f)
            for f in app_page.locator("[data-role=flow]").evaluate_all(
                "fs => fs.map(f => [f.dataset.from, f.dataset.to])"
            )
        }
    leaves = {f"node-{n.id}" for n in graph.nodes if n.kind == g.LEAF}
    assert {a for a, _ in flows} == leaves, flows


def test_page_wide_keys_step_with_focus_on_the_page(app_page):
    """With nothing focused (the page body), →, PageDown and PageUp step the player; typing
    in the editor does not; the keys are written on the player."""
    total = steps_of(DEFAULT_PROGRAM)
    counter(app_page).filter(has_text=f"step 0 / {total}").wait_for(timeout=TIMEOUT)
    expect(app_page.locator("[data-role=keys]")).to_contain_text("← →")
    app_page.evaluate("document.activeElement && document.activeElement.blur()")
    assert app_page.evaluate("document.activeElement === document.body")
    app_page.keyboard.press("ArrowRight")
    counter(app_page).filter(has_text=f"step 1 / {total}").wait_for(timeout=TIMEOUT)
    app_page.keyboard.press("PageDown")  # a presenter's clicker
    counter(app_page).filter(has_text=f"step 2 / {total}").wait_for(timeout=TIMEOUT)
    app_page.keyboard.press("PageUp")
    counter(app_page).filter(has_text=f"step 1 / {total}").wait_for(timeout=TIMEOUT)
    editor = app_page.locator('[data-testid="stTextArea"] textarea')
    editor.focus()
    app_page.keyboard.press("ArrowRight")
    app_page.wait_for_timeout(300)
    expect(counter(app_page)).to_have_text(f"step 1 / {total}")
