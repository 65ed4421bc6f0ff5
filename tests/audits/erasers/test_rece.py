"""RECE: the adversarial embedding is the ridge least-squares solution, each round is the UCE
formula anchored to the current weights, and the round count is fixed."""

from __future__ import annotations

import pytest
import torch

from audits.erasers.errors import EraserError
from audits.erasers.rece import RECEConfig, RECEEraser, adversarial_embeddings, rece_round
from audits.erasers.uce import UCEEraser
from tests.scapre.oracle import oracle_uce2023


def _random_mats(seed=0, d=12):
    g = torch.Generator().manual_seed(seed)
    shapes = [(8, d), (16, d), (8, d)]
    orig = [torch.randn(s, generator=g, dtype=torch.float64) for s in shapes]
    cur = [w + 0.3 * torch.randn(w.shape, generator=g, dtype=torch.float64) for w in orig]
    C = torch.randn(2, 5, d, generator=g, dtype=torch.float64)
    return cur, orig, C


def test_adversarial_embedding_solves_the_ridge_normal_equations():
    cur, orig, C = _random_mats()
    lam = 0.1
    adv = adversarial_embeddings(cur, orig, C, lam)
    G = sum(w.T @ w for w in cur) + lam * torch.eye(12, dtype=torch.float64)
    H = sum(wc.T @ wo for wc, wo in zip(cur, orig, strict=True))
    residual = adv @ G.T - C @ H.T  # gradient of the objective, per token
    assert residual.abs().max().item() < 1e-10

    def objective(x):
        fit = sum(((x @ wc.T - C @ wo.T) ** 2).sum() for wc, wo in zip(cur, orig, strict=True))
        return fit + lam * (x**2).sum()

    step = 1e-3 * torch.randn(adv.shape, dtype=torch.float64, generator=torch.Generator())
    assert objective(adv) < objective(adv + step) and objective(adv) < objective(adv - step)


def test_unedited_model_gives_back_the_concept_as_regularisation_vanishes():
    _, orig, C = _random_mats(seed=1)
    adv = adversarial_embeddings(orig, orig, C, 1e-12)
    assert (adv - C).abs().max().item() < 1e-8


def test_round_is_uce_anchored_to_the_current_weights():
    cur, orig, C = _random_mats(seed=2)
    g = torch.Generator().manual_seed(3)
    guide = torch.randn(2, 5, 12, generator=g, dtype=torch.float64)
    P = torch.randn(2, 5, 12, generator=g, dtype=torch.float64)
    cfg = RECEConfig(regular_scale=0.1)
    out = rece_round(cur, orig, C, guide, P, cfg)
    adv = adversarial_embeddings(cur, orig, C, 0.1)
    for W, new in zip(cur, out, strict=True):
        ref = oracle_uce2023(
            W,
            X=list(adv),
            N=list(guide),
            preserve=list(P),
            lamb=0.1,
            erase_scale=1.0,
            preserve_scale=0.1,
            technique="replace",
        )
        assert ((new - ref).norm() / ref.norm()).item() < 1e-10


def test_huge_regularisation_leaves_the_uce_stage_unchanged(tiny_pipe):
    """c' -> 0, so the re-edit has no erase term and returns its anchor, the UCE-2023 edit."""
    uce = UCEEraser().erase(tiny_pipe, ["tench"])
    rece = RECEEraser(RECEConfig(regular_scale=1e14, epochs=2)).erase(tiny_pipe, ["tench"])
    assert rece.variant == "rece/regzero-2-rounds-on-uce-2023/replace/preserve-once"
    assert set(rece.weights) == set(uce.weights) and len(rece.weights) == 8
    for name, w in uce.weights.items():
        assert ((rece.weights[name] - w).norm() / w.norm()).item() < 1e-6
    default = RECEEraser().erase(tiny_pipe, ["tench"])
    changed = max(
        ((default.weights[n] - w).norm() / w.norm()).item() for n, w in uce.weights.items()
    )
    assert changed > 1e-3  # a real round moves the weights


def test_presets_config_round_trip_and_bad_input(tiny_pipe):
    for name in RECEEraser.presets:
        e = RECEEraser.from_config({"preset": name})
        assert RECEEraser.from_config(e.to_config()) == e
    assert RECEEraser.preset("nudity").epochs == 3
    assert RECEEraser.preset("nudity").round_preserve == "per-concept"
    assert RECEEraser.preset("art").guides == ("art",)
    with pytest.raises(EraserError, match="per-concept"):
        RECEConfig(round_preserve="per-concept", preserve_concepts=("x",))
    with pytest.raises(EraserError, match="epochs must be > 0"):
        RECEConfig(epochs=0)
    with pytest.raises(EraserError, match="regular_scale must be > 0"):
        RECEConfig(regular_scale=0.0)
    with pytest.raises(EraserError, match="unknown preset"):
        RECEEraser.preset("nudty")
    with pytest.raises(EraserError, match="one guide or one per concept"):
        RECEEraser(RECEConfig(guides=("a", "b"))).erase(tiny_pipe, ["x", "y", "z"])
