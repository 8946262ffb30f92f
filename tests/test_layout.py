"""Graphviz runs with a timeout and a clear error; one layout per distinct DOT."""

from __future__ import annotations

import pytest

from graphviz_utils.layout import LayoutError, graphviz, layout


def test_layout_is_cached():
    """The same DOT text is laid out once."""
    src = 'digraph { a [id="node-a"]; b [id="node-b"]; a -> b [id="e"] }'
    assert layout(src) is layout(src)
    assert set(layout(src).nodes) == {"node-a", "node-b"}


def test_timeout_is_a_layout_error():
    """A layout past its time is a LayoutError naming the limit, never a hang."""
    big = "digraph {" + " ".join(f"a{i} -> a{(i * 7919) % 3000};" for i in range(3000)) + "}"
    with pytest.raises(LayoutError, match=r"longer than 0\.01 s"):
        graphviz("dot", big, ["-Tjson"], timeout=0.01)


def test_bad_dot_is_a_layout_error():
    """Graphviz's own error comes back as one line."""
    with pytest.raises(LayoutError, match="failed"):
        graphviz("dot", "digraph { a -> }", ["-Tsvg"], timeout=10)


def test_missing_program_is_a_layout_error():
    """A missing Graphviz program says which package installs it."""
    with pytest.raises(LayoutError, match="Debian package graphviz"):
        graphviz("no-such-graphviz-program", "digraph {}", [], timeout=1)
