"""Text features and K/V matrices for the weight-space audit, read in one place.

Every suite prompt is encoded once (the text encoder's last hidden state, padded to 77 tokens,
the convention every closed-form eraser shares: `audits.erasers.prompts`), and every method's
measurements reuse those features. The K/V matrices are every cross-attention `to_k` and `to_v`
in the official order (`audits.erasers.matrices.kv_matrices`). A model family with other text
features only needs to replace `encode` and `kv_weights`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch

# positions read by the shift metrics: every position after BOS (content tokens, EOS and the
# padding the UNet also attends to). BOS is the same for every prompt and carries no prompt.
TOKENS = "after_bos"


@dataclass
class TextFeatures:
    """Token features of distinct prompts, (n, L, d) float32, with each prompt's last content
    token index (the position before EOS) and the seconds the text encoder took."""

    prompts: list[str]
    emb: torch.Tensor
    last: torch.Tensor
    seconds: float = 0.0
    rows: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rows = {p: i for i, p in enumerate(self.prompts)}

    def of(self, prompts: Sequence[str]) -> tuple[torch.Tensor, torch.Tensor]:
        """(emb, last) of some prompts, in the order given."""
        idx = torch.tensor([self.rows[p] for p in prompts], dtype=torch.long)
        return self.emb[idx], self.last[idx]


def encode(pipe, prompts: Sequence[str], batch_size: int = 32) -> TextFeatures:
    """Encode each distinct prompt once (float32, on the CPU), timing the text encoder alone."""
    from audits.erasers.prompts import encode_prompts

    started = time.perf_counter()
    enc = encode_prompts(pipe, list(prompts), dtype=torch.float32, batch_size=batch_size)
    seconds = time.perf_counter() - started
    return TextFeatures(enc.prompts, enc.emb.cpu(), enc.last.cpu(), seconds)


def kv_weights(pipe) -> dict[str, torch.Tensor]:
    """Every cross-attention K and V matrix (official order), float64 on the CPU."""
    from audits.erasers.matrices import kv_matrices

    mats, _, _ = kv_matrices(pipe, ("to_v", "to_k"), torch.float64, "cpu")
    return dict(mats)
