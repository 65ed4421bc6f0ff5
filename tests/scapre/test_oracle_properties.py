"""Algebraic properties of the oracle alone (small random inputs, float64)."""

from __future__ import annotations

import math

import pytest
import torch

from tests.scapre.oracle import (
    bures_prox_row,
    informax_mi,
    mi_row,
    oracle_edit_matrix,
    oracle_uce2023,
    rank1_bures_sq,
    resolve_params,
    softmask_from_mi,
)

F64 = torch.float64
LABELS = torch.cat([torch.ones(5), torch.zeros(5)])


def gen_randn(seed: int):
    """A ``randn(shape)`` drawing from its own seeded generator."""
    g = torch.Generator().manual_seed(seed)
    return lambda shape: torch.randn(shape, generator=g, dtype=F64)


def toy_inputs(seed=0, d_out=10, d_in=8, m=2, T=5):
    g = torch.Generator().manual_seed(seed)
    W0 = torch.randn(d_out, d_in, generator=g, dtype=F64)
    C = torch.randn(d_in, m, generator=g, dtype=F64)
    X = [torch.randn(T, d_in, generator=g, dtype=F64) for _ in range(m)]
    for k in range(m):
        X[k][0] = C[:, k]  # the tail starts with the concept's last token
    N = [torch.randn(T, d_in, generator=g, dtype=F64) for _ in range(m)]
    e0 = torch.randn(d_in, generator=g, dtype=F64)
    return W0, C, X, N, e0


def code_for(n11: int) -> torch.Tensor:
    """Binary code of 10 samples (5 positives first) with exactly 5 ones, n11 among positives."""
    z = torch.zeros(10, dtype=torch.long)
    z[:n11] = 1
    z[5 : 5 + (5 - n11)] = 1
    return z


# --- identity conditions ----------------------------------------------------------------------
@pytest.mark.parametrize("ased", [False, True])
@pytest.mark.parametrize("iters", [1, 2])
def test_scale_zero_erase_keeps_rows_orthogonal_to_concepts(ased, iters):
    """eta = 0 and rows of W0 orthogonal to span(C): G w0 = (lamb+mu) w0 (R and C C^T vanish on
    w0), so the solve returns w0, and w0 is a fixed point of the Bures step."""
    W0, C, X, N, e0 = toy_inputs()
    Q, _ = torch.linalg.qr(C)
    W0 = W0 - (W0 @ Q) @ Q.T
    params = dict(erase_scale=0.0, enable_ased=ased, bures_iters=iters, entropy_samples=3)
    W = oracle_edit_matrix(W0, C=C, X=X, N=N, e0=e0, params=params, randn=gen_randn(1))
    torch.testing.assert_close(W, W0, rtol=0, atol=1e-10)


def test_scale_zero_erase_is_not_identity_in_general():
    """The extra C C^T term moves W0 even with every erase term off (ScaPre != no-op)."""
    W0, C, X, N, e0 = toy_inputs()
    params = dict(erase_scale=0.0, entropy_samples=3)
    W = oracle_edit_matrix(W0, C=C, X=X, N=N, e0=e0, params=params, randn=gen_randn(1))
    assert (W - W0).norm() > 1e-3 * W0.norm()
    # ... and it shrinks the concept response.
    assert (W @ C).norm() < (W0 @ C).norm()


# --- Bures ------------------------------------------------------------------------------------
def test_rank1_bures_identity():
    g = torch.Generator().manual_seed(3)
    for _ in range(5):
        a = torch.randn(6, generator=g, dtype=F64)
        b = torch.randn(6, generator=g, dtype=F64)
        expected = a.dot(a) + b.dot(b) - 2 * a.dot(b).abs()
        # eigh-based square roots of rank-1 matrices: sqrt(eps)-level error in the null space
        tol = 1e-6 * float(a.dot(a) + b.dot(b))
        assert rank1_bures_sq(a, b) == pytest.approx(float(expected), abs=tol)
        assert rank1_bures_sq(a, -a) == pytest.approx(0.0, abs=tol)
        # the Bures distance ignores the sign of a row: |<a, b>|, not <a, b>
        assert rank1_bures_sq(a, -b) == pytest.approx(rank1_bures_sq(a, b), abs=tol)


