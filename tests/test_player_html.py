"""The standalone HTML player: loads nothing from the network and steps in real Chromium."""

from __future__ import annotations

import json
import re

import pytest

import engine
from graphviz_utils import export, player_data
from graphviz_utils.export import player_assets

LESSON = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"


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
        "() => document.querySelector('[data-role=token]').getAttribute('transform') !== null"
    )
    page.close()


@pytest.mark.browser
def test_player_mounts_in_a_shadow_root(lesson, browser, tmp_path):
    """mountPlayer works inside a ShadowRoot, as the app's component uses it."""
    data = player_data(lesson)
    page = browser.new_page()
    page.set_content("<div id=host></div>")
    page.add_script_tag(content=player_assets()[0])
    page.evaluate(
        """data => { window.seen = [];
            const root = document.getElementById('host').attachShadow({mode: 'open'});
            mountPlayer(root, data, i => window.seen.push(i)); }""",
        data,
    )
    page.locator("#host").locator("[data-role=next]").click()
    assert page.evaluate("window.seen") == [0]
    page.close()


def _open(browser, tmp_path, lesson, name="player.html"):
    """The lesson's standalone HTML player opened from file:// in a fresh page."""
    path = tmp_path / name
    export(lesson, path)
    page = browser.new_page()
    page.goto(path.as_uri())
    return page


# Whether any text of an element (an edge's label, or a node's last line) is painted:
# visible, not transparent, and not drawn in the page's background colour.
SHOWN_JS = """([id, last]) => {
  const g = document.getElementById(id);
  let texts = [...g.querySelectorAll('text')];
  if (last) texts = texts.slice(-1);
  const bg = getComputedStyle(document.body).backgroundColor;
  return texts.some(t => { const s = getComputedStyle(t);
    return s.visibility === 'visible' && s.display !== 'none' && Number(s.opacity) > 0.3
      && s.fill !== bg && t.textContent.trim() !== ''; });
}"""


def _edges_reached(data, frame):
    """Edge ids whose gradient has travelled by `frame` (0: before backward)."""
    return {e for f in data["frames"][1 : frame + 1] for e, _ in f["travel"]}


@pytest.mark.browser
def test_edge_labels_hidden_until_their_gradient_arrives(lesson, browser, tmp_path):
    """At step 0 no edge label is painted; after each step exactly the reached edges show."""
    data = player_data(lesson)
    page = _open(browser, tmp_path, lesson)
    for frame in range(len(data["frames"])):
        reached = _edges_reached(data, frame)
        for edge in data["edges"]:
            shown = page.evaluate(SHOWN_JS, [edge, False])
            assert shown == (edge in reached), (frame, edge, shown)
        page.keyboard.press("ArrowRight")
    page.close()


@pytest.mark.browser
def test_leaf_grad_rows_fill_in_at_their_step(lesson, browser, tmp_path):
    """A leaf's .grad row is not painted before its AccumulateGrad step, and is after."""
    data = player_data(lesson)
    page = _open(browser, tmp_path, lesson)
    filled_at = {n: k for k, f in enumerate(data["frames"]) for n, _ in f["grads"]}
    assert set(filled_at) == set(data["grad_nodes"])
    for frame in range(len(data["frames"])):
        for node, k in filled_at.items():
            assert page.evaluate(SHOWN_JS, [node, True]) == (frame >= k), (frame, node)
        page.keyboard.press("ArrowRight")
    for leaf in ("w", "b"):
        node = next(n.id for n in lesson.graph.nodes if n.label == leaf)
        assert f"{leaf}.grad = " in page.evaluate(SHOWN_TEXT_JS, f"node-{node}")
    page.close()


SHOWN_TEXT_JS = "id => [...document.getElementById(id).querySelectorAll('text')].pop().textContent"


