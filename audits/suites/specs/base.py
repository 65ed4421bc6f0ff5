"""The schema's shared parts: its enumerations, the `from_config` mixins, seed lists,
free-form params and table references."""

from __future__ import annotations

from typing import Any

from audits.suites.fields import Node
from audits.suites.tables import Table, read_table, resolve_table_path

SCHEMA_VERSION = 1
ROLES = ("target", "retain")
PURPOSES = ("target", "neighbor", "quality", "adversarial")
SAMPLERS = ("pndm", "ddim", "ddpm", "dpmsolver++", "euler", "euler_ancestral", "lms", "unipc")
PRECISIONS = ("fp16", "bf16", "fp32")
LABEL_SPACES = ("concepts", "imagenet-1k", "labels", "none")
PROFILE_KINDS = ("clean", "paper")
DRAWS = ("prefix", "seeded")
WHERE_OPS = ("eq", "ne", "contains", "in", "gt", "ge", "lt", "le")
PROMPT_COLUMNS = ("prompt", "concept", "family", "seed", "category", "language", "notes")
MAX_SEED = 2**63 - 1


class FromConfig:
    """`from_config(config)`: rebuild a spec from its `to_config()` output (errors say
    '<config>')."""

    @classmethod
    def from_config(cls, config: Any):
        return cls.from_node(Node.root(config))  # type: ignore[attr-defined]


class NamedFromConfig:
    """`from_config(name, config)` for specs that live in a named section."""

    @classmethod
    def from_config(cls, name: str, config: Any):
        return cls.from_node(name, Node.root(config))  # type: ignore[attr-defined]


def parse_seeds(node: Node) -> tuple[int, ...]:
    """Seeds as a list of integers or as `{start: S, count: N}` (S, S+1, ..., S+N-1)."""
    if isinstance(node.value, dict):
        node.mapping(("start", "count"), ("start", "count"))
        start = node.child("start").int(0, MAX_SEED)
        count = node.child("count").int(1, 1_000_000)
        return tuple(range(start, start + count))
    seeds = tuple(n.int(0, MAX_SEED) for n in node.elements())
    for i, seed in enumerate(seeds):
        if seed in seeds[:i]:
            raise node.child(i).error(f"seed {seed} is listed twice")
    return seeds


def seeds_config(seeds: tuple[int, ...]) -> Any:
    """The compact form of a seed list: `{start, count}` when consecutive."""
    if len(seeds) > 2 and seeds == tuple(range(seeds[0], seeds[0] + len(seeds))):
        return {"start": seeds[0], "count": len(seeds)}
    return list(seeds)


def params_block(node: Node) -> dict[str, Any]:
    """Free-form parameters handed to an implementation: a mapping of plain values."""
    if not isinstance(node.value, dict):
        raise node.error("expected a mapping of parameters")
    return node.plain()


def table_ref(node: Node, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Table:
    """Read the CSV named by `node`, relative to the folder of the suite file that names it."""
    suite_dir = node.file.parent
    path = resolve_table_path(suite_dir, node.value, node.error)
    return read_table(path, suite_dir, required, optional)


def compact(**fields: Any) -> dict[str, Any]:
    """A config dict without its empty optional fields (tuples as lists): what `to_config` writes
    and the suite hash reads, so an omitted field and its default hash the same."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in fields.items()
        if value is not None and not (isinstance(value, (str, tuple, list, dict)) and not value)
    }
