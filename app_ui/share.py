"""The view in the URL: program text (deflated, base64url) plus pass, step, theme, mode, the
drawing options and the variables table."""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

MAX_PROGRAM_CHARS = 20_000  # the engine's default program limit; a longer link is refused
# An option in the link: `name` (on), `-name` (off) or `name.value` (a word such as LR).
_OPTION = re.compile(r"(-?)([a-z_]{1,40})(?:\.([A-Za-z0-9_]{1,20}))?")


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
    # Drawing options as (name, value) pairs, bool or str: the page puts only those that
    # differ from its defaults here, and checks names and types when it reads them back.
    options: tuple[tuple[str, bool | str], ...] = ()
    # The variables table's rows: (name, value as typed, requires_grad).
    variables: tuple[tuple[str, str, bool], ...] = ()


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
    if view.options:
        params["o"] = ",".join(_option_token(name, value) for name, value in view.options)
    if view.variables:
        params["v"] = encode_program(json.dumps([list(row) for row in view.variables]))
    return params


def _option_token(name: str, value: bool | str) -> str:
    if isinstance(value, bool):
        return name if value else f"-{name}"
    return f"{name}.{value}"


def params_to_view(params: Mapping[str, str]) -> View:
    """Read a view back from query parameters; anything malformed falls back to its default."""
    program = decode_program(params["p"]) if params.get("p") else None
    return View(
        program=program,
        pass_number=_int(params.get("b"), 1, minimum=1),
        step=_int(params.get("s"), None, minimum=-1),
        theme=params.get("t") or None,
        present=params.get("view") == "present",
        options=_options(params.get("o") or ""),
        variables=_variables(params.get("v") or ""),
    )


def _options(text: str) -> tuple[tuple[str, bool | str], ...]:
    """The options a link names; a malformed token is left out."""
    found: list[tuple[str, bool | str]] = []
    for token in text.split(",")[:20]:
        match = _OPTION.fullmatch(token)
        if match:
            off, name, word = match.groups()
            found.append((name, word) if word and not off else (name, not off))
    return tuple(found)


def _variables(token: str) -> tuple[tuple[str, str, bool], ...]:
    """The variables table a link holds; anything malformed gives an empty table."""
    text = decode_program(token) if token else None
    try:
        rows = json.loads(text) if text else []
    except ValueError:
        return ()
    if not isinstance(rows, list):
        return ()
    good = (
        (r[0], r[1], r[2])
        for r in rows
        if isinstance(r, list) and len(r) == 3 and isinstance(r[0], str)
        and isinstance(r[1], str) and isinstance(r[2], bool) and r[0].isidentifier()
    )  # fmt: skip
    return tuple(good)


def _int(text: str | None, default, *, minimum: int):
    try:
        value = int(text) if text is not None else default
    except ValueError:
        return default
    return value if value is None or value >= minimum else default
