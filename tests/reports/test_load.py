"""Loading a run directory for the report: complete runs load, broken ones fail with one line
(tests/runfmt/ checks every file and field, and that the report never imports torch)."""

from __future__ import annotations

from pathlib import Path

import pytest

from audits.errors import AuditError
from runfmt import read_run
from tests.reports.conftest import read, write


def test_loads_the_saved_run(mini_run: Path):
    run = read_run(mini_run)
    assert run.reference == "none"
    assert run.suite["name"] == "toyworld"
    assert {e["method"] for e in run.plan["edits"]} == {"none", "scapre", "uce"}
    assert len(run.edits) == len(run.plan["edits"])
    none_edit = next(e["edit_id"] for e in run.plan["edits"] if e["method"] == "none")
    case = run.plan["probes"]["target"]["cases"][0]
    image_id = run.image_id(none_edit, case["prompt"], case["seeds"][0])
    assert image_id and run.image_path(none_edit, image_id).is_file()


@pytest.mark.parametrize(
    "damage",
    ["missing-dir", "no-results", "garbled-results", "wrong-schema", "no-plan", "bad-metric"],
)
def test_broken_runs_fail_with_one_line(mini_run: Path, damage: str):
    target = mini_run
    if damage == "missing-dir":
        target = mini_run / "nope"
    elif damage == "no-results":
        (mini_run / "results.json").unlink()
    elif damage == "garbled-results":
        (mini_run / "results.json").write_text("{not json")
    elif damage == "wrong-schema":
        write(mini_run / "results.json", {**read(mini_run / "results.json"), "schema": "x/9"})
    elif damage == "no-plan":
        (mini_run / "plan.json").unlink()
    elif damage == "bad-metric":
        results = read(mini_run / "results.json")
        del results["metrics"][0]["value"]
        write(mini_run / "results.json", results)
    with pytest.raises(AuditError) as err:
        read_run(target)
    assert "\n" not in str(err.value)


def test_image_records_cannot_point_outside_the_run(mini_run: Path):
    """A record whose image id is a path (../../etc/passwd) is ignored, never read or copied."""
    run_plan = read(mini_run / "plan.json")
    edit_id = run_plan["edits"][0]["edit_id"]
    folder = mini_run / "images" / edit_id
    record_path = sorted(folder.glob("*.json"))[0]
    record = read(record_path)
    record["image_id"] = "../../../../etc/passwd"
    write(record_path, record)
    run = read_run(mini_run)
    assert run.image_id(edit_id, record["prompt"], record["seed"]) is None
    assert run.image_path(edit_id, "../../../../etc/passwd") is None
    assert run.image_path("../..", record_path.stem) is None
