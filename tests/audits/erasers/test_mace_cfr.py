"""MACE-CFR (partial MACE): token alignment, the closed forms against the literal UCE oracle,
identity and fusion properties, and its labelling as partial."""

from __future__ import annotations

import pytest
import torch

from audits.erasers.errors import EraserError
from audits.erasers.mace_cfr import (
    MACECFRConfig,
    MACECFREraser,
    cfr_inputs,
    cfr_positions,
    cfr_weight,
    mace_fuse,
)
from audits.erasers.mace_templates import OBJECT, STYLE
from tests.scapre.oracle import oracle_uce2023


def test_positions_exclude_the_concept_and_align_the_padding(tiny_pipe):
    tok = tiny_pipe.tokenizer
    old, new = tok("A photo of golf ball").input_ids, tok("A photo of a person").input_ids
    o, n = cfr_positions(old, new)
    assert o[:5] == [0, 1, 2, 3, 6] and n[:5] == [0, 1, 2, 3, 6]  # BOS a photo of | EOS ...
    assert len(o) == len(n) and o[-1] == 76 and n[-1] == 76
    # "tench" is two tokens: the old EOS sits at 6, the new one at 4
    o, n = cfr_positions(tok("A photo of tench").input_ids, tok("A photo of").input_ids)
    assert o[:5] == [0, 1, 2, 3, 6] and n[:5] == [0, 1, 2, 3, 4] and len(o) == len(n)
    assert o[-1] == 76 and n[-1] == 74
    assert len(OBJECT) == len(STYLE) == 30


def test_cfr_is_the_ridge_form_with_official_double_preserve_scaling(wide_pipe):
    cfg = MACECFRConfig(
        mapping=("a person",),
        lamb=0.5,
        preserve_prompts=("a cat on a mat", "a red car in the street"),
        fusion=False,
    )
    assert cfg.cfr_scale() == pytest.approx(1e-8)
    assert MACECFRConfig(cfr_preserve_scaling="as-written").cfr_scale() == 1e-4
    inputs = cfr_inputs(wide_pipe, ["tench"], cfg, torch.float64, torch.device("cpu"))
    from audits.erasers.mace_templates import OBJECT
    from audits.erasers.prompts import encode_prompts

    Q = encode_prompts(wide_pipe, list(cfg.preserve_prompts)).emb
    olds = [t.format("tench") for t in OBJECT]
    news = [t.format("a person") for t in OBJECT]
    enc = encode_prompts(wide_pipe, [*olds, *news])
    xs, ns = [], []  # the kept positions, read literally per prompt pair
    for k, (po, pn) in enumerate(zip(olds, news, strict=True)):
        tok = wide_pipe.tokenizer
        o, n = cfr_positions(tok(po).input_ids, tok(pn).input_ids)
        xs.append(enc.emb[k, o])
        ns.append(enc.emb[len(olds) + k, n])
    W0 = (
        dict(wide_pipe.unet.named_parameters())[
            "mid_block.attentions.0.transformer_blocks.0.attn2.to_k.weight"
        ]
        .detach()
        .double()
    )
    ours = cfr_weight(W0, inputs, cfg)
    ref = oracle_uce2023(
        W0,
        X=xs,
        N=ns,
        preserve=list(Q),
        lamb=0.5,
        erase_scale=1.0,
        preserve_scale=1e-8,
        technique="replace",
    )
    assert ((ours - ref).norm() / ref.norm()).item() < 1e-8


def test_mapping_a_concept_to_itself_changes_nothing(wide_pipe):
    cfg = MACECFRConfig(mapping=("tench",), preserve_prompts=("a cat",), preserve_weight=0.0)
    edit = MACECFREraser(cfg).erase(wide_pipe, ["tench"])
    params = dict(wide_pipe.unet.named_parameters())
    for name, w in edit.weights.items():
        assert ((w - params[name]).norm() / params[name].norm()).item() < 1e-5


def test_fusion_of_one_delta_without_preserve_reproduces_w_plus_delta():
    g = torch.Generator().manual_seed(0)
    d = 10
    W0 = torch.randn(6, d, generator=g, dtype=torch.float64)
    W_cfr = W0 + 0.1 * torch.randn(6, d, generator=g, dtype=torch.float64)
    delta = 0.05 * torch.randn(1, 6, d, generator=g, dtype=torch.float64)
    E = torch.randn(1, 40, d, generator=g, dtype=torch.float64)
    fused = mace_fuse(
        W_cfr, W0, E, torch.zeros(d, d, dtype=torch.float64), lamb=0.0, scale=0.0, deltas=delta
    )
    assert (fused - (W_cfr + delta[0])).abs().max().item() < 1e-10
    same = mace_fuse(W_cfr, W0, E, torch.eye(d, dtype=torch.float64), lamb=0.0, scale=0.0)
    assert (same - W_cfr).abs().max().item() < 1e-10
    anchored = mace_fuse(W_cfr, W0, E, torch.eye(d, dtype=torch.float64), lamb=0.0, scale=1e12)
    assert (anchored - W0).abs().max().item() < 1e-6  # the preserve cache anchors to W0


def test_labelled_partial_and_runs_with_presets(tiny_pipe):
    eraser = MACECFREraser(MACECFRConfig(lamb=0.5))
    assert eraser.complete is False and "PARTIAL" in eraser.describe()["summary"]
    edit = eraser.erase(tiny_pipe, ["tench"])
    assert "partial MACE" in edit.variant and len(edit.weights) == 8
    for name in MACECFREraser.presets:
        e = MACECFREraser.from_config({"preset": name})
        assert MACECFREraser.from_config(e.to_config()) == e


def test_bad_input(tiny_pipe):
    with pytest.raises(EraserError, match="preserve_weight must be >= 0"):
        MACECFRConfig(preserve_weight=-1.0)
    with pytest.raises(EraserError, match="concept_type must be one of"):
        MACECFRConfig(concept_type="celebrity")
    with pytest.raises(EraserError, match="one mapping concept or one per concept"):
        MACECFREraser(MACECFRConfig(mapping=("a", "b"))).erase(tiny_pipe, ["x", "y", "z"])
