"""An LRU cache bounded by the bytes its values hold, not by how many there are.

One run of a training loop over big tensors can hold hundreds of megabytes of reports;
a cache of 128 entries of those is gigabytes. This one evicts the least recently used
values until the total is under its budget.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def byte_lru(max_bytes: int, size_of: Callable[[Any], int]):
    """Decorate a pure function of hashable arguments; `size_of(value)` estimates bytes.

    A value bigger than the whole budget is returned but not kept.
    """

    def decorate(fn: Callable[..., T]) -> Callable[..., T]:
        entries: OrderedDict[tuple, tuple[Any, int]] = OrderedDict()
        lock = threading.Lock()
        total = [0]

        @functools.wraps(fn)
        def cached(*args: Any) -> T:
            with lock:
                if args in entries:
                    entries.move_to_end(args)
                    return entries[args][0]
            value = fn(*args)
            size = max(1, int(size_of(value)))
            with lock:
                if args not in entries and size <= max_bytes:
                    entries[args] = (value, size)
                    total[0] += size
                    while total[0] > max_bytes:
                        _, (_, dropped) = entries.popitem(last=False)
                        total[0] -= dropped
            return value

        def cache_clear() -> None:
            with lock:
                entries.clear()
                total[0] = 0

        def cache_bytes() -> int:
            return total[0]

        cached.cache_clear = cache_clear  # type: ignore[attr-defined]
        cached.cache_bytes = cache_bytes  # type: ignore[attr-defined]
        cached.cache_len = lambda: len(entries)  # type: ignore[attr-defined]
        return cached

    return decorate
