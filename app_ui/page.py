"""Autograd Explorer's page: type a model, see the graph autograd records, watch gradients flow.

The page lives in the app_ui package so that the wheel ships it; app.py beside the package
is the script `streamlit run app.py` runs, and `autograd-explorer app` runs this file itself.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import replace
from pathlib import Path

import streamlit as st

from app_ui import state
from app_ui.editor import KEYS_HELP, editor_css, mark_error_line
from app_ui.presets import PRESETS
from app_ui.scenarios import SCENARIOS, active_scenario
from app_ui.state import VARIABLE_DEFAULT

# Our own ∂ (a bare "∂" is not an emoji: the browser fetched it as a URL on every rerun).
FAVICON = Path(__file__).resolve().parent / "favicon.svg"
EMPTY_HINT = (
    "Nothing to draw yet. Type a model on the left, for example `y = w·x + b` with "
    "`w = param([0.1, 0.2])`, or pick one of the examples above."
)
STOPPED_HINT = (
    "No graph to show: the program stopped before autograd recorded one. "
    "The message says where and why."
)
NO_TENSOR_HINT = (
    "The program ran, but left no tensor to draw. A graph starts from a tensor: try "
    "`x = param(2.0)` and then `y = x * x + 3 * x`."
)
DOT_HINT = (
    "Dot product: `w·x`, or type `w @ x` · Tab indents; Esc, then Tab, moves on · Ctrl+Enter runs"
)
PANELS = ("Tensors", "Check", "Plots")  # the tabs under the graph
COLLAPSE_SUGGESTED = 150  # drawn nodes beyond which the app offers to collapse the middle
PAGE_CSS = """
<style>
.block-container { padding-top: 3.2rem; padding-bottom: 1rem; }
h1 { font-size: 2rem !important; padding: 0 !important; }
.st-key-presets button { min-height: 0; padding: 0.15rem 0.7rem; }
.st-key-presets button p { font-size: 0.88rem; }
.st-key-program textarea { font-family: "DejaVu Sans Mono", ui-monospace, monospace;
  font-size: 0.95rem; line-height: 1.45; }
.st-key-step-card-stale { opacity: 0.5; }
/* Long values wrap inside the card instead of pushing its table past the border. */
[class*="st-key-step-card"] table { width: 100%; }
[class*="st-key-step-card"] code { white-space: normal; overflow-wrap: anywhere; }
/* A header is one word (".grad"): "anywhere" let the table squeeze it to a letter a line. */
[class*="st-key-step-card"] th, [class*="st-key-step-card"] th code {
  white-space: nowrap; overflow-wrap: normal; }
.st-key-printed pre { max-height: 12rem; }
.st-key-engine-notes [data-testid="stAlertContainer"] { padding: 0.45rem 0.8rem; }
/* A phone stacks the columns: the card would sit below a tall graph, a long scroll away.
   It stays in view at the bottom of the screen instead (a sheet that scrolls inside). */
