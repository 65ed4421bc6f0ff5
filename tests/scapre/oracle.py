"""Slow, literal reference ("oracle") for a ScaPre edit of one projection matrix.

This module is the independent yardstick for the fast solver in ``scapre/``.  It follows the
arithmetic of the official ScaPre scripts (``edit/erase_scale.py``: variant ``"scale"``;
``edit/erase.py``: variant ``"erase"``) and of UCE-2023 (``train_erase.py``) step by step, in the
same order, one output row at a time where the official code loops over rows (per-row Cholesky
solve, per-row histogram, per-row mutual information).  Nothing here is vectorised for speed;
it is meant to be read next to ``shared/spec/scapre-solver.md``.

Conventions
-----------
* ``W0`` is ``(d_out, d_in)``; ``C`` is ``(d_in, m)``; ``X[k]``, ``N[k]`` are ``(T_k, d_in)``
  token rows; ``e0`` is ``(d_in,)``.
* Every random number comes from ``randn(shape)``, called in the official per-matrix order:

  - ``"scale"``: ``m * entropy_samples`` draws of shape ``(d_in,)`` (concept-major) for the
    entropy factor; then, if ``use_mi_softmask``, for each concept a positive and a negative
    ``(mi_samples, d_in)`` draw (aggregate mask), then for each concept again a positive and a
    negative draw (that concept's V-term mask).
  - ``"erase"``: for each concept a positive and a negative ``(mi_samples, d_in)`` draw (V-term
    mask), then ``m * entropy_samples`` draws of shape ``(d_in,)`` for the rollback.

* Everything is computed in ``dtype`` except the Informax mutual information with
  ``mi_arithmetic="official"``, which is done in float32 exactly as the official code does it
  (activations, counts, probabilities, term order, mean and unbiased std, sigmoid and power),
  and only the finished mask is cast to ``dtype``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

EPS = 1e-8

#: Defaults of every field the oracle reads.  They follow the official CLI defaults, except
#: where the official command line hard-codes a value (``lamb``) or offers no switch.
DEFAULT_PARAMS: dict = {
    "variant": "scale",
    "erase_scale": 1.0,
    "lamb": 0.5,
    "p": 2.0,
    "alpha_min": 0.1,
    "entropy_samples": 20,
    "entropy_bins": 20,
    "noise_sigma": 0.01,
    "T_sigma": 1.0,
    "p_sigma": 1.0,
    "use_mi_softmask": False,
    "enable_ased": False,
    "enable_egbr": False,
    "bures_iters": 2,
    "enable_bures": True,
    "svd": False,
    "res_scale": None,
    "technique": "replace",
    "mi_arithmetic": "official",
    "mi_form": "softmask",
    "mi_temperature": 0.7,
    "mi_samples": 5,
    "mu_from_entropy": True,
    "preserve_scale": None,
}

_CHOICES = {
    "variant": ("scale", "erase"),
    "technique": ("replace", "tensor"),
    "mi_arithmetic": ("official", "exact"),
    "mi_form": ("softmask", "paper"),
}


# ---------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------
def resolve_params(params: dict) -> dict:
    """Merge ``params`` over :data:`DEFAULT_PARAMS` and check the categorical fields.

    Keys the oracle does not know are ignored (the solver config may carry more fields).
    """
    merged = dict(DEFAULT_PARAMS)
    merged.update(params)
    for key, allowed in _CHOICES.items():
        if merged[key] not in allowed:
            raise ValueError(f"{key}={merged[key]!r}; expected one of {allowed}")
    if merged["res_scale"] is None:
        merged["res_scale"] = merged["erase_scale"]
    for key in ("entropy_samples", "entropy_bins", "mi_samples"):
        if int(merged[key]) < 1:
            raise ValueError(f"{key} must be >= 1, got {merged[key]!r}")
    return merged


def _check_shapes(
    W0: torch.Tensor,
    C: torch.Tensor,
    X: list[torch.Tensor],
    N: list[torch.Tensor],
    e0: torch.Tensor | None,
    preserve: list[torch.Tensor] | None,
) -> None:
    """Raise ``ValueError`` unless all inputs have consistent shapes."""
    if W0.dim() != 2:
        raise ValueError(f"W0 must be 2-D (d_out, d_in), got shape {tuple(W0.shape)}")
    d_in = W0.shape[1]
    if C is not None and (C.dim() != 2 or C.shape[0] != d_in or C.shape[1] < 1):
        raise ValueError(f"C must be (d_in={d_in}, m>=1), got shape {tuple(C.shape)}")
    if len(X) != len(N):
        raise ValueError(f"X and N must have the same length, got {len(X)} and {len(N)}")
    if C is not None and len(X) != C.shape[1]:
        raise ValueError(f"need one (X, N) pair per concept column: {len(X)} pairs, m={C.shape[1]}")
    for k, (x, n) in enumerate(zip(X, N, strict=True)):
        if x.dim() != 2 or x.shape[1] != d_in or x.shape != n.shape:
            raise ValueError(
                f"X[{k}] and N[{k}] must both be (T, d_in={d_in}), "
                f"got {tuple(x.shape)} and {tuple(n.shape)}"
            )
    if e0 is not None and tuple(e0.shape) != (d_in,):
        raise ValueError(f"e0 must be (d_in={d_in},), got shape {tuple(e0.shape)}")
    for j, p in enumerate(preserve or []):
        if p.dim() != 2 or p.shape[1] != d_in:
            raise ValueError(f"preserve[{j}] must be (T, d_in={d_in}), got {tuple(p.shape)}")


def _draw(randn: Callable, shape: tuple[int, ...], dtype: torch.dtype) -> torch.Tensor:
    """Take the next standard-normal draw of ``shape`` and cast it to ``dtype``."""
    z = randn(tuple(shape))
    if tuple(z.shape) != tuple(shape):
        raise ValueError(f"randn returned shape {tuple(z.shape)}, expected {tuple(shape)}")
    return z.to(dtype)


# ---------------------------------------------------------------------------------------------
# UCE building blocks
# ---------------------------------------------------------------------------------------------
def target_values(W0: torch.Tensor, x: torch.Tensor, n: torch.Tensor, technique: str):
    """UCE target values, one row per token: ``(T, d_out)``.

    ``"replace"``: each guide token through the unedited matrix.  ``"tensor"``: the same minus
    its Frobenius projection on the normalised concept outputs (one scalar for all tokens).
    """
    guide_out = n @ W0.T
    if technique == "replace":
        return guide_out
    concept_out = x @ W0.T
    unit = concept_out / concept_out.norm()
    return guide_out - (unit * guide_out).sum() * unit


def outer_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``sum_t a_t b_t^T`` for row stacks ``a`` (T, p) and ``b`` (T, q), summed over tokens."""
    return (a[:, :, None] * b[:, None, :]).sum(0)


