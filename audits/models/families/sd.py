"""The Stable Diffusion families: 1.x, 2.x (incl. v-prediction) and SDXL base."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class ModelFamily:
    """What a suite's `model.family` names: the structural family its pipelines must have
    (`scapre.families.text_stack`), the native image size, and the text context width."""

    name: ClassVar[str]
    structure: ClassVar[str]  # the family `detect` reports for its pipelines
    native_size: ClassVar[int]  # pixels per side the base model was trained at
    context_width: ClassVar[int | None]  # text width of the released models (None: any)
    summary: ClassVar[str]

    @classmethod
    def describe(cls) -> dict:
        return {
            "name": cls.name,
            "structure": cls.structure,
            "native_size": cls.native_size,
            "context_width": cls.context_width,
            "summary": cls.summary,
        }


class StableDiffusionV1(ModelFamily):
    name = "sd-v1"
    structure = "sd-v1"
    native_size = 512
    context_width = 768
    summary = "SD 1.x: one CLIP ViT-L/14 encoder (last hidden state, 768), 16 attn2 modules"


class StableDiffusionV2(ModelFamily):
    name = "sd-v2"
    structure = "sd-v2"
    native_size = 768  # 2.x-base models: 512
    context_width = 1024
    summary = (
        "SD 2.x: one OpenCLIP ViT-H encoder (last hidden state of the 23-layer conversion, "
        "1024), v-prediction for the 768 px models"
    )


class StableDiffusionXL(ModelFamily):
    name = "sdxl"
    structure = "sdxl"
    native_size = 1024
    context_width = 2048
    summary = (
        "SDXL base: CLIP ViT-L/14 + OpenCLIP ViT-bigG, penultimate states concatenated (2048), "
        "pooled embeddings and time ids for the UNet, 70 attn2 modules (not the refiner)"
    )
