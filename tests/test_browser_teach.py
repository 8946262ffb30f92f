"""The teaching content in real Chromium: pitfalls drawn where backward broke, and a
multi-pass lesson that opens on the pass making its point, with a stepper saying why."""

import re
from pathlib import Path

import pytest
import torch
from playwright.sync_api import expect
from test_browser_app import TIMEOUT, svg_text

from app_ui.page import STOPPED_HINT
from engine.values import fmt_value

pytestmark = pytest.mark.browser


def open_pitfall(page, name: str) -> None:
    page.get_by_role("button", name=name, exact=True).click()


def test_in_place_pitfall_draws_its_graph_marked_at_the_saved_tensor(app_page):
    """In-place breaks backward: the SVG shows σ with ✗ at its saved result and the versions."""
    # What torch itself says of the pitfall's program: σ saved its result, now at a new version.
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = a.sigmoid()
    b.mul_(2)
    sigmoid = b.grad_fn.next_functions[0][0]
    (saved,) = (n.removeprefix("_saved_") for n in dir(sigmoid) if n.startswith("_saved_"))
    with pytest.raises(RuntimeError) as raised:
        b.sum().backward()
    found = re.search(r"version (\d+); expected version (\d+)", str(raised.value))
    open_pitfall(app_page, "In-place breaks backward")
    svg_text(app_page, f"✗ saved {saved} b changed in place").wait_for(timeout=TIMEOUT)
    expect(svg_text(app_page, "version {}, expected {}".format(*found.groups()))).to_have_count(1)
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


def test_download_menu_gives_a_sixteen_by_nine_png(app_page):
    """With "16:9 slide" on, the PNG download is slide-shaped and full-HD wide at least."""
    import io

    from PIL import Image

    app_page.get_by_role("button", name="Download", exact=True).click()
    app_page.get_by_text("16:9 slide").click()
    with app_page.expect_download(timeout=60_000) as info:
        app_page.get_by_role("button", name="PNG of this step").click()
    assert info.value.suggested_filename.endswith("-16x9.png")
    image = Image.open(io.BytesIO(Path(info.value.path()).read_bytes()))
    assert image.width >= 1920 and abs(image.width / image.height - 16 / 9) < 0.01
