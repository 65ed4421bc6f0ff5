"""A small audit suite on the tiny SD pipeline with a random-weight open_clip evaluator saved to a
local checkpoint, and one completed run shared by the tests (copied before any change)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}

SUITE_YAML = """\
schema: 1
name: tinyaudit
version: 0.1.0
model: {{family: sd-v1, id: "{model}", revision: main}}
generation: {{sampler: ddim, steps: 2, guidance_scale: 7.5, height: 32, width: 32, seeds: [0, 1],
             precision: fp16}}
concepts: {{table: concepts.csv}}
erase_sets:
  all: {{}}
probes:
  target: {{kind: concept_prompts, purpose: target, concepts: target,
           templates: ["a photo of a {{concept}}"]}}
  neighbor: {{kind: concept_prompts, purpose: neighbor, concepts: retain,
             templates: ["a photo of a {{concept}}"], seeds: [0]}}
  adversarial: {{kind: prompt_table, purpose: adversarial, table: adversarial.csv, seeds: [0]}}
  general: {{kind: prompt_table, purpose: quality, table: general.csv, seeds: [0]}}
scorers:
  clip: {{kind: clip_zeroshot, label_space: concepts, params: {clip}}}
  clip_score: {{kind: clip_score, params: {clip_model}}}
  fid: {{kind: fid, params: {clip_features}}}
  drift: {{kind: image_distance, params: {{distance: pixel-rmse}}}}
metrics:
  forget_acc: {{kind: forget_acc, scorer: clip, probes: [target]}}
  neighbor_acc: {{kind: neighbor_acc, scorer: clip, probes: [neighbor]}}
  harmonic_acc: {{kind: harmonic_acc, scorer: clip, probes: [target, neighbor]}}
  attack_success_rate: {{kind: attack_success_rate, scorer: clip, probes: [adversarial]}}
  clip_score: {{kind: clip_score, scorer: clip_score, probes: [general]}}
  fid_vs_base: {{kind: fid_vs_base, scorer: fid, probes: [general, target]}}
  image_drift: {{kind: image_drift, scorer: drift, probes: [general]}}
  overall: {{kind: overall_acc,
            params: {{forget_metric: forget_acc, preserve_metric: neighbor_acc}}}}
  uq: {{kind: uq, params: {{forget_metric: forget_acc, quality_metric: clip_score}}}}
methods:
  none: {{kind: none}}
  scapre: {{kind: scapre}}
"""

CLIP_MODEL = "{model: tiny-clip, model_config: tiny-clip.json, pretrained: tiny-clip.pt}"
# FID on the tiny CLIP's features, declared (not a fallback from Inception)
CLIP_FEATURES = CLIP_MODEL.replace("{model:", "{features: open_clip, model:")
CLIP_PARAMS = (
    "{model: tiny-clip, model_config: tiny-clip.json, pretrained: tiny-clip.pt,"
    ' templates: ["a photo of a {label}."]}'
)


def write_suite(folder: Path, model_dir: Path, clip_dir: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("tiny-clip.json", "tiny-clip.pt"):
        shutil.copy(clip_dir / name, folder / name)
    (folder / "suite.yaml").write_text(
        SUITE_YAML.format(
            model=model_dir, clip=CLIP_PARAMS, clip_model=CLIP_MODEL, clip_features=CLIP_FEATURES
        )
    )
    (folder / "concepts.csv").write_text("concept,role\ncat,target\ndog,target\nfox,retain\n")
    (folder / "adversarial.csv").write_text(
        "prompt,concept,family\na kitten,cat,paraphrase\na dgo,dog,misspelling\n"
    )
    (folder / "general.csv").write_text("prompt\na house by a lake\n")
    (folder / "CARD.md").write_text("# tinyaudit\nTest suite on random weights.\n")
    return folder


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """One intra-op thread: on a shared 2-core machine two spinning threads are 50x slower.

    Session scope, so that it is set before the session-scoped runs below are built: the thread
    count is part of a run's identity and changes float rounding of scores, so a base run built
    with two threads and a rescore with one would differ."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def clip_dir(tmp_path_factory) -> Path:
    """A random-weight open_clip model: config JSON + checkpoint file (open_clip's own format)."""
    import open_clip
    import torch

    folder = tmp_path_factory.mktemp("tiny-clip")
    (folder / "tiny-clip.json").write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(folder / "tiny-clip.json")
    torch.manual_seed(0)
    model = open_clip.create_model("tiny-clip")
    torch.save(model.state_dict(), folder / "tiny-clip.pt")
    return folder


@pytest.fixture(scope="session")
def suite_dir(tmp_path_factory, tiny_pipe_dir, clip_dir) -> Path:
    return write_suite(tmp_path_factory.mktemp("suite") / "tinyaudit", tiny_pipe_dir, clip_dir)


@pytest.fixture(scope="session")
def base_run(tmp_path_factory, suite_dir):
    """One complete run (batch size 2); tests copy it before changing anything."""
    from audits.run import RunRequest, run_suite

    out = tmp_path_factory.mktemp("runs") / "base"
    summary = run_suite(
        RunRequest(suite=str(suite_dir), micro_batch=2, out=out, batch_size=2), say=lambda s: None
    )
    return summary


@pytest.fixture
def run_copy(tmp_path, base_run) -> Path:
    dest = tmp_path / "run"
    shutil.copytree(base_run.out, dest)
    return dest
