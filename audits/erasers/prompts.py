"""Prompt embeddings in the convention every closed-form baseline shares.

Prompts are padded to the tokenizer's `model_max_length` (77) and encoded by the text encoder's
last hidden state. The "last subject token" of a prompt is `attention_mask.sum() - 2`, the position
before EOS; for the empty prompt that is 0, the BOS token.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from audits.erasers.errors import EraserError


@dataclass
class Encoded:
    """All token embeddings of some prompts, (n, L, d), and each prompt's last subject index."""

    prompts: list[str]
    emb: torch.Tensor
    last: torch.Tensor  # (n,) long
    input_ids: torch.Tensor  # (n, L)

    def index(self, prompt: str) -> int:
        return self.prompts.index(prompt)

    def last_vectors(self) -> torch.Tensor:
        """(n, d): each prompt's last-subject-token embedding."""
        return self.emb[torch.arange(len(self.prompts)), self.last]


def tokenize(tokenizer, prompts: Sequence[str]):
    """Pad to max length, refusing prompts the encoder would truncate."""
    max_len = tokenizer.model_max_length
    if not isinstance(max_len, int) or max_len > 10_000:
        raise EraserError("tokenizer.model_max_length is not set (expected 77 for CLIP)")
    for prompt, ids in zip(prompts, tokenizer(list(prompts)).input_ids, strict=True):
        if len(ids) > max_len:
            raise EraserError(
                f"prompt {prompt[:60]!r} is {len(ids)} tokens; the text encoder reads at most "
                f"{max_len} (including start and end tokens); shorten it"
            )
    return tokenizer(
        list(prompts),
        padding="max_length",
        max_length=max_len,
        truncation=True,
        return_tensors="pt",
    )


@torch.inference_mode()
def encode_prompts(
    pipe,
    prompts: Sequence[str],
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    batch_size: int = 32,
) -> Encoded:
    """Encode distinct prompts once each (order kept, duplicates dropped)."""
    unique = list(dict.fromkeys(prompts))
    if not unique:
        raise EraserError("no prompts to encode")
    tokens = tokenize(pipe.tokenizer, unique)
    enc = pipe.text_encoder
    ids = tokens.input_ids
    starts = range(0, len(unique), batch_size)
    parts = [enc(ids[i : i + batch_size].to(enc.device))[0] for i in starts]
    emb = torch.cat(parts).to(device=device, dtype=dtype)
    last = tokens.attention_mask.sum(dim=1) - 2
    return Encoded(unique, emb, last, ids)


def tail_pair(
    concept: torch.Tensor, concept_last: int, guide: torch.Tensor, guide_last: int
) -> tuple[torch.Tensor, torch.Tensor]:
    """UCE-2023's aligned tails: from each prompt's last subject token through EOS and padding,
    cut to equal length so position i of one faces position i of the other."""
    far = max(concept_last, guide_last)
    length = concept.shape[0]
    x = concept[concept_last : length - (far - concept_last)]
    n = guide[guide_last : length - (far - guide_last)]
    return x, n


def pad_stack(rows: Sequence[torch.Tensor]) -> torch.Tensor:
    """Stack (T_k, d) blocks into (m, max T, d) with zero rows, which add nothing to any sum."""
    longest = max(r.shape[0] for r in rows)
    out = rows[0].new_zeros(len(rows), longest, rows[0].shape[1])
    for k, r in enumerate(rows):
        out[k, : r.shape[0]] = r
    return out


def check_concepts(concepts: Sequence[str]) -> list[str]:
    """The concept list, refused when empty, a bare string, or holding blanks or duplicates."""
    from scapre.errors import ScaPreError
    from scapre.text import check_concepts as scapre_check

    try:
        return scapre_check(concepts)
    except ScaPreError as err:
        raise EraserError(str(err)) from None
