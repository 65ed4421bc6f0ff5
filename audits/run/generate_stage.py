"""Stage 2, generate: one PNG per (edit, prompt, seed), each from its own seeded CPU generator.

Each image's starting noise comes from `torch.Generator("cpu").manual_seed(seed)` alone, and the
networks see fixed groups of images (see `batch_invariance` and `group_sizes`), so an image does
not depend on the batch size or the device's RNG. The images are rendered and written by the
run's one rendering path (`audits.run.render`).
"""

from __future__ import annotations

from typing import Any

from audits.run.plan import RunPlan
from audits.run.render import RenderImage, RenderJob, mine, render
from runfmt.layout import RunDir


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


def generation_jobs(plan: RunPlan) -> list[RenderJob]:
    """Every generated image as render jobs: per edit, in plan order, the deduplicated
    (prompt, seed)s cut into the fixed groups the networks see together
    (`RunPlan.generation_groups`, the same for every edit)."""
    jobs = []
    groups = plan.generation_groups()
    for edit in plan.edits:
        for group in groups:
            images = tuple(
                RenderImage(plan.image_id(edit.edit_id, prompt, seed), prompt, seed)
                for prompt, seed in group
            )
            label = f"generate unit images/{edit.edit_id}/{images[0].image_id}"
            jobs.append(RenderJob(edit.edit_id, images, label))
    return jobs


def fill_from_cache(run: RunDir, plan: RunPlan, cache) -> int:
    """Copy every not-done image that the cache holds into the run; return how many."""
    copied = 0
    for job in generation_jobs(plan):
        for im in job.images:
            if not run.image_done(job.edit_id, im.image_id):
                copied += cache.fetch(run, job.edit_id, im.image_id)
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
    jobs = mine(run, generation_jobs(plan), ranks)
    total = sum(len(j.images) for j in jobs)
    if not total:
        return 0
    say(f"generate {total} image(s)")

    def store(call: list[RenderJob]) -> None:
        for job in call:
            for im in job.images:
                try:
                    cache.keep(run, job.edit_id, im.image_id)
                except OSError as err:
                    where = f"images/{job.edit_id}/{im.image_id}"
                    say(f"warning: cannot store {where} in the cache: {err}")
                    return

    return render(
        run, plan.sampling, pipe, jobs, batch_size, "generate", store if cache is not None else None
    )
