"""The fast solver: exactness of the batched row solve, agreement with the golden vectors of the
official code, determinism, and refusal of bad input."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import scapre
from scapre.config import ScaPreConfig
from scapre.errors import ScaPreError
from scapre.solve import bures_rows, solve_rows
from scapre.stats import informax


def _rand_spd(d, gen):
    A = torch.randn(d, d, generator=gen, dtype=torch.float64)
    return A @ A.T / d + 0.5 * torch.eye(d, dtype=torch.float64)


def test_batched_row_solve_matches_per_row_cholesky():
    gen = torch.Generator().manual_seed(0)
    d_in, d_out, m = 24, 40, 5
    G = _rand_spd(d_in, gen)
    C = torch.randn(d_in, m, generator=gen, dtype=torch.float64)
    U, s, _ = torch.linalg.svd(C, full_matrices=False)
    F = U * (s / torch.sqrt(s * s + 1e-8))
    Pi = C @ torch.linalg.inv(C.T @ C + 1e-8 * torch.eye(m, dtype=torch.float64)) @ C.T
    alpha = torch.rand(d_out, generator=gen, dtype=torch.float64) * 3
    alpha[:5] = 0.0
    B = torch.randn(d_out, d_in, generator=gen, dtype=torch.float64)
    fast = solve_rows(G, F, alpha, B)
    for i in range(d_out):
        row = torch.linalg.solve(G + alpha[i] * Pi, B[i])
        assert torch.allclose(fast[i], row, rtol=1e-10, atol=1e-12)


def test_rank_deficient_concepts_still_solve_exactly():
    """More concepts than the text width: Pi is (nearly) the identity; the solve stays exact."""
    gen = torch.Generator().manual_seed(1)
    d_in, d_out, m = 8, 12, 20
    G = _rand_spd(d_in, gen)
    C = torch.randn(d_in, m, generator=gen, dtype=torch.float64)
    U, s, _ = torch.linalg.svd(C, full_matrices=False)
    F = U * (s / torch.sqrt(s * s + 1e-8))
    alpha = torch.rand(d_out, generator=gen, dtype=torch.float64)
    B = torch.randn(d_out, d_in, generator=gen, dtype=torch.float64)
    fast = solve_rows(G, F, alpha, B)
    for i in range(d_out):
        row = torch.linalg.solve(G + alpha[i] * (F @ F.T), B[i])
        assert torch.allclose(fast[i], row, rtol=1e-10, atol=1e-12)


def test_bures_step_is_identity_when_w_already_equals_w0():
    gen = torch.Generator().manual_seed(2)
    W0 = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    assert torch.allclose(bures_rows(W0, W0.clone(), mu=0.4, lam_prox=0.9, iters=2), W0)


def test_informax_takes_three_values_and_exact_ties_give_constant_mask():
    gen = torch.Generator().manual_seed(3)
    d_out, d_in, m, K = 50, 16, 2, 5
    W0 = torch.randn(d_out, d_in, generator=gen)
    C = torch.randn(d_in, m, generator=gen)
    e0 = torch.randn(d_in, generator=gen)
    pos = torch.randn(m, K, d_in, generator=gen)
    neg = torch.randn(m, K, d_in, generator=gen)
    res = informax(W0, C, e0, pos, neg, noise_sigma=1.0, p=2.0, arithmetic="exact")
    values = {round(v, 4) for v in res.mi.flatten().tolist()}
    assert values <= {0.6931, 0.1927, 0.0201}
    # far-apart concept and empty prompt, tiny noise: every row separates, MI ties exactly
    sep = informax(W0, C * 100, e0, pos, neg, noise_sigma=1e-3, p=2.0, arithmetic="exact")
    assert bool(sep.separated.all())
    assert torch.equal(sep.z, torch.zeros_like(sep.z))
    assert torch.allclose(sep.mask, torch.full_like(sep.mask, 0.25))
    # the official float32 arithmetic breaks the tie by rounding, the point of the audit finding
    off = informax(W0, C * 100, e0, pos, neg, noise_sigma=1e-3, p=2.0, arithmetic="official")
    assert off.z.abs().max() > 0.5


def test_erase_concepts_leaves_pipe_untouched_and_apply_edit_writes(tiny_pipe):
    before = {n: p.detach().clone() for n, p in tiny_pipe.unet.named_parameters()}
    weights = scapre.erase_concepts(tiny_pipe, ["tench", "church"], scapre.preset("large-scale"))
    assert len(weights) == 8
    for name, p in tiny_pipe.unet.named_parameters():
        assert torch.equal(p, before[name])
    assert all(n.endswith(("attn2.to_k.weight", "attn2.to_v.weight")) for n in weights)
    assert all(not torch.equal(w, before[n]) for n, w in weights.items())
    import copy

    edited = copy.deepcopy(tiny_pipe)
    scapre.apply_edit(edited, weights)
    params = dict(edited.unet.named_parameters())
    for name, w in weights.items():
        assert torch.equal(params[name], w)
    untouched = [n for n in params if n not in weights]
    assert all(torch.equal(params[n], before[n]) for n in untouched)


@pytest.mark.parametrize("name", sorted(scapre.PRESETS))
def test_same_seed_same_bytes_other_seed_differs(tiny_pipe, name):
    cfg = scapre.preset(name)
    a = scapre.erase_concepts(tiny_pipe, ["tench", "golf ball"], cfg)
    b = scapre.erase_concepts(tiny_pipe, ["tench", "golf ball"], cfg)
    assert all(torch.equal(a[n], b[n]) for n in a)
    other = scapre.erase_concepts(
        tiny_pipe, ["tench", "golf ball"], dataclasses.replace(cfg, seed=7)
    )
    assert any(not torch.equal(a[n], other[n]) for n in a)


def test_zero_noise_makes_the_edit_seed_independent(tiny_pipe):
    cfg = dataclasses.replace(scapre.preset("large-scale"), noise_sigma=0.0, mi_arithmetic="exact")
    a = scapre.erase_concepts(tiny_pipe, ["tench"], cfg)
    b = scapre.erase_concepts(tiny_pipe, ["tench"], dataclasses.replace(cfg, seed=99))
    assert all(torch.equal(a[n], b[n]) for n in a)


def test_float32_arithmetic_close_to_float64(tiny_pipe):
    cfg = scapre.preset("diversi50")
    a = scapre.erase_concepts(tiny_pipe, ["tench", "church"], cfg)
    b = scapre.erase_concepts(
        tiny_pipe, ["tench", "church"], dataclasses.replace(cfg, dtype="float32")
    )
    for n in a:  # G = lambda I + sum X^T X + ... is ill-conditioned, hence float64 by default
        assert float((a[n] - b[n]).norm() / a[n].norm()) < 1e-3


def test_more_concepts_than_text_width_is_finite(tiny_pipe):
    concepts = [f"object number {i}" for i in range(40)]  # text width is 32
    weights = scapre.erase_concepts(tiny_pipe, concepts, scapre.preset("large-scale"))
    assert all(torch.isfinite(w).all() for w in weights.values())


@pytest.mark.parametrize(
    ("concepts", "message"),
    [
        ([], "no concepts"),
        (["tench", " "], "empty concept"),
        (["tench", "Tench "], "duplicate concept"),
        (["word " * 80], "tokens"),
        ("tench", "not one string"),
    ],
)
def test_bad_concepts_are_refused(tiny_pipe, concepts, message):
    with pytest.raises(ScaPreError, match=message):
        scapre.erase_concepts(tiny_pipe, concepts, ScaPreConfig())


def test_pipelines_the_solver_cannot_edit_are_refused(tiny_pipe):
    from types import SimpleNamespace

    sdxl_like = SimpleNamespace(
        unet=tiny_pipe.unet,
        tokenizer=tiny_pipe.tokenizer,
        text_encoder=tiny_pipe.text_encoder,
        text_encoder_2=tiny_pipe.text_encoder,
        tokenizer_2=tiny_pipe.tokenizer,
    )
    with pytest.raises(ScaPreError, match="SDXL"):
        scapre.erase_concepts(sdxl_like, ["tench"])
    from diffusers import UNet2DModel

    no_cross = SimpleNamespace(
        unet=UNet2DModel(
            sample_size=8,
            block_out_channels=(32, 32),
            down_block_types=("DownBlock2D", "AttnDownBlock2D"),
            up_block_types=("AttnUpBlock2D", "UpBlock2D"),
            norm_num_groups=8,
        ),
        tokenizer=tiny_pipe.tokenizer,
        text_encoder=tiny_pipe.text_encoder,
    )
    with pytest.raises(ScaPreError, match="no cross-attention"):
        scapre.erase_concepts(no_cross, ["tench"])


def test_text_width_mismatch_is_refused(tiny_pipe):
    from types import SimpleNamespace

    from audits.models.tiny import tiny_text_encoder

    wide = SimpleNamespace(
        unet=tiny_pipe.unet, tokenizer=tiny_pipe.tokenizer, text_encoder=tiny_text_encoder(width=64)
    )
    with pytest.raises(ScaPreError, match="do not belong together"):
        scapre.erase_concepts(wide, ["tench"])


@pytest.mark.parametrize(
    "bad",
    [
        {"variant": "both"},
        {"p": "2"},
        {"entropy_bins": 0},
        {"alpha_min": 1.5},
        {"bures_iters": 0},
        {"use_mi_softmask": 1},
        {"no_such_field": 1},
    ],
)
def test_bad_config_is_refused(bad):
    with pytest.raises(ScaPreError):
        ScaPreConfig.from_dict(bad)


def test_config_round_trips_and_presets_are_the_published_commands():
    for name, cfg in scapre.PRESETS.items():
        assert ScaPreConfig.from_dict(cfg.to_dict()) == cfg, name
    ls = scapre.preset("large-scale")
    assert (ls.variant, ls.erase_scale, ls.p, ls.bures_iters) == ("scale", 2.0, 8.0, 1)
    assert ls.use_mi_softmask and ls.enable_ased and ls.entropy_samples == 30
    im = scapre.preset("imagenette")
    assert (im.variant, im.p, im.alpha_min, im.entropy_samples) == ("erase", 2.0, 0.8, 20)
    with pytest.raises(ScaPreError, match="Did you mean: large-scale"):
        scapre.preset("large_scale")


def test_mask_report_shows_that_float32_rounding_follows_the_sign_rule():
    from types import SimpleNamespace

    from scapre.solve import MatrixReport, _mask_report

    gen = torch.Generator().manual_seed(4)
    d_out, d_in, m = 512, 64, 3
    W0 = torch.randn(d_out, d_in, generator=gen) / d_in**0.5
    C, e0 = torch.randn(d_in, m, generator=gen), torch.randn(d_in, generator=gen)
    pos, neg = torch.randn(m, 5, d_in, generator=gen), torch.randn(m, 5, d_in, generator=gen)
    shared = SimpleNamespace(feats=SimpleNamespace(C=C.double(), e0=e0.double()))
    agreement = {}
    for arithmetic in ("official", "exact"):
        res = informax(W0, C, e0, pos, neg, 0.01, 8.0, arithmetic=arithmetic)
        report = MatrixReport("w", (d_out, d_in))
        _mask_report(report, W0.double(), shared, res)
        assert report.rows_separated > 0.9
        agreement[arithmetic] = report.sign_rule_agreement
    assert agreement["official"] > 0.95  # rounding, not information, decides the official mask
    assert agreement["exact"] < 0.7  # exact ties carry no sign information


def test_zscore_has_the_bits_of_the_official_one_concept_at_a_time_call():
    from scapre.stats import _zscore

    gen = torch.Generator().manual_seed(6)
    for m, d_out in [(1, 32), (7, 320), (64, 1280)]:
        mi = torch.full((m, d_out), 0.6931472, dtype=torch.float32)
        mi[torch.rand(m, d_out, generator=gen) < 0.5] = 0.69314724
        mi[torch.rand(m, d_out, generator=gen) < 0.02] = 0.19274
        rowwise = torch.stack([(r - r.mean()) / (r.std() + 1e-8) for r in mi])
        assert torch.equal(_zscore(mi, "official"), rowwise)


def test_sd2_style_unet_and_tokenizer_are_edited():
    """SD 2.x differs in shape, not in kind: linear projections in the transformer blocks,
    per-block head dims, a wider text encoder and '!' as the padding token."""
    from types import SimpleNamespace

    from diffusers import UNet2DConditionModel

    from audits.models.clip_tokenizer import build_clip_tokenizer
    from audits.models.tiny import tiny_text_encoder

    torch.manual_seed(0)
    unet = UNet2DConditionModel(
        sample_size=8,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=64,
        attention_head_dim=(2, 4),
        use_linear_projection=True,
        norm_num_groups=32,
    )
    tokenizer = build_clip_tokenizer()
    tokenizer.pad_token = "!"
    pipe = SimpleNamespace(unet=unet, tokenizer=tokenizer, text_encoder=tiny_text_encoder(width=64))
    feats = scapre.encode_text_features(tokenizer, pipe.text_encoder, ["tench"])
    assert feats.X[0].shape[0] == 77 - 2  # "tench" is one token: the tail starts at index 1
    weights = scapre.erase_concepts(pipe, ["tench", "golf ball"], scapre.preset("large-scale"))
    assert len(weights) == 8 and all(w.shape[1] == 64 for w in weights.values())
