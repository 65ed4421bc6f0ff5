"""Planning: from a resolved suite, a profile and the run options to the exact list of units.

The plan is a pure function of its inputs (suite, profile, methods, limit, model fingerprint,
sampling dtype), so the same command always plans the same units in the same order.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from audits.case import Case
from audits.errors import AuditError
from audits.run.identity import canonical, edit_identity, image_identity, short
from audits.suites import Suite, expand_erase_sets
from audits.suites.specs.methods import MethodSpec

REFERENCE = "none"


@dataclass(frozen=True)
class EditUnit:
    """One erase: a method applied to one concept set (the reference `none` erases nothing)."""

    edit_id: str
    method: str
    kind: str
    version: str
    config: dict[str, Any]
    concepts: tuple[str, ...]


@dataclass(frozen=True)
class ProbePlan:
    """The cases of one probe as this run uses them, with the prompt set's hash and source."""

    name: str
    purpose: str
    cases: tuple[Case, ...]
    prompt_set_sha256: str
    source: str
    source_reason: str = ""
    n_cases_total: int = 0

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "cases": [c.to_plan() for c in self.cases]}


@dataclass(frozen=True)
class Group:
    """A row of the results tables: a method on an erase set, read from one edit."""

    method: str
    erase_set: str
    erase_set_size: int
    concepts: tuple[str, ...]
    edit_id: str


