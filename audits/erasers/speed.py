"""SPEED, Scalable, Precise and Efficient concept Erasure (Li et al., ICLR 2026), closed form.

Per edited matrix W (default: the 16 cross-attention `to_v`), with column vectors, d the text width:

    C_t = mean_i T_i T_i^T, C_at = mean_i A_i T_i^T          (targets T_i, their anchors A_i)
    E = W (C_at - C_t)(I + C_t)^-1                            (proxy, only used for scoring)
    IPF: keep retain vectors r with ||E r|| > mean             (prior filtering)
    DPA: aug_num copies r + (v v^T) eps per kept r, eps ~ N(0, I), v the right singular vector
         of W with the smallest singular value; keep those with ||E r~|| > their mean
    Sigma_R = mean r r^T over kept and augmented; P = projector on eigenvectors with value < tau
    K2 = [BOS of "", 3 k-means centroids of the 76 EOS/padding embeddings of ""]  (IEC)
    M = (C_t P + alpha I)^-1
    Delta = W (C_at - C_t) P [I - M K2 (K2^T P M K2 + lamb I)^-1 K2^T P] M

Exact consequences: every retained direction (P r = 0) has Delta r = 0, and with lamb = 0,
Delta K2 = 0 (BOS and null-text outputs unchanged, so classifier-free guidance's unconditional
branch is intact).

Token conventions (official `train_erase_null.py`): a target or anchor is its last subject token
(all tokens 1..76 with `target_tokens=all`, the nudity setting); a retain prompt is its last subject
token, except "" which contributes tokens 1..76; retain prompts containing a target word (whole
word, case-insensitive) are dropped first. Differences from the official code: the k-means is a
seeded CPU Lloyd's (the official one is CUDA-only), the text width is read from the model (the
official code hard-codes 768), and the DPA keep-threshold is the mean score of the augmented
vectors themselves (the reading taken here of "exceeds the mean").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import ClassVar, Literal

import torch

from audits.erasers.config import EraserConfig, check_positive
from audits.erasers.errors import EraserError
from audits.erasers.kmeans import kmeans
from audits.erasers.matrixwise import MatrixwiseEraser
from audits.erasers.prompts import encode_prompts

_KINDS = {"V": ("to_v",), "K": ("to_k",), "KV": ("to_v", "to_k")}


@dataclass(frozen=True)
class SPEEDConfig(EraserConfig):
    """SPEED settings (official CLI defaults)."""

    label: ClassVar[str] = "SPEED"

    anchors: tuple[str, ...] = ("",)  # one for all targets, or one per target
    retain_prompts: tuple[str, ...] = ("",)
    target_tokens: Literal["last", "all"] = "last"
    params: Literal["V", "K", "KV"] = "V"
    aug_num: int = 10
    threshold: float = 0.1  # tau, relative to the mean retain energy
    retain_scale: float = 1.0  # alpha
    lamb: float = 0.0
    disable_filter: bool = False
    kmeans_clusters: int = 3
    seed: int = 0
    dtype: Literal["float64", "float32"] = "float64"

    def validate(self) -> None:
        check_positive(self, "retain_scale", "kmeans_clusters")
        check_positive(self, "aug_num", "threshold", "lamb", allow_zero=True)
        if not self.anchors:
            raise EraserError("SPEED needs an anchor prompt (default '')")
        if not self.retain_prompts:
            raise EraserError("SPEED needs at least one retain prompt (default '')")


@dataclass
class SpeedInputs:
    """Layer-independent quantities: target moments, retain vectors and IEC constraints."""

    C_t: torch.Tensor  # (d, d)
    C_at: torch.Tensor  # (d, d)
    R: torch.Tensor  # (n_r, d) retain vectors after the word filter
    K2: torch.Tensor  # (d, 1 + clusters)

    @cached_property
    def proxy(self) -> torch.Tensor:
        """(C_at - C_t)(I + C_t)^-1, the layer-independent factor of the proxy E = W proxy."""
        eye = torch.eye(self.C_t.shape[0], dtype=self.C_t.dtype, device=self.C_t.device)
        diff = self.C_at - self.C_t
        return torch.linalg.solve(eye + self.C_t, diff.T).T  # (I + C_t) is symmetric


def drop_retains_naming_targets(retains: Sequence[str], targets: Sequence[str]) -> list[str]:
    """Retain prompts that do not contain any target as a whole word (case-insensitive)."""
    patterns = [re.compile(rf"\b{re.escape(t)}\b", re.IGNORECASE) for t in targets]
    return [r for r in retains if not any(p.search(r) for p in patterns)]


def speed_inputs(pipe, concepts, cfg: SPEEDConfig, dtype, device) -> SpeedInputs:
    anchors = list(cfg.anchors)
    if len(anchors) not in (1, len(concepts)):
        raise EraserError(
            f"SPEED needs one anchor or one per target: {len(anchors)} anchors, "
            f"{len(concepts)} targets"
        )
    anchors = anchors * len(concepts) if len(anchors) == 1 else anchors
    retains = drop_retains_naming_targets(cfg.retain_prompts, concepts)
    if not retains:
        raise EraserError("every retain prompt names a target; give other retain prompts")
    enc = encode_prompts(pipe, [*concepts, *anchors, *retains, ""], dtype=dtype, device=device)
    rows = {p: i for i, p in enumerate(enc.prompts)}
    last = enc.last
    if cfg.target_tokens == "all":
        T = enc.emb[[rows[c] for c in concepts], 1:].reshape(-1, enc.emb.shape[-1])
        A = enc.emb[[rows[a] for a in anchors], 1:].reshape(-1, enc.emb.shape[-1])
    else:
        ti = torch.tensor([rows[c] for c in concepts])
        ai = torch.tensor([rows[a] for a in anchors])
        T, A = enc.emb[ti, last[ti]], enc.emb[ai, last[ai]]
    parts = []
    for r in retains:
        e = enc.emb[rows[r]]
        parts.append(e[1:] if r == "" else e[last[rows[r]]][None])
    null = enc.emb[rows[""]]
    centroids = kmeans(null[1:], cfg.kmeans_clusters, seed=cfg.seed)
    return SpeedInputs(
        C_t=T.T @ T / T.shape[0],
        C_at=A.T @ T / T.shape[0],
        R=torch.cat(parts),
        K2=torch.cat([null[0][None], centroids]).T,
    )


def null_space_projector(R: torch.Tensor, threshold: float) -> torch.Tensor:
    """P = U U^T over the eigenvectors of Sigma_R = mean r r^T with eigenvalue < threshold."""
    sigma = R.T @ R / R.shape[0]
    vals, vecs = torch.linalg.eigh(sigma)
    low = vecs[:, vals < threshold]
    return low @ low.T


def retained_set(
    W: torch.Tensor, inputs: SpeedInputs, cfg: SPEEDConfig, gen: torch.Generator
) -> torch.Tensor:
    """IPF then DPA: the retain vectors that define this matrix's null space."""
    d = W.shape[1]
    E = W @ inputs.proxy
    R = inputs.R
    if not cfg.disable_filter:
        score = (R @ E.T).norm(dim=1)
        R = R[score > score.mean()]
    if cfg.aug_num and R.shape[0]:
        v = torch.linalg.svd(W, full_matrices=False).Vh[-1]
        eps = torch.randn(R.shape[0] * cfg.aug_num, d, generator=gen, dtype=W.dtype).to(W.device)
        aug = R.repeat_interleave(cfg.aug_num, dim=0) + (eps @ v)[:, None] * v
        score = (aug @ E.T).norm(dim=1)
        R = torch.cat([R, aug[score > score.mean()]])
    return R


