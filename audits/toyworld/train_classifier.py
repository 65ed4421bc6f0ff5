"""Train the label classifier on clean renders, their VAE reconstructions, and empty backgrounds.

Reconstructions matter: trained on clean renders only, a classifier misreads decoded images.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from audits.toyworld.classifier import NONE_SHAPE, ToyClassifier, save_classifier
from audits.toyworld.common import DEFAULT_WORK, Log, cosine_lr, setup, write_json
from audits.toyworld.render import IMAGE_SIZE, render_dataset, to_tensor
from audits.toyworld.world import SHAPES


def empty_backgrounds(n: int, seed: int) -> torch.Tensor:
    """Plain light backgrounds with noise: the "none" class."""
    rng = np.random.default_rng(seed)
    level = rng.uniform(200, 250, size=(n, 1, 1, 1)) + rng.uniform(-6, 6, size=(n, 1, 1, 3))
    img = level + rng.normal(
        0, rng.uniform(0, 12, size=(n, 1, 1, 1)), size=(n, IMAGE_SIZE, IMAGE_SIZE, 3)
    )
    return to_tensor(np.clip(img, 0, 255).astype(np.uint8))


@torch.no_grad()
def reconstruct(vae, x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    out = []
    for chunk in x.split(256):
        post = vae.encode(chunk).latent_dist
        out.append(
            vae.decode(post.mean + post.std * torch.randn(post.mean.shape, generator=gen)).sample
        )
    return torch.cat(out).clamp(-1, 1)


def labels(ids: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return ids // len(SHAPES), ids % len(SHAPES)


@torch.no_grad()
def family_accuracy(model: ToyClassifier, x: torch.Tensor, ids: torch.Tensor) -> dict[str, float]:
    colour, shape = labels(ids)
    lc, ls = model.eval()(x)
    return {
        "colour": float((lc.argmax(1) == colour).float().mean()),
        "shape": float((ls.argmax(1) == shape).float().mean()),
        "concept": float(((lc.argmax(1) == colour) & (ls.argmax(1) == shape)).float().mean()),
    }


def train_classifier(seed: int, work: Path, out: Path, steps: int, threads: int, batch: int = 128):
    from diffusers import AutoencoderKL

    log = Log("classifier")
    gen = setup(seed, threads)
    vae = AutoencoderKL.from_pretrained(work / "vae").eval()
    images, ids = render_dataset(150, seed + 404)
    clean = to_tensor(images)
    x = torch.cat([clean, reconstruct(vae, clean, gen), empty_backgrounds(600, seed + 405)])
    ids = torch.from_numpy(ids)
    colour, shape = labels(ids)
    colour = torch.cat([colour, colour, torch.full((600,), -100)])
    shape = torch.cat([shape, shape, torch.full((600,), NONE_SHAPE)])
    model = ToyClassifier()
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=1e-4)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, steps, 3e-3, 30)
        idx = torch.randint(0, len(x), (batch,), generator=gen)
        xb = x[idx] + 0.03 * torch.randn(x[idx].shape, generator=gen)
        lc, ls = model.train()(xb)
        loss = F.cross_entropy(lc, colour[idx], ignore_index=-100) + F.cross_entropy(ls, shape[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"step {step} loss {loss.item():.4f}")
    held, held_ids = render_dataset(50, seed + 9404)
    held_x = to_tensor(held)
    held_ids = torch.from_numpy(held_ids)
    acc_clean = family_accuracy(model, held_x, held_ids)
    acc_rec = family_accuracy(model, reconstruct(vae, held_x, gen), held_ids)
    with torch.no_grad():
        none_acc = float(
            (model(empty_backgrounds(200, seed + 9405))[1].argmax(1) == NONE_SHAPE).float().mean()
        )
    info = {
        "steps": steps,
        "batch": batch,
        "seconds": log.elapsed(),
        "seed": seed,
        "threads": threads,
        "heldout_renders": len(held_ids),
        "accuracy_clean": acc_clean,
        "accuracy_vae_reconstructed": acc_rec,
        "none_accuracy_empty_backgrounds": none_acc,
    }
    save_classifier(model, out, {"seed": seed, "heldout_accuracy": acc_clean})
    write_json(work / "classifier_info.json", info)
    log(f"done {info}")
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--work", type=Path, default=DEFAULT_WORK)
    p.add_argument("--out", type=Path, default=DEFAULT_WORK / "classifier")
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    train_classifier(a.seed, a.work, a.out, a.steps, a.threads)


if __name__ == "__main__":
    main()
