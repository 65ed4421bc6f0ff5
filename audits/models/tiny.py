"""Stable-Diffusion-shaped pipelines built from configs with seeded random weights.

They load and run through exactly the diffusers code paths of SD 1.x/2.x, so every solver and
audit path can be tested offline. `sd15_shaped_*` and `sdxl_shaped_pipeline` build the real SD 1.5
and SDXL shapes (random weights) for benchmarks.
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
    model = CLIPTextModel(cfg).eval()
    _seed_final_norm(model, seed)
    return model


def _seed_final_norm(model, seed: int) -> None:
    """Give the final LayerNorm a seeded, non-trivial gain and bias, as trained encoders have.

    A freshly initialised CLIP ends in a LayerNorm with unit gain and zero bias, so every token
    embedding is mean-free: all of them lie in one hyperplane of R^width, `lamb = 0` systems built
    from them are singular, and whole classes of error (a wrong token, a wrong weight on a
    direction) can hide there. The bias has mean 0.5 so the embeddings sit well off that
    hyperplane's direction (with a zero-mean bias the offset along its normal is small by chance,
    and systems without a ridge term are needlessly ill-conditioned). The draw uses its own
    generator, so the other weights are the same as before.
    """
    norm = next(m for n, m in model.named_modules() if n.endswith("final_layer_norm"))
    gen = torch.Generator().manual_seed(7 + 1000 * seed)
    with torch.no_grad():
        norm.weight.copy_(1 + 0.3 * torch.randn(norm.weight.shape, generator=gen))
        norm.bias.copy_(0.5 + 0.5 * torch.randn(norm.bias.shape, generator=gen))


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


def tiny_text_encoder_2(width: int = 48, layers: int = 2, seed: int = 1):
    """SDXL's second encoder in miniature: a CLIP text model with a projection (pooled output)."""
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    _seeded(seed)
    cfg = CLIPTextConfig(
        vocab_size=49408,
        hidden_size=width,
        intermediate_size=2 * width,
        num_hidden_layers=layers,
        num_attention_heads=4,
        max_position_embeddings=77,
        hidden_act="gelu",
        projection_dim=width,
        bos_token_id=49406,
        eos_token_id=49407,
        pad_token_id=1,
    )
    return CLIPTextModelWithProjection(cfg).eval()


def tiny_sdxl_unet(cross_attention_dim: int, pooled_dim: int, seed: int = 0, sample_size: int = 8):
    """An SDXL-architecture UNet in miniature: text_time conditioning, linear projections,
    several transformer layers per block."""
    from diffusers import UNet2DConditionModel

    _seeded(seed)
    time_dim = 8
    return UNet2DConditionModel(
        sample_size=sample_size,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        transformer_layers_per_block=(1, 2),
        cross_attention_dim=cross_attention_dim,
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        addition_embed_type="text_time",
        addition_time_embed_dim=time_dim,
        projection_class_embeddings_input_dim=pooled_dim + 6 * time_dim,
        norm_num_groups=32,
    ).eval()


def tiny_sdxl_pipeline(width: int = 32, width_2: int = 48, seed: int = 0):
    """A complete StableDiffusionXLPipeline (a few MB): two real-tokenizer CLIP encoders whose
    penultimate states concatenate to width + width_2, and an SDXL-shaped UNet."""
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline

    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        steps_offset=1,
        timestep_spacing="leading",
    )
    return StableDiffusionXLPipeline(
        vae=tiny_vae(seed=seed),
        text_encoder=tiny_text_encoder(width=width, seed=seed),
        text_encoder_2=tiny_text_encoder_2(width=width_2, seed=seed + 1),
        tokenizer=build_clip_tokenizer(),
        tokenizer_2=build_clip_tokenizer(pad_token="!"),
        unet=tiny_sdxl_unet(width + width_2, width_2, seed=seed),
        scheduler=scheduler,
        force_zeros_for_empty_prompt=True,
        add_watermarker=False,
    )


def tiny_sd2_pipeline(width: int = 32, seed: int = 0):
    """A StableDiffusionPipeline shaped like SD 2.x: tokenizer padding with "!", linear
    projections in the UNet's transformers and a v-prediction scheduler."""
    from diffusers import DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel

    _seeded(seed)
    unet = UNet2DConditionModel(
        sample_size=8,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=width,
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        norm_num_groups=32,
    ).eval()
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
        prediction_type="v_prediction",
    )
    return StableDiffusionPipeline(
        unet=unet,
        vae=tiny_vae(seed=seed),
        text_encoder=tiny_text_encoder(width=width, seed=seed),
        tokenizer=build_clip_tokenizer(pad_token="!"),
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )


def sd15_vae(seed: int = 0, device: str | torch.device = "cpu", scaling_factor: float = 0.18215):
    """Stable Diffusion 1.x's AutoencoderKL architecture (83.7M parameters) with random weights;
    SDXL's VAE has the same architecture with `scaling_factor=0.13025`."""
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
            scaling_factor=scaling_factor,
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


