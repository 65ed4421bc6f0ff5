"""Stable-Diffusion-shaped pipelines built from configs with seeded random weights.

They load and run through exactly the diffusers code paths of SD 1.x/2.x, so every solver and
audit path can be tested offline. `sd15_shaped_*` build the real SD 1.5 / ViT-L/14 shapes (random
weights) for benchmarks.
"""

from __future__ import annotations

import torch

from audits.models.clip_tokenizer import build_clip_tokenizer


def _seeded(seed: int):
    torch.manual_seed(seed)


def tiny_text_encoder(width: int = 32, layers: int = 2, seed: int = 0):
    from transformers import CLIPTextConfig, CLIPTextModel

    _seeded(seed)
    cfg = CLIPTextConfig(
        vocab_size=49408,
        hidden_size=width,
        intermediate_size=2 * width,
        num_hidden_layers=layers,
        num_attention_heads=4,
        max_position_embeddings=77,
        projection_dim=width,
        bos_token_id=49406,
        eos_token_id=49407,
        pad_token_id=49407,
    )
    return CLIPTextModel(cfg).eval()


def tiny_unet(cross_attention_dim: int = 32, seed: int = 0, sample_size: int = 8):
    from diffusers import UNet2DConditionModel

    _seeded(seed)
    return UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=cross_attention_dim,
        attention_head_dim=8,
        norm_num_groups=32,
    ).eval()


def tiny_vae(seed: int = 0):
    from diffusers import AutoencoderKL

    _seeded(seed)
    return AutoencoderKL(
        block_out_channels=(8, 8, 8, 8),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1,
        norm_num_groups=4,
        latent_channels=4,
        sample_size=64,
    ).eval()


def tiny_scheduler():
    from diffusers import DDIMScheduler

    return DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )


def tiny_pipeline(width: int = 32, seed: int = 0):
    """A complete StableDiffusionPipeline (a few MB) with the real CLIP tokenizer."""
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(
        unet=tiny_unet(cross_attention_dim=width, seed=seed),
        vae=tiny_vae(seed=seed),
        text_encoder=tiny_text_encoder(width=width, seed=seed),
        tokenizer=build_clip_tokenizer(),
        scheduler=tiny_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def sd15_shaped_unet(seed: int = 0, device: str | torch.device = "cpu"):
    """The SD 1.5 UNet architecture (859M parameters) with random weights."""
    from diffusers import UNet2DConditionModel

    _seeded(seed)
    with torch.device(device):
        return UNet2DConditionModel(
            sample_size=64,
            in_channels=4,
            out_channels=4,
            layers_per_block=2,
            block_out_channels=(320, 640, 1280, 1280),
            down_block_types=("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
            up_block_types=("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
            cross_attention_dim=768,
            attention_head_dim=8,
            norm_num_groups=32,
        ).eval()


def vit_l14_text_encoder(seed: int = 0, device: str | torch.device = "cpu"):
    """CLIP ViT-L/14's text tower (SD 1.x text encoder, 123M parameters) with random weights."""
    from transformers import CLIPTextConfig, CLIPTextModel

    _seeded(seed)
    cfg = CLIPTextConfig(
        vocab_size=49408,
        hidden_size=768,
        intermediate_size=3072,
        num_hidden_layers=12,
        num_attention_heads=12,
        max_position_embeddings=77,
        hidden_act="quick_gelu",
        projection_dim=768,
        bos_token_id=49406,
        eos_token_id=49407,
        pad_token_id=49407,
    )
    with torch.device(device):
        return CLIPTextModel(cfg).eval()


def sd15_vae(seed: int = 0, device: str | torch.device = "cpu"):
    """Stable Diffusion 1.x's AutoencoderKL architecture (83.7M parameters) with random weights."""
    from diffusers import AutoencoderKL

    _seeded(seed)
    with torch.device(device):
        return AutoencoderKL(
            in_channels=3,
            out_channels=3,
            down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4,
            block_out_channels=(128, 256, 512, 512),
            layers_per_block=2,
            latent_channels=4,
            norm_num_groups=32,
            sample_size=512,
            scaling_factor=0.18215,
        ).eval()


def sd15_scheduler():
    """SD 1.5's own scheduler configuration (PNDM with PLMS steps only, as its hub folder says)."""
    from diffusers import PNDMScheduler

    return PNDMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        set_alpha_to_one=False,
        skip_prk_steps=True,
        steps_offset=1,
    )


def sd15_shaped_pipeline(seed: int = 0):
    """A StableDiffusionPipeline with SD 1.5's exact architecture and scheduler configuration and
    seeded random weights (1.07B parameters, about 4.3 GB in float32): every loading, shape and
    dtype path of the real model, with meaningless images."""
    from diffusers import StableDiffusionPipeline

    return StableDiffusionPipeline(
        unet=sd15_shaped_unet(seed=seed),
        vae=sd15_vae(seed=seed),
        text_encoder=vit_l14_text_encoder(seed=seed),
        tokenizer=build_clip_tokenizer(),
        scheduler=sd15_scheduler(),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
