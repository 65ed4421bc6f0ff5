"""Reliability: batch-size independence, kill-and-resume, corrupted files, re-scoring without
generating, refusal to resume into a changed suite."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from audits.errors import AuditError
from audits.run import RunRequest, rescore, run_suite

QUIET = lambda s: None  # noqa: E731


def _results(run: Path) -> bytes:
    """results.json without the `git` block: other people edit this checkout while the tests run,
    so two runs made minutes apart may honestly record a different dirty flag."""
    data = json.loads((run / "results.json").read_text())
    data.pop("git")
    return json.dumps(data, sort_keys=True).encode()


def _pngs(run: Path) -> dict[str, bytes]:
    return {str(p.relative_to(run)): p.read_bytes() for p in sorted(run.glob("images/*/*.png"))}


@pytest.fixture(scope="module")
def none_run(tmp_path_factory, suite_dir):
    """The reference method alone, 3 image groups of 2 per pipeline call (the base run: 1)."""
    out = tmp_path_factory.mktemp("none") / "run"
    return run_suite(
        RunRequest(suite=str(suite_dir), micro_batch=2, out=out, batch_size=6, methods=["none"]),
        say=QUIET,
    )


def test_images_do_not_depend_on_batch_size(none_run, base_run):
    assert none_run.counts["images"] == 8
    mine = _pngs(none_run.out)
    base = _pngs(base_run.out)
    assert mine and all(base[k] == v for k, v in mine.items())


KILL = """
import os, signal, sys
import importlib
module_name, name, suffix, count = sys.argv[1:5]
module = importlib.import_module(module_name)
plain = getattr(module, name)
done = []
def write_then_die(path, data):
    plain(path, data)
    if path.name.endswith(suffix):
        done.append(path)
        if len(done) == int(count):
            os.kill(os.getpid(), signal.SIGKILL)
