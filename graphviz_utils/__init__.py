"""Draw engine graphs with Graphviz: themed pictures, backward-pass frames, exports.

Never imports streamlit: the app builds on this package, not the other way round.
"""

from .draw import to_digraph
from .export import FORMATS, export, player_data
from .layout import LayoutError
from .make_dot import make_dot
from .options import DrawOptions, OptionError
from .themes import THEMES, Theme

__all__ = [
    "FORMATS",
    "THEMES",
    "DrawOptions",
    "LayoutError",
    "OptionError",
    "Theme",
    "export",
    "make_dot",
    "player_data",
    "to_digraph",
]
