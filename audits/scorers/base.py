"""What every scorer is: built from a suite's `ScorerSpec`, it declares its identity and scores a
list of images (with the unedited model's image for the same prompt and seed when it needs one).

Implement `build` (load models), `identity` (everything that decides its output, JSON-ready,
never paths) and `score`. `concept_labels` maps each suite concept to the label the scorer
outputs for it, so metrics compare labels exactly, never by substring.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch

from audits.errors import AuditError
from audits.suites.specs.evaluation import ScorerSpec
from scapre.fields import TypedConfig


@dataclass(frozen=True)
class ScorerParams(TypedConfig):
    """Base of a scorer kind's `params:` (the project's typed config base): no keys, so a scorer
    that reads none refuses any; a kind that reads params declares them in a subclass. The
    front door parses every suite's scorer params into its class before any model loads."""

    label: ClassVar[str] = "scorer"
    error: ClassVar[type[Exception]] = AuditError
    prefix_fields: ClassVar[bool] = False

    def only(self, key: str, allowed: tuple[Any, ...]) -> None:
        """Refuse a value of `key` that this kind's code does not support (None: not given),
        so every declared param is honoured or refused, never ignored."""
        value = getattr(self, key)
        if value is not None and value not in allowed:
            shown = ", ".join(str(a) for a in allowed)
            raise self.fail(key, f"{key} {value!r} is not supported (use {shown})")


@dataclass(frozen=True)
class ClipParams(ScorerParams):
    """An open_clip model (`openclip_model.load_clip`): architecture, pretrained tag or local
    weights, or a local model config."""

    model: str | None = None
    pretrained: str | None = None
    model_config: str | None = None
    quick_gelu: bool | None = None  # true: build QuickGELU whatever the config says

    def validate(self) -> None:
        self.only("quick_gelu", (True,))


if TYPE_CHECKING:
    from audits.evaluator_weights import ScorerNeeds


@dataclass(frozen=True)
class ScorerContext:
    """What a scorer may read besides its spec: the suite's concepts, folder and the device."""

    concepts: tuple[str, ...]
    concept_label_columns: dict[str, dict[str, str]]
    suite_root: Path
    device: str = "cpu"
    batch_size: int = 16
    weights_dir: Path | None = (
        None  # --weights-dir / SCAPRE_AUDIT_WEIGHTS (audits.evaluator_weights)
    )
    concept_roles: dict[str, str] = field(default_factory=dict)  # concept -> target / retain


@dataclass(frozen=True)
class ImageItem:
    """One image to score, with its prompt and concept (and the reference image if needed)."""

    image_id: str
    image: Any  # PIL.Image
    prompt: str
    concept: str
    reference: Any = None  # PIL.Image of the unedited model, same prompt and seed


@dataclass
class ScoreOutput:
    """Per-image JSON records, in input order, and optional per-image features [N, D]."""

    records: list[dict[str, Any]]
    features: torch.Tensor | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Scorer(ABC):
    kind: ClassVar[str]
    version: ClassVar[str]
    output: ClassVar[str]  # "label", "scalar" or "features"
    needs_reference: ClassVar[bool] = False
    params_class: ClassVar[type[ScorerParams]] = ScorerParams

    def __init__(self, spec: ScorerSpec, context: ScorerContext) -> None:
        self.spec = spec
        self.context = context
        self.params = self.params_of(spec)

    @classmethod
    def params_of(cls, spec: ScorerSpec) -> ScorerParams:
        """The spec's `params:` as this kind's typed config (what the suite's front door
        checked): an AuditError naming the scorer and the key otherwise."""
        try:
            return cls.params_class.from_dict(spec.params)
        except AuditError as err:
            wrapped = AuditError(f"scorer '{spec.name}' ({cls.kind}): {err}")
            wrapped.key = getattr(err, "key", None)  # type: ignore[attr-defined]
            raise wrapped from None

    @classmethod
    def from_spec(cls, spec: ScorerSpec, context: ScorerContext) -> Scorer:
        scorer = cls(spec, context)
        scorer.build()
        return scorer

    def build(self) -> None:  # noqa: B027 - optional hook
        """Load models; called once before `identity` and `score`."""

    @classmethod
    def weight_needs(cls, spec: ScorerSpec, context: ScorerContext) -> ScorerNeeds:
        """The weights files (and packages) `build` will need, found without loading anything:
        what `audits.evaluator_weights.check_scorers` (the preflight) reads. Default: none."""
        from audits.evaluator_weights import ScorerNeeds

        return ScorerNeeds()

    @abstractmethod
    def identity(self) -> dict[str, Any]:
        """Architecture, weights hash, preprocessing, label set, threshold: all that decides the
        output. Must include `kind` and `version`."""

    @abstractmethod
    def score(self, items: list[ImageItem]) -> ScoreOutput:
        """Score the images (in any batch split: results must not depend on it)."""

    def concept_labels(self) -> dict[str, str]:
        """Suite concept -> the label this scorer outputs for it (empty if it outputs none)."""
        return {}

    def label_set(self) -> list[str]:
        """The labels of a label-space scorer (suite `label_space`)."""
        spec, ctx = self.spec, self.context
        if spec.label_space == "concepts":
            return list(ctx.concepts)
        if spec.label_space == "labels":
            return list(spec.labels)
        return []
