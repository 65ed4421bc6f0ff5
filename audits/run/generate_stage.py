"""Stage 2, generate: one PNG per (edit, prompt, seed), each from its own seeded CPU generator.

Each image's starting noise comes from `torch.Generator("cpu").manual_seed(seed)` alone, so an
image does not depend on the batch it is made in, the batch size or the device's RNG. A PNG is
written atomically before its record; an image counts as done only when the PNG's sha256 equals
the record's.
"""

from __future__ import annotations

import io
from typing import Any

import torch

from audits.errors import AuditError
from audits.run.atomic import sha256_bytes, write_bytes, write_json
from audits.run.erase_stage import load_delta
from audits.run.plan import RunPlan
from audits.run.progress import progress_bar
from audits.run.rundir import RunDir

SCHEDULERS = {
    "pndm": ("PNDMScheduler", {}),
    "ddim": ("DDIMScheduler", {}),
    "ddpm": ("DDPMScheduler", {}),
    "dpmsolver++": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++"}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_ancestral": ("EulerAncestralDiscreteScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}),
}
TORCH_DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


def sampling_dtype(precision: str, device: str) -> str:
    """fp16/bf16 only on a GPU; on CPU images are always made in float32."""
    if not device.startswith("cuda"):
        return "float32"
    return {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}[precision]


def set_scheduler(pipe, sampler: str) -> None:
    import diffusers

    name, extra = SCHEDULERS[sampler]
    pipe.scheduler = getattr(diffusers, name).from_config(pipe.scheduler.config, **extra)


def pending_images(run: RunDir, plan: RunPlan, edit_id: str) -> list[tuple[str, str, int]]:
    """(image id, prompt, seed) of every image of one edit that is not done, deduplicated."""
    seen: set[str] = set()
    todo = []
    for probe in plan.probes:
        for case, seed, image_id in plan.images(edit_id, probe):
            if image_id in seen:
                continue
            seen.add(image_id)
            if not run.image_done(edit_id, image_id):
                todo.append((image_id, case.prompt, seed))
    return todo


def render_png(image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


@torch.no_grad()
def generate_batch(pipe, prompts: list[str], seeds: list[int], sampling: dict[str, Any]) -> list:
    """PIL images for `prompts`, image i from a CPU generator seeded with `seeds[i]`."""
    from audits.run.batch_invariance import batch_invariant

    generators = [torch.Generator("cpu").manual_seed(int(s)) for s in seeds]
    negative = sampling["negative_prompt"]
    with batch_invariant(pipe):
        out = pipe(
            prompt=prompts,
            negative_prompt=[negative] * len(prompts) if negative else None,
            num_inference_steps=sampling["steps"],
            guidance_scale=sampling["guidance_scale"],
            height=sampling["height"],
            width=sampling["width"],
            generator=generators,
            output_type="pil",
        )
    return out.images


def run_generate(run: RunDir, plan: RunPlan, pipe, batch_size: int, say) -> int:
    """Generate every image that is not done; return how many were made."""
    todo = {e.edit_id: pending_images(run, plan, e.edit_id) for e in plan.edits}
    total = sum(len(v) for v in todo.values())
    if not total:
        return 0
    set_scheduler(pipe, plan.sampling["sampler"])
    say(f"generate {total} image(s)")
    made = 0
    with progress_bar("generate", total) as advance:
        for edit in plan.edits:
            images = todo[edit.edit_id]
            if not images:
                continue
            with edited(pipe, load_delta(run, edit.edit_id)):
                for start in range(0, len(images), batch_size):
                    batch = images[start : start + batch_size]
                    _generate_and_write(run, plan, pipe, edit.edit_id, batch)
                    made += len(batch)
                    advance(len(batch))
    return made


def _generate_and_write(run: RunDir, plan: RunPlan, pipe, edit_id: str, batch) -> None:
    first = f"{edit_id}/{batch[0][0]}"
    try:
        pictures = generate_batch(pipe, [b[1] for b in batch], [b[2] for b in batch], plan.sampling)
    except (RuntimeError, ValueError) as err:
        raise AuditError(f"generate unit images/{first} (batch of {len(batch)}): {err}") from err
    for (image_id, prompt, seed), picture in zip(batch, pictures, strict=True):
        data = render_png(picture)
        record = {
            "schema": "scapre-audit/run-image/1",
            "image_id": image_id,
            "edit_id": edit_id,
            "prompt": prompt,
            "seed": seed,
            "sha256": sha256_bytes(data),
            "sampling": plan.sampling,
        }
        try:
            write_bytes(run.image_png(edit_id, image_id), data)
            write_json(run.image_record(edit_id, image_id), record)
        except OSError as err:
            raise AuditError(f"cannot write images/{edit_id}/{image_id}: {err}") from err


class edited:
    """Context manager: the pipeline's UNet carries `weights` inside, the original outside."""

    def __init__(self, pipe, weights: dict[str, torch.Tensor]) -> None:
        self.pipe, self.weights = pipe, weights
        self.saved: dict[str, torch.Tensor] = {}

    def __enter__(self):
        import scapre

        params = dict(self.pipe.unet.named_parameters())
        self.saved = {n: params[n].detach().clone() for n in self.weights if n in params}
        scapre.apply_edit(self.pipe, self.weights)
        return self.pipe

    def __exit__(self, *exc) -> None:
        import scapre

        scapre.apply_edit(self.pipe, self.saved)
