"""Colour and type themes for drawing graphs; kinds also differ by shape, border and dashes."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Theme:
    """A picture's look; colours are #rrggbb (Graphviz 2.43 needs 6 digits)."""

    name: str
    background: str
    text: str  # main text and lines
    muted: str  # secondary text: op class names, shapes, notes
    leaf: str  # fill of parameters (leaves that get .grad)
    constant: str
    cut: str
    output: str
    op: str
    accumulate: str
    active: str  # border of the node backward is running
    active_fill: str
    travel: str  # the edge a gradient travels along, and its value
    done: str  # edges whose gradient has arrived
    grad: str  # .grad text once filled
    forward: str = "#2b8a3e"  # values flowing forward: unlike every backward colour
    broken: str = "#c92a2a"  # where backward() stopped (marked by a ✗ row as well)
    font: str = "DejaVu Sans"
    font_size: float = 14.0
    pen: float = 1.2  # line width of borders and edges
    filled: bool = True  # print: no fill, distinctions by shape, border and dashes only
    # Slides: a node's name (or op symbol) and its kind share one row, ranks and neighbours
    # sit closer. The same nodes and texts in about 30 % less height, so the picture fitted
    # into a projector's window is drawn that much bigger.
    compact: bool = False


_LIGHT = Theme(
    "light", background="#ffffff", text="#1f2328", muted="#57606a",
    leaf="#dbeafe", constant="#f3f4f6", cut="#fde2e2", output="#dcfce7",
    op="#fff7d6", accumulate="#ede9fe",
    active="#d9480f", active_fill="#ffe8cc", travel="#d9480f", done="#1c7ed6", grad="#c2255c",
)  # fmt: skip

THEMES: dict[str, Theme] = {
    "light": _LIGHT,
    "dark": Theme(
        "dark",
        background="#0d1117",
        text="#e6edf3",
        muted="#9ea7b3",
        leaf="#1e3a5f",
        constant="#2d333b",
        cut="#4c1d1d",
        output="#16432b",
        op="#3d3415",
        accumulate="#2e2650",
        active="#ffa94d",
        active_fill="#5c3a12",
        travel="#ffa94d",
        done="#74c0fc",
        grad="#faa2c1",
        forward="#69db7c",
        broken="#ff8787",
    ),
    # Projected from the back of a room: 22pt type at 1280×720, thick lines, strong contrast.
    "slide": replace(
        _LIGHT, name="slide", text="#000000", muted="#333333", font_size=22.0, pen=2.6, compact=True
    ),
    "print": Theme(
        "print",
        background="#ffffff",
        text="#000000",
        muted="#000000",
        leaf="#ffffff",
        constant="#ffffff",
        cut="#ffffff",
        output="#ffffff",
        op="#ffffff",
        accumulate="#ffffff",
        active="#000000",
        active_fill="#ffffff",
        travel="#000000",
        done="#000000",
        grad="#000000",
        forward="#000000",
        broken="#000000",
        filled=False,
    ),
    # Okabe-Ito: distinguishable with every common colour-vision deficiency.
    "colorblind": Theme(
        "colorblind",
        background="#ffffff",
        text="#000000",
        muted="#4d4d4d",
        leaf="#b3dcf5",
        constant="#eeeeee",
        cut="#f7d4b0",
        output="#bfe8dc",
        op="#fbf3b0",
        accumulate="#e6cbdc",
        active="#d55e00",
        active_fill="#fbe0cc",
        travel="#d55e00",
        done="#0072b2",
        grad="#882255",  # Tol's wine: Okabe-Ito's pink is too pale on fills
        forward="#009e73",  # Okabe-Ito's bluish green
    ),
}
