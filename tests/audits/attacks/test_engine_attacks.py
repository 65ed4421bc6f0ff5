"""Attacks in the run engine on the toy world: tier-1 recovery brings back a concept UCE erased,
artifacts and images are deterministic and independent of batch size and ranks, a killed or
damaged run resumes to the same bytes, saved artifacts replay against a model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from audits.run import run_suite
from tests.audits.attacks.conftest import (
    QUIET,
    REPO,
    SUITE,
    attack_request,
    files,
    needs_toyworld,
    results,
)

pytestmark = needs_toyworld


def _rows(run, attack):
    data = json.loads((run / "results.json").read_text())
    return [r for r in data["metrics"] if (r.get("attack") or {}).get("name") == attack]


def test_tier1_recovery_brings_back_an_erased_concept(attack_run):
    rows = {(r["method"], r["concept"]): r for r in _rows(attack_run.out, "recover")}
    row = rows["uce", "red circle"]
    extra = row["extra"]
    print(
        f"\nUCE red circle, tier-1 embedding recovery: recognised {extra['raw_rate']:.2f}"
        f" (n={extra['raw_n']}) vs plain prompt {extra['plain_rate']:.2f} (n={extra['plain_n']});"
        f" base-gated success {row['value']} (n={row['n']}); base model on the same embeddings"
        f" {extra['base_rate']:.2f}, on the source prompts {extra['gate_rate']:.2f}"
    )
    assert extra["plain_n"] == extra["raw_n"] > 0
    assert extra["raw_rate"] >= extra["plain_rate"] + 0.5
    assert row["attack"] | {"params": None, "units": None} == {
        "name": "recover",
        "kind": "embedding_recovery",
        "version": "embedding_recovery/1",
        "tier": 1,
        "access": "text encoder and K/V weights (no UNet gradients)",
        "budget": None,
        "seed": None,
        "params": None,
        "units": None,
    }
    assert row["definition_version"] == "attack_success_rate/2"
    assert ("none", "red circle") not in rows  # the reference is not attacked, it is the base


def test_every_attack_row_has_its_base_rate_and_one_strongest_per_concept(attack_run):
    rows = _rows(attack_run.out, "recover") + _rows(attack_run.out, "adversarial-replay")
    assert {r["attack"]["tier"] for r in rows} == {0, 1}
    for r in rows:
        assert {"base_rate", "base_n", "gate_rate", "raw_rate", "plain_rate"} <= set(r["extra"])
        assert r["n"] + r["n_excluded"] == r["extra"]["base_n"]
    per_concept = [r for r in rows if r["concept"] == "red circle" and r["method"] == "uce"]
    assert sum(r["extra"]["strongest"] for r in per_concept) == 1
    every = json.loads((attack_run.out / "results.json").read_text())["metrics"]
    keys = ("metric", "method", "erase_set", "concept", "family", "group", "label")
    coords = [tuple(r[k] for k in keys) for r in every]
    assert len(coords) == len(set(coords)), "two values share one name and coordinates"
    # each attack's rows have their own metric name: never one name for two definitions
    assert {r["metric"] for r in rows} == {
        "attack_success_rate:recover",
        "attack_success_rate:adversarial-replay",
    }


def test_artifacts_are_saved_with_their_record(attack_run):
    records = sorted(attack_run.out.glob("attacks/recover/*/*.json"))
    assert len(records) == 1
    record = json.loads(records[0].read_text())
    assert record["output"] == "embeds" and record["concept"] == "red circle"
    assert (records[0].parent / record["embeds_file"]).is_file()
    replay_record = next(attack_run.out.glob("attacks/adversarial-replay/*/*.json"))
    replay = json.loads(replay_record.read_text())
    assert replay["output"] == "prompts" and replay["attack"]["tier"] == 0


def test_batch_size_and_resume_give_identical_bytes(tmp_path, attack_run, monkeypatch):
    monkeypatch.chdir(REPO)
    out = tmp_path / "b2"
    run_suite(attack_request(out, batch_size=2), say=QUIET)
    for pattern in ("attacks/*/*/*", "images/*/*.png"):
        assert files(out, pattern) == files(attack_run.out, pattern)
    assert results(out) == results(attack_run.out)
    # damage: an artifact record and one attack image gone; only they are recomputed
    next(out.glob("attacks/recover/*/*.json")).unlink()
    record = json.loads(next(out.glob("images/*/*.json")).read_text())
    victim = next(p for p in out.glob("images/*/*.json") if "attack" in json.loads(p.read_text()))
    victim.with_suffix(".png").write_bytes(b"torn")
    summary = run_suite(attack_request(out, batch_size=2), say=QUIET)
    assert summary.counts["attack_units"] == 1 and summary.counts["attack_images"] == 1
    assert summary.counts["edits"] == 0 and summary.counts["images"] == 0
    assert record  # untouched
    assert files(out, "attacks/*/*/*") == files(attack_run.out, "attacks/*/*/*")
    assert results(out) == results(attack_run.out)


def test_two_ranks_give_identical_bytes(tmp_path, attack_run):
    out = tmp_path / "ranks"
    args = ["run", str(SUITE), "--out", str(out), "--profile", "attacks", "--limit", "1"]
    args += ["--methods", "none,uce", "--micro-batch", "2", "--batch-size", "8"]
    launcher = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run(
        [*launcher, "--nproc_per_node", "2", "-m", "audits.cli", *args],
        env=env,
        cwd=REPO,
        capture_output=True,
    )
    assert proc.returncode == 0, proc.stderr.decode()[-800:]
    for pattern in ("attacks/*/*/*", "images/*/*.png"):
        assert files(out, pattern) == files(attack_run.out, pattern)
    assert results(out) == results(attack_run.out)


def test_saved_artifacts_and_csv_prompts_replay(tmp_path, attack_run, monkeypatch):
    """A copy of the suite whose attacks replay the first run's embeddings and a CSV."""
    monkeypatch.chdir(REPO)
    suite = tmp_path / "suite"
    shutil.copytree(SUITE, suite)
    # files a suite replays live in its folder (or the working directory), never elsewhere
    shutil.copytree(next(attack_run.out.glob("attacks/recover/*")), suite / "recovered")
    (suite / "published.csv").write_text("text,target\na red  circle,red circle\n")
    yaml = (suite / "suite.yaml").read_text()
    yaml = yaml.replace(
        "  recover:\n",
        "  saved:\n    kind: prompt_replay\n    params: {artifacts: recovered}\n"
        "  published:\n    kind: prompt_replay\n"
        "    params: {csv: published.csv, prompt_column: text, concept_column: target}\n"
        "  recover:\n",
    ).replace(
        "attacks: [adversarial-replay, recover, ring-a-bell, unlearndiffatk]",
        "attacks: [saved, published]",
    )
    (suite / "suite.yaml").write_text(yaml)
    out = tmp_path / "replay"
    run_suite(attack_request(out, suite=suite), say=QUIET)
    saved = {r["concept"]: r for r in _rows(out, "saved") if r["method"] == "uce"}
    first = {r["concept"]: r for r in _rows(attack_run.out, "recover") if r["method"] == "uce"}
    # same embeddings on the same edit: the same images, so the same rate
    assert saved["red circle"]["extra"]["raw_rate"] == first["red circle"]["extra"]["raw_rate"]
    ids = {p.name for p in out.glob("images/*/*.png")}
    assert {p.name for p in attack_run.out.glob("images/*/*.png")} & ids
    published = _rows(out, "published")
    assert published and published[0]["attack"]["kind"] == "prompt_replay"
    assert published[0]["extra"]["raw_n"] == 4  # one CSV row x the profile's 4 seeds
