"""The concept table and the erase sets drawn from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audits.suites.fields import Node
from audits.suites.specs.base import DRAWS, MAX_SEED, ROLES, NamedFromConfig, table_ref
from audits.suites.tables import Table


@dataclass(frozen=True)
class Concept:
    """One concept row: its name, whether it is erased (target) or kept (retain), its labels."""

    name: str
    role: str
    group: str = ""
    labels: tuple[tuple[str, str], ...] = ()
    row: int = 0

    def label(self, column: str) -> str:
        return dict(self.labels)[column]


@dataclass(frozen=True)
class ConceptSet:
    """The suite's concept table (`concept,role[,group,notes,<label columns>]`)."""

    table: Table
    label_columns: tuple[str, ...]
    concepts: tuple[Concept, ...]

    @classmethod
    def from_node(cls, node: Node) -> ConceptSet:
        node.mapping(("table", "label_columns"), ("table",))
        label_columns: tuple[str, ...] = ()
        if node.has("label_columns"):
            label_columns = node.child("label_columns").names()
            for i, col in enumerate(label_columns):
                if col in ("concept", "role", "group", "notes"):
                    raise node.child("label_columns").child(i).error(f"'{col}' is not a label")
        table = table_ref(
            node.child("table"), ("concept", "role"), ("group", "notes", *label_columns)
        )
        concepts = []
        for i, rec in enumerate(table.records()):
            if not rec["concept"]:
                raise table.error(i, "concept", "empty concept name")
            if rec["role"] not in ROLES:
                raise table.error(i, "role", f"'{rec['role']}' is not one of {', '.join(ROLES)}")
            labels = []
            for col in label_columns:
                if col in table.columns:
                    if not rec[col]:
                        raise table.error(i, col, "empty label")
                    labels.append((col, rec[col]))
            concepts.append(
                Concept(
                    rec["concept"],
                    rec["role"],
                    rec.get("group", ""),
                    tuple(labels),
                    table.row_numbers[i],
                )
            )
        return cls(table, label_columns, tuple(concepts))

    def with_role(self, role: str) -> tuple[Concept, ...]:
        """Concepts of one role ('target', 'retain') or all of them ('all')."""
        return self.concepts if role == "all" else tuple(c for c in self.concepts if c.role == role)

    def names(self, role: str = "all") -> tuple[str, ...]:
        return tuple(c.name for c in self.with_role(role))

    def to_config(self) -> dict[str, Any]:
        return {**self.table.to_config(), "label_columns": list(self.label_columns)}


@dataclass(frozen=True)
class EraseSetSpec(NamedFromConfig):
    """Which concepts one edit erases: an explicit list, the whole pool, or a size sweep.

    A sweep (`sizes`) expands to one set per size, named `<name>@<size>`. `draw: prefix` takes
    the first k of the pool in table order; `draw: seeded` orders the pool by sha256 of
    `"<seed>:<name>"` and takes the first k, so the sets are nested and do not depend on the
    Python version.
    """

    name: str
    pool: str = "target"
    concepts: tuple[str, ...] = ()
    sizes: tuple[int, ...] = ()
    draw: str = "prefix"
    seed: int | None = None
    description: str = ""

    @classmethod
    def from_node(cls, name: str, node: Node) -> EraseSetSpec:
        node.mapping(("description", "pool", "concepts", "sizes", "draw", "seed"))
        kw: dict[str, Any] = {"name": name}
        if node.has("description"):
            kw["description"] = node.child("description").str()
        if node.has("pool"):
            kw["pool"] = node.child("pool").choice(ROLES)
        if "concepts" in node.value:
            items = node.child("concepts").elements()
            kw["concepts"] = tuple(n.str() for n in items)
            if node.has("sizes"):
                raise node.child("sizes").error("give either 'concepts' or 'sizes', not both")
        if node.has("sizes"):
            sizes = tuple(n.int(1) for n in node.child("sizes").elements())
            if list(sizes) != sorted(set(sizes)):
                raise node.child("sizes").error("sizes must be increasing and distinct")
            kw["sizes"] = sizes
        if node.has("draw"):
            kw["draw"] = node.child("draw").choice(DRAWS)
        if node.has("seed"):
            kw["seed"] = node.child("seed").int(0, MAX_SEED)
        spec = cls(**kw)
        if spec.draw == "seeded" and spec.seed is None:
            raise node.error("draw: seeded needs an integer 'seed'")
        if spec.seed is not None and (spec.draw != "seeded" or not spec.sizes):
            raise node.child("seed").error("'seed' is used only with 'sizes' and draw: seeded")
        return spec

    def to_config(self) -> dict[str, Any]:
        out: dict[str, Any] = {"pool": self.pool}
        if self.concepts:
            out["concepts"] = list(self.concepts)
        if self.sizes:
            out["sizes"] = list(self.sizes)
            out["draw"] = self.draw
            if self.seed is not None:
                out["seed"] = self.seed
        if self.description:
            out["description"] = self.description
        return out
