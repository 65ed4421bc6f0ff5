"""Stage 2, generate: one PNG per (edit, prompt, seed), each from its own seeded CPU generator.

Each image's starting noise comes from `torch.Generator("cpu").manual_seed(seed)` alone, and the
networks see fixed groups of images (see `batch_invariance` and `group_sizes`), so an image does
not depend on the batch size or the device's RNG. A PNG is
written atomically before its record; an image counts as done only when the PNG's sha256 equals
the record's.
"""

from __future__ import annotations

import io
from typing import Any

import torch

import scapre
from audits.errors import AuditError
from audits.models.sampling import (  # noqa: F401  (re-exported for the run's callers)
    SCHEDULERS,
    check_sampler,
    sampling_dtype,
    set_scheduler,
)
from audits.run.erase_stage import load_delta
from audits.run.plan import RunPlan
from audits.run.progress import progress_bar
from runfmt.atomic import sha256_bytes, write_bytes, write_json
from runfmt.layout import RunDir
from runfmt.schemas import IMAGE_SCHEMA

TORCH_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def numerics(device: str) -> dict[str, Any]:
    """What decides an image's bytes besides the weights, prompt, seed and sampler settings:
    the device kind and, on CPU, the intra-op thread count (oneDNN/MKL split reductions by
    thread, so 1 and 2 threads give different last bits) and the SIMD level; on a GPU, its
    model name. Part of every image identity (recipe 3), so images made under different
    numerics are never mixed in one run or one cache."""
    import torch

    if device.startswith("cuda"):
        return {"device": "cuda", "gpu": torch.cuda.get_device_name(torch.device(device))}
    return {
        "device": "cpu",
        "threads": torch.get_num_threads(),
        "cpu_capability": torch.backends.cpu.get_cpu_capability(),
    }


def image_groups(plan: RunPlan, edit_id: str) -> list[list[tuple[str, str, int]]]:
    """Every image of one edit as (image id, prompt, seed), deduplicated, in plan order, cut
    into the fixed groups the networks see together (`RunPlan.generation_groups`)."""
    return [
        [(plan.image_id(edit_id, prompt, seed), prompt, seed) for prompt, seed in group]
        for group in plan.generation_groups()
    ]


def pending_groups(run: RunDir, plan: RunPlan, edit_id: str) -> list[list[tuple[str, str, int]]]:
    """The groups with at least one image not done (a group is always computed whole)."""
    return [
        g
        for g in image_groups(plan, edit_id)
        if any(not run.image_done(edit_id, i) for i, _, _ in g)
    ]


def render_png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@torch.no_grad()
def generate_batch(
    pipe,
    prompts: list[str],
    seeds: list[int],
    sampling: dict[str, Any],
    groups: list[int],
    prompt_embeds: torch.Tensor | None = None,
) -> list:
    """PIL images for `prompts`, image i from a CPU generator seeded with `seeds[i]`; the
    networks see the images in groups of the given sizes (which sum to len(prompts)), so an
    image's bytes depend on the size of its group and nothing else of the call (kernels block
    differently for different batch shapes; the size is part of the image's identity). With
    `prompt_embeds` (attacks), those rows replace the encoded prompts."""
    from audits.run.batch_invariance import grouped

    generators = [torch.Generator("cpu").manual_seed(int(s)) for s in seeds]
    negative = sampling["negative_prompt"]
    if prompt_embeds is None:
        text: dict[str, Any] = {"prompt": prompts}
    else:  # SDXL also takes the prompts' pooled embeddings (audits.models.families)
        from audits.models.families import prompt_embeds_inputs

        text = prompt_embeds_inputs(pipe, prompts, prompt_embeds)
    with grouped(pipe, groups):
        out = pipe(
            **text,
            negative_prompt=[negative] * len(prompts) if negative else None,
            num_inference_steps=sampling["steps"],
            guidance_scale=sampling["guidance_scale"],
            height=sampling["height"],
            width=sampling["width"],
            generator=generators,
            output_type="pil",
        )
    return list(out.images)


