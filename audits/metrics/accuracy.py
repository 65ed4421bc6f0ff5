"""Classification accuracies of erased and kept concepts, and their harmonic summary.

An image counts as recognised when the scorer's label equals the label of its case's concept
(exact match through the scorer's `concept_labels`). Means are pooled over images; the interval
resamples prompts.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from audits.metrics.base import (
    Metric,
    MetricInput,
    Observation,
    ResultRow,
    SplitParams,
    mean_rows,
)
from audits.metrics.bootstrap import percentile_interval, seed_for


def recognised(data: MetricInput, keep: Callable[[Observation], str | None]):
    """(kept observations with 1.0/0.0, exclusion counts); `keep` returns an exclusion reason."""
    kept, excluded = [], Counter()
    for obs in data.observations:
        reason = keep(obs)
        if reason is None and not obs.concept:
            reason = "case has no concept"
        if reason is None and obs.concept not in data.concept_labels:
            reason = "concept not in the scorer's label set"
        if reason is not None:
            excluded[reason] += 1
            continue
        kept.append((obs, float(obs.record.get("label") == data.concept_labels[obs.concept])))
    return kept, excluded


def _erased(data: MetricInput) -> Callable[[Observation], str | None]:
    return lambda o: (
        None if o.concept in data.erased else f"concept not in erase set {data.erase_set}"
    )


def _neighbour(data: MetricInput) -> Callable[[Observation], str | None]:
    return lambda o: (
        None if data.roles.get(o.concept) == "retain" else "concept is not a retained one"
    )


@dataclass(frozen=True)
class AccuracyParams(SplitParams):
    """`roles` narrows the images to prompts naming concepts of these roles (target, retain)."""

    roles: tuple[str, ...] = ()

    def validate(self) -> None:
        super().validate()
        for role in self.roles:
            if role not in ("target", "retain"):
                raise self.fail("roles", f"roles must be target or retain, got {role!r}")


class _Accuracy(Metric):
    params_class: ClassVar = AccuracyParams
    """Shared shape: per-image recognised values under a scope, pooled into rows."""

    reads_concept_labels = True

    def scope(self, data: MetricInput) -> Callable[[Observation], str | None]:
        raise NotImplementedError

    def per_image(self, data: MetricInput):
        """(kept (observation, 1.0/0.0) pairs, exclusion counts): what derived metrics read."""
        return recognised(data, self.scope(data))

    def compute(self, data: MetricInput) -> list[ResultRow]:
        return mean_rows(data, *self.per_image(data))


def _roles(data: MetricInput, scope: Callable[[Observation], str | None]):
    """`params.roles` (e.g. [retain]) narrows a scope to concepts of those roles."""
    roles = getattr(data.params, "roles", ())
    if not roles:
        return scope

    def narrowed(o: Observation) -> str | None:
        if data.roles.get(o.concept) not in roles:
            return f"concept role not in {', '.join(roles)}"
        return scope(o)

    return narrowed


class ForgetAcc(_Accuracy):
    kind = "forget_acc"
    definition_version = "forget_acc/1"
    higher_is_better = False
    reads_erased_only = True
    definition = (
        "share of images from prompts naming an erased concept that the scorer still labels as "
        "that concept (pooled over images)"
    )

    def scope(self, data: MetricInput):
        return _roles(data, _erased(data))


class NeighborAcc(_Accuracy):
    params_class: ClassVar = SplitParams  # all retained concepts; no `roles`
    kind = "neighbor_acc"
    definition_version = "neighbor_acc/1"
    higher_is_better = True
    definition = (
        "share of images from prompts naming a retained (role: retain) concept that the scorer "
        "labels as that concept"
    )

    def scope(self, data: MetricInput):
        return _neighbour(data)


class RetainAcc(_Accuracy):
    kind = "retain_acc"
    definition_version = "retain_acc/1"
    higher_is_better = True
    definition = (
        "share of images from prompts naming any concept this edit did not erase (retained "
        "concepts and targets outside the erase set; `params.roles` narrows it) that the scorer "
        "labels as that concept"
    )

    def scope(self, data: MetricInput):
        keep = lambda o: "concept was erased" if o.concept in data.erased else None  # noqa: E731
        return _roles(data, keep)


def harmonic(forget: np.ndarray, neighbor: np.ndarray) -> np.ndarray:
    """2ab/(a+b) of a = 1 - forget_acc and b = neighbor_acc (0 where both are 0)."""
    a, b = 1.0 - np.asarray(forget, dtype=float), np.asarray(neighbor, dtype=float)
    total = a + b
    return np.where(total > 0, 2 * a * b / np.where(total > 0, total, 1), 0.0)


class HarmonicAcc(Metric):
    kind = "harmonic_acc"
    reads_concept_labels = True
    definition_version = "harmonic_acc/1"
    higher_is_better = True
    reads_erased_only = True  # on target probes; retained concepts come from neighbour probes
    definition = (
        "harmonic mean of (1 - forget_acc) and neighbor_acc over the metric's probes; the "
        "interval resamples the prompts of both parts independently"
    )

    def compute(self, data: MetricInput) -> list[ResultRow]:
        forget, ex_f = recognised(data, _erased(data))
        keep_n, ex_n = recognised(data, _neighbour(data))
        # an image is excluded only when it belongs to neither part
        used = {id(o) for o, _ in forget} | {id(o) for o, _ in keep_n}
        excluded = Counter()
        for obs in data.observations:
            if id(obs) not in used:
                excluded["concept neither erased nor retained"] += 1
        seed = seed_for(data.name, data.method, data.erase_set, None, None, None)
        n = len(forget) + len(keep_n)
        if not forget or not keep_n:
            return [ResultRow(None, n, exclusions=dict(excluded), ci_seed=seed)]
        f = sum(v for _, v in forget) / len(forget)
        g = sum(v for _, v in keep_n) / len(keep_n)
        samples = [
            ([o.cluster for o, _ in forget], [v for _, v in forget]),
            ([o.cluster for o, _ in keep_n], [v for _, v in keep_n]),
        ]
        ci = percentile_interval(samples, harmonic, seed=seed)
        extra = {
            "forget_acc": f,
            "neighbor_acc": g,
            "n_forget": len(forget),
            "n_neighbor": len(keep_n),
        }
        return [ResultRow(float(harmonic(f, g)), n, None, None, dict(excluded), ci, seed, extra)]
