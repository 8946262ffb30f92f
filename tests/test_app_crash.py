"""A program that crashes PyTorch, in the app: one line for its author, nothing for anyone else.

The worker child that ran it dies of the signal; the server, its other sessions and the
author's next program go on as if nothing happened. AppTest in-process, then real Chromium.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
import torch
from streamlit.testing.v1 import AppTest

from engine.values import fmt_value

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
from app_ui.tables import PASS_COLUMN  # noqa: E402

SEGFAULT = "import ctypes\nctypes.string_at(0)\n"
CRASH = "line 2: Crash: the program crashed PyTorch (segmentation fault)"
LESSON = (
    "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\ny = x**2 + 3*x\n"
    "y.sum().backward()\n"
)
CARD = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"
GOOD = "x = param([1.5, -2.0])\ny = x·x + 4.0\n"  # y = |x|² + 4: dy/dx = 2x


def tensor_rows(at: AppTest) -> dict[str, dict[str, str]]:
    """The Tensors tab's Markdown table, by name (bold and code marks dropped)."""
    text = next(m.value for m in at.markdown if m.value.startswith("| name |"))
    lines = [ln.strip().strip("|").split(" | ") for ln in text.splitlines()]
    head = [c.strip() for c in lines[0]]
    rows = [
        dict(zip(head, (c.strip().strip("*`").replace("\\|", "|") for c in cells), strict=True))
        for cells in lines[2:]
    ]
    return {row["name"]: row for row in rows}


def player_svg(at: AppTest) -> str:
    """The SVG the app hands its player component."""
    data = json.loads(at.get("bidi_component")[0].proto.json)
    return json.loads(data["player"])["svg"]


def session() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    return at


def test_a_segfault_is_one_message_and_other_sessions_go_on():
    """Session A's segfault: one st.error with the crash and its line. Session B's lesson
    program, in the same process, is computed and drawn right; A's next program too."""
    a, b = session(), session()

    a.text_area(key="program").input(SEGFAULT).run()
    assert not a.exception
    errors = [e.value for e in a.error]
    assert len(errors) == 1, errors
    assert errors[0].splitlines()[0] == CRASH  # then the quoted line, `  2 | ctypes...`
    assert "ctypes.string_at(0)" in errors[0]
    assert "Traceback" not in errors[0]

    b.text_area(key="program").input(LESSON).run()
    assert not b.exception
    assert [e.value for e in b.error] == []
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    y = x**2 + 3 * x
    y.sum().backward()
    rows = tensor_rows(b)
    assert rows["x"]["value"] == fmt_value(x.tolist())
    assert rows["x"]["grad"] == fmt_value(x.grad.tolist())
    assert rows["y"]["value"] == fmt_value(y.tolist())
    svg = player_svg(b)
    assert "PowBackward0" in svg and "AccumulateGrad" in svg

    a.text_area(key="program").input(GOOD).run()
    assert not a.exception
    assert [e.value for e in a.error] == []
    rows = tensor_rows(a)
    assert rows["x"][PASS_COLUMN] == fmt_value([3.0, -4.0])
    assert "DotBackward0" in player_svg(a)
    assert not b.exception


# ----- real Chromium ---------------------------------------------------------------------------

SHOTS = Path("/tmp/shots")
TIMEOUT = 60_000


@pytest.mark.browser
def test_browser_crash_in_one_page_leaves_the_other_page_and_server_alone(streamlit_server,
                                                                          browser):  # fmt: skip
    """Two pages on one server: A segfaults, B draws the card model; A's message is one line;
    the server answers its health check; A's next program is drawn."""
    from conftest import wait_script_done
    from playwright.sync_api import expect
    from test_browser_app import svg_text, type_program

    url, _ = streamlit_server
    contexts = [browser.new_context(viewport={"width": 1400, "height": 900}) for _ in "ab"]
    try:
        page_a, page_b = (c.new_page() for c in contexts)
        for page in (page_a, page_b):
            page.goto(url)
            wait_script_done(page)

        type_program(page_a, SEGFAULT)
        type_program(page_b, CARD)

        svg_text(page_b, "DotBackward0").first.wait_for(timeout=TIMEOUT)
        expect(svg_text(page_b, "AccumulateGrad")).to_have_count(2, timeout=TIMEOUT)  # w, b
        w, b = torch.tensor([0.1, 0.2, 0.3]), 1.0
        y = torch.dot(w, torch.tensor([1.0, 2.0, 3.0])).item() + b
        expect(svg_text(page_b, f"= {fmt_value(y)}").first).to_be_visible(timeout=TIMEOUT)

        alert = page_a.locator('[data-testid="stAlertContentError"]')
        alert.filter(has_text=CRASH).wait_for(timeout=TIMEOUT)
        wait_script_done(page_a)
        expect(alert).to_have_count(1)
        # The text is the icon's name ("error"), the one line, and the program's line quoted.
        lines = [ln.strip() for ln in alert.inner_text().splitlines() if ln.strip()]
        assert [ln for ln in lines if "Crash" in ln] == [CRASH], lines
        assert lines[-1] == "2 | ctypes.string_at(0)", lines
        assert page_a.locator('[data-testid="stException"]').count() == 0
        assert "Traceback" not in page_a.locator('[data-testid="stApp"]').inner_text()

        SHOTS.mkdir(parents=True, exist_ok=True)
        page_a.screenshot(path=str(SHOTS / "crash-page-a.png"), full_page=True)
        page_b.screenshot(path=str(SHOTS / "card-page-b.png"), full_page=True)

        with urllib.request.urlopen(url + "/_stcore/health", timeout=10) as r:
            assert r.status == 200 and r.read().strip() == b"ok"

        type_program(page_a, GOOD)
        svg_text(page_a, "DotBackward0").first.wait_for(timeout=TIMEOUT)
        expect(alert).to_have_count(0, timeout=TIMEOUT)
        page_a.screenshot(path=str(SHOTS / "good-page-a.png"), full_page=True)
        assert re.search(r"AccumulateGrad", page_a.locator(".agx-canvas svg").inner_html())
    finally:
        for c in contexts:
            c.close()
