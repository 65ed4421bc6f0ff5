"""`none`: the unedited model, the reference every other method is compared against."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

import torch

from audits.erasers.base import Eraser, EraserEdit, Progress
from audits.erasers.config import EraserConfig


@dataclass(frozen=True)
class NoEditConfig(EraserConfig):
    """No settings: the edit is always empty."""

    label: ClassVar[str] = "none"


class NoEdit(Eraser):
    """Returns an empty edit, so the "edited" pipeline is the original one."""

    name = "none"
    version = "none/1"
    config_class = NoEditConfig
    edits = "nothing"
    summary = "the unedited model (reference)"

    def erase(
        self,
        pipe,
        concepts: Sequence[str],
        *,
        device: torch.device | str | None = None,
        progress: Progress | None = None,
    ) -> EraserEdit:
        return EraserEdit({}, {"total_s": 0.0}, "none")
