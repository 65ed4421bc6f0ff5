"""`scapre-audit run` and `score` on tiny SDXL and SD 2.x pipelines: every eraser, and on SDXL the
tier-0/1/2 attacks (embedding recovery over both encoders' 2048-wide features, rendered with the
prompts' pooled embeddings), all through the unchanged engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.audits.run.conftest import write_suite

METHODS = "\n".join(f"  {m}: {{kind: {m}}}" for m in ("uce", "time", "rece", "speed", "mace-cfr"))
ATTACKS = """\
attacks:
  replay: {kind: prompt_replay, probes: [adversarial]}
  recover: {kind: embedding_recovery, probes: [target]}
  bell: {kind: ring_a_bell, probes: [target], params: {budget: 8, length: 2, population: 4}}
  udiff: {kind: unlearndiffatk, probes: [target], params: {budget: 2, length: 2}}
"""


def family_suite(folder: Path, model_dir: Path, clip_dir: Path, family: str, attacks: bool):
    write_suite(folder, model_dir, clip_dir)
    text = (folder / "suite.yaml").read_text()
    text = text.replace("family: sd-v1", f"family: {family}")
    text = text.replace("sampler: ddim", "sampler: euler" if family == "sdxl" else "sampler: ddim")
    text += METHODS + "\n"
    if attacks:
        text += ATTACKS
    (folder / "suite.yaml").write_text(text)
    return folder


@pytest.fixture(scope="module")
def sd2_dir(tmp_path_factory, tiny_sd2_pipe):
    path = tmp_path_factory.mktemp("tiny-sd2")
    tiny_sd2_pipe.save_pretrained(path)
    return path


def check_run(out: Path, methods: list[str]) -> dict:
    results = json.loads((out / "results.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    got = {row["method"] for row in results["metrics"]}
    assert set(methods) <= got, got
    assert (out / "report" / "index.html").is_file()
    return manifest


def test_full_run_and_score_on_tiny_sdxl(tmp_path, tiny_sdxl_dir, clip_dir):
    from audits.run import RunRequest, run_suite
    from audits.run.rescore import rescore

    suite = family_suite(tmp_path / "suite", tiny_sdxl_dir, clip_dir, "sdxl", attacks=True)
    out = tmp_path / "run"
    said: list[str] = []
    summary = run_suite(
        RunRequest(suite=str(suite), out=out, micro_batch=2, batch_size=4), say=said.append
    )
    methods = ["none", "scapre", "uce", "time", "rece", "speed", "mace-cfr"]
    manifest = check_run(out, methods)
    model = manifest["identity"]["model"]
    assert model["pipeline_class"] == "StableDiffusionXLPipeline"
    assert "text_encoder_2" in model["weights_sha256"]
    assert summary.counts["attack_units"] > 0 and summary.counts["attack_images"] > 0
    results = json.loads((out / "results.json").read_text())
    attacked = {r["attack"]["name"] for r in results["metrics"] if r.get("attack")}
    assert {"replay", "recover", "bell", "udiff"} <= attacked, attacked
    edit = next((out / "edits").glob("*/edit.json"))
    assert edit.is_file()
    assert not any("note:" in s for s in said)  # the suite's family is the model's
    rescore(out, force=True, say=lambda s: None)
    assert json.loads((out / "results.json").read_text())["metrics"]


def test_full_run_on_tiny_sd2(tmp_path, sd2_dir, clip_dir):
    from audits.run import RunRequest, run_suite

    suite = family_suite(tmp_path / "suite", sd2_dir, clip_dir, "sd-v2", attacks=False)
    out = tmp_path / "run"
    run_suite(
        RunRequest(suite=str(suite), out=out, micro_batch=2, batch_size=4, limit=1),
        say=lambda s: None,
    )
    check_run(out, ["none", "scapre", "uce", "time", "rece", "speed", "mace-cfr"])
