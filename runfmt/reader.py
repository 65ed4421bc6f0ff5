"""`read_run(path) -> Run`: a run folder as typed, validated rows.

The report, the claims check and any notebook read a run through this one reader. It reads only
saved files (results.json, plan.json, manifest.json, claims.json, edit and image records), never
the code that made them, so a run can be read anywhere, without torch. Every field a reader
uses is checked when the file is read: a missing, garbled or tampered file is one
`RunFormatError` line naming the file and the field (`results.json: metrics[3].value: expected a
finite number or null, got 'abc'`), never a traceback later.

    run = read_run("runs/tw")
    for row in run.metrics:            # MetricRow: row.metric, row.value, row.unit, row["extra"]
        ...
    run.claims                         # [ClaimRow] or None when claims.json is absent
    run.images                         # [ImageRow] of every saved image record
    run.to_pandas()                    # one DataFrame row per metric value (pandas needed)

Rows are read-only mappings over the saved object (so `row["extra"]` and `row.get("scorer")`
reach any field) with typed attributes for the fields every reader needs.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runfmt.errors import RunFormatError
from runfmt.layout import CLAIMS, MANIFEST, PLAN, RESULTS, RunDir, is_safe_id, is_safe_name
from runfmt.schemas import CLAIMS_SCHEMA, RESULTS_SCHEMA, RUN_SCHEMA
from runfmt.units import UNITS, unit_of

# -- checking fields ---------------------------------------------------------------------------
_KINDS = {
    "str": (str,),
    "int": (int,),
    "num": (int, float),
    "bool": (bool,),
    "dict": (dict,),
    "list": (list,),
}
_NAMES = {
    "str": "a string",
    "int": "an integer",
    "num": "a finite number",
    "bool": "true or false",
    "dict": "an object",
    "list": "a list",
}


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _ok(value: Any, kind: str) -> bool:
    if kind in ("int", "num") and isinstance(value, bool):
        return False
    if not isinstance(value, _KINDS[kind]):
        return False
    if kind == "num":
        try:
            return math.isfinite(float(value))
        except OverflowError:  # an integer like 10**400
            return False
    if kind == "int":
        return abs(value) < 2**63
    return True


class _Where:
    """A place in one file ('results.json: metrics[3]') that builds one-line errors."""

    def __init__(self, file: Path, path: str = "") -> None:
        self.file = file
        self.path = path

    def at(self, key: str | int) -> _Where:
        part = f"[{key}]" if isinstance(key, int) else (f".{key}" if self.path else str(key))
        return _Where(self.file, self.path + part)

    def error(self, message: str) -> RunFormatError:
        where = f"{self.path}: " if self.path else ""
        return RunFormatError(f"{self.file}: {where}{message}")

    def value(self, obj: dict, key: str, kind: str, *, required: bool = False, null: bool = True):
        """obj[key] checked to be of `kind` (or null when `null`); a missing key is None, or an
        error when `required`."""
        if key not in obj:
            if required:
                raise self.error(f"has no '{key}'")
            return None
        value = obj[key]
        if value is None and null:
            return None
        if not _ok(value, kind):
            expected = _NAMES[kind] + (" or null" if null else "")
            raise self.at(key).error(f"expected {expected}, got {_show(value)}")
        return value

    def items(self, value: Any, kind: str) -> list:
        """A list whose every item is of `kind`."""
        if not isinstance(value, list):
            raise self.error(f"expected a list, got {_show(value)}")
        for i, item in enumerate(value):
            if not _ok(item, kind):
                raise self.at(i).error(f"expected {_NAMES[kind]}, got {_show(item)}")
        return value


def _read(file: Path, what: str) -> Any:
    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RunFormatError(
            f"{file.parent} is not a complete run directory: {what} is missing"
        ) from None
    except RecursionError:
        raise RunFormatError(f"cannot read {file}: nested too deeply") from None
    except (OSError, UnicodeDecodeError, ValueError) as err:
        raise RunFormatError(f"cannot read {file}: {str(err).splitlines()[0]}") from None


def _object(data: Any, where: _Where) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise where.error(f"expected an object, got {_show(data)}")
    return data


# -- rows --------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class _Row(Mapping[str, Any]):
    """A read-only view of one saved object; typed attributes are declared by subclasses."""

    data: Mapping[str, Any] = field(repr=False)

    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.data)

    def __len__(self) -> int:
        return len(self.data)


# the fields of a metric value that readers use, and their types ('?': may be null)
_METRIC_FIELDS = {
    "kind": "str?",
    "definition_version": "str?",
    "higher_is_better": "bool?",
    "method_kind": "str?",
    "erase_set": "str?",
    "erase_set_size": "int?",
    "edit_id": "str?",
    "probe": "str?",
    "concept": "str?",
    "family": "str?",
    "group": "str?",
    "label": "str?",
    "n": "int?",
    "n_excluded": "int?",
    "ci_low": "num?",
    "ci_high": "num?",
    "ci": "dict?",
    "scorer": "str?",
    "attack": "dict?",
    "extra": "dict?",
    "exclusions": "dict?",
    "unit": "str?",
}


@dataclass(frozen=True, eq=False)
class MetricRow(_Row):
    """One value of results.json `metrics` (docs/results-schema.md), with its unit."""

    metric: str = ""
    method: str = ""
    value: float | None = None
    kind: str = ""
    unit: str = "score"  # 'fraction' (0..1), 'percent' or 'score'
    probe: str = ""
    concept: str | None = None
    erase_set: str | None = None
    erase_set_size: int | None = None
    n: int | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    higher_is_better: bool | None = None

    @property
    def is_aggregate(self) -> bool:
        """Not a breakdown row (no concept, attack family, concept group or label)."""
        return self.concept is None and all(
            self.data.get(k) is None for k in ("family", "group", "label")
        )


def _metric_row(row: Any, where: _Where) -> MetricRow:
    row = _object(row, where)
    metric = where.value(row, "metric", "str", required=True, null=False)
    method = where.value(row, "method", "str", required=True, null=False)
    value = where.value(row, "value", "num", required=True)
    typed = {k: where.value(row, k, spec.rstrip("?")) for k, spec in _METRIC_FIELDS.items()}
    if typed["ci_low"] is not None and typed["ci_high"] is None:
        raise where.at("ci_high").error("expected a number when ci_low is one")
    if typed["attack"] is not None:
        where.at("attack").value(typed["attack"], "name", "str", required=True, null=False)
        where.at("attack").value(typed["attack"], "tier", "int")
    for key in ("extra", "exclusions"):
        for sub, item in (typed[key] or {}).items():
            if key == "exclusions" and not _ok(item, "int"):
                raise where.at(key).at(sub).error(f"expected an integer, got {_show(item)}")
            if isinstance(item, float) and not math.isfinite(item):
                raise where.at(key).at(sub).error(f"expected a finite number, got {item}")
    unit = typed["unit"] or unit_of(typed["kind"])
    if unit not in UNITS:
        raise where.at("unit").error(f"expected one of {', '.join(UNITS)}, got {_show(unit)}")
    return MetricRow(
        data=row,
        metric=metric,
        method=method,
        value=value,
        kind=typed["kind"] or "",
        unit=unit,
        probe=typed["probe"] or "",
        concept=typed["concept"],
        erase_set=typed["erase_set"],
        erase_set_size=typed["erase_set_size"],
        n=typed["n"],
        ci_low=typed["ci_low"],
        ci_high=typed["ci_high"],
        higher_is_better=typed["higher_is_better"],
    )


@dataclass(frozen=True, eq=False)
class ReportedRow(_Row):
    """A value printed in a paper (results.json `reported`), never mixed into `metrics`."""

    metric: str = ""
    method: str = ""
    value: float = 0.0
    unit: str = "score"
    source: str = ""
    concept: str | None = None


def _reported_row(row: Any, where: _Where) -> ReportedRow:
    row = _object(row, where)
    unit = where.value(row, "unit", "str", required=True, null=False)
    if unit not in UNITS:
        raise where.at("unit").error(f"expected one of {', '.join(UNITS)}, got {_show(unit)}")
    return ReportedRow(
        data=row,
        metric=where.value(row, "metric", "str", required=True, null=False),
        method=where.value(row, "method", "str", required=True, null=False),
        value=where.value(row, "value", "num", required=True, null=False),
        unit=unit,
        source=where.value(row, "source", "str", required=True, null=False),
        concept=where.value(row, "concept", "str"),
    )


@dataclass(frozen=True, eq=False)
class ClaimRow(_Row):
    """One checked claim of claims.json (docs/claims.md)."""

    id: str = ""
    claim: str = ""
    source: str = ""
    definition: str = ""
    measurement: str = ""
    verdict: str = "not checkable"
    details: Mapping[str, Any] = field(default_factory=dict)


def _claim_row(row: Any, where: _Where) -> ClaimRow:
    row = _object(row, where)
    text = {
        k: where.value(row, k, "str", required=True, null=False) for k in ("id", "claim", "verdict")
    }
    more = {k: where.value(row, k, "str") or "" for k in ("source", "definition", "measurement")}
    return ClaimRow(data=row, details=where.value(row, "details", "dict") or {}, **text, **more)


@dataclass(frozen=True, eq=False)
class PlanEdit(_Row):
    edit_id: str = ""
    method: str = ""
    concepts: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class PlanGroup(_Row):
    """A results group: one method on one erase set, read from one edit's images."""

    edit_id: str = ""
    method: str = ""
    erase_set: str = ""
    erase_set_size: int = 0
    concepts: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class PlanCase(_Row):
    prompt: str = ""
    concept: str | None = None
    seeds: tuple[int, ...] = ()


