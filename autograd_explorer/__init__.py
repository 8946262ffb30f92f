"""Autograd Explorer in a notebook: the backward-pass player inline under a cell.

    from autograd_explorer import show, make_dot
    show(loss)                     # the player for any tensor; every .grad stays as it was
    %load_ext autograd_explorer    # then a cell starting with %%autograd [--theme T]
                                   # [--forward] [--step N] runs and shows its graph

A facade over engine and graphviz_utils, at the app's layer. Importing it needs neither
IPython nor Jupyter; the magic imports IPython when it is loaded.
"""

from __future__ import annotations

from typing import Any

from graphviz_utils import make_dot

from .inline import show

__all__ = ["load_ipython_extension", "make_dot", "show"]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext autograd_explorer`: register the %%autograd cell magic."""
    from .magic import AutogradMagics

    ipython.register_magics(AutogradMagics)
