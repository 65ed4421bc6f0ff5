"""ScaPre on a diffusers pipeline: read text features once, edit every K/V matrix, return the new
weights. The pipeline itself is never modified (`apply_edit` does that, separately)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch

from scapre.config import ScaPreConfig
from scapre.errors import ScaPreError
from scapre.families import text_stack
from scapre.noise import NoiseSource, SeededNoise, ZeroNoise
from scapre.solve import MatrixReport, SharedTerms, edit_erase, edit_scale, erase_denominator
from scapre.text import TextFeatures, stack_text_features
from scapre.unet import projections

_DTYPES = {"float64": torch.float64, "float32": torch.float32}


@dataclass
class ScaPreEdit:
    """An edit and how it was made: new weights keyed by UNet state-dict name, per-matrix
    measurements, and wall-clock timings in seconds."""

    weights: dict[str, torch.Tensor]
    reports: list[MatrixReport]
    timings: dict[str, float] = field(default_factory=dict)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def edit_from_features(
    matrices: Sequence[tuple[str, torch.Tensor]],
    feats: TextFeatures,
    config: ScaPreConfig,
    noise: NoiseSource | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScaPreEdit:
    """Edit the given (name, W0) matrices, in order, from precomputed text features.

    The order matters only for the noise stream, which is consumed matrix by matrix exactly as
    the official code consumes its RNG (all to_v, then all to_k).
    """
    if noise is None:
        noise = ZeroNoise() if config.noise_sigma == 0 else SeededNoise(config.seed)
    dtype, device = feats.C.dtype, feats.C.device
    t0 = time.perf_counter()
    shared = SharedTerms.build(feats)
    denominator = erase_denominator(shared, config) if config.variant == "erase" else None
    weights, reports = {}, []
    for name, W in matrices:
        if W.shape[1] != feats.d_in:
            raise ScaPreError(
                f"{name} reads {W.shape[1]}-dim text features but the text encoder gives "
                f"{feats.d_in}; the UNet and text encoder do not belong together"
            )
        W0 = W.detach().to(device=device, dtype=dtype)
        if config.variant == "scale":
            new, report = edit_scale(name, W0, shared, config, noise)
        else:
            new, report = edit_erase(name, W0, shared, config, noise, denominator)
        if not torch.isfinite(new).all():
            raise ScaPreError(f"the edit of {name} is not finite; check the configuration")
        weights[name] = new
        reports.append(report)
        if progress is not None:
            progress(name)
    _sync(device)
    return ScaPreEdit(weights, reports, {"solve_s": time.perf_counter() - t0})


def compute_edit(
    pipe,
    concepts: Sequence[str],
    config: ScaPreConfig,
    *,
    device: torch.device | str | None = None,
    noise: NoiseSource | None = None,
    progress: Callable[[str], None] | None = None,
) -> ScaPreEdit:
    """Full ScaPre edit of a pipeline with its measurements. Weights come back on the CPU in the
    UNet's own dtype; the arithmetic runs in `config.dtype` on `device` (default: the UNet's)."""
    stack = text_stack(pipe)
    refs = projections(pipe.unet, with_to_k=config.with_to_k)
    device = torch.device(device) if device is not None else refs[0].layer.weight.device
    dtype = _DTYPES[config.dtype]
    _sync(device)
    t0 = time.perf_counter()
    feats = stack_text_features(
        stack,
        concepts,
        guide=config.guide,
        preserve=config.preserve_concepts,
        dtype=dtype,
        device=device,
    )
    _sync(device)
    text_s = time.perf_counter() - t0
    if feats.d_in != refs[0].layer.weight.shape[1]:
        raise ScaPreError(
            f"the text encoder gives {feats.d_in}-dim features but the UNet's cross-attention "
            f"reads {refs[0].layer.weight.shape[1]}; they do not belong together"
        )
    result = edit_from_features(
        [(r.name, r.layer.weight) for r in refs], feats, config, noise=noise, progress=progress
    )
    out_dtype = {r.name: r.layer.weight.dtype for r in refs}
    result.weights = {n: w.to(device="cpu", dtype=out_dtype[n]) for n, w in result.weights.items()}
    result.timings = {"text_s": text_s, **result.timings}
    result.timings["total_s"] = text_s + result.timings["solve_s"]
    return result


def erase_concepts(
    pipe, concepts: Sequence[str], config: ScaPreConfig | None = None, **kwargs
) -> dict[str, torch.Tensor]:
    """ScaPre's new weight for every edited matrix, keyed by UNet state-dict name.

    Does not modify `pipe`; write the result with `scapre.apply_edit(pipe, weights)`.
    """
    return compute_edit(pipe, concepts, config or ScaPreConfig(), **kwargs).weights
