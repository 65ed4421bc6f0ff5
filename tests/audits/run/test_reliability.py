"""Reliability: batch-size independence, kill-and-resume, corrupted files, re-scoring without
generating, refusal to resume into a changed suite."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from audits.errors import AuditError
from audits.run import RunRequest, rescore, run_suite

QUIET = lambda s: None  # noqa: E731


def _pngs(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.glob("images/*/*.png"))}


def test_images_do_not_depend_on_batch_size(tmp_path, suite_dir, base_run):
    out = tmp_path / "b3"
    summary = run_suite(
        RunRequest(suite=str(suite_dir), out=out, batch_size=3, methods=["none"]), say=QUIET
    )
    assert summary.counts["images"] == 8
    mine = _pngs(out)
    base = _pngs(base_run.out)
    assert mine and all(base[k] == v for k, v in mine.items())


def test_killed_run_resumes_to_identical_results(tmp_path, suite_dir, base_run):
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "audits.cli", "run", str(suite_dir), "--out", str(out)]
    proc = subprocess.Popen(
        [*cmd, "--batch-size", "1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    deadline = time.time() + 120
    try:
        while time.time() < deadline and len(list(out.glob("images/*/*.json"))) < 3:
            if proc.poll() is not None:
                break
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    before = len(list(out.glob("images/*/*.json")))
    assert 3 <= before < 16, "the run was not killed mid-generation"
    summary = run_suite(RunRequest(suite=str(suite_dir), out=out, batch_size=2), say=QUIET)
    assert summary.counts["images"] == 16 - before  # nothing complete was made again
    assert (out / "results.json").read_bytes() == (base_run.out / "results.json").read_bytes()
    assert _pngs(out) == _pngs(base_run.out)
    assert not list(out.rglob("*.tmp"))


def test_corrupted_image_is_redone_not_scored(run_copy, suite_dir, base_run):
    victim = sorted(run_copy.glob("images/*/*.png"))[0]
    victim.write_bytes(victim.read_bytes()[:40])  # truncated
    with pytest.raises(AuditError, match="missing or corrupted"):
        rescore(run_copy, say=QUIET)
    summary = run_suite(RunRequest(suite=str(suite_dir), out=run_copy), say=QUIET)
    assert summary.counts["images"] == 1
    assert _pngs(run_copy) == _pngs(base_run.out)
    assert (run_copy / "results.json").read_bytes() == (base_run.out / "results.json").read_bytes()


def test_rescore_recomputes_scores_without_generating(run_copy, base_run):
    stamps = {p: p.stat().st_mtime_ns for p in run_copy.glob("images/*/*")}
    shutil.rmtree(run_copy / "scores")
    (run_copy / "results.json").unlink()
    counts = rescore(run_copy, say=QUIET)
    # 2 edits x (clip: 3 probes, clip_score: 1, fid: 2, drift: 1)
    assert counts["scores"] == 2 * 7
    assert {p: p.stat().st_mtime_ns for p in run_copy.glob("images/*/*")} == stamps
    assert (run_copy / "results.json").read_bytes() == (base_run.out / "results.json").read_bytes()
    assert rescore(run_copy, say=QUIET)["scores"] == 0  # up to date: nothing redone


def test_changed_suite_is_refused_and_nothing_is_touched(tmp_path, suite_dir, run_copy):
    changed = tmp_path / "changed"
    shutil.copytree(suite_dir, changed)
    yaml = changed / "suite.yaml"
    yaml.write_text(yaml.read_text().replace("steps: 2", "steps: 3"))
    before = {p: p.read_bytes() for p in run_copy.rglob("*") if p.is_file()}
    with pytest.raises(AuditError, match=r"cannot resume .*suite_hash"):
        run_suite(RunRequest(suite=str(changed), out=run_copy), say=QUIET)
    with pytest.raises(AuditError, match=r"cannot resume .*limit"):
        run_suite(RunRequest(suite=str(suite_dir), out=run_copy, limit=1), say=QUIET)
    assert {p: p.read_bytes() for p in run_copy.rglob("*") if p.is_file()} == before