# ---------------------------------------------------------------------------------------------
# Entropy factor
# ---------------------------------------------------------------------------------------------
def row_entropy_factor(row: torch.Tensor, bins: int) -> torch.Tensor:
    """``1 - H / log(bins)`` of one row of normalised activations (histogram on [0, 1])."""
    hist = torch.histc(row, bins=bins, min=0.0, max=1.0)
    prob = hist / (hist.sum() + EPS)
    entropy = -(prob * (prob + EPS).log()).sum()
    log_bins = torch.log(torch.tensor(float(bins), dtype=row.dtype))
    return 1 - entropy / log_bins


def entropy_factor(
    W0: torch.Tensor,
    concept_vecs: list[torch.Tensor],
    *,
    samples: int,
    bins: int,
    sigma: float,
    randn: Callable,
    dtype: torch.dtype,
    arithmetic: str = "official",
) -> torch.Tensor:
    """Per-row entropy factor ``e`` (d_out,) from ``samples`` noisy copies of every concept.

    Columns are concept-major (all samples of concept 1, then concept 2, ...), each row is
    min-max normalised and histogrammed on its own. With ``arithmetic="official"`` the
    activations and histogram are float32, as in the official code.
    """
    work = torch.float32 if arithmetic == "official" else dtype
    W0 = W0.to(work)
    columns = []
    for c in concept_vecs:
        for _ in range(samples):
            noise = _draw(randn, tuple(c.shape), work) * sigma
            columns.append(W0 @ (c.to(work) + noise))
    acts = torch.stack(columns, dim=1)
    lo = acts.min(dim=1, keepdim=True).values
    hi = acts.max(dim=1, keepdim=True).values
    acts = (acts - lo) / (hi - lo + EPS)
    e = torch.zeros(W0.shape[0], dtype=work)
    for i in range(W0.shape[0]):
        e[i] = row_entropy_factor(acts[i], bins)
    return e.to(dtype)