@media (max-width: 640px) {
  [class*="st-key-step-card"] { position: fixed; left: 0.5rem; right: 0.5rem; bottom: 0.5rem;
    width: auto !important; z-index: 50; max-height: 34vh; overflow-y: auto;
    background: var(--ae-card-bg, #fff);
    box-shadow: 0 -4px 16px rgb(0 0 0 / 0.22); }
  .block-container { padding-bottom: 36vh; }
}
/* ... but the chain rule keeps its rows and the alignment of its = signs. */
[class*="st-key-step-card"] pre code { white-space: pre-wrap !important; font-size: 0.9rem; }
[class*="st-key-step-card"] pre { padding: 0.6rem 0.7rem; }
.st-key-scenarios button { min-height: 0; padding: 0.15rem 0.7rem; }
.st-key-scenarios button p { font-size: 0.88rem; }
.st-key-scenarios [data-testid="stCaptionContainer"] p { margin: 0.1rem 0.3rem 0 0; }
</style>
"""
PRESENT_CSS = """
<style>
header[data-testid="stHeader"] { display: none; }
/* The player runs from the window's top to its bottom; the controls sit beside it. */
.block-container { padding: 0.75rem 1.25rem 0.5rem; max-width: 100%; }
[class*="st-key-step-card"] :is(p, li) { font-size: 1.3rem; }
[class*="st-key-step-card"] :is(td, th, code) { font-size: 1.1rem; }
[class*="st-key-step-card"] pre code { font-size: 1.15rem !important; }
.st-key-guidance p { font-size: 1.2rem; }
.st-key-picker { gap: 0.4rem; }
</style>
"""
# The graph's dark theme, picked in Graph options, darkens the page around it as well: the
# page's own theme (Settings in Streamlit's menu) is the browser's, which Python cannot set.
DARK_CSS = """
<style>
:root { --ae-card-bg: #10141c; }
[data-testid="stApp"], [data-testid="stHeader"], [data-testid="stBottomBlockContainer"] {
  background: #0e1117; color: #e6e8ee; }
[data-testid="stApp"] :is(h1, h2, h3, p, li, label, span, td, th, summary) { color: #e6e8ee; }
[data-testid="stApp"] [data-testid="stCaptionContainer"] :is(p, span) { color: #a9b0bf; }
[data-testid="stApp"] :is([data-testid^="stBaseButton"], [data-testid="stPopover"] button,
  textarea, input,
  [data-testid="stSelectbox"] [role="group"],
  [data-testid="stExpander"] details, [data-testid="stCode"] pre) {
  background: #1a1f2b; color: #e6e8ee; border-color: #3a4254; }
[data-testid="stApp"] [data-testid="stCode"] code, [data-testid="stApp"] code {
  background: #1a1f2b; color: #e6e8ee; }
[data-testid="stApp"] [data-testid="stVerticalBlockBorderWrapper"],
[data-testid="stApp"] [class*="st-key-step-card"] { border-color: #3a4254; }
[data-testid="stPopoverBody"], [role="listbox"], [role="option"] {
  background: #1a1f2b; color: #e6e8ee; }
[data-baseweb="tab-list"] button { background: transparent; }
[data-testid="stApp"] [data-testid="stAlertContainer"] { background: #17263d; }
[data-testid="stApp"] [data-testid="stTooltipIcon"] * { background: transparent; }
</style>
"""


def header_ui() -> None:
    """Title, one line on what this is, and the presentation-mode switch."""
    left, right = st.columns([5, 1], vertical_alignment="bottom")
    with left:
        st.title("Autograd Explorer")
        st.caption(
            "The graph PyTorch autograd records for your program, and the gradients "
            "flowing back through it, step by step, in the order the engine runs them."
        )
    right.toggle("Presentation mode", key="present", help="Hide the editor; big graph, slide theme")


def presets_ui() -> None:
    """The examples, one button each: the lesson's three first, then a course's next steps."""
    with st.container(horizontal=True, gap="small", key="presets"):
        for i, name in enumerate(PRESETS):
            st.button(name, key=f"preset-{i}", on_click=state.load_preset, args=(name,))
    with st.container(horizontal=True, gap="small", key="scenarios"):
        st.caption("Pitfalls:", width="content")
        for i, (name, scenario) in enumerate(SCENARIOS.items()):
            st.button(name, key=f"scenario-{i}", on_click=state.load_scenario, args=(name,),
                      help=scenario.guidance)  # fmt: skip


def program_ui(editable: bool) -> str:
    """The program: the editor's text, or in presentation mode the program last shown."""
    first = st.session_state.pop("url_program", None)  # a session's first run only
    if not editable:
        if first is not None:
            st.session_state.program = first
        return st.session_state.program
    return editor_ui(first)


def bring_back_ui() -> None:
    """While an example replaced the person's own program: one click brings it back."""
    kept = state.own_program()
    if kept is None:
        return
    first = next((ln.strip() for ln in kept.splitlines() if ln.strip()), "")
    st.button(
        "Bring back my program",
        key="bring-back",
        icon=":material/undo:",
        on_click=state.bring_back_own,
        help=f"The program you had before the example: {first[:60]}",
    )


def picker_ui() -> None:
    """Presentation mode's example picker: every preset and pitfall in one compact menu."""
    examples = {**{n: p for n, p in PRESETS.items()},
                **{f"Pitfall: {n}": s.program for n, s in SCENARIOS.items()}}  # fmt: skip
    shown = st.session_state.get("url_program") or st.session_state.get("program", "")
    # The menu names the example in the editor, and nothing once it is edited.
    st.session_state["example-pick"] = next((n for n, p in examples.items() if p == shown), None)
    with st.container(horizontal=True, gap="small", key="picker", vertical_alignment="center"):
        st.selectbox(
            "Example",
            list(examples),
            key="example-pick",
            placeholder="Pick an example…",
            label_visibility="collapsed",
            on_change=pick_example,
            args=(examples,),
        )
        bring_back_ui()


def pick_example(examples: dict[str, str]) -> None:
    name = st.session_state["example-pick"]
    if name is not None:
        state.load_example(examples[name])


def editor_ui(first: str | None) -> str:
    """The program editor; its text is the whole input of a run. `first` is its value on the
    session's first run (the URL's program), unless the browser's editor already has text."""
    editor_css(
        st.session_state.present
    )  # a code editor: line numbers, Python's keys (app_ui/editor.py)
    text = st.text_area(
        "Program",
        value=first or "",
        key="program",
        height=180 if st.session_state.present else 300,
        help="Math style (`param`, `·`, `sigmoid`) or PyTorch pasted from a notebook. " + KEYS_HELP,
    )
    # In view, not in a tooltip: few keyboards have a key for ·, and @ is the same product.
    st.caption(DOT_HINT)
    return text


def printed_ui(run) -> None:
    """What the program printed, beside the editor (as `python` would print it)."""
    if run.stdout.strip():
        with st.container(key="printed"):
            st.caption("Printed")
            st.code(run.stdout.rstrip("\n"), language=None)


def notes_ui(run) -> None:
    """The engine's notes on this run (y.sum() for a vector y, ...), right above the graph."""
    if run.notes:
        with st.container(key="engine-notes"):
            for note in run.notes:
                st.info(note, icon=":material/info:")


def variables_ui(names: tuple[str, ...], editable: bool = True):
    """Names the program reads but never defines: a table of values that drives the run."""
    if not names:
        return ()
    store = st.session_state.setdefault("variables", {})
    for name in names:
        store.setdefault(name, dict(VARIABLE_DEFAULT))
    if not editable:
        return tuple((n, store[n]["value"], store[n]["requires_grad"]) for n in names)
    rows = [{"name": n, **store[n]} for n in names]
    st.markdown("**Variables** the program uses but does not define")
    edited = st.data_editor(
        rows,
        key="variables-" + "-".join(names),
        hide_index=True,
        disabled=["name"],
        column_config={
            "name": st.column_config.TextColumn("name"),
            "value": st.column_config.TextColumn("value", help="a number or a list: [1, 2]"),
            "requires_grad": st.column_config.CheckboxColumn("requires_grad"),
        },
        width="stretch",
    )
    for row in edited:
        store[row["name"]] = {
            "value": str(row["value"]),
            "requires_grad": bool(row["requires_grad"]),
        }
    return tuple((n, store[n]["value"], store[n]["requires_grad"]) for n in names)


def execute_ui(source: str, editable: bool):
    """Run the program (cached) with the variables table's values; returns (run, inputs)."""
    from app_ui.compute import may_be_slow, run_program

    # A spinner costs a thread and a message on every rerun; only a program that loops or
    # makes big tensors can take long enough (up to the time limit) to need one.
    with st.spinner("Running…") if may_be_slow(source) else contextlib.nullcontext():
        run = run_program(source, ())
        inputs = variables_ui(run.undeclared, editable)
        if inputs:
            run = run_program(source, inputs)
    return run, inputs


def status_ui(run, source: str) -> None:
    """A clear message for a bad program, naming the line and quoting it; when only
    backward() failed, it says that autograd did record the graph, and that the graph
    marks where backward broke (STOPPED_HINT is for a program that stopped before)."""
    if run.error is None:
        return
    message = run.error.describe()
    lines = source.splitlines()
    line = run.error.line
    if line is not None and 1 <= line <= len(lines) and lines[line - 1].strip():
        message += f"\n\n`{line:>3} | {lines[line - 1].strip()}`"
    broken = next((p for p in reversed(run.passes) if p.broke is not None), None)
    if broken is not None:
        message += (
            f"\n\nAutograd recorded the graph; only backward #{broken.number} failed. "
            "The graph marks where it broke (✗)."
        )
    st.error(message, icon=":material/error:")


def guidance_ui(source: str) -> None:
    """While a pitfall scenario is in the editor, unchanged: its one sentence of guidance."""
    scenario = active_scenario(source)
    if scenario is not None:
        with st.container(key="guidance"):
            st.info(scenario.guidance, icon=":material/school:")


def lazy_menu(label: str, icon: str, key: str):
    """A popover whose content is made only while it is open (opening it reruns the page)."""
    return st.popover(label, icon=icon, key=key, on_change="rerun")


def options_ui() -> None:
    """The drawing options of graphviz_utils, in a popover so the graph keeps the room.

    Like the other menus, its widgets are only made while it is open (a lazy popover): most
    reruns never show them. keep_state_ui keeps their values while they are not drawn.
    """
    from graphviz_utils import THEMES

    menu = lazy_menu("Graph options", ":material/tune:", "menu-options")
    if not menu.open:
        return
    with menu:
        st.toggle("Fold AccumulateGrad into its leaf", key="opt_fold_accumulate")
        st.toggle("Show saved tensors", key="opt_show_saved")
        st.toggle("Show values", key="opt_show_values")
        st.toggle("Show constants", key="opt_show_constants")
        st.toggle(
            "Show the forward pass first",
            key="opt_forward",
            help="The player first shows values flowing from the inputs to the output, "
            "then the gradients flowing back.",
        )
        st.toggle(
            "Collapse the middle of big graphs",
            key="opt_collapse",
            help="Draw both ends whole and the middle as one node (a note says how many).",
        )
        st.segmented_control(
            "Direction",
            ["TB", "LR"],
            key="opt_direction",
            format_func=lambda d: {"TB": "top → bottom", "LR": "left → right"}.get(d, str(d)),
            on_change=state.keep_a_direction,
        )
        present = st.session_state.present
        st.selectbox(
            "Theme",
            list(THEMES),
            key="opt_theme",
            disabled=present,
            help="Presentation mode draws with the slide theme." if present else None,
        )


def pass_ui(run) -> int:
    """Which backward() call to show, when the program made more than one: a stepper whose
    labels say what each pass did to .grad (#3 · w.grad 18.0 → 27.0).

    An example or pitfall, once loaded, opens on the pass that makes its point (the
    accumulation, or the pass that failed); a program being typed keeps the pass on screen.
    """
    from app_ui.card import pass_label, point_pass

    numbers = [p.number for p in run.passes]
    program = st.session_state.get("program")
    last = st.session_state.get("pass_program")
    st.session_state.pass_program = program
    examples = {*PRESETS.values(), *(s.program for s in SCENARIOS.values())}
    if (last is not None and program != last and program in examples) or (
        st.session_state.pass_number not in numbers
    ):
        st.session_state.pass_number = point_pass(run.passes)
    st.session_state.pass_shown = st.session_state.pass_number
    if len(numbers) > 1:
        labels = {p.number: pass_label(p) for p in run.passes}

        def keep_a_pass() -> None:  # a segmented control can be clicked off
            if st.session_state.pass_number is None:
                st.session_state.pass_number = st.session_state.pass_shown

        # Up to six passes are buttons, every label in view; more go on a slider.
        kind = st.segmented_control if len(numbers) <= 6 else st.select_slider
        kind(
            "Backward pass",
            numbers,
            key="pass_number",
            format_func=lambda n: labels.get(n, f"#{n}"),
            on_change=keep_a_pass,
        )
    return st.session_state.pass_number or st.session_state.pass_shown


def graph_ui(shown, stale: bool) -> tuple[int, bool]:
    """The player for the pass on screen (`shown`, a compute.RunView); returns the step it
    shows (-1: before) and whether it drew."""
    from app_ui.player import PLAYER, show_player

    pass_ = shown.pass_()
    if stale:
        st.warning(
            "Out of date: this is the graph of the last program that ran.",
            icon=":material/history:",
        )
    # A small graph is laid out in milliseconds (dot stays running); a spinner costs a thread.
    big = len(pass_.graph.nodes) > COLLAPSE_SUGGESTED
    with st.spinner("Laying out the graph…") if big else contextlib.nullcontext():
        payload = shown.payload() if PLAYER else None
    st.session_state.step = max(-1, min(st.session_state.step, len(pass_.steps) - 1))
    collapse_hint_ui(pass_)
    if payload and payload.error:
        # Without a picture the step card still explains every step: a slider walks them.
        st.warning(f"The graph could not be drawn: {payload.error}.", icon=":material/schema:")
        if pass_.steps:
            st.select_slider(
                "Step",
                range(-1, len(pass_.steps)),
                key="step",
                format_func=lambda i: "before backward" if i < 0 else f"step {i + 1}",
            )
        return st.session_state.step, False
    step = show_player(payload, shown, st.session_state.step, stale=stale)
    st.session_state.step = step
    return step, True


def collapse_hint_ui(pass_) -> None:
    """On a big graph drawn whole, one line offers to collapse its middle."""
    nodes = len(pass_.graph.nodes)
    if st.session_state.opt_collapse or nodes <= COLLAPSE_SUGGESTED:
        return
    with st.container(horizontal=True, vertical_alignment="center", key="collapse-hint"):
        st.caption(
            f":material/info: {nodes:,} nodes: collapsing the middle keeps both ends readable.",
            width="content",
        )
        st.button("Collapse", key="collapse-on", on_click=turn_collapse_on)


def turn_collapse_on() -> None:
    """The hint's button: the same as the Graph options toggle."""
    st.session_state.opt_collapse = True


def step_card_ui(pass_, step: int, stale: bool) -> None:
    """Beside the graph: what the current step does, with numbers, and every leaf's .grad."""
    from app_ui.card import step_markdown

    with st.container(key="step-card-stale" if stale else "step-card", border=True):
        st.markdown(step_markdown(pass_, step))


def downloads_ui(menu, shown, step: int) -> None:
    """SVG, PNG and PDF of the step on screen; GIF and the HTML player of the whole pass.

    `shown` is None when no graph is drawn: the open menu then says so, and offers nothing
    that would fail.
    """
    from graphviz_utils.export import GIF_MAX_FRAMES

    if not menu.open:
        return
    if shown is None:
        menu.caption("Nothing to download: no graph is drawn.")
        return
    steps = len(shown.pass_().steps)
    with menu:
        slide = st.toggle(
            "16:9 slide",
            key="dl-slide",
            help="SVG, PNG and PDF framed for a widescreen slide: the whole graph, centred",
        )
        for fmt, label, whole, mime in (
            ("svg", "SVG of this step", False, "image/svg+xml"),
            ("png", "PNG of this step", False, "image/png"),
            ("pdf", "PDF of this step", False, "application/pdf"),
            ("gif", "GIF of the whole pass", True, "image/gif"),
            ("html", "HTML player (standalone)", True, "text/html"),
        ):
            at = -1 if whole else step
            framed = slide and not whole
            aspect = tuple(sorted((*shown.items, ("aspect", "16:9"))))
            chosen = replace(shown, items=aspect) if framed else shown

            def make(fmt=fmt, at=at, chosen=chosen) -> bytes:
                return chosen.export(fmt, at)

            at_step = "" if whole else f"-step{step + 1}"
            name = f"autograd-pass{shown.number}{at_step}" + ("-16x9" if framed else "")
            name += f".{fmt}"
            too_long = fmt == "gif" and steps + 1 > GIF_MAX_FRAMES
            st.download_button(
                label,
                make,
                file_name=name,
                mime=mime,
                key=f"dl-{fmt}",
                on_click="ignore",
                disabled=too_long,
                help=f"a GIF holds at most {GIF_MAX_FRAMES - 1} steps" if too_long else None,
            )


def share_ui(menu, params: dict[str, str]) -> None:
    """A link that reproduces this view: program, pass, step, theme and mode."""
    from urllib.parse import urlencode

    if not menu.open:
        return
    base = (st.context.url or "").split("?")[0]
    with menu:
        st.caption("This link opens the same program at the same step.")
        st.code(f"{base}?{urlencode(params)}", language=None, wrap_lines=True)


def tensors_ui(run) -> None:
    """Every named tensor as the program left it: value, shape, requires_grad, grad."""
    from app_ui.tables import columns_of, markdown_table, tensor_rows

    if not run.tensors:
        st.caption("No named tensors yet.")
        return
    rows = tensor_rows(run)
    st.markdown(markdown_table(rows, columns_of(rows)))


def panels_ui(run, shown) -> None:
    """Below the graph, in tabs so the graph and card stay the focus: tables, checks, plots.

    Only the open tab runs (Streamlit's lazy tabs): the finite differences and the Plotly
    figures cost more than the graph itself, and most reruns never look at them.
    """
    tensors, check, plots = st.tabs(list(PANELS), key="panel", on_change="rerun", default=PANELS[0])
    if tensors.open:
        with tensors:
            tensors_ui(run)
    if check.open:
        from app_ui.checks import checks_ui

        with check:
            checks_ui(run, shown)
    if plots.open:
        from app_ui.plots import plots_ui

        with plots:
            plots_ui(run, shown)


def graph_area_ui(run, source: str, inputs, card_col, tools=None):
    """Controls, the player and the step card; the URL follows the step shown.

    `tools` (presentation mode: a place beside the graph) takes the controls, the pass
    picker and the engine's notes, so that the player has the window's whole height.
    Returns what the graph shows (a compute.RunView), or None when nothing
    current is drawn (an empty program, or the last good graph shown as out of date).
    """
    from app_ui.compute import RunView, drawable_pass

    with tools if tools is not None else contextlib.nullcontext():
        with st.container(horizontal=True, gap="small"):
            options_ui()
            # Made here so they keep their places; filled below, once the step is known.
            download_menu = lazy_menu("Download", ":material/download:", "menu-download")
            share_menu = lazy_menu("Share", ":material/link:", "menu-share")
            if st.session_state.present:
                st.toggle("Presentation mode", key="present")
        number = pass_ui(run)
        notes_ui(run)
    items = state.option_items()
    shown, stale = None, False
    if drawable_pass(run, number) is not None:
        shown = RunView(source, inputs, number, items)
        st.session_state.last_good = shown
    elif not run.ok and "last_good" in st.session_state and active_scenario(source) is None:
        # Mid-edit, the last good graph stays in view; a scenario's error is the lesson itself.
        last = st.session_state.last_good
        shown, stale = RunView(last.source, last.inputs, last.number, items), True
    step, drawn = -1, False
    if shown is None:
        hint = EMPTY_HINT if not source.strip() else NO_TENSOR_HINT if run.ok else STOPPED_HINT
        st.info(hint, icon=":material/edit:")
    else:
        step, drawn = graph_ui(shown, stale)
        with card_col:
            step_card_ui(shown.pass_(), step, stale)
    downloads_ui(download_menu, shown if drawn else None, step)
    share_ui(share_menu, state.url_ui(source, number, step, inputs))
    return None if stale else shown


def main() -> None:
    st.set_page_config(page_title="Autograd Explorer", page_icon=str(FAVICON), layout="wide")
    from app_ui.compute import warm_workers

    warm_workers()
    state.url_state_ui()
    present = st.session_state.present
    st.session_state.present_drawn = present
    st.html(PAGE_CSS + (PRESENT_CSS if present else ""))
    if not present:
        header_ui()
        presets_ui()
    workspace_ui()
    footer_ui()


# A fragment that reruns on a timer makes Streamlit's frontend rerun the whole page each time
# its websocket reconnects. Without one it does so only when its last run was a fragment run,
# so a page whose last run was a full run (a share link opened and watched, a preset clicked)
# kept its old picture on a new server session (a replica lost, a server restarted) that had
# never run it, and every later edit was dropped: "The fragment with id ... does not exist".
RECONNECT_TICK = 600  # seconds (a number: a string such as "10m" makes Streamlit import pandas)


@st.fragment(run_every=RECONNECT_TICK)
def footer_ui() -> None:
    """Where programs run, which layers of the sandbox are active, and on which replica."""
    from app_ui.compute import sandbox_line

    where = "Programs run as real Python in a locked worker"
    replica = os.environ.get("AUTOGRAD_EXPLORER_REPLICA")
    on = f" · replica {replica}, pid {os.getpid()}" if replica else ""
    st.caption(f":material/shield: {where} · {sandbox_line()}{on}")


@st.fragment
def workspace_ui() -> None:
    """Editor, graph, card and panels. A fragment: an edit, a step or an option reruns only
    this, not the title and the examples above it, which no edit changes.
    """
    state.keep_state_ui()
    present = st.session_state.present
    if present != st.session_state.present_drawn:
        st.rerun()  # the mode switch beside the graph changes the whole page
    # Always one element here, so that a change of theme does not shift (remount) the player.
    dark = st.session_state.opt_theme == "dark" and not present
    st.html(DARK_CSS if dark else "<style></style>")
    if present:
        # The lecturer switches examples and types live without leaving the mode: a compact
        # picker, and the editor folded away until it is wanted (made only while open).
        graph_col, card_col = st.columns([2, 1])
        with card_col:
            picker_ui()
            tools = st.container(key="present-tools")  # filled by graph_area_ui
            editor = st.expander(
                "Edit the program", icon=":material/edit:", key="present-editor",
                on_change="rerun",
            )  # fmt: skip
            if editor.open:
                with editor:
                    source = program_ui(editable=True)
                    run, inputs = execute_ui(source, editable=True)
                    printed_ui(run)
            else:
                source = program_ui(editable=False)
                run, inputs = execute_ui(source, editable=False)
            status_ui(run, source)
            guidance_ui(source)
    else:
        tools = None
        edit_col, graph_col, card_col = st.columns([4, 6, 3])
        with edit_col:
            bring_back_ui()
            source = program_ui(editable=True)
            run, inputs = execute_ui(source, editable=True)
            status_ui(run, source)
            guidance_ui(source)
            printed_ui(run)
    with graph_col:
        shown = graph_area_ui(run, source, inputs, card_col, tools)
    panels_ui(run, shown)
    # The editor marks the error's line too (hidden; after the player, the page's first
    # component, which tests read as the first).
    mark_error_line(source, run.error.line if run.error else None)


if __name__ == "__main__":  # run as the script itself (autograd-explorer app)
    main()
