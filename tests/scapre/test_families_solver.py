"""ScaPre on SDXL and SD 2.x: the literal per-row oracle on 2048-wide matrices whose text
features come from an SDXL-width text stack (768 + 1280), and on whole tiny pipelines."""

from __future__ import annotations

import dataclasses

import pytest
import torch

import scapre
from scapre.config import ScaPreConfig
from scapre.families import TextStack, text_stack
from scapre.text import pipeline_text_features, stack_text_features

from .test_fast_vs_oracle import TOL, compare

CONCEPTS = ["tench", "church", "golf ball"]


@pytest.fixture(scope="module")
def sdxl_width_stack():
    """SDXL's two tokenizers and encoders at their real widths (768 and 1280; one layer each,
    random weights): text features 2048 wide, as SDXL base's UNet reads them."""
    from audits.models.clip_tokenizer import build_clip_tokenizer
    from audits.models.tiny import tiny_text_encoder, tiny_text_encoder_2

    return TextStack(
        "sdxl",
        (build_clip_tokenizer(), build_clip_tokenizer(pad_token="!")),
        (tiny_text_encoder(width=768, layers=1), tiny_text_encoder_2(width=1280, layers=1)),
        penultimate=True,
    )


# The literal oracle forms every token's outer product at 2048 x 2048: ~20 s per config alone on
# 2 cores, so one config runs by default and the others with `-m slow`.
ORACLE_2048 = {
    "large-scale": dataclasses.replace(scapre.preset("large-scale"), entropy_samples=4),
    "erase-svd-tensor": ScaPreConfig(
        variant="erase", svd=True, technique="tensor", alpha_min=0.5, entropy_samples=4
    ),
    "scale-exact-egbr-preserve": ScaPreConfig(
        use_mi_softmask=True,
        mi_arithmetic="exact",
        enable_egbr=True,
        preserve_concepts=("a photo",),
        preserve_scale=0.4,
        entropy_samples=4,
    ),
}
SLOW = pytest.mark.slow


@pytest.mark.parametrize(
    "name",
    ["large-scale", *(pytest.param(n, marks=SLOW) for n in ORACLE_2048 if n != "large-scale")],
)
def test_fast_matches_the_literal_oracle_on_2048_wide_matrices(sdxl_width_stack, name):
    cfg = ORACLE_2048[name]
    feats = stack_text_features(
        sdxl_width_stack, CONCEPTS, guide=cfg.guide, preserve=cfg.preserve_concepts
    )
    assert feats.d_in == 2048 and feats.C.shape == (2048, 3)
    gen = torch.Generator().manual_seed(3)
    scale = 2048**-0.5
    name = "mid_block.attentions.0.transformer_blocks.0.attn2.to_v.weight"
    matrices = [(name, scale * torch.randn(3, 2048, generator=gen, dtype=torch.float64))]
    assert compare(matrices, feats, cfg) <= TOL


@pytest.mark.parametrize(
    ("fixture", "preset"),
    [
        ("tiny_sdxl_pipe", "large-scale"),
        ("tiny_sdxl_pipe", "confuse-erase"),
        ("tiny_sd2_pipe", "imagenette"),
        ("tiny_sd2_pipe", "nsfw"),
        *(pytest.param("tiny_sdxl_pipe", p, marks=SLOW) for p in ("imagenette", "nsfw")),
    ],
)
def test_fast_matches_oracle_on_tiny_sdxl_and_sd2(request, fixture, preset):
    pipe = request.getfixturevalue(fixture)
    cfg = dataclasses.replace(scapre.preset(preset), entropy_samples=5)
    feats = pipeline_text_features(pipe, CONCEPTS)
    matrices = [(r.name, r.layer.weight.detach()) for r in scapre.projections(pipe.unet)]
    assert compare(matrices, feats, cfg) <= TOL


def test_sdxl_edit_covers_every_cross_attention_matrix(tiny_sdxl_pipe):
    pipe = tiny_sdxl_pipe
    before = {n: p.detach().clone() for n, p in pipe.unet.named_parameters()}
    edit = scapre.compute_edit(pipe, CONCEPTS, scapre.preset("large-scale"))
    names = [n for n in before if ".attn2.to_k." in n or ".attn2.to_v." in n]
    assert sorted(edit.weights) == sorted(names) and len(names) == 16
    assert all(w.shape == before[n].shape and w.shape[1] == 80 for n, w in edit.weights.items())
    assert all(torch.equal(p, before[n]) for n, p in pipe.unet.named_parameters())
    # order: every to_v, then every to_k, each in down -> up -> mid module order
    order = [r.name for r in scapre.projections(pipe.unet)]
    assert [n.rsplit(".", 2)[-2] for n in order] == ["to_v"] * 8 + ["to_k"] * 8
    assert [n for n, _ in pipe.unet.named_modules() if n.endswith("attn2")] == [
        n.removesuffix(".to_v.weight") for n in order[:8]
    ]


def test_sdxl_text_features_follow_the_official_tail_convention(tiny_sdxl_pipe):
    """c_k is the last content token of the 2048-wide (here 80) context; tails align with the
    guide position by position, exactly as for one encoder."""
    pipe = tiny_sdxl_pipe
    feats = pipeline_text_features(pipe, ["golf ball"], guide="art")
    embeds = pipe.encode_prompt("golf ball", device="cpu", do_classifier_free_guidance=False)[0]
    guide = pipe.encode_prompt("art", device="cpu", do_classifier_free_guidance=False)[0]
    f_o, f_n = 2, 1  # "golf ball": BOS golf ball EOS; "art": BOS art EOS
    assert torch.equal(feats.C[:, 0], embeds[0, f_o].double())
    far = max(f_o, f_n)
    assert torch.equal(feats.X[0], embeds[0, f_o : 77 - (far - f_o)].double())
    assert torch.equal(feats.N[0], guide[0, f_n : 77 - (far - f_n)].double())


def test_scapre_refuses_unknown_families_with_the_found_parts(tiny_sdxl_pipe):
    from types import SimpleNamespace

    refiner = SimpleNamespace(
        unet=tiny_sdxl_pipe.unet,
        text_encoder=None,
        tokenizer=None,
        text_encoder_2=tiny_sdxl_pipe.text_encoder_2,
        tokenizer_2=tiny_sdxl_pipe.tokenizer_2,
    )
    with pytest.raises(scapre.ScaPreError, match="refiner"):
        scapre.erase_concepts(refiner, ["tench"])
    assert text_stack(tiny_sdxl_pipe).family == "sdxl"
