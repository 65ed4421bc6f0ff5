"""Frozen, validated eraser configs that round-trip through plain dicts and parse `--set` values.

Each eraser's config is a frozen dataclass deriving from `EraserConfig`; field types come from the
annotations, so a config needs no parsing code of its own. Values are checked on construction, so
an invalid config cannot exist.
"""

from __future__ import annotations

import dataclasses
import typing
from typing import Any, ClassVar

from audits.erasers.errors import EraserError
from scapre.fields import coerce_field, parse_assignments


@dataclasses.dataclass(frozen=True)
class EraserConfig:
    """Base of every eraser config. `label` names the method in error messages."""

    label: ClassVar[str] = "eraser"

    def __post_init__(self) -> None:
        hints = self.hints()
        for f in dataclasses.fields(self):
            value = coerce_field(
                f.name, getattr(self, f.name), hints[f.name], EraserError, self.label
            )
            object.__setattr__(self, f.name, value)
        self.validate()

    def validate(self) -> None:
        """Cross-field and range checks; subclasses raise EraserError."""

    @classmethod
    def hints(cls) -> dict[str, Any]:
        return typing.get_type_hints(cls)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values: tuples become lists."""
        from scapre.fields import plain_fields

        return plain_fields(self)

    @classmethod
    def from_dict(cls, data: typing.Mapping[str, Any]) -> EraserConfig:
        unknown = sorted(set(data) - {f.name for f in dataclasses.fields(cls)})
        if unknown:
            raise EraserError(f"unknown {cls.label} config key(s): {', '.join(unknown)}")
        return cls(**dict(data))

    def with_overrides(self, assignments: typing.Sequence[str]) -> EraserConfig:
        """Apply `key=value` strings (from `--set`), parsing each value to the field's type."""
        names = {f.name for f in dataclasses.fields(self)}
        hints = {k: v for k, v in self.hints().items() if k in names}
        updates = parse_assignments(assignments, hints, EraserError, f"{self.label} config")
        return dataclasses.replace(self, **updates)


def check_positive(config: EraserConfig, *names: str, allow_zero: bool = False) -> None:
    """Raise unless every named numeric field is > 0 (or >= 0 with allow_zero)."""
    for name in names:
        value = getattr(config, name)
        if value < 0 or (value == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise EraserError(f"{config.label} {name} must be {bound}, got {value}")
