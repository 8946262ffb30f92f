"""One replica of the class server: app.py as an st.App, plus who it is and how it is doing.

`streamlit run class_server/replica_app.py` serves app.py just as `streamlit run app.py`
does, with three additions: every HTTP response says which replica sent it
(`X-Autograd-Replica: r1`), GET /_autograd/metrics answers one line for the operator
(class_server.metrics), and the replica warms up as it starts, not at its first page.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` put only this folder on the path
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402
from starlette.concurrency import run_in_threadpool  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from class_server.metrics import metrics_line, replica_name  # noqa: E402

HEADER = b"x-autograd-replica"


class ReplicaHeader:
    """ASGI middleware: `X-Autograd-Replica: <name>` on every HTTP response."""

    def __init__(self, app):
        self.app = app
        self.header = (HEADER, (replica_name() or "-").encode())

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_named(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", ()), self.header]}
            await send(message)

        return await self.app(scope, receive, send_named)


def warm_up() -> None:
    """Import torch and the app's modules, start the worker pool and run the default
    program, so the first page after a start (or a restart, with a lost replica's pages
    arriving at once) does not wait for them (about 7 s on a busy machine)."""
    from app_ui.compute import run_program, warm_workers
    from app_ui.presets import DEFAULT_PROGRAM

    warm_workers()
    run_program(DEFAULT_PROGRAM)


async def metrics(_request) -> PlainTextResponse:
    # Reading /proc for the process tree takes milliseconds: off the event loop.
    return PlainTextResponse(await run_in_threadpool(metrics_line) + "\n")


app = st.App(
    ROOT / "app.py",
    routes=[Route("/_autograd/metrics", metrics)],
    middleware=[Middleware(ReplicaHeader)],
)
threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
