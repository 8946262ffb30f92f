"""The program editor as a code editor, in real Chromium (issue 15, item 12): Tab and Enter
indent as Python wants, line numbers match the text's lines, the error's line is marked,
Ctrl+Z undoes a Tab, Esc then Tab leaves, and Ctrl+Enter still runs."""

import contextlib
import io
import traceback

import pytest
from conftest import wait_script_done
from playwright.sync_api import expect
from test_browser_app import TIMEOUT

pytestmark = pytest.mark.browser
expect.set_options(timeout=TIMEOUT)  # a rerun under load outlasts the 5 s default

EDITOR = '[data-testid="stTextArea"] textarea'
GUTTER = '[data-testid="stTextArea"] .ae-gutter'
PRINTED = ".st-key-printed pre"


def printed(program: str) -> str:
    """What CPython prints for a program (the app must print the same)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(program, "<program>", "exec"), {})
    return out.getvalue()


def error_line(program: str) -> int:
    """The line CPython stops at: where the program's own frame raised."""
    try:
        exec(compile(program, "<program>", "exec"), {})
    except Exception as exc:  # noqa: BLE001 - any error of the program's is the point
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<program>"]
        return frames[-1].lineno
    raise AssertionError("the program ran without an error")


def emptied(page):
    """The editor, focused and empty."""
    editor = page.locator(EDITOR)
    editor.fill("")
    editor.focus()
    return editor


def line_of_caret(editor) -> int:
    return editor.evaluate("t => t.value.slice(0, t.selectionStart).split('\\n').length")


def run_and_wait(page, editor) -> None:
    editor.press("Control+Enter")
    page.wait_for_timeout(300)
    wait_script_done(page)


def test_a_loop_typed_with_tab_and_enter_is_the_program_python_runs(app_page):
    """Typed key by key as a person types: Enter keeps the loop body's indent and adds one
    after a colon, Backspace goes back a level, Tab indents; Ctrl+Enter runs the text, and
    the app prints what CPython prints for it."""
    editor = emptied(app_page)
    keyboard = app_page.keyboard
    keyboard.type("import torch")
    keyboard.press("Enter")
    keyboard.type("x = torch.tensor(2.0, requires_grad=True)")
    keyboard.press("Enter")
    keyboard.type("y = x")
    keyboard.press("Enter")
    keyboard.type("for i in range(3):")
    keyboard.press("Enter")  # one level in, by itself
    keyboard.press("Backspace")  # back to the margin, one level at once
    keyboard.press("Tab")  # and in again
    keyboard.type("if i > 0:")
    keyboard.press("Enter")
    keyboard.type("y = y * x + i")
    keyboard.press("Enter")
    keyboard.press("Backspace")
    keyboard.press("Backspace")
    keyboard.type("print(y)")
    meant = (
        "import torch\nx = torch.tensor(2.0, requires_grad=True)\ny = x\n"
        "for i in range(3):\n    if i > 0:\n        y = y * x + i\nprint(y)"
    )
    value = editor.input_value()
    assert value == meant
    expect(editor).to_be_focused()  # Tab stayed in the editor
    run_and_wait(app_page, editor)
    expected = printed(value).rstrip("\n")
    expect(app_page.locator(PRINTED)).to_have_text(expected)


def test_line_numbers_count_the_lines_and_stay_aligned_when_scrolled(app_page):
    """One number per line of text, a long line does not wrap, and after scrolling the
    editor a click beside number k puts the caret on line k (the browser's own layout)."""
    lines = ["import torch", "x = torch.tensor(1.0, requires_grad=True)"]
    lines.append("y = x" + " + x" * 60)  # far wider than the editor
    lines += [f"y = y * 1.01 + {k}" for k in range(40)]
    program = "\n".join(lines) + "\n"
    editor = app_page.locator(EDITOR)
    editor.fill(program)
    run_and_wait(app_page, editor)
    numbers = app_page.locator(f"{GUTTER} .ae-numbers > div")
    expect(numbers).to_have_count(program.count("\n") + 1)
    assert numbers.all_inner_texts() == [str(k) for k in range(1, program.count("\n") + 2)]
    editor.evaluate("t => { t.scrollTop = 333; }")
    app_page.wait_for_timeout(100)
    assert editor.evaluate("t => t.scrollTop") > 300, "the editor did not scroll"
    box = editor.bounding_box()
    assert box is not None
    checked = 0
    for k in range(8, 30):
        number = numbers.nth(k - 1).bounding_box()
        assert number is not None
        middle = number["y"] + number["height"] / 2
        if not box["y"] + 8 < middle < box["y"] + box["height"] - 24:
            continue  # scrolled out of view
        app_page.mouse.click(box["x"] + box["width"] * 0.6, middle)
        assert line_of_caret(editor) == k, f"number {k} sits beside another line"
        checked += 1
    assert checked >= 5, "too few numbers in view to check"


