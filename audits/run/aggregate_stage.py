"""Stage 4, aggregate: every selected metric for every results group, from saved scores only,
into `results.json` (deterministic: no times, no paths, so the same run gives the same bytes)."""

from __future__ import annotations

from typing import Any

from audits.claims.reported import reported_for_profile
from audits.errors import AuditError
from audits.metrics.base import CI_METHOD, MetricInput, Observation, ResultRow, TableMetric
from audits.run.attack_results import attack_rows
from audits.run.plan import Group, RunPlan
from audits.run.substitutions import all_substitutions, row_substitutions
from audits.suites import Suite
from runfmt.atomic import read_json, write_json
from runfmt.layout import RunDir
from runfmt.schemas import RESULTS_SCHEMA


def _scores(run: RunDir, scorer: str, edit_id: str, probe: str) -> dict[str, Any]:
    doc = read_json(run.score_file(scorer, edit_id, probe))
    if not doc:
        raise AuditError(
            f"scores {scorer}/{edit_id}/{probe} are missing; run `scapre-audit score {run.root}`"
        )
    return doc


def _features(run: RunDir, scorer: str, edit_id: str, probes: tuple[str, ...]):
    import torch
    from safetensors.torch import load_file

    parts = [load_file(str(run.features_file(scorer, edit_id, p)))["features"] for p in probes]
    return torch.cat(parts) if parts else None


def observations(run: RunDir, plan: RunPlan, scorer: str, edit_id: str, probe: str):
    """Score records paired with their cases (checked image by image against the plan)."""
    doc = _scores(run, scorer, edit_id, probe)
    planned = plan.images(edit_id, probe)
    if [r["image_id"] for r in doc["images"]] != [i for _, _, i in planned]:
        raise AuditError(f"scores {scorer}/{edit_id}/{probe} do not match the plan; re-score")
    obs = [
        Observation(probe, case.index, case.concept, case.family, seed, record)
        for (case, seed, _), record in zip(planned, doc["images"], strict=True)
    ]
    return obs, doc


def metric_input(
    run: RunDir, plan: RunPlan, suite: Suite, name: str, group: Group
) -> tuple[MetricInput, dict[str, Any], Any]:
    """The saved scores one metric reads for one results group, its evaluator identity and the
    metric object."""
    from audits.registry import METRICS

    assert suite.concepts is not None
    spec = suite.metrics[name]
    metric = METRICS.get(spec.kind)()
    obs: list[Observation] = []
    identity: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for probe in spec.probes:
        part, doc = observations(run, plan, spec.scorer, group.edit_id, probe)
        obs += part
        identity, labels = doc["scorer_identity"], doc.get("concept_labels", {})
    data = MetricInput(
        name=name,
        params=metric.check_params(name, spec.params),
        method=group.method,
        erase_set=group.erase_set,
        erased=frozenset(group.concepts),
        roles={c.name: c.role for c in suite.concepts.concepts},
        probes=spec.probes,
        observations=obs,
        concept_labels=labels,
        groups={c.name: c.group for c in suite.concepts.concepts},
    )
    if metric.needs == "features":
        data.features = _features(run, spec.scorer, group.edit_id, spec.probes)
        data.reference_features = _features(run, spec.scorer, plan.reference_edit(), spec.probes)
    return data, identity, metric


def metric_rows(
    run: RunDir, plan: RunPlan, suite: Suite, name: str, group: Group
) -> tuple[list[ResultRow], dict[str, Any], Any, tuple[str, ...]]:
    """(rows, evaluator identity, metric, probes read) of one metric for one group; a derived
    metric (one built from others named in its params) reads its parts' inputs."""
    from audits.registry import METRICS

    spec = suite.metrics[name]
    metric = METRICS.get(spec.kind)()
    parts_of = getattr(metric, "parts", ())
    if not parts_of:
        data, identity, metric = metric_input(run, plan, suite, name, group)
        return metric.compute(data), identity, metric, spec.probes
    parts, identities, probes = {}, {}, []
    for key in parts_of:
        part_name = spec.params[key]
        data, ident, part_metric = metric_input(run, plan, suite, part_name, group)
        parts[key] = (part_metric, data)
        identities[key] = {"metric": part_name, "evaluator": ident}
        probes += [p for p in data.probes if p not in probes]
    return metric.compute_derived(name, parts), identities, metric, tuple(probes)


def table_rows(run: RunDir, plan: RunPlan, suite: Suite, name: str):
    """(group, rows, identities, metric, probes) of a table metric (one whose value for a method
    depends on all methods of the erase set): the parts of every group of an erase set at once."""
    from audits.registry import METRICS

    spec = suite.metrics[name]
    metric = METRICS.get(spec.kind)()
    out = []
    for erase_set in dict.fromkeys(g.erase_set for g in plan.groups):
        groups = [g for g in plan.groups if g.erase_set == erase_set]
        table, identities, probes = {}, {}, []
        for group in groups:
            table[group.method] = {}
            for key in metric.parts:
                part_name = spec.params[key]
                data, ident, part_metric = metric_input(run, plan, suite, part_name, group)
                table[group.method][key] = (part_metric, data)
                identities[key] = {"metric": part_name, "evaluator": ident}
                probes += [p for p in data.probes if p not in probes]
        rows = metric.compute_table(name, table, spec.params)
        out += [(g, rows[g.method], identities, metric, tuple(probes)) for g in groups]
    return out