@pytest.mark.browser
def test_every_control_button_has_an_svg_icon(lesson, browser, tmp_path):
    """Every button is an inline SVG icon with a title and aria-label (no glyph fonts)."""
    page = _open(browser, tmp_path, lesson)
    buttons = page.evaluate(
        """() => [...document.querySelectorAll('.agx-bar button')].map(b => ({
            role: b.dataset.role, svg: b.querySelectorAll('svg path').length,
            text: b.textContent.trim(), title: b.title, label: b.getAttribute('aria-label'),
            width: b.querySelector('svg') ? b.querySelector('svg').getBoundingClientRect().width
                                          : 0}))"""
    )
    roles = {b["role"] for b in buttons}
    assert roles == {"first", "prev", "play", "next", "last", "follow", "fit", "fullscreen"}
    for b in buttons:
        assert b["svg"] >= 1 and b["width"] >= 16, b
        assert b["text"] == "" and b["title"] and b["label"] == b["title"], b
    page.keyboard.press("Space")
    pause = page.locator("[data-role=play]")
    assert pause.get_attribute("aria-label").startswith("Pause")
    assert pause.locator("svg path").count() == 1
    page.close()


@pytest.mark.browser
def test_arrow_key_works_right_after_load(lesson, browser, tmp_path):
    """The standalone page focuses its player: → advances with no click first."""
    page = _open(browser, tmp_path, lesson)
    assert page.evaluate("document.activeElement.dataset.role") == "player"
    page.keyboard.press("ArrowRight")
    assert page.locator("[data-role=counter]").inner_text() == f"step 1 / {len(lesson.steps)}"
    page.close()


@pytest.mark.browser
def test_token_moves_along_its_edge(lesson, browser, tmp_path):
    """During a step the token's position changes over time and stays on its edge's line."""
    data = player_data(lesson)
    page = _open(browser, tmp_path, lesson)
    page.keyboard.press("End")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowRight")  # the last step: one edge, leaf to AccumulateGrad
    (edge,) = [e for e, _ in data["frames"][-1]["travel"]]
    seen = set()
    for _ in range(8):
        seen.add(tuple(page.evaluate(TOKEN_OFF_PATH_JS, edge)))
        page.wait_for_timeout(90)
    positions = {p for p, _ in seen}
    assert len(positions) >= 4, seen
    assert max(off for _, off in seen) < 2.0, seen
    page.close()


# The token's position, and its distance to the nearest of 200 points along the edge's path.
TOKEN_OFF_PATH_JS = """edge => {
  const m = document.querySelector('[data-role=token]').getAttribute('transform')
    .match(/translate\\(([-\\d.]+),([-\\d.]+)\\)/);
  const x = +m[1], y = +m[2];
  const path = document.getElementById(edge).querySelector('path');
  const n = path.getTotalLength();
  let best = Infinity;
  for (let i = 0; i <= 200; i++) { const p = path.getPointAtLength(n * i / 200);
    best = Math.min(best, Math.hypot(p.x - x, p.y - y)); }
  return [x + ',' + y, best];
}"""


CHAIN = """import torch
x = torch.tensor([1.0, 2.0], requires_grad=True)
y = x
for i in range(150):
    y = torch.tanh(y * 1.01)
"""

# Where the active node is drawn, and where the stage is, in page pixels.
ACTIVE_JS = """() => { const p = document.querySelector('[data-role=player]');
  const frames = JSON.parse(document.getElementById('player-data').textContent).frames;
  const node = frames[Number(p.dataset.frame)].node || frames[1].node;  // before: the first
  const n = document.getElementById(node).getBoundingClientRect();
  const s = p.querySelector('[data-role=stage]').getBoundingClientRect();
  return {cx: n.x + n.width / 2, cy: n.y + n.height / 2, h: n.height,
          left: s.left, right: s.right, top: s.top, bottom: s.bottom}; }"""


@pytest.mark.browser
def test_big_graph_keeps_the_active_node_readable_in_view(browser, tmp_path):
    """With Follow on, on a graph too big to read whole, each step centres its active node at
    a readable size, and the player says that part of the graph is out of view."""
    run = engine.run(CHAIN)
    assert run.ok, run.error
    path = tmp_path / "chain.html"
    export(run.passes[-1], path)
    page = browser.new_page(viewport={"width": 1200, "height": 800})
    page.goto(path.as_uri())
    page.locator("[data-role=follow]").click()
    for key in ("ArrowRight", "End", "Home", "ArrowRight"):
        page.keyboard.press(key)
        at = page.evaluate(ACTIVE_JS)
        assert at["left"] < at["cx"] < at["right"] and at["top"] < at["cy"] < at["bottom"], at
        assert at["h"] >= 40, at  # an op ellipse at its natural size, not a speck
        assert "out of view" in page.locator("[data-role=view-note]").inner_text()
    page.keyboard.press("0")  # the whole graph again, and a note offering to follow
    note = page.locator("[data-role=view-note]")
    assert "Too small to read whole" in note.inner_text()
    note.click()
    assert page.locator("[data-role=follow]").get_attribute("aria-pressed") == "true"
    page.close()


