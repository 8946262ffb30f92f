"""The floor of the rerun benchmark: the baseline app with our engine in place of plain torch.

The same text area and st.graphviz_chart as baseline_app.py; only the program is run by
engine.run (the safe interpreter, recording the backward pass) and drawn by our DOT. No
player, step card, tabs, menus or share link: what any app that interprets the program
itself pays per edit before it shows anything more.
"""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # engine, graphviz_utils

import engine
from graphviz_utils import to_digraph

CARD = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"

program = st.text_area("Program", CARD, key="program", height=200)
run = engine.run(program, numeric=False)
st.graphviz_chart(to_digraph(run.passes[-1]).source)