def test_bures_row_step_cases():
    w0 = torch.tensor([3.0, 4.0, 0.0], dtype=F64)  # |w0| = 5
    lp, mu = 0.7, 0.3
    # Same direction: radius is the weighted mean of the norms, direction unchanged.
    a = 2 * w0 / 5  # |a| = 2
    out = bures_prox_row(a, w0, mu, lp, iters=1)
    torch.testing.assert_close(out, (lp * 2 + mu * 5) / (lp + mu) * w0 / 5)
    # Obtuse angle: kappa = 0, the direction is kept and the norm shrinks by lp / (lp + mu).
    a = torch.tensor([-1.0, 0.0, 2.0], dtype=F64)
    torch.testing.assert_close(bures_prox_row(a, w0, mu, lp, iters=2), lp / (lp + mu) * a)
    # a = w0 is a fixed point.
    torch.testing.assert_close(bures_prox_row(w0, w0, mu, lp, iters=2), w0)
    # iters = 0 still runs one iteration, as in the official code.
    a = torch.tensor([1.0, 1.0, 1.0], dtype=F64)
    torch.testing.assert_close(
        bures_prox_row(a, w0, mu, lp, iters=0), bures_prox_row(a, w0, mu, lp, iters=1)
    )
    # mu = 0 leaves every row alone.
    torch.testing.assert_close(bures_prox_row(a, w0, 0.0, lp, iters=2), a)


# --- mutual information -----------------------------------------------------------------------
@pytest.mark.parametrize("arithmetic", ["official", "exact"])
def test_mi_takes_three_values(arithmetic):
    expected = {0: math.log(2), 5: math.log(2), 1: 0.1927, 4: 0.1927, 2: 0.0201, 3: 0.0201}
    for n11, value in expected.items():
        got = float(mi_row(code_for(n11), LABELS, arithmetic))
        assert got == pytest.approx(value, abs=1e-4)
    values = {float(mi_row(code_for(n), LABELS, arithmetic)) for n in range(6)}
    if arithmetic == "exact":
        assert len(values) == 3  # relabelled tables tie exactly
    else:
        # float32 with the official term order: mirror tables differ in the last places, and
        # "concept below the empty prompt" (n11 = 0) gets the larger ln 2.
        assert mi_row(code_for(0), LABELS).dtype == torch.float32
        assert float(mi_row(code_for(0), LABELS)) > float(mi_row(code_for(5), LABELS))
        assert len(values) == 6


def separable_setup(seed=5, d_out=40, d_in=8):
    """Concept and empty prompt far apart relative to tiny noise: every row separates them."""
    g = torch.Generator().manual_seed(seed)
    W0 = torch.randn(d_out, d_in, generator=g, dtype=F64)
    c = torch.randn(d_in, generator=g, dtype=F64)
    e0 = torch.randn(d_in, generator=g, dtype=F64)
    return W0, c, e0


def test_exact_mode_all_equal_mi_gives_constant_mask():
    W0, c, e0 = separable_setup()
    prm = resolve_params(dict(mi_arithmetic="exact", noise_sigma=1e-6, p=3.0))
    mi = informax_mi(W0, c, e0, params=prm, randn=gen_randn(2), dtype=F64)
    assert mi.dtype == F64 and bool((mi == mi[0]).all())
    mask = softmask_from_mi(mi, prm, F64)
    assert torch.equal(mask, torch.full_like(mask, 0.5**3))


def test_official_mode_mask_is_decided_by_rounding():
    """Same separable input, official arithmetic: the mask follows the sign rule
    "up-weighted iff (W0 c)_i < (W0 e0)_i", i.e. float32 rounding of ln 2."""
    W0, c, e0 = separable_setup()
    prm = resolve_params(dict(mi_arithmetic="official", noise_sigma=1e-6, p=3.0))
    mi = informax_mi(W0, c, e0, params=prm, randn=gen_randn(2), dtype=F64)
    assert mi.dtype == torch.float32
    mask = softmask_from_mi(mi, prm, F64)
    below = (W0 @ c) < (W0 @ e0)
    assert 0 < int(below.sum()) < W0.shape[0]
    assert torch.equal(mask == mask.max(), below)


def test_softmask_exact_constant_mi_vector():
    prm = resolve_params(dict(mi_arithmetic="exact", p=2.0))
    mask = softmask_from_mi(torch.full((7,), 0.3, dtype=F64), prm, F64)
    assert torch.equal(mask, torch.full((7,), 0.25, dtype=F64))


# --- determinism and draw accounting -----------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [
        dict(variant="scale", use_mi_softmask=True, enable_ased=True, bures_iters=1),
        dict(variant="scale", use_mi_softmask=True, mi_arithmetic="exact", enable_egbr=True),
        dict(variant="erase", alpha_min=0.5, svd=True),
        dict(variant="erase", mi_form="paper", technique="tensor"),
    ],
)
def test_zero_noise_is_independent_of_draws(params):
    W0, C, X, N, e0 = toy_inputs()
    params = dict(params, noise_sigma=0.0, entropy_samples=3)
    W1 = oracle_edit_matrix(W0, C=C, X=X, N=N, e0=e0, params=params, randn=gen_randn(10))
    W2 = oracle_edit_matrix(W0, C=C, X=X, N=N, e0=e0, params=params, randn=gen_randn(11))
    assert torch.equal(W1, W2)
    params["noise_sigma"] = 0.05
    W3 = oracle_edit_matrix(W0, C=C, X=X, N=N, e0=e0, params=params, randn=gen_randn(12))
    assert not torch.equal(W1, W3)


