"""Train the toy world's open_clip evaluator: a custom small ViT/text-transformer CLIP, saved as
an open_clip `local-dir:` folder (open_clip_config.json + open_clip_model.safetensors) so that
`open_clip.create_model_and_transforms("local-dir:<folder>")` loads it like any released model.

It is a separate model from the generator's text encoder, as real audits use a different CLIP.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from audits.toyworld.common import DEFAULT_WORK, Log, cosine_lr, setup, write_json
from audits.toyworld.contrastive import PairSampler, clip_loss, zero_shot_accuracy
from audits.toyworld.world import CONCEPTS

MODEL_CFG = {
    "embed_dim": 64,
    "vision_cfg": {
        "image_size": 32,
        "layers": 3,
        "width": 96,
        "patch_size": 8,
        "head_width": 32,
        "mlp_ratio": 2.0,
    },
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 64, "heads": 4, "layers": 2},
}
PREPROCESS_CFG = {
    "size": 32,
    "mean": [0.5, 0.5, 0.5],
    "std": [0.5, 0.5, 0.5],
    "interpolation": "bicubic",
    "resize_mode": "shortest",
}


def write_open_clip_folder(model, folder: Path, fp16: bool = True) -> None:
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {
        k: (v.half() if fp16 and v.is_floating_point() else v).detach().clone().contiguous()
        for k, v in model.state_dict().items()
    }
    save_file(state, str(folder / "open_clip_model.safetensors"))
    cfg = {"model_cfg": MODEL_CFG, "preprocess_cfg": PREPROCESS_CFG}
    (folder / "open_clip_config.json").write_text(json.dumps(cfg, indent=2) + "\n")


def train_open_clip(seed: int, work: Path, out: Path, steps: int, threads: int, batch: int = 64):
    import open_clip
    from open_clip.model import CLIP

    log = Log("open_clip")
    setup(seed, threads)
    sampler = PairSampler(200, seed + 505)
    tokenizer = open_clip.get_tokenizer("ViT-B-32")  # the same SimpleTokenizer as the saved config
    model = CLIP(**MODEL_CFG).train()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.05)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, steps, 1e-3, 50)
        images, captions, ids = sampler.batch(batch)
        img = model.encode_image(images)
        txt = model.encode_text(tokenizer(captions))
        loss = clip_loss(img, txt, ids, model.logit_scale.clamp(max=4.6).exp())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"step {step} loss {loss.item():.4f}")
    model.eval()
    held = PairSampler(20, seed + 9505)
    with torch.no_grad():
        class_txt = model.encode_text(tokenizer([c.prompt for c in CONCEPTS]))
        acc = zero_shot_accuracy(model.encode_image(held.images), class_txt, held.ids)
    write_open_clip_folder(model, out)
    info = {
        "steps": steps,
        "batch": batch,
        "seconds": log.elapsed(),
        "final_loss": loss.item(),
        "zero_shot_acc_heldout_fp32": acc,
        "seed": seed,
        "threads": threads,
    }
    write_json(work / "open_clip_info.json", info)
    log(f"done {info}")
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--out", type=Path, default=DEFAULT_WORK / "open_clip")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    train_open_clip(a.seed, a.work, a.out, a.steps, a.threads)


if __name__ == "__main__":
    main()
