"""Drawing and export options: one way to set each, one check, one OptionError."""

from __future__ import annotations

import pytest

from graphviz_utils import DrawOptions, OptionError, export, player_data, to_digraph
from graphviz_utils.cli import main
from graphviz_utils.export import check_output


@pytest.mark.parametrize(
    ("make", "value"),
    [
        (lambda: DrawOptions(theme="neon"), "neon"),
        (lambda: DrawOptions(direction="BT"), "BT"),
        (lambda: DrawOptions(max_nodes=0), 0),
        (lambda: check_output("out.bmp"), "out.bmp"),
        (lambda: check_output("png", dpi=5), 5),
    ],
)
def test_a_bad_option_is_one_option_error_carrying_the_value(make, value):
    """Every bad option raises OptionError (still a ValueError) with what was given."""
    with pytest.raises(OptionError) as caught:
        make()
    assert isinstance(caught.value, ValueError)
    assert caught.value.value == value
    assert str(value) in str(caught.value)


@pytest.mark.parametrize(
    "draw",
    [
        lambda p: to_digraph(p, theme="dark"),
        lambda p: export(p, "svg", theme="dark"),
        lambda p: player_data(p, theme="dark"),
    ],
)
def test_the_theme_is_set_in_the_options_only(lesson, draw):
    """No second way beside options.theme, which could disagree with it."""
    with pytest.raises(TypeError, match="theme"):
        draw(lesson)


def test_a_bad_option_stops_the_cli_before_the_program_runs(tmp_path, capsys):
    """Exit 2 from the library's own message, and the program was never started."""
    ran = tmp_path / "ran.txt"
    program = tmp_path / "p.py"
    program.write_text(f"open({str(ran)!r}, 'w').write('ran')\n", encoding="utf-8")
    for bad in (["-o", str(tmp_path / "g.bmp")], ["-o", str(tmp_path / "g.png"), "--dpi", "5"]):
        assert main(["render", str(program), "--trusted", *bad]) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1
    assert main(["render", str(program), "--trusted", "-o", "g.png", "--theme", "neon"]) == 2
    assert capsys.readouterr().err.startswith("error: unknown theme 'neon'")
    assert not ran.exists()
