"""The program editor: Streamlit's text area (key "program") made a code editor in place.

The text area stays the one widget that holds the program, so AppTest, share links and
reconnects see what they always saw. Our own small components-v2 element (editor.js, with
the pure text edits of editor_text.js; no third-party JS) adds a gutter of line numbers,
Python's Tab, Shift+Tab, Enter and Backspace, and a band on the line of the run's error.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

HERE = Path(__file__).resolve().parent
KEYS_HELP = (
    "Tab indents (Shift+Tab dedents), Enter keeps the indentation, Ctrl+Enter runs. "
    "Esc, then Tab, moves on to the next control."
)
# Before the element's JS runs too: no wrapping (one text line per numbered line), and the
# band's colours. Specific enough to win over the dark theme's `background` shorthand.
EDITOR_CSS = """
<style>
.st-key-program-marks { display: none; }
.st-key-program textarea { white-space: pre; overflow-wrap: normal; overflow-x: auto;
  tab-size: 4; }
.ae-editor { position: relative; }
.ae-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
.ae-gutter { position: absolute; left: 1px; top: 1px; bottom: 1px; overflow: hidden;
  min-width: 2.4em; padding: 0 0.45em 0 0.35em; text-align: right; pointer-events: none;
  font-family: "DejaVu Sans Mono", ui-monospace, monospace; font-variant-numeric: tabular-nums;
  color: rgba(110, 116, 130, 0.95); background: rgba(128, 128, 140, 0.09);
  border-right: 1px solid rgba(128, 128, 140, 0.28); border-radius: 0.5rem 0 0 0.5rem;
  box-sizing: border-box; z-index: 1; }
.ae-numbers > div { white-space: pre; padding: 0 0.15em; border-radius: 3px; }
.ae-numbers > .ae-error { background: #d93025; color: #fff; font-weight: 700; }
[data-testid="stApp"] .st-key-program textarea.ae-has-error {
  background-image: linear-gradient(rgba(230, 57, 53, 0.2), rgba(230, 57, 53, 0.2));
  background-repeat: no-repeat; background-attachment: local;
  background-size: 100% var(--ae-band-height, 1.45em);
  background-position: 0 var(--ae-band-top, 0); }
</style>
"""


def _editor_component():
    """Register the element once per process: the text edits first, then the DOM part."""
    js = (HERE / "editor_text.js").read_text() + "\n" + (HERE / "editor.js").read_text()
    return st.components.v2.component("autograd_explorer.editor", html="", js=js)


EDITOR = _editor_component()


# On a projector the lecturer's typing is read from the back of the room.
PRESENT_CSS = """
<style>
[data-testid="stApp"] .st-key-program textarea { font-size: 1.12rem; line-height: 1.45; }
</style>
"""


def editor_css(present: bool = False) -> None:
    """The editor's styles, on the page before the text area is drawn."""
    st.html(EDITOR_CSS + (PRESENT_CSS if present else ""))


def mark_error_line(source: str, line: int | None) -> None:
    """Show `line` of `source` (the text that ran) as the error's line, or no line."""
    lines = source.count("\n") + 1
    shown = line if line is not None and 1 <= line <= lines else None
    EDITOR(key="program-marks", data={"source": source, "line": shown, "help": KEYS_HELP})
