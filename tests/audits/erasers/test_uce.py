"""UCE: the official 2023 golden vectors, the literal oracle, exact limits, and bad input."""

from __future__ import annotations

import pytest
import torch

from audits.erasers.closed_form import TokenTerms, uce_weight
from audits.erasers.errors import EraserError
from audits.erasers.prompts import encode_prompts, pad_stack, tail_pair
from audits.erasers.uce import UCEConfig, UCEEraser, erase_prompts
from tests.scapre.golden import golden_dir, load_golden
from tests.scapre.oracle import oracle_uce2023

needs_golden = pytest.mark.skipif(golden_dir() is None, reason="golden vectors not found")


def golden_terms(golden, dtype=torch.float64):
    X = pad_stack([x.to(dtype) for x in golden.X])
    N = pad_stack([n.to(dtype) for n in golden.N])
    return TokenTerms.build(X, N, golden.P_empty.to(dtype)[None])


@needs_golden
@pytest.mark.parametrize("technique", ["replace", "tensor"])
def test_matches_the_literal_oracle_to_1e_6(technique):
    golden = load_golden()
    terms = golden_terms(golden)
    worst = 0.0
    for name in golden.matrix_order:
        W0 = golden.W0[name].double()
        ours = uce_weight(
            W0, terms, lamb=0.5, erase_scale=1.0, preserve_scale=1.0, technique=technique
        )
        ref = oracle_uce2023(
            W0,
            X=golden.X,
            N=golden.N,
            preserve=[golden.P_empty],
            lamb=0.5,
            erase_scale=1.0,
            preserve_scale=1.0,
            technique=technique,
        )
        worst = max(worst, ((ours - ref).norm() / ref.norm()).item())
    assert worst < 1e-6


@needs_golden
def test_reproduces_the_official_uce2023_golden_vectors():
    golden = load_golden()
    kwargs = golden.variants["uce2023"].kwargs
    cfg = UCEConfig()
    assert (cfg.lamb, cfg.erase_scale, cfg.technique) == (
        kwargs["lamb"],
        kwargs["erase_scale"],
        kwargs["technique"],
    )
    assert cfg.effective_preserve_scale() == kwargs["preserve_scale"]
    terms = golden_terms(golden)
    num = den = 0.0
    for name in golden.matrix_order:
        ours = uce_weight(
            golden.W0[name].double(), terms, lamb=0.5, erase_scale=1.0, preserve_scale=1.0
        )
        ref = golden.variants["uce2023"].W[name].double()
        num += (ours - ref).norm().item() ** 2
        den += ref.norm().item() ** 2
    assert (num / den) ** 0.5 < 3e-4  # float32 golden of a system with condition number ~1e4


def test_pipeline_edit_equals_the_oracle_on_the_same_features(tiny_pipe):
    concepts = ["tench", "golf ball"]
    edit = UCEEraser(UCEConfig(preserve_concepts=("church",))).erase(tiny_pipe, concepts)
    assert edit.variant == "uce-2023/replace" and len(edit.weights) == 8
    enc = encode_prompts(tiny_pipe, [*concepts, " ", "", "church"])
    last = enc.last.tolist()
    pairs = [tail_pair(enc.emb[k], last[k], enc.emb[2], last[2]) for k in range(2)]
    params = dict(tiny_pipe.unet.named_parameters())
    for name, new in edit.weights.items():
        ref = oracle_uce2023(
            params[name].detach().double(),
            X=[x for x, _ in pairs],
            N=[n for _, n in pairs],
            preserve=[enc.emb[3], enc.emb[4]],
            lamb=0.5,
            erase_scale=1.0,
            preserve_scale=0.5,  # max(0.1, 1 / len(["", "church"]))
            technique="replace",
        )
        assert new.dtype == torch.float32
        assert ((new.double() - ref).norm() / ref.norm()).item() < 1e-6


@pytest.mark.parametrize("variant", ["2023", "2025"])
def test_no_preserve_and_lamb_to_zero_maps_concept_tokens_to_guide_values(wide_pipe, variant):
    """With lamb -> 0 and nothing preserved, W_new x = W_old n for every erased token."""
    cfg = UCEConfig(variant=variant, lamb=1e-10)
    if variant == "2023":  # drop the implicit "" preserve prompt
        cfg = UCEConfig(lamb=1e-10, preserve_scale=0.0)
    edit = UCEEraser(cfg).erase(wide_pipe, ["tench"])
    enc = encode_prompts(wide_pipe, ["tench", " " if variant == "2023" else ""])
    last = enc.last.tolist()
    if variant == "2023":
        x, n = tail_pair(enc.emb[0], last[0], enc.emb[1], last[1])
    else:
        x, n = enc.emb[0, last[0]][None], enc.emb[1, last[1]][None]
    params = dict(wide_pipe.unet.named_parameters())
    for name, new in edit.weights.items():
        old = params[name].detach().double()
        got, want = x @ new.double().T, n @ old.T
        # weights are stored in float32, so compare at float32 resolution
        assert ((got - want).norm() / want.norm()).item() < 1e-4


