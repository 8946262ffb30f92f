"""The backward player: graphviz_utils' player.js inside a Streamlit components-v2 element.

Playing runs in the browser with no server round trip; the step shown goes back to Python,
as the component's `step` state, when play stops or the user steps by hand, for the URL and
the downloads. The step card beside the player follows every frame at once: the player is
given the card of each step (app_ui.card's text, as HTML) and shows it in the card's place
until the page's own card for that step arrives.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import astuple
from functools import cache

import streamlit as st

from graphviz_utils.export import player_assets

# Streamlit calls the default export again whenever `data` changes (and on some reruns): the
# player is mounted once per graph key and left alone otherwise, so a rerun caused by the
# player's own step report never restarts the animation. The element itself stays the same
# across graphs (one Streamlit key): a new element per graph made the browser restyle the
# whole page for its stylesheet, about 150 ms of every edit. So the step it reports carries
# the mount it belongs to, and a report about an earlier graph is ignored.
GLUE_JS = """
const CARD = '.st-key-step-card';
const LIVE_CSS = `
${CARD}[data-ae-live] > :not(.ae-live-card) { display: none !important; }
${CARD}:not([data-ae-live]) > .ae-live-card { display: none !important; }
.ae-live-card { font-size: 1rem; line-height: 1.6; }
.ae-live-card p { margin: 0 0 0.9rem; }
.ae-live-card ul { margin: 0 0 0.9rem; padding-left: 1.4rem; }
.ae-live-card table { border-collapse: collapse; margin-bottom: 0.5rem; }
.ae-live-card :is(td, th) { border: 1px solid rgba(49, 51, 63, 0.2); padding: 0.25rem 0.4rem;
  text-align: left; }
.ae-live-card code { font-size: 0.9em; background: rgba(135, 131, 120, 0.15);
  padding: 0.1em 0.25em; border-radius: 0.25rem; }
.ae-live-card pre { background: rgba(135, 131, 120, 0.12); border-radius: 0.5rem;
  margin: 0 0 0.9rem; overflow-x: auto; }
.ae-live-card pre code { background: none; padding: 0; }
`;

// The card of the frame shown, in the page's step card, at once (while playing too). The
// page's own card (Streamlit's) takes over when it shows the same step: its first line,
// the header, reads the same.
function liveCard(host, frame) {
  const box = document.querySelector(CARD);
  const cards = host.__cards;
  if (!box || !cards) return;
  if (!document.getElementById('ae-live-css')) {
    const style = document.createElement('style');
    style.id = 'ae-live-css';
    style.textContent = LIVE_CSS;
    document.head.appendChild(style);
  }
  let live = box.querySelector(':scope > .ae-live-card');
  if (!live) {
    live = document.createElement('div');
    live.className = 'ae-live-card';
    live.dataset.testid = 'ae-live-card';
    box.appendChild(live);
  }
  const html = cards[frame];
  if (live.dataset.frame !== String(frame)) {
    live.innerHTML = html;
    live.dataset.frame = String(frame);
  }
  box.setAttribute('data-ae-live', '');
  if (!box.__aeWatch) {
    box.__aeWatch = new MutationObserver(() => handOver(box));
    box.__aeWatch.observe(box, { childList: true, subtree: true, characterData: true });
  }
  handOver(box);
}
function firstLine(node) {
  const first = node && node.querySelector('p, h1, h2, h3, li');
  return first ? first.textContent.trim() : null;
}
function handOver(box) {
  const live = box.querySelector(':scope > .ae-live-card');
  const own = box.querySelector('[data-testid="stMarkdownContainer"]');
  if (!live || !box.hasAttribute('data-ae-live') || box.__aePlaying) return;
  if (own && firstLine(own) === firstLine(live)) box.removeAttribute('data-ae-live');
}
function dropLiveCard() {
  const box = document.querySelector(CARD);
  if (!box) return;
  box.removeAttribute('data-ae-live');
  const live = box.querySelector(':scope > .ae-live-card');
  if (live) live.remove();
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  const host = parentElement.querySelector('.ae-host');
  if (!host || !data) return;
  host.classList.toggle('ae-stale', !!data.stale);
  if (host.dataset.mount === String(data.mount)) return;
  host.dataset.mount = String(data.mount);
  if (host.__player) host.__player.destroy();
  if (host.__observer) host.__observer.disconnect();
  host.replaceChildren();
  dropLiveCard();
  host.__cards = data.cards ? JSON.parse(data.cards) : null;
  let sent = data.start;
  const send = (step) => {
    if (step !== sent) { sent = step; setStateValue('step', { mount: data.mount, step }); }
  };
  const options = Object.assign(JSON.parse(data.player), data, { page_keys: true });
  host.__player = mountPlayer(host, options, send);
  // player.js reports once when play stops. Stepping by hand (buttons, keys) should move the
  // URL at once, so watch the frame shown; while playing nothing goes to the server until
  // play stops (no round trips, no reruns stealing frames from the animation), and the
  // card follows each frame from the cards the player was given.
  const shown = host.querySelector('[data-role=player]');
  if (!shown) return;
  host.__observer = new MutationObserver(() => {
    const playing = shown.classList.contains('agx-playing');
    const box = document.querySelector(CARD);
    if (box) box.__aePlaying = playing;
    if (!data.stale) liveCard(host, Number(shown.dataset.frame));
    if (!playing) send(Number(shown.dataset.step));
  });
  host.__observer.observe(shown, { attributes: true, attributeFilter: ['data-frame', 'class'] });
}
"""
HOST_HTML = '<div class="ae-host"></div>'
# The player draws its buttons as inline SVG icons (no symbol fonts needed).
HOST_CSS = """
.ae-host { width: 100%; }
.ae-host.ae-stale { opacity: 0.45; filter: grayscale(0.8); }
"""
CARD_STEPS = 40  # beyond this many steps the live card is the frame's caption (the engine's
# explanation of the step): a card per step of a big graph costs more than the edit itself


def _player_component():
    """Register the component once per process (a broken install raises PlayerMissing)."""
    js, css = player_assets()
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


@cache
def _markdown():
    """CommonMark with tables, as Streamlit renders the card; no raw HTML passes through."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def live_cards(pass_, player_json: str) -> list[str]:
    """The step card of every frame the player plays, as HTML: forward frames first (their
    caption), then before backward and each step (app_ui.card's markdown)."""
    from app_ui.card import step_markdown

    md = _markdown()
    data = json.loads(player_json)
    cards = [_caption_card(md, f["caption"]) for f in data.get("forward", [])]
    if len(pass_.steps) > CARD_STEPS:
        return cards + [_caption_card(md, f["caption"]) for f in data["frames"]]
    return cards + [md.render(step_markdown(pass_, i)) for i in range(-1, len(pass_.steps))]


