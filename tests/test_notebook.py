"""The explorer in a real kernel: nbclient runs the seed lesson's cells under %%autograd in
ipykernel, then nbconvert's HTML export of that notebook plays in Chromium, offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import torch
from conftest import ARTIFACTS, backward_nodes, require_modules
from lesson_reference import cells_reference, lesson_cells

from engine.values import fmt_value

LESSON = Path(__file__).resolve().parent / "data" / "autograd-lesson.txt"  # copy of shared/seeds
CELLS = lesson_cells(LESSON)
# The notebook: the lesson's cells under %%autograd, with plain cells between them that look at
# the state they leave (x.grad before cell 8 rebinds x; show() of the linear model, then its
# grads again).
PLAIN_GRAD = "x.grad"
SHOW = "from autograd_explorer import show\nshow(y, theme='dark')"
AFTER_SHOW = "print(w.grad, b.grad, y.grad_fn is not None)"
PLAYER_DATA = re.compile(r'<script type="application/json" data-role="player-data">(.*?)</script>')


def notebook_cells() -> list[tuple[str, str]]:
    """(kind, source) of every code cell: 'magic' cells run a lesson cell under %%autograd."""
    lesson = [("magic", c) for c in CELLS]
    return [
        ("load", "%load_ext autograd_explorer"),
        *lesson[:4],
        ("plain", PLAIN_GRAD),
        lesson[4],
        ("plain", SHOW),
        ("plain", AFTER_SHOW),
    ]


@pytest.fixture(scope="module")
def executed(tmp_path_factory):
    """The notebook after nbclient ran it in a fresh ipykernel, and CPython's own outputs."""
    nbformat, nbclient = require_modules("nbformat", "nbclient", what="the test extra")
    folder = tmp_path_factory.mktemp("notebook")
    cells = notebook_cells()
    nb = nbformat.v4.new_notebook()
    for kind, source in cells:
        nb.cells.append(
            nbformat.v4.new_code_cell(f"%%autograd\n{source}" if kind == "magic" else source)
        )
    nbclient.NotebookClient(
        nb, timeout=180, kernel_name="python3", resources={"metadata": {"path": str(folder)}}
    ).execute()
    nbformat.write(nb, folder / "lesson.ipynb")
    # What plain CPython prints for the same cells (no magic, no show()).
    plain = [source for kind, source in cells if kind != "load" and source != SHOW]
    reference = iter(cells_reference(plain))
    expected = [
        None if kind == "load" or source == SHOW else next(reference) for kind, source in cells
    ]
    return nb, expected, folder


def stream_text(cell) -> str:
    return "".join(
        o["text"] for o in cell.outputs if o["output_type"] == "stream" and o["name"] == "stdout"
    )


def player_data(cell) -> dict:
    """The player's data in a cell's HTML output."""
    htmls = [o["data"]["text/html"] for o in cell.outputs if "text/html" in o.get("data", {})]
    assert len(htmls) == 1, f"expected one HTML output, got {len(htmls)}: {cell.outputs}"
    found = PLAYER_DATA.search(htmls[0])
    assert found, "the HTML output holds no player data"
    return json.loads(found.group(1).replace("<\\/", "</"))


def test_lesson_cells_print_exactly_what_python_prints(executed):
    """Every %%autograd cell prints byte for byte what plain CPython prints for it."""
    nb, expected, _ = executed
    for (kind, source), cell, want in zip(notebook_cells(), nb.cells, expected, strict=True):
        if kind == "magic":
            assert stream_text(cell) == want["stdout"], source
    printed = "".join(
        stream_text(c) for c, (k, _) in zip(nb.cells, notebook_cells(), strict=True) if k == "magic"
    )
    lesson = LESSON.read_text(encoding="utf-8")
    assert printed and all(line in lesson for line in printed.splitlines())


def test_no_cell_raised_or_wrote_to_stderr(executed):
    """No cell shows an error or anything on stderr."""
    nb, _, _ = executed
    bad = [
        o
        for c in nb.cells
        for o in c.outputs
        if o["output_type"] == "error" or o.get("name") == "stderr"
    ]
    assert bad == []


