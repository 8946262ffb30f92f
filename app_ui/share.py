"""The view in the URL: program text (deflated, base64url) plus pass, step, theme and mode."""

from __future__ import annotations

import base64
import binascii
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

MAX_PROGRAM_CHARS = 20_000  # the engine's default program limit; a longer link is refused


def encode_program(text: str) -> str:
    """Program text to a short URL-safe token (deflate, base64url without padding)."""
    packed = zlib.compress(text.encode("utf-8"), 9)
    return base64.urlsafe_b64encode(packed).decode("ascii").rstrip("=")


def decode_program(token: str) -> str | None:
    """The program a token holds, or None when the token is damaged (a mangled link)."""
    try:
        packed = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, MAX_PROGRAM_CHARS * 4)
        if inflater.unconsumed_tail or not inflater.eof:  # a zip bomb, or a link cut short
            return None
        return raw.decode("utf-8")
    except (ValueError, binascii.Error, zlib.error, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class View:
    """What a share link reproduces."""

    program: str | None = None
    pass_number: int = 1
    step: int | None = None
    theme: str | None = None
    present: bool = False


def view_to_params(view: View) -> dict[str, str]:
    """Query parameters for a view; defaults are left out to keep links short."""
    params: dict[str, str] = {}
    if view.program is not None:
        params["p"] = encode_program(view.program)
    if view.pass_number != 1:
        params["b"] = str(view.pass_number)
    if view.step is not None:
        params["s"] = str(view.step)
    if view.theme:
        params["t"] = view.theme
    if view.present:
        params["view"] = "present"
    return params


def params_to_view(params: Mapping[str, str]) -> View:
    """Read a view back from query parameters; anything malformed falls back to its default."""
    program = decode_program(params["p"]) if params.get("p") else None
    return View(
        program=program,
        pass_number=_int(params.get("b"), 1, minimum=1),
        step=_int(params.get("s"), None, minimum=-1),
        theme=params.get("t") or None,
        present=params.get("view") == "present",
    )


def _int(text: str | None, default, *, minimum: int):
    try:
        value = int(text) if text is not None else default
    except ValueError:
        return default
    return value if value is None or value >= minimum else default
