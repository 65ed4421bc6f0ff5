"""Image-quality metrics: mean CLIP score, drift from the unedited model's images, and FID / KID
of the edited model's images against the unedited model's (same prompts and seeds)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import torch

from audits.metrics.base import (
    DerivedMetric,
    Metric,
    MetricInput,
    MetricParams,
    ResultRow,
    SplitParams,
    mean_rows,
)
from audits.metrics.bootstrap import percentile_interval, seed_for


@dataclass(frozen=True)
class CLIPGapParams(MetricParams):
    keep_metric: str = ""
    erase_metric: str = ""


@dataclass(frozen=True)
class KIDParams(MetricParams):
    subset_size: int = 1000
    subsets: int = 100

    def validate(self) -> None:
        for key in ("subset_size", "subsets"):
            if getattr(self, key) < 1:
                raise self.fail(key, f"{key} must be >= 1, got {getattr(self, key)}")


def scalar_values(data: MetricInput):
    """(kept (observation, value) pairs, exclusion counts) of a scalar scorer's records."""
    kept, excluded = [], Counter()
    for obs in data.observations:
        value = obs.record.get("value")
        if value is None:
            excluded["no score"] += 1
        else:
            kept.append((obs, float(value)))
    return kept, excluded


def scalar_rows(data: MetricInput) -> list[ResultRow]:
    return mean_rows(data, *scalar_values(data))


class MeanCLIPScore(Metric):
    kind = "clip_score"
    params_class = SplitParams
    definition_version = "clip_score/1"
    higher_is_better = True
    definition = "mean over images of the scorer's CLIP score (scale and formula in the evaluator)"

    def compute(self, data: MetricInput) -> list[ResultRow]:
        return scalar_rows(data)


class CLIPGap(DerivedMetric):
    kind = "clip_gap"
    params_class = CLIPGapParams
    definition_version = "clip_gap/1"
    higher_is_better = True
    parts = ("keep_metric", "erase_metric")
    definition = (
        "mean CLIP score of the keep metric's images minus that of the erase metric's images "
        "(ScaPre's CLIP_x = CLIP_coco - CLIP_art); both parts resampled independently"
    )

    def compute_derived(self, name, parts) -> list[ResultRow]:
        (_, keep_data), (_, erase_data) = parts["keep_metric"], parts["erase_metric"]
        keep, _ = scalar_values(keep_data)
        erase, _ = scalar_values(erase_data)
        seed = seed_for(name, keep_data.method, keep_data.erase_set, None, None, None)
        n = len(keep) + len(erase)
        if not keep or not erase:
            return [ResultRow(None, n, ci_seed=seed)]
        value = sum(v for _, v in keep) / len(keep) - sum(v for _, v in erase) / len(erase)
        samples = [
            ([o.cluster for o, _ in keep], [v for _, v in keep]),
            ([o.cluster for o, _ in erase], [v for _, v in erase]),
        ]
        ci = percentile_interval(samples, lambda a, b: a - b, seed=seed)
        return [ResultRow(value, n, ci=ci, ci_seed=seed)]


class ImageDrift(Metric):
    kind = "image_drift"
    params_class = SplitParams
    definition_version = "image_drift/1"
    higher_is_better = False
    definition = (
        "mean over images of the distance to the unedited model's image for the same prompt and "
        "seed (distance and space in the evaluator)"
    )

    def compute(self, data: MetricInput) -> list[ResultRow]:
        return scalar_rows(data)


class _Stored(torch.nn.Module):
    """Hands stored feature vectors to torchmetrics as if it had extracted them."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.num_features = dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def _too_few(data: MetricInput, need: int) -> ResultRow | None:
    n = 0 if data.features is None else int(data.features.shape[0])
    m = 0 if data.reference_features is None else int(data.reference_features.shape[0])
    if min(n, m) < need:
        return ResultRow(None, n, exclusions={f"fewer than {need} images": n})
    return None


class FIDVsBase(Metric):
    kind = "fid_vs_base"
    definition_version = "fid_vs_base/1"
    higher_is_better = False
    needs = "features"
    definition = (
        "Fréchet distance (torchmetrics FrechetInceptionDistance) between the features of the "
        "edited model's images and the unedited model's images for the same prompts and seeds "
        "(feature extractor in the evaluator); a set statistic: no bootstrap interval"
    )

    def compute(self, data: MetricInput) -> list[ResultRow]:
        from torchmetrics.image.fid import FrechetInceptionDistance

        short = _too_few(data, 2)
        if short:
            return [short]
        dim = int(data.features.shape[1])
        fid = FrechetInceptionDistance(feature=_Stored(dim), sync_on_compute=False).double()
        fid.update(data.reference_features.double(), real=True)
        fid.update(data.features.double(), real=False)
        return [ResultRow(float(fid.compute()), int(data.features.shape[0]))]


class FID(FIDVsBase):
    kind = "fid"
    definition_version = "fid/1"


class KID(Metric):
    kind = "kid"
    params_class = KIDParams
    definition_version = "kid/1"
    higher_is_better = False
    needs = "features"
    definition = (
        "kernel distance (torchmetrics KernelInceptionDistance, cubic polynomial kernel) between "
        "edited and unedited images' features; mean over params.subsets subsets of "
        "min(params.subset_size, n) images, drawn with torch seed 0; its std in `extra`"
    )

    def compute(self, data: MetricInput) -> list[ResultRow]:
        from torchmetrics.image.kid import KernelInceptionDistance

        short = _too_few(data, 2)
        if short:
            return [short]
        n = int(min(data.features.shape[0], data.reference_features.shape[0]))
        size = min(data.params.subset_size, n)
        subsets = data.params.subsets
        dim = int(data.features.shape[1])
        kid = KernelInceptionDistance(
            feature=_Stored(dim), subsets=subsets, subset_size=size, sync_on_compute=False
        )
        kid.update(data.reference_features.double(), real=True)
        kid.update(data.features.double(), real=False)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            mean, std = kid.compute()
        extra = {"kid_std": float(std), "subsets": subsets, "subset_size": size}
        return [ResultRow(float(mean), int(data.features.shape[0]), extra=extra)]
