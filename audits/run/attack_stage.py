"""Stage 2b, attack: compute every attack unit's artifact, then render its adversarial inputs
with the attacked edit and with the unedited model (the base rate), same seeds.

Artifacts are written atomically, embeddings before the record (`audits.attacks.artifacts`).
Rendered images live in `images/<edit_id>/` like every other image and follow the same rules:
each (unit, rendering edit) is cut into fixed groups that the networks see together
(`plan.cut`, `batch_invariance`), so an image's bytes do not depend on `--batch-size`; group
number i over the whole plan belongs to rank i % world; done images are never rewritten. An
embedding image's identity is the image recipe with the embedding row's sha256 in place of the
prompt. A prompt that the generation plan also makes keeps the generation plan's identity and is
written only by the generate stage (its group there may differ in size).
"""

from __future__ import annotations

from functools import partial
from typing import Any

import torch

from audits.attacks.artifacts import artifact_done, load_embeds, write_artifact
from audits.attacks.base import AttackContext
from audits.errors import AuditError
from audits.run.attack_plan import AttackUnit
from audits.run.identity import identity_hash, short
from audits.run.plan import RunPlan
from audits.run.render import RenderImage, RenderJob, mine, render
from runfmt.layout import RunDir


def artifact_folder(run: RunDir, unit: AttackUnit):
    return run.artifact_folder(unit.attack, unit.edit_id)


def embeds_image_id(edit_id: str, row_sha256: str, seed: int, sampling: dict[str, Any]) -> str:
    payload = {"edit": edit_id, "prompt_embeds_sha256": row_sha256, "seed": seed, **sampling}
    return short(identity_hash("image-embeds", payload))


def unit_images(
    plan: RunPlan, unit: AttackUnit, record: dict, edit_id: str, sources: bool = False
) -> list[RenderImage]:
    """Every image of one unit on one edit, in source then seed order; with `sources`, the
    plain source prompts' images instead (the base model's gate for embedding attacks). A
    prompt the generation plan also makes is not owned: the generate stage writes it."""
    from audits.run.plan import group_sizes

    inputs = [(i, seed) for i, source in enumerate(unit.sources) for seed in source.seeds]
    rows = [
        n for n in group_sizes(len(inputs), int(plan.sampling["micro_batch"])) for _ in range(n)
    ]
    embeds = bool(record.get("embeds_file")) and not sources
    out = []
    for (i, seed), size in zip(inputs, rows, strict=True):
        source = unit.sources[i]
        extra: dict = {"attack": {"unit_id": unit.unit_id, "attack": unit.attack, "source": i}}
        if embeds:
            sampling = {**plan.sampling, "micro_batch": size}
            image_id = embeds_image_id(edit_id, record["rows_sha256"][i], seed, sampling)
            extra["prompt_embeds_sha256"] = record["rows_sha256"][i]
            out.append(RenderImage(image_id, source.prompt, seed, True, i, extra))
            continue
        prompt = source.prompt if sources else record["prompts"][i]
        owned = plan.group_rows(prompt, seed) is None
        image_id = plan.image_id(edit_id, prompt, seed, size)
        out.append(RenderImage(image_id, prompt, seed, owned, i, extra))
    return out


def read_record(run: RunDir, unit: AttackUnit) -> dict:
    record = artifact_done(artifact_folder(run, unit), unit.unit_id)
    if record is None:
        raise AuditError(
            f"attack artifact attacks/{unit.attack}/{unit.edit_id}/{unit.unit_id} is missing or"
            " corrupted; rerun `scapre-audit run`"
        )
    return record


