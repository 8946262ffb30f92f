"""The stand-ins a program sees instead of raw modules and callables."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.errors import Refused


class SafeCallable:
    """A callable that runs its guard first; shows and `isinstance`-checks like what it wraps."""

    __slots__ = ("_call", "_shown")

    def __init__(self, call: Callable[..., Any], shown: Any):
        self._call = call
        self._shown = shown

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._call(*args, **kwargs)

    def __instancecheck__(self, value: Any) -> bool:
        return isinstance(self._shown, type) and isinstance(value, self._shown)

    def __repr__(self) -> str:
        return repr(self._shown)


class GradModeFactory:
    """`torch.no_grad` and friends: usable only as `with torch.no_grad():`."""

    __slots__ = ("mode", "name")

    def __init__(self, name: str, mode: bool | None):
        self.name = name
        self.mode = mode

    def mode_for(self, *args: Any, **kwargs: Any) -> bool:
        """The grad mode this `with` item asks for."""
        if self.mode is not None:
            if args or kwargs:
                raise TypeError(f"{self.name}() takes no arguments")
            return self.mode
        if len(args) + len(kwargs) != 1 or (kwargs and "mode" not in kwargs):
            raise TypeError("set_grad_enabled() takes exactly one argument (mode)")
        return bool(args[0] if args else kwargs["mode"])

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise Refused(
            f"torch.{self.name}(...) is only allowed as a context manager: "
            f"with torch.{self.name}(...):"
        )

    def __repr__(self) -> str:
        return f"<class 'torch.{self.name}'>"


GRAD_MODES = {
    "no_grad": GradModeFactory("no_grad", False),
    "enable_grad": GradModeFactory("enable_grad", True),
    "set_grad_enabled": GradModeFactory("set_grad_enabled", None),
}


class Namespace:
    """A module such as `torch` or `nn`, showing only allow-listed names.

    `wrap(path, value)` turns each allowed callable into a guarded one; it is applied once
    per name and cached.
    """

    def __init__(
        self,
        path: str,
        module: Any,
        names: frozenset[str],
        wrap: Callable[[str, Any], Any],
        children: dict[str, Namespace] | None = None,
    ):
        self.path = path
        self.module = module
        self.names = names
        self._wrap = wrap
        self._cache: dict[str, Any] = dict(children or {})

    def attr(self, name: str) -> Any:
        """The program-visible value of `module.name`, or a clear refusal."""
        if name in self._cache:
            return self._cache[name]
        if name not in self.names:
            if not hasattr(self.module, name):
                raise AttributeError(f"module '{self.path}' has no attribute '{name}'")
            raise Refused(f"'{self.path}.{name}' is not allowed")
        value = GRAD_MODES.get(name) or self._wrap(
            f"{self.path}.{name}", getattr(self.module, name)
        )
        self._cache[name] = value
        return value

    def __repr__(self) -> str:
        return repr(self.module)
