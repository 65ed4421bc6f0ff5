"""What every eraser is: a name, a version, a frozen config, and `erase(pipe, concepts)` returning
new weights in the same format as a ScaPre edit.

An `EraserEdit` never modifies the pipeline; `scapre.apply_edit(pipe, edit.weights)` writes it.
The `variant` label says exactly which algorithm produced the weights (e.g. "uce-2023/replace"),
so a table can never mix two readings of one method silently.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch

from audits.erasers.errors import EraserError
from scapre.fields import TypedConfig

Progress = Callable[[str], None]


@dataclass
class EraserEdit:
    """New weights keyed by UNet state-dict name, timings in seconds, the variant label, and
    per-matrix measurements (plain dicts, JSON-ready)."""

    weights: dict[str, torch.Tensor]
    timings: dict[str, float]
    variant: str
    reports: list[dict[str, Any]] = field(default_factory=list)


class Eraser(ABC):
    """Base class. Subclasses set the class attributes and implement `erase`."""

    name: ClassVar[str]
    version: ClassVar[str]
    config_class: ClassVar[type[TypedConfig]]  # an EraserConfig, or ScaPre's own config
    edits: ClassVar[str]  # what it changes, for `list erasers`
    complete: ClassVar[bool] = True  # False: only part of the published method
    summary: ClassVar[str] = ""
    presets: ClassVar[Mapping[str, Any]] = {}
    preset_sources: ClassVar[Mapping[str, str]] = {}

    def __init__(self, config: Any = None) -> None:
        self.config = self.config_class() if config is None else config
        if not isinstance(self.config, self.config_class):
            raise EraserError(f"{self.name} needs a {self.config_class.__name__}")

    # -- configuration ---------------------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """The full config as plain data; `from_config` rebuilds an equal eraser from it."""
        return self.config.to_dict()

    @classmethod
    def from_config(cls, data: Mapping[str, Any] | None = None) -> Eraser:
        """Build from a dict; an optional "preset" key starts from that preset, other keys
        override it (the shape suites use: `config: {preset: large-scale, seed: 1}`)."""
        data = dict(data or {})
        name = data.pop("preset", None)
        base = cls.preset(name) if name is not None else cls.config_class()
        merged = {**_as_dict(base), **data}
        return cls(cls._config_from_dict(merged))

    @classmethod
    def _config_from_dict(cls, data: dict[str, Any]) -> Any:
        return cls.config_class.from_dict(data)

    @classmethod
    def preset(cls, name: str) -> Any:
        """A published configuration by name."""
        if name not in cls.presets:
            import difflib

            close = difflib.get_close_matches(name, list(cls.presets), n=1)
            hint = f" Did you mean: {close[0]}?" if close else ""
            known = ", ".join(cls.presets) or "none"
            raise EraserError(f"unknown preset {name!r} for {cls.name}.{hint} Available: {known}")
        return cls.presets[name]

    def with_overrides(self, assignments: Sequence[str]) -> Eraser:
        return type(self)(self.config.with_overrides(list(assignments)))

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.config == self.config  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.config))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.config!r})"

    # -- the edit --------------------------------------------------------------------------
    def check_ready(self) -> None:
        """Checks that need no model (files, pins), run before a model is loaded."""
        return None

    @abstractmethod
    def erase(
        self,
        pipe: Any,
        concepts: Sequence[str],
        *,
        device: torch.device | str | None = None,
        progress: Progress | None = None,
    ) -> EraserEdit:
        """Compute the edit; `pipe` is left unchanged."""

    def describe(self) -> dict[str, Any]:
        """Name, version, what it edits and whether it is the complete published method."""
        return {
            "name": self.name,
            "version": self.version,
            "edits": self.edits,
            "complete": self.complete,
            "summary": self.summary,
        }


def _as_dict(config: Any) -> dict[str, Any]:
    if hasattr(config, "to_dict"):
        return config.to_dict()
    return dataclasses.asdict(config)
