"""Percentile bootstrap clustered by prompt, seeded.

Images made from one prompt with several seeds are not independent, so the resampling unit is
the prompt (the cluster): each replicate draws clusters with replacement and recomputes the
pooled statistic over all their images. Several independent samples (e.g. the forget and the
neighbour images of a harmonic mean) are resampled separately, each from its own stream.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import numpy as np

REPLICATES = 1000
LEVEL = 0.95


def seed_for(*parts: object) -> int:
    """A stable 32-bit seed from a row's coordinates (same row => same interval, any machine)."""
    text = "|".join("" if p is None else str(p) for p in parts)
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)


def cluster_sums(clusters: Sequence[object], values: Sequence[float]):
    """Per-cluster (sum, count) arrays, clusters in first-seen order."""
    order: dict[object, int] = {}
    for c in clusters:
        order.setdefault(c, len(order))
    sums = np.zeros(len(order))
    counts = np.zeros(len(order))
    for c, v in zip(clusters, values, strict=True):
        sums[order[c]] += v
        counts[order[c]] += 1
    return sums, counts


def replicate_means(sums: np.ndarray, counts: np.ndarray, rng: np.random.Generator, b: int):
    """Pooled means of `b` cluster resamples: [b]."""
    k = len(sums)
    idx = rng.integers(0, k, size=(b, k))
    return sums[idx].sum(axis=1) / counts[idx].sum(axis=1)


def percentile_interval(
    samples: Sequence[tuple[Sequence[object], Sequence[float]]],
    statistic: Callable[..., np.ndarray] = lambda m: m,
    seed: int = 0,
    replicates: int = REPLICATES,
    level: float = LEVEL,
) -> tuple[float, float] | None:
    """(low, high) of `statistic(mean_1, mean_2, ...)` over clustered resamples of each sample
    (given as (cluster ids, per-image values)); None when a sample has fewer than two prompts,
    where resampling prompts says nothing about the spread."""
    if any(len(set(clusters)) < 2 for clusters, _ in samples):
        return None
    streams = np.random.SeedSequence(seed).spawn(len(samples))
    means = []
    for (clusters, values), stream in zip(samples, streams, strict=True):
        sums, counts = cluster_sums(clusters, values)
        means.append(replicate_means(sums, counts, np.random.default_rng(stream), replicates))
    stats = np.asarray(statistic(*means), dtype=np.float64)
    alpha = (1 - level) / 2
    low, high = np.percentile(stats, [100 * alpha, 100 * (1 - alpha)])
    return float(low), float(high)
