"""Copy trained parts from the work folder into the committed weights folder (fp16 safetensors)."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import torch

from audits.toyworld.common import DEFAULT_WORK
from audits.toyworld.paths import CLASSIFIER_DIR, OPEN_CLIP_DIR, PIPELINE_DIR


def export_pipeline(work: Path, out: Path = PIPELINE_DIR, unet_name: str = "unet_ema") -> None:
    from diffusers import AutoencoderKL, UNet2DConditionModel
    from transformers import CLIPTextModel

    from audits.toyworld.pipeline import assemble_pipeline, save_pipeline

    pipe = assemble_pipeline(
        UNet2DConditionModel.from_pretrained(work / unet_name),
        AutoencoderKL.from_pretrained(work / "vae"),
        CLIPTextModel.from_pretrained(work / "text_encoder"),
    )
    if out.exists():
        shutil.rmtree(out)
    save_pipeline(pipe, out, fp16=True)


def export_evaluators(work: Path) -> None:
    for name, dest in (("classifier", CLASSIFIER_DIR), ("open_clip", OPEN_CLIP_DIR)):
        if dest.exists():
            shutil.rmtree(dest)
        shutil.copytree(work / name, dest)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--unet", default="unet_ema")
    a = p.parse_args()
    torch.set_num_threads(1)
    export_pipeline(a.work, unet_name=a.unet)
    export_evaluators(a.work)


if __name__ == "__main__":
    main()
