"""Probes: where a probe's prompts come from (templates, tables, data sets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from audits.suites.fields import Node
from audits.suites.specs.base import (
    PROMPT_COLUMNS,
    PURPOSES,
    ROLES,
    WHERE_OPS,
    FromConfig,
    NamedFromConfig,
    params_block,
    parse_seeds,
    seeds_config,
    table_ref,
)
from audits.suites.tables import Table


@dataclass(frozen=True)
class Condition(FromConfig):
    """One row filter for a remote prompt dataset: `column op value`."""

    column: str
    op: str
    value: Any

    @classmethod
    def from_node(cls, node: Node) -> Condition:
        node.mapping(("column", "op", "value"), ("column", "op", "value"))
        value = node.child("value").plain()
        return cls(node.child("column").str(), node.child("op").choice(WHERE_OPS), value)

    def to_config(self) -> dict[str, Any]:
        return {"column": self.column, "op": self.op, "value": self.value}


@dataclass(frozen=True)
class DatasetSource(FromConfig):
    """A prompt set loaded at run time with `datasets` (never vendored), pinned by revision."""

    id: str
    revision: str
    split: str
    column: str
    where: tuple[Condition, ...] = ()
    limit: int | None = None
    licence: str = ""

    @classmethod
    def from_node(cls, node: Node) -> DatasetSource:
        keys = ("id", "revision", "split", "column", "where", "limit", "licence")
        node.mapping(keys, ("id", "revision", "split", "column"))
        where = ()
        if node.has("where"):
            where = tuple(Condition.from_node(n) for n in node.child("where").elements())
        return cls(
            node.child("id").str(),
            node.child("revision").str(),
            node.child("split").str(),
            node.child("column").str(),
            where,
            node.child("limit").int(1) if node.has("limit") else None,
            node.child("licence").str() if node.has("licence") else "",
        )

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "revision": self.revision,
            "split": self.split,
            "column": self.column,
        }
        if self.where:
            out["where"] = [c.to_config() for c in self.where]
        if self.limit is not None:
            out["limit"] = self.limit
        if self.licence:
            out["licence"] = self.licence
        return out


_PROBE_KEYS = (
    "kind",
    "purpose",
    "description",
    "concepts",
    "templates",
    "table",
    "seeds",
    "dataset",
    "fallback",
    "limit",
    "params",
)


@dataclass(frozen=True)
class ProbeSpec(NamedFromConfig):
    """A set of prompts to generate from, and what it measures (`purpose`).

    Built-in kinds: `concept_prompts` (templates x concepts of one role), `prompt_table` (a CSV of
    prompts) and `hf_prompts` (a dataset loaded at run time, with a local fallback table).
    """

    name: str
    kind: str
    purpose: str
    description: str = ""
    concepts: str = ""
    templates: tuple[str, ...] = ()
    table: Table | None = None
    seeds: tuple[int, ...] | None = None
    dataset: DatasetSource | None = None
    fallback: Table | None = None
    limit: int | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_node(cls, name: str, node: Node) -> ProbeSpec:
        node.mapping(_PROBE_KEYS, ("kind", "purpose"))
        kind = node.child("kind").name()
        kw: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "purpose": node.child("purpose").choice(PURPOSES),
        }
        required = {
            "concept_prompts": ("concepts", "templates"),
            "prompt_table": ("table",),
            "hf_prompts": ("dataset", "fallback"),
        }.get(kind, ())
        node.mapping(_PROBE_KEYS, required)
        if node.has("description"):
            kw["description"] = node.child("description").str()
        if node.has("concepts"):
            kw["concepts"] = node.child("concepts").choice((*ROLES, "all"))
        if "templates" in node.value:
            kw["templates"] = tuple(n.str() for n in node.child("templates").elements())
        table_required = ("prompt", "concept", "family") if kw["purpose"] == "adversarial" else ()
        if node.has("table"):
            kw["table"] = table_ref(
                node.child("table"), ("prompt", *table_required), PROMPT_COLUMNS
            )
        if node.has("seeds"):
            kw["seeds"] = parse_seeds(node.child("seeds"))
        if node.has("dataset"):
            kw["dataset"] = DatasetSource.from_node(node.child("dataset"))
        if node.has("fallback"):
            kw["fallback"] = table_ref(node.child("fallback"), ("prompt",), PROMPT_COLUMNS)
        if node.has("limit"):
            kw["limit"] = node.child("limit").int(1)
        if node.has("params"):
            kw["params"] = params_block(node.child("params"))
        return cls(**kw)

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "purpose": self.purpose}
        if self.description:
            out["description"] = self.description
        if self.concepts:
            out["concepts"] = self.concepts
        if self.templates:
            out["templates"] = list(self.templates)
        if self.table is not None:
            out["table"] = self.table.to_config()
        if self.seeds is not None:
            out["seeds"] = seeds_config(self.seeds)
        if self.dataset is not None:
            out["dataset"] = self.dataset.to_config()
        if self.fallback is not None:
            out["fallback"] = self.fallback.to_config()
        if self.limit is not None:
            out["limit"] = self.limit
        if self.params:
            out["params"] = self.params
        return out