setattr(module, name, write_then_die)
from audits.cli import main
main(sys.argv[5:])
"""


def _run_and_kill(out: Path, suite_dir: Path, where: tuple[str, str, str, str]) -> None:
    """Run the CLI in a subprocess that SIGKILLs itself right after the n-th matching write."""
    args = ["run", str(suite_dir), "--out", str(out), "--methods", "none", "--micro-batch", "2"]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, "-c", KILL, *where, *args], env=env, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-500:]


def test_killed_run_resumes_to_identical_results(tmp_path, suite_dir, none_run):
    out = tmp_path / "killed"
    # killed right after the 4th PNG: on disk without its record, the worst moment
    _run_and_kill(out, suite_dir, ("audits.run.render", "write_bytes", ".png", "4"))
    assert len(list(out.glob("images/*/*.png"))) == 4
    assert len(list(out.glob("images/*/*.json"))) == 3
    assert not (out / "results.json").exists()
    request = RunRequest(
        suite=str(suite_dir), micro_batch=2, out=out, batch_size=2, methods=["none"]
    )
    summary = run_suite(request, say=QUIET)
    assert summary.counts["images"] == 8 - 3  # nothing complete was written again
    assert _results(out) == _results(none_run.out)
    assert _pngs(out) == _pngs(none_run.out)
    assert not list(out.rglob("*.tmp"))


def test_run_killed_while_scoring_resumes_to_identical_results(tmp_path, suite_dir, none_run):
    out = tmp_path / "killed-scoring"
    _run_and_kill(out, suite_dir, ("audits.run.score_stage", "write_json", ".json", "2"))
    assert len(list(out.glob("scores/*/*/*.json"))) == 2
    request = RunRequest(suite=str(suite_dir), micro_batch=2, out=out, methods=["none"])
    summary = run_suite(request, say=QUIET)
    assert summary.counts["images"] == 0 and summary.counts["scores"] == 7 - 2
    assert _results(out) == _results(none_run.out)


def test_corrupted_image_is_redone_not_scored(run_copy, suite_dir, base_run):
    victim = sorted(run_copy.glob("images/*/*.png"))[0]
    victim.write_bytes(victim.read_bytes()[:40])  # truncated
    with pytest.raises(AuditError, match="missing or corrupted"):
        rescore(run_copy, say=QUIET)
    summary = run_suite(RunRequest(suite=str(suite_dir), micro_batch=2, out=run_copy), say=QUIET)
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
    from audits.run.lock import LOCK_NAME

    def files():  # the lock file records its last holder; it is not part of the run
        return {
            p: p.read_bytes() for p in run_copy.rglob("*") if p.is_file() and p.name != LOCK_NAME
        }

    before = files()
    with pytest.raises(AuditError, match=r"cannot resume .*suite_hash"):
        run_suite(RunRequest(suite=str(changed), micro_batch=2, out=run_copy), say=QUIET)
    with pytest.raises(AuditError, match=r"cannot resume .*limit"):
        run_suite(RunRequest(suite=str(suite_dir), micro_batch=2, out=run_copy, limit=1), say=QUIET)
    assert files() == before


def test_disk_error_names_the_unit_and_leaves_the_run_resumable(
    tmp_path, suite_dir, none_run, monkeypatch
):
    import errno

    from audits.run import render

    plain = render.write_bytes
    written = []

    def full_disk(path, data):
        if path.suffix == ".png" and len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        written.append(path)
        plain(path, data)

    monkeypatch.setattr(render, "write_bytes", full_disk)
    out = tmp_path / "full"
    request = RunRequest(suite=str(suite_dir), micro_batch=2, out=out, methods=["none"])
    with pytest.raises(AuditError, match=r"cannot write images/[0-9a-f]{16}/[0-9a-f]{16}: .*space"):
        run_suite(request, say=QUIET)
    monkeypatch.setattr(render, "write_bytes", plain)
    assert run_suite(request, say=QUIET).counts["images"] == 6
    assert _results(out) == _results(none_run.out)


def test_image_groups_make_calls_of_any_size_identical():
    import hashlib

    from audits.models.sampling import set_scheduler
    from audits.models.tiny import tiny_pipeline
    from audits.run.render import generate_batch, render_png

    pipe = tiny_pipeline()
    pipe.set_progress_bar_config(disable=True)
    set_scheduler(pipe, "ddim")
    sampling = {"negative_prompt": "", "steps": 2, "guidance_scale": 7.5, "height": 32, "width": 32}
    prompts, seeds = ["a cat", "a dog", "a fox", "a red square", "tench"], [0, 1, 2, 3, 4]

    def digests(images):
        return [hashlib.sha256(render_png(i)).hexdigest() for i in images]

    together = digests(generate_batch(pipe, prompts, seeds, sampling, [2, 2, 1]))
    apart = []
    for a, b in ((0, 2), (2, 4), (4, 5)):
        apart += digests(generate_batch(pipe, prompts[a:b], seeds[a:b], sampling, [b - a]))
    assert together == apart


def test_eraser_error_names_the_unit(tmp_path, suite_dir, monkeypatch):
    from audits.erasers.scapre import ScaPreEraser

    def broken(self, pipe, concepts, **kw):
        raise RuntimeError("solver diverged")

    monkeypatch.setattr(ScaPreEraser, "erase", broken)
    out = tmp_path / "broken"
    request = RunRequest(suite=str(suite_dir), micro_batch=2, out=out, limit=1)
    with pytest.raises(
        AuditError, match=r"erase unit scapre/[0-9a-f]{16} \(2 concept\(s\)\) failed"
    ):
        run_suite(request, say=QUIET)
    assert (out / "manifest.json").is_file()  # resumable: same command continues
    assert not list(out.glob("edits/*/edit.json"))[1:]  # only the reference edit completed


def test_image_cache_is_shared_between_runs(tmp_path, suite_dir, none_run):
    cache = tmp_path / "cache"
    first = RunRequest(
        suite=str(suite_dir), micro_batch=2, out=tmp_path / "a", methods=["none"], cache=cache
    )
    assert run_suite(first, say=QUIET).counts["images"] == 8
    assert len(list(cache.glob("images/*/*.png"))) == 8
    second = RunRequest(
        suite=str(suite_dir), micro_batch=2, out=tmp_path / "b", methods=["none"], cache=cache
    )
    assert run_suite(second, say=QUIET).counts["images"] == 0  # every image came from the cache
    assert _pngs(tmp_path / "b") == _pngs(none_run.out)
    assert _results(tmp_path / "b") == _results(none_run.out)


def test_two_processes_share_the_work_and_give_identical_results(tmp_path, suite_dir, none_run):
    out = tmp_path / "ranks"
    args = ["run", str(suite_dir), "--out", str(out), "--methods", "none", "--micro-batch", "2"]
    launcher = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([*launcher, "-m", "audits.cli", *args], env=env, capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()[-800:]
    per_rank = [line for line in proc.stdout.decode().splitlines() if line.startswith(str(out))]
    assert len(per_rank) == 2 and all("4 image(s)" in line for line in per_rank)
    assert _pngs(out) == _pngs(none_run.out)
    assert _results(out) == _results(none_run.out)
