"""A small suite on the tiny SD pipeline for the weight-space audit (no scorer is ever built)."""

from __future__ import annotations

from pathlib import Path

import pytest

SUITE_YAML = """\
schema: 1
name: tinyweights
version: 0.1.0
model: {{family: sd-v1, id: "{model}", revision: main}}
generation: {{sampler: ddim, steps: 2, guidance_scale: 7.5, height: 32, width: 32, seeds: [0, 1]}}
concepts: {{table: concepts.csv}}
erase_sets:
  all: {{}}
  one: {{concepts: [cat]}}
probes:
  target: {{kind: concept_prompts, purpose: target, concepts: target,
           templates: ["a photo of a {{concept}}", "a {{concept}}"]}}
  neighbor: {{kind: concept_prompts, purpose: neighbor, concepts: retain,
             templates: ["a photo of a {{concept}}", "a {{concept}}"]}}
  adversarial: {{kind: prompt_table, purpose: adversarial, table: adversarial.csv}}
  general: {{kind: prompt_table, purpose: quality, table: general.csv}}
scorers:
  drift: {{kind: image_distance, params: {{distance: pixel-rmse}}}}
metrics:
  image_drift: {{kind: image_drift, scorer: drift, probes: [general]}}
methods:
  none: {{kind: none}}
  scapre: {{kind: scapre}}
  uce: {{kind: uce}}
  speed: {{kind: speed}}
attacks:
  recover: {{kind: embedding_recovery, probes: [target], params: {{regular_scale: 0.01}}}}
"""


@pytest.fixture(scope="package", autouse=True)
def one_thread():
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def weights_suite(tmp_path_factory, tiny_pipe_dir) -> Path:
    folder = tmp_path_factory.mktemp("suite") / "tinyweights"
    folder.mkdir()
    (folder / "suite.yaml").write_text(SUITE_YAML.format(model=tiny_pipe_dir))
    (folder / "concepts.csv").write_text(
        "concept,role\ncat,target\ndog,target\nfox,retain\nowl,retain\n"
    )
    (folder / "adversarial.csv").write_text(
        "prompt,concept,family\na kitten,cat,paraphrase\na dgo,dog,misspelling\n"
        "a small cat,cat,paraphrase\n"
    )
    (folder / "general.csv").write_text("prompt\na house by a lake\na red car\n")
    (folder / "CARD.md").write_text("# tinyweights\nTest suite on random weights.\n")
    return folder


@pytest.fixture(scope="session")
def weights_run(tmp_path_factory, weights_suite):
    import torch

    from audits.run import RunRequest, run_suite

    torch.set_num_threads(1)  # the thread count is part of a run's identity (numerics)
    out = tmp_path_factory.mktemp("runs") / "weights"
    return run_suite(
        RunRequest(suite=str(weights_suite), out=out, stages="weights"), say=lambda s: None
    )
