"""Whole-suite checks: references between sections, registry names, concept lists, erase sets,
label spaces and prompt lengths. Each failure is one SuiteError naming file, line or row, field."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from audits.models.clip_tokenizer import MODEL_MAX_LENGTH
from audits.registry import REGISTRIES, Registry
from audits.suites.blocks import check_blocks
from audits.suites.cases import local_cases, template_problem
from audits.suites.errors import SuiteError
from audits.suites.specs.profiles import SELECTIONS
from audits.suites.suite import IMPLICIT_PROFILE, Suite
from audits.suites.yaml_io import Locations, PathKey

IMAGENET_CLASSES = 1000


class _Checker:
    def __init__(self, suite: Suite) -> None:
        self.suite = suite
        self.locs = suite.locations or Locations(suite.yaml_path)

    def fail(self, path: PathKey, message: str) -> SuiteError:
        return self.locs.error(path, message)

    def registered(self, registry: Registry, name: str, path: PathKey) -> None:
        if name not in registry:
            raise self.fail(path, registry.unknown_message(name))

    def refs(self, names: tuple[str, ...], section: str, path: PathKey) -> None:
        known = getattr(self.suite, section)
        for i, name in enumerate(names):
            if name not in known:
                where = (*path, i) if (*path, i) in self.locs.lines else path
                available = ", ".join(known) or "none"
                raise self.fail(where, f"no {section[:-1]} named '{name}' (available: {available})")


def validate_suite(suite: Suite, *, tokens: bool = True) -> None:
    """Raise the first SuiteError found in `suite`; `tokens=False` skips the CLIP length check."""
    c = _Checker(suite)
    _registry_names(c)
    check_blocks(suite, c.locs)  # every config:/params: block parsed into its typed config
    if suite.concepts is not None:
        _concepts(c)
    _erase_sets(c)
    _probes(c)
    _scorers(c)
    _metrics(c)
    _methods_and_attacks(c)
    _profiles(c)
    _claims(c)
    if not suite.abstract:
        card = suite.root / "CARD.md"
        if not card.is_file():
            raise SuiteError(card, "missing suite card (provenance, licence, intended claims)")
    if tokens and suite.generation is not None and suite.concepts is not None:
        _prompt_lengths(c)


def _registry_names(c: _Checker) -> None:
    s = c.suite
    if s.model is not None:
        c.registered(REGISTRIES["model_families"], s.model.family, ("model", "family"))
    for name, profile in s.profiles.items():
        if profile.model is not None:
            path = ("profiles", name, "model", "family")
            c.registered(REGISTRIES["model_families"], profile.model.family, path)
    for section, registry in (
        ("probes", "probes"),
        ("scorers", "scorers"),
        ("metrics", "metrics"),
        ("methods", "erasers"),
        ("attacks", "attacks"),
    ):
        for name, spec in getattr(s, section).items():
            c.registered(REGISTRIES[registry], spec.kind, (section, name, "kind"))


def _concepts(c: _Checker) -> None:
    concepts = c.suite.concepts
    assert concepts is not None
    table = concepts.table
    if not concepts.concepts:
        raise SuiteError(table.path, "the concept list is empty", row=2, field="concept")
    seen: dict[str, tuple[int, str]] = {}
    for i, concept in enumerate(concepts.concepts):
        key = " ".join(concept.name.lower().split())
        if key in seen:
            first_row, first_role = seen[key]
            if first_role != concept.role:
                raise table.error(
                    i,
                    "role",
                    f"'{concept.name}' is both a {first_role} (row {first_row}) and a"
                    f" {concept.role}: a concept cannot be erased and retained",
                )
            raise table.error(i, "concept", f"'{concept.name}' repeats row {first_row}")
        seen[key] = (concept.row, concept.role)
    if not c.suite.abstract and not concepts.with_role("target"):
        raise SuiteError(table.path, "no concept has role 'target'", row=1, field="role")


def _erase_sets(c: _Checker) -> None:
    s = c.suite
    for name, spec in s.erase_sets.items():
        path = ("erase_sets", name)
        if s.concepts is None:
            raise c.fail(path, "erase sets need a concepts table")
        pool = s.concepts.names(spec.pool)
        if not pool:
            raise c.fail((*path, "pool"), f"no concept has role '{spec.pool}'")
        for i, concept in enumerate(spec.concepts):
            if concept not in pool:
                raise c.fail(
                    (*path, "concepts", i), f"'{concept}' is not a {spec.pool} concept of the suite"
                )
            if concept in spec.concepts[:i]:
                raise c.fail((*path, "concepts", i), f"'{concept}' is listed twice")
        if spec.sizes and spec.sizes[-1] > len(pool):
            raise c.fail(
                (*path, "sizes"),
                f"size {spec.sizes[-1]} exceeds the {len(pool)} {spec.pool} concepts",
            )


def _probes(c: _Checker) -> None:
    s = c.suite
    names = set(s.concepts.names()) if s.concepts else set()
    for name, probe in s.probes.items():
        path = ("probes", name)
        if probe.kind == "concept_prompts":
            if s.concepts is None:
                raise c.fail(path, "concept_prompts needs a concepts table")
            if not s.concepts.with_role(probe.concepts):
                raise c.fail((*path, "concepts"), f"no concept has role '{probe.concepts}'")
            for i, template in enumerate(probe.templates):
                problem = template_problem(template)
                if problem:
                    raise c.fail((*path, "templates", i), problem)
        for table in (probe.table, probe.fallback):
            if table is None:
                continue
            if not table.rows:
                raise SuiteError(table.path, "the table has no prompts", row=2, field="prompt")
            for i, rec in enumerate(table.records()):
                if not rec["prompt"]:
                    raise table.error(i, "prompt", "empty prompt")
                if rec.get("concept") and rec["concept"] not in names:
                    raise table.error(i, "concept", f"'{rec['concept']}' is not a suite concept")
                if probe.purpose == "adversarial" and not rec.get("concept"):
                    raise table.error(i, "concept", "adversarial prompts must name their concept")
                if probe.purpose == "adversarial" and not rec.get("family"):
                    raise table.error(i, "family", "adversarial prompts need a family label")
                if rec.get("seed"):
                    try:
                        seed = int(rec["seed"])
                    except ValueError:
                        raise table.error(
                            i, "seed", f"expected an integer seed, got '{rec['seed']}'"
                        ) from None
                    if seed < 0:
                        raise table.error(i, "seed", f"seeds must not be negative, got {seed}")


def _scorers(c: _Checker) -> None:
    s = c.suite
    for name, scorer in s.scorers.items():
        path = ("scorers", name)
        c.refs(scorer.probes, "probes", (*path, "probes"))
        if scorer.label_column and (
            s.concepts is None or scorer.label_column not in s.concepts.table.columns
        ):
            raise c.fail(
                (*path, "label_column"),
                f"the concepts table has no column '{scorer.label_column}'"
                " (declare it under concepts.label_columns)",
            )
        if scorer.label_space == "concepts" and (s.concepts is None or not s.concepts.concepts):
            raise c.fail((*path, "label_space"), "label_space: concepts needs a concepts table")
        if scorer.label_space == "imagenet-1k":
            _imagenet_labels(c, scorer.label_column)


def _imagenet_labels(c: _Checker, column: str) -> None:
    """Class indices are integers in 0..999; an `imagenet_class` column must name that class."""
    concepts = c.suite.concepts
    assert concepts is not None
    table = concepts.table
    categories = imagenet_categories()
    for i, rec in enumerate(table.records()):
        text = rec[column]
        if not text.isdigit() or not 0 <= int(text) < IMAGENET_CLASSES:
            raise table.error(i, column, f"expected an ImageNet class index 0..999, got '{text}'")
        name = rec.get("imagenet_class")
        if name and categories and categories[int(text)] != name:
            raise table.error(
                i,
                "imagenet_class",
                f"class {text} is '{categories[int(text)]}', not '{name}'",
            )


@lru_cache(maxsize=1)
def imagenet_categories() -> tuple[str, ...] | None:
    """torchvision's ImageNet-1k category names (offline), or None without torchvision."""
    try:
        from torchvision.models import ResNet50_Weights
    except ImportError:
        return None
    return tuple(ResNet50_Weights.IMAGENET1K_V2.meta["categories"])


