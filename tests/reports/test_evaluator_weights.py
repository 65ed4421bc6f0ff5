"""The report marks evaluators whose weights are not the verified official ones, and declared
substitutions, on every page's banner and in the provenance table."""

from __future__ import annotations

from pathlib import Path

from reports.build import build_report
from reports.evaluators import weights_status, weights_warnings
from tests.reports.conftest import read, write

MISMATCH = {
    "kind": "clip_zeroshot",
    "weights_verified": False,
    "weights_file": {
        "file": "open_clip_model.safetensors",
        "status": "mismatch",
        "sha256": "ab" * 32,
        "pinned_sha256": "9ce2e8a8" + "0" * 56,
    },
}
SUBSTITUTED = {
    "kind": "fid",
    "weights_verified": True,
    "weights_file": {"file": "open_clip_model.safetensors", "status": "verified"},
    "substitution": {
        "declared": "inception-v3-pool3-2048",
        "used": "clip-vit-l-14",
        "reason": "the torch-fidelity package is not installed",
    },
}


def test_status_and_warnings():
    status = {
        e["evaluator"]: e
        for e in weights_status(
            {"clip": MISMATCH, "fid": SUBSTITUTED, "drift": {"kind": "image_distance"}, "old": {}}
        )
    }
    assert status["clip"]["status"] == "unverified"
    assert "mismatch (sha256 abababababab..., pinned 9ce2e8a80000...)" in status["clip"]["detail"]
    assert status["fid"]["status"] == "verified"
    assert status["drift"]["status"] == "no weights file"
    assert status["old"]["status"] == "not recorded"
    lines = weights_warnings({"clip": MISMATCH, "fid": SUBSTITUTED})
    assert any("'clip' ran on unverified weights" in line for line in lines)
    assert len(lines) == 1  # substitutions have their own marks and footnotes


def test_report_marks_unverified_weights(mini_run: Path, tmp_path: Path):
    results = read(mini_run / "results.json")
    name = next(iter(results["evaluators"]))
    results["evaluators"][name] = MISMATCH
    write(mini_run / "results.json", results)
    out = build_report([mini_run], out=tmp_path / "report")
    page = (out / "index.html").read_text()
    assert f"WARNING: evaluator &#39;{name}&#39; ran on unverified weights" in page
    assert f"evaluator weights: {name}" in page and "<strong>UNVERIFIED</strong>" in page
