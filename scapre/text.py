"""Text features shared by every edited matrix, computed once per edit.

Conventions follow the official code (and UCE): prompts are padded to the tokenizer's
`model_max_length` (77) and encoded as the pipeline builds its prompt embeddings (the text
encoder's last hidden state for SD 1.x/2.x; both encoders' penultimate states, concatenated, for
SDXL: `scapre.families`); a concept's vector is its last content token (just before EOS); the
concept's "tail" runs from that token through EOS and padding, aligned position by position with
the guide prompt's tail.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from scapre.errors import ScaPreError
from scapre.families import TextStack, single_encoder, text_stack


@dataclass
class TextFeatures:
    """Everything the solver needs from the text side, in the solver's dtype."""

    C: torch.Tensor  # (d_in, m) concept vectors c_k
    X: list[torch.Tensor]  # X[k]: (T_k, d_in) concept tail, last content token .. position 76
    guide_embeddings: torch.Tensor  # (n_guides, L, d_in) all tokens of each distinct guide prompt
    guide_index: list[int]  # concept k uses guide_embeddings[guide_index[k]]
    guide_start: list[int]  # N_k = guide_embeddings[g][guide_start[k] : guide_start[k] + T_k]
    e0: torch.Tensor  # (d_in,) EOS-position embedding of the empty prompt
    preserve: torch.Tensor | None  # (n_p, L, d_in) all tokens of each preserve prompt
    concepts: list[str]
    guides: list[str]
    X_all: torch.Tensor | None = None  # the tails stacked, when X are views of one tensor

    @property
    def N(self) -> list[torch.Tensor]:
        """The aligned guide tails N_k, (T_k, d_in) each."""
        return [
            self.guide_embeddings[g, s : s + x.shape[0]]
            for g, s, x in zip(self.guide_index, self.guide_start, self.X, strict=True)
        ]

    @property
    def d_in(self) -> int:
        return self.C.shape[0]


def check_concepts(concepts: Sequence[str]) -> list[str]:
    """Refuse empty lists, blank and duplicate concepts (duplicates make C rank deficient), and
    names with control characters (tab included) or undecodable bytes."""
    if isinstance(concepts, str):
        raise ScaPreError("concepts must be a list of strings, not one string")
    cleaned = [c.strip() if isinstance(c, str) else c for c in concepts]
    if not cleaned:
        raise ScaPreError("no concepts given")
    seen: dict[str, str] = {}
    for raw, c in zip(concepts, cleaned, strict=True):
        if not isinstance(c, str) or not c:
            raise ScaPreError(f"empty concept in the list: {raw!r}")
        if any(ord(ch) < 32 or 127 <= ord(ch) < 160 or 0xD800 <= ord(ch) < 0xE000 for ch in c):
            shown = c.encode("ascii", "backslashreplace").decode()
            raise ScaPreError(f"concept {shown!r} contains a control character or undecodable byte")
        key = " ".join(c.lower().split())
        if key in seen:
            raise ScaPreError(f"duplicate concept {c!r} (same as {seen[key]!r})")
        seen[key] = c
    return cleaned


def encode_text_features(
    tokenizer,
    text_encoder,
    concepts: Sequence[str],
    guide: str = " ",
    preserve: Sequence[str] = (),
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    batch_size: int = 32,
) -> TextFeatures:
    """Text features of a one-encoder model (SD 1.x / 2.x) from its tokenizer and encoder."""
    stack = single_encoder(tokenizer, text_encoder)
    return stack_text_features(stack, concepts, guide, preserve, dtype, device, batch_size)


def pipeline_text_features(
    pipe,
    concepts: Sequence[str],
    guide: str = " ",
    preserve: Sequence[str] = (),
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    batch_size: int = 32,
) -> TextFeatures:
    """Text features of any supported pipeline (SD 1.x, 2.x, SDXL; see `scapre.families`)."""
    return stack_text_features(
        text_stack(pipe), concepts, guide, preserve, dtype, device, batch_size
    )


def stack_text_features(
    stack: TextStack,
    concepts: Sequence[str],
    guide: str = " ",
    preserve: Sequence[str] = (),
    dtype: torch.dtype = torch.float64,
    device: torch.device | str = "cpu",
    batch_size: int = 32,
) -> TextFeatures:
    """Encode concepts, guide, empty prompt and preserve prompts in as few batches as possible."""
    concepts = check_concepts(concepts)
    guide = " " if guide == "" else guide
    prompts = [*concepts, guide, "", *preserve]
    enc = stack.encode(prompts, dtype=None, device=None, batch_size=batch_size)
    emb = enc.emb  # the encoders' dtype
    last = enc.last.tolist()  # last content token per prompt
    m, length = len(concepts), emb.shape[1]
    f_n = last[m]
    tails = []
    for k in range(m):
        far = max(last[k], f_n)
        tails.append(emb[k, last[k] : length - (far - last[k])])
    X_all = torch.cat(tails).to(device=device, dtype=dtype)  # only the tails in full precision
    X = list(X_all.split([t.shape[0] for t in tails]))

    def convert(t: torch.Tensor) -> torch.Tensor:
        return t.to(device=device, dtype=dtype)

    return TextFeatures(
        C=convert(emb[torch.arange(m), torch.tensor(last[:m])].T),
        X=X,
        guide_embeddings=convert(emb[m : m + 1]),
        guide_index=[0] * m,
        guide_start=[f_n] * m,
        e0=convert(emb[m + 1, 1]),
        preserve=convert(emb[m + 2 :]) if preserve else None,
        concepts=list(concepts),
        guides=[guide],
        X_all=X_all,
    )
