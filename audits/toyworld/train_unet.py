"""Train the toy-world UNet on VAE latents of fresh renders, conditioned on the frozen text encoder.

Cheap levers that matter on a CPU budget: latents and caption embeddings are computed once,
batches are class-balanced, the loss uses min-SNR-5 weighting, and EMA uses a warm-up.
"""

from __future__ import annotations

import argparse
import copy
import random
from pathlib import Path

import torch

from audits.models.clip_tokenizer import build_clip_tokenizer
from audits.toyworld.arch import build_train_scheduler, build_unet
from audits.toyworld.common import DEFAULT_WORK, Log, cosine_lr, setup, write_json
from audits.toyworld.render import render_dataset, to_tensor
from audits.toyworld.world import (
    COLOURS,
    CONCEPTS,
    GENERIC_CAPTIONS,
    SHAPES,
    all_captions,
    colour_captions,
    shape_captions,
)

UNCOND_P = 0.1
GENERIC_P = 0.05
# Attribute-only captions: with this probability a sample gets a colour-only caption (half of
# them) or a shape-only one (the other half) of its concept. Batches are class-balanced, so the
# image behind "a yellow" is a yellow shape of a uniformly random shape, and vice versa.
# Off for the committed weights: a retrain with 0.24 (MODEL_CARD.md, "Attribute-only captions")
# generated slightly better but made ScaPre's edits much weaker, so it was not committed.
# With 0 the caption table, the random streams and the weights are exactly those of before.
ATTRIBUTE_P = 0.0


