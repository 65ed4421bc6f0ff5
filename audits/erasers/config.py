"""Frozen, validated eraser configs that round-trip through plain dicts and parse `--set` values.

Each eraser's config is a frozen dataclass deriving from `EraserConfig`; field types come from the
annotations, so a config needs no parsing code of its own. Values are checked on construction, so
an invalid config cannot exist.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, ClassVar, Literal

from audits.erasers.errors import EraserError


@dataclasses.dataclass(frozen=True)
class EraserConfig:
    """Base of every eraser config. `label` names the method in error messages."""

    label: ClassVar[str] = "eraser"

    def __post_init__(self) -> None:
        hints = self.hints()
        for f in dataclasses.fields(self):
            value = _coerce(f.name, getattr(self, f.name), hints[f.name], self.label)
            object.__setattr__(self, f.name, value)
        self.validate()

    def validate(self) -> None:
        """Cross-field and range checks; subclasses raise EraserError."""

    @classmethod
    def hints(cls) -> dict[str, Any]:
        return typing.get_type_hints(cls)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: tuples become lists."""
        out = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            out[f.name] = list(value) if isinstance(value, tuple) else value
        return out

    @classmethod
    def from_dict(cls, data: typing.Mapping[str, Any]) -> EraserConfig:
        unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise EraserError(f"unknown {cls.label} config key(s): {', '.join(unknown)}")
        return cls(**dict(data))

    def with_overrides(self, assignments: typing.Sequence[str]) -> EraserConfig:
        """Apply `key=value` strings (from `--set`), parsing each value to the field's type."""
        hints = self.hints()
        names = [f.name for f in dataclasses.fields(self)]
        updates: dict[str, Any] = {}
        for item in assignments:
            key, sep, raw = item.partition("=")
            key = key.strip()
            if not sep or not key:
                raise EraserError(f"--set expects key=value, got {item!r}")
            if key not in names:
                raise EraserError(
                    f"unknown {self.label} config key {key!r} (valid: {', '.join(names)})"
                )
            updates[key] = _parse(key, raw.strip(), hints[key])
        return dataclasses.replace(self, **updates)


def _optional_inner(hint: Any) -> Any | None:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0]
    return None


def _coerce(name: str, value: Any, hint: Any, label: str) -> Any:
    """Check `value` against `hint`; lists become tuples and ints become floats where declared."""
    inner = _optional_inner(hint)
    if inner is not None:
        return None if value is None else _coerce(name, value, inner, label)
    origin = typing.get_origin(hint)
    if origin is Literal:
        if value not in typing.get_args(hint):
            allowed = ", ".join(repr(a) for a in typing.get_args(hint))
            raise EraserError(f"{label} {name} must be one of {allowed}, got {value!r}")
        return value
    if origin is tuple:
        if isinstance(value, str) or not isinstance(value, (list, tuple)):
            raise EraserError(f"{label} {name} must be a list of strings, got {value!r}")
        if not all(isinstance(v, str) for v in value):
            raise EraserError(f"{label} {name} must be a list of strings, got {value!r}")
        return tuple(value)
    if hint is bool:
        ok = isinstance(value, bool)
    elif hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif hint is float:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:
        ok = isinstance(value, hint)
    if not ok:
        raise EraserError(f"{label} {name} must be {hint.__name__}, got {value!r}")
    return value


def _parse(name: str, raw: str, hint: Any) -> Any:
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
            lowered = raw.lower()
            if lowered in ("true", "1", "yes", "on"):
                return True
            if lowered in ("false", "0", "no", "off"):
                return False
            raise ValueError
        if hint is int:
            return int(raw)
        if hint is float:
            return float(raw)
        return raw
    except ValueError:
        kind = getattr(hint, "__name__", hint)
        raise EraserError(f"{name} expects {kind}, got {raw!r}") from None


def check_positive(config: EraserConfig, *names: str, allow_zero: bool = False) -> None:
    """Raise unless every named numeric field is > 0 (or >= 0 with allow_zero)."""
    for name in names:
        value = getattr(config, name)
        if value < 0 or (value == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise EraserError(f"{config.label} {name} must be {bound}, got {value}")
