"""The anchors' CLIP score on the same weights: an open_clip CLIP (ViT towers) copied into a
transformers `CLIPModel`, scored by torchmetrics' `CLIPScore` with an offline `CLIPProcessor`.

transformers 5 returns output objects from `get_image_features` / `get_text_features` while
torchmetrics 1.9 expects tensors (Lightning-AI/torchmetrics#3428); `TensorCLIP` returns the
pooled tensors, nothing else changes.
"""

from __future__ import annotations

import torch


def hf_config(model_cfg: dict, quick_gelu: bool):
    """transformers CLIPConfig of an open_clip model config (ViT towers, no custom text)."""
    from transformers import CLIPConfig, CLIPTextConfig, CLIPVisionConfig

    v, t = model_cfg["vision_cfg"], model_cfg["text_cfg"]
    act = "quick_gelu" if quick_gelu else "gelu"
    vw = v["width"]
    text = CLIPTextConfig(
        vocab_size=t.get("vocab_size", 49408),
        hidden_size=t["width"],
        intermediate_size=int(t["width"] * t.get("mlp_ratio", 4.0)),
        num_hidden_layers=t["layers"],
        num_attention_heads=t["heads"],
        max_position_embeddings=t.get("context_length", 77),
        hidden_act=act,
        projection_dim=model_cfg["embed_dim"],
        bos_token_id=49406,
        eos_token_id=49407,
        pad_token_id=49407,
        layer_norm_eps=1e-5,
    )
    vision = CLIPVisionConfig(
        hidden_size=vw,
        intermediate_size=int(vw * v.get("mlp_ratio", 4.0)),
        num_hidden_layers=v["layers"],
        num_attention_heads=vw // v.get("head_width", 64),
        image_size=v["image_size"],
        patch_size=v["patch_size"],
        hidden_act=act,
        projection_dim=model_cfg["embed_dim"],
        layer_norm_eps=1e-5,
    )
    return CLIPConfig(
        text_config=text.to_dict(),
        vision_config=vision.to_dict(),
        projection_dim=model_cfg["embed_dim"],
    )


def _blocks(prefix_oc: str, prefix_hf: str, sd: dict, out: dict, layers: int) -> None:
    for i in range(layers):
        o, h = f"{prefix_oc}.resblocks.{i}", f"{prefix_hf}.encoder.layers.{i}"
        q, k, v = sd[f"{o}.attn.in_proj_weight"].chunk(3)
        qb, kb, vb = sd[f"{o}.attn.in_proj_bias"].chunk(3)
        out |= {
            f"{h}.self_attn.q_proj.weight": q,
            f"{h}.self_attn.q_proj.bias": qb,
            f"{h}.self_attn.k_proj.weight": k,
            f"{h}.self_attn.k_proj.bias": kb,
            f"{h}.self_attn.v_proj.weight": v,
            f"{h}.self_attn.v_proj.bias": vb,
            f"{h}.self_attn.out_proj.weight": sd[f"{o}.attn.out_proj.weight"],
            f"{h}.self_attn.out_proj.bias": sd[f"{o}.attn.out_proj.bias"],
            f"{h}.layer_norm1.weight": sd[f"{o}.ln_1.weight"],
            f"{h}.layer_norm1.bias": sd[f"{o}.ln_1.bias"],
            f"{h}.layer_norm2.weight": sd[f"{o}.ln_2.weight"],
            f"{h}.layer_norm2.bias": sd[f"{o}.ln_2.bias"],
            f"{h}.mlp.fc1.weight": sd[f"{o}.mlp.c_fc.weight"],
            f"{h}.mlp.fc1.bias": sd[f"{o}.mlp.c_fc.bias"],
            f"{h}.mlp.fc2.weight": sd[f"{o}.mlp.c_proj.weight"],
            f"{h}.mlp.fc2.bias": sd[f"{o}.mlp.c_proj.bias"],
        }


