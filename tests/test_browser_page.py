"""The page around the player, in real Chromium (issue 15's page items): presentation mode's
picker and editor, the person's own program kept, printed output and notes in view, the
share link's variables, the dark theme, the card's header at 1280 wide, and a phone."""

import contextlib
import io
from urllib.parse import urlsplit

import pytest
import torch
from conftest import wait_script_done
from playwright.sync_api import expect
from test_browser_app import CARD_MODEL, TIMEOUT, svg_text, type_program

import engine
from engine.values import fmt_value

pytestmark = pytest.mark.browser

EDITOR = '[data-testid="stTextArea"] textarea'
PRINTING = """\
import torch

x = torch.tensor([2.0, 3.0], requires_grad=True)
y = x**2 + 3*x
print("y:", y)
"""


def printed(program: str) -> str:
    """What CPython prints for a program (the app must show the same)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(program, {})
    return out.getvalue()


def box(locator) -> dict:
    locator.wait_for(timeout=TIMEOUT)
    found = locator.bounding_box()
    assert found is not None, "the element is not rendered"
    return found


def test_presentation_mode_picks_examples_and_edits_live(app_page):
    """At a projector's 1280×720, presentation mode has an example picker and an editor that
    opens in place: a lecturer switches to a pitfall and types a model without leaving it."""
    app_page.set_viewport_size({"width": 1280, "height": 720})
    app_page.goto(f"{app_page.app_url}/?view=present")
    wait_script_done(app_page)
    picker = app_page.locator(".st-key-picker").get_by_role("combobox", name="Example")
    picker.click()
    app_page.get_by_role("option", name="x² + 3x", exact=True).click()
    svg_text(app_page, "PowBackward0").first.wait_for(timeout=TIMEOUT)
    picker.click()
    app_page.get_by_role("option", name="Pitfall: Backward twice").click()
    alert = app_page.locator('[data-testid="stAlertContentError"]')
    alert.filter(has_text="second time").first.wait_for(timeout=TIMEOUT)
    expect(app_page.locator(EDITOR)).to_have_count(0)  # folded away until wanted
    app_page.get_by_text("Edit the program").click()
    program = CARD_MODEL.replace("param(1.0)", "param(5.0)")
    type_program(app_page, program)
    w, x = torch.tensor([0.1, 0.2, 0.3]), torch.tensor([1.0, 2.0, 3.0])
    expected = f"= {fmt_value((torch.dot(w, x) + 5.0).item())}"
    expect(svg_text(app_page, expected).first).to_be_visible()
    expect(app_page.get_by_text("Presentation mode")).to_be_visible()  # still in the mode
    assert "view=present" in app_page.url


def test_a_preset_click_keeps_the_own_program_for_one_click_and_for_back(app_page):
    """A preset replaces the editor's text; "Bring back my program" restores the person's
    own, and so does the browser's Back button after another preset."""
    own = "x = param(3.0)\ny = x * x * 2\n"
    editor = app_page.locator(EDITOR)
    type_program(app_page, own)
    svg_text(app_page, "MulBackward0").first.wait_for(timeout=TIMEOUT)
    app_page.get_by_role("button", name="x² + 3x").click()
    svg_text(app_page, "PowBackward0").first.wait_for(timeout=TIMEOUT)
    app_page.get_by_role("button", name="Bring back my program").click()
    expect(editor).to_have_value(own)
    expect(svg_text(app_page, "PowBackward0")).to_have_count(0)
    expect(app_page.get_by_role("button", name="Bring back my program")).to_have_count(0)
    wait_script_done(app_page)
    app_page.get_by_role("button", name="Sigmoid neuron").click()
    svg_text(app_page, "SigmoidBackward0").first.wait_for(timeout=TIMEOUT)
    wait_script_done(app_page)
    app_page.go_back()
    expect(editor).to_have_value(own)
    expect(svg_text(app_page, "SigmoidBackward0")).to_have_count(0)


def test_printed_output_beside_the_editor_and_notes_above_the_graph(app_page):
    """What the program prints shows under the editor, and the engine's note (y is not a
    scalar, so ...) right above the graph: both in view, with no tab to open."""
    type_program(app_page, PRINTING)
    out = printed(PRINTING).strip()
    (note,) = engine.run(PRINTING).notes
    shown = app_page.locator(".st-key-printed pre")
    expect(shown).to_have_text(out)
    notes = app_page.locator(".st-key-engine-notes").get_by_text(note)
    expect(notes).to_be_visible()
    height = app_page.viewport_size["height"]
    player, editor = box(app_page.locator(".agx-stage").first), box(app_page.locator(EDITOR))
    printed_box, note_box = box(shown), box(notes)
    assert printed_box["y"] + printed_box["height"] <= height, "printed output below the fold"
    assert printed_box["x"] + printed_box["width"] <= player["x"], "not beside the editor"
    assert printed_box["y"] > editor["y"]
    assert note_box["y"] + note_box["height"] <= player["y"], "the note is not above the graph"


