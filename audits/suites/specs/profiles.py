"""Profiles: named selections of a suite's parts with their generation settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audits.suites.fields import Node
from audits.suites.specs.base import PROFILE_KINDS, NamedFromConfig
from audits.suites.specs.model import GENERATION_KEYS, ModelSpec

SELECTIONS = ("erase_sets", "probes", "scorers", "metrics", "methods", "attacks")
CLAIM_SECTIONS = ("capacity", "edit_time", "reproduce")  # the keys of a suite's `claims:`


@dataclass(frozen=True)
class ProfileSpec(NamedFromConfig):
    """A named protocol: which parts of the suite run together, and generation overrides.

    `kind: paper` pins one paper's legacy protocol (`cites` says which table); `kind: clean` is the
    project's own protocol. Results of different profiles are never put in one table.
    An empty selection means "all of that section".
    """

    name: str
    kind: str
    cites: str = ""
    description: str = ""
    erase_sets: tuple[str, ...] = ()
    probes: tuple[str, ...] = ()
    scorers: tuple[str, ...] = ()
    metrics: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    attacks: tuple[str, ...] = ()
    generation: dict[str, Any] = field(default_factory=dict)
    model: ModelSpec | None = None  # audits another model than the suite's (e.g. an SDXL base)
    # The claim sections this profile can decide (empty: all the suite declares); a profile too
    # small for a claim leaves it out rather than reporting it "not checkable".
    claims: tuple[str, ...] = ()

    @classmethod
    def from_node(cls, name: str, node: Node) -> ProfileSpec:
        keys = ("kind", "cites", "description", *SELECTIONS, "generation", "model", "claims")
        node.mapping(keys, ("kind",))
        kw: dict[str, Any] = {"name": name, "kind": node.child("kind").choice(PROFILE_KINDS)}
        if node.has("cites"):
            kw["cites"] = node.child("cites").str()
        if node.has("description"):
            kw["description"] = node.child("description").str()
        for key in SELECTIONS:
            if node.has(key):
                child = node.child(key)
                kw[key] = child.member_names() if key == "erase_sets" else child.names()
        if node.has("generation"):
            gen = node.child("generation")
            gen.mapping(GENERATION_KEYS)
            kw["generation"] = gen.plain()
        if node.has("model"):
            kw["model"] = ModelSpec.from_node(node.child("model"))
        if node.has("claims"):
            kw["claims"] = node.child("claims").names()
            for claim in kw["claims"]:
                if claim not in CLAIM_SECTIONS:
                    raise node.child("claims").error(
                        f"unknown claim '{claim}' (one of: {', '.join(CLAIM_SECTIONS)})"
                    )
        spec = cls(**kw)
        if spec.kind == "paper" and not spec.cites:
            raise node.error("a paper profile needs 'cites' (the paper and table it reproduces)")
        return spec

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind}
        if self.cites:
            out["cites"] = self.cites
        if self.description:
            out["description"] = self.description
        for key in SELECTIONS:
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.generation:
            out["generation"] = self.generation
        if self.model is not None:
            out["model"] = self.model.to_config()
        if self.claims:
            out["claims"] = list(self.claims)
        return out
