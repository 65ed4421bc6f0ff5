"""`--stages weights` end to end on the tiny pipeline: rows, intervals, provenance, report."""

from __future__ import annotations

import json

import pytest

from audits.errors import AuditError


def _rows(run):
    return json.loads((run.out / "results.json").read_text())["metrics"]


def test_no_image_is_generated_and_every_row_is_weight_space(weights_run):
    out = weights_run.out
    assert weights_run.counts["images"] == 0 and not (out / "images").exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["identity"]["stages"] == "weights"
    rows = _rows(weights_run)
    assert rows and all(r["space"] == "weights" for r in rows)
    for r in rows:
        assert r["definition_version"].startswith(r["kind"])
        assert r["model"]["weights_sha256"]["unet"]
        assert set(r["prompt_sets"]) == set(r["probes"])
        assert r["evaluator"]["weights_space"] == "weights-space/1"


def test_expected_metrics_per_method(weights_run):
    rows = [r for r in _rows(weights_run) if r["concept"] is None]
    names = {(r["method"], r["erase_set"], r["metric"]) for r in rows}
    for method in ("scapre", "uce", "speed"):
        for es in ("all", "one"):
            for m in (
                "kv_shift@target",
                "kv_shift@adversarial",
                "kv_collateral@neighbor",
                "kv_collateral@general",
                "kv_recovery_residual@target",
                "kv_edit_share",
            ):
                assert (method, es, m) in names
    # a guide: ScaPre and UCE have one, SPEED has none
    assert ("uce", "all", "kv_toward_guide@target") in names
    assert ("scapre", "one", "kv_toward_guide@target") in names
    assert not any(m == "kv_toward_guide@target" and me == "speed" for me, _, m in names)


def test_values_intervals_and_the_unedited_reference(weights_run):
    rows = _rows(weights_run)
    agg = {(r["method"], r["erase_set"], r["metric"]): r for r in rows if r["concept"] is None}
    for es in ("all", "one"):
        assert agg[("none", es, "kv_shift@target")]["value"] == 0.0
        share = agg[("uce", es, "kv_edit_share")]
        assert share["value"] == 1.0 and share["ci_low"] is None
        shift = agg[("uce", es, "kv_shift@target")]
        assert shift["value"] > 0 and shift["ci_low"] <= shift["value"] <= shift["ci_high"]
        assert shift["ci"]["replicates"] == 1000
        assert shift["extra"]["by_kind"]["to_k"] > 0 and len(shift["extra"]["per_matrix"]) == 8
        res = agg[("uce", es, "kv_recovery_residual@target")]
        assert res["weights_attack"]["tier"] == 1
        assert res["weights_attack"]["params"]["regular_scale"] == 0.01
        assert res["value"] < res["extra"]["plain"]
    # 'one' erases cat only: its target rows read cat's prompts, and dog counts as kept
    one = [r for r in rows if r["erase_set"] == "one" and r["metric"] == "kv_shift@target"]
    assert {r["concept"] for r in one} == {None, "cat"}
    coll = agg[("uce", "one", "kv_collateral@neighbor")]
    assert coll["n"] == 4


def test_rerun_is_identical_and_report_says_it_is_no_image_audit(weights_run, weights_suite):
    from audits.run import RunRequest, run_suite

    before = (weights_run.out / "results.json").read_bytes()
    again = run_suite(
        RunRequest(suite=str(weights_suite), out=weights_run.out, stages="weights"),
        say=lambda s: None,
    )
    assert again.counts["edits"] == 0
    assert (weights_run.out / "results.json").read_bytes() == before
    html = (weights_run.out / "report" / "index.html").read_text()
    assert "does not replace the image audit" in html
    assert "weight space, erase set all" in html


def test_an_image_run_cannot_resume_a_weights_folder(weights_run, weights_suite, tmp_path):
    import shutil

    from audits.run import RunRequest, run_suite

    dest = tmp_path / "w"
    shutil.copytree(weights_run.out, dest)
    with pytest.raises(AuditError, match="cannot resume"):
        run_suite(RunRequest(suite=str(weights_suite), out=dest), say=lambda s: None)
    from audits.run.manifest import check_resume

    ident = json.loads((dest / "manifest.json").read_text())["identity"]
    image_ident = {k: v for k, v in ident.items() if k != "stages"}
    with pytest.raises(AuditError, match="stages"):
        check_resume(ident, image_ident, dest)


