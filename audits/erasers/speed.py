"""SPEED, Scalable, Precise and Efficient concept Erasure (Li et al., ICLR 2026), closed form.

Follows `edit_model` of the official `train_erase_null.py` (Ouxiang-Li/SPEED 6d3df0c). Per edited
matrix W (default: the 16 cross-attention `to_v`), column vectors, d the text width:

    C_t = (1/m) sum_i T_i^T T_i, C_at = (1/m) sum_i A_i^T T_i   (T_i, A_i: token rows of target i
                                                                 and its anchor; summed over
                                                                 tokens, averaged over targets)
    E = W (C_at - C_t)(I + C_t)^-1                               (proxy, only used for scoring)
    IPF (only when aug_num > 0 and not disable_filter): keep retain vectors r with ||E r|| > mean
    DPA (aug_num > 0): per chunk of 128 retain vectors, per mini-batch of 8, aug_num draws
         r + (eps v) v^T, eps ~ N(0, I), v the right singular vector of W with the smallest
         singular value; keep the chunk's perturbed vectors whose ||E r~|| exceeds the chunk's mean
    Sigma_R = mean r r^T over kept and augmented; P = projector on eigenvectors with value < tau
    K2 = [BOS of "", 3 k-means centroids of the 76 EOS/padding embeddings of ""]  (IEC)
    M = (C_t P + alpha I)^-1
    Delta = W (C_at - C_t) P [I - M K2 (K2^T P M K2 + lamb I)^-1 K2^T P] M

Exact consequences: every retained direction (P r = 0) has Delta r = 0, and with lamb = 0,
Delta K2 = 0 (BOS and null-text outputs unchanged, so classifier-free guidance's unconditional
branch is intact).

Token conventions (official): a target or anchor is its last subject token, or all tokens 1..76
with `target_tokens=all` (officially switched on when the target list is exactly ["nudity"]); a
retain prompt is its last subject token ("" gives BOS), except when the filtered retain list is
exactly [""], whose tokens 1..76 are the retain vectors; retain prompts containing a target word
(whole word, case-insensitive) are dropped first; duplicates are refused (the official assert).
The retain vectors are shuffled once (`torch.randperm`), and the DPA noise is drawn matrix by
matrix in state-dict order, in the official shapes and order, all from one generator seeded with
`seed` (official: the permutation from torch's CPU generator seeded by `seed_everything(seed)`,
which this reproduces; the noise from the CUDA generator, which cannot be replayed on a CPU).
Differences from the official code: the k-means is the CPU `audits.erasers.kmeans` (same start,
same steps), the text width is read from the model (officially 768), a retain set that the filter
empties leaves the matrix unconstrained (P = I; the official code crashes), and float64 solves
replace float32 inverses.
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
CHUNK = 128  # official chunk_size: retain vectors per DPA chunk (its keep-threshold is per chunk)
MINI_BATCH = 8  # official mini_batch of generate_perturbed_embs: rows per noise draw


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
        if len(set(self.retain_prompts)) != len(self.retain_prompts):
            raise EraserError("SPEED retain_prompts must not repeat a prompt")


@dataclass
class SpeedInputs:
    """Layer-independent quantities: target moments, retain vectors and IEC constraints."""

    C_t: torch.Tensor  # (d, d)
    C_at: torch.Tensor  # (d, d)
    R: torch.Tensor  # (n_r, d) retain vectors after the word filter, shuffled
    K2: torch.Tensor  # (d, 1 + clusters)

    @cached_property
    def proxy(self) -> torch.Tensor:
        """(C_at - C_t)(I + C_t)^-1, the layer-independent factor of the proxy E = W proxy."""
        eye = torch.eye(self.C_t.shape[0], dtype=self.C_t.dtype, device=self.C_t.device)
        diff = self.C_at - self.C_t
        return torch.linalg.solve(eye + self.C_t, diff.T).T  # (I + C_t) is symmetric


def drop_retains_naming_targets(retains: Sequence[str], targets: Sequence[str]) -> list[str]:
    """Retain prompts that do not contain any target as a whole word (case-insensitive)."""
    patterns = [re.compile(rf"\b{re.escape(t.lower())}\b") for t in targets]
    return [r for r in retains if not any(p.search(r.lower()) for p in patterns)]


def speed_inputs(pipe, concepts, cfg: SPEEDConfig, dtype, device, gen) -> SpeedInputs:
    """Target moments, the shuffled retain vectors (one `randperm` from `gen`) and K2."""
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
    if set(retains) & set(concepts):
        raise EraserError("a retain prompt equals a target; remove it from retain_prompts")
    enc = encode_prompts(pipe, [*concepts, *anchors, *retains, ""], dtype=dtype, device=device)
    rows = {p: i for i, p in enumerate(enc.prompts)}
    last = enc.last
    ti = torch.tensor([rows[c] for c in concepts])
    ai = torch.tensor([rows[a] for a in anchors])
    if cfg.target_tokens == "all":
        T, A = enc.emb[ti, 1:], enc.emb[ai, 1:]  # (m, 76, d)
    else:
        T, A = enc.emb[ti, last[ti]][:, None], enc.emb[ai, last[ai]][:, None]  # (m, 1, d)
    m = len(concepts)
    if retains == [""]:
        R = enc.emb[rows[""], 1:]
    else:
        ri = torch.tensor([rows[r] for r in retains])
        R = enc.emb[ri, last[ri]]
    R = R[torch.randperm(R.shape[0], generator=gen).to(R.device)]
    null = enc.emb[rows[""]]
    centroids = kmeans(null[1:], cfg.kmeans_clusters, seed=cfg.seed)
    return SpeedInputs(
        C_t=torch.einsum("mti,mtj->ij", T, T) / m,
        C_at=torch.einsum("mti,mtj->ij", A, T) / m,
        R=R,
        K2=torch.cat([null[0][None], centroids]).T,
    )


def null_space_projector(R: torch.Tensor, threshold: float) -> torch.Tensor:
    """P = U U^T over the eigenvectors of Sigma_R = mean r r^T with eigenvalue < threshold."""
    sigma = R.T @ R / R.shape[0]
    vals, vecs = torch.linalg.eigh(sigma)
    low = vecs[:, vals < threshold]
    return low @ low.T


def perturbed(
    R: torch.Tensor, v: torch.Tensor, E: torch.Tensor, aug_num: int, gen: torch.Generator
) -> torch.Tensor:
    """DPA for one chunk: aug_num noisy copies per mini-batch of 8 rows, in the official draw
    order; keep those whose ||E r~|| exceeds the mean over the chunk's copies."""
    outs = []
    for i in range(0, R.shape[0], MINI_BATCH):
        batch = R[i : i + MINI_BATCH]
        for _ in range(aug_num):
            eps = torch.randn(batch.shape, generator=gen, dtype=R.dtype).to(R.device)
            outs.append(batch + (eps @ v)[:, None] * v)
    out = torch.cat(outs)
    score = (out @ E.T).norm(dim=1)
    return out[score > score.mean()]


