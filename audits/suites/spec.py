"""The suite schema as frozen dataclasses: one per thing a suite declares.

Each spec is built from a located YAML node (`from_node`, which reports bad fields with file and
line) and written back with `to_config`; `from_node(Node.root(x.to_config()))` rebuilds an equal
spec for every spec that holds no table. Cross-references between specs (a metric naming a scorer,
a profile naming probes) are checked later by the validator, which sees the whole suite.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
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


class _FromConfig:
    """`from_config(config)`: rebuild a spec from its `to_config()` output (errors say
    '<config>')."""

    @classmethod
    def from_config(cls, config: Any):
        return cls.from_node(Node.root(config))  # type: ignore[attr-defined]


class _NamedFromConfig:
    """`from_config(name, config)` for specs that live in a named section."""

    @classmethod
    def from_config(cls, name: str, config: Any):
        return cls.from_node(name, Node.root(config))  # type: ignore[attr-defined]


# -- seeds ----------------------------------------------------------------------------------
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


def _params(node: Node) -> dict[str, Any]:
    """Free-form parameters handed to an implementation: a mapping of plain values."""
    if not isinstance(node.value, dict):
        raise node.error("expected a mapping of parameters")
    return node.plain()


def _table_ref(node: Node, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> Table:
    """Read the CSV named by `node`, relative to the folder of the suite file that names it."""
    suite_dir = node.file.parent
    path = resolve_table_path(suite_dir, node.value, node.error)
    return read_table(path, suite_dir, required, optional)


# -- model and generation -------------------------------------------------------------------
@dataclass(frozen=True)
class ModelSpec(_FromConfig):
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


_GEN_KEYS = (
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
class GenerationSpec(_FromConfig):
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
        node.mapping(_GEN_KEYS, () if base else ("seeds",))
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


# -- concepts -------------------------------------------------------------------------------
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
        table = _table_ref(
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


def _compact(**fields: Any) -> dict[str, Any]:
    """A config dict without its empty optional fields (tuples as lists): what `to_config` writes
    and the suite hash reads, so an omitted field and its default hash the same."""
    return {
        key: list(value) if isinstance(value, tuple) else value
        for key, value in fields.items()
        if value is not None and not (isinstance(value, (str, tuple, list, dict)) and not value)
    }


# -- erase sets -----------------------------------------------------------------------------
@dataclass(frozen=True)
class EraseSetSpec(_NamedFromConfig):
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


# -- probes ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Condition(_FromConfig):
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
class DatasetSource(_FromConfig):
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
class ProbeSpec(_NamedFromConfig):
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
            kw["table"] = _table_ref(
                node.child("table"), ("prompt", *table_required), PROMPT_COLUMNS
            )
        if node.has("seeds"):
            kw["seeds"] = parse_seeds(node.child("seeds"))
        if node.has("dataset"):
            kw["dataset"] = DatasetSource.from_node(node.child("dataset"))
        if node.has("fallback"):
            kw["fallback"] = _table_ref(node.child("fallback"), ("prompt",), PROMPT_COLUMNS)
        if node.has("limit"):
            kw["limit"] = node.child("limit").int(1)
        if node.has("params"):
            kw["params"] = _params(node.child("params"))
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


# -- scorers, metrics, methods, attacks -----------------------------------------------------
@dataclass(frozen=True)
class ScorerSpec(_NamedFromConfig):
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
            kw["params"] = _params(node.child("params"))
        spec = cls(**kw)
        if spec.label_space == "labels" and not spec.labels:
            raise node.error("label_space: labels needs a non-empty 'labels' list")
        if spec.labels and spec.label_space != "labels":
            raise node.child("labels").error("'labels' is used only with label_space: labels")
        if spec.label_space == "imagenet-1k" and not spec.label_column:
            raise node.error("label_space: imagenet-1k needs 'label_column' (class indices)")
        return spec

    def to_config(self) -> dict[str, Any]:
        return _compact(
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
class MetricSpec(_NamedFromConfig):
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
            _params(node.child("params")) if node.has("params") else {},
            node.child("description").str() if node.has("description") else "",
        )

    def to_config(self) -> dict[str, Any]:
        return _compact(
            kind=self.kind,
            scorer=self.scorer,
            probes=self.probes,
            params=self.params,
            description=self.description,
        )


@dataclass(frozen=True)
class MethodSpec(_NamedFromConfig):
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
            _params(node.child("config")) if node.has("config") else {},
            node.child("erase_sets").names() if node.has("erase_sets") else (),
            node.child("description").str() if node.has("description") else "",
        )

    def to_config(self) -> dict[str, Any]:
        return _compact(
            kind=self.kind,
            config=self.config,
            erase_sets=self.erase_sets,
            description=self.description,
        )


@dataclass(frozen=True)
class AttackSpec(_NamedFromConfig):
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
            _params(node.child("params")) if node.has("params") else {},
            node.child("description").str() if node.has("description") else "",
        )

    def to_config(self) -> dict[str, Any]:
        return _compact(
            kind=self.kind, probes=self.probes, params=self.params, description=self.description
        )


# -- profiles -------------------------------------------------------------------------------
SELECTIONS = ("erase_sets", "probes", "scorers", "metrics", "methods", "attacks")
CLAIM_SECTIONS = ("capacity", "edit_time", "reproduce")  # the keys of a suite's `claims:`


@dataclass(frozen=True)
class ProfileSpec(_NamedFromConfig):
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
            gen.mapping(_GEN_KEYS)
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


# -- claims ---------------------------------------------------------------------------------
QUALITY_BOUNDS = ("max_drop", "max", "min")


@dataclass(frozen=True)
class QualityBound(_FromConfig):
    """One quality limit of the capacity claim: `max_drop` (loss against the unedited model, in
    the metric's unit and direction), or an absolute `max` / `min` on the metric's value."""

    metric: str
    bound: str
    value: float

    @classmethod
    def from_node(cls, node: Node) -> QualityBound:
        node.mapping(("metric", *QUALITY_BOUNDS), ("metric",))
        given = [key for key in QUALITY_BOUNDS if node.has(key)]
        if len(given) != 1:
            raise node.error(f"give exactly one of {', '.join(QUALITY_BOUNDS)}")
        value = node.child(given[0]).float(0.0 if given[0] == "max_drop" else None)
        return cls(node.child("metric").name(), given[0], value)

    def to_config(self) -> dict[str, Any]:
        return {"metric": self.metric, self.bound: self.value}


@dataclass(frozen=True)
class CapacityClaimSpec(_FromConfig):
    """The scaling claim's thresholds: how many concepts a method erases while forgetting stays
    at or below `forget_max` and every quality bound holds, read along a sweep erase set."""

    method: str
    erase_sets: str
    forget_metric: str
    forget_max: float
    quality: tuple[QualityBound, ...]
    baselines: tuple[str, ...] = ()
    claimed_concepts: int | None = None
    claimed_ratio: float | None = None

    @classmethod
    def from_node(cls, node: Node) -> CapacityClaimSpec:
        keys = ("method", "erase_sets", "forget_metric", "forget_max", "quality")
        node.mapping((*keys, "baselines", "claimed_concepts", "claimed_ratio"), keys)
        return cls(
            node.child("method").name(),
            node.child("erase_sets").name(),
            node.child("forget_metric").name(),
            node.child("forget_max").float(0.0),
            tuple(QualityBound.from_node(n) for n in node.child("quality").elements()),
            node.child("baselines").names() if node.has("baselines") else (),
            node.child("claimed_concepts").int(1) if node.has("claimed_concepts") else None,
            node.child("claimed_ratio").float(0.0) if node.has("claimed_ratio") else None,
        )

    def to_config(self) -> dict[str, Any]:
        return _compact(
            method=self.method,
            erase_sets=self.erase_sets,
            forget_metric=self.forget_metric,
            forget_max=self.forget_max,
            quality=[q.to_config() for q in self.quality],
            baselines=self.baselines,
            claimed_concepts=self.claimed_concepts,
            claimed_ratio=self.claimed_ratio,
        )


@dataclass(frozen=True)
class EditTimeClaimSpec(_FromConfig):
    """The efficiency claim: the edit of `concepts` concepts by `method`, against the paper's
    seconds (and the GPU-hours figure that contradicts them) on the paper's hardware."""

    method: str
    concepts: int
    reported_seconds: float
    reported_gpu_hours: float | None = None
    reported_hardware: str = ""

    @classmethod
    def from_node(cls, node: Node) -> EditTimeClaimSpec:
        keys = ("method", "concepts", "reported_seconds")
        node.mapping((*keys, "reported_gpu_hours", "reported_hardware"), keys)
        return cls(
            node.child("method").name(),
            node.child("concepts").int(1),
            node.child("reported_seconds").float(0.0),
            node.child("reported_gpu_hours").float(0.0) if node.has("reported_gpu_hours") else None,
            node.child("reported_hardware").str() if node.has("reported_hardware") else "",
        )

    def to_config(self) -> dict[str, Any]:
        return _compact(
            method=self.method,
            concepts=self.concepts,
            reported_seconds=self.reported_seconds,
            reported_gpu_hours=self.reported_gpu_hours,
            reported_hardware=self.reported_hardware,
        )


@dataclass(frozen=True)
class ReproduceClaimSpec(_FromConfig):
    """Per-table reproduction: reported values are compared with the run's rows of `erase_set`;
    `headline` (metric, method[, concept]) names one reported value stated as its own claim."""

    erase_set: str = "all"
    headline: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_node(cls, node: Node) -> ReproduceClaimSpec:
        node.mapping(("erase_set", "headline"))
        kw: dict[str, Any] = {}
        if node.has("erase_set"):
            kw["erase_set"] = node.child("erase_set").str()
        if node.has("headline"):
            head = node.child("headline")
            head.mapping(("metric", "method", "concept"), ("metric", "method"))
            kw["headline"] = {
                "metric": head.child("metric").name(),
                "method": head.child("method").name(),
                "concept": head.child("concept").str() if head.has("concept") else None,
            }
        return cls(**kw)

    def to_config(self) -> dict[str, Any]:
        return _compact(erase_set=self.erase_set, headline=self.headline)


@dataclass(frozen=True)
class ClaimsSpec(_FromConfig):
    """The suite's claim parameters (`claims:`), read by `scapre-audit claims` from results.json."""

    capacity: CapacityClaimSpec | None = None
    edit_time: EditTimeClaimSpec | None = None
    reproduce: ReproduceClaimSpec | None = None

    @classmethod
    def from_node(cls, node: Node) -> ClaimsSpec:
        node.mapping(CLAIM_SECTIONS)
        return cls(
            CapacityClaimSpec.from_node(node.child("capacity")) if node.has("capacity") else None,
            EditTimeClaimSpec.from_node(node.child("edit_time")) if node.has("edit_time") else None,
            ReproduceClaimSpec.from_node(node.child("reproduce"))
            if node.has("reproduce")
            else None,
        )

    def to_config(self) -> dict[str, Any]:
        return {
            key: getattr(self, key).to_config()
            for key in CLAIM_SECTIONS
            if getattr(self, key) is not None
        }
