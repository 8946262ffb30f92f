"""The page's state: session keys, their defaults, and the URL that mirrors them.

Everything the page remembers between reruns lives in st.session_state under the keys named
here; the URL holds the same view (app_ui.share encodes it), so a share link, a reload, a
new replica of a class server and the browser's Back button all come back to it.
"""

from __future__ import annotations

import streamlit as st

from app_ui import share
from app_ui.presets import DEFAULT_PROGRAM, PRESETS
from app_ui.scenarios import SCENARIOS

OPTION_DEFAULTS = {  # session key -> default; DrawOptions field names follow "opt_"
    "opt_fold_accumulate": False,
    "opt_show_saved": False,
    "opt_show_values": True,
    "opt_show_constants": True,
    "opt_direction": "TB",
    "opt_theme": "light",
    "opt_forward": False,
    "opt_collapse": False,
}
VARIABLE_DEFAULT = {"value": "2.0", "requires_grad": True}  # a new row of the variables table
# The texts a click can put in the editor: what is not one of them is the person's own.
EXAMPLE_TEXTS = frozenset([*PRESETS.values(), *(s.program for s in SCENARIOS.values())])


def is_example(program: str) -> bool:
    """Whether the editor holds an example unchanged (a preset or a pitfall)."""
    return program in EXAMPLE_TEXTS


def load_example(program: str) -> None:
    """A preset or pitfall click: its text replaces the program, and the player starts over.

    The person's own program is kept first (in `own_program`), so that one click, or the
    browser's Back button, brings it back.
    """
    current = st.session_state.get("program", "")
    if current.strip() and not is_example(current):
        st.session_state.own_program = current
    st.session_state.program = program
    st.session_state.pass_number = 1
    st.session_state.step = -1


def load_preset(name: str) -> None:
    load_example(PRESETS[name])


def load_scenario(name: str) -> None:
    load_example(SCENARIOS[name].program)


def own_program() -> str | None:
    """The person's program that an example replaced, while an example is in the editor."""
    kept = st.session_state.get("own_program")
    return kept if kept and is_example(st.session_state.get("program", "")) else None


def bring_back_own() -> None:
    """The "Bring back my program" button: the kept program returns to the editor."""
    st.session_state.program = st.session_state.pop("own_program")
    st.session_state.pass_number = 1
    st.session_state.step = -1


def url_state_ui() -> None:
    """The view a URL describes becomes the session's state: once per session, and again
    when the browser's Back or Forward button moves to another entry of its history.

    On the session's first run the program waits in `url_program` for the editor, which is
    made with it as its value (program_ui): on a page that reconnects to a new session
    (another replica, a restarted server), the text the browser's editor holds wins, and it
    may be newer than the URL (an edit sent as the old server died).
    """
    if "url_loaded" in st.session_state:
        if _history_navigation():
            view = share.params_to_view(st.query_params.to_dict())
            # No program in the URL: the bare address the session was opened with.
            program = view.program if view.program is not None else DEFAULT_PROGRAM
            current = st.session_state.get("program", "")
            if program != current:
                if current.strip() and not is_example(current):
                    st.session_state.own_program = current  # one click brings it back too
                st.session_state.program = program
            _apply(view)
        return
    st.session_state.url_loaded = True
    view = share.params_to_view(st.query_params.to_dict())
    st.session_state.url_program = view.program if view.program is not None else DEFAULT_PROGRAM
    _apply(view)


def _history_navigation() -> bool:
    """Whether this run was caused by the browser's Back or Forward button (popstate)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(getattr(ctx, "is_history_navigation", False))


def _apply(view: share.View) -> None:
    """Pass, step, mode, options and variables of a view into the session's state."""
    st.session_state.pass_number = view.pass_number
    st.session_state.step = view.step if view.step is not None else -1
    st.session_state.present = view.present
    st.session_state.opt_theme = view.theme or OPTION_DEFAULTS["opt_theme"]
    given = dict(view.options)
    for key, default in OPTION_DEFAULTS.items():
        name = key.removeprefix("opt_")
        value = given.get(name, default)
        ok = name != "theme" and type(value) is type(default)
        if name == "direction":
            ok = value in ("TB", "LR")
        if name != "theme":
            st.session_state[key] = value if ok else default
    st.session_state.variables = {
        name: {"value": value, "requires_grad": grad} for name, value, grad in view.variables
    }


def keep_state_ui() -> None:
    """Streamlit forgets the value of a widget that was not drawn on the last run (the editor
    in presentation mode, the pass picker of a one-pass program, the options while their menu
    is closed): assigning each value to itself keeps it. Every run of the workspace does it.
    """
    for key in ("program", "pass_number", "step", *OPTION_DEFAULTS):
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def option_items() -> tuple:
    """The drawing options as hashable (field, value) pairs (presentation: slide, no legend)."""
    items = {key.removeprefix("opt_"): st.session_state[key] for key in OPTION_DEFAULTS}
    items["direction"] = items["direction"] or OPTION_DEFAULTS["opt_direction"]
    if items["theme"] == OPTION_DEFAULTS["opt_theme"] and st.context.theme.type == "dark":
        items["theme"] = "dark"  # the page is dark (Streamlit's Settings): so is the graph
    if st.session_state.present:
        # A projector needs every pixel for the graph: big type, and no legend under it.
        items["theme"] = "slide"
        items["legend"] = False
    return tuple(sorted(items.items()))


def keep_a_direction() -> None:
    """A segmented control can be clicked off; a graph still needs a direction."""
    if st.session_state.opt_direction is None:
        st.session_state.opt_direction = OPTION_DEFAULTS["opt_direction"]


def url_ui(source: str, number: int, step: int, inputs) -> dict[str, str]:
    """Keep the URL equal to the view, so copying it from the address bar shares it too.

    It is all a page needs to come back as it was on another server (a class server's
    replica lost): program, pass, step, theme, mode, the drawing options and the variables
    table (what differs from the defaults).
    """
    theme = st.session_state.opt_theme
    options = tuple(
        (key.removeprefix("opt_"), st.session_state[key])
        for key, default in OPTION_DEFAULTS.items()
        if key != "opt_theme" and st.session_state[key] not in (default, None)
    )
    view = share.View(
        program=source,
        pass_number=number,
        step=step,
        theme=None if theme == "light" else theme,
        present=st.session_state.present,
        options=options,
        variables=tuple(
            row for row in inputs if {"value": row[1], "requires_grad": row[2]} != VARIABLE_DEFAULT
        ),
    )
    params = share.view_to_params(view)
    # Compared with what this session last sent as well as with the URL the browser
    # reported: a rerun requested before the previous URL reached the browser reports the
    # URL before it, which can match the view while the one on its way does not (the address
    # bar stayed one step behind, seen in CI). The browser's URL still counts for the back
    # button, which changes it without a message from us.
    if st.session_state.get("url_sent") != params or st.query_params.to_dict() != params:
        st.query_params.from_dict(params)
        st.session_state.url_sent = params
    return params
