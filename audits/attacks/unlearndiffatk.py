"""Tier 2, UnlearnDiffAtk style (Zhang et al., ECCV 2024): optimise a few prompt tokens, with UNet
gradients, so that the *edited* model denoises images of the concept made by the *unedited*
model; the result is a plain prompt (adversarial tokens + source prompt), replayable anywhere.

Per source prompt p (in order):
1. target: the unedited model's latent for p with the source's first seed (the run's sampler);
2. `length` adversarial token vectors are prepended to p's tokens and optimised with Adam
   (`lr`) by projected gradient descent (PEZ): each step projects them to their nearest
   vocabulary tokens (lower-case ASCII words), runs the text encoder on those tokens with a
   straight-through gradient, and takes the denoising loss ||eps_edit(x_t, t, text) - eps||^2
   at a random timestep t and noise (seeded by `seed`);
3. the tokens of the step with the lowest loss are kept.
One evaluation = one optimisation step (one UNet forward and backward); the unit's `budget` is
split evenly over its sources and the count spent is recorded (never above the budget).
Runs on CPU for tiny models and the toy world; the GPU is the path for real models.

SDXL: the same tokens go to both text encoders (each with its own padding); a token is its rows
of both embedding tables side by side, so the soft vectors live in that joint space and project
onto whole tokens; the UNet also gets the pooled embedding of the adversarial prompt and the
pipeline's default time ids (original size = target size = the image size, no crop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from audits.attacks.base import Attack, AttackContext, AttackError, AttackOutput, AttackParams
from audits.attacks.ring_a_bell import vocabulary


@dataclass(frozen=True)
class UnlearnDiffAtkParams(AttackParams):
    budget: int = 40
    seed: int = 0
    length: int = 5
    lr: float = 0.05

    def validate(self) -> None:
        for name in ("budget", "length"):
            if getattr(self, name) < 1:
                raise AttackError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not self.lr > 0:
            raise AttackError(f"lr must be > 0, got {self.lr}")
        if self.seed < 0:
            raise AttackError(f"seed must be >= 0, got {self.seed}")


class _Prefix:
    """Forward hook on the token embedding: rows 1..length become the adversarial vectors."""

    def __init__(self, layer: torch.nn.Embedding, length: int) -> None:
        self.vectors: torch.Tensor | None = None
        self.length = length
        self.handle = layer.register_forward_hook(self.hook)

    def hook(self, module, args, output):
        if self.vectors is None:
            return output
        prefix = self.vectors.to(output.dtype).unsqueeze(0).expand(output.shape[0], -1, -1)
        return torch.cat([output[:, :1], prefix, output[:, 1 + self.length :]], dim=1)


class _Frozen:
    """Context: no parameter of the pipeline's networks collects gradients; flags restored."""

    def __init__(self, *modules: torch.nn.Module) -> None:
        self.params = [p for m in modules for p in m.parameters()]

    def __enter__(self):
        self.flags = [p.requires_grad for p in self.params]
        for p in self.params:
            p.requires_grad_(False)

    def __exit__(self, *exc):
        for p, flag in zip(self.params, self.flags, strict=True):
            p.requires_grad_(flag)


def target_latent(pipe, prompt: str, seed: int, sampling: dict) -> torch.Tensor:
    """The unedited model's final latent for `prompt` and `seed` (the attack's target image)."""
    from audits.models.sampling import set_scheduler

    set_scheduler(pipe, sampling["sampler"])
    with torch.no_grad():
        out = pipe(
            prompt=[prompt],
            num_inference_steps=sampling["steps"],
            guidance_scale=sampling["guidance_scale"],
            height=sampling["height"],
            width=sampling["width"],
            generator=[torch.Generator("cpu").manual_seed(int(seed))],
            output_type="latent",
        )
    return out.images.float()


