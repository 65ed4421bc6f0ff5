"""The real path end to end (slow): every bundled suite's every profile with random-weight
evaluator stand-ins where a download puts them and `--limit 1 --seeds 1 --steps 2 --size 64
--attack-budget 2` (benchmarks/real_path.py): exit 0, every declared metric and attack with a
value (or every row saying why not), a report. SD 1.x profiles run on an SD 1.5-shaped
random-weight model, `sdxl` on the tiny SDXL pipeline, the toy world on its own model.

One test per suite, so the matrix can be run in pieces (`-k nudity`): on 2 shared CPU cores an
SD suite takes 5-30 minutes (docs/performance.md). Set SCAPRE_SD15_DIR to a built model folder
(benchmarks/random_model.py) to skip its build, SCAPRE_SDXL_DIR to an SDXL-shaped one
(`--family sdxl`) to run artists100's `sdxl` profile on it rather than on the tiny SDXL pipeline,
and SCAPRE_STANDINS_ENV to the JSON environment of stand-ins already written
(`tests.standins.write_standins`) to skip writing them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

from real_path import SUITES  # noqa: E402


@pytest.mark.slow
@pytest.mark.parametrize("suite", SUITES)
def test_every_profile_of_the_suite_runs_on_stand_ins(tmp_path, suite):
    from audits.suites import load_suite

    out = tmp_path / "real-path.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "real_path.py"), "--work", str(tmp_path)]
    command += ["--out", str(out), "--suites", suite]
    if os.environ.get("SCAPRE_SD15_DIR"):
        command += ["--model", os.environ["SCAPRE_SD15_DIR"]]
    if os.environ.get("SCAPRE_SDXL_DIR"):
        command += ["--sdxl-model", os.environ["SCAPRE_SDXL_DIR"]]
    if os.environ.get("SCAPRE_STANDINS_ENV"):
        command += ["--standins-env", Path(os.environ["SCAPRE_STANDINS_ENV"]).read_text()]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    report = json.loads(out.read_text())
    failed = [r for r in report["runs"] if r["exit"] != 0 or r["problems"]]
    assert proc.returncode == 0 and not failed, failed or proc.stderr[-2000:]
    profiles = set(load_suite(suite, tokens=False).profiles)
    assert {r["profile"] for r in report["runs"]} == profiles