@pytest.mark.browser
def test_small_graph_is_shown_whole(lesson, browser, tmp_path):
    """A graph that fits is never zoomed: stepping leaves the picture as it was laid out."""
    page = _open(browser, tmp_path, lesson)
    page.keyboard.press("End")
    transform = page.evaluate("getComputedStyle(document.querySelector('.agx-canvas')).transform")
    assert transform in ("none", "matrix(1, 0, 0, 1, 0, 0)")
    page.close()


@pytest.mark.browser
def test_two_players_on_a_page_keep_their_own_keys(lesson, browser):
    """→ steps only the player that has focus; the other stays where it was."""
    data = player_data(lesson)
    page = browser.new_page()
    page.set_content("<div id=a></div><div id=b></div>")
    page.add_script_tag(content=player_assets()[0])
    page.evaluate(
        """data => { mountPlayer(document.getElementById('a'), data, null);
                     mountPlayer(document.getElementById('b'), data, null); }""",
        data,
    )
    page.locator("#b [data-role=player]").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    total = len(lesson.steps)
    assert page.locator("#a [data-role=counter]").inner_text() == f"step 0 / {total}"
    assert page.locator("#b [data-role=counter]").inner_text() == f"step 2 / {total}"
    page.close()


def _open_forward(browser, tmp_path, lesson, caption=None):
    """The lesson's HTML player with the forward pass first (as `render --forward` makes it)."""
    from graphviz_utils import DrawOptions
    from graphviz_utils.draw import scene
    from graphviz_utils.export import html, player_data_of

    data = player_data_of(scene(lesson, DrawOptions(forward=True)))
    if caption:
        data["caption"] = caption
    path = tmp_path / "forward.html"
    path.write_bytes(html(data))
    page = browser.new_page()
    page.goto(path.as_uri())
    return page, data


# Which of the forward frames' value rows are painted now, by node id.
VALUES_SHOWN_JS = """reveals => reveals.filter(([id, text]) =>
  [...document.getElementById(id).querySelectorAll('text')].some(t =>
    t.textContent.trim() === text && getComputedStyle(t).visibility === 'visible')
).map(([id]) => id)"""


@pytest.mark.browser
def test_forward_reveals_op_values_in_topological_order(lesson, browser, tmp_path):
    """With forward on, op values appear one by one, inputs first; then backward fills .grad."""
    page, data = _open_forward(browser, tmp_path, lesson)
    reveals = [r for f in data["forward"] for r in f["reveal"]]
    order = [r[0] for r in reveals]
    assert len(order) == 3  # ·, +, and the output y
    counter = page.locator("[data-role=counter]")
    assert counter.inner_text() == "forward 0 / 3"
    assert page.evaluate(VALUES_SHOWN_JS, reveals) == []
    for k in range(1, 4):
        page.keyboard.press("ArrowRight")
        assert counter.inner_text() == f"forward {k} / 3"
        assert page.evaluate(VALUES_SHOWN_JS, reveals) == order[:k]
    page.keyboard.press("ArrowRight")
    assert counter.inner_text() == f"step 0 / {len(lesson.steps)}"
    assert page.evaluate(VALUES_SHOWN_JS, reveals) == order  # backward: every value shown
    page.keyboard.press("End")
    for leaf in ("w", "b"):
        node = next(n.id for n in lesson.graph.nodes if n.label == leaf)
        assert f"{leaf}.grad = " in page.evaluate(SHOWN_TEXT_JS, f"node-{node}")
    page.close()


