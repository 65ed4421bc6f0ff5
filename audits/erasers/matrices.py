"""Read the cross-attention K/V matrices a baseline edits, and hand edits back in the UNet's dtype.

The order is the official one (every `to_v`, then every `to_k`, blocks down -> up -> mid), taken
from `scapre.unet.projections` so all erasers name and order matrices identically.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch

from audits.erasers.errors import EraserError

DTYPES = {"float64": torch.float64, "float32": torch.float32}


def check_pipeline(pipe) -> None:
    from scapre.errors import ScaPreError
    from scapre.unet import check_pipeline as scapre_check

    try:
        scapre_check(pipe)
    except ScaPreError as err:
        raise EraserError(str(err)) from None


def kv_matrices(
    pipe, kinds: Sequence[str], dtype: torch.dtype, device: torch.device | str | None
) -> tuple[list[tuple[str, torch.Tensor]], dict[str, torch.dtype], torch.device]:
    """(name, W) for every edited matrix in official order, in the solver dtype on `device`,
    plus each matrix's original dtype and the device used."""
    from scapre.unet import projections

    check_pipeline(pipe)
    refs = projections(pipe.unet, with_to_k="to_k" in kinds)
    refs = [r for r in refs if r.name.rsplit(".", 2)[-2] in kinds]
    dev = torch.device(device) if device is not None else refs[0].layer.weight.device
    mats = [(r.name, r.layer.weight.detach().to(device=dev, dtype=dtype)) for r in refs]
    from audits.erasers.prompts import text_stack

    d_text = text_stack(pipe).width
    if mats and mats[0][1].shape[1] != d_text:
        raise EraserError(
            f"the text encoder gives {d_text}-dim features but the UNet's cross-attention reads "
            f"{mats[0][1].shape[1]}; they do not belong together"
        )
    return mats, {r.name: r.layer.weight.dtype for r in refs}, dev


def finish(weights: dict[str, torch.Tensor], out_dtypes: dict[str, torch.dtype]) -> dict:
    """Refuse non-finite results and return CPU tensors in each matrix's own dtype."""
    out = {}
    for name, w in weights.items():
        if not torch.isfinite(w).all():
            raise EraserError(f"the edit of {name} is not finite; check the configuration")
        out[name] = w.to(device="cpu", dtype=out_dtypes[name]).contiguous()
    return out


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


class Stopwatch:
    """Named wall-clock laps, synchronised on CUDA so GPU work is counted where it happens."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.timings: dict[str, float] = {}
        sync(device)
        self._start = self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        sync(self.device)
        now = time.perf_counter()
        self.timings[name] = self.timings.get(name, 0.0) + now - self._last
        self._last = now

    def done(self) -> dict[str, float]:
        sync(self.device)
        self.timings["total_s"] = time.perf_counter() - self._start
        return self.timings