@pytest.mark.parametrize(
    ("params", "shapes"),
    [
        (dict(variant="scale"), [(8,)] * 6),
        (dict(variant="scale", use_mi_softmask=True), [(8,)] * 6 + [(5, 8)] * 8),
        (dict(variant="erase", mi_samples=4), [(4, 8)] * 4 + [(8,)] * 6),
    ],
)
def test_draw_order(params, shapes):
    """Draw shapes, in order: entropy then (aggregate, V-term) masks for "scale"; V-term masks
    then entropy for "erase"."""
    W0, C, X, N, e0 = toy_inputs()
    seen = []
    inner = gen_randn(4)

    def recording(shape):
        seen.append(tuple(shape))
        return inner(shape)

    params = dict(params, entropy_samples=3)
    oracle_edit_matrix(W0, C=C, X=X, N=N, e0=e0, params=params, randn=recording)
    assert seen == shapes


def test_paper_form_aggregate_is_normalised():
    W0, C, X, N, e0 = toy_inputs(d_out=30)
    params = dict(variant="scale", use_mi_softmask=True, mi_form="paper", noise_sigma=0.5)
    W = oracle_edit_matrix(W0, C=C, X=X, N=N, e0=e0, params=params, randn=gen_randn(6))
    assert torch.isfinite(W).all()


def test_uce2023_matches_normal_equations():
    """UCE-2023 zeroes the gradient of its ridge objective."""
    W0, C, X, N, e0 = toy_inputs()
    P = torch.randn(4, W0.shape[1], dtype=F64, generator=torch.Generator().manual_seed(9))
    lamb, eta, ps = 0.5, 1.5, 0.7
    W = oracle_uce2023(
        W0,
        X=X,
        N=N,
        preserve=[P],
        lamb=lamb,
        erase_scale=eta,
        preserve_scale=ps,
        technique="replace",
    )
    grad = lamb * (W - W0) + ps * (W - W0) @ P.T @ P
    for x, n in zip(X, N, strict=True):
        grad = grad + eta * (W @ x.T - W0 @ n.T) @ x
    assert grad.norm() < 1e-10 * W0.norm()


def test_preserve_terms_pull_towards_w0():
    """Adding a preserve prompt keeps its outputs closer to the original ones."""
    W0, C, X, N, e0 = toy_inputs()
    P = torch.randn(6, W0.shape[1], dtype=F64, generator=torch.Generator().manual_seed(8))
    base = dict(variant="erase", alpha_min=1.0, noise_sigma=0.0, entropy_samples=2)
    W_plain = oracle_edit_matrix(W0, C=C, X=X, N=N, e0=e0, params=base, randn=gen_randn(1))
    W_pres = oracle_edit_matrix(
        W0,
        C=C,
        X=X,
        N=N,
        e0=e0,
        params=dict(base, preserve_scale=5.0),
        randn=gen_randn(1),
        preserve=[P],
    )
    assert ((W_pres - W0) @ P.T).norm() < ((W_plain - W0) @ P.T).norm()


# --- bad input --------------------------------------------------------------------------------
def test_bad_shapes_raise_value_error():
    W0, C, X, N, e0 = toy_inputs()
    rn = gen_randn(0)
    ok = dict(C=C, X=X, N=N, e0=e0, params={}, randn=rn)
    bad_cases = [
        dict(ok, C=C[:-1]),
        dict(ok, X=X[:1]),
        dict(ok, N=[N[0][:-1], N[1]]),
        dict(ok, e0=e0[:-1]),
        dict(ok, X=[x[:, :-1] for x in X], N=[n[:, :-1] for n in N]),
        dict(ok, preserve=[torch.zeros(77, 3, dtype=F64)]),
        dict(ok, randn=lambda shape: torch.zeros(2, 2, dtype=F64)),
        dict(ok, params={"variant": "nope"}),
        dict(ok, params={"technique": "nope"}),
    ]
    for kwargs in bad_cases:
        with pytest.raises(ValueError):
            oracle_edit_matrix(W0, **kwargs)
    with pytest.raises(ValueError):
        oracle_edit_matrix(W0[0], **ok)
    with pytest.raises(ValueError):
        oracle_uce2023(
            W0,
            X=X,
            N=N[:1],
            preserve=None,
            lamb=0.5,
            erase_scale=1.0,
            preserve_scale=1.0,
            technique="replace",
        )