# ---------------------------------------------------------------------------------------------
# Informax mutual information and soft mask
# ---------------------------------------------------------------------------------------------
# Cells of the 2x2 table in the order the official code adds the terms: (z, y).
_CELL_ORDER = ((1, 1), (1, 0), (0, 1), (0, 0))


def _mi_cell_terms(counts: dict, total: int, dtype: torch.dtype) -> list:
    """The four ``p(z,y) log(p(z,y) / (p(z) p(y)))`` terms of one table, in ``_CELL_ORDER``.

    Every quantity is a 0-dim tensor of ``dtype``; counts get ``+1e-8`` before dividing by the
    number of samples, and the marginals are sums of the smoothed cell probabilities.
    """
    prob = {
        cell: (torch.tensor(float(counts[cell]), dtype=dtype) + EPS) / total for cell in _CELL_ORDER
    }
    p_z = {zz: prob[(zz, 1)] + prob[(zz, 0)] for zz in (1, 0)}
    p_y = {yy: prob[(1, yy)] + prob[(0, yy)] for yy in (1, 0)}
    return [
        prob[(zz, yy)] * torch.log(prob[(zz, yy)] / (p_z[zz] * p_y[yy])) for zz, yy in _CELL_ORDER
    ]


@functools.cache
def _mi_from_counts(counts: tuple, total: int, arithmetic: str) -> float:
    """MI of one 2x2 table (``counts`` in ``_CELL_ORDER``), as an exactly representable float.

    A row's MI depends on nothing but its four counts, so the value is memoised per table; the
    arithmetic is the same 0-dim tensor arithmetic either way.
    """
    table = dict(zip(_CELL_ORDER, counts, strict=True))
    if arithmetic == "official":
        terms = _mi_cell_terms(table, total, torch.float32)
    else:
        terms = sorted(_mi_cell_terms(table, total, torch.float64), key=float)
    acc = torch.zeros((), dtype=terms[0].dtype)
    for term in terms:
        acc = acc + term
    return float(acc)


def mi_row(z: torch.Tensor, labels: torch.Tensor, arithmetic: str = "official") -> torch.Tensor:
    """Mutual information (nats) between a row's binary code ``z`` and the labels.

    ``"official"``: float32, terms summed left to right in the order (1,1), (1,0), (0,1), (0,0),
    so mathematically equal values may differ in the last place.  ``"exact"``: float64, terms
    summed in sorted order, so tables that are equal up to relabelling give identical values.
    """
    counts = tuple(int(((z == zz) & (labels == yy)).sum()) for zz, yy in _CELL_ORDER)
    value = _mi_from_counts(counts, z.numel(), arithmetic)
    return torch.tensor(value, dtype=torch.float32 if arithmetic == "official" else torch.float64)


def informax_mi(
    W0: torch.Tensor,
    c: torch.Tensor,
    e0: torch.Tensor,
    *,
    params: dict,
    randn: Callable,
    dtype: torch.dtype,
) -> torch.Tensor:
    """Per-row MI of one concept against the empty prompt; consumes a positive then a negative
    ``(mi_samples, d_in)`` draw.  Returns float32 (official arithmetic) or float64 (exact).
    """
    work = torch.float32 if params["mi_arithmetic"] == "official" else torch.float64
    k = int(params["mi_samples"])
    sigma = params["noise_sigma"]
    shape = (k, c.numel())
    pos = c.to(work)[None, :] + sigma * _draw(randn, shape, work)
    neg = e0.to(work)[None, :] + sigma * _draw(randn, shape, work)
    samples = torch.cat([pos, neg], dim=0)
    labels = torch.cat([torch.ones(k), torch.zeros(k)])
    acts = W0.to(work) @ samples.T
    mi = torch.zeros(W0.shape[0], dtype=work)
    for i in range(W0.shape[0]):
        tau = acts[i].median()  # lower median for an even count
        z = (acts[i] > tau).long()
        mi[i] = mi_row(z, labels, params["mi_arithmetic"])
    return mi


