"""What a notebook shows under a cell: the player, a still picture, notes, each leaf's .grad.

One self-contained HTML fragment: our own JS and CSS inlined, nothing loaded from the
network and no widget extension, so it plays in JupyterLab, Notebook 7, VS Code, Colab and
an exported .html alike. Where no JavaScript runs (a notebook opened untrusted, a static
viewer), the still picture of the finished pass stays in the player's place.
"""

from __future__ import annotations

import base64
import html
import json
import secrets
from dataclasses import dataclass
from typing import Any

from engine import graph as g
from engine.values import fmt_shape, fmt_value
from graphviz_utils import DrawOptions, export, player_data
from graphviz_utils.export import player_assets


@dataclass(frozen=True)
class CellOutput:
    """What show() and %%autograd display: HTML for notebooks, plain text for terminals."""

    html: str
    text: str

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, str]:
        return {"text/html": self.html, "text/plain": self.text}


@dataclass(frozen=True)
class GradRow:
    """One leaf of the graph: its .grad as the person's code left it, and the explorer's pass."""

    name: str
    shape: tuple[int, ...] | None
    grad: Any  # nested lists, a number, or None (unset)
    in_pass: Any = None  # what the explorer's own pass computed (None: it ran none)


def cell_output(run: g.Run, options: DrawOptions, step: int | None = None) -> CellOutput:
    """The output for a run (engine.run or engine.observe): the last pass it recorded, or its
    graph alone; `step` is where the player starts (None or -1: before backward)."""
    target: g.Pass | g.Graph | None = run.passes[-1] if run.passes else run.graph
    notes = list(run.notes)
    if len(run.history) > 1 and run.passes:
        notes.append(
            f"backward ran {len(run.history):,} times; the player shows pass "
            f"#{run.passes[-1].number:,}, the last one recorded"
        )
    if target is None:
        notes.append("nothing to draw: no tensor here needs a gradient")
        return CellOutput(_page(None, notes, []), "\n".join(f"note: {n}" for n in notes))
    graph = target.graph if isinstance(target, g.Pass) else target
    rows = grad_rows(run, graph)
    data = player_data(target, options, start=step)
    steps = len(target.steps) if isinstance(target, g.Pass) else 0
    if not steps and not data["forward"]:
        data["caption"] = "never"  # nothing to explain step by step: the notes below say why
    still = export(target, "svg", step=steps - 1 if steps else None, options=options)
    return CellOutput(_page((data, still), notes, rows), _text(target, notes, rows))


def grad_rows(run: g.Run, graph: g.Graph) -> list[GradRow]:
    """Each named leaf the graph holds, in the graph's order."""
    rows = []
    for node in graph.nodes:
        report = run.tensors.get(node.name or "") if node.kind == g.LEAF else None
        if report is not None and report.requires_grad:
            rows.append(GradRow(node.name or "", report.shape, report.grad, report.pass_grad))
    return rows


def _text(target: g.Pass | g.Graph, notes: list[str], rows: list[GradRow]) -> str:
    """The plain-text form (a terminal IPython): what the pass did and every .grad."""
    if isinstance(target, g.Pass):
        head = f"autograd explorer: backward from {target.output}, {len(target.steps)} steps"
    else:
        head = "autograd explorer: the graph (no backward pass)"
    lines = [head + " (the player shows in HTML output)"]
    for r in rows:
        line = f"{r.name}.grad = {fmt_value(r.grad) if r.grad is not None else 'None'}"
        if r.in_pass is not None:
            line += f" (the explorer's pass: {fmt_value(r.in_pass)})"
        lines.append(line)
    return "\n".join(lines + [f"note: {n}" for n in notes])