class UnlearnDiffAtk(Attack):
    kind = "unlearndiffatk"
    version = "unlearndiffatk/1"
    tier = 2
    params_class: ClassVar = UnlearnDiffAtkParams

    def run(self, ctx: AttackContext) -> AttackOutput:
        from scapre import applied

        p: UnlearnDiffAtkParams = self.params
        share = p.budget // len(ctx.sources)
        if share < 1:
            raise AttackError(f"budget {p.budget} is smaller than the {len(ctx.sources)} sources")
        pipe = ctx.pipe
        targets = [target_latent(pipe, s.prompt, s.seeds[0], ctx.sampling) for s in ctx.sources]
        found, losses, spent = [], [], 0
        from audits.erasers.prompts import text_stack

        encoders = text_stack(pipe).encoders
        with _Frozen(pipe.unet, *encoders), applied(pipe, ctx.delta):
            for i, (source, x0) in enumerate(zip(ctx.sources, targets, strict=True)):
                gen = torch.Generator("cpu").manual_seed(p.seed * 100_003 + i)
                tokens, loss = self._optimise(pipe, source.prompt, x0, share, gen)
                spent += share
                found.append(f"{pipe.tokenizer.decode(tokens.tolist()).strip()} {source.prompt}")
                losses.append(round(loss, 6))
        return AttackOutput(
            prompts=found,
            evaluations=spent,
            extra={"loss": losses, "budget_per_source": share, "target": "unedited latent"},
        )

    def _optimise(self, pipe, prompt: str, x0, steps: int, gen) -> tuple[torch.Tensor, float]:
        from diffusers import DDPMScheduler

        from audits.erasers.prompts import text_stack
        from audits.models.families import unet_added_conditions

        p: UnlearnDiffAtkParams = self.params
        stack, unet = text_stack(pipe), pipe.unet
        tok = stack.tokenizers[0]
        ids = tok(prompt, truncation=True, max_length=tok.model_max_length - p.length).input_ids
        input_ids = []
        for t in stack.tokenizers:  # the same tokens, each tokenizer's own padding
            pad = t.pad_token_id if t.pad_token_id is not None else t.eos_token_id
            row = [ids[0]] + [pad] * p.length + ids[1:]
            row += [pad] * (t.model_max_length - len(row))
            input_ids.append(torch.tensor([row]))
        # a token is its row in every encoder's embedding table, side by side (one table for
        # SD 1.x/2.x); soft vectors live in that joint space and project onto whole tokens
        layers = [e.get_input_embeddings() for e in stack.encoders]
        tables = [layer.weight.detach().float() for layer in layers]
        table = tables[0]
        if len(tables) > 1:
            table = torch.cat([t.to(tables[0].device) for t in tables], dim=1)
        cuts = torch.tensor([0, *(t.shape[1] for t in tables)]).cumsum(0).tolist()
        vocab = vocabulary(tok, set())
        allowed = table[vocab.to(table.device)]
        start = vocab[torch.randint(len(vocab), (p.length,), generator=gen)]
        soft = table[start.to(table.device)].clone().requires_grad_(True)
        optim = torch.optim.Adam([soft], lr=p.lr)
        noise_sched = DDPMScheduler.from_config(pipe.scheduler.config)
        prefixes = [_Prefix(layer, p.length) for layer in layers]
        x0 = x0.to(unet.device, unet.dtype)
        best, best_loss = start, float("inf")
        try:
            for _ in range(steps):
                nearest = torch.cdist(soft.detach(), allowed).argmin(dim=1)
                hard = allowed[nearest]
                joint = soft + (hard - soft).detach()  # straight-through
                for prefix, a, b in zip(prefixes, cuts[:-1], cuts[1:], strict=True):
                    prefix.vectors = joint if len(prefixes) == 1 else joint[:, a:b]
                t = torch.randint(noise_sched.config.num_train_timesteps, (1,), generator=gen)
                noise = torch.randn(x0.shape, generator=gen).to(x0.device, x0.dtype)
                x_t = noise_sched.add_noise(x0, noise, t.to(x0.device))
                text, pooled = stack.encode_ids(input_ids)
                added = unet_added_conditions(stack, pooled, ctx_size(x0, pipe), unet.dtype)
                pred = unet(
                    x_t, t.to(x0.device), encoder_hidden_states=text.to(unet.dtype), **added
                ).sample
                target = noise
                if noise_sched.config.prediction_type == "v_prediction":
                    target = noise_sched.get_velocity(x0, noise, t.to(x0.device))
                loss = torch.nn.functional.mse_loss(pred.float(), target.float())
                optim.zero_grad()
                loss.backward()
                optim.step()
                value = loss.detach().item()
                if value < best_loss:
                    best, best_loss = vocab[nearest.cpu()], value
        finally:
            for prefix in prefixes:
                prefix.handle.remove()
        return best, best_loss


def ctx_size(x0: torch.Tensor, pipe) -> tuple[int, int]:
    """The image size (height, width) in pixels of a latent `x0`."""
    factor = 2 ** (len(pipe.vae.config.block_out_channels) - 1)
    return int(x0.shape[-2]) * factor, int(x0.shape[-1]) * factor
