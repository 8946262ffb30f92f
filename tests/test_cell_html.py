"""autograd_explorer.cell_html: the notebook output is one self-contained HTML fragment."""

from __future__ import annotations

import base64
import json
import re

import torch
from conftest import backward_nodes

import engine
from autograd_explorer.cell_html import cell_output
from engine.explain import unbroken
from engine.values import fmt_value
from graphviz_utils import DrawOptions

LESSON = "import torch\nx = torch.tensor([2.0, 3.0], requires_grad=True)\ny = x**2 + 3*x\n"
PLAYER_DATA = re.compile(r'<script type="application/json" data-role="player-data">(.*?)</script>')


def lesson_output(options: DrawOptions | None = None, step: int | None = None):
    return cell_output(engine.run(LESSON, trusted=True), options or DrawOptions(), step)


def lesson_in_torch() -> tuple[torch.Tensor, int]:
    """The lesson in plain torch: x after y.sum().backward(), and how many nodes torch ran."""
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    loss = (x**2 + 3 * x).sum()
    steps = backward_nodes(loss)
    loss.backward()
    return x, steps


def data_of(html: str) -> dict:
    return json.loads(PLAYER_DATA.search(html).group(1).replace("<\\/", "</"))


def test_fragment_loads_nothing_from_the_network():
    """No src, href, link, @import or url() that leaves the page: it works offline."""
    html = lesson_output().html
    assert re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html) == []
    assert "<link" not in html and "@import" not in html
    assert re.findall(r"url\(\s*['\"]?(?:https?:)?//", html) == []


def test_fragment_inlines_the_player_and_its_data():
    """player.js and player.css are inside, with the pass's frames as JSON."""
    html = lesson_output().html
    x, steps = lesson_in_torch()
    assert "function mountPlayer(" in html and ".agx-player" in html
    data = data_of(html)
    assert data["steps"] == len(data["frames"]) - 1 == steps
    # x.grad is the sum of what its two edges brought: "x.grad = … + … = [7.0, 9.0]".
    written = re.escape(unbroken(fmt_value(x.grad.tolist())))  # captions hold vectors together
    assert re.search(rf"x\.grad = .+ = {written}", " ".join(data["captions"]))


def test_still_picture_holds_the_place_without_javascript():
    """Before any script runs, the finished pass is there as an SVG image (data: URI)."""
    html = lesson_output().html
    source = re.search(
        r'<img class="agx-nb-still" data-role="still" alt="[^"]+" src="([^"]+)"', html
    ).group(1)
    assert source.startswith("data:image/svg+xml;base64,")
    svg = base64.b64decode(source.split(",", 1)[1]).decode()
    assert "<svg" in svg and "x.grad = " in svg


def test_grad_table_shows_python_grad_and_the_explorers_pass():
    """No backward in the program: .grad is None, the explorer's pass column has torch's."""
    html = lesson_output().html
    x, _ = lesson_in_torch()
    table = html[html.index('data-role="grads"') :]
    assert "<th>in the explorer's pass</th>" in table
    assert f"<td><code>None</code></td><td><code>{fmt_value(x.grad.tolist())}</code>" in table


def test_options_and_start_step_reach_the_player():
    """The theme colours the player, --step is where it starts."""
    data = data_of(lesson_output(DrawOptions(theme="dark", direction="LR"), step=2).html)
    assert data["theme"] == "dark" and data["start"] == 2


def test_each_output_mounts_its_own_box():
    """Two outputs of the same run get different box ids (both can sit on one page)."""
    first, second = lesson_output().html, lesson_output().html
    ids = [re.search(r'class="agx-nb" id="(agx-[0-9a-f]+)"', h).group(1) for h in (first, second)]
    assert ids[0] != ids[1]


def test_plain_text_form_lists_grads_and_notes():
    """A terminal IPython gets text: the pass, each leaf's .grad, the notes."""
    text = lesson_output().text
    x, steps = lesson_in_torch()
    assert text.splitlines()[0].startswith(
        f"autograd explorer: backward from y.sum(), {steps} steps"
    )
    assert f"x.grad = None (the explorer's pass: {fmt_value(x.grad.tolist())})" in text
    assert "note: y is not a scalar" in text


def test_several_backward_calls_say_which_pass_is_shown():
    """A cell that calls backward twice shows the last pass, and says so."""
    run = engine.run(
        "import torch\nw = torch.tensor(2.0, requires_grad=True)\n"
        "(w * w).backward()\n(w * 3).backward()\n",
        trusted=True,
    )
    output = cell_output(run, DrawOptions())
    assert "backward ran 2 times; the player shows pass #2, the last one recorded" in output.text


def test_nothing_to_draw_is_a_note():
    """A run without any tensor gives a note instead of a player."""
    output = cell_output(engine.run("n = 1 + 1\n", trusted=True), DrawOptions())
    assert "mountPlayer" not in output.html
    assert output.text == "note: nothing to draw: no tensor here needs a gradient"