def _page(player: tuple[dict, bytes] | None, notes: list[str], rows: list[GradRow]) -> str:
    """The fragment; `player` is the player's data and the still SVG (None: notes alone)."""
    box = "agx-" + secrets.token_hex(6)  # unique on the page: every output mounts its own
    parts = [f'<div class="agx-nb" id="{box}">']
    js, css = player_assets()
    parts.append(f"<style>{css}{NOTEBOOK_CSS}</style>")
    if player is not None:
        data, still = player
        # The still picture holds the player's place until the script replaces it. An <img>
        # of a data: URI, because JupyterLab's sanitizer (an untrusted notebook) drops inline
        # <svg> to its bare text but keeps images.
        source = "data:image/svg+xml;base64," + base64.b64encode(still).decode()
        parts.append(
            f'<img class="agx-nb-still" data-role="still" alt="{STILL_ALT}" src="{source}">'
        )
        parts.append('<div class="agx-nb-mount" data-role="mount"></div>')
        payload = json.dumps({**data, "focus": False}).replace("</", "<\\/")
        parts.append(f'<script type="application/json" data-role="player-data">{payload}</script>')
        parts.append(f"<script>{js}\n{MOUNT_JS.replace('BOX_ID', box)}</script>")
    if notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        parts.append(f'<ul class="agx-nb-notes" data-role="notes">{items}</ul>')
    if rows:
        parts.append(_grad_table(rows))
    parts.append("</div>")
    return "\n".join(parts)


def _grad_table(rows: list[GradRow]) -> str:
    """A small table: each leaf, its shape and .grad (and the explorer's pass, when it ran)."""
    explorer = any(r.in_pass is not None for r in rows)
    head = "<th>leaf</th><th>shape</th><th><code>.grad</code></th>"
    head += "<th>in the explorer's pass</th>" if explorer else ""
    body = []
    for r in rows:
        cells = [
            f"<td><b>{html.escape(r.name)}</b></td>",
            f"<td>{html.escape(fmt_shape(r.shape))}</td>",
            f"<td><code>{_value(r.grad)}</code></td>",
        ]
        if explorer:
            cells.append(f"<td><code>{_value(r.in_pass)}</code></td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return (
        f'<table class="agx-nb-grads" data-role="grads"><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _value(value: Any) -> str:
    return "None" if value is None else html.escape(fmt_value(value))


STILL_ALT = "The graph autograd recorded, with every gradient of the finished backward pass"

# Runs where the fragment is inserted: the script tag's own box (document.currentScript),
# or the box by id where a notebook front end re-creates the script elsewhere.
MOUNT_JS = """(function () {
  var me = document.currentScript;
  var box = (me && me.closest && me.closest(".agx-nb")) || document.getElementById("BOX_ID");
  if (!box || box.__agx) return;
  box.__agx = true;
  var data = JSON.parse(box.querySelector('[data-role="player-data"]').textContent);
  var player = mountPlayer(box.querySelector('[data-role="mount"]'), data, null);
  var still = box.querySelector('[data-role="still"]');
  if (still) still.parentNode.removeChild(still);
  // Keys pressed in the player are the player's: JupyterLab would move between cells.
  player.element.setAttribute("data-lm-suppress-shortcuts", "true");
})();"""

# Neutral colours: the notebook's own theme (light or dark) shows through.
NOTEBOOK_CSS = """
.agx-nb { margin: 4px 0; max-width: 100%; font-family: system-ui, "DejaVu Sans", sans-serif; }
.agx-nb .agx-nb-still { display: block; max-width: 100%; height: auto; }
.agx-nb .agx-nb-notes { margin: 6px 0 0; padding-left: 1.4em; font-size: 13px; opacity: 0.8; }
.agx-nb table.agx-nb-grads { border-collapse: collapse; margin: 8px 0 0; font-size: 14px; }
.agx-nb table.agx-nb-grads th,
.agx-nb table.agx-nb-grads td {
  border: 1px solid rgba(128, 128, 128, 0.45); padding: 3px 10px; text-align: left;
}
.agx-nb table.agx-nb-grads code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
"""
