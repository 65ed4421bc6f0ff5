"""Prompt embeddings in the convention every closed-form baseline shares.

Prompts are padded to the tokenizer's `model_max_length` (77) and encoded as the pipeline builds
`prompt_embeds` (`scapre.families`: the text encoder's last hidden state for SD 1.x/2.x, both
encoders' penultimate states concatenated for SDXL). The "last subject token" of a prompt is
`attention_mask.sum() - 2`, the position before EOS; for the empty prompt that is 0, the BOS
token.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from audits.erasers.errors import EraserError
from scapre.families import PromptEncoding

Encoded = PromptEncoding  # the family layer's result: emb, last, input_ids, pooled


def text_stack(pipe):
    """The pipeline's family text stack (`scapre.families`), refusals as EraserError."""
    from scapre.errors import ScaPreError
    from scapre.families import text_stack as stack_of

    try:
        return stack_of(pipe)
    except ScaPreError as err:
        raise EraserError(str(err)) from None


def encode_prompts(
    pipe,
    prompts: Sequence[str],
    *,
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    batch_size: int = 32,
) -> Encoded:
    """Encode distinct prompts once each (order kept, duplicates dropped), exactly as the
    pipeline builds its prompt embeddings (SDXL: both encoders, 2048 wide)."""
    from scapre.errors import ScaPreError

    unique = list(dict.fromkeys(prompts))
    if not unique:
        raise EraserError("no prompts to encode")
    stack = text_stack(pipe)
    try:
        return stack.encode(unique, dtype=dtype, device=device, batch_size=batch_size)
    except ScaPreError as err:
        raise EraserError(str(err)) from None


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