def _caption_card(md, caption: str) -> str:
    """A frame's caption as a card: "Forward 1 of 3: w · x = 1.4" has its head in bold."""
    head, sep, rest = caption.partition(": ")
    text = f"**{head}**\n\n{rest}" if sep else f"**{caption}**"
    return md.render(text.replace("\n", "\n\n") if sep else text)


def show_player(payload, shown, step: int, *, stale: bool) -> int:
    """Mount the player at `step` (-1: before backward); return the step it shows now.

    `payload` is compute.PlayerPayload: the player's data, already JSON text.
    """
    key = graph_key(shown)
    state = st.session_state
    # Presentation mode moves the player to another column: a new element, a new mount.
    where = (key, bool(state.get("present")))
    if state.get("player_shown") != where:
        # A graph mounts at the step the page shows now; `mount` tells its reports apart
        # from those of an earlier mount (A, then B, then A again). Its cards are made
        # once, here, so the player's reruns send the same data (nothing new to send).
        pass_ = shown.pass_()
        state.player_shown, state.player_mount, state.player_start, state.player_cards = (
            where, state.get("player_mount", 0) + 1, step,
            json.dumps(live_cards(pass_, payload.json)),
        )  # fmt: skip
    # The start step stays what it was when this graph was mounted: then `data` is the same
    # on every rerun the player causes, and the big SVG is not sent to the browser again.
    # The step card explains a paused step: the player's caption shows only while playing.
    # The picture and frames go as one JSON string: Streamlit scans a component's top-level
    # values for dataframes, and a list there made it import pandas (0.3 s) on the first run.
    # In presentation mode the card beside the graph follows every frame, and the picture
    # needs every pixel of a projector's height: no caption under it (full screen keeps it).
    caption = "never" if state.get("present") else "playing"
    data = {"player": payload.json, "cards": state.player_cards, "start": state.player_start,
            "mount": state.player_mount, "stale": stale, "caption": caption}  # fmt: skip
    result = PLAYER(key="player", data=data, default={"step": None}, on_step_change=lambda: None)
    report = getattr(result, "step", None)
    if isinstance(report, dict) and report.get("mount") == state.player_mount:
        return int(report["step"])
    return step
