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


class TypedConfig:
    """The one base of every typed config block: ScaPre's config, the baseline erasers' configs,
    attack params, metric params and scorer params. Subclasses are frozen dataclasses whose
    annotations are the schema: values are type-checked on construction (then `validate()` does
    the range checks), `from_dict` refuses unknown keys, `with_overrides` parses `key=value`
    text, `to_dict` gives plain JSON values. Errors are `error` (the owner's error type), with
    `label` naming the owner, and carry the offending key as `err.key` so a suite validator
    can point at its line."""

    label: typing.ClassVar[str] = "config"
    error: typing.ClassVar[type[Exception]] = ValueError
    prefix_fields: typing.ClassVar[bool] = True  # "uce lamb must be ..." vs "lamb must be ..."

    def __post_init__(self) -> None:
        hints = self.hints()
        prefix = self.label if self.prefix_fields else ""
        for f in dataclasses.fields(self):  # type: ignore[arg-type]
            value = getattr(self, f.name)
            try:
                value = coerce_field(f.name, value, hints[f.name], self.error, prefix)
                check_bounds(f, value, self.error, prefix)
            except self.error as err:
                raise _keyed(err, f.name) from None
            object.__setattr__(self, f.name, value)
        self.validate()

    def validate(self) -> None:
        """Cross-field and range checks; raise `self.fail(key, message)`."""

    @classmethod
    def fail(cls, key: str, message: str) -> Exception:
        """An error of this config's type about `key` (raise it)."""
        return _keyed(cls.error(message), key)

    @classmethod
    def hints(cls) -> dict[str, Any]:
        names = cls.keys()
        return {k: v for k, v in typing.get_type_hints(cls).items() if k in names}

    @classmethod
    def keys(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    @classmethod
    def unknown_keys(cls, data: typing.Mapping[str, Any]) -> list[str]:
        """The keys of `data` that are not fields, in their order."""
        known = set(cls.keys())
        return [k for k in data if k not in known]

    @classmethod
    def unknown_message(cls, keys: typing.Sequence[str]) -> str:
        """'unknown uce config key(s): lamda (did you mean lamb?)'"""
        import difflib

        hints = []
        for key in keys:
            close = difflib.get_close_matches(str(key), cls.keys(), n=1)
            if close:
                hints.append(f"{key} -> {close[0]}")
        text = f"unknown {cls.label} config key(s): {', '.join(map(str, keys))}"
        return text + (f" (did you mean {'; '.join(hints)}?)" if hints else "")

    @classmethod
    def from_dict(cls, data: typing.Mapping[str, Any]):
        unknown = cls.unknown_keys(data)
        if unknown:
            raise _keyed(cls.error(cls.unknown_message(unknown)), unknown[0])
        return cls(**dict(data))

    def with_overrides(self, assignments: typing.Sequence[str]):
        """Apply `key=value` strings (from `--set`), parsing each value to the field's type."""
        updates = parse_assignments(assignments, self.hints(), self.error, f"{self.label} config")
        return dataclasses.replace(self, **updates)  # type: ignore[type-var]

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (tuples become lists), in field order."""
        return plain_fields(self)


def _keyed(err: Exception, key: str) -> Exception:
    if getattr(err, "key", None) is None:
        err.key = key  # type: ignore[attr-defined]
    return err
