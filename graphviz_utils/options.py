"""Drawing options: one frozen value, so it can key caches and travel between modules.

Each option is checked in one place, and a bad one raises OptionError: the CLI, the magic
and the app all report that one message instead of checking again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .themes import THEMES, Theme

DIRECTIONS = ("TB", "LR")


class OptionError(ValueError):
    """A drawing or export option that is not one of its choices; `value` is what was given."""

    def __init__(self, message: str, value: Any):
        super().__init__(message)
        self.value = value


def get_theme(name: str) -> Theme:
    """The theme called `name`; an OptionError naming the choices otherwise."""
    try:
        return THEMES[name]
    except (KeyError, TypeError):
        choices = ", ".join(THEMES)
        raise OptionError(f"unknown theme {name!r}; choose one of: {choices}", name) from None


@dataclass(frozen=True)
class DrawOptions:
    """How to draw a graph; every field has the default a lecturer would want."""

    theme: str = "light"
    fold_accumulate: bool = False  # True: AccumulateGrad is drawn inside its leaf
    show_saved: bool = False  # tensors ops saved for backward, listed in the op node
    show_values: bool = True
    show_constants: bool = True
    direction: str = "TB"  # "TB" top to bottom, "LR" left to right
    transparent: bool = False  # no background fill (for slides with their own)
    legend: bool = True
    max_nodes: int = 400  # beyond it the middle of the graph is collapsed (and a note says so)
    collapse: bool = False  # True: collapse to about one screen's worth of nodes
    forward: bool = False  # the player plays the forward pass (values flowing) before backward
    layout_seconds: float = 10.0  # dot gets this long, then a LayoutError
    value_chars: int = 36  # longest value text before it is cut with …
    aspect: str | None = None  # "16:9": SVG, PNG and PDF exports framed to a slide's shape

    def __post_init__(self) -> None:
        get_theme(self.theme)  # raises with the list of choices
        if self.direction not in DIRECTIONS:
            message = (
                f"unknown direction {self.direction!r}; choose one of: {', '.join(DIRECTIONS)}"
            )
            raise OptionError(message, self.direction)
        if self.aspect is not None and aspect_ratio(self.aspect) is None:
            message = f"unknown aspect {self.aspect!r}; write it as width:height, e.g. 16:9"
            raise OptionError(message, self.aspect)
        if self.max_nodes < 1:
            raise OptionError(f"max_nodes must be at least 1, not {self.max_nodes}", self.max_nodes)


def aspect_ratio(text: str) -> float | None:
    """width / height of an aspect written "16:9"; None when it is not two positive numbers."""
    w, sep, h = str(text).partition(":")
    try:
        ratio = float(w) / float(h) if sep else None
    except (ValueError, ZeroDivisionError):
        return None
    return ratio if ratio is not None and 0.1 <= ratio <= 10 else None
