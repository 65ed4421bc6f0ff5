"""Train the toy-world AutoencoderKL (32x32 RGB <-> 4x8x8 latents) on fresh renders."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from audits.toyworld.arch import build_vae
from audits.toyworld.common import DEFAULT_WORK, Log, cosine_lr, setup, write_json
from audits.toyworld.render import render_dataset, to_tensor


def train_vae(seed: int, out: Path, steps: int, threads: int, batch: int = 32) -> dict:
    """Train with MSE + a tiny KL term; set scaling_factor to 1/std of the latent means."""
    log = Log("vae")
    gen = setup(seed, threads)
    images, _ = render_dataset(600, seed + 101)
    data = to_tensor(images)
    vae = build_vae().train()
    opt = torch.optim.AdamW(vae.parameters(), lr=1e-3, weight_decay=0.0)
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = cosine_lr(step, steps, 2e-3, 100)
        idx = torch.randint(0, len(data), (batch,), generator=gen)
        x = data[idx]
        post = vae.encode(x).latent_dist
        z = post.mean + post.std * torch.randn(post.mean.shape, generator=gen)
        rec = vae.decode(z).sample
        loss = torch.nn.functional.mse_loss(rec, x) + 1e-6 * post.kl().mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            log(f"step {step} loss {loss.item():.5f}")
    vae.eval()
    held, _ = render_dataset(20, seed + 9001)
    with torch.no_grad():
        x = to_tensor(held)
        means = torch.cat(
            [vae.encode(x[i : i + 240]).latent_dist.mean for i in range(0, len(x), 240)]
        )
        scale = float(1.0 / means.std())
        rec = torch.cat(
            [vae.decode(m.unsqueeze(0) if m.dim() == 3 else m).sample for m in means.split(240)]
        )
        mse = torch.mean(((rec.clamp(-1, 1) - x) / 2) ** 2).item()
    vae.register_to_config(scaling_factor=scale)
    psnr = float(-10 * torch.log10(torch.tensor(mse)))
    vae.save_pretrained(out / "vae")
    info = {
        "steps": steps,
        "batch": batch,
        "seconds": log.elapsed(),
        "psnr_db": psnr,
        "scaling_factor": scale,
        "threads": threads,
        "seed": seed,
    }
    write_json(out / "vae_info.json", info)
    log(f"done {info}")
    return info


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=DEFAULT_WORK)
    p.add_argument("--steps", type=int, default=400)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    train_vae(a.seed, a.out, a.steps, a.threads)


if __name__ == "__main__":
    main()
