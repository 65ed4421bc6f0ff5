"""Exact closed forms of the weight-space measurements, through d x d Gram matrices.

For K/V matrices W_l (unedited) and W'_l = W_l + D_l (edited), l over every cross-attention
`to_k` and `to_v`, and a text-feature vector c (one token of a prompt):

    sum_l ||W'_l c - W_l c||^2 = c^T (sum_l D_l^T D_l) c           = c^T G_dd c
    sum_l ||W_l c||^2          = c^T (sum_l W_l^T W_l) c           = c^T G_0 c
    sum_l ||W'_l x - W_l n||^2 = d^T G_0 d + 2 d^T G_wd x + x^T G_dd x,   d = x - n,
                                 G_wd = sum_l W_l^T D_l

so every per-prompt value costs a few (tokens x d) @ (d x d) products, whatever the number and
size of the matrices (SD 1.5: 32 matrices, 24,960 rows, d = 768). The Gram matrices are float64;
the per-token products run in float32 (what the text encoder returns) and are summed in float64.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Base:
    """What every edit shares: the unedited matrices and their Gram G_0."""

    original: dict[str, torch.Tensor]  # float64
    g0: torch.Tensor = field(init=False)
    grams: dict[str, torch.Tensor] = field(init=False)  # W_l^T W_l per matrix

    def __post_init__(self) -> None:
        self.grams = {n: W.T @ W for n, W in self.original.items()}
        self.g0 = sum(self.grams.values(), torch.zeros_like(next(iter(self.grams.values()))))


@dataclass
class EditGrams:
    """One edit's K/V change: D_l per edited matrix, G_dd, G_wd and the recovery map."""

    diffs: dict[str, torch.Tensor]
    gdd: torch.Tensor
    gwd: torch.Tensor
    dgrams: dict[str, torch.Tensor] = field(default_factory=dict)  # D_l^T D_l per matrix

    @property
    def empty(self) -> bool:
        return not self.diffs


def edit_grams(base: Base, new: dict[str, torch.Tensor]) -> EditGrams:
    """D_l = W'_l - W_l for the K/V matrices among `new` (new weights by name; other names are
    ignored here: `kv_share` accounts for them)."""
    d = base.g0.shape[0]
    diffs = {n: new[n].to(torch.float64) - W for n, W in base.original.items() if n in new}
    diffs = {n: D for n, D in diffs.items() if bool(D.any())}
    gdd = torch.zeros(d, d, dtype=torch.float64)
    gwd = torch.zeros(d, d, dtype=torch.float64)
    dgrams = {}
    for n, D in diffs.items():
        dgrams[n] = D.T @ D
        gdd += dgrams[n]
        gwd += base.original[n].T @ D
    return EditGrams(diffs, gdd, gwd, dgrams)


def recovery_map(base: Base, edit: EditGrams, regular_scale: float) -> torch.Tensor:
    """RECE's closed form over every K/V matrix (as `audits.attacks.embedding_recovery`):
    c' = Kmap c with Kmap = (lambda I + sum W'^T W')^-1 sum W'^T W."""
    g0, gwd, gdd = base.g0, edit.gwd, edit.gdd
    d = g0.shape[0]
    lhs = regular_scale * torch.eye(d, dtype=torch.float64) + g0 + gwd + gwd.T + gdd
    return torch.linalg.solve(lhs, g0 + gwd.T)


def residual_gram(base: Base, edit: EditGrams, kmap: torch.Tensor) -> torch.Tensor:
    """R with sum_l ||W'_l Kmap c - W_l c||^2 = c^T R c."""
    eye = torch.eye(kmap.shape[0], dtype=torch.float64)
    a = kmap - eye
    cross = a.T @ edit.gwd @ kmap
    return a.T @ base.g0 @ a + cross + cross.T + kmap.T @ edit.gdd @ kmap


def token_forms(emb: torch.Tensor, gram: torch.Tensor, chunk: int = 256) -> torch.Tensor:
    """c^T G c for every token: emb (n, L, d) -> (n, L) float64. One work buffer for every
    chunk (a fresh 60 MB temporary per product costs page faults, not arithmetic)."""
    g = gram.to(emb.dtype)
    if emb.shape[0] == 0:
        return emb.new_zeros(0, emb.shape[1], dtype=torch.float64)
    buf = emb.new_empty(min(chunk, emb.shape[0]), *emb.shape[1:-1], g.shape[1])
    out = []
    for i in range(0, emb.shape[0], chunk):
        e = emb[i : i + chunk]
        work = buf[: e.shape[0]]
        torch.matmul(e, g, out=work)
        out.append(work.mul_(e).sum(-1, dtype=torch.float64))
    return torch.cat(out)


def after_bos(values: torch.Tensor) -> torch.Tensor:
    """Per-prompt sums over every position after BOS: (n, L) -> (n,)."""
    return values[:, 1:].sum(1)