def band(page, editor) -> tuple[float, float] | None:
    """The page y span of the red band in the editor's picture, at its right edge where
    there is no text (rows of a focus border, a pixel or two, are not a band)."""
    from PIL import Image

    box = editor.bounding_box()
    assert box is not None
    shot = Image.open(io.BytesIO(editor.screenshot())).convert("RGB")
    x = shot.width - 24  # clear of the resize handle's column
    red = [y for y in range(shot.height) if is_red(shot.getpixel((x, y)))]
    runs: list[list[int]] = []
    for y in red:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    scale = box["height"] / shot.height
    bands = [(box["y"] + r[0] * scale, box["y"] + r[-1] * scale) for r in runs if len(r) > 8]
    assert len(bands) <= 1, f"more than one band: {bands}"
    return bands[0] if bands else None


def is_red(pixel) -> bool:
    r, g, b = pixel
    return r - g > 25 and r - b > 25


def test_the_error_line_is_marked_and_follows_lines_typed_above(app_page):
    """An error on line N (where CPython stops) puts a band on line N and marks N in the
    gutter; a line typed above moves the mark with its text; a program that runs has none."""
    program = (
        "import torch\n\nx = torch.tensor([1.0, 2.0], requires_grad=True)\n"
        "y = (x * x).sum()\nz = y.foo()\nprint(z)\n"
    )
    n = error_line(program)
    editor = app_page.locator(EDITOR)
    editor.fill(program)
    run_and_wait(app_page, editor)
    marked = app_page.locator(f"{GUTTER} .ae-error")
    expect(marked).to_have_text(str(n))
    expect(app_page.locator('[data-testid="stAlertContentError"]')).to_contain_text(f"line {n}")
    shown = band(app_page, editor)
    assert shown is not None, "no band in the editor"
    box = editor.bounding_box()
    assert box is not None
    app_page.mouse.click(box["x"] + box["width"] * 0.7, sum(shown) / 2)
    assert line_of_caret(editor) == n, "the band is not on the error's line"
    # A line typed above, not yet run: the mark stays on the line's text.
    editor.evaluate("t => t.setSelectionRange(0, 0)")
    app_page.keyboard.type("# a note")
    app_page.keyboard.press("Enter")
    expect(marked).to_have_text(str(n + 1))
    shown = band(app_page, editor)
    assert shown is not None, "the band went away"
    app_page.mouse.click(box["x"] + box["width"] * 0.7, sum(shown) / 2)
    assert editor.input_value().splitlines()[line_of_caret(editor) - 1] == "z = y.foo()"
    fixed = program.replace("y.foo()", "y * 2")
    printed(fixed)  # runs in CPython
    editor.fill(fixed)
    run_and_wait(app_page, editor)
    expect(app_page.locator(PRINTED)).to_have_text(printed(fixed).rstrip("\n"))
    expect(marked).to_have_count(0)
    assert band(app_page, editor) is None


