"""App tests without a browser: streamlit.testing.v1.AppTest runs app.py in-process."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parent.parent / "app.py")


def at_run(**kwargs) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    return at.run(**kwargs)


def test_app_shows_title_and_editor():
    """The page has its title and the program editor keyed 'program'."""
    at = at_run()
    assert not at.exception
    assert at.title[0].value == "Autograd Explorer"
    assert at.text_area(key="program").value.strip() != ""
