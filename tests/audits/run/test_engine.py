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
        "overall",
        "uq",
    }
    for row in results["metrics"]:
        for key in ("metric", "method", "probe", "concept", "value", "n", "ci_low", "ci_high"):
            assert key in row
        assert isinstance(row["higher_is_better"], bool)
    assert results["safety_checker"] is False


def test_every_value_describes_itself(base_run):
    results = json.loads((base_run.out / "results.json").read_text())
    assert results["schema"] == "scapre-audit/results/1"
    assert results["prompt_sets"]["target"]["n_cases"] == 2
    for row in results["metrics"]:
        assert row["definition_version"].startswith(row["kind"])
        assert row["model"]["weights_sha256"]["unet"]
        assert row["generation"]["steps"] == 2 and row["generation"]["safety_checker"] is False
        assert set(row["prompt_sets"]) == set(row["probes"])
        assert row["n_excluded"] == sum(row["exclusions"].values())
        if row["value"] is not None and row["ci"]:
            assert row["ci_low"] <= row["value"] <= row["ci_high"]
    keys = ("metric", "method", "erase_set", "concept", "family", "group", "label")
    coords = [tuple(r[k] for k in keys) for r in results["metrics"]]
    assert len(coords) == len(set(coords)), "two values share one name and coordinates"
    overall = next(r for r in results["metrics"] if r["metric"] == "overall")
    assert overall["probes"] == ["target", "neighbor"] and overall["scorer"] is None
    uq = [r for r in results["metrics"] if r["metric"] == "uq"]
    assert [r["method"] for r in uq] == ["none", "scapre"]
    assert all(r["extra"]["table_methods"] == ["none", "scapre"] for r in uq)
    fid = next(r for r in results["metrics"] if r["metric"] == "fid_vs_base")
    assert "open_clip" in fid["evaluator"]["features"] and fid["ci"] is None
