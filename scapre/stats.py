"""Per-matrix statistics of the official code, vectorised over rows and concepts.

Both functions take pre-drawn standard-normal noise so the caller controls the draw order.
`arithmetic="official"` computes in float32 exactly as the official code does (the Informax mask
of the published presets is decided by float32 rounding; see docs/solver.md); "exact" uses float64
and keeps ties as ties.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

EPS = 1e-8


def _stat_dtype(arithmetic: str) -> torch.dtype:
    return torch.float32 if arithmetic == "official" else torch.float64


def entropy_factor(
    W0: torch.Tensor,
    C: torch.Tensor,
    noise: torch.Tensor,
    noise_sigma: float,
    bins: int,
    arithmetic: str = "official",
) -> torch.Tensor:
    """Row "peakedness" e_i = 1 - H_i / log(bins) of W0's responses to noisy concept vectors.

    W0 (d_out, d_in); C (d_in, m); noise (m * S, d_in), concept-major. Returns e (d_out,) float64.
    Histogram bins follow torch.histc on [0, 1]: bin = floor(x * bins), x == 1 in the last bin.
    """
    dt = _stat_dtype(arithmetic)
    m = C.shape[1]
    per_concept = noise.shape[0] // m
    samples = C.T.to(dt).repeat_interleave(per_concept, dim=0) + noise.to(dt) * noise_sigma
    W = W0.to(dt)
    log_bins = torch.log(torch.tensor(float(bins), dtype=dt, device=W.device))
    rows = max(1, _CHUNK_ELEMENTS // max(1, samples.shape[0]))  # bound the transient memory
    parts = []
    for start in range(0, W.shape[0], rows):
        acts = W[start : start + rows] @ samples.T  # (rows, m * S)
        lo = acts.min(dim=1, keepdim=True).values
        hi = acts.max(dim=1, keepdim=True).values
        x = (acts - lo) / (hi - lo + EPS)
        idx = torch.floor(x * bins).long().clamp_(0, bins - 1)
        hist = torch.zeros(acts.shape[0], bins, dtype=dt, device=acts.device)
        hist.scatter_add_(1, idx, torch.ones_like(x))
        prob = hist / (hist.sum(dim=1, keepdim=True) + EPS)
        H = -(prob * torch.log(prob + EPS)).sum(dim=1)
        parts.append(1 - H / log_bins)
    return torch.cat(parts).to(torch.float64)


_CHUNK_ELEMENTS = 1 << 24  # activations per chunk (64 MB in float32)


@dataclass
class InformaxResult:
    """Per-concept Informax statistics for one matrix."""

    mi: torch.Tensor  # (m, d_out) mutual information per concept and row
    mask: torch.Tensor  # (m, d_out) soft mask, float64
    z: torch.Tensor  # (m, d_out) standardised MI (softmask form); MI minus its mean otherwise
    separated: torch.Tensor  # (m, d_out) bool: row separates concept from empty prompt perfectly


def _mi_terms(n11, n10, n01, n00, k: float):
    """The four MI terms in the official order (1,1), (1,0), (0,1), (0,0)."""
    p11, p10, p01, p00 = n11 / k, n10 / k, n01 / k, n00 / k
    p1_, p0_ = p11 + p10, p01 + p00
    p_1, p_0 = p11 + p01, p10 + p00
    return (
        p11 * torch.log(p11 / (p1_ * p_1)),
        p10 * torch.log(p10 / (p1_ * p_0)),
        p01 * torch.log(p01 / (p0_ * p_1)),
        p00 * torch.log(p00 / (p0_ * p_0)),
    )


def informax(
    W0: torch.Tensor,
    C: torch.Tensor,
    e0: torch.Tensor,
    pos_noise: torch.Tensor,
    neg_noise: torch.Tensor,
    noise_sigma: float,
    p: float,
    temperature: float = 0.7,
    arithmetic: str = "official",
    form: str = "softmask",
) -> InformaxResult:
    """Informax soft masks of all concepts for one matrix.

    pos_noise, neg_noise: (m, K, d_in). Row i of concept k: threshold at the lower median of the
    2K activations, binarise (strict >), MI between the bit and the label, then (softmask form)
    z-score over rows with the unbiased std and sigmoid(z / T) ** p, or (paper form) MI / max MI.
    """
    dt = _stat_dtype(arithmetic)
    m, K, _ = pos_noise.shape
    pos = C.T.to(dt)[:, None, :] + noise_sigma * pos_noise.to(dt)
    neg = e0.to(dt)[None, None, :] + noise_sigma * neg_noise.to(dt)
    samples = torch.cat([pos, neg], dim=1)  # (m, 2K, d_in)
    acts = torch.einsum("oi,msi->mos", W0.to(dt), samples)  # (m, d_out, 2K)
    tau = acts.median(dim=2, keepdim=True).values  # lower median, as torch.median
    Z = acts > tau
    n11 = Z[..., :K].sum(dim=2)
    n10 = Z[..., K:].sum(dim=2)
    n01 = K - n11
    n00 = K - n10
    total = float(2 * K)
    counts = [n.to(dt) + EPS for n in (n11, n10, n01, n00)]
    terms = _mi_terms(*counts, total)
    if arithmetic == "official":
        mi = ((terms[0] + terms[1]) + terms[2]) + terms[3]
    else:  # sum in sorted order so that permuted count tables tie exactly
        mi = torch.sort(torch.stack(terms), dim=0).values.sum(dim=0)
    separated = (n11 == 0) | (n11 == K)
    if form == "paper":
        z = mi - mi.mean(dim=1, keepdim=True)
        mask = _paper_alpha(mi)
    else:
        z = _zscore(mi, arithmetic)
        mask = torch.sigmoid(z / temperature).pow(p)
    return InformaxResult(
        mi=mi.to(torch.float64),
        mask=mask.to(torch.float64),
        z=z.to(torch.float64),
        separated=separated,
    )


def _zscore(mi: torch.Tensor, arithmetic: str) -> torch.Tensor:
    """(mi - mean) / (unbiased std + eps) over rows, per concept.

    The mean and std are taken one concept at a time, as in the official code: a batched
    reduction sums in another order, and with rows that differ by an ulp that order decides the
    official mask.
    """
    mean = torch.stack([row.mean() for row in mi]).unsqueeze(1)
    std = torch.stack([row.std() for row in mi]).unsqueeze(1)
    z = (mi - mean) / (std + EPS)
    if arithmetic == "exact":  # all rows tie: no row is more informative than another
        ties = (mi == mi[:, :1]).all(dim=1, keepdim=True)
        z = torch.where(ties, torch.zeros_like(z), z)
    return z


def _paper_alpha(mi: torch.Tensor) -> torch.Tensor:
    """The paper's Eq. 7 for each concept alone: MI_k / max_i MI_k (row weights in [0, 1])."""
    top = mi.max(dim=1, keepdim=True).values
    return torch.where(top > 0, mi / top.clamp_min(EPS), torch.zeros_like(mi))


def paper_row_strength(mi: torch.Tensor) -> torch.Tensor:
    """The paper's Eq. 7: alpha_i = max_k MI_k,i / max_j max_k MI_k,j."""
    agg = mi.max(dim=0).values
    top = agg.max()
    return agg / top if float(top) > 0 else torch.zeros_like(agg)
