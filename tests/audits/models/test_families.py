"""The model-family layer: detection, text features exactly as each pipeline builds its prompt
embeddings, token alignment of SDXL's two encoders, and refusals of unknown families."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

from audits.errors import AuditError
from audits.models.families import detect, prompt_embeds_inputs, unet_added_conditions
from audits.registry import MODEL_FAMILIES
from scapre.errors import ScaPreError
from scapre.families import text_stack

PROMPTS = ["a photo of a tench", "", " ", "Van Gogh", "a painting of a church by Monet"]


def pipeline_embeds(pipe, prompt: str):
    """What the diffusers pipeline itself feeds the UNet for `prompt` (no guidance)."""
    out = pipe.encode_prompt(
        prompt=prompt, device="cpu", num_images_per_prompt=1, do_classifier_free_guidance=False
    )
    return out[0], (out[2] if len(out) == 4 else None)


@pytest.mark.parametrize(
    ("fixture", "family", "width"),
    [("tiny_pipe", "sd-v1", 32), ("tiny_sd2_pipe", "sd-v2", 32), ("tiny_sdxl_pipe", "sdxl", 80)],
)
def test_text_features_are_the_pipelines_prompt_embeds(request, fixture, family, width):
    pipe = request.getfixturevalue(fixture)
    stack = text_stack(pipe)
    assert (stack.family, stack.width, detect(pipe)) == (family, width, family)
    enc = stack.encode(PROMPTS, dtype=torch.float32, batch_size=1)
    for i, prompt in enumerate(PROMPTS):
        embeds, pooled = pipeline_embeds(pipe, prompt)
        assert torch.equal(enc.emb[i], embeds[0]), prompt
        if family == "sdxl":
            assert torch.equal(enc.pooled[i], pooled[0]), prompt
        else:
            assert enc.pooled is None


def test_sdxl_context_is_both_penultimate_states_side_by_side(tiny_sdxl_pipe):
    pipe = tiny_sdxl_pipe
    enc = text_stack(pipe).encode(["a photo of a tench"], dtype=torch.float32)
    parts = []
    for tok, te in ((pipe.tokenizer, pipe.text_encoder), (pipe.tokenizer_2, pipe.text_encoder_2)):
        ids = tok(["a photo of a tench"], padding="max_length", max_length=77, return_tensors="pt")
        with torch.no_grad():
            parts.append(te(ids.input_ids, output_hidden_states=True).hidden_states[-2])
    assert torch.equal(enc.emb, torch.cat(parts, dim=-1))
    assert enc.emb.shape == (1, 77, 32 + 48)


def test_sdxl_tokenizers_align_token_by_token(tiny_sdxl_pipe):
    """Same BOS/EOS and content ids at the same positions; only the padding differs."""
    stack = text_stack(tiny_sdxl_pipe)
    (ids1, ids2), mask = stack.tokenize(PROMPTS)
    n = mask.sum(dim=1)
    for row, length in enumerate(n.tolist()):
        assert torch.equal(ids1[row, :length], ids2[row, :length])
        assert set(ids1[row, length:].tolist()) <= {49407}  # first tokenizer pads with EOS
        assert set(ids2[row, length:].tolist()) <= {0}  # second pads with "!"
    content = ids1[:1, 1 : int(n[0]) - 1]
    rebuilt = stack.ids_from_tokens(content)
    assert torch.equal(rebuilt[0], ids1[:1]) and torch.equal(rebuilt[1], ids2[:1])


def test_sd2_pads_with_exclamation_marks_and_predicts_v(tiny_sd2_pipe):
    ids, mask = text_stack(tiny_sd2_pipe).tokenize(["a tench"])
    assert ids[0][0, int(mask.sum()) :].eq(0).all()
    assert tiny_sd2_pipe.scheduler.config.prediction_type == "v_prediction"


def test_sdxl_renders_from_prompt_embeds_with_pooled(tiny_sdxl_pipe):
    """prompt_embeds + the family's pooled embeddings reproduce the pipeline's own image."""
    pipe = tiny_sdxl_pipe
    prompts = ["a tench", "a church"]
    embeds = text_stack(pipe).encode(prompts, dtype=torch.float32, batch_size=1).emb
    common = dict(num_inference_steps=2, height=32, width=32, output_type="latent")

    def gen():
        return [torch.Generator().manual_seed(s) for s in (0, 1)]

    direct = pipe(prompt=prompts, generator=gen(), **common).images
    given = pipe(**prompt_embeds_inputs(pipe, prompts, embeds), generator=gen(), **common).images
    assert torch.allclose(direct, given, atol=1e-5)


def test_sdxl_unet_conditions(tiny_sdxl_pipe):
    stack = text_stack(tiny_sdxl_pipe)
    pooled = torch.zeros(2, 48)
    added = unet_added_conditions(stack, pooled, (64, 32), torch.float32)["added_cond_kwargs"]
    assert added["time_ids"].tolist() == [[64, 32, 0, 0, 64, 32]] * 2
    assert unet_added_conditions(text_stack_of_sd1(), None, (8, 8), torch.float32) == {}


def text_stack_of_sd1():
    from audits.models.tiny import tiny_pipeline

    return text_stack(tiny_pipeline())


def test_unknown_families_are_refused_in_one_line(tiny_pipe, tiny_sdxl_pipe):
    sd = tiny_pipe
    xl = tiny_sdxl_pipe
    cases = {
        "refiner": SimpleNamespace(
            unet=xl.unet,
            text_encoder=None,
            tokenizer=None,
            text_encoder_2=xl.text_encoder_2,
            tokenizer_2=xl.tokenizer_2,
        ),
        "transformer=": SimpleNamespace(transformer=sd.unet, text_encoder=sd.text_encoder),
        "three text encoders": SimpleNamespace(
            unet=sd.unet,
            text_encoder=sd.text_encoder,
            tokenizer=sd.tokenizer,
            text_encoder_3=sd.text_encoder,
            tokenizer_3=sd.tokenizer,
        ),
        "is not a CLIP text model": SimpleNamespace(
            unet=sd.unet, text_encoder=torch.nn.Linear(2, 2), tokenizer=sd.tokenizer
        ),
        "not SDXL's": SimpleNamespace(
            unet=sd.unet,
            text_encoder=sd.text_encoder,
            tokenizer=sd.tokenizer,
            text_encoder_2=sd.text_encoder,
            tokenizer_2=sd.tokenizer,
        ),
        "text_time": SimpleNamespace(
            unet=sd.unet,
            text_encoder=sd.text_encoder,
            tokenizer=sd.tokenizer,
            text_encoder_2=xl.text_encoder_2,
            tokenizer_2=xl.tokenizer_2,
        ),
    }
    for needle, pipe in cases.items():
        with pytest.raises(ScaPreError) as err:
            text_stack(pipe)
        message = str(err.value)
        assert needle in message and "\n" not in message, message
        with pytest.raises(AuditError, match="unsupported model family|not SDXL|text_time"):
            detect(pipe)


def test_every_registered_family_loads():
    for name in MODEL_FAMILIES.names():
        family = MODEL_FAMILIES.get(name)
        assert family.structure in ("sd-v1", "sd-v2", "sdxl")
        assert family.native_size % 8 == 0
    assert MODEL_FAMILIES.get("sdxl").native_size == 1024


def test_a_profile_can_name_its_own_model_and_resolution():
    from audits.suites import load_suite, suite_hash

    suite = load_suite("suites/artists100")
    xl = suite.profile("sdxl")
    assert (xl.model.family, xl.model.id) == ("sdxl", "stabilityai/stable-diffusion-xl-base-1.0")
    assert (xl.generation.height, xl.generation.width, xl.generation.sampler) == (
        1024,
        1024,
        "euler",
    )
    assert suite.profile("clean").model == suite.model and suite.model.family == "sd-v1"
    assert len(suite_hash(suite)) == 64


@pytest.mark.slow
def test_the_sdxl_benchmark_unet_has_sdxl_bases_140_kv_matrices():
    """benchmarks/solver.py --family sdxl: every attn2 K/V matrix of SDXL base, real names."""
    import scapre
    from audits.models.tiny import sdxl_kv_unet

    refs = scapre.projections(sdxl_kv_unet(device="meta"))
    assert len(refs) == 140 and all(r.layer.weight.shape[1] == 2048 for r in refs)
    assert refs[0].name == "down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_v.weight"
    assert refs[-1].name == "mid_block.attentions.0.transformer_blocks.9.attn2.to_k.weight"
    rows = sum(r.layer.weight.shape[0] for r in refs)
    assert rows == 2 * (4 * 640 + 20 * 1280 + 30 * 1280 + 6 * 640 + 10 * 1280)


@pytest.mark.slow
def test_the_sdxl_shaped_pipeline_has_sdxl_bases_parameter_counts():
    """benchmarks/random_model.py --family sdxl: SDXL base 1.0's published component sizes and
    its 140 K/V matrices, the same family the audit detects for the real model."""
    import scapre
    from audits.models.tiny import sdxl_shaped_pipeline

    pipe = sdxl_shaped_pipeline(device="meta")
    sizes = {
        name: sum(p.numel() for p in getattr(pipe, name).parameters())
        for name in ("unet", "vae", "text_encoder", "text_encoder_2")
    }
    assert sizes == {
        "unet": 2_567_463_684,
        "vae": 83_653_863,
        "text_encoder": 123_060_480,
        "text_encoder_2": 694_659_840,
    }
    assert len(scapre.projections(pipe.unet)) == 140
    assert pipe.vae.config.scaling_factor == 0.13025
    assert detect(pipe) == "sdxl" and text_stack(pipe).width == 2048
