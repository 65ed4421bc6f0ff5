"""The real path end to end (slow; about an hour on 2 cores): an SD 1.5-shaped random-weight model
and random-weight evaluator stand-ins where a download puts them, then every bundled SD suite's
every profile with `--limit 1 --steps 2 --size 64` (benchmarks/real_path.py): exit 0, every
declared metric and attack non-null, a report. Set SCAPRE_SD15_DIR to a built model folder
(benchmarks/sd15_random.py) to skip the 70 s, 8.5 GB build."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_every_suite_and_profile_runs_on_an_sd15_shaped_model(tmp_path):
    out = tmp_path / "real-path.json"
    command = [sys.executable, str(ROOT / "benchmarks" / "real_path.py"), "--work", str(tmp_path)]
    command += ["--out", str(out)]
    if os.environ.get("SCAPRE_SD15_DIR"):
        command += ["--model", os.environ["SCAPRE_SD15_DIR"]]
    proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    report = json.loads(out.read_text())
    failed = [r for r in report["runs"] if r["exit"] != 0 or r["problems"]]
    assert proc.returncode == 0 and not failed, failed or proc.stderr[-2000:]
    assert report["total"] >= 18  # 7 suites, 2-3 SD 1.x profiles each
