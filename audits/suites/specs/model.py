"""The model a suite audits and how each image is made."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from audits.suites.fields import Node
from audits.suites.specs.base import PRECISIONS, SAMPLERS, FromConfig, parse_seeds, seeds_config


@dataclass(frozen=True)
class ModelSpec(FromConfig):
    """Which model the suite audits by default; the family says how to load and edit it."""

    family: str
    id: str
    revision: str

    @classmethod
    def from_node(cls, node: Node) -> ModelSpec:
        node.mapping(("family", "id", "revision"), ("family", "id", "revision"))
        return cls(node.child("family").str(), node.child("id").str(), node.child("revision").str())

    def to_config(self) -> dict[str, Any]:
        return {"family": self.family, "id": self.id, "revision": self.revision}


GENERATION_KEYS = (
    "sampler",
    "steps",
    "guidance_scale",
    "height",
    "width",
    "seeds",
    "precision",
    "negative_prompt",
    "safety_checker",
)


@dataclass(frozen=True)
class GenerationSpec(FromConfig):
    """How each image is made; one image per (prompt, seed), one seeded generator per image."""

    seeds: tuple[int, ...]
    sampler: str = "pndm"
    steps: int = 50
    guidance_scale: float = 7.5
    height: int = 512
    width: int = 512
    precision: str = "fp16"
    negative_prompt: str = ""
    safety_checker: bool = False

    @property
    def images_per_prompt(self) -> int:
        return len(self.seeds)

    @classmethod
    def from_node(cls, node: Node, base: GenerationSpec | None = None) -> GenerationSpec:
        """Parse generation settings; with `base`, only the keys given override it."""
        node.mapping(GENERATION_KEYS, () if base else ("seeds",))
        kw: dict[str, Any] = {}
        if node.has("sampler"):
            kw["sampler"] = node.child("sampler").choice(SAMPLERS)
        if node.has("steps"):
            kw["steps"] = node.child("steps").int(1, 10_000)
        if node.has("guidance_scale"):
            kw["guidance_scale"] = node.child("guidance_scale").float(0.0, 100.0)
        for key in ("height", "width"):
            if node.has(key):
                value = node.child(key).int(8, 8192)
                if value % 8:
                    raise node.child(key).error(f"must be a multiple of 8, got {value}")
                kw[key] = value
        if node.has("seeds"):
            kw["seeds"] = parse_seeds(node.child("seeds"))
        if node.has("precision"):
            kw["precision"] = node.child("precision").choice(PRECISIONS)
        if "negative_prompt" in node.value:
            kw["negative_prompt"] = node.child("negative_prompt").str(allow_empty=True)
        if node.has("safety_checker"):
            kw["safety_checker"] = node.child("safety_checker").bool()
            if kw["safety_checker"]:  # never silently ignored: runs always sample without it
                raise node.child("safety_checker").error(
                    "must be false: audits always sample without the safety checker (it blacks"
                    " out flagged images, hiding what the model makes)"
                )
        return replace(base, **kw) if base else cls(**kw)

    def to_config(self) -> dict[str, Any]:
        return {
            "sampler": self.sampler,
            "steps": self.steps,
            "guidance_scale": self.guidance_scale,
            "height": self.height,
            "width": self.width,
            "seeds": seeds_config(self.seeds),
            "precision": self.precision,
            "negative_prompt": self.negative_prompt,
            "safety_checker": self.safety_checker,
        }
