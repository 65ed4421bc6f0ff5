"""RECE, Reliable and Efficient Concept Erasure (Gong et al., ECCV 2024), closed-form rounds.

Stage 0 is a UCE-2023 edit (lamb 0.5, erase 1, preserve [""] + preserve_concepts at
max(0.1, 1/len(P)), guide " "). Each round then:

1. finds the adversarial embedding of every concept ("close_regzero", the README's choice): over
   all 77 token embeddings c of the concept, with the current weights W'_l and the original W_l
   of every edited matrix,
       c' = (lambda_r I + sum_l W'_l^T W'_l)^-1 (sum_l W'_l^T W_l) c
   the minimiser of sum_l ||W'_l c' - W_l c||^2 + lambda_r ||c'||^2: the embedding that makes the
   edited model reproduce what the original model did with the concept;
2. re-edits every matrix UCE-style, anchored to the *current* weights (edit_model_adversarial):
   c' (all 77 tokens) -> current outputs of the guide's 77 tokens, preserving all tokens of the
   round's preserve prompts with current outputs; lamb 0.1, erase 1, preserve 0.1 per prompt.

The round's preserve prompts depend on the official script: `train_object.py` and
`train_artists.py` preserve [""] + preserve_concepts, each once (`round_preserve=once`);
`train.py` (the nudity and unsafe runs) preserves [" "] once per erased concept
(`round_preserve=per-concept`), so the empty prompt enters with total weight 0.1 m.

The official loop generates validation images after every round and keeps the best round by
NudeNet/Q16; here the number of rounds is fixed (`epochs`) and recorded in the config.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch

from audits.erasers.base import Eraser, EraserEdit, Progress
from audits.erasers.closed_form import TokenTerms, uce_weight
from audits.erasers.config import EraserConfig, check_positive
from audits.erasers.errors import EraserError
from audits.erasers.matrices import DTYPES, Stopwatch, finish, kv_matrices
from audits.erasers.prompts import check_concepts, encode_prompts
from audits.erasers.reports import matrix_report
from audits.erasers.uce import UCEConfig, uce_terms


@dataclass(frozen=True)
class RECEConfig(EraserConfig):
    """RECE settings; `uce_*` fields configure stage 0, the rest the adversarial rounds."""

    label: ClassVar[str] = "RECE"

    epochs: int = 1
    regular_scale: float = 1e-3  # lambda_r (official --regular_scale default)
    lamb: float = 0.1
    erase_scale: float = 1.0
    preserve_scale: float = 0.1
    guides: tuple[str, ...] = (" ",)
    preserve_concepts: tuple[str, ...] = ()
    technique: Literal["replace", "tensor"] = "replace"
    round_preserve: Literal["once", "per-concept"] = "once"
    uce_lamb: float = 0.5
    uce_erase_scale: float = 1.0
    uce_preserve_scale: float | None = None  # None: max(0.1, 1/len(P)), as UCE-2023
    dtype: Literal["float64", "float32"] = "float64"

    def validate(self) -> None:
        check_positive(self, "epochs", "regular_scale")
        check_positive(self, "lamb", "erase_scale", "preserve_scale", "uce_lamb", allow_zero=True)
        check_positive(self, "uce_erase_scale", allow_zero=True)
        if self.uce_preserve_scale is not None:
            check_positive(self, "uce_preserve_scale", allow_zero=True)
        if not self.guides:
            raise EraserError("RECE needs a guide prompt (default ' ')")
        if self.round_preserve == "per-concept" and self.preserve_concepts:
            raise EraserError(
                "RECE round_preserve=per-concept (train.py) preserves only ' ' once per concept; "
                "use round_preserve=once (train_object.py, train_artists.py) with "
                "preserve_concepts"
            )

    def round_preserve_prompts(self, concepts: Sequence[str]) -> list[str]:
        """The preserve prompts of every round, as the official script builds them."""
        if self.round_preserve == "per-concept":
            return [" "] * len(concepts)
        return ["", *self.preserve_concepts]

    def uce_config(self) -> UCEConfig:
        return UCEConfig(
            lamb=self.uce_lamb,
            erase_scale=self.uce_erase_scale,
            preserve_scale=self.uce_preserve_scale,
            guides=self.guides,
            preserve_concepts=self.preserve_concepts,
            technique=self.technique,
        )


def adversarial_embeddings(
    current: Sequence[torch.Tensor],
    original: Sequence[torch.Tensor],
    C: torch.Tensor,
    regular_scale: float,
) -> torch.Tensor:
    """RECE's closed-form adversarial embedding for token rows C (..., d): c' = K c with
    K = (lambda_r I + sum W'^T W')^-1 sum W'^T W, one d x d solve shared by all tokens."""
    d = C.shape[-1]
    G = regular_scale * torch.eye(d, dtype=C.dtype, device=C.device)
    H = torch.zeros_like(G)
    for Wc, Wo in zip(current, original, strict=True):
        G = G + Wc.T @ Wc
        H = H + Wc.T @ Wo
    K = torch.linalg.solve(G, H)
    return C @ K.T