def _metrics(c: _Checker) -> None:
    for name, metric in c.suite.metrics.items():
        path = ("metrics", name)
        if metric.scorer:
            c.refs((metric.scorer,), "scorers", (*path, "scorer"))
        c.refs(metric.probes, "probes", (*path, "probes"))


def _methods_and_attacks(c: _Checker) -> None:
    for name, method in c.suite.methods.items():
        c.refs(method.erase_sets, "erase_sets", ("methods", name, "erase_sets"))
    from audits.attacks.files import FILE_PARAMS, check_ref
    from audits.errors import AuditError

    for name, attack in c.suite.attacks.items():
        c.refs(attack.probes, "probes", ("attacks", name, "probes"))
        for key, what in FILE_PARAMS.items():
            value = (attack.params or {}).get(key)
            if isinstance(value, str) and value:
                try:
                    check_ref(value, c.suite.root, what)
                except AuditError as err:
                    raise c.fail(("attacks", name, "params", key), str(err)) from None


def _profiles(c: _Checker) -> None:
    s = c.suite
    for name, profile in s.profiles.items():
        path = ("profiles", name)
        for key in SELECTIONS:
            names = getattr(profile, key)
            if key == "erase_sets":
                names = tuple(n.partition("@")[0] for n in names)
            c.refs(names, key, (*path, key))
        for i, member in enumerate(profile.erase_sets):
            base, at, size = member.partition("@")
            if at and int(size) not in s.erase_sets[base].sizes:
                sizes = ", ".join(str(k) for k in s.erase_sets[base].sizes) or "none"
                where = (*path, "erase_sets", i)
                where = where if where in c.locs.lines else (*path, "erase_sets")
                raise c.fail(where, f"erase set '{base}' has no size {size} (sizes: {sizes})")
        for claim in profile.claims:
            if getattr(s.claims, claim, None) is None:
                raise c.fail((*path, "claims"), f"the suite declares no claims.{claim}")
        view = s.profile(name) if s.generation is not None else None
        if view is None:
            continue
        for metric_name in view.metrics:
            metric = s.metrics[metric_name]
            if metric.scorer and metric.scorer not in view.scorers:
                raise c.fail(
                    (*path, "metrics"),
                    f"metric '{metric_name}' reads scorer '{metric.scorer}', which this profile"
                    " does not select",
                )
            for probe in metric.probes:
                if probe not in view.probes:
                    raise c.fail(
                        (*path, "metrics"),
                        f"metric '{metric_name}' reads probe '{probe}', which this profile does"
                        " not select",
                    )
    if s.profiles and s.default_profile not in s.profiles:
        where = ("default_profile",) if s.default_profile != IMPLICIT_PROFILE else ("profiles",)
        raise c.fail(
            where,
            f"default_profile '{s.default_profile}' is not one of the profiles:"
            f" {', '.join(s.profiles)}",
        )
    if not s.profiles and s.default_profile != IMPLICIT_PROFILE:
        raise c.fail(("default_profile",), "default_profile names a profile, but none is defined")


