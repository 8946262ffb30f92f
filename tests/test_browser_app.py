"""The app in real Chromium, through the harness in conftest.py."""

import io
import re
from pathlib import Path

import pytest
import torch
from conftest import wait_script_done
from PIL import Image
from playwright.sync_api import expect

import engine
from app_ui.share import encode_program
from engine.values import fmt_value

pytestmark = pytest.mark.browser

CARD_MODEL = """\
x = [1.0, 2.0, 3.0]
w = param([0.1, 0.2, 0.3])
b = param(1.0)
y = w·x + b
"""
TIMEOUT = 30_000
# Under a loaded CI machine a rerun can outlast expect()'s 5 s default.
expect.set_options(timeout=TIMEOUT)


def steps_of(program: str) -> int:
    """How many backward steps the engine records for a program (the player's last frame)."""
    return len(engine.run(program).passes[0].steps)


def svg_text(page, text: str):
    """Text elements of the player's SVG that read exactly `text` (CSS pierces shadow roots)."""
    return page.locator(".agx-canvas svg text").filter(has_text=re.compile(f"^{re.escape(text)}$"))


def counter(page):
    return page.locator("[data-role=counter]")


def type_program(page, program: str) -> None:
    editor = page.locator('[data-testid="stTextArea"] textarea')
    editor.fill(program)
    editor.press("Control+Enter")


def test_page_loads_with_editor(app_page):
    """Chromium loads the page and finds the program editor with the default model."""
    editor = app_page.locator('[data-testid="stTextArea"] textarea')
    editor.wait_for(timeout=30_000)
    assert "param(" in editor.input_value()
    assert app_page.title() == "Autograd Explorer"
    icons = app_page.evaluate("[...document.querySelectorAll('link[rel~=icon]')].map(l => l.href)")
    assert icons and all(h.startswith("data:image/svg+xml") for h in icons), icons  # our own ∂


def test_typed_model_draws_dot_and_accumulate_grad(app_page):
    """Typing the card's model draws DotBackward0 and AccumulateGrad nodes in the SVG."""
    app_page.get_by_role("button", name="x² + 3x").click()
    svg_text(app_page, "PowBackward0").first.wait_for(timeout=TIMEOUT)
    expect(svg_text(app_page, "DotBackward0")).to_have_count(0, timeout=TIMEOUT)
    type_program(app_page, CARD_MODEL)
    svg_text(app_page, "DotBackward0").first.wait_for(timeout=TIMEOUT)
    expect(svg_text(app_page, "PowBackward0")).to_have_count(0, timeout=TIMEOUT)
    assert svg_text(app_page, "AccumulateGrad").count() == 2  # one per leaf: w and b


def test_play_reaches_the_end_and_fills_every_leaf_grad(app_page):
    """Play runs to the last step in the browser; every leaf's .grad appears, as torch says."""
    total = steps_of(CARD_MODEL)
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    (torch.dot(w, torch.tensor([1.0, 2.0, 3.0])) + b).backward()
    app_page.locator("[data-role=speed]").select_option("4")
    app_page.locator("[data-role=play]").click()
    counter(app_page).filter(has_text=f"step {total} / {total}").wait_for(timeout=TIMEOUT)
    for name, tensor in (("w", w), ("b", b)):
        expected = f"{name}.grad = {fmt_value(tensor.grad.tolist())}"
        svg_text(app_page, expected).wait_for(timeout=TIMEOUT)
    card = app_page.locator(".st-key-step-card")
    card.filter(has_text=f"Step {total} of {total}").wait_for(timeout=TIMEOUT)


def test_keyboard_steps_forward_and_back(app_page):
    """→ and ← step the player; the step goes back to Python (card and URL follow)."""
    total = steps_of(CARD_MODEL)
    app_page.locator(".agx-stage").click()
    app_page.keyboard.press("ArrowRight")
    app_page.keyboard.press("ArrowRight")
    counter(app_page).filter(has_text=f"step 2 / {total}").wait_for(timeout=TIMEOUT)
    app_page.keyboard.press("ArrowLeft")
    counter(app_page).filter(has_text=f"step 1 / {total}").wait_for(timeout=TIMEOUT)
    card = app_page.locator(".st-key-step-card")
    card.filter(has_text=f"Step 1 of {total}").wait_for(timeout=TIMEOUT)
    app_page.wait_for_url("**s=0**", timeout=TIMEOUT)


def test_share_link_opens_the_same_view(app_page):
    """A link with the program and step opens that program at that step."""
    program = "x = param([2.0, 3.0])\ny = x**2 + 3*x\n"
    app_page.goto(f"{app_page.app_url}/?p={encode_program(program)}&s=1")
    wait_script_done(app_page)
    editor = app_page.locator('[data-testid="stTextArea"] textarea')
    editor.wait_for(timeout=TIMEOUT)
    assert editor.input_value() == program
    total = steps_of(program)
    counter(app_page).filter(has_text=f"step 2 / {total}").wait_for(timeout=TIMEOUT)
    app_page.locator(".st-key-step-card").filter(has_text=f"Step 2 of {total}").wait_for(
        timeout=TIMEOUT
    )


