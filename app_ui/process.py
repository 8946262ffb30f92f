"""What the server process does once, on its first page run."""

from __future__ import annotations

import gc

_settled = False


def settle() -> None:
    """Move the objects the imports made (Streamlit, torch, Plotly, graphviz) out of the
    garbage collector's reach, once per process.

    A full collection walks every tracked object: with these it took about 45 ms, on some
    rerun of some session, while a class waited. They live as long as the process, so
    there is nothing in them to collect (the worker's zygote does the same for its children).
    """
    global _settled
    if _settled:
        return
    _settled = True
    gc.collect()
    gc.freeze()