def fill_from_cache(run: RunDir, plan: RunPlan, cache) -> int:
    """Copy every not-done image that the cache holds into the run; return how many."""
    copied = 0
    for edit in plan.edits:
        for group in pending_groups(run, plan, edit.edit_id):
            for image_id, _, _ in group:
                if not run.image_done(edit.edit_id, image_id):
                    copied += cache.fetch(run, edit.edit_id, image_id)
    return copied


def run_generate(
    run: RunDir, plan: RunPlan, pipe, batch_size: int, say, cache=None, ranks=None
) -> int:
    """Generate every image group that is not done; return how many images were written.

    A pipeline call takes max(1, batch_size // micro_batch) whole groups; images of a group
    that were already done are recomputed with it (identical bytes) but not rewritten. With a
    cache (`image_cache.ImageCache`), cached images are copied first and new ones stored. With
    several ranks, group number i (counted over the whole plan) belongs to rank i % world."""
    if cache is not None:
        copied = fill_from_cache(run, plan, cache)
        if copied:
            say(f"copied {copied} image(s) from the cache")
    todo = {}
    index = 0
    for e in plan.edits:
        todo[e.edit_id] = []
        for group in image_groups(plan, e.edit_id):
            mine = ranks is None or ranks.mine(index)
            index += 1
            if mine and any(not run.image_done(e.edit_id, i) for i, _, _ in group):
                todo[e.edit_id].append(group)
    total = sum(len(g) for groups in todo.values() for g in groups)
    if not total:
        return 0
    set_scheduler(pipe, plan.sampling["sampler"])
    say(f"generate {total} image(s)")
    per_call = max(1, batch_size // int(plan.sampling["micro_batch"]))
    written = 0
    with progress_bar("generate", total, "images") as advance:
        for edit in plan.edits:
            groups = todo[edit.edit_id]
            if not groups:
                continue
            with scapre.applied(pipe, load_delta(run, edit.edit_id)):
                for start in range(0, len(groups), per_call):
                    call = groups[start : start + per_call]
                    written += _generate_and_write(run, plan, pipe, edit.edit_id, call)
                    advance(sum(len(g) for g in call))
                    if cache is not None:
                        _store(run, cache, edit.edit_id, call, say)
    return written


def _generate_and_write(run: RunDir, plan: RunPlan, pipe, edit_id: str, groups) -> int:
    batch = [image for group in groups for image in group]
    first = f"{edit_id}/{batch[0][0]}"
    try:
        pictures = generate_batch(
            pipe,
            [b[1] for b in batch],
            [b[2] for b in batch],
            plan.sampling,
            [len(g) for g in groups],
        )
    except (RuntimeError, ValueError) as err:
        raise AuditError(f"generate unit images/{first} (batch of {len(batch)}): {err}") from err
    written = 0
    rows = [len(g) for g in groups for _ in g]
    for (image_id, prompt, seed), picture, size in zip(batch, pictures, rows, strict=True):
        if run.image_done(edit_id, image_id):
            continue
        data = render_png(picture)
        record = {
            "schema": IMAGE_SCHEMA,
            "image_id": image_id,
            "edit_id": edit_id,
            "prompt": prompt,
            "seed": seed,
            "sha256": sha256_bytes(data),
            "sampling": {**plan.sampling, "micro_batch": size},
        }
        try:
            write_bytes(run.image_png(edit_id, image_id), data)
            write_json(run.image_record(edit_id, image_id), record)
        except OSError as err:
            raise AuditError(f"cannot write images/{edit_id}/{image_id}: {err}") from err
        written += 1
    return written


def _store(run: RunDir, cache, edit_id: str, groups, say) -> None:
    for group in groups:
        for image_id, _, _ in group:
            try:
                cache.keep(run, edit_id, image_id)
            except OSError as err:
                say(f"warning: cannot store images/{edit_id}/{image_id} in the cache: {err}")
                return
