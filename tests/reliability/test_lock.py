"""Item 4: one exclusive lock per run folder. A second writer gets one line naming the holder;
two concurrent runs with different identities never mix their files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from audits.run.lock import run_lock
from tests.reliability.conftest import REPO, RUN_ARGS, Result, cli, refused


def test_a_held_folder_is_refused_naming_the_holder(tmp_path, rel_suite, small_run):
    out = tmp_path / "run"
    shutil.copytree(small_run, out)
    with run_lock(out):
        refused(cli("run", rel_suite, *RUN_ARGS, "--out", out), "in use by", f"pid {os.getpid()}")
        refused(cli("score", out), "in use by", f"pid {os.getpid()}")
        refused(cli("claims", out), "in use by")
    assert cli("claims", out).rc == 0  # released with the holder


def _start(out, suite, limit: str):
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    args = ["run", str(suite), "--methods", "none", "--micro-batch", "2", "--limit", limit]
    return subprocess.Popen(
        [sys.executable, "-m", "audits.cli", *args, "--out", str(out)],
        env=env,
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_concurrent_runs_with_different_identities_do_not_mix(tmp_path, rel_suite):
    out = tmp_path / "shared"
    procs = [_start(out, rel_suite, "2"), _start(out, rel_suite, "1")]
    results = []
    for proc in procs:
        stdout, stderr = proc.communicate(timeout=600)
        results.append(Result(proc.returncode, stdout.decode(), stderr.decode()))
    assert sorted(r.rc for r in results) == [0, 2], [r.err[-1500:] for r in results]
    loser = next(r for r in results if r.rc == 2)
    line = refused(loser)
    assert "in use by" in line or "cannot resume" in line
    manifest = json.loads((out / "manifest.json").read_text())
    plan = json.loads((out / "plan.json").read_text())
    limit = manifest["identity"]["limit"]
    assert all(len(p["cases"]) <= limit for p in plan["probes"].values())
    assert any(len(p["cases"]) == limit for p in plan["probes"].values())
    # and the folder is one consistent run: the other command is still refused
    again = _start(out, rel_suite, "1" if limit == 2 else "2")
    stdout, stderr = again.communicate(timeout=600)
    refused(Result(again.returncode, stdout.decode(), stderr.decode()), "cannot resume", "limit")
