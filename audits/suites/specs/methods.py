"""Erasure methods and attacks a suite runs, each with its config/params block."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audits.suites.fields import Node
from audits.suites.specs.base import NamedFromConfig, compact, params_block


@dataclass(frozen=True)
class MethodSpec(NamedFromConfig):
    """An eraser to compare, with its configuration (`none` is the unedited reference)."""

    name: str
    kind: str
    config: dict[str, Any] = field(default_factory=dict)
    erase_sets: tuple[str, ...] = ()
    description: str = ""

    @classmethod
    def from_node(cls, name: str, node: Node) -> MethodSpec:
        node.mapping(("kind", "description", "config", "erase_sets"), ("kind",))
        return cls(
            name,
            node.child("kind").name(),
            params_block(node.child("config")) if node.has("config") else {},
            node.child("erase_sets").names() if node.has("erase_sets") else (),
            node.child("description").str() if node.has("description") else "",
        )

    def to_config(self) -> dict[str, Any]:
        return compact(
            kind=self.kind,
            config=self.config,
            erase_sets=self.erase_sets,
            description=self.description,
        )


@dataclass(frozen=True)
class AttackSpec(NamedFromConfig):
    """An attack that tries to bring erased concepts back, seeded from some probes' prompts."""

    name: str
    kind: str
    probes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @classmethod
    def from_node(cls, name: str, node: Node) -> AttackSpec:
        node.mapping(("kind", "description", "probes", "params"), ("kind",))
        return cls(
            name,
            node.child("kind").name(),
            node.child("probes").names() if node.has("probes") else (),
            params_block(node.child("params")) if node.has("params") else {},
            node.child("description").str() if node.has("description") else "",
        )

    def to_config(self) -> dict[str, Any]:
        return compact(
            kind=self.kind, probes=self.probes, params=self.params, description=self.description
        )
