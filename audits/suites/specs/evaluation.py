"""Scorers and the metrics computed from their records."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audits.suites.fields import Node
from audits.suites.specs.base import LABEL_SPACES, NamedFromConfig, compact, params_block


@dataclass(frozen=True)
class ScorerSpec(NamedFromConfig):
    """An evaluator and the label space it answers in (the label set is part of its identity)."""

    name: str
    kind: str
    label_space: str = "none"
    label_column: str = ""
    labels: tuple[str, ...] = ()
    threshold: float | None = None
    probes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @classmethod
    def from_node(cls, name: str, node: Node) -> ScorerSpec:
        keys = ("kind", "description", "label_space", "label_column", "labels", "threshold")
        node.mapping((*keys, "probes", "params"), ("kind",))
        kw: dict[str, Any] = {"name": name, "kind": node.child("kind").name()}
        if node.has("description"):
            kw["description"] = node.child("description").str()
        if node.has("label_space"):
            kw["label_space"] = node.child("label_space").choice(LABEL_SPACES)
        if node.has("label_column"):
            kw["label_column"] = node.child("label_column").name()
        if "labels" in node.value:
            labels = tuple(n.str() for n in node.child("labels").elements())
            kw["labels"] = labels
        if node.has("threshold"):
            kw["threshold"] = node.child("threshold").float(0.0, 1.0)
        if node.has("probes"):
            kw["probes"] = node.child("probes").names()
        if node.has("params"):
            kw["params"] = params_block(node.child("params"))
        spec = cls(**kw)
        if spec.label_space == "labels" and not spec.labels:
            raise node.error("label_space: labels needs a non-empty 'labels' list")
        if spec.labels and spec.label_space != "labels":
            raise node.child("labels").error("'labels' is used only with label_space: labels")
        if spec.label_space == "imagenet-1k" and not spec.label_column:
            raise node.error("label_space: imagenet-1k needs 'label_column' (class indices)")
        return spec

    def to_config(self) -> dict[str, Any]:
        return compact(
            kind=self.kind,
            label_space=self.label_space,
            label_column=self.label_column,
            labels=self.labels,
            threshold=self.threshold,
            probes=self.probes,
            params=self.params,
            description=self.description,
        )


@dataclass(frozen=True)
class MetricSpec(NamedFromConfig):
    """A number to report: its kind (which fixes its definition and direction), the scorer it
    reads and the probes it is computed on."""

    name: str
    kind: str
    scorer: str = ""
    probes: tuple[str, ...] = ()
    params: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    @classmethod
    def from_node(cls, name: str, node: Node) -> MetricSpec:
        node.mapping(("kind", "description", "scorer", "probes", "params"), ("kind",))
        return cls(
            name,
            node.child("kind").name(),
            node.child("scorer").name() if node.has("scorer") else "",
            node.child("probes").names() if node.has("probes") else (),
            params_block(node.child("params")) if node.has("params") else {},
            node.child("description").str() if node.has("description") else "",
        )

    def to_config(self) -> dict[str, Any]:
        return compact(
            kind=self.kind,
            scorer=self.scorer,
            probes=self.probes,
            params=self.params,
            description=self.description,
        )