def softmask_from_mi(mi: torch.Tensor, params: dict, dtype: torch.dtype) -> torch.Tensor:
    """``sigmoid(zscore(MI) / T) ** p`` with the unbiased std, returned in ``dtype``.

    Official arithmetic stays in float32 throughout.  Exact arithmetic is float64, and an MI
    vector whose entries are all equal gets ``z = 0`` (a constant mask of ``0.5 ** p``).
    """
    T, p = params["mi_temperature"], params["p"]
    if params["mi_arithmetic"] == "official":
        z = (mi - mi.mean()) / (mi.std() + EPS)
        return torch.sigmoid(z / T).pow(p).to(dtype)
    mi = mi.to(torch.float64)
    z = torch.zeros_like(mi)
    if not bool((mi == mi[0]).all()):
        z = (mi - mi.mean()) / (mi.std() + EPS)
    return torch.sigmoid(z / T).pow(p).to(dtype)


def _mask_set(
    W0: torch.Tensor,
    concept_vecs: list[torch.Tensor],
    e0: torch.Tensor,
    *,
    params: dict,
    randn: Callable,
    dtype: torch.dtype,
    aggregate: bool,
) -> list[torch.Tensor]:
    """Masks for all concepts, drawn in concept order (each: positive then negative draw).

    ``mi_form="softmask"``: the official soft mask.  ``mi_form="paper"``: MI divided by the
    largest MI of the set, where the set is all concepts (``aggregate=True``, so that the
    row-wise max over concepts is the paper's ``max_k MI / max MI``) or the concept itself.
    """
    mis = [informax_mi(W0, c, e0, params=params, randn=randn, dtype=dtype) for c in concept_vecs]
    if params["mi_form"] == "softmask":
        return [softmask_from_mi(mi, params, dtype) for mi in mis]
    mis = [mi.to(dtype) for mi in mis]
    if aggregate:
        top = max(float(mi.max()) for mi in mis)
        return [mi / max(top, EPS) for mi in mis]
    return [mi / max(float(mi.max()), EPS) for mi in mis]


# ---------------------------------------------------------------------------------------------
# Spectral pieces, Bures step, EGBR
# ---------------------------------------------------------------------------------------------
def ased_regularizer(C: torch.Tensor, mu: float, T_sigma: float, p_sigma: float) -> torch.Tensor:
    """``R = U diag((1 - g) mu) U^T`` with the median-centred gate ``g`` of C's singular values."""
    U, s, _ = torch.linalg.svd(C, full_matrices=False)
    med = torch.median(s)  # lower median
    gate = (1.0 / (1.0 + torch.exp(-(s - med) / (T_sigma + EPS)))) ** p_sigma
    return U @ torch.diag((1.0 - gate) * mu) @ U.T


def svd_residual(W0, C, T_sigma, p_sigma):
    """erase.py's spectral residual: returns ``(W0 P C, P C)`` with ``P = I - U diag(g) U^T``."""
    U, s, _ = torch.linalg.svd(C, full_matrices=False)
    gate = torch.sigmoid((s - torch.median(s)) / (T_sigma + EPS)).pow(p_sigma)
    P = torch.eye(C.shape[0], dtype=C.dtype) - (U * gate[None, :]) @ U.T
    C_res = P @ C
    return W0 @ C_res, C_res


