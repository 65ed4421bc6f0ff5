"""benchmarks/real_path.py's pass test of a finished run: exit 0 is not enough, every declared
metric needs a value and the report must exist."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "benchmarks"))

from real_path import check  # noqa: E402


def test_a_complete_run_passes_and_gaps_are_named(tmp_path, base_run, suite_dir):
    from audits.suites import load_suite

    profile = load_suite(str(suite_dir), tokens=False).profile(None).name
    # uq normalises over the methods in the table: undefined here, and each row says why
    marked: list[str] = []
    assert check(base_run.out, str(suite_dir), profile, marked) == []
    assert len(marked) == 1 and marked[0].startswith("metric uq: 2 row(s) without a value")
    uq = [r for r in json.loads((base_run.out / "results.json").read_text())["metrics"]]
    assert (
        uq and str(next(r for r in uq if r["metric"] == "uq")["extra"]["not_computed"]) in marked[0]
    )
    run = tmp_path / "run"
    shutil.copytree(base_run.out, run)
    results = json.loads((run / "results.json").read_text())
    for row in results["metrics"]:
        if row["metric"] == "image_drift":
            row["value"] = None
    (run / "results.json").write_text(json.dumps(results))
    shutil.rmtree(run / "report")
    problems = check(run, str(suite_dir), profile)
    assert any(p.startswith("metric image_drift:") for p in problems)
    assert "no report/index.html" in problems
    # a value-less metric passes only when every row says why (n = 0 and its exclusions)
    for row in results["metrics"]:
        if row["metric"] == "image_drift":
            row["n"], row["exclusions"] = 0, {"base model did not draw the concept": 1}
    (run / "results.json").write_text(json.dumps(results))
    marked: list[str] = []
    problems = check(run, str(suite_dir), profile, marked)
    assert not any(p.startswith("metric image_drift:") for p in problems)
    assert marked and marked[0].startswith("metric image_drift:")
    assert "base model did not draw the concept" in marked[0]