def retained_set(
    W: torch.Tensor, inputs: SpeedInputs, cfg: SPEEDConfig, gen: torch.Generator
) -> torch.Tensor:
    """IPF then DPA: the retain vectors that define this matrix's null space."""
    E = W @ inputs.proxy
    R = inputs.R
    if cfg.aug_num > 0 and not cfg.disable_filter:
        score = (R @ E.T).norm(dim=1)
        R = R[score > score.mean()]
    if cfg.aug_num == 0 or R.shape[0] == 0:
        return R
    v = torch.linalg.svd(W, full_matrices=False).Vh[-1]
    parts = []
    for j in range(0, R.shape[0], CHUNK):
        chunk = R[j : j + CHUNK]
        parts += [chunk, perturbed(chunk, v, E, cfg.aug_num, gen)]
    return torch.cat(parts)


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
    version = "speed/2"
    config_class = SPEEDConfig
    edits = "attn2 to_v (default; to_k or both with params=K|KV)"
    summary = "SPEED null-space edit with IPF, DPA and invariant equality constraints"
    presets: ClassVar[dict[str, SPEEDConfig]] = {
        "instance": SPEEDConfig(),
        "style": SPEEDConfig(anchors=("art",)),
        "celebrity": SPEEDConfig(
            anchors=("person",), threshold=1e-4, retain_scale=0.05, disable_filter=True
        ),
        "celebrity-readme": SPEEDConfig(
            anchors=("person",), retain_scale=0.05, disable_filter=True
        ),
        "nudity": SPEEDConfig(target_tokens="all", retain_scale=0.7, lamb=0.5),
    }
    preset_sources: ClassVar[dict[str, str]] = {
        "instance": "scripts/eval_few.sh instance (V, aug 10, tau 0.1, anchor ''); retain: "
        "pass data/instance.csv names",
        "style": "scripts/eval_few.sh style (anchor 'art'); retain: pass data/style.csv names",
        "celebrity": "scripts/eval_multi.sh (tau 1e-4, alpha 0.05, --disable_filter, anchor "
        "'person'); retain: pass data/{10,50,100}_celebrity.csv names",
        "celebrity-readme": "README 10-celebrity command (tau left at 0.1, alpha 0.05, "
        "--disable_filter, anchor 'person')",
        "nudity": "scripts/eval_nudity.sh (target 'nudity', all tokens, alpha 0.7, lamb 0.5)",
    }

    def kinds(self) -> tuple[str, ...]:
        return _KINDS[self.config.params]

    def matrix_order(self, pipe, names: list[str]) -> list[str]:
        """The official loop runs over the UNet's state dict (per block: to_k, then to_v), which
        fixes the order the DPA noise is drawn in."""
        rank = {n: i for i, (n, _) in enumerate(pipe.unet.named_parameters())}
        return sorted(names, key=rank.__getitem__)

    def text_terms(self, pipe, concepts, dtype, device):
        # one seeded generator for the whole edit: the shuffle, then the DPA noise matrix by matrix
        gen = torch.Generator(device="cpu").manual_seed(self.config.seed)
        return speed_inputs(pipe, concepts, self.config, dtype, device, gen), gen

    def solve(self, W: torch.Tensor, terms) -> tuple[torch.Tensor, dict]:
        cfg: SPEEDConfig = self.config
        inputs, gen = terms
        R = retained_set(W, inputs, cfg, gen)
        P = null_space_projector(R, cfg.threshold) if R.shape[0] else torch.eye(W.shape[1])
        new = W + speed_delta(W, inputs, P.to(W), cfg)
        return new, {"retained": int(R.shape[0]), "null_rank": int(round(P.trace().item()))}

    def variant(self) -> str:
        return f"speed/{self.config.params}/{self.config.target_tokens}-token"
