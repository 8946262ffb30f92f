"""Autograd Explorer: type a model, see the graph autograd records, watch gradients flow."""

from __future__ import annotations

import streamlit as st

DEFAULT_PROGRAM = """\
# y = w·x + b, the lesson's linear model
x = [1.0, 2.0, 3.0]
w = param([0.1, 0.2, 0.3])
b = param(1.0)
y = w·x + b
"""


def editor_ui() -> str:
    """The program editor; its text is the whole input of a run."""
    if "program" not in st.session_state:
        st.session_state.program = DEFAULT_PROGRAM
    return st.text_area("Program", key="program", height=220)


def main() -> None:
    st.set_page_config(page_title="Autograd Explorer", page_icon="∂", layout="wide")
    st.title("Autograd Explorer")
    editor_ui()


main()