@torch.no_grad()
def encode_latents(vae, images: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """Scaled posterior means of the VAE for a tensor of images in [-1, 1]."""
    out = [vae.encode(images[i : i + chunk]).latent_dist.mean for i in range(0, len(images), chunk)]
    return torch.cat(out) * vae.config.scaling_factor


@torch.no_grad()
def encode_captions(text_encoder, captions: list[str]) -> torch.Tensor:
    """last_hidden_state (N, 77, width) of the captions, padded to 77 like the SD pipeline."""
    tok = build_clip_tokenizer()
    ids = tok(
        captions, padding="max_length", max_length=77, truncation=True, return_tensors="pt"
    ).input_ids
    return torch.cat(
        [text_encoder(ids[i : i + 128]).last_hidden_state for i in range(0, len(ids), 128)]
    )


def caption_table() -> tuple[list[str], list[list[int]], int, list[int]]:
    """All captions; per-concept caption indices; the empty caption's index; generic indices."""
    captions: list[str] = []
    per_concept: list[list[int]] = []
    for concept in CONCEPTS:
        caps = all_captions(concept)
        per_concept.append(list(range(len(captions), len(captions) + len(caps))))
        captions += caps
    generic = list(range(len(captions), len(captions) + len(GENERIC_CAPTIONS)))
    captions += list(GENERIC_CAPTIONS)
    captions.append("")
    return captions, per_concept, len(captions) - 1, generic


def attribute_table(start: int) -> tuple[list[str], list[list[int]], list[list[int]]]:
    """Colour-only and shape-only captions, indexed from `start`; per-concept index lists."""
    captions: list[str] = []
    by_colour: dict[str, list[int]] = {}
    by_shape: dict[str, list[int]] = {}
    for colour in COLOURS:
        caps = colour_captions(colour)
        by_colour[colour] = list(range(start + len(captions), start + len(captions) + len(caps)))
        captions += caps
    for shape in SHAPES:
        caps = shape_captions(shape)
        by_shape[shape] = list(range(start + len(captions), start + len(captions) + len(caps)))
        captions += caps
    colour_idx = [by_colour[c.colour] for c in CONCEPTS]
    shape_idx = [by_shape[c.shape] for c in CONCEPTS]
    return captions, colour_idx, shape_idx


def train_unet(
    seed: int,
    work: Path,
    steps: int,
    threads: int,
    batch: int = 64,
    lr: float = 1e-3,
    per_concept: int = 500,
    attribute_p: float = ATTRIBUTE_P,
) -> dict:
    from diffusers import AutoencoderKL
    from transformers import CLIPTextModel

    log = Log("unet")
    gen = setup(seed, threads)
    rng = random.Random(seed)
    vae = AutoencoderKL.from_pretrained(work / "vae").eval()
    te = CLIPTextModel.from_pretrained(work / "text_encoder").eval()
    images, ids = render_dataset(per_concept, seed + 303)
    latents = encode_latents(vae, to_tensor(images))
    ids = torch.from_numpy(ids)
    captions, per_concept_caps, empty_idx, generic_idx = caption_table()
    cond = encode_captions(te, captions)
    colour_idx = shape_idx = []
    if attribute_p > 0:  # encoded apart, so the other captions' states do not change
        attr_caps, colour_idx, shape_idx = attribute_table(len(captions))
        cond = torch.cat([cond, encode_captions(te, attr_caps)])
    log(f"latents {tuple(latents.shape)} std {latents.std():.3f}; captions {tuple(cond.shape)}")
    by_concept = [torch.nonzero(ids == c.index).flatten() for c in CONCEPTS]

    sched = build_train_scheduler()
    acp = sched.alphas_cumprod
    snr = acp / (1 - acp)
    loss_weight = torch.clamp(snr, max=5.0) / snr
    unet = build_unet().train()
    ema = copy.deepcopy(unet).eval().requires_grad_(False)
    opt = torch.optim.AdamW(unet.parameters(), lr=lr, weight_decay=0.01)
    n_concepts = len(CONCEPTS)
    running = 0.0
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, steps, lr, 200)
        concept_ids = torch.randperm(n_concepts, generator=gen).repeat(batch // n_concepts + 1)[
            :batch
        ]
        pick = [
            by_concept[int(c)][torch.randint(0, len(by_concept[int(c)]), (1,), generator=gen)]
            for c in concept_ids
        ]
        x0 = latents[torch.cat(pick)]
        cap_idx = []
        for c in concept_ids.tolist():
            u = rng.random()
            if u < UNCOND_P:
                cap_idx.append(empty_idx)
            elif u < UNCOND_P + GENERIC_P:
                cap_idx.append(rng.choice(generic_idx))
            elif u < UNCOND_P + GENERIC_P + attribute_p / 2:
                cap_idx.append(rng.choice(colour_idx[c]))
            elif u < UNCOND_P + GENERIC_P + attribute_p:
                cap_idx.append(rng.choice(shape_idx[c]))
            else:
                cap_idx.append(rng.choice(per_concept_caps[c]))
        t = torch.randint(0, 1000, (batch,), generator=gen)
        noise = torch.randn(x0.shape, generator=gen)
        xt = sched.add_noise(x0, noise, t)
        pred = unet(xt, t, encoder_hidden_states=cond[cap_idx]).sample
        per_sample = ((pred - noise) ** 2).mean(dim=(1, 2, 3))
        loss = (per_sample * loss_weight[t]).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(unet.parameters(), 1.0)
        opt.step()
        decay = min(0.999, (1 + step) / (10 + step))
        with torch.no_grad():
            for pe, p in zip(ema.parameters(), unet.parameters(), strict=True):
                pe.lerp_(p, 1 - decay)
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step % 100 == 0 or step == steps - 1:
            log(f"step {step} loss {running:.4f}")
        if step > 0 and step % 400 == 0:
            ema.save_pretrained(work / "unet_ema")
    ema.save_pretrained(work / "unet_ema")
    unet.eval().save_pretrained(work / "unet_raw")
    info = {
        "steps": steps,
        "batch": batch,
        "lr": lr,
        "seconds": log.elapsed(),
        "final_loss_ema": running,
        "threads": threads,
        "seed": seed,
        "renders_per_concept": per_concept,
        "caption_mix": {  # probabilities per sample
            "empty": UNCOND_P,
            "generic": GENERIC_P,
            "colour_only": attribute_p / 2,
            "shape_only": attribute_p / 2,
            "concept": 1 - UNCOND_P - GENERIC_P - attribute_p,
        },
    }
    write_json(work / "unet_info.json", info)
    log(f"done {info}")
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--steps", type=int, default=2400)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--attribute-p", type=float, default=ATTRIBUTE_P)
    a = p.parse_args()
    train_unet(a.seed, a.work, a.steps, a.threads, lr=a.lr, attribute_p=a.attribute_p)


if __name__ == "__main__":
    main()
