"""Presentation mode's compact slide drawing, in real Chromium (issue 15, item 4).

At a projector's 1280×720 the lesson's own examples are drawn with values a room can read,
and the compact drawing still shows every node the normal view shows, none on another, its
texts inside it, and the .grad rows the player fills in as the pass runs.
"""

from __future__ import annotations

import pytest
from test_browser_app import TIMEOUT, counter
from test_browser_player import open_view, values_on_screen, wait_fitted

import engine
from app_ui.presets import PRESETS
from app_ui.share import View
from graphviz_utils import DrawOptions, player_data
from graphviz_utils.draw import scene

pytestmark = pytest.mark.browser

# Each node's outline box and the boxes of its texts, in page pixels.
NODES_JS = """p => [...p.querySelectorAll('.agx-canvas svg g.node')].map(g => {
  const box = e => { const r = e.getBoundingClientRect();
                     return [r.left, r.top, r.right, r.bottom]; };
  const outline = [...g.children].filter(c => ['polygon', 'ellipse', 'path'].includes(c.tagName));
  return {id: g.id, shape: box(outline[outline.length - 1]),
          texts: [...g.querySelectorAll('text')].filter(t => t.textContent.trim()).map(box)};
})"""
LAST_TEXTS_JS = """(p, ids) => ids.map(id => {
  const t = [...p.querySelector(`.agx-canvas svg [id="${id}"]`).querySelectorAll('text')].pop();
  return [id, t.textContent.trim(), t.getAttribute('visibility')];
})"""

# The lesson's three examples (app_ui.presets puts them first).
LESSON = ["x² + 3x", "no_grad & detach", "Linear model w·x + b"]


def overlap(a, b) -> float:
    """The area two boxes (left, top, right, bottom) share."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return max(0.0, w) * max(0.0, h)


@pytest.mark.parametrize("name", LESSON)
def test_lesson_examples_read_from_the_back_of_a_room(app_page, name):
    """Values ≥ 20 px at 1280×720; every node of the normal view drawn, none overlapping,
    every text inside its node; at the last step each leaf's .grad row (still the node's last
    line) reads what backward put there."""
    program = PRESETS[name]
    pass_ = engine.run(program).passes[0]
    open_view(app_page, View(program=program, present=True), 1280, 720)
    wait_fitted(app_page)
    shown = values_on_screen(app_page, program)
    assert shown and min(h for _, h in shown) >= 20, shown

    nodes = app_page.locator("[data-role=player]").evaluate(NODES_JS)
    normal = {f"node-{n.id}" for n in scene(pass_, DrawOptions()).view.nodes}
    assert {n["id"] for n in nodes} == normal
    for i, a in enumerate(nodes):
        for b in nodes[i + 1 :]:
            assert overlap(a["shape"], b["shape"]) < 1, (a["id"], b["id"])
        for t in a["texts"]:
            inside = all(t[k] >= a["shape"][k] - 1 for k in (0, 1)) and all(
                t[k] <= a["shape"][k] + 1 for k in (2, 3)
            )
            assert inside, (a["id"], t, a["shape"])

    data = player_data(pass_, DrawOptions(theme="slide", legend=False))
    grads = {node: text for f in data["frames"] for node, text in f["grads"]}
    assert grads
    app_page.locator("[data-role=last]").click()
    counter(app_page).filter(has_text=f"step {data['steps']} /").wait_for(timeout=TIMEOUT)
    rows = app_page.locator("[data-role=player]").evaluate(LAST_TEXTS_JS, sorted(grads))
    assert [(i, text) for i, text, _ in rows] == sorted(grads.items())
    assert {v for _, _, v in rows} == {"visible"}, rows


def test_the_card_beside_the_graph_shows_one_step_after_stepping(app_page):
    """Stepping by hand in presentation mode: once the page's own card for the step arrives,
    the card says that step once (the player's live copy of it steps aside)."""
    from conftest import wait_script_done
    from test_browser_player import card_headers

    pass_ = engine.run(PRESETS["Linear model w·x + b"]).passes[0]
    headers = card_headers(pass_)
    open_view(app_page, View(program=PRESETS["Linear model w·x + b"], present=True), 1280, 720)
    app_page.locator("[data-role=stage]").click()
    for step in range(1, 4):
        app_page.keyboard.press("ArrowRight")
        counter(app_page).filter(has_text=f"step {step} /").wait_for(timeout=TIMEOUT)
        app_page.wait_for_timeout(300)
        wait_script_done(app_page)
        app_page.wait_for_timeout(300)
        text = app_page.locator(".st-key-step-card").inner_text()
        assert text.count(headers[step].split(" · ")[0]) == 1, (step, text)