def test_no_erase_terms_leave_weights_unchanged(tiny_pipe):
    edit = UCEEraser(UCEConfig(erase_scale=0.0)).erase(tiny_pipe, ["tench"])
    params = dict(tiny_pipe.unet.named_parameters())
    for name, new in edit.weights.items():
        assert torch.allclose(new, params[name], rtol=0, atol=1e-6)


def test_preserved_prompt_outputs_are_kept_when_erasing_nothing_else(wide_pipe):
    """Preserve-only solutions fix W p for every preserved token (mat1 = W_old mat2)."""
    cfg = UCEConfig(erase_scale=0.0, preserve_concepts=("church",), lamb=1e-12)
    edit = UCEEraser(cfg).erase(wide_pipe, ["tench"])
    P = encode_prompts(wide_pipe, ["church"]).emb[0]
    params = dict(wide_pipe.unet.named_parameters())
    for name, new in edit.weights.items():
        old = params[name].detach().double()
        assert ((P @ new.double().T - P @ old.T).norm() / (P @ old.T).norm()).item() < 1e-5


def test_tensor_targets_are_orthogonal_to_the_concept_outputs():
    torch.manual_seed(0)
    W = torch.randn(6, 16, dtype=torch.float64)
    X, N = torch.randn(1, 4, 16, dtype=torch.float64), torch.randn(1, 4, 16, dtype=torch.float64)
    from audits.erasers.closed_form import tensor_coefficients

    beta = tensor_coefficients(W, X, N)
    targets = N[0] @ W.T - beta[0] * (X[0] @ W.T)
    assert abs((targets * (X[0] @ W.T)).sum().item()) < 1e-10


def test_2023_add_prompts_and_guides():
    old, new = erase_prompts(["Monet"], UCEConfig(add_prompts="art", guides=("art",)))
    assert old[0] == "Monet" and old[1] == "painting by Monet" and len(old) == 6
    assert new == ["art"] * 6
    _, new = erase_prompts(["a", "b"], UCEConfig(guides=("",)))
    assert new == [" ", " "]
    _, new = erase_prompts(["a"], UCEConfig(variant="2025"))
    assert new == [""]


def test_config_round_trip_and_presets():
    for eraser in [UCEEraser(), UCEEraser(UCEConfig(variant="2025", guides=("x",)))]:
        assert UCEEraser.from_config(eraser.to_config()) == eraser
    assert UCEEraser.from_config({"preset": "2025"}).config.variant == "2025"
    e = UCEEraser().with_overrides(["guides=art; sky", "lamb=0.1", "preserve_scale=none"])
    assert e.config.guides == ("art", "sky") and e.config.lamb == 0.1
    assert UCEConfig(variant="2025").effective_preserve_scale() == 1.0
    assert UCEConfig(preserve_concepts=tuple("abcdefghijklmn")).effective_preserve_scale() == 0.1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lamb": -1.0}, "lamb must be >= 0"),
        ({"technique": "blend"}, "technique must be one of"),
        ({"variant": "2025", "technique": "tensor"}, "no 'tensor'"),
        ({"guides": "art"}, "list of strings"),
        ({"lamb": "high"}, "must be float"),
    ],
)
def test_bad_config_is_refused(kwargs, message):
    with pytest.raises(EraserError, match=message):
        UCEConfig(**kwargs)


def test_bad_input_is_refused(tiny_pipe):
    with pytest.raises(EraserError, match="one guide or one per concept"):
        UCEEraser(UCEConfig(guides=("a", "b", "c"))).erase(tiny_pipe, ["x", "y"])
    with pytest.raises(EraserError, match="duplicate concept"):
        UCEEraser().erase(tiny_pipe, ["x", "X"])
    with pytest.raises(EraserError, match="tokens"):
        UCEEraser().erase(tiny_pipe, ["word " * 80])
    with pytest.raises(EraserError, match="unknown UCE config key"):
        UCEEraser().with_overrides(["nope=1"])


def test_2025_erases_and_preserves_together_as_lamb_goes_to_zero(wide_pipe):
    """Few enough vectors to interpolate: concepts -> guide values, preserved prompts -> own."""
    cfg = UCEConfig(variant="2025", lamb=1e-10, preserve_concepts=("church", "a red car"))
    edit = UCEEraser(cfg).erase(wide_pipe, ["tench", "golf ball"])
    enc = encode_prompts(wide_pipe, ["tench", "golf ball", "", "church", "a red car"])
    vecs = enc.last_vectors()
    params = dict(wide_pipe.unet.named_parameters())
    for name, new in edit.weights.items():
        old = params[name].detach().double()
        erased = vecs[:2] @ new.double().T
        guide = (vecs[2] @ old.T).expand_as(erased)
        assert ((erased - guide).norm() / guide.norm()).item() < 1e-4
        kept = vecs[3:] @ new.double().T
        assert ((kept - vecs[3:] @ old.T).norm() / kept.norm()).item() < 1e-4
