"""Every ScaPre preset (each one a published command, `scapre.PRESET_SOURCES`) against the literal
per-row oracle on a tiny model, unchanged (no reduced sample counts): the fast solver's edit
agrees with `oracle.oracle_edit_matrix` to 1e-8 relative in float64 on the same random draws, and
the text features it solves with are the official slices, re-cut here from the raw embeddings."""

from __future__ import annotations

import pytest
import torch

import scapre

from .test_fast_vs_oracle import compare

TOL = 1e-8
CONCEPTS = ["tench", "church", "golf ball"]


def official_tails(pipe, concept: str, guide: str):
    """erase.py / erase_scale.py (UCE-2023's edit_model): the concept's and guide's tails from
    their last subject token, cut to equal length."""

    def encode(text):
        tok = pipe.tokenizer(
            text, padding="max_length", max_length=77, truncation=True, return_tensors="pt"
        )
        with torch.no_grad():
            emb = pipe.text_encoder(tok.input_ids)[0][0].double()
        return emb, int(tok.attention_mask[0].sum()) - 2

    old, f_old = encode(concept)
    new, f_new = encode(" " if guide == "" else guide)
    far = max(f_old, f_new)
    return old[f_old : 77 - (far - f_old)], new[f_new : 77 - (far - f_new)]


@pytest.mark.parametrize("preset", sorted(scapre.PRESETS))
def test_every_preset_matches_the_oracle_to_1e_8(tiny_pipe, preset):
    cfg = scapre.preset(preset)
    feats = scapre.encode_text_features(
        tiny_pipe.tokenizer, tiny_pipe.text_encoder, CONCEPTS, guide=cfg.guide
    )
    for k, concept in enumerate(CONCEPTS):
        x, n = official_tails(tiny_pipe, concept, cfg.guide)
        assert torch.equal(feats.X[k], x) and torch.equal(feats.N[k], n)
        assert torch.equal(feats.C[:, k], x[0])
    matrices = [(r.name, r.layer.weight.detach()) for r in scapre.projections(tiny_pipe.unet)]
    assert compare(matrices, feats, cfg) <= TOL


def test_every_preset_names_its_source():
    assert set(scapre.PRESET_SOURCES) == set(scapre.PRESETS)