@dataclass(frozen=True, eq=False)
class PlanProbe(_Row):
    name: str = ""
    purpose: str = ""
    cases: tuple[PlanCase, ...] = ()


@dataclass(frozen=True, eq=False)
class Plan(_Row):
    """plan.json: every edit, results group and probe case of the run."""

    edits: tuple[PlanEdit, ...] = ()
    groups: tuple[PlanGroup, ...] = ()
    probes: Mapping[str, PlanProbe] = field(default_factory=dict)
    sampling: Mapping[str, Any] = field(default_factory=dict)


def _plan(data: Any, where: _Where, complete: bool = False) -> Plan:
    """plan.json checked; `complete` also requires every field the engine rebuilds its plan
    from (`status`, `score`), where the report needs fewer."""
    data = _object(data, where)
    for key in ("edits", "groups", "probes"):
        if key not in data:
            raise where.error(f"has no '{key}' (expected keys edits, groups and probes)")
    edits = []
    for i, edit in enumerate(where.items(data["edits"], "dict")):
        at = where.at("edits").at(i)
        concepts = at.items(edit.get("concepts") or [], "str")
        if complete:
            for key in ("kind", "version"):
                at.value(edit, key, "str", required=True, null=False)
            at.value(edit, "config", "dict", required=True, null=False)
            at.at("concepts").items(at.value(edit, "concepts", "list", required=True), "str")
        edits.append(
            PlanEdit(
                data=edit,
                edit_id=at.value(edit, "edit_id", "str", required=True, null=False),
                method=at.value(edit, "method", "str", required=complete) or "",
                concepts=tuple(concepts),
            )
        )
    groups = []
    for i, group in enumerate(where.at("groups").items(data["groups"], "dict")):
        at = where.at("groups").at(i)
        groups.append(
            PlanGroup(
                data=group,
                edit_id=at.value(group, "edit_id", "str", required=True, null=False),
                method=at.value(group, "method", "str", required=True, null=False),
                erase_set=at.value(group, "erase_set", "str", required=True, null=False),
                erase_set_size=at.value(group, "erase_set_size", "int", required=complete) or 0,
                concepts=tuple(at.at("concepts").items(group.get("concepts") or [], "str")),
            )
        )
    probes: dict[str, PlanProbe] = {}
    for name, probe in _object(data["probes"], where.at("probes")).items():
        at = where.at("probes").at(name)
        probe = _object(probe, at)
        if complete:
            for key in ("name", "purpose", "prompt_set_sha256", "source"):
                at.value(probe, key, "str", required=True, null=False)
        cases = []
        for j, case in enumerate(at.at("cases").items(probe.get("cases") or [], "dict")):
            cat = at.at("cases").at(j)
            seeds = cat.at("seeds").items(case.get("seeds") or [], "int")
            if complete:
                cat.value(case, "probe", "str", required=True, null=False)
                cat.value(case, "index", "int", required=True, null=False)
                cat.at("seeds").items(cat.value(case, "seeds", "list", required=True), "int")
            cases.append(
                PlanCase(
                    data=case,
                    prompt=cat.value(case, "prompt", "str", required=True, null=False),
                    concept=cat.value(case, "concept", "str"),
                    seeds=tuple(seeds),
                )
            )
        probes[name] = PlanProbe(
            data=probe,
            name=name,
            purpose=at.value(probe, "purpose", "str") or name,
            cases=tuple(cases),
        )
    sampling = where.value(data, "sampling", "dict", required=complete) or {}
    for i, unit in enumerate(where.value(data, "attacks", "list") or []):
        _object(unit, where.at("attacks").at(i))
    return Plan(
        data=data, edits=tuple(edits), groups=tuple(groups), probes=probes, sampling=sampling
    )


