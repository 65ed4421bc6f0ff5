"""Samplers: the diffusers scheduler each suite `sampler` names, the dtype images are made in,
and the check that a sampler can sample a step count (made before any model loads). Used by the
generate stage and by attacks that sample (UnlearnDiffAtk), so neither imports the other.
"""

from __future__ import annotations

from audits.errors import AuditError

# "pndm" is what SD 1.x ships (PLMS steps only, `skip_prk_steps`), whatever the model's own
# scheduler config says: with Runge-Kutta warm-up steps PNDM cannot sample fewer than 4 steps.
SCHEDULERS = {
    "pndm": ("PNDMScheduler", {"skip_prk_steps": True}),
    "ddim": ("DDIMScheduler", {}),
    "ddpm": ("DDPMScheduler", {}),
    "dpmsolver++": ("DPMSolverMultistepScheduler", {"algorithm_type": "dpmsolver++"}),
    "euler": ("EulerDiscreteScheduler", {}),
    "euler_ancestral": ("EulerAncestralDiscreteScheduler", {}),
    "lms": ("LMSDiscreteScheduler", {}),
    "unipc": ("UniPCMultistepScheduler", {}),
}


def sampling_dtype(precision: str, device: str) -> str:
    """fp16/bf16 only on a GPU; on CPU images are always made in float32."""
    if not device.startswith("cuda"):
        return "float32"
    return {"fp16": "float16", "bf16": "bfloat16", "fp32": "float32"}[precision]


def set_scheduler(pipe, sampler: str) -> None:
    import diffusers

    name, extra = SCHEDULERS[sampler]
    pipe.scheduler = getattr(diffusers, name).from_config(pipe.scheduler.config, **extra)


def check_sampler(sampler: str, steps: int) -> None:
    """Refuse, in one line, a sampler this installation cannot build or a step count it cannot
    sample (checked on SD 1.5's scheduler settings, before any model loads)."""
    if sampler not in SCHEDULERS:
        raise AuditError(f"unknown sampler {sampler!r}; known: {', '.join(SCHEDULERS)}")
    if steps < 1:
        raise AuditError(f"the number of denoising steps must be at least 1 (got {steps})")
    import diffusers

    from audits.models.tiny import sd15_scheduler

    name, extra = SCHEDULERS[sampler]
    try:
        scheduler = getattr(diffusers, name).from_config(sd15_scheduler().config, **extra)
        scheduler.set_timesteps(steps)
    except ImportError as err:
        first = " ".join(str(err).split())[:160]
        raise AuditError(f"sampler {sampler} cannot be built here: {first}") from err
    except (ValueError, RuntimeError, IndexError) as err:
        raise AuditError(f"sampler {sampler} cannot sample {steps} step(s): {err}") from err
    if scheduler.timesteps is None or len(scheduler.timesteps) < 1:
        raise AuditError(f"sampler {sampler} cannot sample {steps} step(s)")
