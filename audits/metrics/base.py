"""What every metric is: a definition (kind + version), a direction, and `compute` from the saved
scores of one results group (a method on an erase set) to result rows.

Rows carry the value, n (images used), exclusions (images left out, counted by reason) and a 95%
percentile bootstrap interval clustered by prompt; the engine adds provenance (evaluator, prompt
sets, seeds, sampler, model).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, ClassVar

from audits.errors import AuditError
from audits.metrics.bootstrap import LEVEL, REPLICATES, percentile_interval, seed_for
from scapre.fields import TypedConfig

SPLITS = ("concept", "family", "group")


@dataclass(frozen=True)
class MetricParams(TypedConfig):
    """Base of a metric kind's `params:` (the project's typed config base): no keys, so a metric
    that reads none refuses any. A kind that reads params declares them in a subclass."""

    label: ClassVar[str] = "metric"
    error: ClassVar[type[Exception]] = AuditError
    prefix_fields: ClassVar[bool] = False


@dataclass(frozen=True)
class SplitParams(MetricParams):
    """A mean over images with one breakdown row per concept, attack family or concept group."""

    split_by: str | None = None

    def validate(self) -> None:
        if self.split_by is not None and self.split_by not in SPLITS:
            raise self.fail("split_by", f"split_by must be one of {', '.join(SPLITS)}")


@dataclass(frozen=True)
class Observation:
    """One scored image: its probe, prompt index (cluster), concept, family and score record."""

    probe: str
    case: int
    concept: str
    family: str
    seed: int
    record: dict[str, Any]

    @property
    def cluster(self) -> tuple[str, int]:
        return (self.probe, self.case)


@dataclass
class MetricInput:
    """Everything a metric may read for one results group."""

    name: str
    params: MetricParams  # the metric's typed params (its kind's `params_class`)
    method: str
    erase_set: str
    erased: frozenset[str]
    roles: dict[str, str]
    probes: tuple[str, ...]
    observations: list[Observation]
    concept_labels: dict[str, str]
    groups: dict[str, str] = field(default_factory=dict)  # concept -> group (concepts.csv)
    features: Any = None  # [N, D] tensor for feature scorers
    reference_features: Any = None  # the unedited model's features for the same cases


@dataclass
class ResultRow:
    value: float | None
    n: int
    concept: str | None = None
    family: str | None = None
    exclusions: dict[str, int] = field(default_factory=dict)
    ci: tuple[float, float] | None = None
    ci_seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    label: str | None = None  # a breakdown by evaluator label (nudenet_label_counts)


class Metric(ABC):
    """A metric over one scorer's records (or features) for one results group."""

    kind: ClassVar[str]
    definition_version: ClassVar[str]
    higher_is_better: ClassVar[bool]
    # True when the metric compares labels to its cases' concepts (`scorer.concept_labels`): a
    # run refuses it before any work when the scorer can label none of those concepts
    reads_concept_labels: ClassVar[bool] = False
    definition: ClassVar[str]
    needs: ClassVar[str] = "records"  # or "features" (with the unedited model's)
    # True when, on a target or adversarial probe, only images of erased concepts count: the plan
    # then generates no image of a target that no edit of the run erases
    reads_erased_only: ClassVar[bool] = False
    params_class: ClassVar[type[MetricParams]] = MetricParams

    @abstractmethod
    def compute(self, data: MetricInput) -> list[ResultRow]:
        """Rows for this group: the aggregate (concept None) and any breakdowns."""

    @classmethod
    def check_params(cls, name: str, params: dict[str, Any]) -> MetricParams:
        """The suite's params parsed into `params_class`; unknown keys and bad values are an
        AuditError naming the metric (and, as `err.key`, the param) before any work."""
        try:
            return cls.params_class.from_dict(params)
        except AuditError as err:
            wrapped = AuditError(f"metric '{name}': {err}")
            wrapped.key = getattr(err, "key", None)  # type: ignore[attr-defined]
            raise wrapped from None

    def describe(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "definition_version": self.definition_version,
            "higher_is_better": self.higher_is_better,
            "definition": self.definition,
        }


def split_key(data: MetricInput, obs: Observation, by: str) -> str:
    """The breakdown value of one image: its concept, attack family or concept group."""
    if by == "group":
        return data.groups.get(obs.concept, "")
    return getattr(obs, by)


def mean_rows(
    data: MetricInput,
    kept: list[tuple[Observation, float]],
    excluded: Counter,
    by: str | None = "concept",
) -> list[ResultRow]:
    """Pooled means with clustered intervals: the aggregate, then one row per `by` value
    (`params.split_by` overrides `by`: concept, family or group)."""
    by = getattr(data.params, "split_by", None) or by
    rows = [_mean_row(data, kept, dict(excluded), {})]
    if by:
        keys = sorted({split_key(data, o, by) for o, _ in kept} - {""})
        for key in keys:
            subset = [(o, v) for o, v in kept if split_key(data, o, by) == key]
            rows.append(_mean_row(data, subset, {}, {by: key}))
    return rows


def _mean_row(data, kept, exclusions, where: dict[str, str]) -> ResultRow:
    n = len(kept)
    concept, family, group = (where.get(k) for k in SPLITS)
    seed = seed_for(data.name, data.method, data.erase_set, concept, family, group)
    if not n:
        return ResultRow(None, 0, concept, family, exclusions, None, seed, group=group)
    value = sum(v for _, v in kept) / n
    ci = percentile_interval([([o.cluster for o, _ in kept], [v for _, v in kept])], seed=seed)
    return ResultRow(value, n, concept, family, exclusions, ci, seed, group=group)


CI_METHOD = {
    "method": "percentile bootstrap, resampling prompts (clusters) with replacement",
    "level": LEVEL,
    "replicates": REPLICATES,
}


class DerivedMetric(Metric):
    """A metric built from other metrics of the suite, named in its params (`parts` lists the
    param keys). It reads the parts' per-image values, so its interval resamples their prompts."""

    parts: ClassVar[tuple[str, ...]]

    def compute(self, data: MetricInput) -> list[ResultRow]:
        raise TypeError(f"{self.kind} is computed from other metrics (compute_derived)")

    @abstractmethod
    def compute_derived(self, name: str, parts: dict[str, tuple[Metric, MetricInput]]):
        """Rows from the parts: param key -> (part metric, its input for this group)."""


class TableMetric(DerivedMetric):
    """A derived metric whose value for one method depends on every method in its table (all
    methods run on the same erase set, the unedited model included), like ScaPre's UQ."""

    def compute_derived(self, name, parts):
        raise TypeError(f"{self.kind} is computed over a whole table (compute_table)")

    @abstractmethod
    def compute_table(
        self,
        name: str,
        table: dict[str, dict[str, tuple[Metric, MetricInput]]],
        params: dict[str, Any],
    ) -> dict[str, list[ResultRow]]:
        """Rows per method from the parts of every method (method -> param key -> (part metric,
        its input for that method's group)) and this metric's own params."""
