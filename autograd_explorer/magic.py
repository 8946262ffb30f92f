"""%%autograd: run a cell as real Python in the notebook's own namespace, then show its graph.

The cell runs in this kernel (engine.run's trusted mode) with the engine's observers, so
what it prints and leaves behind is exactly what a plain cell would print and leave behind.
"""

from __future__ import annotations

import sys
from dataclasses import replace

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, magics_class
from IPython.core.magic_arguments import argument, magic_arguments, parse_argstring
from IPython.display import display

import engine
from graphviz_utils import THEMES, DrawOptions, LayoutError, OptionError
from graphviz_utils.options import DIRECTIONS

from .cell_html import cell_output

# A person's own cell in their own kernel: no sandbox limits on its size or its printing
# (the defaults are a shared server's); the graph and report limits still keep the page usable.
NOTEBOOK_LIMITS = engine.Limits(program_chars=10_000_000, print_chars=100_000_000)


class CellError(Exception):
    """The cell's own error, shown as its one line: the cell fails (Run All stops there, as
    after a plain cell's error), and the line number says where, so no traceback."""

    def _render_traceback_(self) -> list[str]:
        return [str(self)]


@magics_class
class AutogradMagics(Magics):
    """The %%autograd cell magic (registered by `%load_ext autograd_explorer`)."""

    @magic_arguments()
    @argument("--theme", default="light", help="one of: " + ", ".join(THEMES))
    @argument("--forward", action="store_true", help="play the forward pass first")
    @argument(
        "--step",
        type=int,
        default=None,
        help="the backward step the player starts at (0-based; -1 before backward)",
    )
    @argument("--direction", choices=DIRECTIONS, default="TB", help="TB (top down) or LR")
    @argument("--collapse", action="store_true", help="draw a big graph's middle as one node")
    @cell_magic
    def autograd(self, line: str, cell: str) -> None:
        """Run the cell, print what it printed, and show its graph, player and leaf grads."""
        args = parse_argstring(self.autograd, line)
        try:
            options = DrawOptions(
                theme=args.theme,
                direction=args.direction,
                forward=args.forward,
                collapse=args.collapse,
            )
        except OptionError as exc:
            raise UsageError(str(exc)) from None
        assert self.shell is not None  # IPython registers magics on a shell
        run = engine.run(cell, NOTEBOOK_LIMITS, trusted=True, namespace=self.shell.user_ns)
        sys.stdout.write(run.stdout)
        sys.stdout.flush()
        if not run.ok:
            error = run.error
            if error is not None and error.line is not None:
                error = replace(error, line=error.line + 1)  # the cell's line 1 is %%autograd
            raise CellError(error.describe() if error else "the cell failed")
        try:
            output = cell_output(run, options, args.step)
        except ValueError as exc:  # a --step out of range for this cell's pass
            raise UsageError(str(exc)) from None
        except LayoutError as exc:  # the cell ran; only its picture could not be drawn
            print(f"error: {exc}", file=sys.stderr)
            return
        display(output)
