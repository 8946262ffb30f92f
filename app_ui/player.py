"""The backward player: graphviz_utils' player.js inside a Streamlit components-v2 element.

Playing runs in the browser with no server round trip; the step shown goes back to Python,
as the component's `step` state, when play stops or the user steps by hand, for the step
card, the URL and the downloads.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import streamlit as st

ASSETS = Path(__file__).resolve().parent.parent / "graphviz_utils"

# Streamlit calls the default export again whenever `data` changes (and on some reruns): the
# player is mounted once per graph key and left alone otherwise, so a rerun caused by the
# player's own step report never restarts the animation.
GLUE_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const host = parentElement.querySelector('.ae-host');
  if (!host || !data) return;
  host.classList.toggle('ae-stale', !!data.stale);
  if (host.dataset.key === data.key) return;
  host.dataset.key = data.key;
  if (host.__player) host.__player.pause();
  if (host.__observer) host.__observer.disconnect();
  host.replaceChildren();
  let sent = data.start;
  const send = (step) => {
    if (step !== sent) { sent = step; setStateValue('step', step); }
  };
  host.__player = mountPlayer(host, data, send);
  // player.js reports once when play stops. Stepping by hand (buttons, keys) should move the
  // step card at once, so watch the frame shown; while playing, the player's own caption
  // explains each step and nothing goes to the server until play stops (no round trips,
  // no reruns stealing frames from the animation).
  const shown = host.querySelector('[data-role=player]');
  if (!shown) return;
  host.__observer = new MutationObserver(() => {
    if (!shown.classList.contains('agx-playing')) send(Number(shown.dataset.step));
  });
  host.__observer.observe(shown, { attributes: true, attributeFilter: ['data-frame'] });
}
"""
HOST_HTML = '<div class="ae-host"></div>'
# The player draws its buttons as inline SVG icons (no symbol fonts needed).
HOST_CSS = """
.ae-host { width: 100%; }
.ae-host.ae-stale { opacity: 0.45; filter: grayscale(0.8); }
"""


def _player_component():
    """Register the component once per process; None while graphviz_utils has no player.js."""
    js, css = ASSETS / "player.js", ASSETS / "player.css"
    if not js.exists():
        return None
    return st.components.v2.component(
        "autograd_explorer.player",
        html=HOST_HTML,
        css=(css.read_text() if css.exists() else "") + HOST_CSS,
        js=js.read_text() + "\n" + GLUE_JS,
    )


PLAYER = _player_component()


def graph_key(shown: tuple) -> str:
    """A short id for what the player shows: a new one mounts a fresh player."""
    return hashlib.sha1(json.dumps(shown, default=str).encode()).hexdigest()[:12]


def show_player(payload: dict | None, shown: tuple, step: int, *, stale: bool) -> int:
    """Mount the player at `step` (-1: before backward); return the step it shows now."""
    if PLAYER is None or payload is None:
        return _fallback(shown, step)
    key = graph_key(shown)
    # The start step stays what it was when this graph was first shown: then `data` is the
    # same on every rerun the player causes, and the big SVG is not sent to the browser again.
    start = st.session_state.setdefault("player_start", {}).setdefault(key, step)
    # The step card explains a paused step: the player's caption shows only while playing.
    data = {**payload, "start": start, "key": key, "stale": stale, "caption": "playing"}
    result = PLAYER(
        key=f"player-{key}",
        data=data,
        default={"step": step},
        on_step_change=lambda: None,
    )
    shown_step = getattr(result, "step", None)
    return step if shown_step is None else int(shown_step)


def _fallback(shown: tuple, step: int) -> int:
    """A still picture and a slider: the view while the player is not available."""
    from app_ui.compute import digraph_source, drawable_pass, run_program

    source, inputs, number, items = shown
    steps = len(drawable_pass(run_program(source, inputs), number).steps)
    if steps:
        step = st.slider("Step", -1, steps - 1, step, key=f"fallback-step-{graph_key(shown)}")
    st.graphviz_chart(digraph_source(source, inputs, number, items, step))
    return step
