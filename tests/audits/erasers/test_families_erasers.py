"""Every closed-form eraser on tiny SDXL and SD 2.x pipelines, and UCE against a literal replay of
the official SDXL script (`trainscripts/uce_sd_erase.py`, which edits SDXL with
`pipe.encode_prompt`)."""

from __future__ import annotations

import pytest
import torch

from audits.registry import ERASERS

METHODS = ["scapre", "uce", "time", "rece", "speed", "mace-cfr"]


@pytest.mark.parametrize("fixture", ["tiny_sdxl_pipe", "tiny_sd2_pipe"])
@pytest.mark.parametrize("method", METHODS)
def test_every_eraser_edits_the_families_kv_matrices(request, fixture, method):
    pipe = request.getfixturevalue(fixture)
    width = 80 if fixture == "tiny_sdxl_pipe" else 32
    before = {n: p.detach().clone() for n, p in pipe.unet.named_parameters()}
    edit = ERASERS.get(method)().erase(pipe, ["tench", "church"])
    kv = {n for n in before if ".attn2.to_k." in n or ".attn2.to_v." in n}
    assert edit.weights and set(edit.weights) <= kv
    for name, w in edit.weights.items():
        assert w.shape == before[name].shape and w.shape[1] == width
        assert torch.isfinite(w).all() and not torch.equal(w, before[name]), name
    assert all(torch.equal(p, before[n]) for n, p in pipe.unet.named_parameters())


def official_uce_sdxl(pipe, edit, guides, preserve, erase_scale, preserve_scale, lamb):
    """The official UCE script's arithmetic, literally (in float64): one vector per prompt,
    `pipe.encode_prompt(...)[0][:, last, :]` with `last` from the first tokenizer's mask; every
    module with 'attn2' in its name ending in to_k/to_v, in `named_modules` order."""
    embeds = {}
    for e in edit + guides + preserve:
        t_emb = pipe.encode_prompt(
            prompt=e, device="cpu", num_images_per_prompt=1, do_classifier_free_guidance=False
        )
        mask = pipe.tokenizer(
            e, padding="max_length", max_length=77, truncation=True, return_tensors="pt"
        )["attention_mask"]
        embeds[e] = t_emb[0][:, mask.sum() - 2, :].double()
    out = {}
    for name, module in pipe.unet.named_modules():
        if "attn2" in name and (name.endswith("to_v") or name.endswith("to_k")):
            w_old = module.weight.detach().double()
            mat1 = lamb * w_old
            mat2 = lamb * torch.eye(w_old.shape[1], dtype=torch.float64)
            for c, g in zip(edit, guides, strict=True):
                c_i, v_star = embeds[c].T, w_old @ embeds[g].T
                mat1 += erase_scale * (v_star @ c_i.T)
                mat2 += erase_scale * (c_i @ c_i.T)
            for p in preserve:
                c_i = embeds[p].T
                mat1 += preserve_scale * ((w_old @ c_i) @ c_i.T)
                mat2 += preserve_scale * (c_i @ c_i.T)
            out[name + ".weight"] = mat1 @ torch.inverse(mat2)
    return out


def test_uce_2025_matches_the_official_sdxl_script(tiny_sdxl_pipe):
    from audits.erasers.uce import UCEConfig, UCEEraser

    concepts = ["Van Gogh", "Picasso"]
    cfg = UCEConfig(variant="2025", guides=("art",), preserve_concepts=("Monet", "Rembrandt"))
    ours = UCEEraser(cfg).erase(tiny_sdxl_pipe, concepts).weights
    ref = official_uce_sdxl(
        tiny_sdxl_pipe, concepts, ["art", "art"], ["Monet", "Rembrandt"], 1.0, 1.0, 0.5
    )
    assert sorted(ours) == sorted(ref) and len(ref) == 16
    for name, w in ref.items():
        assert float((ours[name].double() - w).norm() / w.norm()) < 1e-5, name
