"""Stage 3b, score attacks: one file per (scorer, attack unit) holding, for every adversarial
input and seed, the scorer's record of the edited model's image and of the unedited model's.

    scores/<scorer>/attacks/<attack>/<edit_id>/<unit_id>.json

Keyed like every score file by the evaluator's identity and the exact image bytes it read, so a
changed scorer or image is re-scored and nothing else is.
"""

from __future__ import annotations

from typing import Any

from audits.errors import AuditError
from audits.run.attack_plan import AttackUnit
from audits.run.attack_stage import read_record, unit_images
from audits.run.identity import score_identity
from audits.run.plan import RunPlan
from runfmt.atomic import read_json, sha256_file, write_json
from runfmt.layout import RunDir

ATTACK_METRIC = "attack_success_rate"


def attack_scorers(suite, metrics: list[str]) -> list[str]:
    """The scorers of the selected attack_success_rate metrics (they judge the attack images)."""
    names = [suite.metrics[m].scorer for m in metrics if suite.metrics[m].kind == ATTACK_METRIC]
    return list(dict.fromkeys(n for n in names if n))


def score_file(run: RunDir, scorer: str, unit: AttackUnit):
    return run.attack_score_file(scorer, unit.attack, unit.edit_id, unit.unit_id)


def pairs(run: RunDir, plan: RunPlan, unit: AttackUnit):
    """(edited image, base image, base image of the gate input) per input and seed, in plan
    order. The gate input is the adversarial prompt itself for text attacks and the plain source
    prompt for embedding attacks (an embedding stands for the original model's response to its
    source prompt; the base model given the embedding itself is reported but does not gate)."""
    record = read_record(run, unit)
    ref = plan.reference_edit()
    mine = unit_images(plan, unit, record, unit.edit_id)
    base = unit_images(plan, unit, record, ref)
    gate = unit_images(plan, unit, record, ref, sources=True) if record.get("embeds_file") else base
    return list(zip(mine, base, gate, strict=True))


def run_attack_score(run, plan, suite, scorers: dict[str, Any], names, force, say, ranks=None):
    """Score every (scorer, unit) whose file is missing or stale; return how many."""
    from audits.run.progress import progress_bar

    jobs = [(s, u) for s in names for u in plan.attacks]
    jobs = [job for i, job in enumerate(jobs) if ranks is None or ranks.mine(i)]
    done = 0
    with progress_bar("score attacks", len(jobs), "units") as advance:
        for name, unit in jobs:
            done += _score_unit(run, plan, name, scorers[name], unit, force)
            advance()
    if done:
        say(f"scored {done} attack unit(s)")
    return done


def _score_unit(run, plan, name, scorer, unit: AttackUnit, force: bool) -> int:
    from audits.run.score_stage import load_image
    from audits.scorers.base import ImageItem

    ref = plan.reference_edit()
    found = pairs(run, plan, unit)
    keys = []
    for mine, base, gate in found:
        for edit_id, im in ((unit.edit_id, mine), (ref, base), (ref, gate)):
            keys.append(
                [im.image_id, sha256_file(run.image_png(edit_id, im.image_id)) or "missing"]
            )
    identity = scorer.identity()
    unit_id = score_identity(identity, keys)
    path = score_file(run, name, unit)
    old = read_json(path)
    if not force and old and old.get("unit_id") == unit_id:
        return 0
    items = []
    for mine, base, gate in found:
        for edit_id, im in ((unit.edit_id, mine), (ref, base), (ref, gate)):
            image, _ = load_image(run, edit_id, im.image_id)
            items.append(ImageItem(im.image_id, image, im.prompt, unit.concept, None))
    try:
        records = scorer.score(items).records
    except (RuntimeError, ValueError, OSError) as err:
        raise AuditError(f"score attack unit {name}/{unit.attack}/{unit.unit_id}: {err}") from err
    rows = [
        {
            "source": mine.source,
            "seed": mine.seed,
            "image_id": mine.image_id,
            "sha256": keys[3 * k][1],
            "edited": records[3 * k],
            "base_image_id": base.image_id,
            "base_sha256": keys[3 * k + 1][1],
            "base": records[3 * k + 1],
            "gate_image_id": gate.image_id,
            "gate_sha256": keys[3 * k + 2][1],
            "gate": records[3 * k + 2],
        }
        for k, (mine, base, gate) in enumerate(found)
    ]
    write_json(
        path,
        {
            "schema": "scapre-audit/run-attack-scores/1",
            "unit_id": unit_id,
            "scorer": name,
            "scorer_identity": identity,
            "concept_labels": scorer.concept_labels(),
            "attack_unit": unit.unit_id,
            "edit_id": unit.edit_id,
            "concept": unit.concept,
            "images": rows,
        },
    )
    return 1
