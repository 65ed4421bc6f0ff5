"""MACE-CFR: the closed-form stages of MACE (Lu et al., CVPR 2024) only. PARTIAL MACE.

MACE = closed-form refinement (CFR) -> one rank-1 K/V LoRA per concept trained on generated images
with Grounded-SAM masks -> closed-form fusion of the LoRAs. The LoRA stage needs images, masks and
gradients, so it is not run here: fusion fuses the CFR weights with zero LoRA deltas (W_i = W_cfr).
Full MACE enters the audit as a `checkpoint` eraser.

CFR (`closed_form_refinement` after `prepare_k_v(all_words=False)`), every K/V matrix:

    W_cfr = [lamb W0 + sum W0 e_new e_old^T + s (W0 Q + g W0 D)] [lamb I + sum e_old e_old^T
            + s (Q + g D)]^-1

over 30 templated prompts per concept ("object" or "style" templates) with the concept (old) and
its mapping concept (new) substituted; the positions kept are the common prefix and suffix of the
two token sequences extended through padding, so the concept's own tokens are excluded. Q and D
are the preserve caches, sum p p^T over all 77 tokens of a preserve prompt set and of a domain set
(retained celebrities/artists), computed here from prompts the caller names (the official caches
are precomputed from ~616k MS-COCO captions and downloaded). In the official code the CFR preserve
scale is applied twice whenever there are at most `max_memory` (1000) concepts, i.e. in every
published config: s = train_preserve_scale ** 2 ("official"); "as-written" uses s once.

Fusion (`fuse_lora_close_form`): contexts are all 77 tokens of each concept's prompts; the lamb term
anchors to W_cfr, the preserve caches to the original W0, scaled once by fuse_preserve_scale:

    W* = [lamb W_cfr + sum_i W_i E_i^T E_i + f (W0 Q + g W0 D)]
         [lamb I + sum E^T E + f (Q + g D)]^-1
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

import torch

from audits.erasers.closed_form import ridge_solve
from audits.erasers.config import EraserConfig, check_positive
from audits.erasers.errors import EraserError
from audits.erasers.mace_templates import TEMPLATES
from audits.erasers.matrixwise import MatrixwiseEraser
from audits.erasers.prompts import encode_prompts


@dataclass(frozen=True)
class MACECFRConfig(EraserConfig):
    """MACE's closed-form settings (its config files' names)."""

    label: ClassVar[str] = "MACE-CFR"

    mapping: tuple[str, ...] = ("",)  # mapping concept: one for all, or one per concept
    concept_type: Literal["object", "style"] = "object"
    lamb: float = 0.0
    train_preserve_scale: float = 1e-4
    fuse_preserve_scale: float = 1e-4
    preserve_weight: float = 0.0  # gamma, weight of the domain cache
    preserve_prompts: tuple[str, ...] = ()  # stands in for the MS-COCO caption cache
    domain_prompts: tuple[str, ...] = ()  # retained celebrities/artists prompts
    cfr_preserve_scaling: Literal["official", "as-written"] = "official"
    fusion: bool = True
    dtype: Literal["float64", "float32"] = "float64"

    def validate(self) -> None:
        check_positive(self, "lamb", "train_preserve_scale", allow_zero=True)
        check_positive(self, "fuse_preserve_scale", "preserve_weight", allow_zero=True)
        if not self.mapping:
            raise EraserError("MACE-CFR needs a mapping concept (default '')")

    def cfr_scale(self) -> float:
        s = self.train_preserve_scale
        return s * s if self.cfr_preserve_scaling == "official" else s


def cfr_positions(old: Sequence[int], new: Sequence[int], length: int = 77):
    """MACE's `find_matching_indices` plus its extension through padding: the aligned positions
    of the shared prefix and suffix of two unpadded token lists, then the padding after them."""
    prefix = 0
    for a, b in zip(old, new, strict=False):
        if a != b:
            break
        prefix += 1
    i, j = len(old) - 1, len(new) - 1
    while i >= prefix and j >= prefix and old[i] == new[j]:
        i, j = i - 1, j - 1
    o = list(range(prefix)) + list(range(i + 1, len(old)))
    n = list(range(prefix)) + list(range(j + 1, len(new)))
    gap = o[-1] - n[-1]
    if gap >= 0:
        o += range(o[-1] + 1, length)
        n += range(n[-1] + 1, length - gap)
    else:
        n += range(n[-1] + 1, length)
        o += range(o[-1] + 1, length + gap)
    return o, n


@dataclass
class CFRInputs:
    """Layer-independent sums, formed once per edit."""

    XX: torch.Tensor  # sum e_old e_old^T over kept positions
    NX: torch.Tensor  # sum e_new e_old^T over kept positions
    E: torch.Tensor  # (m, prompts*77, d) all tokens of each concept's prompts, for fusion
    S: torch.Tensor  # sum over E of e e^T
    Q: torch.Tensor  # (d, d) preserve cache
    D: torch.Tensor  # (d, d) domain cache


def cfr_inputs(pipe, concepts, cfg: MACECFRConfig, dtype, device) -> CFRInputs:
    mapping = list(cfg.mapping)
    if len(mapping) not in (1, len(concepts)):
        raise EraserError(
            f"MACE-CFR needs one mapping concept or one per concept: {len(mapping)} given, "
            f"{len(concepts)} concepts"
        )
    mapping = mapping * len(concepts) if len(mapping) == 1 else mapping
    templates = TEMPLATES[cfg.concept_type]
    olds = [[t.format(c) for t in templates] for c in concepts]
    news = [[t.format(m) for t in templates] for m in mapping]
    flat_old = [p for group in olds for p in group]
    flat_new = [p for group in news for p in group]
    extra = [*cfg.preserve_prompts, *cfg.domain_prompts]
    enc = encode_prompts(pipe, [*flat_old, *flat_new, *extra], dtype=dtype, device=device)
    rows = {p: i for i, p in enumerate(enc.prompts)}
    length, d = enc.emb.shape[1], enc.emb.shape[2]
    tok = pipe.tokenizer
    ids_old, ids_new = tok(flat_old).input_ids, tok(flat_new).input_ids
    xs, ns = [], []
    for po, pn, io, inew in zip(flat_old, flat_new, ids_old, ids_new, strict=True):
        o, n = cfr_positions(io, inew, length)
        xs.append(enc.emb[rows[po], o])
        ns.append(enc.emb[rows[pn], n])

    def gram(prompts: Sequence[str]) -> torch.Tensor:
        if not prompts:
            return enc.emb.new_zeros(d, d)
        P = enc.emb[[rows[p] for p in prompts]].reshape(-1, d)
        return P.T @ P

    E = enc.emb[[rows[p] for p in flat_old]].reshape(len(concepts), -1, d)
    X, N = torch.cat(xs), torch.cat(ns)
    flat_e = E.reshape(-1, d)
    return CFRInputs(
        X.T @ X,
        N.T @ X,
        E,
        flat_e.T @ flat_e,
        gram(cfg.preserve_prompts),
        gram(cfg.domain_prompts),
    )


def cfr_weight(W0: torch.Tensor, inputs: CFRInputs, cfg: MACECFRConfig) -> torch.Tensor:
    d = W0.shape[1]
    keep = inputs.Q + cfg.preserve_weight * inputs.D
    s = cfg.cfr_scale()
    eye = torch.eye(d, dtype=W0.dtype, device=W0.device)
    mat1 = cfg.lamb * W0 + W0 @ (inputs.NX + s * keep)
    mat2 = cfg.lamb * eye + inputs.XX + s * keep
    return ridge_solve(mat1, mat2)


def mace_fuse(
    W_cfr: torch.Tensor,
    W0: torch.Tensor,
    E: torch.Tensor,
    keep: torch.Tensor,
    *,
    lamb: float,
    scale: float,
    deltas: torch.Tensor | None = None,
    S: torch.Tensor | None = None,
) -> torch.Tensor:
    """MACE's closed-form fusion of per-concept weights W_i = W_cfr + deltas[i] over contexts
    E (m, T, d); `keep` = Q + g D is anchored to W0. `deltas` None means zero LoRA deltas;
    `S` = sum e e^T over E may be passed in when it is shared by many matrices."""
    d = W0.shape[1]
    if S is None:
        flat = E.reshape(-1, d)
        S = flat.T @ flat
    fused = W_cfr @ S
    if deltas is not None:
        fused = fused + (torch.bmm(deltas, E.transpose(1, 2)) @ E).sum(dim=0)
    eye = torch.eye(d, dtype=W0.dtype, device=W0.device)
    mat1 = lamb * W_cfr + fused + scale * (W0 @ keep)
    mat2 = lamb * eye + S + scale * keep
    return ridge_solve(mat1, mat2)


class MACECFREraser(MatrixwiseEraser):
    """PARTIAL MACE: closed-form refinement, then fusion with zero LoRA deltas."""

    name = "mace-cfr"
    version = "mace-cfr/1"
    config_class = MACECFRConfig
    edits = "attn2 to_k + to_v (all cross-attention blocks)"
    complete = False
    summary = "PARTIAL MACE: closed-form refinement + fusion only (no LoRA stage, no images)"
    presets: ClassVar[dict[str, MACECFRConfig]] = {
        "celebrity-1": MACECFRConfig(mapping=("a woman",), preserve_weight=8e3),
        "celebrity-5": MACECFRConfig(mapping=("a person",), preserve_weight=5e4),
        "celebrity-10": MACECFRConfig(mapping=("a person",), preserve_weight=8e4),
        "celebrity-100": MACECFRConfig(mapping=("a person",), preserve_weight=2e5),
        "art-100": MACECFRConfig(mapping=("art",), concept_type="style", preserve_weight=8e4),
        "explicit": MACECFRConfig(
            mapping=("a person wearing clothes",),
            train_preserve_scale=7e-7,
            fuse_preserve_scale=7e-7,
        ),
        "object-ship": MACECFRConfig(lamb=1e3, train_preserve_scale=0, fuse_preserve_scale=0),
        "object-bird": MACECFRConfig(lamb=10, train_preserve_scale=0, fuse_preserve_scale=0),
        "object-automobile": MACECFRConfig(lamb=1e2, train_preserve_scale=0, fuse_preserve_scale=0),
    }
    preset_sources: ClassVar[dict[str, str]] = {
        name: "MACE configs/ (lamb, preserve scales, preserve_weight, mapping concept)"
        for name in presets
    }

    def kinds(self) -> tuple[str, ...]:
        return ("to_v", "to_k")

    def text_terms(self, pipe, concepts, dtype, device):
        inputs = cfr_inputs(pipe, concepts, self.config, dtype, device)
        return inputs, inputs.Q + self.config.preserve_weight * inputs.D

    def solve(self, W0: torch.Tensor, terms) -> tuple[torch.Tensor, dict]:
        cfg: MACECFRConfig = self.config
        inputs, keep = terms
        W = cfr_weight(W0, inputs, cfg)
        if cfg.fusion:
            W = mace_fuse(W, W0, inputs.E, keep, lamb=cfg.lamb, scale=cfg.fuse_preserve_scale)
        return W, {}

    def variant(self) -> str:
        stages = "cfr+fusion(zero-lora)" if self.config.fusion else "cfr"
        return f"mace-cfr/{stages}/{self.config.cfr_preserve_scaling}-scaling (partial MACE)"
