"""The one rendering path: every image of a run (generated or an attack's) is made here.

A job is one fixed group of images on one edit (`plan.cut`, `batch_invariance`): the networks
see the group together, so an image's bytes depend on its group and never on `--batch-size`,
which only decides how many consecutive jobs share a pipeline call. Jobs are numbered over the
whole stage, job i belongs to rank i % world, and a done image is never rewritten. A PNG is
written atomically before its record, so an image counts as done only when the PNG's sha256
equals the record's.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any

import torch

from audits.errors import AuditError
from runfmt.atomic import sha256_bytes, write_bytes, write_json
from runfmt.layout import RunDir
from runfmt.schemas import IMAGE_SCHEMA


@dataclass(frozen=True)
class RenderImage:
    """One image of a job: its identity, prompt and seed, and what its record adds."""

    image_id: str
    prompt: str  # the prompt, or the source prompt of an embedding
    seed: int
    owned: bool = True  # False: another stage makes and writes this image
    source: int = -1  # an attack's source index (the row of its embeddings)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)  # added to the record


@dataclass(frozen=True)
class RenderJob:
    """One fixed group of images rendered together on one edit.

    Consecutive jobs with equal `edit_id` and `share` may share a pipeline call; `embeds`,
    when given, loads the prompt-embedding rows that replace the encoded prompts (indexed by
    each image's `source`); `label` names the job in an error."""

    edit_id: str
    images: tuple[RenderImage, ...]
    label: str
    share: Hashable = ()
    embeds: Callable[[], torch.Tensor] | None = field(default=None, compare=False)

    def key(self) -> tuple[str, Hashable]:
        """Jobs with equal keys may share a pipeline call."""
        return self.edit_id, self.share

    def pending(self, run: RunDir) -> bool:
        return any(im.owned and not run.image_done(self.edit_id, im.image_id) for im in self.images)


def mine(run: RunDir, jobs: list[RenderJob], ranks=None) -> list[RenderJob]:
    """The jobs of this rank (job i of the stage belongs to rank i % world) not yet done."""
    return [j for i, j in enumerate(jobs) if (ranks is None or ranks.mine(i)) and j.pending(run)]


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


def calls(jobs: list[RenderJob], per_call: int) -> list[list[RenderJob]]:
    """Consecutive jobs with the same edit and share key, at most `per_call` to a call."""
    out: list[list[RenderJob]] = []
    for job in jobs:
        last = out[-1] if out else []
        if last and len(last) < per_call and last[0].key() == job.key():
            last.append(job)
        else:
            out.append([job])
    return out


def render(
    run: RunDir,
    sampling: dict[str, Any],
    pipe,
    jobs: list[RenderJob],
    batch_size: int,
    title: str,
    after_call: Callable[[list[RenderJob]], None] | None = None,
) -> int:
    """Render `jobs` (already this rank's pending ones) with each edit applied; return how many
    images were written. `after_call` sees each call's jobs once they are written."""
    import scapre
    from audits.models.sampling import set_scheduler
    from audits.run.erase_stage import load_delta
    from audits.run.progress import progress_bar

    total = sum(len(j.images) for j in jobs)
    if not total:
        return 0
    set_scheduler(pipe, sampling["sampler"])
    per_call = max(1, batch_size // int(sampling["micro_batch"]))
    written = 0
    with progress_bar(title, total, "images") as advance:
        for edit_id, edit_calls in groupby(calls(jobs, per_call), key=lambda c: c[0].edit_id):
            with scapre.applied(pipe, load_delta(run, edit_id)):
                for call in edit_calls:
                    written += render_call(run, sampling, pipe, call)
                    advance(sum(len(j.images) for j in call))
                    if after_call is not None:
                        after_call(call)
    return written


def render_call(run: RunDir, sampling: dict[str, Any], pipe, call: list[RenderJob]) -> int:
    """One pipeline call over the groups of `call` (one edit); write each owned image that is
    not done, PNG then record; return how many were written."""
    first, edit_id = call[0], call[0].edit_id
    batch = [im for job in call for im in job.images]
    sizes = [len(job.images) for job in call]
    embeds = None
    if first.embeds is not None:
        rows = first.embeds()
        embeds = rows[[im.source for im in batch]].to(pipe.unet.device, pipe.unet.dtype)
    try:
        pictures = generate_batch(
            pipe, [im.prompt for im in batch], [im.seed for im in batch], sampling, sizes, embeds
        )
    except (RuntimeError, ValueError) as err:
        raise AuditError(f"{first.label} (batch of {len(batch)}): {err}") from err
    written = 0
    rows = [len(job.images) for job in call for _ in job.images]
    for im, picture, size in zip(batch, pictures, rows, strict=True):
        if not im.owned or run.image_done(edit_id, im.image_id):
            continue
        data = render_png(picture)
        record = {
            "schema": IMAGE_SCHEMA,
            "image_id": im.image_id,
            "edit_id": edit_id,
            "prompt": im.prompt,
            "seed": im.seed,
            "sha256": sha256_bytes(data),
            "sampling": {**sampling, "micro_batch": size},
            **im.extra,
        }
        try:
            write_bytes(run.image_png(edit_id, im.image_id), data)
            write_json(run.image_record(edit_id, im.image_id), record)
        except OSError as err:
            raise AuditError(f"cannot write images/{edit_id}/{im.image_id}: {err}") from err
        written += 1
    return written
