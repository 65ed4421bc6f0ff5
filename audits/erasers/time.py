"""TIME, Text-to-Image Model Editing (Orgad, Kawar, Belinkov; ICCV 2023), closed form.

`train_closed_form` edits every cross-attention K/V matrix so each source prompt's token
embeddings (all 77) produce the destination prompt's outputs at the aligned positions:

    W = (lamb W + sum_pairs sum_t W e_dst[pi(t)] e_src[t]^T) (lamb I + sum e_src[t] e_src[t]^T)^-1

with lamb 0.1, no preserve term, both K and V, and the "A photo of / An image of / A picture of"
augmentations (`--with_to_k --with_augs`, the paper runs). It is UCE's special case with all
tokens, erase scale 1 and nothing preserved.

Alignment: "time" is the official rule (walk the source tokens, advance through the destination
to the next equal token, "an" read as "a"; positions after the matched EOS follow on, then 76), so
every source token must occur, in order, in the destination ("roses" -> "blue roses"). TIME has
no erasure mode, and erasing "tench" towards " " has no such match, so the default here is
"position" (token t -> token t, the convention RECE uses for its " " target); the edit's variant
label says which one was used.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch

from audits.erasers.closed_form import TokenTerms, uce_weight
from audits.erasers.config import EraserConfig, check_positive
from audits.erasers.errors import EraserError
from audits.erasers.matrixwise import MatrixwiseEraser
from audits.erasers.prompts import encode_prompts

AUGMENTATIONS = ("A photo of ", "An image of ", "A picture of ")


@dataclass(frozen=True)
class TIMEConfig(EraserConfig):
    """TIME settings: destinations are one prompt for all sources or one per source."""

    label: ClassVar[str] = "TIME"

    destinations: tuple[str, ...] = (" ",)
    alignment: Literal["position", "time"] = "position"
    lamb: float = 0.1
    with_to_k: bool = True
    with_augs: bool = True
    dtype: Literal["float64", "float32"] = "float64"

    def validate(self) -> None:
        check_positive(self, "lamb", allow_zero=True)
        if not self.destinations:
            raise EraserError("TIME needs at least one destination prompt")


def augment(prompt: str) -> list[str]:
    """The prompt and its three official augmentations (a leading "A" lower-cased)."""
    base = "a" + prompt[1:] if prompt[:1] == "A" else prompt
    return [prompt, *(prefix + base for prefix in AUGMENTATIONS)]


def _an_as_a(tokenizer, ids: list[int]) -> list[int]:
    """The official normalisation: every token that decodes to "an" becomes the id of "a " (in
    CLIP's vocabulary both the word "an</w>" (550) and the word piece "an" (514) decode so)."""
    a_id = tokenizer.encode("a ")[1]
    return [a_id if tokenizer.decode([t]) == "an" else t for t in ids]


def time_alignment(tokenizer, source: str, destination: str, length: int = 77) -> list[int]:
    """TIME's pi: destination position for each of the `length` source positions."""
    src = _an_as_a(tokenizer, tokenizer(source).input_ids)
    dst = _an_as_a(tokenizer, tokenizer(destination).input_ids)
    idx, j = [], 0
    for token in src:
        while j < len(dst) and dst[j] != token:
            j += 1
        if j == len(dst):
            raise EraserError(
                f"TIME alignment: {tokenizer.decode([token])!r} of {source!r} does not occur "
                f"(in order) in {destination!r}; use alignment=position or a destination that "
                "contains the source words"
            )
        idx.append(j)
        j += 1
    idx += list(range(j, length))
    return (idx + [length - 1] * length)[:length]


def time_pairs(concepts: Sequence[str], config: TIMEConfig) -> list[tuple[str, str]]:
    dests = list(config.destinations)
    if len(dests) not in (1, len(concepts)):
        raise EraserError(
            f"TIME needs one destination or one per concept: {len(dests)} destinations, "
            f"{len(concepts)} concepts"
        )
    dests = dests * len(concepts) if len(dests) == 1 else dests
    pairs = []
    for src, dst in zip(concepts, dests, strict=True):
        if config.with_augs:
            pairs += list(zip(augment(src), augment(dst), strict=True))
        else:
            pairs.append((src, dst))
    return pairs


def time_terms(pipe, concepts, config: TIMEConfig, dtype, device) -> TokenTerms:
    pairs = time_pairs(concepts, config)
    enc = encode_prompts(pipe, [p for pair in pairs for p in pair], dtype=dtype, device=device)
    rows = {p: i for i, p in enumerate(enc.prompts)}
    length = enc.emb.shape[1]
    X = enc.emb[[rows[s] for s, _ in pairs]]
    if config.alignment == "time":
        idx = torch.tensor([time_alignment(pipe.tokenizer, s, d, length) for s, d in pairs])
    else:
        idx = torch.arange(length).expand(len(pairs), length)
    N = enc.emb[torch.tensor([rows[d] for _, d in pairs])[:, None], idx]
    return TokenTerms.build(X, N)


class TIMEEraser(MatrixwiseEraser):
    """TIME's closed form on every cross-attention K/V matrix."""

    name = "time"
    version = "time/2"
    config_class = TIMEConfig
    edits = "attn2 to_k + to_v (all cross-attention blocks)"
    summary = "TIME closed form (lamb 0.1, all tokens, augmentations); UCE's special case"
    presets: ClassVar[dict[str, TIMEConfig]] = {
        # the README's TIMED command: --with_to_k --with_augs --train_func train_closed_form
        # --lamb 0.1 (destinations: the dataset's "new" prompts, one per source)
        "timed": TIMEConfig(alignment="time"),
    }
    preset_sources: ClassVar[dict[str, str]] = {
        "timed": "README TIMED command (apply_time.py --with_to_k --with_augs --train_func "
        "train_closed_form --lamb 0.1); pass destinations",
    }

    def kinds(self) -> tuple[str, ...]:
        return ("to_v", "to_k") if self.config.with_to_k else ("to_v",)

    def text_terms(self, pipe, concepts, dtype, device) -> TokenTerms:
        return time_terms(pipe, concepts, self.config, dtype, device)

    def solve(self, W: torch.Tensor, terms: TokenTerms) -> tuple[torch.Tensor, dict]:
        return uce_weight(W, terms, lamb=self.config.lamb, erase_scale=1.0, preserve_scale=0), {}

    def variant(self) -> str:
        return f"time/{self.config.alignment}"
