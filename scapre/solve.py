"""The closed-form edit of one matrix, for both official variants, batched over rows.

The official "scale" code factorises one d_in x d_in system per output row. Every row system is
`(G + alpha_i Pi) w_i = b_i` with the same G and the same Pi, so all rows are solved exactly from
one Cholesky factor of G and one symmetric eigendecomposition (of an m x m or d_in x d_in Gram):

    G = L L^T,  L^-1 Pi L^-T = Q diag(lam) Q^T
    w_i = L^-T (I - Q diag(alpha_i lam / (1 + alpha_i lam)) Q^T) L^-1 b_i

`tests/scapre/oracle.py` keeps the literal per-row solve; the tests hold the two to 1e-6.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from scapre.config import ScaPreConfig
from scapre.noise import NoiseSource
from scapre.stats import EPS, InformaxResult, entropy_factor, informax, paper_row_strength
from scapre.text import TextFeatures


@dataclass
class SharedTerms:
    """Layer-independent quantities, computed once per edit (the official code recomputes them
    for every layer)."""

    feats: TextFeatures
    CCt: torch.Tensor  # C C^T
    XtX: torch.Tensor  # sum_k X_k^T X_k (without erase_scale)
    U: torch.Tensor  # left singular vectors of C (d_in, r)
    s: torch.Tensor  # singular values of C (r,)
    Pi_factor: torch.Tensor  # Pi = Pi_factor Pi_factor^T = C (C^T C + 1e-8 I)^-1 C^T
    X_all: torch.Tensor  # (sum T_k, d_in) all concept tails stacked
    tok_concept: torch.Tensor  # (sum T_k,) concept of each tail token
    tok_guide_row: torch.Tensor  # (sum T_k,) row of the aligned guide token in guide_flat
    guide_flat: torch.Tensor  # (n_guides * L, d_in)
    preserve_gram: torch.Tensor | None  # sum over preserve prompts of P^T P

    @classmethod
    def build(cls, feats: TextFeatures) -> SharedTerms:
        C = feats.C
        U, s, _ = torch.linalg.svd(C, full_matrices=False)
        X_all = feats.X_all if feats.X_all is not None else torch.cat(feats.X)
        lengths = torch.tensor([x.shape[0] for x in feats.X], device=C.device)
        tok_concept = torch.repeat_interleave(torch.arange(len(feats.X), device=C.device), lengths)
        L = feats.guide_embeddings.shape[1]
        rows = [
            g * L + s0 + torch.arange(x.shape[0], device=C.device)
            for g, s0, x in zip(feats.guide_index, feats.guide_start, feats.X, strict=True)
        ]
        P = feats.preserve
        return cls(
            feats=feats,
            CCt=C @ C.T,
            XtX=X_all.T @ X_all,
            U=U,
            s=s,
            Pi_factor=U * (s / torch.sqrt(s * s + EPS)),
            X_all=X_all,
            tok_concept=tok_concept,
            tok_guide_row=torch.cat(rows),
            guide_flat=feats.guide_embeddings.reshape(-1, feats.d_in),
            preserve_gram=None if P is None else torch.einsum("pti,ptj->ij", P, P),
        )

    def gate(self, T_sigma: float, p_sigma: float) -> torch.Tensor:
        """Singular-value gate sigmoid((s - lower median) / (T + 1e-8)) ** p (ASED, SSA-SVD)."""
        return torch.sigmoid((self.s - torch.median(self.s)) / (T_sigma + EPS)) ** p_sigma


@dataclass
class MatrixReport:
    """What the solver measured while editing one matrix (kept in edit.json)."""

    name: str
    shape: tuple[int, int]
    mu: float | None = None
    alpha_mean: float | None = None
    mask_mean: float | None = None
    rows_separated: float | None = None  # share of (concept, row) pairs separated perfectly
    sign_rule_agreement: float | None = None  # separated rows: MI rounded up iff (W0 c) < (W0 e0)
    rollback_mean: float | None = None


def uce_values(
    W0: torch.Tensor, shared: SharedTerms, weights: torch.Tensor | None, technique: str
) -> torch.Tensor:
    """sum_k diag(w_k) V*_k X_k, the UCE numerator term, without per-token outer products.

    'replace': V*_k = W0 N_k^T. Each concept's row weights are split into their most common
    value, applied through one d_in x d_in matrix (guide tokens paired with the tail tokens they
    align with), plus the rows that differ from it, handled token-wise in blocked GEMMs. Exact for
    any weights; nearly free when the weights are constant over rows.
    """
    if technique == "tensor":
        return _tensor_values(W0, shared.feats, weights)
    m = len(shared.feats.X)
    if weights is None:
        modal = torch.ones(m, dtype=W0.dtype, device=W0.device)
    else:
        modal = torch.mode(weights, dim=1).values
    token_weight = modal[shared.tok_concept].unsqueeze(1)
    Y = torch.zeros_like(shared.guide_flat).index_add_(
        0, shared.tok_guide_row, shared.X_all * token_weight
    )
    H = W0 @ shared.guide_flat.T  # every guide token's value through W0, once
    V = H @ Y
    if weights is None:
        return V
    deviation = weights - modal.unsqueeze(1)  # (m, d_out)
    deviating = (deviation != 0).any(dim=1)
    if not bool(deviating.any()):
        return V
    tokens = torch.nonzero(deviating[shared.tok_concept]).flatten()
    for block in tokens.split(_TOKEN_BLOCK):
        coef = deviation[shared.tok_concept[block]].T * H[:, shared.tok_guide_row[block]]
        V += coef @ shared.X_all[block]
    return V


_TOKEN_BLOCK = 4096  # tail tokens per GEMM block (bounds memory at d_out x 4096)


def _tensor_values(W0, feats: TextFeatures, weights) -> torch.Tensor:
    """UCE's 'tensor' targets: the guide values minus their component along W0 X_k^T."""
    V = torch.zeros_like(W0)
    for k, (X, N) in enumerate(zip(feats.X, feats.N, strict=True)):
        target = W0 @ N.T
        u = W0 @ X.T
        u = u / u.norm()
        target = target - (u * target).sum() * u
        if weights is not None:
            target = weights[k].unsqueeze(1) * target
        V += target @ X
    return V


