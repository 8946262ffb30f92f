"""The backward player: graphviz_utils' player.js inside a Streamlit components-v2 element.

Playing runs in the browser with no server round trip; the step shown goes back to Python,
as the component's `step` state, when play stops or the user steps by hand, for the step
card, the URL and the downloads.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import astuple

import streamlit as st

from graphviz_utils.export import PlayerMissing, player_assets

# Streamlit calls the default export again whenever `data` changes (and on some reruns): the
# player is mounted once per graph key and left alone otherwise, so a rerun caused by the
# player's own step report never restarts the animation. The element itself stays the same
# across graphs (one Streamlit key): a new element per graph made the browser restyle the
# whole page for its stylesheet, about 150 ms of every edit. So the step it reports carries
# the mount it belongs to, and a report about an earlier graph is ignored.
GLUE_JS = """
export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const host = parentElement.querySelector('.ae-host');
  if (!host || !data) return;
  host.classList.toggle('ae-stale', !!data.stale);
  if (host.dataset.mount === String(data.mount)) return;
  host.dataset.mount = String(data.mount);
  if (host.__player) host.__player.pause();
  if (host.__observer) host.__observer.disconnect();
  host.replaceChildren();
  let sent = data.start;
  const send = (step) => {
    if (step !== sent) { sent = step; setStateValue('step', { mount: data.mount, step }); }
  };
  host.__player = mountPlayer(host, Object.assign(JSON.parse(data.player), data), send);
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
    """Register the component once per process; None when graphviz_utils has no player.js."""
    try:
        js, css = player_assets()
    except PlayerMissing:
        return None
    return st.components.v2.component(
        "autograd_explorer.player",
        html=HOST_HTML,
        css=css + HOST_CSS,
        js=js + "\n" + GLUE_JS,
    )


PLAYER = _player_component()


def graph_key(shown) -> str:
    """A short id for what the player shows (a compute.RunView): a new one mounts a fresh
    player."""
    return hashlib.sha1(json.dumps(astuple(shown), default=str).encode()).hexdigest()[:12]


def show_player(payload, shown, step: int, *, stale: bool) -> int:
    """Mount the player at `step` (-1: before backward); return the step it shows now.

    `payload` is compute.PlayerPayload: the player's data, already JSON text.
    """
    if PLAYER is None or payload is None:
        return _fallback(shown, step)
    key = graph_key(shown)
    state = st.session_state
    # Presentation mode moves the player to another column: a new element, a new mount.
    where = (key, bool(state.get("present")))
    if state.get("player_shown") != where:
        # A graph mounts at the step the page shows now; `mount` tells its reports apart
        # from those of an earlier mount (A, then B, then A again).
        state.player_shown, state.player_mount, state.player_start = (
            where, state.get("player_mount", 0) + 1, step,
        )  # fmt: skip
    # The start step stays what it was when this graph was mounted: then `data` is the same
    # on every rerun the player causes, and the big SVG is not sent to the browser again.
    # The step card explains a paused step: the player's caption shows only while playing.
    # The picture and frames go as one JSON string: Streamlit scans a component's top-level
    # values for dataframes, and a list there made it import pandas (0.3 s) on the first run.
    data = {"player": payload.json, "start": state.player_start,
            "mount": state.player_mount, "stale": stale, "caption": "playing"}  # fmt: skip
    result = PLAYER(key="player", data=data, default={"step": None}, on_step_change=lambda: None)
    report = getattr(result, "step", None)
    if isinstance(report, dict) and report.get("mount") == state.player_mount:
        return int(report["step"])
    return step


def _fallback(shown, step: int) -> int:
    """A still picture and a slider: the view while the player is not available."""
    from app_ui.compute import digraph_source

    steps = len(shown.pass_().steps)
    if steps:
        step = st.slider("Step", -1, steps - 1, step, key=f"fallback-step-{graph_key(shown)}")
    st.graphviz_chart(digraph_source(shown, step))
    return step