def test_download_png_of_the_current_step(app_page):
    """The Download menu gives a real PNG of the graph."""
    app_page.get_by_role("button", name="Download", exact=True).click()
    with app_page.expect_download(timeout=60_000) as info:
        app_page.get_by_role("button", name="PNG of this step").click()
    data = Path(info.value.path()).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    image = Image.open(io.BytesIO(data))
    assert image.width > 200 and image.height > 200


def test_scenario_shows_error_and_guidance_not_a_traceback(app_page):
    """In Chromium, a pitfall shows the engine's message and its guidance, and no traceback."""
    from app_ui.scenarios import SCENARIOS

    scenario = SCENARIOS["In-place breaks backward"]
    app_page.get_by_role("button", name="In-place breaks backward").click()
    alert = app_page.locator('[data-testid="stAlertContentError"]')
    alert.filter(has_text="modified by an inplace operation").wait_for(timeout=TIMEOUT)
    guidance = app_page.locator(".st-key-guidance")
    guidance.filter(has_text=scenario.guidance).wait_for(timeout=TIMEOUT)
    assert app_page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in app_page.locator('[data-testid="stApp"]').inner_text()


def test_forward_option_plays_values_first_and_caption_follows_play(app_page):
    """'Show the forward pass first': forward frames come first; the caption hides when paused
    on a backward step (the card explains it) and shows while playing."""
    total = steps_of(CARD_MODEL)
    caption = app_page.locator("[data-role=caption]")
    counter(app_page).filter(has_text=f"step 0 / {total}").wait_for(timeout=TIMEOUT)
    expect(caption).to_be_hidden()
    app_page.get_by_role("button", name="Graph options").click()
    app_page.get_by_text("Show the forward pass first").click()
    counter(app_page).filter(has_text="forward 0 / 3").wait_for(timeout=TIMEOUT)
    wait_script_done(app_page)  # the rerun's old player is gone, only the new one is left
    expect(svg_text(app_page, "= 1.4")).to_be_hidden()
    expect(caption).to_contain_text("Before forward")
    app_page.locator(".agx-stage").click()
    app_page.keyboard.press("ArrowRight")
    counter(app_page).filter(has_text="forward 1 / 3").wait_for(timeout=TIMEOUT)
    expect(svg_text(app_page, "= 1.4")).to_be_visible()
    expect(svg_text(app_page, "= 2.4")).to_be_hidden()
    expect(caption).to_contain_text("Forward 1 of 3: w · x = 1.4")
    app_page.keyboard.press("End")
    counter(app_page).filter(has_text=f"step {total} / {total}").wait_for(timeout=TIMEOUT)
    expect(caption).to_be_hidden()
    app_page.locator(".st-key-step-card").filter(has_text=f"Step {total} of {total}").wait_for(
        timeout=TIMEOUT
    )
    app_page.keyboard.press("Space")
    expect(caption).to_be_visible()


def test_an_edit_reruns_only_the_workspace_and_presentation_mode_round_trips(app_page):
    """Typing asks for a run of the workspace fragment only (the title and examples are not
    rebuilt); leaving presentation mode from beside the graph brings them back (a full run).
    """
    from streamlit.proto.BackMsg_pb2 import BackMsg

    requests = []  # (fragment id or "", ...) of every rerun the page asks for

    def on_socket(ws):
        def sent(payload):
            if isinstance(payload, bytes):
                msg = BackMsg.FromString(payload)
                if msg.WhichOneof("type") == "rerun_script":
                    requests.append(msg.rerun_script.fragment_id)

        ws.on("framesent", sent)

    app_page.on("websocket", on_socket)
    app_page.reload()
    svg_text(app_page, "y").first.wait_for(timeout=TIMEOUT)
    wait_script_done(app_page)
    requests.clear()
    program = CARD_MODEL.replace("param(1.0)", "param(5.0)")
    type_program(app_page, program)
    w, x = torch.tensor([0.1, 0.2, 0.3]), torch.tensor([1.0, 2.0, 3.0])
    expect(
        svg_text(app_page, f"= {fmt_value((torch.dot(w, x) + 5.0).item())}").first
    ).to_be_visible()
    wait_script_done(app_page)
    assert requests and all(requests), f"the edit asked for a full run: {requests}"
    title = app_page.get_by_role("heading", name="Autograd Explorer")
    app_page.get_by_text("Presentation mode").first.click()
    expect(title).to_have_count(0)
    expect(app_page.locator('[data-testid="stTextArea"]')).to_have_count(0)
    app_page.get_by_text("Presentation mode").first.click()
    expect(title).to_be_visible()
    expect(app_page.locator('[data-testid="stTextArea"] textarea')).to_have_value(program)
