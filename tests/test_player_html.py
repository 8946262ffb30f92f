"""The standalone HTML player: loads nothing from the network and steps in real Chromium."""

from __future__ import annotations

import json
import re

import pytest

import engine
from graphviz_utils import export, player_data

LESSON = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"


@pytest.fixture(scope="module")
def lesson():
    run = engine.run(LESSON)
    assert run.ok, run.error
    return run.passes[-1]


def test_player_data_is_json_with_a_frame_per_step(lesson):
    """player_data is JSON-able: the SVG once, frame 0 before backward, one frame per step."""
    data = json.loads(json.dumps(player_data(lesson)))
    assert data["svg"].startswith("<svg")
    assert len(data["frames"]) == len(lesson.steps) + 1
    assert data["frames"][0]["step"] is None
    assert [f["step"] for f in data["frames"][1:]] == list(range(len(lesson.steps)))


def test_html_references_nothing_outside(lesson):
    """No src= or href= to anything but fragments; the only URLs are SVG namespace names."""
    page = export(lesson, "html").decode()
    assert not re.search(r"""(src|href)\s*=\s*["'](?!#)""", page)
    urls = set(re.findall(r"https?://[^\s\"'\\]+", page))
    assert urls <= {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xlink"}


@pytest.mark.browser
def test_html_plays_offline_in_chromium(lesson, browser, tmp_path):
    """Opened from file://, the page makes no request, and → advances the step counter."""
    path = tmp_path / "player.html"
    export(lesson, path)
    page = browser.new_page()
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri())
    counter = page.locator("[data-role=counter]")
    assert counter.inner_text() == f"step 0 / {len(lesson.steps)}"
    page.locator("[data-role=player]").click()
    page.keyboard.press("ArrowRight")
    assert counter.inner_text() == f"step 1 / {len(lesson.steps)}"
    page.keyboard.press("ArrowLeft")
    assert counter.inner_text() == f"step 0 / {len(lesson.steps)}"
    assert errors == []
    assert requests == [path.as_uri()]
    page.close()


@pytest.mark.browser
def test_player_fills_grads_and_moves_a_token(lesson, browser, tmp_path):
    """At the last frame w.grad is shown; stepping to the Dot step starts a travelling token."""
    path = tmp_path / "player.html"
    export(lesson, path)
    page = browser.new_page()
    page.goto(path.as_uri())
    page.locator("[data-role=player]").click()
    page.keyboard.press("End")
    w = next(n.id for n in lesson.graph.nodes if n.label == "w")
    shown = page.evaluate(f"() => document.getElementById('node-{w}').textContent")
    assert "w.grad = [1.0, 2.0, 3.0]" in shown
    page.keyboard.press("Home")
    for _ in range(next(s.index for s in lesson.steps if s.op == "DotBackward0") + 1):
        page.keyboard.press("ArrowRight")
    token = page.locator("[data-role=token]")
    assert token.count() >= 1
    page.wait_for_function(
        "() => document.querySelector('[data-role=token]').getAttribute('cx') !== null"
    )
    page.close()


@pytest.mark.browser
def test_player_mounts_in_a_shadow_root(lesson, browser, tmp_path):
    """mountPlayer works inside a ShadowRoot, as the app's component uses it."""
    data = player_data(lesson)
    js = __import__("graphviz_utils").__path__[0] + "/player.js"
    page = browser.new_page()
    page.set_content("<div id=host></div>")
    page.add_script_tag(path=js)
    page.evaluate(
        """data => { window.seen = [];
            const root = document.getElementById('host').attachShadow({mode: 'open'});
            mountPlayer(root, data, i => window.seen.push(i)); }""",
        data,
    )
    page.locator("#host").locator("[data-role=next]").click()
    assert page.evaluate("window.seen") == [0]
    page.close()
