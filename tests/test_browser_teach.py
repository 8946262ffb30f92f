"""The teaching content in real Chromium: pitfalls drawn where backward broke, and a
multi-pass lesson that opens on the pass making its point, with a stepper saying why."""

import sys
from pathlib import Path

import pytest
import torch
from playwright.sync_api import expect
from test_browser_app import TIMEOUT, svg_text

import engine
from engine.values import fmt_value

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # app_ui lives beside app.py
from app_ui.page import STOPPED_HINT

pytestmark = pytest.mark.browser


def open_pitfall(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def test_in_place_pitfall_draws_its_graph_marked_at_the_saved_tensor(app_page):
    """In-place breaks backward: the SVG shows σ with ✗ at its saved result and the versions."""
    from app_ui.scenarios import SCENARIOS

    broken = engine.run(SCENARIOS["In-place breaks backward"].program).passes[-1].broke
    open_pitfall(app_page, "In-place breaks backward")
    svg_text(app_page, f"✗ saved result {broken.tensor} changed in place").wait_for(timeout=TIMEOUT)
    expect(
        svg_text(app_page, f"version {broken.version}, expected {broken.expected}")
    ).to_have_count(1)
    expect(svg_text(app_page, "SigmoidBackward0")).to_have_count(1)
    expect(app_page.get_by_text(STOPPED_HINT)).to_have_count(0)
    alert = app_page.locator('[data-testid="stAlertContentError"]')
    alert.filter(has_text="Autograd recorded the graph").wait_for(timeout=TIMEOUT)


def test_non_scalar_pitfall_draws_its_graph_marked_at_the_output(app_page):
    """Non-scalar output: the SVG shows the vector output with torch's own words."""
    open_pitfall(app_page, "Non-scalar output")
    svg_text(app_page, "only for scalar outputs").wait_for(timeout=TIMEOUT)
    expect(svg_text(app_page, "✗ backward() needs a scalar:")).to_have_count(1)
    expect(svg_text(app_page, "AddBackward0")).to_have_count(1)
    expect(app_page.get_by_text(STOPPED_HINT)).to_have_count(0)


def test_accumulation_lesson_opens_on_the_pass_that_adds_up(app_page):
    """Forgot zero_(): the stepper is on #3, w.grad 18 → 27 as torch gives, and every pass's
    label says its .grad before → after."""
    w = torch.tensor(1.0, requires_grad=True)
    grads = []
    for _ in range(3):
        ((w * 3) ** 2 / 2).backward()
        grads.append(fmt_value(w.grad.item()))
    labels = [f"#1 · w.grad — → {grads[0]}", f"#2 · w.grad {grads[0]} → {grads[1]}",
              f"#3 · w.grad {grads[1]} → {grads[2]}"]  # fmt: skip
    open_pitfall(app_page, "Forgot zero_()")
    # The stepper is a row of radio buttons, one per pass, the one on screen checked.
    expect(app_page.get_by_role("radio", name=labels[2], exact=True)).to_be_checked()
    for label in labels:
        expect(app_page.get_by_role("radio", name=label, exact=True)).to_have_count(1)
    # The player and card show pass #3: w.grad already holds 18 before it starts.
    svg_text(app_page, f"w.grad = {grads[1]}").wait_for(timeout=TIMEOUT)
    app_page.get_by_role("radio", name=labels[0], exact=True).click()
    expect(app_page.get_by_role("radio", name=labels[0], exact=True)).to_be_checked()
    expect(svg_text(app_page, f"w.grad = {grads[1]}")).to_have_count(0)
