"""The benchmarks' baseline: the card's model in a text area, torchviz's make_dot on screen.

Deliberately minimal (no interpreter, no player): `name = [..]` / `name = param(..)` lines,
then y = w·x + b, drawn by st.graphviz_chart.
"""

from __future__ import annotations

import ast
import re

import streamlit as st
import torch
from torchviz import make_dot

CARD = "x = [1.0, 2.0, 3.0]\nw = param([0.1, 0.2, 0.3])\nb = param(1.0)\ny = w·x + b\n"
LINE = re.compile(r"^\s*(\w+)\s*=\s*(param\()?([^#]*?)\)?\s*$")


def tensors(text: str) -> dict[str, torch.Tensor]:
    """x, w, b from the card's lines; values by ast.literal_eval, never eval."""
    out = {}
    for line in text.splitlines():
        m = LINE.match(line)
        if m and m.group(1) in "xwb":
            value = ast.literal_eval(m.group(3))
            out[m.group(1)] = torch.tensor(value, requires_grad=bool(m.group(2)))
    return out


program = st.text_area("Program", CARD, key="program", height=200)
t = tensors(program)
y = torch.dot(t["w"], t["x"]) + t["b"]
st.graphviz_chart(make_dot(y, params={"w": t["w"], "b": t["b"]}))
