"""`str.format` for programs: attribute fields go through the allow-list, sizes are checked.

Python's own `"{0.__class__}".format(x)` walks attributes freely, so programs never get it.
"""

from __future__ import annotations

import _string  # the field-name splitter str.format itself uses
import string
from collections.abc import Callable
from typing import Any

from engine.interpreter_guards import check_length


class SafeFormatter(string.Formatter):
    """A `string.Formatter` whose fields use the interpreter's attribute allow-list."""

    def __init__(
        self,
        getattr_: Callable[[Any, str], Any],
        check: Callable[[Any, str], None],
        max_chars: int,
    ):
        self._getattr = getattr_
        self._check = check
        self._max_chars = max_chars
        self._size = 0

    def format(self, template: str, /, *args: Any, **kwargs: Any) -> str:
        self._size = len(template)
        return self.vformat(template, args, kwargs)

    def get_field(self, field_name: str, args: Any, kwargs: Any) -> tuple[Any, Any]:
        first, rest = _string.formatter_field_name_split(field_name)
        value = self.get_value(first, args, kwargs)
        for is_attribute, key in rest:
            value = self._getattr(value, key) if is_attribute else value[key]
        return value, first

    def format_field(self, value: Any, format_spec: str) -> str:
        self._check(value, format_spec)
        text = format(value, format_spec)
        self._size += len(text)
        check_length(self._size, self._max_chars)
        return text