# -- artifacts ------------------------------------------------------------------------------
def run_attacks(run: RunDir, plan: RunPlan, pipe, device: str, suite_root, say, ranks=None) -> int:
    """Compute every attack unit of this rank whose artifact is not done; return how many."""
    todo = [
        u
        for i, u in enumerate(plan.attacks)
        if (ranks is None or ranks.mine(i))
        and not artifact_done(artifact_folder(run, u), u.unit_id)
    ]
    if not todo:
        return 0
    from audits.erasers.matrices import kv_matrices
    from audits.run.erase_stage import load_delta

    mats, _, dev = kv_matrices(pipe, ("to_v", "to_k"), torch.float64, device)
    original = dict(mats)
    caches: dict[str, dict] = {}  # per edit: what its units share (e.g. the recovery map)
    from audits.run.progress import progress_bar

    with progress_bar("attack", len(todo), "units") as advance:
        for unit in todo:
            say(f"attack {unit.attack} on {unit.method} ({unit.concept}) -> {unit.unit_id}")
            delta = load_delta(run, unit.edit_id)
            edited = {
                n: delta[n].to(dev, torch.float64) if n in delta else W for n, W in original.items()
            }
            ctx = AttackContext(
                pipe,
                unit.concept,
                list(unit.sources),
                original,
                edited,
                tuple(n for n in original if n in delta),
                device,
                suite_root,
                delta,
                plan.sampling,
                caches.setdefault(unit.edit_id, {}),
            )
            try:
                _compute(run, unit, ctx)
            except (RuntimeError, ValueError, OSError) as err:
                raise AuditError(
                    f"attack unit {unit.attack}/{unit.edit_id}/{unit.unit_id}: {err}"
                ) from err
            advance()
    return len(todo)


def _compute(run: RunDir, unit: AttackUnit, ctx: AttackContext) -> None:
    from audits.registry import ATTACKS

    attack = ATTACKS.get(unit.kind).from_params(unit.attack, unit.params)
    out = attack.run(ctx)
    if attack.budget is not None and out.evaluations > attack.budget:
        raise AuditError(
            f"attack {unit.attack} spent {out.evaluations} evaluations, over its budget"
            f" {attack.budget}"
        )
    record = {
        "unit_id": unit.unit_id,
        "attack": attack.describe(),
        "edit_id": unit.edit_id,
        "method": unit.method,
        "concept": unit.concept,
        "sources": [s.identity() for s in unit.sources],
        "output": "prompts" if out.prompts is not None else "embeds",
        "evaluations": out.evaluations,
        "extra": out.extra,
    }
    if out.prompts is not None:
        record["prompts"] = list(out.prompts)
    write_artifact(artifact_folder(run, unit), unit.unit_id, record, out.embeds)


# -- rendering ------------------------------------------------------------------------------
def render_jobs(run: RunDir, plan: RunPlan) -> list[RenderJob]:
    """Every fixed image group of every unit, in plan order: the adversarial inputs on the
    edit and on the base model, and for embedding attacks the plain source prompts on the base
    model too. Groups of one unit, edit and kind of input may share a pipeline call."""
    from audits.run.plan import cut

    size = int(plan.sampling["micro_batch"])
    ref = plan.reference_edit()
    jobs = []
    for unit in plan.attacks:
        record = read_record(run, unit)
        embeds = bool(record.get("embeds_file"))
        sets = [(unit.edit_id, embeds, False), (ref, embeds, False)]
        if embeds:
            sets.append((ref, False, True))
        folder = artifact_folder(run, unit)
        for edit_id, with_embeds, sources in sets:
            images = unit_images(plan, unit, record, edit_id, sources)
            label = f"render attack {unit.attack}/{unit.unit_id} on {edit_id}"
            loader = partial(load_embeds, folder, record) if with_embeds else None
            share = (unit.unit_id, with_embeds)
            jobs += [RenderJob(edit_id, tuple(g), label, share, loader) for g in cut(images, size)]
    return jobs


def render_attacks(run: RunDir, plan: RunPlan, pipe, batch_size: int, say, ranks=None) -> int:
    """Render every group of this rank with an image not done; return images written."""
    jobs = mine(run, render_jobs(run, plan), ranks)
    total = sum(len(job.images) for job in jobs)
    if not total:
        return 0
    say(f"render {total} attack image(s)")
    return render(run, plan.sampling, pipe, jobs, batch_size, "attack images")