def all_rows(run: RunDir, plan: RunPlan, suite: Suite, name: str):
    """(group, rows, evaluator identity, metric, probes) of one metric for every results group,
    in plan order."""
    from audits.registry import METRICS

    if issubclass(METRICS.get(suite.metrics[name].kind), TableMetric):
        order = {id(g): i for i, g in enumerate(plan.groups)}
        return sorted(table_rows(run, plan, suite, name), key=lambda t: order[id(t[0])])
    return [(g, *metric_rows(run, plan, suite, name, g)) for g in plan.groups]


def aggregate(
    run: RunDir,
    plan: RunPlan,
    suite: Suite,
    metrics: list[str],
    header: dict[str, Any],
    not_computed: list[dict[str, str]],
) -> dict[str, Any]:
    """Compute and write results.json; return it."""
    methods = {e.method: e for e in plan.edits}
    rows: list[dict[str, Any]] = []
    evaluators: dict[str, Any] = {}
    for name in metrics:
        spec = suite.metrics[name]
        for group, computed, identity, metric, probes in all_rows(run, plan, suite, name):
            if spec.scorer:
                evaluators[spec.scorer] = identity
            subs = row_substitutions(suite, plan, probes, identity, spec.scorer or None)
            for row in computed:
                rows.append(
                    _row(plan, spec, metric, group, methods[group.method], row, identity, probes)
                    | {"generation": plan.sampling, "model": header.get("model")}
                    | {"substitutions": subs}
                )
    rows += attack_rows(run, plan, suite, metrics, header)
    profile = header["suite"]["profile"]
    reported, reported_sha256 = reported_for_profile(suite.root, profile)
    claims = suite.claims.to_config() if suite.claims is not None else None
    results = {
        "schema": RESULTS_SCHEMA,
        **header,
        "suite": {**header["suite"], "claims": claims},
        "reported": reported,
        "reported_sha256": reported_sha256,
        "evaluators": evaluators,
        "prompt_sets": prompt_set_records(plan),
        "generation": plan.sampling,
        "substitutions": all_substitutions(rows),
        "not_computed": not_computed,
        "definitions": definitions(suite, metrics, plan),
        "metrics": rows,
    }
    write_json(run.results, results)
    return results


def definitions(suite: Suite, metrics: list[str], plan: RunPlan) -> dict[str, Any]:
    """metric name -> what it is, from the metric class itself (definition, version, direction),
    its unit, evaluator and probes, so a reader of results.json (the report's glossary) never
    needs the code. Attack rows are defined under `attack_success_rate/2`."""
    from audits.metrics.attacks import ATTACK_DEFINITION, ATTACK_DEFINITION_VERSION
    from audits.registry import METRICS
    from runfmt.units import unit_of

    out: dict[str, Any] = {}
    for name in metrics:
        spec = suite.metrics[name]
        cls = METRICS.get(spec.kind)
        scorer = suite.scorers.get(spec.scorer) if spec.scorer else None
        out[name] = {
            "kind": cls.kind,
            "definition_version": cls.definition_version,
            "definition": " ".join(str(cls.definition).split()),
            "higher_is_better": cls.higher_is_better,
            "unit": unit_of(cls.kind),
            "description": " ".join(spec.description.split()),
            "scorer": spec.scorer or None,
            "scorer_kind": scorer.kind if scorer else None,
            "scorer_description": " ".join(scorer.description.split()) if scorer else "",
            "probes": list(spec.probes),
            "params": spec.params,
        }
    if plan.attacks:
        out["attack:*"] = {
            "kind": "attack_success_rate",
            "definition_version": ATTACK_DEFINITION_VERSION,
            "definition": ATTACK_DEFINITION,
            "higher_is_better": False,
            "unit": "fraction",
            "description": "one row per attack in the attacks table",
            "probes": sorted({p for u in plan.attacks for p in u.probes}),
        }
    return out


def _row(plan, spec, metric, group, edit, row: ResultRow, identity, probes) -> dict[str, Any]:
    seeds = sorted({s for p in probes for c in plan.probes[p].cases for s in c.seeds})
    excluded = sum(row.exclusions.values())
    return {
        "metric": spec.name,
        "kind": metric.kind,
        "definition_version": metric.definition_version,
        "higher_is_better": metric.higher_is_better,
        "method": group.method,
        "method_kind": edit.kind,
        "erase_set": group.erase_set,
        "erase_set_size": group.erase_set_size,
        "edit_id": group.edit_id,
        "probe": "+".join(probes),
        "probes": list(probes),
        "concept": row.concept,
        "family": row.family,
        "group": row.group,
        "label": row.label,
        "value": row.value,
        "n": row.n,
        "n_excluded": excluded,
        "exclusions": row.exclusions,
        "ci_low": row.ci[0] if row.ci else None,
        "ci_high": row.ci[1] if row.ci else None,
        "ci": {**CI_METHOD, "seed": row.ci_seed} if row.ci else None,
        "scorer": spec.scorer or None,
        "evaluator": identity,
        "prompt_sets": {p: plan.probes[p].prompt_set_sha256 for p in probes},
        "seeds": seeds,
        "extra": row.extra,
    }


def prompt_set_records(plan) -> dict[str, dict[str, Any]]:
    """results.json's `prompt_sets`: each probe's prompt set, its hash, size and source."""
    return {
        p.name: {
            "purpose": p.purpose,
            "sha256": p.prompt_set_sha256,
            "n_cases": len(p.cases),
            "n_cases_total": p.n_cases_total,
            "source": p.source,
            "source_reason": p.source_reason,
        }
        for p in plan.probes.values()
    }