def bures_prox_row(
    a: torch.Tensor, w0: torch.Tensor, mu: float, lam_prox: float, iters: int
) -> torch.Tensor:
    """The official row-wise "Bures proximal" step for one row.

    Blends the solved row ``a`` towards the original row ``w0``: radius
    ``(lp |a| + mu |w0| kappa) / (lp + mu)``, direction ``normalise(lp |a| u_a + mu |w0| kappa u0)``
    with ``kappa = max(0, <u, u0>)``; at least one iteration runs (``iters=0`` acts like 1).
    """
    a_norm = a.norm().clamp_min(EPS)
    u_a = a / a_norm
    r0 = w0.norm().clamp_min(EPS)
    u0 = w0 / r0
    u, r = u_a.clone(), a_norm.clone()
    for _ in range(max(1, int(iters))):
        kappa = torch.clamp((u * u0).sum(), min=0.0)
        r = (lam_prox * a_norm + mu * r0 * kappa) / (lam_prox + mu)
        direction = lam_prox * a_norm * u_a + mu * r0 * kappa * u0
        u = direction / direction.norm().clamp_min(EPS)
    return r * u


def egbr_row(w0: torch.Tensor, ws: torch.Tensor, h: torch.Tensor, h_max: torch.Tensor):
    """Entropy-guided blend of one row (official ``egbr_row``, re-derived).

    Weight ``t = 1 - exp(-h / h_max)``; the direction moves from ``w0``'s towards ``ws``'s by
    ``t * max(0, cos)``, and the squared norm is the geometric interpolation
    ``|w0|^(2(1-t)) |ws|^(2t)``.
    """
    t = 1 - torch.exp(-h / h_max)
    n0 = w0.norm().clamp_min(EPS)
    ns = ws.norm().clamp_min(EPS)
    u0, us = w0 / n0, ws / ns
    beta = t * torch.clamp((u0 * us).sum(), min=0.0)
    mix = (1 - beta) * u0 + beta * us
    mix = mix / mix.norm().clamp_min(EPS)
    energy = torch.exp((1 - t) * torch.log(n0**2) + t * torch.log(ns**2))
    return torch.sqrt(energy) * mix


def concept_projector(C: torch.Tensor) -> torch.Tensor:
    """``Pi = C (C^T C + 1e-8 I)^-1 C^T`` (explicit inverse, as in the official code)."""
    m = C.shape[1]
    return C @ torch.linalg.inv(C.T @ C + EPS * torch.eye(m, dtype=C.dtype)) @ C.T


# ---------------------------------------------------------------------------------------------
# The two ScaPre variants
# ---------------------------------------------------------------------------------------------
def _preserve_terms(W0, preserve, scale):
    """Accumulated UCE preserve terms ``(scale W0 P^T P, scale P^T P)`` over all prompts."""
    num = torch.zeros_like(W0)
    quad = torch.zeros(W0.shape[1], W0.shape[1], dtype=W0.dtype)
    for P in preserve:
        num = num + scale * outer_sum(P @ W0.T, P)
        quad = quad + scale * outer_sum(P, P)
    return num, quad


def _preserve_scale(params, preserve):
    scale = params["preserve_scale"]
    return max(0.1, 1.0 / len(preserve)) if scale is None else float(scale)


def oracle_edit_matrix(
    W0: torch.Tensor,
    *,
    C: torch.Tensor,
    X: list[torch.Tensor],
    N: list[torch.Tensor],
    e0: torch.Tensor,
    params: dict,
    randn: Callable[[tuple[int, ...]], torch.Tensor],
    dtype: torch.dtype = torch.float64,
    preserve: list[torch.Tensor] | None = None,
) -> torch.Tensor:
    """New weight for one projection matrix, computed literally (see the module docstring).

    ``preserve`` (optional list of ``(77, d_in)`` prompt embeddings) adds the UCE preserve terms
    ``preserve_scale * W0 P^T P`` and ``preserve_scale * P^T P`` after the erase terms.
    """
    _check_shapes(W0, C, X, N, e0, preserve)
    prm = resolve_params(params)
    W0 = W0.to(dtype)
    C = C.to(dtype)
    X = [x.to(dtype) for x in X]
    N = [n.to(dtype) for n in N]
    e0 = e0.to(dtype)
    preserve = [p.to(dtype) for p in (preserve or [])]
    if prm["variant"] == "scale":
        return _scale_variant(W0, C, X, N, e0, prm, randn, dtype, preserve)
    return _erase_variant(W0, C, X, N, e0, prm, randn, dtype, preserve)