def rece_round(
    current: list[torch.Tensor],
    original: list[torch.Tensor],
    C: torch.Tensor,
    G: torch.Tensor,
    P: torch.Tensor,
    cfg: RECEConfig,
) -> list[torch.Tensor]:
    """One round: adversarial embeddings, then the UCE re-edit anchored to `current`."""
    adv = adversarial_embeddings(current, original, C, cfg.regular_scale)
    terms = TokenTerms.build(adv, G, P)
    return [
        uce_weight(
            W,
            terms,
            lamb=cfg.lamb,
            erase_scale=cfg.erase_scale,
            preserve_scale=cfg.preserve_scale,
            technique=cfg.technique,
        )
        for W in current
    ]


class RECEEraser(Eraser):
    """UCE-2023, then `epochs` closed-form RECE rounds, on every cross-attention K/V matrix."""

    name = "rece"
    version = "rece/2"
    config_class = RECEConfig
    edits = "attn2 to_k + to_v (all cross-attention blocks)"
    summary = "RECE closed-form rounds on a UCE-2023 edit (fixed rounds, no image selection)"
    presets: ClassVar[dict[str, RECEConfig]] = {
        "nudity": RECEConfig(epochs=3, regular_scale=0.1, round_preserve="per-concept"),
        "unsafe": RECEConfig(epochs=2, regular_scale=0.1, round_preserve="per-concept"),
        "art": RECEConfig(epochs=1, regular_scale=1e-3, guides=("art",)),
        "object-hard": RECEConfig(epochs=1, regular_scale=1e-3),
        "object-easy": RECEConfig(epochs=1, regular_scale=0.1),
    }
    preset_sources: ClassVar[dict[str, str]] = {
        "nudity": "scripts/nudity.sh (train.py: close_regzero, regular_scale 0.1, 3 epochs, "
        "preserve [' '] per concept at 0.1, lamb 0.1) on UCE-2023 towards ' ' (-1-1.0)",
        "unsafe": "README I2P unsafe (train.py, regular_scale 0.1, 2 epochs) on UCE-2023 "
        "towards ' ' of the same concepts",
        "art": "scripts/art.sh (train_artists.py: guide 'art', regular_scale 1e-3, 1 epoch) on "
        "UCE-2023 towards 'art'; preserve: pass the other artists of artists1734_prompts.csv",
        "object-hard": "scripts/object.sh church / garbage truck (train_object.py defaults)",
        "object-easy": "scripts/object.sh English springer / golf ball / parachute "
        "(--regular_scale 1e-1)",
    }

    def erase(
        self,
        pipe,
        concepts: Sequence[str],
        *,
        device: torch.device | str | None = None,
        progress: Progress | None = None,
    ) -> EraserEdit:
        cfg: RECEConfig = self.config
        concepts = check_concepts(concepts)
        dtype = DTYPES[cfg.dtype]
        mats, out_dtypes, dev = kv_matrices(pipe, ("to_v", "to_k"), dtype, device)
        watch = Stopwatch(dev)
        guides = list(cfg.guides)
        if len(guides) not in (1, len(concepts)):
            raise EraserError(
                f"RECE needs one guide or one per concept: {len(guides)} guides, "
                f"{len(concepts)} concepts"
            )
        guides = guides * len(concepts) if len(guides) == 1 else guides
        preserve = cfg.round_preserve_prompts(concepts)
        enc = encode_prompts(pipe, [*concepts, *guides, *preserve], dtype=dtype, device=dev)
        rows = {p: i for i, p in enumerate(enc.prompts)}
        C = enc.emb[[rows[c] for c in concepts]]
        G = enc.emb[[rows[g] for g in guides]]
        P = enc.emb[[rows[p] for p in preserve]]  # repeated prompts count once per entry
        stage0 = uce_terms(pipe, concepts, cfg.uce_config(), dtype, dev)
        watch.lap("text_s")
        ucfg = cfg.uce_config()
        original = [W for _, W in mats]
        current = [
            uce_weight(
                W,
                stage0,
                lamb=ucfg.lamb,
                erase_scale=ucfg.erase_scale,
                preserve_scale=ucfg.effective_preserve_scale(),
                technique=ucfg.technique,
            )
            for W in original
        ]
        watch.lap("uce_s")
        for done in range(cfg.epochs):
            current = rece_round(current, original, C, G, P, cfg)
            if progress is not None:
                progress(f"round {done + 1}/{cfg.epochs}")
        watch.lap("rece_s")
        names = [n for n, _ in mats]
        weights = dict(zip(names, current, strict=True))
        reports = [matrix_report(n, W, weights[n]) for n, W in mats]
        variant = (
            f"rece/regzero-{cfg.epochs}-rounds-on-uce-2023/{cfg.technique}"
            f"/preserve-{cfg.round_preserve}"
        )
        return EraserEdit(finish(weights, out_dtypes), watch.done(), variant, reports)