def solve_rows(
    G: torch.Tensor, Pi_factor: torch.Tensor, alpha: torch.Tensor, B: torch.Tensor
) -> torch.Tensor:
    """Solve (G + alpha_i Pi) w_i = b_i for every row i at once (G SPD, Pi = F F^T)."""
    L = torch.linalg.cholesky(G)
    Q, lam = _whitened_eigenbasis(torch.linalg.solve_triangular(L, Pi_factor, upper=False))
    Z = torch.linalg.solve_triangular(L, B.T, upper=False).T  # rows L^-1 b_i
    a_lam = alpha.unsqueeze(1) * lam.unsqueeze(0)
    Y = Z - ((Z @ Q) * (a_lam / (1 + a_lam))) @ Q.T
    return torch.linalg.solve_triangular(L.T, Y.T, upper=True).T


def _whitened_eigenbasis(B: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Eigenpairs (Q, lam) of B B^T with lam > 0, from whichever Gram matrix is smaller.

    With few concepts (B is d_in x r, r small) the r x r Gram B^T B is decomposed and its
    eigenvectors mapped back through B; directions with lam below 1e-13 of the largest are
    dropped, which changes a row by at most alpha * lam relative, far below float64 noise.
    """
    d, r = B.shape
    if 2 * r >= d:
        lam, Q = torch.linalg.eigh(B @ B.T)
        return Q, lam.clamp_min(0.0)
    lam, P = torch.linalg.eigh(B.T @ B)
    keep = lam > 1e-13 * lam.max().clamp_min(torch.finfo(B.dtype).tiny)
    lam, P = lam[keep], P[:, keep]
    return (B @ P) / torch.sqrt(lam), lam


def bures_rows(
    W0: torch.Tensor, W: torch.Tensor, mu: float, lam_prox: float, iters: int
) -> torch.Tensor:
    """The official row-wise Bures proximal step: blend each row's norm and direction toward W0's
    (a heuristic; see docs/solver.md)."""
    a_norm = W.norm(dim=1, keepdim=True).clamp_min(EPS)
    u_a = W / a_norm
    r0 = W0.norm(dim=1, keepdim=True).clamp_min(EPS)
    u0 = W0 / r0
    u, r = u_a, a_norm
    for _ in range(iters):
        kappa = (u * u0).sum(dim=1, keepdim=True).clamp_min(0.0)
        r = (lam_prox * a_norm + mu * r0 * kappa) / (lam_prox + mu)
        num = lam_prox * a_norm * u_a + mu * r0 * kappa * u0
        u = num / num.norm(dim=1, keepdim=True).clamp_min(EPS)
    return r * u


def egbr_rows(W0: torch.Tensor, W: torch.Tensor, H_row: torch.Tensor) -> torch.Tensor:
    """Entropy-guided row blend (official `enable_egbr`): high-entropy rows move more of the way
    from W0 toward W, in direction (a cosine-gated blend) and in log squared norm."""
    alpha = (1 - torch.exp(-H_row / H_row.max().clamp_min(1e-6))).unsqueeze(1)
    n0 = W0.norm(dim=1, keepdim=True).clamp_min(EPS)
    ns = W.norm(dim=1, keepdim=True).clamp_min(EPS)
    u0, us = W0 / n0, W / ns
    beta = alpha * (u0 * us).sum(dim=1, keepdim=True).clamp_min(0.0)
    u = (1 - beta) * u0 + beta * us
    u = u / u.norm(dim=1, keepdim=True).clamp_min(EPS)
    energy = torch.exp((1 - alpha) * torch.log(n0**2) + alpha * torch.log(ns**2))
    return torch.sqrt(energy) * u


def _draw_masks(W0, shared: SharedTerms, cfg: ScaPreConfig, noise: NoiseSource):
    """One Informax estimate for every concept, drawing positives then negatives per concept."""
    feats = shared.feats
    m, K = len(feats.X), cfg.mi_samples
    draws = noise.draw(2 * m, (K, feats.d_in)).to(W0.device).reshape(m, 2, K, feats.d_in)
    return informax(
        W0,
        feats.C,
        feats.e0,
        draws[:, 0],
        draws[:, 1],
        cfg.noise_sigma,
        cfg.p,
        cfg.mi_temperature,
        cfg.mi_arithmetic,
        cfg.mi_form,
    )


def _entropy(W0, shared: SharedTerms, cfg: ScaPreConfig, noise: NoiseSource) -> torch.Tensor:
    feats = shared.feats
    m = len(feats.X)
    draws = noise.draw(m * cfg.entropy_samples, (feats.d_in,)).to(W0.device)
    return entropy_factor(
        W0, feats.C, draws, cfg.noise_sigma, cfg.entropy_bins, cfg.mi_arithmetic
    ).to(W0.dtype)


def _mask_report(report: MatrixReport, W0, shared: SharedTerms, result: InformaxResult) -> None:
    """Mask statistics: how many rows separate perfectly, and how often the float32 rounding
    of their (mathematically equal) MI follows the sign rule (W0 c)_i < (W0 e0)_i."""
    feats = shared.feats
    rule = (W0 @ feats.C).T < (W0 @ feats.e0).unsqueeze(0)  # (m, d_out)
    sep = result.separated
    floor = torch.where(sep, result.mi, torch.inf).min(dim=1, keepdim=True).values
    raised = result.mi > floor  # separated rows whose MI rounded above the lowest separated MI
    report.mask_mean = float(result.mask.mean())
    report.rows_separated = float(sep.double().mean())
    if bool(sep.any()):
        report.sign_rule_agreement = float((raised == rule)[sep].double().mean())


def edit_scale(
    name: str, W0: torch.Tensor, shared: SharedTerms, cfg: ScaPreConfig, noise: NoiseSource
) -> tuple[torch.Tensor, MatrixReport]:
    """Official `erase_scale.py` for one matrix: entropy -> mu, optional ASED and Informax,
    UCE accumulation, the batched row solve, the Bures step and optional EGBR."""
    report = MatrixReport(name, tuple(W0.shape))
    eta, d_in = cfg.erase_scale, shared.feats.d_in
    e = _entropy(W0, shared, cfg, noise)
    H_row = (1.0 - e).clamp(0.0, 1.0)
    mu = float(H_row.mean()) if cfg.mu_from_entropy else 0.1
    row_weights = None
    if cfg.use_mi_softmask:
        aggregate = _draw_masks(W0, shared, cfg, noise)
        if cfg.mi_form == "paper":
            rho = paper_row_strength(aggregate.mi)
        else:
            rho = aggregate.mask.max(dim=0).values
        _mask_report(report, W0, shared, aggregate)
        row_weights = _draw_masks(W0, shared, cfg, noise).mask.to(W0.dtype)
    else:
        rho = torch.ones(W0.shape[0], dtype=W0.dtype, device=W0.device)
    alpha = (eta * rho).to(W0.dtype)
    V = eta * uce_values(W0, shared, row_weights, cfg.technique)
    G = (cfg.lamb + mu) * torch.eye(d_in, dtype=W0.dtype, device=W0.device)
    G = G + shared.CCt + eta * shared.XtX
    if cfg.enable_ased:
        g = shared.gate(cfg.T_sigma, cfg.p_sigma)
        G = G + (shared.U * ((1 - g) * mu)) @ shared.U.T
    if shared.preserve_gram is not None:
        ps = cfg.effective_preserve_scale
        V = V + ps * (W0 @ shared.preserve_gram)
        G = G + ps * shared.preserve_gram
    W = solve_rows(G, shared.Pi_factor, alpha, (cfg.lamb + mu) * W0 + V)
    if cfg.enable_bures:
        W = bures_rows(W0, W, mu, cfg.lamb + mu, cfg.bures_iters)
    if cfg.enable_egbr:
        W = egbr_rows(W0, W, H_row)
    report.mu, report.alpha_mean = mu, float(alpha.mean())
    return W, report


def erase_denominator(shared: SharedTerms, cfg: ScaPreConfig) -> torch.Tensor:
    """Cholesky factor of `lambda I + C C^T + eta sum X^T X (+ preserve)`: one for all matrices."""
    d_in = shared.feats.d_in
    mat2 = cfg.lamb * torch.eye(d_in, dtype=shared.CCt.dtype, device=shared.CCt.device)
    mat2 = mat2 + shared.CCt + cfg.erase_scale * shared.XtX
    if shared.preserve_gram is not None:
        mat2 = mat2 + cfg.effective_preserve_scale * shared.preserve_gram
    return torch.linalg.cholesky(mat2)


def edit_erase(
    name: str,
    W0: torch.Tensor,
    shared: SharedTerms,
    cfg: ScaPreConfig,
    noise: NoiseSource,
    denominator: torch.Tensor,
) -> tuple[torch.Tensor, MatrixReport]:
    """Official `erase.py` for one matrix: Informax-weighted UCE, optional spectral residual,
    one shared solve, then entropy rollback toward W0."""
    report = MatrixReport(name, tuple(W0.shape))
    masks = _draw_masks(W0, shared, cfg, noise)
    _mask_report(report, W0, shared, masks)
    mat1 = cfg.lamb * W0 + cfg.erase_scale * uce_values(
        W0, shared, masks.mask.to(W0.dtype), cfg.technique
    )
    if shared.preserve_gram is not None:
        mat1 = mat1 + cfg.effective_preserve_scale * (W0 @ shared.preserve_gram)
    if cfg.svd:
        g = shared.gate(cfg.T_sigma, cfg.p_sigma)
        C = shared.feats.C
        PC = C - (shared.U * g) @ (shared.U.T @ C)  # (I - U diag(g) U^T) C
        strength = cfg.erase_scale if cfg.res_scale is None else cfg.res_scale
        mat1 = mat1 - strength * (W0 @ PC) @ PC.T
    W_new = torch.cholesky_solve(mat1.T, denominator).T
    e = _entropy(W0, shared, cfg, noise)
    a = (cfg.alpha_min + (1 - cfg.alpha_min) * e).unsqueeze(1)
    report.rollback_mean = float(a.mean())
    return a * W_new + (1 - a) * W0, report