def _accumulate(W0, C, X, N, masks, prm, preserve):
    """UCE sums as the official code builds them: ``mat1 = lamb W0 + eta sum diag(r_k) V_k X_k``
    and ``mat2 = lamb I + C C^T + eta sum X_k^T X_k`` (plus preserve terms)."""
    lamb, eta = prm["lamb"], prm["erase_scale"]
    eye = torch.eye(W0.shape[1], dtype=W0.dtype)
    CCt = C @ C.T
    mat1 = lamb * W0.clone()
    mat2 = lamb * eye + CCt
    for k in range(len(X)):
        vals = target_values(W0, X[k], N[k], prm["technique"])
        mat1 = mat1 + eta * (outer_sum(vals, X[k]) * masks[k][:, None])
        mat2 = mat2 + eta * outer_sum(X[k], X[k])
    if preserve:
        num, quad = _preserve_terms(W0, preserve, _preserve_scale(prm, preserve))
        mat1 = mat1 + num
        mat2 = mat2 + quad
    return mat1, mat2, eye, CCt


def _scale_variant(W0, C, X, N, e0, prm, randn, dtype, preserve):
    """``erase_scale.py``: entropy mu, optional ASED R, per-row SPD solves, row Bures step."""
    d_out = W0.shape[0]
    concepts = [C[:, k] for k in range(C.shape[1])]
    lamb, eta = prm["lamb"], prm["erase_scale"]

    e = entropy_factor(
        W0,
        concepts,
        samples=int(prm["entropy_samples"]),
        bins=int(prm["entropy_bins"]),
        sigma=prm["noise_sigma"],
        randn=randn,
        dtype=dtype,
        arithmetic=prm["mi_arithmetic"],
    )
    h_row = (1.0 - e).clamp(min=0.0, max=1.0)
    mu = h_row.mean().item() if prm["mu_from_entropy"] else 0.1

    if prm["enable_ased"]:
        R = ased_regularizer(C, mu, prm["T_sigma"], prm["p_sigma"])
    else:
        R = torch.zeros(W0.shape[1], W0.shape[1], dtype=dtype)

    mask_args = dict(params=prm, randn=randn, dtype=dtype)
    if prm["use_mi_softmask"]:
        agg = _mask_set(W0, concepts, e0, aggregate=True, **mask_args)
        rho = torch.stack(agg, dim=-1).max(dim=-1).values
        v_masks = _mask_set(W0, concepts, e0, aggregate=False, **mask_args)
    else:
        rho = torch.ones(d_out, dtype=dtype)
        v_masks = [torch.ones(d_out, dtype=dtype) for _ in concepts]

    mat1, mat2, eye, CCt = _accumulate(W0, C, X, N, v_masks, prm, preserve)
    V = mat1 - lamb * W0
    S = mat2 - (lamb * eye + CCt)
    G = ((lamb + mu) * eye + R) + CCt + S
    Pi = concept_projector(C)

    We = torch.empty_like(W0)
    for i in range(d_out):
        alpha_i = float(eta * rho[i].item())
        M_i = G + alpha_i * Pi
        b_i = ((lamb + mu) * W0[i] + V[i])[:, None]
        L = torch.linalg.cholesky(M_i)
        We[i] = torch.cholesky_solve(b_i, L)[:, 0]

    out = We.clone()
    if prm["enable_bures"]:
        for i in range(d_out):
            out[i] = bures_prox_row(We[i], W0[i], mu, lamb + mu, prm["bures_iters"])

    if prm["enable_egbr"]:
        h_max = h_row.max().clamp_min(1e-6)
        for i in range(d_out):
            out[i] = egbr_row(W0[i], out[i].clone(), h_row[i], h_max)
    return out