def test_bad_stages_is_refused(weights_suite, tmp_path):
    from audits.run import RunRequest, run_suite

    with pytest.raises(AuditError, match="--stages"):
        run_suite(RunRequest(suite=str(weights_suite), out=tmp_path / "x", stages="images"))


def test_status_says_no_images(weights_run):
    from audits.run import status

    lines = status(weights_run.out)
    assert any(line.startswith("weights ") and "no images" in line for line in lines)
    assert not any(line.startswith("generate") for line in lines)


def test_status_checks_a_weights_run_results_like_any_other(weights_run, tmp_path):
    import shutil

    from audits.run import status
    from runfmt.errors import RunFormatError

    dest = tmp_path / "w"
    shutil.copytree(weights_run.out, dest)
    n = len(_rows(weights_run))
    assert f"aggregate results.json with {n} value(s)" in status(dest)
    results = json.loads((dest / "results.json").read_text())
    results["metrics"][0]["value"] = "high"
    (dest / "results.json").write_text(json.dumps(results))
    with pytest.raises(RunFormatError, match="results.json"):
        status(dest)
    (dest / "results.json").unlink()
    assert "aggregate not yet" in status(dest)


def test_a_weights_run_goes_through_the_same_front_door(weights_run, weights_suite, tmp_path):
    """Locked like any run, checked before anything is created, its model's source recorded."""
    import fcntl
    import shutil

    from audits.run import RunRequest, run_suite
    from audits.run.lock import LOCK_NAME

    manifest = json.loads((weights_run.out / "manifest.json").read_text())
    assert "local folder" in manifest["provenance"]["model_source"]["resolved_how"]
    dest = tmp_path / "held"
    shutil.copytree(weights_run.out, dest)
    with open(dest / LOCK_NAME, "w") as held:  # another writer's lock (run_lock is re-entrant)
        fcntl.flock(held, fcntl.LOCK_EX)
        with pytest.raises(AuditError, match="in use by"):
            run_suite(RunRequest(suite=str(weights_suite), out=dest, stages="weights"))
    fresh = tmp_path / "fresh"
    with pytest.raises(AuditError, match="--steps, --size and --seeds"):
        run_suite(RunRequest(suite=str(weights_suite), out=fresh, stages="weights", steps=2))
    missing = RunRequest(
        suite=str(weights_suite), out=fresh, stages="weights", model=str(tmp_path / "nowhere")
    )
    with pytest.raises(AuditError, match="model .*nowhere: missing"):
        run_suite(missing)
    assert not fresh.exists()


def test_the_preflight_of_a_weights_run_counts_its_work(weights_run, weights_suite, capsys):
    """`plan --stages weights` (and `run --stages weights --dry-run`): the model and prompt sets,
    no sampler or evaluator, the run's edits and distinct prompts, no image."""
    from audits.cli import main
    from audits.run.plan import plan_from_json
    from runfmt.atomic import read_json

    def plan(*argv) -> tuple[int, str]:
        code = 0
        try:
            main(["plan", str(weights_suite), "--stages", "weights", *argv])
        except SystemExit as exc:
            code = exc.code or 0
        captured = capsys.readouterr()
        return code, captured.out + captured.err

    code, out = plan("--json")
    data = json.loads(out)
    assert code == 0 and data["ready"]
    assert {i["kind"] for i in data["items"]} == {"model"}
    done = plan_from_json(read_json(weights_run.out / "plan.json"))
    prompts = {c.prompt for p in done.probes.values() for c in p.cases}
    work = data["work"]
    assert work["stages"] == "weights" and work["images"] == 0
    assert work["edits"] == len(done.edits) - 1 and work["prompts"] == len(prompts)
    code, out = plan()
    assert code == 0 and "weight space only: no image" in out and "GPU-hour" not in out
    code, out = plan("--steps", "4")
    assert code == 2 and "--stages weights makes none" in out