def group_sizes(n: int, micro_batch: int) -> list[int]:
    """How n images are cut into the groups the networks see together: full groups of
    `micro_batch`, then the rest in groups of descending powers of two (7 -> 4, 2, 1). Nothing is
    padded, so a short last group costs no extra work; the size of an image's group is part of
    its identity (see `RunPlan.image_id`)."""
    sizes = [micro_batch] * (n // micro_batch)
    rest = n % micro_batch
    while rest:
        size = 1 << (rest.bit_length() - 1)
        sizes.append(size)
        rest -= size
    return sizes


def cut(items: list, micro_batch: int) -> list[list]:
    """`items` in consecutive groups of `group_sizes(len(items), micro_batch)`."""
    out, start = [], 0
    for size in group_sizes(len(items), micro_batch):
        out.append(items[start : start + size])
        start += size
    return out


@dataclass
class RunPlan:
    edits: list[EditUnit]
    probes: dict[str, ProbePlan]
    groups: list[Group]
    sampling: dict[str, Any]
    attacks: list[Any] = field(default_factory=list)  # attack_plan.AttackUnit, plan order
    # probe -> the only concepts whose cases get images (targets some edit erases); probes not
    # named here keep every case
    image_concepts: dict[str, tuple[str, ...]] = field(default_factory=dict)
    _rows: dict[tuple[str, int], int] | None = field(default=None, init=False, repr=False)

    def generation_groups(self) -> list[list[tuple[str, int]]]:
        """Every (prompt, seed) an edit generates, deduplicated, in plan order, cut into the
        groups the networks see together (the same for every edit: all edits share the probes)."""
        images = list(
            dict.fromkeys(
                (case.prompt, int(seed))
                for name, p in self.probes.items()
                for case in p.cases
                if name not in self.image_concepts or case.concept in self.image_concepts[name]
                for seed in case.seeds
            )
        )
        return cut(images, int(self.sampling["micro_batch"]))

    def group_rows(self, prompt: str, seed: int) -> int | None:
        """The size of the group a generated (prompt, seed) is made in; None if not planned."""
        if self._rows is None:
            self._rows = {key: len(group) for group in self.generation_groups() for key in group}
        return self._rows.get((prompt, int(seed)))

    def image_id(self, edit_id: str, prompt: str, seed: int, rows: int | None = None) -> str:
        """An image's id: the image recipe with `micro_batch` set to the size of the group its
        networks saw (the generation plan's group for planned prompts, else `rows`)."""
        size = self.group_rows(prompt, seed) or rows
        if size is None:
            raise AuditError(f"image ({prompt!r}, seed {seed}) is not in the run's plan")
        return short(image_identity(edit_id, prompt, seed, {**self.sampling, "micro_batch": size}))

    def images(self, edit_id: str, probe: str) -> list[tuple[Case, int, str]]:
        """(case, seed, image id) of one edit and probe, in plan order."""
        keep = self.image_concepts.get(probe)
        return [
            (case, seed, self.image_id(edit_id, case.prompt, seed))
            for case in self.probes[probe].cases
            if keep is None or case.concept in keep
            for seed in case.seeds
        ]

    def reference_edit(self) -> str:
        return next(e.edit_id for e in self.edits if e.method == REFERENCE)

    def to_json(self) -> dict[str, Any]:
        return {
            "edits": [asdict(e) for e in self.edits],
            "probes": {n: p.to_json() for n, p in self.probes.items()},
            "groups": [asdict(g) for g in self.groups],
            "sampling": self.sampling,
            "attacks": [u.to_json() for u in self.attacks],
            "image_concepts": {p: list(c) for p, c in self.image_concepts.items()},
            # plan.json sorts keys; the generation groups follow the probes' plan order
            "probe_order": list(self.probes),
        }


def select_methods(suite: Suite, profile_methods: tuple[str, ...], asked: list[str] | None):
    """The suite's method specs to run: the profile's (or `--methods`), always with `none`."""
    names = list(asked) if asked else list(profile_methods)
    for name in names:
        if name not in suite.methods and name != REFERENCE:
            known = ", ".join(sorted(set(suite.methods) | {REFERENCE}))
            raise AuditError(f"unknown method '{name}' in suite {suite.name}; available: {known}")
    specs = {REFERENCE: suite.methods.get(REFERENCE, MethodSpec(REFERENCE, REFERENCE))}
    for name in names:
        specs.setdefault(name, suite.methods[name])
    return list(specs.values())


def plan_probe(
    suite: Suite, name: str, profile: str, limit: int | None, seeds: int | None = None
) -> ProbePlan:
    """Expand a probe with the suite's own case expansion, then apply `--limit` (the first N
    prompts) and `--seeds` (the first N seeds of each prompt)."""
    from audits.suites.cases import probe_cases

    spec = suite.probes[name]
    source, reason = "suite", ""
    if spec.kind == "hf_prompts":
        from audits.suites.remote import load_hf_prompts

        loaded = load_hf_prompts(suite, spec, suite.profile(profile).generation)
        raw, source, reason = loaded.cases, loaded.source, loaded.reason
    else:
        raw = probe_cases(suite, name, profile)
    kept = raw[:limit] if limit else raw
    cases = tuple(
        Case(name, i, c.prompt, first_seeds(c.seeds, seeds), c.concept, c.family)
        for i, c in enumerate(kept)
    )
    digest = hashlib.sha256(canonical([c.to_plan() for c in cases]).encode()).hexdigest()
    return ProbePlan(name, spec.purpose, cases, digest, source, reason, len(raw))


def first_seeds(seeds, cap: int | None) -> tuple[int, ...]:
    """The first `cap` seeds of a prompt (all of them when `cap` is None): `--seeds`."""
    return tuple(seeds)[:cap] if cap else tuple(seeds)


def eraser_identity(spec: MethodSpec) -> tuple[str, str, dict[str, Any]]:
    """(kind, version, full config) of a method, through the eraser registry."""
    from audits.registry import ERASERS

    cls = ERASERS.get(spec.kind)
    eraser = cls.from_config(spec.config)
    return spec.kind, str(cls.version), eraser.to_config()


def plan_run(
    suite: Suite,
    profile_name: str,
    methods: list[str] | None,
    limit: int | None,
    model: dict[str, Any],
    dtype: str,
    micro_batch: int = 8,
    attacks: list[str] | None = None,
    overrides: dict[str, int] | None = None,
    probes: dict[str, ProbePlan] | None = None,
    numerics: dict[str, Any] | None = None,
    seeds: int | None = None,
    attack_budget: int | None = None,
) -> RunPlan:
    """Every edit, probe and results group of the run, in a fixed order; `overrides` (--steps,
    --size) replace the profile's steps and image size; `probes` (the preflight's) replace the
    planned probes; `numerics` (device kind and, on CPU, the thread count) enters every image's
    identity with the sampler settings; `seeds` (--seeds) keeps the first N seeds per prompt;
    `attack_budget` (--attack-budget) caps every searching attack's budget."""
    assert suite.concepts is not None
    profile = suite.profile(profile_name)
    gen = profile.generation
    overrides = overrides or {}
    sampling = {
        "sampler": gen.sampler,
        "steps": overrides.get("steps", gen.steps),
        "guidance_scale": gen.guidance_scale,
        "height": overrides.get("size", gen.height),
        "width": overrides.get("size", gen.width),
        "negative_prompt": gen.negative_prompt,
        "dtype": dtype,
        "safety_checker": False,
        "micro_batch": micro_batch,
    }
    if numerics is not None:
        sampling["numerics"] = numerics
    erase_sets = expand_erase_sets(suite.erase_sets, suite.concepts, profile.erase_sets or None)
    if not erase_sets:
        targets = suite.concepts.names("target")
        from audits.suites import EraseSet

        erase_sets = [EraseSet("all", targets, "all")]
    # what determines the images is the weights, not where they were read from
    weights = {k: model.get(k) for k in ("weights_sha256", "pipeline_class")}
    edits: dict[str, EditUnit] = {}
    groups: list[Group] = []
    for spec in select_methods(suite, profile.methods, methods):
        kind, version, config = eraser_identity(spec)
        for es in erase_sets:
            if spec.erase_sets and es.spec not in spec.erase_sets and spec.kind != REFERENCE:
                continue
            concepts = () if spec.kind == REFERENCE else tuple(es.concepts)
            edit_id = short(edit_identity(weights, kind, version, config, list(concepts)))
            edits.setdefault(edit_id, EditUnit(edit_id, spec.name, kind, version, config, concepts))
            groups.append(Group(spec.name, es.name, len(es.concepts), tuple(es.concepts), edit_id))
    if probes is None:
        probes = {
            name: plan_probe(suite, name, profile_name, limit, seeds) for name in profile.probes
        }
    units = []
    if attacks:
        from audits.run.attack_plan import plan_attacks

        units = plan_attacks(
            suite, profile_name, attacks, list(edits.values()), probes, limit, seeds, attack_budget
        )
    kept = image_concepts(suite, profile.metrics, probes, groups)
    return RunPlan(list(edits.values()), probes, groups, sampling, units, kept)


def image_concepts(suite: Suite, metrics, probes, groups) -> dict[str, tuple[str, ...]]:
    """Target and adversarial probes whose every metric reads erased concepts only: their images
    are made only for the targets some edit of the run erases (the others are used nowhere)."""
    from audits.registry import METRICS

    erased = tuple(dict.fromkeys(c for g in groups for c in g.concepts))
    out = {}
    for name, probe in probes.items():
        if probe.purpose not in ("target", "adversarial"):
            continue
        readers = [suite.metrics[m] for m in metrics if name in suite.metrics[m].probes]
        erased_only = [getattr(METRICS.get(m.kind), "reads_erased_only", False) for m in readers]
        if readers and all(erased_only):
            out[name] = erased
    return out


def plan_from_json(data: dict[str, Any]) -> RunPlan:
    """Rebuild a saved plan (`plan.json`), so `score` and `status` never re-plan."""
    edits = [EditUnit(**{**e, "concepts": tuple(e["concepts"])}) for e in data["edits"]]
    probes = {}
    order = [n for n in data.get("probe_order") or [] if n in data["probes"]]
    for name in order + [n for n in data["probes"] if n not in order]:
        p = data["probes"][name]
        cases = tuple(Case.from_json(c) for c in p["cases"])
        probes[name] = ProbePlan(**{**p, "cases": cases})
    groups = [Group(**{**g, "concepts": tuple(g["concepts"])}) for g in data["groups"]]
    from audits.run.attack_plan import AttackUnit

    attacks = [AttackUnit.from_json(u) for u in data.get("attacks", [])]
    kept = {p: tuple(c) for p, c in (data.get("image_concepts") or {}).items()}
    return RunPlan(edits, probes, groups, data["sampling"], attacks, kept)
