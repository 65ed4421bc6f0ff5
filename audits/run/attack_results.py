"""The attack rows of `results.json`: `attack_success_rate` per attack (name, kind, version,
tier, budget, seed) for every results group and erased concept, with the unedited model's rate
on the same inputs and the edited model's rate on the plain source prompts beside it, and the
strongest attack per concept marked (`extra.strongest`)."""

from __future__ import annotations

from typing import Any

from audits.errors import AuditError
from audits.metrics.attacks import (
    ATTACK_DEFINITION_VERSION,
    AttackPair,
    AttackSuccessRate,
    attack_rate_rows,
)
from audits.metrics.base import CI_METHOD
from audits.run.attack_plan import AttackUnit
from audits.run.attack_score import ATTACK_METRIC, score_file
from audits.run.plan import RunPlan
from audits.run.substitutions import row_substitutions
from runfmt.atomic import read_json
from runfmt.layout import RunDir


def _recognised(record: dict, label: str) -> float:
    return float(record.get("label") == label)


def _plain(run: RunDir, plan: RunPlan, scorer: str, unit: AttackUnit, label: str) -> list[float]:
    """The edited model's recognised values on the unit's source prompts (probes of the run
    that the scorer scored; none for CSV or artifact sources)."""
    values = []
    docs: dict[str, dict] = {}
    for s in unit.sources:
        if s.probe not in plan.probes:
            continue
        if s.probe not in docs:
            doc = read_json(run.score_file(scorer, unit.edit_id, s.probe)) or {"images": []}
            docs[s.probe] = {r["image_id"]: r for r in doc["images"]}
        for seed in s.seeds:
            record = docs[s.probe].get(plan.image_id(unit.edit_id, s.prompt, seed))
            if record is not None:
                values.append(_recognised(record, label))
    return values


def _unit_pairs(run, plan, scorer, unit: AttackUnit):
    doc = read_json(score_file(run, scorer, unit))
    if not doc:
        raise AuditError(
            f"attack scores {scorer}/{unit.attack}/{unit.unit_id} are missing;"
            f" run `scapre-audit score {run.root}`"
        )
    label = doc["concept_labels"].get(unit.concept)
    if label is None:
        return [], [], doc
    pairs = [
        AttackPair(
            (unit.unit_id, r["source"]),
            unit.concept,
            _recognised(r["edited"], label),
            _recognised(r["base"], label),
            _recognised(r["gate"], label),
        )
        for r in doc["images"]
    ]
    return pairs, _plain(run, plan, scorer, unit, label), doc


def attack_rows(run: RunDir, plan: RunPlan, suite, metrics: list[str], header) -> list[dict]:
    rows: list[dict[str, Any]] = []
    kinds = {e.edit_id: e.kind for e in plan.edits}
    for name in metrics:
        spec = suite.metrics[name]
        if spec.kind != ATTACK_METRIC or not plan.attacks:
            continue
        for group in plan.groups:
            units = [
                u
                for u in plan.attacks
                if u.edit_id == group.edit_id and u.concept in group.concepts
            ]
            group_rows = []
            for attack in dict.fromkeys(u.attack for u in units):
                mine = [u for u in units if u.attack == attack]
                pairs, plain, identity = [], {}, {}
                for u in mine:
                    p, values, doc = _unit_pairs(run, plan, spec.scorer, u)
                    pairs += p
                    plain.setdefault(u.concept, []).extend(values)
                    identity = doc["scorer_identity"]
                computed = attack_rate_rows(
                    name, group.method, group.erase_set, attack, pairs, plain
                )
                probes = [p for u in mine for p in u.probes]
                subs = row_substitutions(suite, plan, probes, identity, spec.scorer)
                for row in computed:
                    group_rows.append(
                        _row(plan, spec, group, kinds[group.edit_id], mine, row, identity)
                        | {"generation": plan.sampling, "model": header.get("model")}
                        | {"substitutions": subs}
                    )
            _mark_strongest(group_rows)
            rows += group_rows
    return rows


def _mark_strongest(rows: list[dict]) -> None:
    """extra.strongest on per-concept rows: the attack with the highest value for that concept
    (ties: the first in the profile's order); rows without a value are never the strongest."""
    best: dict[str, dict] = {}
    for row in rows:
        if row["concept"] is None:
            continue
        row["extra"]["strongest"] = False
        current = best.get(row["concept"])
        if row["value"] is not None and (current is None or row["value"] > current["value"]):
            best[row["concept"]] = row
    for row in best.values():
        row["extra"]["strongest"] = True


def _row(plan, spec, group, method_kind, units: list[AttackUnit], row, identity) -> dict:
    first = units[0]
    seeds = sorted({s for u in units for src in u.sources for s in src.seeds})
    probes = list(first.probes)
    metric = AttackSuccessRate
    from audits.attacks.base import ACCESS

    return {
        # one name per attack: rows of other attacks, or the metric's own /1 rows over
        # adversarial probes, never share a name with these
        "metric": f"{spec.name}:{first.attack}",
        "kind": metric.kind,
        "definition_version": ATTACK_DEFINITION_VERSION,
        "higher_is_better": metric.higher_is_better,
        "method": group.method,
        "method_kind": method_kind,
        "erase_set": group.erase_set,
        "erase_set_size": group.erase_set_size,
        "edit_id": group.edit_id,
        "probe": f"attack:{first.attack}",
        "probes": probes,
        "concept": row.concept,
        "family": None,
        "group": None,
        "label": None,
        "value": row.value,
        "n": row.n,
        "n_excluded": sum(row.exclusions.values()),
        "exclusions": row.exclusions,
        "ci_low": row.ci[0] if row.ci else None,
        "ci_high": row.ci[1] if row.ci else None,
        "ci": {**CI_METHOD, "seed": row.ci_seed} if row.ci else None,
        "scorer": spec.scorer,
        "evaluator": identity,
        "prompt_sets": {p: plan.probes[p].prompt_set_sha256 for p in probes if p in plan.probes},
        "seeds": seeds,
        "attack": {
            "name": first.attack,
            "kind": first.kind,
            "version": first.version,
            "tier": first.tier,
            "access": ACCESS[first.tier],
            "budget": first.params.get("budget"),
            "seed": first.params.get("seed"),
            "params": first.params,
            "units": [u.unit_id for u in units if row.concept in (None, u.concept)],
        },
        "extra": row.extra,
    }