def set_variable(page, value: str) -> None:
    """Type a value into the first row of the variables table (a canvas grid)."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    area = box(grid)
    # name | value | requires_grad, one row: the value cell is the middle column's first row.
    page.mouse.dblclick(area["x"] + area["width"] * 0.5, area["y"] + 35 + 17)
    overlay = page.locator("#portal textarea").first  # the grid's cell editor
    overlay.wait_for(timeout=TIMEOUT)
    overlay.fill(value)
    overlay.press("Enter")


def test_share_link_reopens_with_the_variables_table(app_page):
    """With a = 3.0 typed in the variables table, the Share link reopens with a = 3.0."""
    app_page.get_by_role("button", name="Shared variable a·a + a").click()
    a = torch.tensor(3.0, requires_grad=True)
    y = a * a + a
    expected = f"= {fmt_value(y.item())}"
    svg_text(app_page, "MulBackward0").first.wait_for(timeout=TIMEOUT)
    wait_script_done(app_page)
    set_variable(app_page, "3.0")
    svg_text(app_page, expected).first.wait_for(timeout=TIMEOUT)
    wait_script_done(app_page)
    app_page.get_by_role("button", name="Share", exact=True).click()
    link = app_page.locator('[data-testid="stCode"] code').filter(has_text="?p=")
    url = link.first.inner_text(timeout=TIMEOUT).strip()
    parts = urlsplit(url)
    assert parts.query, url
    fresh = app_page.context.new_page()
    fresh.goto(f"{app_page.app_url}/?{parts.query}")
    wait_script_done(fresh)
    svg_text(fresh, expected).first.wait_for(timeout=TIMEOUT)
    grid = fresh.locator('[data-testid="stDataFrame"]').first
    expect(grid).to_be_visible()
    fresh.close()


def luminance(css_color: str) -> float:
    """Relative brightness (0 black .. 1 white) of an rgb()/rgba() colour."""
    inside = css_color[css_color.index("(") + 1 : css_color.index(")")]
    r, g, b = (float(v) / 255 for v in inside.replace("/", ",").split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_dark_theme_darkens_the_page_not_only_the_graph(app_page):
    """Picking the dark theme in Graph options turns the page around the graph dark too,
    with light text on it."""
    app_page.get_by_role("button", name="Graph options").click()
    app_page.get_by_text("Theme", exact=True).wait_for(timeout=TIMEOUT)
    app_page.get_by_role("combobox", name="Theme").click()
    app_page.get_by_role("option", name="dark", exact=True).click()
    wait_script_done(app_page)
    app_page.keyboard.press("Escape")
    background = app_page.locator('[data-testid="stApp"]')
    expect(background).not_to_have_css("background-color", "rgb(255, 255, 255)")
    page_bg = background.evaluate("e => getComputedStyle(e).backgroundColor")
    assert luminance(page_bg) < 0.15, page_bg
    card = app_page.locator(".st-key-step-card p").first
    text = card.evaluate("e => getComputedStyle(e).color")
    assert luminance(text) > 0.7, text
    editor_bg = app_page.locator(EDITOR).evaluate("e => getComputedStyle(e).backgroundColor")
    assert luminance(editor_bg) < 0.2, editor_bg


def test_the_cards_grad_header_stays_on_one_line_at_1280(app_page):
    """At 1280 wide the card's `.grad` header is one line, as tall as its neighbours, even
    beside the two-layer MLP's long weight matrices."""
    app_page.set_viewport_size({"width": 1280, "height": 720})
    app_page.get_by_role("button", name="Two-layer MLP").click()
    svg_text(app_page, "AddmmBackward0").first.wait_for(timeout=TIMEOUT)
    wait_script_done(app_page)
    heads = app_page.locator(".st-key-step-card th")
    expect(heads.filter(has_text=".grad")).to_have_count(1)
    grad, leaf = box(heads.filter(has_text=".grad")), box(heads.filter(has_text="leaf"))
    assert grad["height"] <= leaf["height"] + 1, (grad, leaf)
    # One rectangle per line the header's text runs over (plain text or `code`).
    lines = heads.filter(has_text=".grad").evaluate(
        "e => { const r = document.createRange(); r.selectNodeContents(e);"
        " return new Set([...r.getClientRects()].map(q => Math.round(q.top))).size; }"
    )
    assert lines == 1, f".grad spans {lines} lines"


def test_on_a_phone_the_step_card_is_in_view_with_the_graph(app_page):
    """At 390×844 the card stays on screen while the graph is scrolled into view and
    stepped, instead of a long scroll below it."""
    app_page.set_viewport_size({"width": 390, "height": 844})
    app_page.reload()
    wait_script_done(app_page)
    stage = app_page.locator(".agx-stage").first
    stage.scroll_into_view_if_needed()
    app_page.locator("[data-role=next]").first.click()
    card = app_page.locator(".st-key-step-card")
    card.filter(has_text="Step 1 of").wait_for(timeout=TIMEOUT)
    found = box(card)
    assert found["y"] >= 0 and found["y"] + found["height"] <= 844 + 1, found
    assert found["height"] < 844 * 0.5, "the card hides most of the screen"
    graph = box(stage)
    visible = min(graph["y"] + graph["height"], found["y"]) - max(graph["y"], 0)
    assert visible > 150, "the graph is hidden behind the card"


def test_the_dot_operator_hint_is_in_view_and_at_draws_the_same_dot(app_page):
    """Under the editor, a visible line says how to type · (or @); `w @ x` draws the same
    DotBackward0 that torch records for a dot product."""
    hint = app_page.get_by_text("or type w @ x")
    expect(hint).to_be_visible()
    editor = box(app_page.locator(EDITOR))
    found = box(hint)
    assert 0 <= found["y"] - (editor["y"] + editor["height"]) < 80, "not under the editor"
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    name = (w @ torch.tensor([1.0, 2.0, 3.0])).grad_fn.name()
    type_program(app_page, CARD_MODEL.replace("w·x", "w @ x").replace("param(1.0)", "param(2.0)"))
    y = (w @ torch.tensor([1.0, 2.0, 3.0])).item() + 2.0
    expect(svg_text(app_page, f"= {fmt_value(y)}").first).to_be_visible()
    expect(svg_text(app_page, name)).to_have_count(1)
