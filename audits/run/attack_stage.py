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

from dataclasses import dataclass
from typing import Any

import torch

from audits.attacks.artifacts import artifact_done, load_embeds, write_artifact
from audits.attacks.base import AttackContext
from audits.errors import AuditError
from audits.run.attack_plan import AttackUnit
from audits.run.identity import identity_hash, short
from audits.run.plan import RunPlan
from runfmt.atomic import sha256_bytes, write_bytes, write_json
from runfmt.layout import RunDir
from runfmt.schemas import IMAGE_SCHEMA


@dataclass(frozen=True)
class AttackImage:
    """One render of one adversarial input: (unit, source index, seed) on one edit."""

    image_id: str
    source: int
    seed: int
    prompt: str  # the adversarial prompt, or the source prompt of an embedding
    owned: bool = True  # False: a generated image, made (and written) by the generate stage


def artifact_folder(run: RunDir, unit: AttackUnit):
    return run.artifact_folder(unit.attack, unit.edit_id)


def embeds_image_id(edit_id: str, row_sha256: str, seed: int, sampling: dict[str, Any]) -> str:
    payload = {"edit": edit_id, "prompt_embeds_sha256": row_sha256, "seed": seed, **sampling}
    return short(identity_hash("image-embeds", payload))


def unit_images(
    plan: RunPlan, unit: AttackUnit, record: dict, edit_id: str, sources: bool = False
) -> list[AttackImage]:
    """Every image of one unit on one edit, in source then seed order; with `sources`, the
    plain source prompts' images instead (the base model's gate for embedding attacks)."""
    from audits.run.plan import group_sizes

    inputs = [(i, seed) for i, source in enumerate(unit.sources) for seed in source.seeds]
    rows = [
        n for n in group_sizes(len(inputs), int(plan.sampling["micro_batch"])) for _ in range(n)
    ]
    out = []
    for (i, seed), size in zip(inputs, rows, strict=True):
        source = unit.sources[i]
        if record.get("embeds_file") and not sources:
            sampling = {**plan.sampling, "micro_batch": size}
            image_id = embeds_image_id(edit_id, record["rows_sha256"][i], seed, sampling)
            out.append(AttackImage(image_id, i, seed, source.prompt))
            continue
        prompt = source.prompt if sources else record["prompts"][i]
        owned = plan.group_rows(prompt, seed) is None
        out.append(AttackImage(plan.image_id(edit_id, prompt, seed, size), i, seed, prompt, owned))
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
def render_jobs(run: RunDir, plan: RunPlan) -> list[tuple[AttackUnit, dict, str, bool, list]]:
    """(unit, record, rendering edit, embeddings?, fixed image group) for every group, in plan
    order: the adversarial inputs on the edit and on the base model, and for embedding attacks
    the plain source prompts on the base model too."""
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
        for edit_id, with_embeds, sources in sets:
            images = unit_images(plan, unit, record, edit_id, sources)
            jobs += [(unit, record, edit_id, with_embeds, g) for g in cut(images, size)]
    return jobs


def render_attacks(run: RunDir, plan: RunPlan, pipe, batch_size: int, say, ranks=None) -> int:
    """Render every group of this rank with an image not done; return images written."""
    from audits.models.sampling import set_scheduler
    from audits.run.erase_stage import load_delta
    from audits.run.progress import progress_bar
    from scapre import applied

    jobs = [
        job
        for i, job in enumerate(render_jobs(run, plan))
        if (ranks is None or ranks.mine(i))
        and any(im.owned and not run.image_done(job[2], im.image_id) for im in job[4])
    ]
    total = sum(len(job[4]) for job in jobs)
    if not total:
        return 0
    set_scheduler(pipe, plan.sampling["sampler"])
    say(f"render {total} attack image(s)")
    per_call = max(1, batch_size // int(plan.sampling["micro_batch"]))
    written = 0
    with progress_bar("attack images", total, "images") as advance:
        # consecutive groups with the same edit and unit share a pipeline call
        start = 0
        while start < len(jobs):
            unit, record, edit_id, embeds, _ = jobs[start]
            end = start + 1
            while end < len(jobs) and end - start < per_call and _same(jobs[end], jobs[start]):
                end += 1
            call = jobs[start:end]
            groups = [j[4] for j in call]
            with applied(pipe, load_delta(run, edit_id)):
                written += _render(run, plan, pipe, unit, record, edit_id, embeds, groups)
            advance(sum(len(g) for g in groups))
            start = end
    return written


def _same(a, b) -> bool:
    """Two groups may share a pipeline call: same unit, edit and kind of input."""
    return a[0] == b[0] and a[2] == b[2] and a[3] == b[3]


def _render(run, plan, pipe, unit, record, edit_id, with_embeds, groups) -> int:
    from audits.run.generate_stage import generate_batch, render_png

    batch = [im for g in groups for im in g]
    sizes = [len(g) for g in groups]
    seeds = [im.seed for im in batch]
    embeds = None
    if with_embeds:
        rows = load_embeds(artifact_folder(run, unit), record)
        embeds = rows[[im.source for im in batch]].to(pipe.unet.device, pipe.unet.dtype)
    try:
        pictures = generate_batch(
            pipe,
            [im.prompt for im in batch],
            seeds,
            plan.sampling,
            sizes,
            prompt_embeds=embeds,
        )
    except (RuntimeError, ValueError) as err:
        raise AuditError(f"render attack {unit.attack}/{unit.unit_id} on {edit_id}: {err}") from err
    written = 0
    rows = [len(g) for g in groups for _ in g]
    for im, picture, size in zip(batch, pictures, rows, strict=True):
        if not im.owned or run.image_done(edit_id, im.image_id):
            continue
        data = render_png(picture)
        image_record = {
            "schema": IMAGE_SCHEMA,
            "image_id": im.image_id,
            "edit_id": edit_id,
            "prompt": im.prompt,
            "seed": im.seed,
            "sha256": sha256_bytes(data),
            "sampling": {**plan.sampling, "micro_batch": size},
            "attack": {"unit_id": unit.unit_id, "attack": unit.attack, "source": im.source},
        }
        if embeds is not None:
            image_record["prompt_embeds_sha256"] = record["rows_sha256"][im.source]
        write_bytes(run.image_png(edit_id, im.image_id), data)
        write_json(run.image_record(edit_id, im.image_id), image_record)
        written += 1
    return written
