"""The committed model loads offline through StableDiffusionPipeline.from_pretrained and draws the
prompted concept, as judged by the world's classifier."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from audits.models.clip_tokenizer import build_clip_tokenizer
from audits.toyworld.evaluate import (
    attribute_prompt_rates,
    attribute_summary,
    concept_rates,
    generate,
    summarize,
)
from audits.toyworld.paths import PIPELINE_DIR, WEIGHTS_DIR
from audits.toyworld.world import CONCEPTS

SUITE_DIR = Path(__file__).resolve().parents[3] / "suites" / "toyworld"

# Measured on 16 seeds per concept (MODEL_CARD.md): 97.9% of images show the prompted concept,
# colour 100%, shape 97.9%. The fast test uses 4 seeds per concept (96 images); the thresholds
# leave room for sampling noise.
MIN_CONCEPT_RATE = 0.85
MIN_FAMILY_RATE = 0.90


def test_loads_as_a_stable_diffusion_pipeline(toy_pipe):
    from diffusers import AutoencoderKL, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextModel

    assert isinstance(toy_pipe, StableDiffusionPipeline)
    assert isinstance(toy_pipe.unet, UNet2DConditionModel)
    assert isinstance(toy_pipe.vae, AutoencoderKL)
    assert isinstance(toy_pipe.text_encoder, CLIPTextModel)
    assert toy_pipe.text_encoder.config.hidden_size >= 128
    assert toy_pipe.unet.config.cross_attention_dim == toy_pipe.text_encoder.config.hidden_size
    prompt = "a photo of a red circle"
    assert toy_pipe.tokenizer(prompt).input_ids == build_clip_tokenizer()(prompt).input_ids


def test_committed_weights_are_small_safetensors():
    files = [p for p in WEIGHTS_DIR.rglob("*") if p.is_file()]
    assert sum(p.stat().st_size for p in files) <= 50_000_000
    assert not [p for p in files if p.suffix in (".bin", ".pt", ".pth", ".ckpt")]
    assert (PIPELINE_DIR / "model_index.json").is_file()


def test_same_seed_same_image(toy_pipe):
    a = generate(toy_pipe, ["a blue cross"], [5], steps=10)
    b = generate(toy_pipe, ["a blue cross"], [5], steps=10)
    assert a.shape == (1, 32, 32, 3) and np.array_equal(a, b)


def test_generates_the_prompted_concept(toy_pipe, toy_classifier):
    rates = concept_rates(toy_pipe, toy_classifier, list(CONCEPTS), n=4, steps=20)
    summary = summarize(rates)
    assert summary["concept"] >= MIN_CONCEPT_RATE, summary
    assert summary["colour"] >= MIN_FAMILY_RATE and summary["shape"] >= MIN_FAMILY_RATE, summary


def test_toyworld_suite_pins_the_committed_weights():
    import yaml

    from audits.toyworld.pipeline import pipeline_weights_sha256

    suite = yaml.safe_load((SUITE_DIR / "suite.yaml").read_text())
    assert suite["model"]["family"] == "toyworld"
    assert suite["model"]["revision"] == pipeline_weights_sha256()


def test_text_encoder_tails_carry_the_concept(toy_pipe):
    """Closed-form edits act on the tail tokens (last word through padding); they are targeted
    only if those differ between prompts (a random encoder gives cosine ~0.98; measured 0.68)."""
    import torch

    prompts = [c.prompt for c in CONCEPTS]
    ids = toy_pipe.tokenizer(prompts, padding="max_length", max_length=77, return_tensors="pt")
    with torch.no_grad():
        hidden = toy_pipe.text_encoder(ids.input_ids).last_hidden_state
    tails = torch.nn.functional.normalize(hidden[:, 3:].flatten(1), dim=-1)
    cos = tails @ tails.T
    off_diagonal = cos[~torch.eye(len(prompts), dtype=torch.bool)]
    assert off_diagonal.mean() < 0.85, off_diagonal.mean()


def test_attribute_only_prompts_keep_their_attribute(toy_pipe, toy_classifier):
    """ "a yellow" draws something yellow and "a circle" a circle (measured 99.4% on 16 seeds).
    Which other attribute they draw is the committed model's known bias (MODEL_CARD.md:
    colour-only prompts give squares, 97%), reported by the summary but not asserted."""
    rates = attribute_prompt_rates(toy_pipe, toy_classifier, n=2)
    assert len(rates) == 10 and rates["a yellow"]["other_attribute"]
    summary = attribute_summary(rates)
    assert summary["attribute_kept"] >= 0.8, summary
    assert 0 < summary["colour_only_top_shape_share"] <= 1, summary
