"""The claims section: thresholds for the paper's capacity, edit-time and
reproduction claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audits.suites.fields import Node
from audits.suites.specs.base import FromConfig, compact
from audits.suites.specs.profiles import CLAIM_SECTIONS

QUALITY_BOUNDS = ("max_drop", "max", "min")


@dataclass(frozen=True)
class QualityBound(FromConfig):
    """One quality limit of the capacity claim: `max_drop` (loss against the unedited model, in
    the metric's unit and direction), or an absolute `max` / `min` on the metric's value."""

    metric: str
    bound: str
    value: float

    @classmethod
    def from_node(cls, node: Node) -> QualityBound:
        node.mapping(("metric", *QUALITY_BOUNDS), ("metric",))
        given = [key for key in QUALITY_BOUNDS if node.has(key)]
        if len(given) != 1:
            raise node.error(f"give exactly one of {', '.join(QUALITY_BOUNDS)}")
        value = node.child(given[0]).float(0.0 if given[0] == "max_drop" else None)
        return cls(node.child("metric").name(), given[0], value)

    def to_config(self) -> dict[str, Any]:
        return {"metric": self.metric, self.bound: self.value}


@dataclass(frozen=True)
class CapacityClaimSpec(FromConfig):
    """The scaling claim's thresholds: how many concepts a method erases while forgetting stays
    at or below `forget_max` and every quality bound holds, read along a sweep erase set."""

    method: str
    erase_sets: str
    forget_metric: str
    forget_max: float
    quality: tuple[QualityBound, ...]
    baselines: tuple[str, ...] = ()
    claimed_concepts: int | None = None
    claimed_ratio: float | None = None

    @classmethod
    def from_node(cls, node: Node) -> CapacityClaimSpec:
        keys = ("method", "erase_sets", "forget_metric", "forget_max", "quality")
        node.mapping((*keys, "baselines", "claimed_concepts", "claimed_ratio"), keys)
        return cls(
            node.child("method").name(),
            node.child("erase_sets").name(),
            node.child("forget_metric").name(),
            node.child("forget_max").float(0.0),
            tuple(QualityBound.from_node(n) for n in node.child("quality").elements()),
            node.child("baselines").names() if node.has("baselines") else (),
            node.child("claimed_concepts").int(1) if node.has("claimed_concepts") else None,
            node.child("claimed_ratio").float(0.0) if node.has("claimed_ratio") else None,
        )

    def to_config(self) -> dict[str, Any]:
        return compact(
            method=self.method,
            erase_sets=self.erase_sets,
            forget_metric=self.forget_metric,
            forget_max=self.forget_max,
            quality=[q.to_config() for q in self.quality],
            baselines=self.baselines,
            claimed_concepts=self.claimed_concepts,
            claimed_ratio=self.claimed_ratio,
        )


@dataclass(frozen=True)
class EditTimeClaimSpec(FromConfig):
    """The efficiency claim: the edit of `concepts` concepts by `method`, against the paper's
    seconds (and the GPU-hours figure that contradicts them) on the paper's hardware."""

    method: str
    concepts: int
    reported_seconds: float
    reported_gpu_hours: float | None = None
    reported_hardware: str = ""

    @classmethod
    def from_node(cls, node: Node) -> EditTimeClaimSpec:
        keys = ("method", "concepts", "reported_seconds")
        node.mapping((*keys, "reported_gpu_hours", "reported_hardware"), keys)
        return cls(
            node.child("method").name(),
            node.child("concepts").int(1),
            node.child("reported_seconds").float(0.0),
            node.child("reported_gpu_hours").float(0.0) if node.has("reported_gpu_hours") else None,
            node.child("reported_hardware").str() if node.has("reported_hardware") else "",
        )

    def to_config(self) -> dict[str, Any]:
        return compact(
            method=self.method,
            concepts=self.concepts,
            reported_seconds=self.reported_seconds,
            reported_gpu_hours=self.reported_gpu_hours,
            reported_hardware=self.reported_hardware,
        )


@dataclass(frozen=True)
class ReproduceClaimSpec(FromConfig):
    """Per-table reproduction: reported values are compared with the run's rows of `erase_set`;
    `headline` (metric, method[, concept]) names one reported value stated as its own claim."""

    erase_set: str = "all"
    headline: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_node(cls, node: Node) -> ReproduceClaimSpec:
        node.mapping(("erase_set", "headline"))
        kw: dict[str, Any] = {}
        if node.has("erase_set"):
            kw["erase_set"] = node.child("erase_set").str()
        if node.has("headline"):
            head = node.child("headline")
            head.mapping(("metric", "method", "concept"), ("metric", "method"))
            kw["headline"] = {
                "metric": head.child("metric").name(),
                "method": head.child("method").name(),
                "concept": head.child("concept").str() if head.has("concept") else None,
            }
        return cls(**kw)

    def to_config(self) -> dict[str, Any]:
        return compact(erase_set=self.erase_set, headline=self.headline)


@dataclass(frozen=True)
class ClaimsSpec(FromConfig):
    """The suite's claim parameters (`claims:`), read by `scapre-audit claims` from results.json."""

    capacity: CapacityClaimSpec | None = None
    edit_time: EditTimeClaimSpec | None = None
    reproduce: ReproduceClaimSpec | None = None

    @classmethod
    def from_node(cls, node: Node) -> ClaimsSpec:
        node.mapping(CLAIM_SECTIONS)
        return cls(
            CapacityClaimSpec.from_node(node.child("capacity")) if node.has("capacity") else None,
            EditTimeClaimSpec.from_node(node.child("edit_time")) if node.has("edit_time") else None,
            ReproduceClaimSpec.from_node(node.child("reproduce"))
            if node.has("reproduce")
            else None,
        )

    def to_config(self) -> dict[str, Any]:
        return {
            key: getattr(self, key).to_config()
            for key in CLAIM_SECTIONS
            if getattr(self, key) is not None
        }