def test_ctrl_z_undoes_a_tab_and_tab_indents_every_selected_line(app_page):
    """Tab is an edit the browser keeps in its undo history: Ctrl+Z takes it back. With
    three lines selected, Tab indents each; Shift+Tab takes them back out."""
    program = "a = 1\nb = 2\nc = 3\n"
    editor = emptied(app_page)
    editor.fill(program)
    editor.evaluate("t => t.setSelectionRange(6, 6)")  # the start of line 2
    app_page.keyboard.press("Tab")
    assert editor.input_value() == program.replace("b = 2", "    b = 2")
    app_page.keyboard.press("Control+z")
    assert editor.input_value() == program
    editor.evaluate("t => t.setSelectionRange(0, t.value.length - 1)")
    app_page.keyboard.press("Tab")
    indented = "".join("    " + ln + "\n" for ln in program.splitlines())
    assert editor.input_value() == indented
    app_page.keyboard.press("Shift+Tab")
    assert editor.input_value() == program
    expect(editor).to_be_focused()


def test_escape_then_tab_leaves_the_editor(app_page):
    """Tab indents inside the editor; Esc, then Tab, moves focus on, as Tab does elsewhere
    (no keyboard trap), and leaves the text as it was. The hint under it says so."""
    editor = emptied(app_page)
    app_page.keyboard.type("x = 1")
    app_page.keyboard.press("Tab")
    expect(editor).to_be_focused()
    before = editor.input_value()
    assert before == "x = 1   "  # to the next multiple of four columns
    app_page.keyboard.press("Escape")
    app_page.keyboard.press("Tab")
    expect(editor).not_to_be_focused()
    assert editor.input_value() == before
    editor.focus()
    app_page.keyboard.press("Escape")
    app_page.keyboard.press("Shift+Tab")  # and back the other way
    expect(editor).not_to_be_focused()
    assert editor.input_value() == before
    hint = app_page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Esc, then Tab")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("or type w @ x")
    said = editor.evaluate("t => document.getElementById(t.getAttribute('aria-describedby'))"
                           "?.textContent")  # fmt: skip
    assert said is not None and "Esc, then Tab" in said  # for a screen reader too


def test_an_error_below_the_fold_is_scrolled_into_view(app_page):
    """A long program whose error is far from the top and from the caret (at the end):
    after the run the editor shows that line, band and number, with no scroll by hand."""
    lines = ["import torch", "x = torch.tensor(1.0, requires_grad=True)", "y = x"]
    lines += ["y = y * 1.01"] * 22 + ["z = y.foo()"] + ["y = y * 1.01"] * 22 + ["print(z)"]
    program = "\n".join(lines) + "\n"
    n = error_line(program)
    editor = app_page.locator(EDITOR)
    editor.fill(program)
    editor.evaluate("t => { t.scrollTop = 0; }")
    run_and_wait(app_page, editor)
    marked = app_page.locator(f"{GUTTER} .ae-error")
    expect(marked).to_have_text(str(n))
    shown = band(app_page, editor)
    assert shown is not None, "the error's line is not in view"
    box = editor.bounding_box()
    assert box is not None
    app_page.mouse.click(box["x"] + box["width"] * 0.7, sum(shown) / 2)
    assert line_of_caret(editor) == n


def test_unfolding_the_editor_in_presentation_mode_shows_the_errors_line(app_page):
    """A lecturer's program failed on a line far down, and the editor is folded away in
    presentation mode: unfolded, it opens on that line, band and number, not on line 1."""
    lines = ["import torch", "x = torch.tensor(1.0, requires_grad=True)", "y = x"]
    lines += ["y = y * 1.01"] * 14 + ["z = y.foo()", "print(z)"]
    program = "\n".join(lines) + "\n"
    n = error_line(program)
    editor = app_page.locator(EDITOR)
    editor.fill(program)
    run_and_wait(app_page, editor)
    app_page.get_by_text("Presentation mode").first.click()
    wait_script_done(app_page)
    expect(app_page.locator(EDITOR)).to_have_count(0)  # folded away
    app_page.get_by_text("Edit the program").first.click()
    wait_script_done(app_page)
    editor = app_page.locator(EDITOR)
    expect(app_page.locator(f"{GUTTER} .ae-error")).to_have_text(str(n))
    top = editor.evaluate("t => t.scrollTop")
    assert top > 0, "the editor opened on line 1, the error's line out of view"
    shown = band(app_page, editor)
    assert shown is not None, "the error's line is not in view"