def read_plan(file: Path, *, complete: bool = False) -> Plan:
    """plan.json checked (`complete`: every field the engine's plan is rebuilt from)."""
    return _plan(_read(file, PLAN), _Where(file), complete)


@dataclass(frozen=True, eq=False)
class Manifest(_Row):
    """manifest.json: the identity a resumed run must match, and provenance."""

    identity: Mapping[str, Any] = field(default_factory=dict)
    provenance: Mapping[str, Any] = field(default_factory=dict)


def _manifest(data: Any, where: _Where) -> Manifest:
    data = _object(data, where)
    identity = where.value(data, "identity", "dict", required=True, null=False)
    schema = identity.get("schema")
    if schema != RUN_SCHEMA:
        raise where.at("identity").at("schema").error(f"expected {RUN_SCHEMA}, got {_show(schema)}")
    at = where.at("identity")
    for key in ("suite_name", "suite_hash", "profile"):
        at.value(identity, key, "str", required=True, null=False)
    at.at("methods").items(at.value(identity, "methods", "list", required=True, null=False), "str")
    at.value(identity, "model", "dict", required=True, null=False)
    at.value(identity, "limit", "int")
    at.value(identity, "seeds_per_prompt", "int")
    at.value(identity, "attack_budget", "int")
    at.value(identity, "micro_batch", "int")
    provenance = where.value(data, "provenance", "dict") or {}
    for key in ("git", "hardware", "packages"):
        where.at("provenance").value(provenance, key, "dict")
    where.at("provenance").value(provenance, "created", "str")
    return Manifest(data=data, identity=identity, provenance=provenance)


