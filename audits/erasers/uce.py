"""UCE, Unified Concept Editing (Gandikota et al., WACV 2024), both official code variants.

- "2023" (default; `train-scripts/train_erase.py`, the code ScaPre and RECE build on): each
  concept's tail (last subject token, EOS and padding) maps position by position onto the guide's
  tail; guide " " by default; preserve set [""] + preserve_concepts over all 77 tokens at
  max(0.1, 1/len(P)); lamb 0.5 (hard-coded in the official call); erase scale 1; to_k and to_v;
  'replace' or 'tensor' targets; optional `add_prompts` expansion ('art' / 'object' templates).
- "2025" (`trainscripts/uce_sd_erase.py` at 28c81ed): one vector per prompt (the last subject
  token) for erase, guide and preserve alike; guide "" by default (index 0, the BOS embedding;
  "art" with `add_prompts=art`, the script's `--concept_type art`); no implicit "" preserve;
  preserve scale 1; `add_prompts` is `--expand_prompts true`, which expands the guides too.

Both build the same ridge system (`closed_form.uce_weight`) from the original weights.
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
from audits.erasers.prompts import encode_prompts, pad_stack, tail_pair

# UCE-2023's `--add_prompts` templates, by `--concept_type`.
EXPANSIONS: dict[str, tuple[str, ...]] = {
    "art": ("painting by {}", "art by {}", "artwork by {}", "picture by {}", "style of {}"),
    "object": ("image of {}", "photo of {}", "portrait of {}", "picture of {}", "painting of {}"),
}


@dataclass(frozen=True)
class UCEConfig(EraserConfig):
    """UCE settings; `None`/empty fields take the chosen variant's official default."""

    label: ClassVar[str] = "UCE"

    variant: Literal["2023", "2025"] = "2023"
    technique: Literal["replace", "tensor"] = "replace"  # 2023 only
    lamb: float = 0.5
    erase_scale: float = 1.0
    preserve_scale: float | None = None  # 2023: max(0.1, 1/len(P)); 2025: 1.0
    guides: tuple[str, ...] = ()  # one for all concepts, or one per concept; () = " " / ""
    preserve_concepts: tuple[str, ...] = ()
    add_prompts: Literal["none", "art", "object"] = "none"  # 2023 only
    with_to_k: bool = True
    dtype: Literal["float64", "float32"] = "float64"

    def validate(self) -> None:
        check_positive(self, "lamb", "erase_scale", allow_zero=True)
        if self.preserve_scale is not None:
            check_positive(self, "preserve_scale", allow_zero=True)
        if self.variant == "2025" and self.technique != "replace":
            raise EraserError("UCE 2025 has no 'tensor' technique; use variant=2023")

    def preserve_prompts(self) -> list[str]:
        """2023 always preserves "" first (the official `['']+preserve_concepts`)."""
        extra = list(self.preserve_concepts)
        return ["", *extra] if self.variant == "2023" else extra

    def effective_preserve_scale(self) -> float:
        if self.preserve_scale is not None:
            return self.preserve_scale
        if self.variant == "2025":
            return 1.0
        return max(0.1, 1.0 / len(self.preserve_prompts()))

    def label_variant(self) -> str:
        return f"uce-2023/{self.technique}" if self.variant == "2023" else "uce-2025"


def erase_prompts(concepts: Sequence[str], config: UCEConfig) -> tuple[list[str], list[str]]:
    """Erase prompts and their guides, expanded as the official scripts do: each concept, then
    its templates. 2023 (`--add_prompts`): a guide is repeated for every template of its concept.
    2025 (`--expand_prompts true`): the guide is expanded with the same templates, and with
    `--concept_type art` the default guide is "art"."""
    default = " " if config.variant == "2023" else ""
    if config.variant == "2025" and config.add_prompts == "art":
        default = "art"
    guides = list(config.guides) or [default]
    if len(guides) not in (1, len(concepts)):
        raise EraserError(
            f"UCE needs one guide or one per concept: {len(guides)} guides, "
            f"{len(concepts)} concepts"
        )
    if len(guides) == 1:
        guides = guides * len(concepts)
    templates = EXPANSIONS.get(config.add_prompts, ())
    old, new = [], []
    for concept, guide in zip(concepts, guides, strict=True):
        group = [concept, *(t.format(concept) for t in templates)]
        old += group
        if config.variant == "2025":
            new += [guide, *(t.format(guide) for t in templates)]
        else:
            new += [guide] * len(group)
    if config.variant == "2023":
        new = [" " if g == "" else g for g in new]  # the official `if n_t == '': n_t = ' '`
    return old, new


def uce_terms(
    pipe, concepts: Sequence[str], config: UCEConfig, dtype: torch.dtype, device: torch.device
) -> TokenTerms:
    """Encode every prompt once and form UCE's layer-independent sums for `config.variant`."""
    old, new = erase_prompts(concepts, config)
    preserve = config.preserve_prompts()
    enc = encode_prompts(pipe, [*old, *new, *preserve], dtype=dtype, device=device)
    rows = {p: i for i, p in enumerate(enc.prompts)}
    last = enc.last.tolist()
    if config.variant == "2025":
        X = enc.emb[[rows[p] for p in old], [last[rows[p]] for p in old]][:, None]
        N = enc.emb[[rows[g] for g in new], [last[rows[g]] for g in new]][:, None]
        P = enc.emb[[rows[p] for p in preserve], [last[rows[p]] for p in preserve]]
        return TokenTerms.build(X, N, P if preserve else None)
    pairs = [
        tail_pair(enc.emb[rows[o]], last[rows[o]], enc.emb[rows[g]], last[rows[g]])
        for o, g in zip(old, new, strict=True)
    ]
    X = pad_stack([x for x, _ in pairs])
    N = pad_stack([n for _, n in pairs])
    P = enc.emb[[rows[p] for p in preserve]]
    return TokenTerms.build(X, N, P)


class UCEEraser(MatrixwiseEraser):
    """UCE on every cross-attention K/V matrix, closed form, from the original weights."""

    name = "uce"
    version = "uce/1"
    config_class = UCEConfig
    edits = "attn2 to_k + to_v (all cross-attention blocks)"
    summary = "UCE closed form; 2023 tail-token code (default) or 2025 last-token code"
    presets: ClassVar[dict[str, UCEConfig]] = {
        "2023": UCEConfig(),
        "2025": UCEConfig(variant="2025"),
        # README artist command: --guided_concepts 'art' --concept_type 'art'
        "art": UCEConfig(guides=("art",)),
    }
    preset_sources: ClassVar[dict[str, str]] = {
        "2023": "train-scripts/train_erase.py defaults (lamb 0.5 in the call)",
        "2025": "trainscripts/uce_sd_erase.py CLI defaults",
        "art": "README artist erasure: guide 'art'",
    }

    def kinds(self) -> tuple[str, ...]:
        return ("to_v", "to_k") if self.config.with_to_k else ("to_v",)

    def text_terms(self, pipe, concepts, dtype, device) -> TokenTerms:
        return uce_terms(pipe, concepts, self.config, dtype, device)

    def solve(self, W: torch.Tensor, terms: TokenTerms) -> tuple[torch.Tensor, dict]:
        cfg: UCEConfig = self.config
        new = uce_weight(
            W,
            terms,
            lamb=cfg.lamb,
            erase_scale=cfg.erase_scale,
            preserve_scale=cfg.effective_preserve_scale(),
            technique=cfg.technique,
        )
        return new, {}

    def variant(self) -> str:
        return self.config.label_variant()
