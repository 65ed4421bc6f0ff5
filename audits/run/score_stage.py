"""Stage 3, score: one file per (scorer, edit, probe), keyed by the evaluator's identity and the
exact image bytes it read. Only images whose PNG matches its record are ever scored."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from audits.errors import AuditError
from audits.run.identity import score_identity
from audits.run.plan import RunPlan
from audits.run.progress import progress_bar
from audits.suites import Suite
from runfmt.atomic import sha256_file, write_bytes, write_json
from runfmt.layout import RunDir

SCORE_CHUNK = 256  # a multiple of every scorer's encoding group (32)


@dataclass(frozen=True)
class ScoreJob:
    scorer: str
    edit_id: str
    probe: str


def scorer_probes(suite: Suite, metrics: list[str], scorers: list[str]) -> dict[str, list[str]]:
    """Scorer name -> the probes the selected metrics read through it (declared order)."""
    out: dict[str, list[str]] = {name: [] for name in scorers}
    for name in metrics:
        spec = suite.metrics[name]
        if spec.scorer in out:
            limit = suite.scorers[spec.scorer].probes
            for probe in spec.probes:
                if probe not in out[spec.scorer] and (not limit or probe in limit):
                    out[spec.scorer].append(probe)
    return {k: v for k, v in out.items() if v}


def load_image(run: RunDir, edit_id: str, image_id: str):
    """The verified PIL image; a missing or corrupted PNG is an error naming the unit."""
    from PIL import Image

    record = run.image_done(edit_id, image_id)
    if record is None:
        raise AuditError(
            f"image images/{edit_id}/{image_id} is missing or corrupted;"
            " rerun `scapre-audit run` to regenerate it"
        )
    data = run.image_png(edit_id, image_id).read_bytes()
    try:
        return Image.open(io.BytesIO(data)).convert("RGB"), record["sha256"]
    except (OSError, ValueError, Image.DecompressionBombError) as err:
        raise AuditError(
            f"image images/{edit_id}/{image_id}.png cannot be decoded ({type(err).__name__})"
        ) from None


def run_score(
    run: RunDir,
    plan: RunPlan,
    suite: Suite,
    scorers: dict[str, Any],
    probes_by_scorer: dict[str, list[str]],
    force: bool,
    say,
    ranks=None,
) -> int:
    """Score every (scorer, edit, probe) whose file is missing or stale; return how many."""
    jobs = [
        ScoreJob(name, edit.edit_id, probe)
        for name in probes_by_scorer
        for edit in plan.edits
        for probe in probes_by_scorer[name]
    ]
    jobs = [job for i, job in enumerate(jobs) if ranks is None or ranks.mine(i)]
    done = 0
    with progress_bar("score", len(jobs), "units") as advance:
        for job in jobs:
            scorer = scorers[job.scorer]
            if _score_one(run, plan, job, scorer, force):
                done += 1
            advance()
    if done:
        say(f"scored {done} unit(s)")
    return done


def _score_one(run: RunDir, plan: RunPlan, job: ScoreJob, scorer, force: bool) -> bool:
    from audits.scorers.base import ImageItem

    ref_edit = plan.reference_edit()
    entries = []
    for case, seed, image_id in plan.images(job.edit_id, job.probe):
        ref_id = plan.image_id(ref_edit, case.prompt, seed) if scorer.needs_reference else None
        entries.append((case, seed, image_id, ref_id))
    keys = []
    for _, _, image_id, ref_id in entries:
        key = [image_id, sha256_file(run.image_png(job.edit_id, image_id)) or "missing"]
        if ref_id:
            key += [ref_id, sha256_file(run.image_png(ref_edit, ref_id)) or "missing"]
        keys.append(key)
    identity = scorer.identity()
    unit_id = score_identity(identity, keys)
    if not force and run.score_done(job.scorer, job.edit_id, job.probe, unit_id):
        return False
    records: list[dict[str, Any]] = []
    features = []
    # images are read and scored in fixed chunks of the unit (a multiple of every scorer's
    # encoding group), so memory stays bounded and values do not depend on --batch-size
    for start in range(0, len(entries), SCORE_CHUNK):
        items = []
        for case, _seed, image_id, ref_id in entries[start : start + SCORE_CHUNK]:
            image, _ = load_image(run, job.edit_id, image_id)
            reference = load_image(run, ref_edit, ref_id)[0] if ref_id else None
            items.append(ImageItem(image_id, image, case.prompt, case.concept, reference))
        try:
            output = scorer.score(items)
        except (RuntimeError, ValueError, OSError) as err:
            unit = f"{job.scorer}/{job.edit_id}/{job.probe}"
            raise AuditError(f"score unit {unit} failed: {err}") from err
        records += output.records
        if output.features is not None:
            features.append(output.features)
    images = [
        {
            "image_id": image_id,
            "sha256": key[1],
            **({"reference_id": ref_id} if ref_id else {}),
            **rec,
        }
        for (_, _, image_id, ref_id), key, rec in zip(entries, keys, records, strict=True)
    ]
    doc: dict[str, Any] = {
        "schema": "scapre-audit/run-scores/1",
        "unit_id": unit_id,
        "scorer": job.scorer,
        "scorer_identity": identity,
        "concept_labels": scorer.concept_labels(),
        "edit_id": job.edit_id,
        "probe": job.probe,
        "images": images,
    }
    if features:
        import torch
        from safetensors.torch import save

        path = run.features_file(job.scorer, job.edit_id, job.probe)
        write_bytes(path, save({"features": torch.cat(features).contiguous()}))
        doc["features_sha256"] = sha256_file(path)
    write_json(run.score_file(job.scorer, job.edit_id, job.probe), doc)
    return True
