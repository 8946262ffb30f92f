"""app_ui.share: the program and view in a compact, damage-tolerant URL."""

from hypothesis import given
from hypothesis import strategies as st

from app_ui.share import View, decode_program, encode_program, params_to_view, view_to_params


@given(st.text(max_size=2_000))
def test_any_program_round_trips(text):
    """Every program text, unicode included, decodes to exactly what was encoded."""
    assert decode_program(encode_program(text)) == text


def test_token_is_url_safe_and_shorter_than_the_program():
    """The token needs no escaping in a URL and compresses a typical program."""
    program = "x = param([1.0, 2.0, 3.0])\n" * 20
    token = encode_program(program)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert len(token) < len(program) / 4


def test_damaged_token_gives_none():
    """A truncated or mangled link is recognised, not decoded into garbage or an exception."""
    token = encode_program("y = w·x + b\n")
    assert decode_program(token[:-6]) is None
    assert decode_program("!!not base64!!") is None


def test_oversized_program_is_refused():
    """A token that inflates far past the program limit (a zip bomb) decodes to None."""
    assert decode_program(encode_program("#" * 200_000)) is None


def test_view_round_trips_through_params():
    """Program, pass, step, theme and presentation mode all come back from the URL."""
    view = View(program="y = x * 2\n", pass_number=2, step=3, theme="dark", present=True)
    assert params_to_view(view_to_params(view)) == view


def test_options_and_variables_round_trip():
    """Drawing options (on, off, a word) and the variables table come back from the URL."""
    view = View(
        program="y = a * x\n",
        options=(("fold_accumulate", True), ("show_values", False), ("direction", "LR")),
        variables=(("a", "[1, 2.5]", False), ("x", "3", True)),
    )
    params = view_to_params(view)
    assert params["o"] == "fold_accumulate,-show_values,direction.LR"
    assert params_to_view(params) == view


def test_malformed_options_and_variables_are_left_out():
    """A hand-edited option list keeps its good tokens; a damaged table gives no rows."""
    view = params_to_view({"o": "show_saved,,Bad-Token,direction.L R,-collapse", "v": "zzz"})
    assert view.options == (("show_saved", True), ("collapse", False))
    assert view.variables == ()
    rows = encode_program('[["a", "1", true], ["not a name", "2", true], ["b", 3, true]]')
    assert params_to_view({"v": rows}).variables == (("a", "1", True),)


def test_defaults_stay_out_of_the_url():
    """A first pass, no theme and the editor view add nothing to the link."""
    assert view_to_params(View(program="", step=None)) == {"p": encode_program("")}


def test_malformed_numbers_fall_back_to_defaults():
    """A hand-edited link with junk numbers still opens (pass 1, no step)."""
    view = params_to_view({"b": "two", "s": "-7"})
    assert (view.pass_number, view.step, view.program) == (1, None, None)
