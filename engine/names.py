"""The names a person gave their tensors: variables, attributes, module parameters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

MAX_NAME = 200  # characters of a variable name worth drawing
MAX_ITEMS = 64  # elements of a list or tuple of tensors named as params[0], params[1], ...


def named_tensors(namespace: Mapping[str, Any]) -> dict[str, torch.Tensor]:
    """Every tensor the person can name: `w`, `model.fc1.weight`, `neuron.w`, `params[0]`."""
    out: dict[str, torch.Tensor] = {}
    for name, value in namespace.items():
        # globals()[1] = ... is legal Python; a name of 2,000 letters is not a label.
        if not isinstance(name, str) or name.startswith("__") or len(name) > MAX_NAME:
            continue
        if isinstance(value, torch.Tensor):
            out[name] = value
        elif isinstance(value, torch.nn.Module):
            _module_tensors(name, value, out)
        elif isinstance(value, (list, tuple)) and 0 < len(value) <= MAX_ITEMS:
            for i, item in enumerate(value):
                if isinstance(item, torch.Tensor):
                    out.setdefault(f"{name}[{i}]", item)
        elif _is_plain_object(value):
            for attr, item in _attributes(value):
                if isinstance(item, torch.Tensor):
                    out[f"{name}.{attr}"] = item
                elif isinstance(item, torch.nn.Module):
                    _module_tensors(f"{name}.{attr}", item, out)
    return out


def scope_names(frame: Any, globals_: Mapping[str, Any], filename: str) -> dict[str, Any]:
    """The names visible where backward() was called: the program's frames, then its globals.

    Inner locals come first and globals last, because the tracer lets a later name win
    for the same tensor: `loss` at the top level beats `l` inside a helper.
    """
    merged: dict[str, Any] = {}
    while frame is not None and frame.f_code.co_filename == filename:
        if frame.f_globals is not frame.f_locals:
            for name, value in frame.f_locals.items():
                if name not in merged and name not in globals_:
                    merged[name] = value
        frame = frame.f_back
    merged.update(globals_)
    return merged


def _module_tensors(prefix: str, module: torch.nn.Module, out: dict[str, torch.Tensor]) -> None:
    try:
        for pname, p in module.named_parameters():
            out[f"{prefix}.{pname}"] = p
    except Exception:  # noqa: BLE001 - a half-built module of the program's own
        return


def _is_plain_object(value: Any) -> bool:
    """An instance of a class the program wrote (micrograd's Neuron), not a module or type."""
    cls = type(value)
    return (
        cls.__module__ == "__main__"
        and not isinstance(value, type)
        and isinstance(getattr(value, "__dict__", None), dict)
    )


def _attributes(value: Any) -> list[tuple[str, Any]]:
    try:
        return list(vars(value).items())[:MAX_ITEMS]
    except TypeError:
        return []