SDXL_UNET_CONFIG = {
    "sample_size": 128,
    "in_channels": 4,
    "out_channels": 4,
    "layers_per_block": 2,
    "block_out_channels": (320, 640, 1280),
    "down_block_types": ("DownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D"),
    "up_block_types": ("CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"),
    "transformer_layers_per_block": (1, 2, 10),
    "attention_head_dim": (5, 10, 20),
    "cross_attention_dim": 2048,
    "use_linear_projection": True,
    "addition_embed_type": "text_time",
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 2816,
    "norm_num_groups": 32,
}  # stabilityai/stable-diffusion-xl-base-1.0 unet/config.json (the fields that shape it)


class _KVOnly(torch.nn.Module):
    """A cross-attention module reduced to what the erasers read: bias-free to_k and to_v."""

    is_cross_attention = True

    def __init__(self, d_out: int, d_in: int) -> None:
        super().__init__()
        self.to_k = torch.nn.Linear(d_in, d_out, bias=False)
        self.to_v = torch.nn.Linear(d_in, d_out, bias=False)


def sdxl_kv_unet(seed: int = 0, device: str | torch.device = "cpu"):
    """Every attn2 to_k/to_v of SDXL base's UNet (70 modules, 140 matrices, 2048-wide input),
    with the real state-dict names, in the real module order, with random weights; nothing else
    of the UNet (2.6B parameters) is built. Names and shapes are read from the real architecture
    instantiated on the meta device."""
    from diffusers import UNet2DConditionModel
    from diffusers.configuration_utils import FrozenDict

    with torch.device("meta"):
        real = UNet2DConditionModel(**SDXL_UNET_CONFIG)
    shapes = [
        (name, tuple(module.to_k.weight.shape))
        for name, module in real.named_modules()
        if name.endswith("attn2") and getattr(module, "is_cross_attention", False)
    ]
    _seeded(seed)
    root = torch.nn.Module()
    with torch.device(device):
        for name, (d_out, d_in) in shapes:
            parent = root
            parts = name.split(".")
            for part in parts[:-1]:
                if not hasattr(parent, part):
                    parent.add_module(part, torch.nn.Module())
                parent = getattr(parent, part)
            layer = _KVOnly(d_out, d_in)
            std = d_in**-0.5
            torch.nn.init.normal_(layer.to_k.weight, std=std)
            torch.nn.init.normal_(layer.to_v.weight, std=std)
            parent.add_module(parts[-1], layer)
    root.config = FrozenDict(SDXL_UNET_CONFIG)
    return root.eval()


def vit_bigg_text_encoder(seed: int = 0, device: str | torch.device = "cpu"):
    """OpenCLIP ViT-bigG/14's text tower as SDXL's `text_encoder_2` (695M parameters, with
    projection), random weights."""
    from transformers import CLIPTextConfig, CLIPTextModelWithProjection

    _seeded(seed)
    cfg = CLIPTextConfig(
        vocab_size=49408,
        hidden_size=1280,
        intermediate_size=5120,
        num_hidden_layers=32,
        num_attention_heads=20,
        max_position_embeddings=77,
        hidden_act="gelu",
        projection_dim=1280,
        bos_token_id=0,
        eos_token_id=2,
        pad_token_id=1,
    )
    with torch.device(device):
        return CLIPTextModelWithProjection(cfg).eval()


def sdxl_shaped_pipeline(seed: int = 0, device: str | torch.device = "cpu"):
    """A StableDiffusionXLPipeline with SDXL base 1.0's exact architecture (UNet 2.57B, ViT-L/14
    and ViT-bigG/14 text towers, the VAE) and scheduler configuration, seeded random weights:
    3.5B parameters, about 14 GB in float32. `device="meta"` builds the shapes alone."""
    from diffusers import EulerDiscreteScheduler, StableDiffusionXLPipeline, UNet2DConditionModel

    _seeded(seed)
    with torch.device(device):
        unet = UNet2DConditionModel(**SDXL_UNET_CONFIG).eval()
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        num_train_timesteps=1000,
        steps_offset=1,
        timestep_spacing="leading",
    )  # stabilityai/stable-diffusion-xl-base-1.0 scheduler/scheduler_config.json
    return StableDiffusionXLPipeline(
        vae=sd15_vae(seed=seed, device=device, scaling_factor=0.13025),
        text_encoder=vit_l14_text_encoder(seed=seed, device=device),
        text_encoder_2=vit_bigg_text_encoder(seed=seed + 1, device=device),
        tokenizer=build_clip_tokenizer(),
        tokenizer_2=build_clip_tokenizer(pad_token="!"),
        unet=unet,
        scheduler=scheduler,
        force_zeros_for_empty_prompt=True,
        add_watermarker=False,
    )
