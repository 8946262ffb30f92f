"""The app in real Chromium, through the harness in conftest.py."""

import pytest

pytestmark = pytest.mark.browser


def test_page_loads_with_editor(app_page):
    """Chromium loads the page and finds the program editor with the default model."""
    editor = app_page.locator('[data-testid="stTextArea"] textarea')
    editor.wait_for(timeout=30_000)
    assert "param(" in editor.input_value()
    assert app_page.title() == "Autograd Explorer"
