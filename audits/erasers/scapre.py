"""`scapre`: ScaPre itself behind the eraser interface (config = `scapre.ScaPreConfig`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

import scapre as solver
from audits.erasers.base import Eraser, EraserEdit, Progress


class ScaPreEraser(Eraser):
    """A thin wrapper over `scapre.compute_edit`; presets are the published commands."""

    name = "scapre"
    version = solver.SOLVER_VERSION
    config_class = solver.ScaPreConfig
    edits = "attn2 to_k + to_v (all cross-attention blocks)"
    summary = "ScaPre (ICLR 2026), both official variants (erase.py, erase_scale.py)"
    presets = solver.PRESETS
    preset_sources = solver.PRESET_SOURCES

    @classmethod
    def preset(cls, name: str) -> Any:
        return solver.preset(name)  # same messages as `scapre-audit erase --preset`

    def erase(
        self,
        pipe,
        concepts: Sequence[str],
        *,
        device: torch.device | str | None = None,
        progress: Progress | None = None,
    ) -> EraserEdit:
        edit = solver.compute_edit(pipe, concepts, self.config, device=device, progress=progress)
        reports = [vars(r) | {"shape": list(r.shape)} for r in edit.reports]
        variant = "scapre-scale" if self.config.variant == "scale" else "scapre-erase"
        return EraserEdit(edit.weights, edit.timings, variant, reports)
