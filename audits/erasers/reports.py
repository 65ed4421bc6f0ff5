"""Per-matrix measurements every closed-form eraser records in edit.json."""

from __future__ import annotations

from typing import Any

import torch


def matrix_report(name: str, old: torch.Tensor, new: torch.Tensor) -> dict[str, Any]:
    """Shape and relative Frobenius change ||new - old|| / ||old|| of one edited matrix."""
    ref = old.norm().item()
    change = (new - old).norm().item()
    return {"name": name, "shape": list(old.shape), "rel_change": change / ref if ref else change}
