"""End to end on the tiny pipeline: a complete run, its layout and its results."""

from __future__ import annotations

import json


def test_complete_run_writes_every_stage(base_run):
    out = base_run.out
    assert base_run.counts["edits"] == 2
    assert base_run.counts["images"] == 16
    results = json.loads((out / "results.json").read_text())
    metrics = {r["metric"] for r in results["metrics"]}
    assert metrics == {
        "forget_acc",
        "neighbor_acc",
        "harmonic_acc",
        "attack_success_rate",
        "clip_score",
        "fid_vs_base",
        "image_drift",
    }
    for row in results["metrics"]:
        for key in ("metric", "method", "probe", "concept", "value", "n", "ci_low", "ci_high"):
            assert key in row
        assert isinstance(row["higher_is_better"], bool)
    assert results["safety_checker"] is False