def relative(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    return torch.sqrt(num.clamp_min(0) / den.clamp_min(1e-300))


def tail_slices(last: torch.Tensor, guide_last: int, length: int):
    """Per distinct last-content index f_o: (f_o, concept slice, guide slice) aligning the
    prompt's tail with the guide's (UCE-2023's `tail_pair`: last content token, EOS, padding,
    position by position, cut to equal length)."""
    out = []
    for f in sorted({int(x) for x in last}):
        far = max(f, guide_last)
        out.append(
            (f, slice(f, length - (far - f)), slice(guide_last, length - (far - guide_last)))
        )
    return out


def toward_guide(
    emb: torch.Tensor,
    last: torch.Tensor,
    guide_emb: torch.Tensor,
    guide_last: int,
    base: Base,
    edit: EditGrams,
    dd_forms: torch.Tensor,
    den_cache: dict | None = None,
    cache_key: object = None,
) -> torch.Tensor:
    """Per prompt: 1 - sqrt(sum_t ||W' x_t - W n_t||^2 / sum_t ||W x_t - W n_t||^2) over the
    aligned tail positions t (x: the prompt's tokens, n: the guide's). 1 = the edited K/V of
    the tail equal the unedited K/V of the guide's tail; 0 = no move toward them; < 0 = moved
    away. `dd_forms` are the prompt tokens' x^T G_dd x (from the shift pass)."""
    length = emb.shape[1]
    out = torch.zeros(emb.shape[0], dtype=torch.float64)
    gwd = edit.gwd.to(emb.dtype)
    g0 = base.g0.to(emb.dtype)
    for f, xs, ns in tail_slices(last, guide_last, length):
        rows = (last == f).nonzero().flatten()
        x = emb[rows][:, xs]
        d = x - guide_emb[ns].unsqueeze(0)
        key = (cache_key, f)
        if (
            den_cache is not None and key in den_cache and den_cache[key][0].equal(rows)
        ):  # same prompts
            den = den_cache[key][1]
        else:
            den = ((d @ g0) * d).sum((1, 2), dtype=torch.float64)
            if den_cache is not None:
                den_cache[key] = (rows, den)
        cross = ((d @ gwd) * x).sum((1, 2), dtype=torch.float64)
        num = den + 2 * cross + dd_forms[rows][:, xs].sum(1)
        out[rows] = 1 - relative(num, den)
    return out


def traces(grams: dict[str, torch.Tensor], second_moment: torch.Tensor) -> dict[str, float]:
    """tr(A_l S A_l^T) = <A_l^T A_l, S>_F per matrix, from its Gram A_l^T A_l (one work buffer
    for all: a fresh d x d temporary per matrix cost more than the products)."""
    buf = torch.empty_like(second_moment)
    return {n: float(torch.mul(g, second_moment, out=buf).sum()) for n, g in grams.items()}


def per_matrix(nums: dict[str, float], dens: dict[str, float]) -> dict:
    """sqrt(tr(D_l S D_l^T) / tr(W_l S W_l^T)) per edited matrix, S = sum of c c^T over the
    probe's tokens after BOS: each matrix's own relative change on that probe. `nums`: the
    edit's traces (`traces(edit.dgrams, S)`); `dens`: the unedited ones
    (`traces(base.grams, S)`)."""
    return {n: (num / dens[n]) ** 0.5 if dens[n] > 0 else None for n, num in nums.items()}


def by_kind(nums: dict[str, float], dens: dict[str, float]) -> dict:
    """The same ratio pooled over all `to_k` and over all `to_v` matrices."""
    out = {}
    for kind in ("to_k", "to_v"):
        names = [n for n in dens if n.rsplit(".", 2)[-2] == kind]
        if not names:
            continue
        num = sum(nums[n] for n in names if n in nums)
        den = sum(dens[n] for n in names)
        out[kind] = (num / den) ** 0.5 if den > 0 else None
    return out


def second_moment(emb: torch.Tensor) -> torch.Tensor:
    """sum over prompts and positions after BOS of c c^T, float64 (d x d)."""
    flat = emb[:, 1:].reshape(-1, emb.shape[-1])
    return (flat.T @ flat).to(torch.float64)


def kv_share(
    original_unet: dict[str, torch.Tensor],
    new: dict[str, torch.Tensor],
    kv: set[str],
    diffs: dict[str, torch.Tensor] | None = None,
    old_sq: dict[str, float] | None = None,
):
    """(share of ||new - old||_F^2 in the K/V matrices, total ||new - old||_F^2, relative
    change ||new - old|| / ||old|| over every changed tensor). `diffs` (an `EditGrams`' float64
    K/V diffs; a K/V name absent from it did not change) and `old_sq` (||old||_F^2 by name,
    filled here) spare repeating work already done; the values are the same without them."""
    kv_sq = total_sq = old_total = 0.0
    for n, w in new.items():
        if diffs is not None and n in kv:
            sq = float(diffs[n].pow(2).sum()) if n in diffs else 0.0
        else:
            sq = float((w.to(torch.float64) - original_unet[n].to(torch.float64)).pow(2).sum())
        total_sq += sq
        if n in kv:
            kv_sq += sq
        if old_sq is not None and n in old_sq:
            old_total += old_sq[n]
            continue
        value = float(original_unet[n].to(torch.float64).pow(2).sum())
        if old_sq is not None:
            old_sq[n] = value
        old_total += value
    share = kv_sq / total_sq if total_sq > 0 else None
    rel = (total_sq / old_total) ** 0.5 if old_total > 0 else 0.0
    return share, total_sq, rel
