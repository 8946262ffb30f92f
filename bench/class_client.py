"""A student at the websocket level: what a page sends and waits for, without a browser.

It loads the page through nginx (GET /, keeping nginx's cookie), opens Streamlit's
websocket and asks for the first run as a page does. An edit is what Ctrl+Enter sends: a
rerun of the workspace fragment with the editor's new text. It is timed to the arrival of
the player's new picture (the bidi component whose SVG names the program's leaf), which is
all a browser needs before it draws. When the connection drops, it reconnects as the
frontend does (a health check through nginx, which moves the cookie; a new websocket; a
full run with the page's URL and its editor's text), and times how long until its graph
is back. Many of them run in one asyncio loop: a browser page costs far more CPU than this.
"""

from __future__ import annotations

import asyncio
import time
import urllib.request
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

TIMEOUT = 60.0  # an edit without its graph after this long is an error


class EditError(Exception):
    """The edit got no graph: an exception on the page, no picture, a timeout, a lost line."""


def program(name: str) -> str:
    """A small model whose leaf is called `name`, so its picture says whose edit it is."""
    return f"x = [1.0, 2.0, 3.0]\n{name} = param([0.1, 0.2, 0.3])\ny = {name}·x + 1.0\n"


@dataclass
class Student:
    """One page's session: its cookies, URL, editor text and websocket."""

    base: str  # http://host:port of nginx
    cookies: dict[str, str] = field(default_factory=dict)
    query: str = ""  # the URL's query string, as the app last set it
    name: str = ""  # the leaf of the program in the editor
    editor: str = ""  # the editor's widget id, and the fragment that holds it
    fragment: str = ""
    replica: str = ""
    ws: websockets.ClientConnection | None = None

    async def load(self, query: str = "") -> float:
        """Open the page (GET / then the websocket and its first run); seconds to the graph."""
        started = time.monotonic()
        await asyncio.to_thread(self._get, "/" + (f"?{query}" if query else ""))
        self.query = query
        await self._connect()
        await self._run(full=True)
        return time.monotonic() - started

    async def edit(self, name: str) -> float:
        """Type `name`'s program and press Ctrl+Enter; seconds until its picture arrives."""
        self.name = name
        started = time.monotonic()
        await self._run(full=False)
        return time.monotonic() - started

    async def idle(self, seconds: float) -> bool:
        """Wait `seconds` between edits; True at once if the connection drops meanwhile."""
        if self.ws is None or seconds <= 0:
            return False
        closed = asyncio.ensure_future(self.ws.wait_closed())
        done, _ = await asyncio.wait({closed}, timeout=seconds)
        if not done:
            closed.cancel()
        return bool(done)

    async def come_back(self, since: float) -> float:
        """After the websocket dropped: reconnect like the frontend, rerun from the URL and
        the editor's text; seconds from `since` until its graph is back."""
        while True:
            try:
                await asyncio.to_thread(self._get, "/_stcore/health")
                await self._connect()
                await self._run(full=True)
                return time.monotonic() - since
            except (OSError, EditError, websockets.WebSocketException):
                await asyncio.sleep(0.5)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    # ----- the protocol ------------------------------------------------------------------

    def _get(self, path: str) -> None:
        """An HTTP request through nginx, keeping the cookies it sets (as a browser does)."""
        request = urllib.request.Request(self.base + path, headers=self._cookie_header())
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            for header in response.headers.get_all("Set-Cookie") or ():
                key, _, value = header.split(";")[0].partition("=")
                self.cookies[key.strip()] = value.strip()
            self.replica = response.headers.get("X-Autograd-Replica", self.replica)

    def _cookie_header(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}

    async def _connect(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        url = self.base.replace("http://", "ws://") + "/_stcore/stream"
        self.ws = await websockets.connect(
            url,
            subprotocols=[websockets.Subprotocol("streamlit")],
            additional_headers={**self._cookie_header(), "Origin": self.base},
            max_size=None,
            open_timeout=30,
        )

    async def _run(self, *, full: bool) -> None:
        """Ask for a run (full, or the workspace fragment) and read until it finishes; an
        EditError unless the picture of `self.name` came with it (any picture on a first
        load without a name)."""
        assert self.ws is not None
        message = BackMsg()
        state = message.rerun_script
        state.query_string = self.query
        if self.name and self.editor:
            widget = state.widget_states.widgets.add()
            widget.id = self.editor
            widget.string_value = program(self.name)
        if not full:
            state.fragment_id = self.fragment
        try:
            await self.ws.send(message.SerializeToString())
            async with asyncio.timeout(TIMEOUT):
                await self._read_run()
        except TimeoutError:
            raise EditError(f"no graph within {TIMEOUT:.0f} s") from None
        except websockets.ConnectionClosed as exc:
            raise EditError("the connection closed") from exc

    async def _read_run(self) -> None:
        assert self.ws is not None
        mark = f">{self.name}<".encode() if self.name else b"<svg"
        drawn, problem = False, ""
        while True:
            raw = await self.ws.recv()
            assert isinstance(raw, bytes)
            msg = ForwardMsg.FromString(raw)
            kind = msg.WhichOneof("type")
            if kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                what = element.WhichOneof("type")
                if what == "text_area":
                    self.editor, self.fragment = element.text_area.id, msg.delta.fragment_id
                elif what == "bidi_component" and mark in raw:
                    drawn = True
                elif what == "exception":
                    problem = element.exception.message[:200]
            elif kind == "page_info_changed":
                self.query = msg.page_info_changed.query_string
            elif kind == "script_finished":
                if problem:
                    raise EditError(f"an exception on the page: {problem}")
                if not drawn:
                    raise EditError(f"the run ended without the graph of {self.name!r}")
                return