def _claims(c: _Checker) -> None:
    """Claim parameters name metrics, methods and erase sets of this suite."""
    claims = c.suite.claims
    if claims is None:
        return
    cap = claims.capacity
    if cap is not None:
        path = ("claims", "capacity")
        c.refs((cap.method,), "methods", (*path, "method"))
        c.refs(cap.baselines, "methods", (*path, "baselines"))
        c.refs((cap.forget_metric,), "metrics", (*path, "forget_metric"))
        for i, bound in enumerate(cap.quality):
            c.refs((bound.metric,), "metrics", (*path, "quality", i, "metric"))
        c.refs((cap.erase_sets,), "erase_sets", (*path, "erase_sets"))
        if not c.suite.erase_sets[cap.erase_sets].sizes:
            raise c.fail((*path, "erase_sets"), f"erase set '{cap.erase_sets}' has no 'sizes'")
    if claims.edit_time is not None:
        c.refs((claims.edit_time.method,), "methods", ("claims", "edit_time", "method"))
    rep = claims.reproduce
    if rep is not None:
        path = ("claims", "reproduce")
        base, _, size = rep.erase_set.partition("@")  # a set, or one size of a sweep: sweep@50
        if c.suite.erase_sets or rep.erase_set != "all":
            c.refs((base,), "erase_sets", (*path, "erase_set"))
        if size and (not size.isdigit() or int(size) not in c.suite.erase_sets[base].sizes):
            raise c.fail((*path, "erase_set"), f"'{rep.erase_set}' is not a size of '{base}'")
        if rep.headline:
            c.refs((rep.headline["metric"],), "metrics", (*path, "headline", "metric"))
            c.refs((rep.headline["method"],), "methods", (*path, "headline", "method"))


def _prompt_lengths(c: _Checker) -> None:
    """Every prompt known offline must fit CLIP's 77 tokens (start and end tokens included)."""
    from audits.suites.tokens import token_counts

    s = c.suite
    assert s.generation is not None
    for name, probe in s.probes.items():
        cases = local_cases(s, probe, s.generation)
        counts = token_counts([case.prompt for case in cases])
        for case in cases:
            n = counts[case.prompt]
            if n <= MODEL_MAX_LENGTH:
                continue
            message = (
                f"prompt has {n} CLIP tokens, more than {MODEL_MAX_LENGTH}: '{case.prompt[:60]}...'"
            )
            if case.template is not None:
                raise c.fail(
                    ("probes", name, "templates", case.template),
                    f"{message} (with concept '{case.concept}')",
                )
            raise SuiteError(Path(case.origin), message, row=case.row, field="prompt")
