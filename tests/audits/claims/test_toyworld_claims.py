"""`scapre-audit run suites/toyworld --profile claims` writes claims.json with every claim and a
verdict, and its numbers follow from results.json; `scapre-audit claims` rewrites the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from audits.cli import main

REPO = Path(__file__).resolve().parents[3]
WEIGHTS = REPO / "audits" / "toyworld" / "weights" / "pipeline" / "model_index.json"


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    if not WEIGHTS.is_file():
        pytest.skip("toy world weights missing")
    out = tmp_path_factory.mktemp("claims") / "run"
    import torch

    mp = pytest.MonkeyPatch()
    mp.chdir(REPO)  # the suite names its weights by repository paths
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny matrices: one thread is faster on a shared machine
    try:
        # two prompts per probe: the fewest that give bootstrap intervals
        argv = ["run", "suites/toyworld", "--profile", "claims", "--limit", "2"]
        main([*argv, "--out", str(out), "--batch-size", "8"])
    except SystemExit as exc:  # typer exits 0 on success
        assert exc.code in (0, None)
    finally:
        torch.set_num_threads(threads)
        mp.undo()
    return out


def _capacity(rows, method, spec):
    """A literal re-computation of the capacity definition from results.json rows."""

    def value(metric, m, size):
        [row] = [
            r for r in rows
            if (r["metric"], r["method"], r["erase_set"], r["concept"], r["family"])
            == (metric, m, f"ladder@{size}", None, None)
        ]  # fmt: skip
        return row["value"]

    capacity = 0
    for size in (1, 2, 4, 8):
        ok = value("forget_acc", method, size) <= spec["forget_max"]
        drop = value("neighbor_acc", "none", size) - value("neighbor_acc", method, size)
        ok = ok and drop <= 0.15 and value("image_drift", method, size) <= 0.15
        if not ok:
            return capacity, size
        capacity = size
    return capacity, None


def test_claims_json_has_every_claim_with_the_right_numbers(toy_run, capsys):
    doc = json.loads((toy_run / "claims.json").read_text())
    results = json.loads((toy_run / "results.json").read_text())
    assert doc["schema"] == "scapre-audit/claims/1"
    claims = {c["id"]: c for c in doc["claims"]}
    assert list(claims) == ["capacity", "capacity-ratio", "edit-time", "reproduce"]
    assert all(
        c["verdict"] in ("supported", "not supported", "not checkable") for c in claims.values()
    )
    spec = results["suite"]["claims"]["capacity"]
    assert results["reported"] == [] and results["reported_sha256"] is None
    rows = results["metrics"]
    ours, our_fail = _capacity(rows, "scapre", spec)
    theirs, _ = _capacity(rows, "uce", spec)
    got = claims["capacity"]["details"]["capacity"]
    assert (got["capacity"], got["failed_at"]) == (ours, our_fail)
    assert claims["capacity"]["verdict"] == ("supported" if ours >= 8 else "not supported")
    ratio = claims["capacity-ratio"]["details"]
    assert ratio["baseline_capacities"] == {"uce": theirs}
    if ours and theirs:
        assert ratio["ratio"] == pytest.approx(ours / theirs)
    # no 50-concept edit, and a CPU: not checkable, with the largest edit's time shown
    edit = claims["edit-time"]
    assert edit["verdict"] == "not checkable" and "largest: 8 concept(s)" in edit["measurement"]
    timed = {t["edit_id"]: t["seconds"] for t in edit["details"]["edits"]}
    for edit_id, seconds in timed.items():
        record = json.loads((toy_run / "edits" / edit_id / "edit.json").read_text())
        assert record["method"] == "scapre" and seconds == record["timings_s"]["wall_s"]
    assert len(timed) == 4
    assert claims["reproduce"]["verdict"] == "not checkable"
    # the command rewrites the same bytes and prints the verdicts
    before = (toy_run / "claims.json").read_bytes()
    with pytest.raises(SystemExit) as exc:
        main(["claims", str(toy_run)])
    assert exc.value.code in (0, None)
    out = capsys.readouterr().out
    assert "[NOT CHECKABLE] edit-time" in out and "capacity-ratio" in out
    assert (toy_run / "claims.json").read_bytes() == before


def test_claims_of_a_non_run_dir_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["claims", str(tmp_path)])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a scapre-audit run directory" in err
    assert not (tmp_path / "claims.json").exists()


def test_reported_values_flow_into_results_and_claims(toy_run, tmp_path):
    """A reported.yaml beside a copy of the suite: aggregate copies the profile's values into
    results.json (`reported`, `reported_sha256`) and the reproduction claims compare them."""
    import shutil

    from audits.claims import write_claims
    from audits.run.aggregate_stage import aggregate
    from audits.run.provenance import results_header
    from audits.run.rescore import open_run
    from audits.run.selection import selected
    from audits.suites import load_suite

    suite_dir = tmp_path / "toyworld"
    shutil.copytree(REPO / "suites" / "toyworld", suite_dir)
    head = "  reproduce: {erase_set: ladder@8, headline: {metric: forget_acc, method: scapre}}\n"
    yaml = suite_dir / "suite.yaml"
    yaml.write_text(yaml.read_text() + head)
    run_dir = tmp_path / "run"
    shutil.copytree(toy_run, run_dir)
    measured = {
        r["method"]: r
        for r in json.loads((toy_run / "results.json").read_text())["metrics"]
        if r["metric"] == "forget_acc" and r["erase_set"] == "ladder@8" and r["concept"] is None
    }
    inside = round(100 * measured["scapre"]["value"], 1)
    outside = min(100.0, round(100 * measured["uce"]["ci_high"] + 5, 1))
    (suite_dir / "reported.yaml").write_text(
        "schema: scapre-audit/reported/1\n"
        "tables:\n"
        "  - {table: Table T, profile: claims, source: a test, methods: [scapre, uce, ESD],\n"
        "     rows: [{metric: forget_acc, unit: percent,\n"
        f"             values: [{inside}, {outside}, 38.7]}}]}}\n"
        "  - {table: Table U, profile: clean, source: other, methods: [scapre],\n"
        "     rows: [{metric: forget_acc, unit: percent, values: [1.0]}]}\n"
    )
    suite = load_suite(suite_dir, tokens=False)
    run, _, plan = open_run(run_dir)
    _, metrics, skipped = selected(suite, "claims", False)
    results = aggregate(run, plan, suite, metrics, results_header(run, suite), skipped)
    assert [(e["table"], e["method"], e["value"]) for e in results["reported"]] == [
        ("Table T", "scapre", inside),
        ("Table T", "uce", outside),
        ("Table T", "ESD", 38.7),
    ]
    assert len(results["reported_sha256"]) == 64
    assert results["suite"]["claims"]["reproduce"]["erase_set"] == "ladder@8"
    claims = {c["id"]: c for c in write_claims(run_dir)["claims"]}
    table = claims["reproduce-table-t"]
    assert table["verdict"] == "not supported"  # uce's reported value lies outside
    comps = {c["method"]: c for c in table["details"]["comparisons"]}
    assert comps["scapre"]["measured"] == pytest.approx(100 * measured["scapre"]["value"])
    assert comps["scapre"]["difference"] == pytest.approx(comps["scapre"]["measured"] - inside)
    assert comps["uce"]["inside"] is False
    assert table["details"]["unmatched"][0]["method"] == "ESD"
    assert claims["headline"]["verdict"] == (
        "supported" if comps["scapre"]["inside"] else "not supported"
    )
