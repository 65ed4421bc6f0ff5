"""Pretrain the generator's CLIP text encoder contrastively against a small conv image tower.

Why: closed-form erasure edits the keys/values of tail tokens (last word through EOS and
padding); they only carry the concept if the text encoder was trained like CLIP. A frozen random
encoder gives nearly identical tails for every prompt, and an edit then hits every concept.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from torch import nn

from audits.models.clip_tokenizer import build_clip_tokenizer
from audits.toyworld.arch import TEXT_WIDTH, build_text_encoder
from audits.toyworld.common import DEFAULT_WORK, Log, cosine_lr, setup, write_json
from audits.toyworld.contrastive import PairSampler, clip_loss, zero_shot_accuracy
from audits.toyworld.world import CONCEPTS


def image_tower(width: int = TEXT_WIDTH) -> nn.Module:
    """A 3-stage conv net to 1x1, ending in a linear projection to the text width."""

    def block(cin: int, cout: int, stride: int) -> list[nn.Module]:
        return [nn.Conv2d(cin, cout, 3, stride, 1), nn.GroupNorm(8, cout), nn.SiLU()]

    return nn.Sequential(
        *block(3, 32, 1),
        *block(32, 64, 2),
        *block(64, 128, 2),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(128, width),
    )


def tokenize(tokenizer, captions: list[str]) -> torch.Tensor:
    return tokenizer(
        captions, padding="max_length", max_length=77, truncation=True, return_tensors="pt"
    ).input_ids


def train_text_encoder(seed: int, out: Path, steps: int, threads: int, batch: int = 64) -> dict:
    log = Log("text")
    setup(seed, threads)
    sampler = PairSampler(200, seed + 202)
    tokenizer = build_clip_tokenizer()
    te = build_text_encoder().train()
    tower = image_tower()
    head = nn.Linear(TEXT_WIDTH, TEXT_WIDTH, bias=False)
    logit_scale = nn.Parameter(torch.tensor(2.66))
    params = [*te.parameters(), *tower.parameters(), *head.parameters(), logit_scale]
    opt = torch.optim.AdamW(params, lr=1e-3, weight_decay=0.01)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, steps, 1e-3, 50)
        images, captions, ids = sampler.batch(batch)
        txt = head(te(tokenize(tokenizer, captions)).pooler_output)
        loss = clip_loss(tower(images), txt, ids, logit_scale.clamp(max=4.6).exp())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"step {step} loss {loss.item():.4f}")
    te.eval()
    tower.eval()
    with torch.no_grad():
        prompts = tokenize(tokenizer, [c.prompt for c in CONCEPTS])
        class_txt = head(te(prompts).pooler_output)
        held = PairSampler(20, seed + 9002)
        acc = zero_shot_accuracy(tower(held.images), class_txt, held.ids)
        tails = te(prompts).last_hidden_state[:, 3:].flatten(1)
        tails = torch.nn.functional.normalize(tails, dim=-1)
        cos = tails @ tails.T
        off_diag = float(cos[~torch.eye(len(CONCEPTS), dtype=torch.bool)].mean())
    te.save_pretrained(out / "text_encoder")
    info = {
        "steps": steps,
        "batch": batch,
        "seconds": log.elapsed(),
        "final_loss": loss.item(),
        "zero_shot_acc_heldout": acc,
        "tail_cosine_between_prompts": off_diag,
        "threads": threads,
        "seed": seed,
    }
    write_json(out / "text_info.json", info)
    log(f"done {info}")
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_WORK)
    p.add_argument("--steps", type=int, default=500)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    train_text_encoder(a.seed, a.out, a.steps, a.threads)


if __name__ == "__main__":
    main()
