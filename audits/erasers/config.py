"""Frozen, validated eraser configs that round-trip through plain dicts and parse `--set` values.

Each eraser's config is a frozen dataclass deriving from `EraserConfig`, the project's one typed
config base (`scapre.fields.TypedConfig`, shared with ScaPre's config, attack, metric and scorer
params); field types come from the annotations, so a config needs no parsing code of its own.
Values are checked on construction, so an invalid config cannot exist.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

from audits.erasers.errors import EraserError
from scapre.fields import TypedConfig


@dataclasses.dataclass(frozen=True)
class EraserConfig(TypedConfig):
    """Base of every eraser config. `label` names the method in error messages."""

    label: ClassVar[str] = "eraser"
    error: ClassVar[type[Exception]] = EraserError


def check_positive(config: EraserConfig, *names: str, allow_zero: bool = False) -> None:
    """Raise unless every named numeric field is > 0 (or >= 0 with allow_zero)."""
    for name in names:
        value = getattr(config, name)
        if value < 0 or (value == 0 and not allow_zero):
            bound = ">= 0" if allow_zero else "> 0"
            raise config.fail(name, f"{config.label} {name} must be {bound}, got {value}")
