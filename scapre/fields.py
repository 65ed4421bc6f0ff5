"""Type checking and `--set` parsing for frozen config dataclasses, driven by their annotations.

Shared by `ScaPreConfig` and the baseline erasers' configs (`audits.erasers.config`), so every
config accepts and refuses values the same way.
"""

from __future__ import annotations

import dataclasses
import math
import types
import typing
from typing import Any, Literal

_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def _optional_inner(hint: Any) -> Any | None:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(hint) if a is not type(None))
    return None


def coerce_field(name: str, value: Any, hint: Any, error: type[Exception], label: str = "") -> Any:
    """Check `value` against the annotation `hint`; lists become tuples, ints become floats
    where a float is declared. Raises `error` with a one-line message otherwise."""
    who = f"{label} {name}" if label else name
    inner = _optional_inner(hint)
    if inner is not None:
        return None if value is None else coerce_field(name, value, inner, error, label)
    origin = typing.get_origin(hint)
    if origin is Literal:
        if value not in typing.get_args(hint):
            allowed = ", ".join(repr(a) for a in typing.get_args(hint))
            raise error(f"{who} must be one of {allowed}, got {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise error(f"{who} must be a list of strings, got {value!r}")
        if not all(isinstance(v, str) for v in value):
            raise error(f"{who} must be a list of strings, got {value!r}")
        return tuple(value)
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        try:
            value = float(value) if ok else value
        except OverflowError:  # an int beyond float range
            raise error(f"{who} must be a finite number, got {value!r}") from None
        if ok and not math.isfinite(value):
            raise error(f"{who} must be a finite number, got {value!r}")
    else:
        ok = isinstance(value, hint)
    if not ok:
        raise error(f"{who} must be {getattr(hint, '__name__', hint)}, got {value!r}")
    return value


def bounded(default: Any, low: float, high: float, *, above: bool = False) -> Any:
    """A dataclass field with documented bounds: `low <= value <= high` (`low < value` when
    `above`); None (for an optional field) is always allowed. `check_bounds` enforces them."""
    return dataclasses.field(default=default, metadata={"bounds": (low, high, above)})


def check_bounds(f: dataclasses.Field, value: Any, error: type[Exception], label: str = "") -> None:
    """Refuse a value outside the bounds declared by `bounded` (one line: field and bounds)."""
    if "bounds" not in f.metadata or value is None or isinstance(value, bool):
        return
    low, high, above = f.metadata["bounds"]
    who = f"{label} {f.name}" if label else f.name
    if above and not value > low:
        raise error(f"{who} must be > {low:g} and <= {high:g}, got {value}")
    if not (low <= value <= high):
        raise error(f"{who} must lie in [{low:g}, {high:g}], got {value}")


def parse_field(name: str, raw: str, hint: Any, error: type[Exception]) -> Any:
    """Parse the text of a `key=value` override into the type `hint` declares."""
    inner = _optional_inner(hint)
    if inner is not None:
        if raw.lower() in ("none", "null"):
            return None
        hint = inner
    origin = typing.get_origin(hint)
    try:
        if origin is Literal:
            return raw
        if origin is tuple:
            sep = ";" if ";" in raw else ","  # ';' lets prompts contain commas
            return tuple(s.strip() for s in raw.split(sep) if s.strip())
        if hint is bool:
            if raw.lower() in _TRUE:
                return True
            if raw.lower() in _FALSE:
                return False
            raise ValueError
        if hint is int:
            return int(raw)
        if hint is float:
            return float(raw)
        return raw
    except ValueError:
        kind = getattr(hint, "__name__", hint)
        raise error(f"{name} expects {kind}, got {raw!r}") from None


def parse_assignments(
    assignments: typing.Sequence[str],
    hints: dict[str, Any],
    error: type[Exception],
    label: str = "config",
) -> dict[str, Any]:
    """`["key=value", ...]` -> {key: typed value}, refusing unknown keys and malformed items."""
    updates: dict[str, Any] = {}
    for item in assignments:
        key, sep, raw = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise error(f"--set expects key=value, got {item!r}")
        if key not in hints:
            raise error(f"unknown {label} key {key!r} (valid: {', '.join(hints)})")
        updates[key] = parse_field(key, raw.strip(), hints[key], error)
    return updates


def plain_fields(config: Any) -> dict[str, Any]:
    """A config dataclass as plain JSON-ready values (tuples become lists), in field order."""
    out = {}
    for f in dataclasses.fields(config):
        value = getattr(config, f.name)
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out