def test_grad_in_a_later_plain_cell_is_pythons(executed):
    """x.grad in a plain cell after the magic cells is what CPython has: tensor([7., 9.])."""
    nb, expected, _ = executed
    index = [s for _, s in notebook_cells()].index(PLAIN_GRAD)
    result = [o for o in nb.cells[index].outputs if o["output_type"] == "execute_result"]
    assert result[0]["data"]["text/plain"] == expected[index]["repr"] == "tensor([7., 9.])"


def test_show_leaves_the_grads_as_they_were(executed):
    """After show(y), w.grad and b.grad print as CPython prints them without show()."""
    nb, expected, _ = executed
    index = [s for _, s in notebook_cells()].index(AFTER_SHOW)
    assert stream_text(nb.cells[index]) == expected[index]["stdout"]


def test_magic_cells_hold_the_player_with_the_lessons_names(executed):
    """Each %%autograd cell's output is a player whose picture names the lesson's tensors."""
    nb, _, _ = executed
    names = {2: ("x", "y"), 3: ("x", "y"), 4: ("x", "z_detached"), 6: ("w", "x", "b", "y")}
    for index, wanted in names.items():
        svg = player_data(nb.cells[index])["svg"]
        labels = set(re.findall(r">([^<>]+)</text>", svg))
        assert set(wanted) <= labels, (index, wanted, labels)


def test_players_step_through_every_node_torch_runs(executed):
    """The player of y.sum().backward() and of y.backward() has one step per node torch runs."""
    nb, _, _ = executed
    x = torch.tensor([2.0, 3.0], requires_grad=True)
    lesson_y = x**2 + 3 * x
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    linear_y = torch.dot(w, torch.tensor([1.0, 2.0, 3.0])) + b
    assert player_data(nb.cells[3])["steps"] == backward_nodes(lesson_y.sum())
    assert player_data(nb.cells[6])["steps"] == backward_nodes(linear_y)


def test_leaf_grad_table_shows_each_leafs_grad(executed):
    """The table under the linear model lists w and b with torch's own grads."""
    nb, _, _ = executed
    html = nb.cells[6].outputs[-1]["data"]["text/html"]
    table = html[html.index('data-role="grads"') :]
    rows = re.findall(r"<tr><td><b>(\w+)</b></td><td>[^<]*</td><td><code>([^<]*)</code>", table)
    w = torch.tensor([0.1, 0.2, 0.3], requires_grad=True)
    b = torch.tensor(1.0, requires_grad=True)
    (torch.dot(w, torch.tensor([1.0, 2.0, 3.0])) + b).backward()
    assert dict(rows) == {"w": fmt_value(w.grad.tolist()), "b": fmt_value(b.grad.item())}
    assert len(rows) == 2


def test_exported_html_plays_offline_in_chromium(executed, browser):
    """nbconvert's HTML export of the notebook: Chromium plays a player to its last step,
    with every request off the page blocked."""
    (nbconvert,) = require_modules("nbconvert", what="the test extra")
    nb, _, folder = executed
    body, _ = nbconvert.HTMLExporter(template_name="lab").from_notebook_node(nb)
    page_path = folder / "lesson.html"
    page_path.write_text(body, encoding="utf-8")
    steps = player_data(nb.cells[6])["steps"]
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    # The export's own template links CDN scripts (MathJax, RequireJS): the player needs none.
    page.route("http*://**", lambda route: route.abort())
    try:
        page.goto(page_path.as_uri())
        players = page.locator('[data-role="player"]')
        players.first.wait_for(timeout=30_000)
        assert players.count() == sum(1 for c in nb.cells if '"player-data"' in str(c.outputs))
        assert page.locator('[data-role="still"]').count() == 0  # every script mounted
        linear = players.nth(4)  # cell 6's player: the fifth on the page (cell 1 has one too)
        linear.scroll_into_view_if_needed()
        linear.locator('[data-role="speed"]').select_option("4")
        linear.locator('[data-role="play"]').click()
        counter = linear.locator('[data-role="counter"]')
        page.wait_for_function(
            "([el, want]) => el.textContent === want",
            arg=[counter.element_handle(), f"step {steps} / {steps}"],
            timeout=30_000,
        )
        assert "Step" in linear.locator('[data-role="caption"]').inner_text()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        linear.screenshot(path=str(ARTIFACTS / "notebook-export-player.png"))
    finally:
        context.close()