def to_hf_state(sd: dict, model_cfg: dict) -> dict:
    """open_clip state dict (ViT towers) -> transformers CLIPModel state dict."""
    v, t = model_cfg["vision_cfg"], model_cfg["text_cfg"]
    out: dict = {
        "vision_model.embeddings.patch_embedding.weight": sd["visual.conv1.weight"],
        "vision_model.embeddings.class_embedding": sd["visual.class_embedding"],
        "vision_model.embeddings.position_embedding.weight": sd["visual.positional_embedding"],
        "vision_model.pre_layrnorm.weight": sd["visual.ln_pre.weight"],
        "vision_model.pre_layrnorm.bias": sd["visual.ln_pre.bias"],
        "vision_model.post_layernorm.weight": sd["visual.ln_post.weight"],
        "vision_model.post_layernorm.bias": sd["visual.ln_post.bias"],
        "visual_projection.weight": sd["visual.proj"].T.contiguous(),
        "text_model.embeddings.token_embedding.weight": sd["token_embedding.weight"],
        "text_model.embeddings.position_embedding.weight": sd["positional_embedding"],
        "text_model.final_layer_norm.weight": sd["ln_final.weight"],
        "text_model.final_layer_norm.bias": sd["ln_final.bias"],
        "text_projection.weight": sd["text_projection"].T.contiguous(),
        "logit_scale": sd["logit_scale"],
    }
    _blocks("visual.transformer", "vision_model", sd, out, v["layers"])
    _blocks("transformer", "text_model", sd, out, t["layers"])
    return {k: val.float() for k, val in out.items()}


def torchmetrics_clip_score(
    open_clip_state: dict, model_cfg: dict, quick_gelu: bool, tokenizer, backend: str = "pil"
):
    """A torchmetrics CLIPScore over the same weights (returns the metric object).

    `backend`: transformers' image processor, `pil` (CLIPImageProcessorPil: PIL bicubic resize,
    the only one transformers 4 had, which the published numbers used) or `torchvision`
    (transformers 5's default CLIPImageProcessor: resizes tensors with torchvision)."""
    from torchmetrics.multimodal.clip_score import CLIPScore
    from transformers import CLIPImageProcessor, CLIPImageProcessorPil, CLIPModel, CLIPProcessor

    class TensorCLIP(CLIPModel):
        def get_image_features(self, *a, **k):
            return super().get_image_features(*a, **k).pooler_output

        def get_text_features(self, *a, **k):
            return super().get_text_features(*a, **k).pooler_output

    config = hf_config(model_cfg, quick_gelu)
    model = TensorCLIP(config).eval()
    missing, unexpected = model.load_state_dict(
        to_hf_state(open_clip_state, model_cfg), strict=False
    )
    assert not unexpected and all("position_ids" in m for m in missing), (missing, unexpected)
    size = model_cfg["vision_cfg"]["image_size"]
    processor = CLIPProcessor(
        image_processor=(CLIPImageProcessorPil if backend == "pil" else CLIPImageProcessor)(
            size={"shortest_edge": size},
            crop_size={"height": size, "width": size},
            do_convert_rgb=True,
        ),
        tokenizer=tokenizer,
    )
    return CLIPScore(model_name_or_path=lambda: (model, processor))


def reference_scores(metric, images, prompts) -> tuple[list[float], list[float]]:
    """Per image: torchmetrics' 100 * cos before its clamp (`_clip_score_update`, what
    `CLIPScore.update` accumulates) and `CLIPScore` itself over that one image."""
    import numpy as np
    from torchmetrics.functional.multimodal.clip_score import _clip_score_update

    raw, clipped = [], []
    for image, prompt in zip(images, prompts, strict=True):
        x = torch.from_numpy(np.array(image.convert("RGB"))).permute(2, 0, 1)
        score, _ = _clip_score_update(x, prompt, metric.model, metric.processor)
        raw.append(float(score.reshape(-1)[0]))
        metric.reset()
        metric.update(x, prompt)
        clipped.append(float(metric.compute()))
    return raw, clipped