@dataclass(frozen=True, eq=False)
class EditRecord(_Row):
    """edits/<edit_id>/edit.json: the eraser, its config, concepts, tensors and timings."""

    edit_id: str = ""
    method: str = ""
    timings_s: Mapping[str, Any] = field(default_factory=dict)
    n_matrices: int | None = None


def _edit_record(data: Any, where: _Where) -> EditRecord:
    data = _object(data, where)
    timings = where.value(data, "timings_s", "dict") or {}
    for key, value in timings.items():
        if value is not None and not _ok(value, "num"):
            raise where.at("timings_s").at(key).error(f"expected a number, got {_show(value)}")
    return EditRecord(
        data=data,
        edit_id=where.value(data, "edit_id", "str") or "",
        method=where.value(data, "method", "str") or "",
        timings_s=timings,
        n_matrices=where.value(data, "n_matrices", "int"),
    )


@dataclass(frozen=True, eq=False)
class ImageRow(_Row):
    """images/<edit_id>/<image_id>.json: one saved image (an attack render adds `attack`)."""

    edit_id: str = ""
    image_id: str = ""
    prompt: str = ""
    seed: int = 0
    sha256: str = ""


def _image_row(data: Any, edit_id: str) -> ImageRow | None:
    """The record as a row, or None when it is not a well-formed image record."""
    if not isinstance(data, dict):
        return None
    image_id, prompt, seed = data.get("image_id"), data.get("prompt"), data.get("seed")
    if not (is_safe_id(image_id) and isinstance(prompt, str) and _ok(seed, "int")):
        return None
    sha = data.get("sha256")
    return ImageRow(
        data=data,
        edit_id=edit_id,
        image_id=image_id,
        prompt=prompt,
        seed=seed,
        sha256=sha if isinstance(sha, str) else "",
    )