def _erase_variant(W0, C, X, N, e0, prm, randn, dtype, preserve):
    """``erase.py``: masked UCE closed form, optional spectral residual, entropy rollback."""
    concepts = [C[:, k] for k in range(C.shape[1])]
    masks = _mask_set(W0, concepts, e0, params=prm, randn=randn, dtype=dtype, aggregate=False)
    mat1, mat2, _, _ = _accumulate(W0, C, X, N, masks, prm, preserve)
    if prm["svd"]:
        V_res, C_res = svd_residual(W0, C, prm["T_sigma"], prm["p_sigma"])
        mat1 = mat1 - prm["res_scale"] * (V_res @ C_res.T)
    W_new = mat1 @ torch.inverse(mat2)

    e = entropy_factor(
        W0,
        concepts,
        samples=int(prm["entropy_samples"]),
        bins=int(prm["entropy_bins"]),
        sigma=prm["noise_sigma"],
        randn=randn,
        dtype=dtype,
        arithmetic=prm["mi_arithmetic"],
    )
    a_min = prm["alpha_min"]
    out = torch.empty_like(W0)
    for i in range(W0.shape[0]):
        a = a_min + (1 - a_min) * e[i]
        out[i] = a * W_new[i] + (1 - a) * W0[i]
    return out


# ---------------------------------------------------------------------------------------------
# UCE 2023
# ---------------------------------------------------------------------------------------------
def oracle_uce2023(
    W0: torch.Tensor,
    *,
    X: list[torch.Tensor],
    N: list[torch.Tensor],
    preserve: list[torch.Tensor] | None,
    lamb: float,
    erase_scale: float,
    preserve_scale: float,
    technique: str,
    dtype: torch.dtype = torch.float64,
) -> torch.Tensor:
    """UCE-2023 closed form (``train_erase.py``), no randomness:

    ``W = (lamb W0 + eta sum_k V_k X_k + ps sum_P W0 P^T P)(lamb I + eta sum_k X_k^T X_k +
    ps sum_P P^T P)^-1`` with the erase tails ``X_k``/``N_k`` and all tokens of each preserve
    prompt.  No ``C C^T`` term, no masks.
    """
    _check_shapes(W0, None, X, N, None, preserve)
    if technique not in _CHOICES["technique"]:
        raise ValueError(f"technique={technique!r}; expected one of {_CHOICES['technique']}")
    W0 = W0.to(dtype)
    mat1 = lamb * W0.clone()
    mat2 = lamb * torch.eye(W0.shape[1], dtype=dtype)
    for x, n in zip(X, N, strict=True):
        x, n = x.to(dtype), n.to(dtype)
        mat1 = mat1 + erase_scale * outer_sum(target_values(W0, x, n, technique), x)
        mat2 = mat2 + erase_scale * outer_sum(x, x)
    for P in preserve or []:
        P = P.to(dtype)
        mat1 = mat1 + preserve_scale * outer_sum(P @ W0.T, P)
        mat2 = mat2 + preserve_scale * outer_sum(P, P)
    return mat1 @ torch.inverse(mat2)


def rank1_bures_sq(a: torch.Tensor, b: torch.Tensor) -> float:
    """Squared Bures distance between ``a a^T`` and ``b b^T`` by the matrix definition
    ``tr A + tr B - 2 tr (A^1/2 B A^1/2)^1/2`` (eigendecompositions; for property tests)."""

    def psd_sqrt(M):
        vals, vecs = torch.linalg.eigh(M)
        return vecs @ torch.diag(vals.clamp_min(0).sqrt()) @ vecs.T

    A, B = torch.outer(a, a), torch.outer(b, b)
    rA = psd_sqrt(A)
    cross = psd_sqrt(rA @ B @ rA)
    return float(torch.trace(A) + torch.trace(B) - 2 * torch.trace(cross))


__all__ = [
    "DEFAULT_PARAMS",
    "oracle_edit_matrix",
    "oracle_uce2023",
    "resolve_params",
    "entropy_factor",
    "informax_mi",
    "mi_row",
    "softmask_from_mi",
    "bures_prox_row",
    "egbr_row",
    "ased_regularizer",
    "svd_residual",
    "concept_projector",
    "rank1_bures_sq",
]
