"""The resolved suite: every section parsed into specs, tables read, `extends:` already applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audits.suites.fields import Node
from audits.suites.specs.base import SCHEMA_VERSION
from audits.suites.specs.claims import ClaimsSpec
from audits.suites.specs.concepts import ConceptSet, EraseSetSpec
from audits.suites.specs.evaluation import MetricSpec, ScorerSpec
from audits.suites.specs.methods import AttackSpec, MethodSpec
from audits.suites.specs.model import GenerationSpec, ModelSpec
from audits.suites.specs.probes import ProbeSpec
from audits.suites.specs.profiles import SELECTIONS, ProfileSpec
from audits.suites.yaml_io import Locations

TOP_KEYS = (
    "schema",
    "name",
    "version",
    "description",
    "extends",
    "abstract",
    "model",
    "generation",
    "concepts",
    "erase_sets",
    "probes",
    "scorers",
    "metrics",
    "methods",
    "attacks",
    "profiles",
    "default_profile",
    "claims",
)
NAMED_SECTIONS = {
    "erase_sets": EraseSetSpec,
    "probes": ProbeSpec,
    "scorers": ScorerSpec,
    "metrics": MetricSpec,
    "methods": MethodSpec,
    "attacks": AttackSpec,
    "profiles": ProfileSpec,
}
IMPLICIT_PROFILE = "default"


@dataclass(frozen=True)
class Profile:
    """One profile of a suite made concrete: the selected specs and its generation settings."""

    name: str
    kind: str
    cites: str
    generation: GenerationSpec
    erase_sets: tuple[str, ...]
    probes: tuple[str, ...]
    scorers: tuple[str, ...]
    metrics: tuple[str, ...]
    methods: tuple[str, ...]
    attacks: tuple[str, ...]
    model: ModelSpec | None = None  # the profile's model, else the suite's


@dataclass(frozen=True)
class Suite:
    """A loaded, resolved suite. `suite_hash(suite)` identifies what it asks."""

    name: str
    version: str
    root: Path
    schema: int = SCHEMA_VERSION
    description: str = ""
    abstract: bool = False
    extends: str = ""
    model: ModelSpec | None = None
    generation: GenerationSpec | None = None
    concepts: ConceptSet | None = None
    erase_sets: dict[str, EraseSetSpec] = field(default_factory=dict)
    probes: dict[str, ProbeSpec] = field(default_factory=dict)
    scorers: dict[str, ScorerSpec] = field(default_factory=dict)
    metrics: dict[str, MetricSpec] = field(default_factory=dict)
    methods: dict[str, MethodSpec] = field(default_factory=dict)
    attacks: dict[str, AttackSpec] = field(default_factory=dict)
    profiles: dict[str, ProfileSpec] = field(default_factory=dict)
    default_profile: str = IMPLICIT_PROFILE
    claims: ClaimsSpec | None = None
    files: tuple[Path, ...] = ()
    locations: Locations | None = field(default=None, compare=False, repr=False)

    @property
    def yaml_path(self) -> Path:
        return self.root / "suite.yaml"

    def profile(self, name: str | None = None) -> Profile:
        """The profile `name` (default: the suite's default profile) with empty selections
        expanded to everything and its generation overrides applied."""
        from audits.suites.errors import SuiteError

        name = name or self.default_profile
        if name == IMPLICIT_PROFILE and not self.profiles:
            spec = ProfileSpec(IMPLICIT_PROFILE, "clean")
        elif name in self.profiles:
            spec = self.profiles[name]
        else:
            raise SuiteError(
                self.yaml_path,
                f"no profile '{name}' (profiles: {', '.join(self.profiles) or IMPLICIT_PROFILE})",
                field="profiles",
            )
        if self.generation is None:
            raise SuiteError(self.yaml_path, "the suite has no generation settings")
        generation = self.generation
        if spec.generation:
            generation = GenerationSpec.from_node(Node.root(spec.generation), base=generation)
        picked = {key: getattr(spec, key) or tuple(getattr(self, key)) for key in SELECTIONS}
        model = spec.model or self.model
        return Profile(spec.name, spec.kind, spec.cites, generation, **picked, model=model)

    def to_config(self) -> dict[str, Any]:
        """The resolved suite as plain data (tables as path + content hash)."""
        out: dict[str, Any] = {
            "schema": self.schema,
            "name": self.name,
            "version": self.version,
            "description": self.description,
            "abstract": self.abstract,
        }
        if self.model:
            out["model"] = self.model.to_config()
        if self.generation:
            out["generation"] = self.generation.to_config()
        if self.concepts:
            out["concepts"] = self.concepts.to_config()
        for key in NAMED_SECTIONS:
            section = getattr(self, key)
            out[key] = {name: spec.to_config() for name, spec in sorted(section.items())}
        out["default_profile"] = self.default_profile
        if self.claims is not None:  # only when declared, so other suites' hashes are unchanged
            out["claims"] = self.claims.to_config()
        return out


def parse_suite(root_node: Node, root: Path, extends: str, files: tuple[Path, ...]) -> Suite:
    """Build a Suite from a merged document (after `extends:`); checks shapes and types only."""
    root_node.mapping(TOP_KEYS, ("schema", "name", "version"))
    schema_node = root_node.child("schema")
    schema = schema_node.int()
    if schema != SCHEMA_VERSION:
        raise schema_node.error(
            f"this version of scapre-audit reads suite schema {SCHEMA_VERSION}, not {schema}"
        )
    kw: dict[str, Any] = {
        "schema": schema,
        "name": root_node.child("name").name(),
        "version": str(root_node.child("version").value),
        "root": root,
        "extends": extends,
        "files": files,
        "locations": root_node.locs,
    }
    if not str(kw["version"]).strip() or isinstance(root_node.value["version"], bool):
        raise root_node.child("version").error("expected a version such as 1.0.0")
    if root_node.has("description"):
        kw["description"] = root_node.child("description").str()
    if root_node.has("abstract"):
        kw["abstract"] = root_node.child("abstract").bool()
    if root_node.has("model"):
        kw["model"] = ModelSpec.from_node(root_node.child("model"))
    if root_node.has("generation"):
        kw["generation"] = GenerationSpec.from_node(root_node.child("generation"))
    if root_node.has("concepts"):
        kw["concepts"] = ConceptSet.from_node(root_node.child("concepts"))
    for key, spec_type in NAMED_SECTIONS.items():
        if root_node.has(key):
            kw[key] = {n: spec_type.from_node(n, node) for n, node in root_node.child(key).items()}
    if root_node.has("default_profile"):
        kw["default_profile"] = root_node.child("default_profile").name()
    if root_node.has("claims"):
        kw["claims"] = ClaimsSpec.from_node(root_node.child("claims"))
    if not kw.get("abstract", False):
        for key in ("model", "generation", "concepts", "probes", "metrics", "methods"):
            if not kw.get(key):
                raise root_node.error(f"missing required section '{key}'")
    # Profile generation overrides are checked against the suite's own settings here.
    base = kw.get("generation")
    for name, profile in kw.get("profiles", {}).items():
        if profile.generation and base is not None:
            node = root_node.child("profiles").child(name).child("generation")
            GenerationSpec.from_node(node, base=base)
    return Suite(**kw)
