"""Turn erase-set specs into concrete lists of concept names, reproducibly."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from audits.suites.specs.concepts import ConceptSet, EraseSetSpec


@dataclass(frozen=True)
class EraseSet:
    """The concepts one edit erases, under a stable name (`sweep@10` for a sweep member)."""

    name: str
    concepts: tuple[str, ...]
    spec: str


def seeded_order(names: tuple[str, ...], seed: int) -> tuple[str, ...]:
    """Names ordered by sha256("<seed>:<name>"): a shuffle that any language can reproduce."""
    return tuple(sorted(names, key=lambda n: hashlib.sha256(f"{seed}:{n}".encode()).hexdigest()))


def expand_erase_set(spec: EraseSetSpec, concepts: ConceptSet) -> list[EraseSet]:
    """The concrete set(s) of one spec: one set, or one per size of a sweep (nested)."""
    pool = concepts.names(spec.pool)
    if spec.concepts:
        return [EraseSet(spec.name, spec.concepts, spec.name)]
    if not spec.sizes:
        return [EraseSet(spec.name, pool, spec.name)]
    order = (
        seeded_order(pool, spec.seed) if spec.draw == "seeded" and spec.seed is not None else pool
    )
    return [EraseSet(f"{spec.name}@{k}", order[:k], spec.name) for k in spec.sizes]


def expand_erase_sets(
    specs: dict[str, EraseSetSpec], concepts: ConceptSet, names: tuple[str, ...] | None = None
) -> list[EraseSet]:
    """All concrete erase sets of the named specs (all specs when `names` is None)."""
    out: list[EraseSet] = []
    for name in names if names is not None else tuple(specs):
        base, at, _ = name.partition("@")  # `ladder@2`: one member of a sweep
        members = expand_erase_set(specs[base], concepts)
        out.extend(m for m in members if not at or m.name == name)
    return out
