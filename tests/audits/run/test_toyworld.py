"""The engine on the toy world's bundled suite (profile `ci`, one case per probe), once its
trained weights are in the repository; skipped until then."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
SUITE = REPO / "suites" / "toyworld"
WEIGHTS = REPO / "audits" / "toyworld" / "weights"


def run_toyworld(suite: Path, out: Path) -> dict:
    from audits.run import RunRequest, run_suite

    request = RunRequest(suite=str(suite), out=out, profile="ci", limit=1, batch_size=8)
    summary = run_suite(request, say=lambda s: None)
    assert summary.counts["images"] == 2 * 8  # (none, scapre) x 2 probes x 1 case x 4 seeds
    return json.loads((out / "results.json").read_text())


@pytest.mark.skipif(
    not (SUITE / "suite.yaml").is_file()
    or not (WEIGHTS / "pipeline" / "model_index.json").is_file(),
    reason="toy world suite or weights not in this checkout yet",
)
def test_toyworld_ci_profile(tmp_path, monkeypatch):
    """`scapre-audit run toyworld` from a folder outside the repository: the suite's model and
    evaluator paths are found from the project root (audits.suites.paths), not the cwd."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    results = run_toyworld(Path("toyworld"), tmp_path / "run")
    assert results["model"]["id"] == "audits/toyworld/weights/pipeline"  # as the suite names it
    rows = {(r["metric"], r["method"]): r for r in results["metrics"] if r["concept"] is None}
    assert set(rows) == {
        (m, k) for m in ("forget_acc", "neighbor_acc", "harmonic_acc") for k in ("none", "scapre")
    }
    assert rows["forget_acc", "none"]["n"] == 4
    assert all(0.0 <= r["value"] <= 1.0 for r in rows.values() if r["value"] is not None)
    assert results["evaluators"]["classifier"]["kind"] == "toyworld_classifier"
    # the unedited model draws red circle, and the exact classifier says so
    assert rows["forget_acc", "none"]["value"] >= 0.5


@pytest.mark.skipif(
    not (WEIGHTS / "pipeline" / "model_index.json").is_file(), reason="toy world weights missing"
)
def test_toyworld_images_do_not_depend_on_batch_size(tmp_path, monkeypatch):
    from audits.run import RunRequest, run_suite

    monkeypatch.chdir(tmp_path)  # any working directory
    pngs = []
    for batch in (2, 8):
        out = tmp_path / f"b{batch}"
        request = RunRequest(
            suite=str(SUITE),
            out=out,
            profile="ci",
            limit=1,
            methods=["none"],
            batch_size=batch,
            micro_batch=2,
        )
        run_suite(request, say=lambda s: None)
        pngs.append({p.name: p.read_bytes() for p in out.glob("images/*/*.png")})
    assert len(pngs[0]) == 8 and pngs[0] == pngs[1]


@pytest.mark.skipif(
    not (WEIGHTS / "pipeline" / "model_index.json").is_file(), reason="toy world weights missing"
)
def test_toyworld_demo_profile_end_to_end(tmp_path, monkeypatch):
    """The README's demo (one case per probe): three methods on ladder@2, the recovery attack,
    a capacity claim with a verdict, images only for erased targets, findings in words."""
    from audits.commands.run import findings
    from audits.run import RunRequest, run_suite

    monkeypatch.chdir(REPO)
    out = tmp_path / "demo"
    request = RunRequest(suite=str(SUITE), out=out, profile="demo", limit=1, batch_size=8)
    run_suite(request, say=lambda s: None)
    plan = json.loads((out / "plan.json").read_text())
    assert {g["erase_set"] for g in plan["groups"]} == {"ladder@2"}
    assert plan["image_concepts"]["target"] == ["red circle", "red cross"]
    results = json.loads((out / "results.json").read_text())
    assert {r["attack"]["name"] for r in results["metrics"] if r.get("attack")} == {"recover"}
    assert set(results["definitions"]) >= {"forget_acc", "neighbor_acc", "attack:*"}
    claims = json.loads((out / "claims.json").read_text())["claims"]
    capacity = next(c for c in claims if c["id"] == "capacity")
    assert capacity["verdict"] in ("supported", "not supported")
    lines = findings(out)
    assert lines[0] == "What this audit found:"
    assert [line.split(" on ")[0] for line in lines[1:4]] == [
        "- scapre",
        "- scapre-preserve",
        "- uce",
    ]
    assert (out / "report" / "index.html").read_text().count('class="point"') == 3
