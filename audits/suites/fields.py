"""Typed access to loaded YAML values, with errors that point at the offending field and line."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audits.registry import did_you_mean
from audits.suites.errors import SuiteError
from audits.suites.yaml_io import Locations, PathKey

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_MISSING = object()


@dataclass(frozen=True)
class Node:
    """A value inside a loaded document, with its path for error messages."""

    value: Any
    path: PathKey
    locs: Locations

    @classmethod
    def root(cls, data: Any, locs: Locations | None = None, file: str = "<config>") -> Node:
        return cls(data, (), locs or Locations(Path(file)))

    @property
    def file(self) -> Path:
        """The file this value was read from (the parent suite's file for inherited values)."""
        return self.locs.of(self.path)[0]

    def error(self, message: str) -> SuiteError:
        return self.locs.error(self.path, message)

    def child(self, key: str | int, default: Any = _MISSING) -> Node:
        value = self.value.get(key, default) if isinstance(self.value, dict) else self.value[key]
        if value is _MISSING:
            raise self.error(f"missing required key '{key}'")
        return Node(value, (*self.path, key), self.locs)

    def has(self, key: str) -> bool:
        return isinstance(self.value, dict) and self.value.get(key) is not None

    def opt(self, key: str) -> Node | None:
        """The child `key`, or None when it is absent or null."""
        return self.child(key) if self.has(key) else None

    # -- shapes ---------------------------------------------------------------------------
    def mapping(self, allowed: tuple[str, ...], required: tuple[str, ...] = ()) -> Node:
        """Check this is a mapping with only `allowed` keys and every `required` one."""
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {_kind(self.value)}")
        for key in self.value:
            if key not in allowed:
                hint = did_you_mean(key, allowed)
                tip = f" Did you mean: {', '.join(hint)}?" if hint else ""
                raise Node(None, (*self.path, key), self.locs).error(
                    f"unknown key '{key}'.{tip} Allowed: {', '.join(allowed)}"
                )
        for key in required:
            if self.value.get(key) is None:
                raise self.error(f"missing required key '{key}'")
        return self

    def items(self) -> Iterator[tuple[str, Node]]:
        """Entries of a mapping of named things; names must be lowercase slugs."""
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping of names, got {_kind(self.value)}")
        for key in self.value:
            child = self.child(key)
            if not NAME_RE.match(key):
                raise child.error(
                    f"name '{key}' must be lowercase letters, digits, '.', '_' or '-'"
                )
            yield key, child

    def elements(self, allow_empty: bool = False) -> list[Node]:
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {_kind(self.value)}")
        if not self.value and not allow_empty:
            raise self.error("the list is empty")
        return [self.child(i) for i in range(len(self.value))]

    # -- scalars --------------------------------------------------------------------------
    def str(self, allow_empty: bool = False) -> str:
        if not isinstance(self.value, str):
            raise self.error(f"expected text, got {_kind(self.value)}")
        if not allow_empty and not self.value.strip():
            raise self.error("must not be empty")
        return self.value

    def name(self) -> str:
        text = self.str()
        if not NAME_RE.match(text):
            raise self.error(f"'{text}' must be lowercase letters, digits, '.', '_' or '-'")
        return text

    def int(self, minimum: int | None = None, maximum: int | None = None) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"expected an integer, got {_kind(self.value)}")
        if minimum is not None and self.value < minimum:
            raise self.error(f"must be at least {minimum}, got {self.value}")
        if maximum is not None and self.value > maximum:
            raise self.error(f"must be at most {maximum}, got {self.value}")
        return self.value

    def float(self, minimum: float | None = None, maximum: float | None = None) -> float:
        if isinstance(self.value, bool) or not isinstance(self.value, (int, float)):
            raise self.error(f"expected a number, got {_kind(self.value)}")
        value = float(self.value)
        if not math.isfinite(value):
            raise self.error("must be a finite number")
        if minimum is not None and value < minimum:
            raise self.error(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise self.error(f"must be at most {maximum}, got {value}")
        return value

    def bool(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {_kind(self.value)}")
        return self.value

    def choice(self, options: tuple[str, ...]) -> str:
        text = self.str()
        if text not in options:
            hint = did_you_mean(text, options)
            tip = f" Did you mean: {', '.join(hint)}?" if hint else ""
            raise self.error(f"'{text}' is not one of {', '.join(options)}.{tip}")
        return text

    def names(self) -> tuple[str, ...]:
        """A non-empty list of names (a single name is accepted as a one-item list)."""
        if isinstance(self.value, str):
            return (self.name(),)
        out = tuple(n.name() for n in self.elements())
        dup = next((n for i, n in enumerate(out) if n in out[:i]), None)
        if dup:
            raise self.error(f"'{dup}' is listed twice")
        return out

    def member_names(self) -> tuple[str, ...]:
        """Like `names`, where each may also be `name@k`: one member of a sweep (`ladder@2`)."""
        items = [self] if isinstance(self.value, str) else self.elements()
        out = []
        for item in items:
            base, at, size = item.str().partition("@")
            if not NAME_RE.match(base) or (at and not size.isdigit()):
                raise item.error(
                    f"'{item.str()}' must be a name (lowercase letters, digits, '.', '_' or '-'),"
                    " or name@k for one size of a sweep"
                )
            out.append(item.str())
        dup = next((n for i, n in enumerate(out) if n in out[:i]), None)
        if dup:
            raise self.error(f"'{dup}' is listed twice")
        return tuple(out)

    def plain(self) -> Any:
        """Free-form parameters: nested mappings, lists and scalars only (no code, no tags)."""
        return _plain(self)


def _plain(node: Node) -> Any:
    value = node.value
    if isinstance(value, dict):
        return {k: _plain(node.child(k)) for k in value}
    if isinstance(value, list):
        return [_plain(node.child(i)) for i in range(len(value))]
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise node.error("must be a finite number")
        return value
    raise node.error(f"unsupported value type {_kind(value)} (use text, numbers, lists, maps)")


def _kind(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, (int, float)):
        return f"a number ({value})"
    if isinstance(value, str):
        return f"text ('{value}')" if len(value) < 40 else "text"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return type(value).__name__
