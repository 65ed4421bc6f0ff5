"""What every attack is: a kind with a version and an access tier, validated params (with a
budget and a seed where it searches), and `run` from one concept's source prompts to
adversarial inputs.

Tiers say what access an attack needed, so an auditor can tell a regulator's black-box result
from a researcher's white-box one:
  0  black-box text: prompts only;
  1  text-encoder access and the K/V weights, no UNet gradients;
  2  white-box: UNet gradients.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import torch

from audits.case import Case
from audits.errors import AuditError
from scapre.fields import TypedConfig

ACCESS = {
    0: "black-box text (prompts only)",
    1: "text encoder and K/V weights (no UNet gradients)",
    2: "white-box (UNet gradients)",
}


class AttackError(AuditError):
    """A bad attack configuration or input, named in one line."""


@dataclass(frozen=True)
class AttackParams(TypedConfig):
    """Base of every attack's params (the project's typed config base): typed fields checked on
    construction. `budget` and `seed` are declared by the attacks that search; closed-form ones
    have neither. Range checks go in `validate`, raising `self.fail(param, message)`."""

    label: ClassVar[str] = "attack"
    error: ClassVar[type[Exception]] = AttackError
    prefix_fields: ClassVar[bool] = False


@dataclass
class AttackContext:
    """What an attack may read for one (edit, concept). `original` and `edited` map every
    cross-attention K/V weight name to its matrix (float64, on `device`), in official order."""

    pipe: Any
    concept: str
    sources: list[Case]
    original: dict[str, torch.Tensor]
    edited: dict[str, torch.Tensor]
    edited_names: tuple[str, ...]
    device: str = "cpu"
    suite_root: Path | None = None
    delta: dict[str, torch.Tensor] = field(default_factory=dict)  # the whole edit (tier 2)
    sampling: dict[str, Any] = field(default_factory=dict)  # the run's sampler settings
    cache: dict[Any, Any] = field(default_factory=dict)  # shared by the units of one edit


@dataclass
class AttackOutput:
    """Adversarial inputs, one per source (same order): prompts or (n, L, d) prompt embeddings.
    `evaluations` counts the objective evaluations spent (<= budget); `extra` is recorded."""

    prompts: list[str] | None = None
    embeds: torch.Tensor | None = None
    evaluations: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


class Attack(ABC):
    """One attack kind. `params_class` parses the suite's params; `run` attacks one concept."""

    kind: ClassVar[str]
    version: ClassVar[str]
    tier: ClassVar[int]
    params_class: ClassVar[type[AttackParams]]

    def __init__(self, name: str, params: AttackParams) -> None:
        self.name, self.params = name, params

    @classmethod
    def from_params(cls, name: str, params: dict[str, Any]) -> Attack:
        """Parse params; an unknown or bad one is a one-line error naming attack and param."""
        unknown = sorted(cls.params_class.unknown_keys(params))
        if unknown:
            allowed = ", ".join(sorted(cls.params_class.keys())) or "none"
            err = AttackError(
                f"attack '{name}' ({cls.kind}): unknown param(s) {', '.join(unknown)};"
                f" allowed: {allowed}"
            )
            err.key = unknown[0]  # type: ignore[attr-defined]
            raise err
        try:
            return cls(name, cls.params_class(**params))
        except AttackError as err:
            wrapped = AttackError(f"attack '{name}' ({cls.kind}): param {err}")
            wrapped.key = getattr(err, "key", None)  # type: ignore[attr-defined]
            raise wrapped from None

    @property
    def budget(self) -> int | None:
        return getattr(self.params, "budget", None)

    @property
    def seed(self) -> int | None:
        return getattr(self.params, "seed", None)

    def describe(self) -> dict[str, Any]:
        """What every result row and artifact record repeats about the attack."""
        return {
            "name": self.name,
            "kind": self.kind,
            "version": self.version,
            "tier": self.tier,
            "access": ACCESS[self.tier],
            "budget": self.budget,
            "seed": self.seed,
            "params": self.params.to_dict(),
        }

    def sources(self, suite, cases_by_probe, probes: tuple[str, ...], limit: int | None, seeds=()):
        """(concept -> sources) this attack starts from: by default the cases of its probes."""
        out: dict[str, list[Case]] = {}
        for probe in probes:
            for case in cases_by_probe[probe]:
                out.setdefault(case.concept, []).append(
                    Case(probe, case.index, case.prompt, tuple(case.seeds))
                )
        return out

    @abstractmethod
    def run(self, ctx: AttackContext) -> AttackOutput:
        """Adversarial inputs for `ctx.sources` (deterministic for the params' seed)."""
