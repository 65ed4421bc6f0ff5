"""Assemble, save and load the toy-world StableDiffusionPipeline (diffusers format, fp16 files)."""

from __future__ import annotations

from pathlib import Path

import torch

from audits.toyworld.paths import PIPELINE_DIR


def assemble_pipeline(unet, vae, text_encoder):
    """A StableDiffusionPipeline of trained parts, the real CLIP tokenizer and DPM-Solver."""
    from diffusers import StableDiffusionPipeline

    from audits.models.clip_tokenizer import build_clip_tokenizer
    from audits.toyworld.arch import build_sample_scheduler

    return StableDiffusionPipeline(
        unet=unet,
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=build_clip_tokenizer(),
        scheduler=build_sample_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def save_pipeline(pipe, folder: Path, fp16: bool = True) -> None:
    if fp16:
        pipe = pipe.to(torch.float16)
    pipe.save_pretrained(folder, safe_serialization=True)


def load_toyworld_pipeline(
    folder: Path | str | None = None,
    dtype: torch.dtype = torch.float32,
    device: str | torch.device = "cpu",
):
    """Load the committed toy-world model through `StableDiffusionPipeline.from_pretrained`.

    Weights are stored in fp16 and upcast to `dtype` (fp32 by default: CPU fp16 is slow).
    Native resolution is 32x32 (4x8x8 latents); the pipeline's default height/width is 32.
    """
    from diffusers import StableDiffusionPipeline

    pipe = StableDiffusionPipeline.from_pretrained(
        str(folder or PIPELINE_DIR),
        torch_dtype=dtype,
        local_files_only=True,
        safety_checker=None,
        requires_safety_checker=False,
    )
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(device)


def pipeline_weights_sha256(folder: Path | str | None = None) -> str:
    """sha256 over the pipeline's *.safetensors files (sorted by relative path, concatenated):
    the `model.revision` that suites pin."""
    import hashlib

    root = Path(folder or PIPELINE_DIR)
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.safetensors"), key=lambda p: p.relative_to(root).as_posix()):
        digest.update(path.read_bytes())
    return digest.hexdigest()