# -- the run -----------------------------------------------------------------------------------
@dataclass
class Run:
    """One run folder, read and checked."""

    root: Path
    results: dict[str, Any]
    metrics: list[MetricRow]
    plan: Plan
    manifest: Manifest
    reported: list[ReportedRow] = field(default_factory=list)
    edits: dict[str, EditRecord] = field(default_factory=dict)
    claims: list[ClaimRow] | None = None
    _images: dict[str, dict[tuple[str, int], str]] = field(default_factory=dict, repr=False)
    _images_root: Path | None = field(default=None, repr=False)
    _scores: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_data(
        cls,
        root: Path | str,
        results: dict[str, Any],
        plan: dict[str, Any],
        manifest: dict[str, Any] | None = None,
    ) -> Run:
        """A run from already-parsed documents (checked as `read_run` checks the files; a
        results document without `schema` is taken as the current one)."""
        root = Path(root)
        layout = RunDir(root)
        results = {"schema": RESULTS_SCHEMA, **results}
        results, metrics, reported = check_results(results, _Where(layout.results))
        return cls(
            root=root,
            results=results,
            metrics=metrics,
            plan=_plan(plan, _Where(layout.plan)),
            manifest=_manifest(manifest, _Where(layout.manifest)) if manifest else Manifest({}),
            reported=reported,
        )

    @property
    def suite(self) -> dict[str, Any]:
        return self.results.get("suite") or {}

    @property
    def suite_hash(self) -> str:
        return str(self.suite.get("hash", ""))

    @property
    def reference(self) -> str:
        return str(self.results.get("reference_method") or "none")

    @property
    def not_computed(self) -> list[dict[str, Any]]:
        return [i for i in self.results.get("not_computed") or [] if isinstance(i, dict)]

    def image_records(self, edit_id: str) -> list[ImageRow]:
        """The well-formed records of one edit's images that name their own file, sorted by
        image id; a record pointing elsewhere (or any id that is not hex) is skipped."""
        if not is_safe_id(edit_id):
            return []
        folder = RunDir(self.root).root / "images" / edit_id
        if not folder.is_dir():
            return []
        rows = []
        for record_path in sorted(folder.glob("*.json")):
            try:
                data = json.loads(record_path.read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                continue
            row = _image_row(data, edit_id)
            if row is not None and row.image_id == record_path.stem:
                rows.append(row)
        return rows

    @property
    def images(self) -> list[ImageRow]:
        """Every saved image record of the plan's edits."""
        return [row for edit in self.plan.edits for row in self.image_records(edit.edit_id)]

    def image_id(self, edit_id: str, prompt: str, seed: int) -> str | None:
        """The id of the image an edit made for (prompt, seed), or None when it is not saved."""
        if edit_id not in self._images:
            index: dict[tuple[str, int], str] = {}
            for row in self.image_records(edit_id):
                index.setdefault((row.prompt, row.seed), row.image_id)
            self._images[edit_id] = index
        return self._images[edit_id].get((prompt, int(seed)))

    def verdicts(self, scorer: str, edit_id: str, probe: str) -> dict[str, Any]:
        """One evaluator's saved per-image records for one edit and probe:
        `{"labels": concept -> label, "images": image id -> record}` (empty when not saved)."""
        key = (scorer, edit_id, probe)
        if key not in self._scores:
            self._scores[key] = _read_scores(RunDir(self.root), scorer, edit_id, probe)
        return self._scores[key]

    def image_path(self, edit_id: str, image_id: str) -> Path | None:
        """The PNG's path, only if both ids are plain hex and the file stays inside the run's own
        `images/` folder (a symlinked `images/` or image pointing elsewhere is refused)."""
        if not (is_safe_id(edit_id) and is_safe_id(image_id)):
            return None
        if self._images_root is None:
            self._images_root = self.root.resolve() / "images"
        path = (self.root / "images" / edit_id / f"{image_id}.png").resolve()
        if not path.is_relative_to(self._images_root) or not path.is_file():
            return None
        return path

    def metric_records(self) -> list[dict[str, Any]]:
        """One flat dict per metric value (its saved fields plus `unit`), for a DataFrame."""
        return [{**row.data, "unit": row.unit} for row in self.metrics]

    def to_pandas(self):
        """The metric values as a pandas DataFrame (pandas is not a dependency of the tool)."""
        try:
            import pandas as pd
        except ImportError:
            raise RunFormatError(
                "to_pandas needs pandas (pip install pandas); metric_records() gives plain dicts"
            ) from None
        return pd.DataFrame.from_records(self.metric_records())


def _read_scores(layout: RunDir, scorer: str, edit_id: str, probe: str) -> dict[str, Any]:
    """A score file's records by image id and its concept labels; empty when the file is
    missing or malformed, or a name is not one plain path component."""
    empty: dict[str, Any] = {"labels": {}, "images": {}}
    if not (is_safe_name(scorer) and is_safe_name(probe) and is_safe_id(edit_id)):
        return empty
    try:
        doc = json.loads(layout.score_file(scorer, edit_id, probe).read_text(encoding="utf-8"))
        records = {str(r["image_id"]): r for r in doc.get("images", []) if isinstance(r, dict)}
        labels = doc.get("concept_labels") or {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):
        return empty
    return {"labels": labels if isinstance(labels, dict) else {}, "images": records}


def read_results(file: Path) -> tuple[dict[str, Any], list[MetricRow], list[ReportedRow]]:
    """results.json checked: (the document, its metric rows, its reported rows)."""
    return check_results(_read(file, RESULTS), _Where(file))


def check_results(
    results: Any, where: _Where
) -> tuple[dict[str, Any], list[MetricRow], list[ReportedRow]]:
    results = _object(results, where)
    if results.get("schema") != RESULTS_SCHEMA:
        raise where.at("schema").error(
            f"expected {RESULTS_SCHEMA}, got {_show(results.get('schema'))}"
        )
    for key in ("suite", "model", "generation", "methods", "evaluators", "prompt_sets", "git"):
        where.value(results, key, "dict")
    for key in ("name", "version", "hash", "profile", "profile_kind", "cites"):
        where.at("suite").value(results.get("suite") or {}, key, "str")
    where.value(results, "reference_method", "str")
    where.value(results, "identity_recipe", "str")
    if "metrics" not in results:
        raise where.error("has no 'metrics'")
    if not isinstance(results["metrics"], list):
        raise where.at("metrics").error(f"expected a list, got {_show(results['metrics'])}")
    metrics = [_metric_row(m, where.at("metrics").at(i)) for i, m in enumerate(results["metrics"])]
    reported = where.value(results, "reported", "list") or []
    rows = [_reported_row(r, where.at("reported").at(i)) for i, r in enumerate(reported)]
    for i, item in enumerate(where.value(results, "not_computed", "list") or []):
        at = where.at("not_computed").at(i)
        _object(item, at)
        for key in ("metric", "attack", "reason"):
            at.value(item, key, "str")
    return results, metrics, rows


def read_claims(file: Path) -> list[ClaimRow]:
    """claims.json checked: its claims as rows."""
    where = _Where(file)
    doc = _object(_read(file, CLAIMS), where)
    if doc.get("schema") != CLAIMS_SCHEMA:
        raise where.at("schema").error(f"expected {CLAIMS_SCHEMA}, got {_show(doc.get('schema'))}")
    claims = where.value(doc, "claims", "list", required=True, null=False)
    return [_claim_row(c, where.at("claims").at(i)) for i, c in enumerate(claims)]


def read_manifest(file: Path) -> Manifest:
    return _manifest(_read(file, MANIFEST), _Where(file))


def read_run(path: Path | str, *, manifest_required: bool = False) -> Run:
    """Read and check one run folder; any problem is a RunFormatError with one line.

    results.json and plan.json must exist; manifest.json and claims.json are checked when
    present (`manifest_required` makes a missing manifest an error too); edit records are read
    for the plan's edits that have one."""
    root = Path(path)
    if not root.is_dir():
        raise RunFormatError(f"{root} is not a run directory (no such folder)")
    layout = RunDir(root)
    results, metrics, reported = read_results(layout.results)
    plan = read_plan(layout.plan)
    if layout.manifest.exists() or manifest_required:
        manifest = read_manifest(layout.manifest)
    else:
        manifest = Manifest(data={})
    run = Run(
        root=root,
        results=results,
        metrics=metrics,
        plan=plan,
        manifest=manifest,
        reported=reported,
    )
    for edit in plan.edits:
        record_path = layout.edit_record(edit.edit_id)
        if is_safe_id(edit.edit_id) and record_path.is_file():
            run.edits[edit.edit_id] = _edit_record(
                _read(record_path, f"edits/{edit.edit_id}/edit.json"), _Where(record_path)
            )
    if layout.claims.exists():
        run.claims = read_claims(layout.claims)
    return run