# Colour of the travelling token, and how far along its edge's path it is (0 tail, 1 head).
TOKEN_JS = """edge => {
  const tok = document.querySelector('[data-role=token]');
  const m = tok.getAttribute('transform').match(/translate\\(([-\\d.]+),([-\\d.]+)\\)/);
  const path = document.getElementById(edge).querySelector('path');
  const n = path.getTotalLength();
  let best = [Infinity, 0];
  for (let i = 0; i <= 200; i++) { const p = path.getPointAtLength(n * i / 200);
    const d = Math.hypot(p.x - +m[1], p.y - +m[2]); if (d < best[0]) best = [d, i / 200]; }
  return {fill: tok.querySelectorAll('circle')[1].getAttribute('fill'), along: best[1],
          pass: tok.dataset.pass};
}"""


@pytest.mark.browser
def test_forward_token_runs_with_the_arrow_in_its_own_colour(lesson, browser, tmp_path):
    """The forward token starts at the edge's tail, moves to its head, and is not orange."""
    page, data = _open_forward(browser, tmp_path, lesson)
    page.keyboard.press("End")
    page.keyboard.press("Home")
    for _ in range(3):
        page.keyboard.press("ArrowRight")  # forward 3: the output, one edge + → y
    (edge,) = [e for e, _ in data["forward"][3]["travel"]]
    start = page.evaluate(TOKEN_JS, edge)
    page.wait_for_timeout(700)
    later = page.evaluate(TOKEN_JS, edge)
    assert start["pass"] == "forward" and start["fill"] == data["style"]["forward"]
    assert data["style"]["forward"] != data["style"]["travel"]
    assert start["along"] < 0.2 and later["along"] > start["along"] + 0.3, (start, later)
    page.close()


@pytest.mark.browser
def test_forward_frames_report_minus_one_then_pass_steps(lesson, browser):
    """onStep gets -1 on forward frames and pass.steps indices after them."""
    from graphviz_utils import DrawOptions

    data = player_data(lesson, DrawOptions(forward=True))
    page = browser.new_page()
    page.set_content("<div id=host></div>")
    page.add_script_tag(content=player_assets()[0])
    page.evaluate(
        """data => { window.seen = [];
            mountPlayer(document.getElementById('host'), data, i => window.seen.push(i)); }""",
        data,
    )
    for _ in range(len(data["forward"]) + 2):
        page.locator("[data-role=next]").click()
    assert page.evaluate("window.seen") == [-1] * len(data["forward"]) + [0, 1]
    page.close()


@pytest.mark.browser
def test_caption_playing_hides_it_when_paused_on_a_backward_step(lesson, browser, tmp_path):
    """caption='playing': shown on forward frames and while playing, hidden paused on backward."""
    page, _ = _open_forward(browser, tmp_path, lesson, caption="playing")
    caption = page.locator("[data-role=caption]")
    assert caption.is_visible() and caption.inner_text().startswith("Before forward")
    page.keyboard.press("End")
    assert caption.is_hidden()
    page.keyboard.press("Space")  # play restarts from the first frame
    assert caption.is_visible()
    page.keyboard.press("Space")
    page.keyboard.press("End")
    assert caption.is_hidden()
    page.close()


@pytest.mark.browser
def test_caption_always_by_default(lesson, browser, tmp_path):
    """Without the option the standalone page always shows the caption, paused or not."""
    page = _open(browser, tmp_path, lesson)
    page.keyboard.press("End")
    assert page.locator("[data-role=caption]").inner_text().startswith(f"Step {len(lesson.steps)}")
    assert page.evaluate("document.querySelector('[data-role=player]').dataset.pass") == "backward"
    page.close()


def test_render_forward_flag_puts_forward_frames_in_the_html(tmp_path):
    """`render --forward` writes a page whose data holds the forward frames; without it none."""
    from graphviz_utils.cli import main

    program = tmp_path / "lesson.py"
    program.write_text(LESSON)
    frames = {}
    for flag in ([], ["--forward"]):
        out = tmp_path / f"out{len(flag)}.html"
        assert main(["render", str(program), "-o", str(out), *flag]) == 0
        page = out.read_text()
        payload = re.search(r'id="player-data" type="application/json">(.*?)</script>', page, re.S)
        frames[bool(flag)] = json.loads(payload.group(1))["forward"]
    assert frames[False] == []
    assert [f["caption"].split(":")[0] for f in frames[True][1:]] == [
        "Forward 1 of 3",
        "Forward 2 of 3",
        "Forward 3 of 3",
    ]