def speed_delta(
    W: torch.Tensor, inputs: SpeedInputs, P: torch.Tensor, cfg: SPEEDConfig
) -> torch.Tensor:
    """Delta = W (C_at - C_t) P [I - M K2 (K2^T P M K2 + lamb I)^-1 K2^T P] M, by solves."""
    d = W.shape[1]
    eye = torch.eye(d, dtype=W.dtype, device=W.device)
    A = inputs.C_t @ P + cfg.retain_scale * eye  # M = A^-1
    K2 = inputs.K2
    MK2 = torch.linalg.solve(A, K2)
    inner = K2.T @ P @ MK2 + cfg.lamb * torch.eye(K2.shape[1], dtype=W.dtype, device=W.device)
    bracket = eye - MK2 @ torch.linalg.solve(inner, K2.T @ P)
    # left = W (C_at - C_t) P bracket; Delta = left A^-1, i.e. A^T Delta^T = left^T
    left = W @ (inputs.C_at - inputs.C_t) @ P @ bracket
    return torch.linalg.solve(A.T, left.T).T


class SPEEDEraser(MatrixwiseEraser):
    """SPEED's null-space-constrained edit (to_v by default)."""

    name = "speed"
    version = "speed/1"
    config_class = SPEEDConfig
    edits = "attn2 to_v (default; to_k or both with params=K|KV)"
    summary = "SPEED null-space edit with IPF, DPA and invariant equality constraints"
    presets: ClassVar[dict[str, SPEEDConfig]] = {
        "instance": SPEEDConfig(),
        "style": SPEEDConfig(anchors=("art",)),
        "celebrity": SPEEDConfig(
            anchors=("person",), threshold=1e-4, retain_scale=0.05, disable_filter=True
        ),
        "nudity": SPEEDConfig(target_tokens="all", retain_scale=0.7, lamb=0.5),
    }
    preset_sources: ClassVar[dict[str, str]] = {
        "instance": "SPEED README instance erasure (retain set: pass data/instance.csv names)",
        "style": "SPEED README style erasure (retain set: pass data/style.csv names)",
        "celebrity": "SPEED README multi-celebrity (retain set: MACE's 100 retained celebrities)",
        "nudity": "SPEED README nudity erasure",
    }

    def kinds(self) -> tuple[str, ...]:
        return _KINDS[self.config.params]

    def text_terms(self, pipe, concepts, dtype, device):
        inputs = speed_inputs(pipe, concepts, self.config, dtype, device)
        # one seeded generator for the whole edit, consumed matrix by matrix in order
        return inputs, torch.Generator(device="cpu").manual_seed(self.config.seed)

    def solve(self, W: torch.Tensor, terms) -> tuple[torch.Tensor, dict]:
        cfg: SPEEDConfig = self.config
        inputs, gen = terms
        R = retained_set(W, inputs, cfg, gen)
        P = null_space_projector(R, cfg.threshold) if R.shape[0] else torch.eye(W.shape[1])
        new = W + speed_delta(W, inputs, P.to(W), cfg)
        return new, {"retained": int(R.shape[0]), "null_rank": int(round(P.trace().item()))}

    def variant(self) -> str:
        return f"speed/{self.config.params}/{self.config.target_tokens}-token"
