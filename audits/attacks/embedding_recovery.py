"""Tier 1, embedding recovery: the prompt embedding that makes the edited K/V reproduce what the
original model's K/V made of the concept (RECE's closed form, reused from `audits.erasers.rece`).

In a Stable-Diffusion UNet the text reaches the image only through the cross-attention key and
value projections. For every token embedding c of a source prompt it solves

    c' = argmin_c' sum_l ||W'_l c' - W_l c||^2 + lambda ||c'||^2
       = (lambda I + sum_l W'_l^T W'_l)^-1 (sum_l W'_l^T W_l) c

over all cross-attention K and V matrices l (the edited ones with their new weights W'_l, the
others unchanged, since the embedding reaches those too), with the regulariser lambda =
`regular_scale` (RECE's default 1e-3). A closed-form edit that only remaps some text directions
leaves this embedding able to bring the concept back; the attack then renders c' through
`prompt_embeds`. It touches only the K/V matrices: edits of other UNet weights are not inverted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

import torch

from audits.attacks.base import Attack, AttackContext, AttackError, AttackOutput, AttackParams


@dataclass(frozen=True)
class EmbeddingRecoveryParams(AttackParams):
    regular_scale: float = 1e-3
    dtype: Literal["float32", "float64"] = "float32"

    def validate(self) -> None:
        if not self.regular_scale > 0:
            raise AttackError(f"regular_scale must be > 0, got {self.regular_scale}")


def recovery_map(
    original: dict[str, torch.Tensor],
    edited: dict[str, torch.Tensor],
    regular_scale: float,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """K (d x d) with c' = K c for every token, over every K/V matrix (one d x d solve).
    float32 halves the cost of the Gram sums; the K/V residual it leaves matches float64's."""
    from audits.erasers.rece import adversarial_embeddings

    names = list(original)
    d = original[names[0]].shape[1]
    eye = torch.eye(d, dtype=dtype, device=original[names[0]].device)
    current = [edited[n].to(dtype) for n in names]
    before = [original[n].to(dtype) for n in names]
    # adversarial_embeddings(C) returns C K^T; with C = I that is K^T
    return adversarial_embeddings(current, before, eye, regular_scale).T


class EmbeddingRecovery(Attack):
    kind = "embedding_recovery"
    version = "embedding_recovery/1"
    tier = 1
    params_class: ClassVar = EmbeddingRecoveryParams

    def run(self, ctx: AttackContext) -> AttackOutput:
        from audits.erasers.prompts import encode_prompts

        prompts = [s.prompt for s in ctx.sources]
        enc = encode_prompts(ctx.pipe, prompts, dtype=torch.float64, device=ctx.device)
        rows = [enc.prompts.index(p) for p in prompts]
        p: EmbeddingRecoveryParams = self.params
        key = ("embedding_recovery", p.regular_scale, p.dtype)
        if key not in ctx.cache:  # one solve per edit, shared by its concepts
            dtype = getattr(torch, p.dtype)
            ctx.cache[key] = recovery_map(ctx.original, ctx.edited, p.regular_scale, dtype)
        K = ctx.cache[key].to(torch.float64)
        adv = enc.emb[rows] @ K.T
        content = int(enc.last[rows[0]]) + 2  # the first source through its EOS token
        residual = _residual(ctx, enc.emb[rows[0], :content], adv[0, :content])
        return AttackOutput(
            embeds=adv.to(torch.float32).cpu().contiguous(),
            extra={
                "matrices": len(ctx.original),
                "edited_matrices": len(ctx.edited_names),
                "relative_kv_residual": residual,
            },
        )


def _residual(ctx: AttackContext, plain: torch.Tensor, adv: torch.Tensor) -> dict[str, float]:
    """sum_l ||W'_l c' - W_l c|| / sum_l ||W_l c|| with c' and with the plain c (how far the
    edit moved the concept's K/V, and how much of that the embedding undoes), over the first
    source prompt's tokens through EOS (a cheap diagnostic, not the objective)."""
    base = sum(float((plain @ W.T).norm()) for W in ctx.original.values())
    moved = sum(
        float((plain @ ctx.edited[n].T - plain @ W.T).norm()) for n, W in ctx.original.items()
    )
    left = sum(float((adv @ ctx.edited[n].T - plain @ W.T).norm()) for n, W in ctx.original.items())
    return {"plain": round(moved / base, 6), "recovered": round(left / base, 6)}
