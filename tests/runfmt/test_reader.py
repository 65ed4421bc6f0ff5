"""The typed run reader: a saved run reads into typed rows; every tampered or malformed file is
one RunFormatError line naming the file and the field; the package stays torch-free."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runfmt import AuditError, MetricRow, RunFormatError, is_run_dir, read_run
from runfmt.units import unit_of
from tests.reports.conftest import read, write

ROOT = Path(__file__).parents[2]


def test_reads_typed_rows(mini_run: Path):
    run = read_run(mini_run)
    assert run.metrics and all(isinstance(row, MetricRow) for row in run.metrics)
    row = run.metrics[0]
    saved = read(mini_run / "results.json")["metrics"][0]
    assert (row.metric, row.method, row.value, row.kind) == (
        saved["metric"],
        saved["method"],
        saved["value"],
        saved["kind"],
    )
    assert row.unit == unit_of(saved["kind"]) == "fraction"
    assert row["evaluator"] == saved["evaluator"] and dict(row) == saved  # the saved object
    assert {e.method for e in run.plan.edits} == {"none", "scapre", "uce"}
    assert all(g.erase_set for g in run.plan.groups)
    assert run.plan.probes["target"].cases[0].seeds
    assert run.manifest.identity["schema"] == "scapre-audit/run/1"
    assert run.claims is None
    images = run.images
    assert images and {i.edit_id for i in images} <= {e.edit_id for e in run.plan.edits}
    assert all(run.image_path(i.edit_id, i.image_id) for i in images)
    records = run.metric_records()
    assert len(records) == len(run.metrics) and records[0]["unit"] == "fraction"
    assert is_run_dir(mini_run) and not is_run_dir(mini_run / "images")


def test_a_written_unit_wins_over_the_kind(mini_run: Path):
    results = read(mini_run / "results.json")
    results["metrics"][0]["unit"] = "percent"
    write(mini_run / "results.json", results)
    assert read_run(mini_run).metrics[0].unit == "percent"


def _metric(key, value):
    def damage(run: Path):
        results = read(run / "results.json")
        results["metrics"][2][key] = value
        write(run / "results.json", results)

    return damage


def _drop_metric(key):
    def damage(run: Path):
        results = read(run / "results.json")
        del results["metrics"][2][key]
        write(run / "results.json", results)

    return damage


def _set(file, path, value):
    """Set a nested field of a file (path: keys and list indices)."""

    def damage(run: Path):
        data = read(run / file)
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
        write(run / file, data)

    return damage


def _text(file, text):
    def damage(run: Path):
        (run / file).write_text(text, encoding="utf-8")

    return damage


def _claims(doc):
    def damage(run: Path):
        write(run / "claims.json", doc)

    return damage


def _first_edit_record(run: Path) -> str:
    return sorted(p.relative_to(run).as_posix() for p in run.glob("edits/*/edit.json"))[0]


def _edit(key, value):
    def damage(run: Path):
        name = _first_edit_record(run)
        data = read(run / name)
        data[key] = value
        write(run / name, data)

    return damage


CLAIM = {
    "id": "c1",
    "claim": "x",
    "verdict": "supported",
    "source": "s",
    "definition": "d",
    "measurement": "m",
    "details": {},
}

# (name, damage, file named in the error, field named in the error)
CASES = [
    ("value-string", _metric("value", "abc"), "results.json", "metrics[2].value"),
    ("value-list", _metric("value", [1]), "results.json", "metrics[2].value"),
    ("value-huge", _text("results.json", ""), "results.json", ""),  # replaced below
    ("value-bool", _metric("value", True), "results.json", "metrics[2].value"),
    ("value-missing", _drop_metric("value"), "results.json", "metrics[2]"),
    ("metric-missing", _drop_metric("metric"), "results.json", "metrics[2]"),
    ("method-number", _metric("method", 3), "results.json", "metrics[2].method"),
    ("n-string", _metric("n", "ten"), "results.json", "metrics[2].n"),
    ("ci-low-string", _metric("ci_low", "0.1"), "results.json", "metrics[2].ci_low"),
    ("concept-list", _metric("concept", ["a"]), "results.json", "metrics[2].concept"),
    ("kind-object", _metric("kind", {}), "results.json", "metrics[2].kind"),
    ("extra-list", _metric("extra", []), "results.json", "metrics[2].extra"),
    ("attack-no-name", _metric("attack", {"tier": 1}), "results.json", "metrics[2].attack"),
    ("unit-unknown", _metric("unit", "furlong"), "results.json", "metrics[2].unit"),
    ("erase-set-size", _metric("erase_set_size", 1.5), "results.json", "erase_set_size"),
    ("metrics-object", _set("results.json", ["metrics"], {}), "results.json", "metrics"),
    ("suite-list", _set("results.json", ["suite"], []), "results.json", "suite"),
    ("suite-name", _set("results.json", ["suite", "name"], 7), "results.json", "suite.name"),
    ("model-string", _set("results.json", ["model"], "x"), "results.json", "model"),
    ("generation", _set("results.json", ["generation"], [1]), "results.json", "generation"),
    ("schema", _set("results.json", ["schema"], "x/9"), "results.json", "schema"),
    ("results-list", _text("results.json", "[1, 2]"), "results.json", "expected an object"),
    ("results-garbled", _text("results.json", "{not json"), "results.json", "cannot read"),
    ("results-nan", _text("results.json", '{"a": NaN'), "results.json", "cannot read"),
    ("not-computed", _set("results.json", ["not_computed"], [3]), "results.json", "not_computed"),
    ("plan-list", _text("plan.json", "[]"), "plan.json", "expected an object"),
    ("plan-no-groups", _set("plan.json", ["groups"], None), "plan.json", "groups"),
    ("plan-edits-obj", _set("plan.json", ["edits"], {}), "plan.json", "expected a list"),
    ("plan-edit-id", _set("plan.json", ["edits", 0, "edit_id"], 5), "plan.json", "edit_id"),
    ("plan-group", _set("plan.json", ["groups", 0, "method"], None), "plan.json", "method"),
    ("plan-size", _set("plan.json", ["groups", 0, "erase_set_size"], "8"), "plan.json", "size"),
    ("plan-probes", _set("plan.json", ["probes"], []), "plan.json", "probes"),
    (
        "plan-seed",
        _set("plan.json", ["probes", "target", "cases", 0, "seeds"], ["0"]),
        "plan.json",
        "probes.target.cases[0].seeds[0]",
    ),
    (
        "plan-prompt",
        _set("plan.json", ["probes", "target", "cases", 0, "prompt"], None),
        "plan.json",
        "prompt",
    ),
    ("manifest-list", _text("manifest.json", "[]"), "manifest.json", "expected an object"),
    ("manifest-identity", _set("manifest.json", ["identity"], "x"), "manifest.json", "identity"),
    (
        "manifest-schema",
        _set("manifest.json", ["identity", "schema"], "x/1"),
        "manifest.json",
        "identity.schema",
    ),
    (
        "manifest-git",
        _set("manifest.json", ["provenance", "git"], "abc"),
        "manifest.json",
        "provenance.git",
    ),
    ("manifest-garbled", _text("manifest.json", "{"), "manifest.json", "cannot read"),
    ("claims-schema", _claims({"schema": "x", "claims": []}), "claims.json", "schema"),
    (
        "claims-list",
        _claims({"schema": "scapre-audit/claims/1", "claims": {}}),
        "claims.json",
        "claims",
    ),
    (
        "claims-verdict",
        _claims({"schema": "scapre-audit/claims/1", "claims": [{**CLAIM, "verdict": 1}]}),
        "claims.json",
        "claims[0].verdict",
    ),
    (
        "claims-details",
        _claims({"schema": "scapre-audit/claims/1", "claims": [{**CLAIM, "details": "x"}]}),
        "claims.json",
        "claims[0].details",
    ),
    ("claims-garbled", _text("claims.json", "\x00"), "claims.json", "cannot read"),
    ("edit-timings", _edit("timings_s", {"wall_s": "fast"}), "edit.json", "timings_s.wall_s"),
    ("edit-matrices", _edit("n_matrices", "many"), "edit.json", "n_matrices"),
    ("edit-list", None, "edit.json", "expected an object"),
]


def _huge(run: Path):
    """A value of 10**400: valid JSON, an integer Python reads, and no finite float."""
    results = read(run / "results.json")
    results["metrics"][2]["value"] = 123456.789
    text = json.dumps(results).replace("123456.789", "1" + "0" * 400)
    (run / "results.json").write_text(text)


def _edit_list(run: Path):
    (run / _first_edit_record(run)).write_text("[]")


@pytest.mark.parametrize(("name", "damage", "file", "field"), CASES, ids=[c[0] for c in CASES])
def test_tampered_files_fail_with_one_line_naming_file_and_field(
    mini_run: Path, name, damage, file, field
):
    if name == "value-huge":
        damage, field = _huge, "metrics[2].value"
    if name == "edit-list":
        damage = _edit_list
    damage(mini_run)
    with pytest.raises(RunFormatError) as err:
        read_run(mini_run)
    message = str(err.value)
    assert "\n" not in message and isinstance(err.value, AuditError)
    assert file in message and field in message, message


def test_missing_files(mini_run: Path):
    with pytest.raises(RunFormatError, match="no such folder"):
        read_run(mini_run / "nope")
    (mini_run / "plan.json").unlink()
    with pytest.raises(RunFormatError, match="plan.json is missing"):
        read_run(mini_run)


def test_a_missing_manifest_is_refused_only_when_required(mini_run: Path):
    (mini_run / "manifest.json").unlink()
    assert read_run(mini_run).manifest.provenance == {}
    with pytest.raises(RunFormatError, match="manifest.json is missing"):
        read_run(mini_run, manifest_required=True)


def test_to_pandas_or_a_clear_line(mini_run: Path):
    run = read_run(mini_run)
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(RunFormatError, match="pandas"):
            run.to_pandas()
    else:
        frame = run.to_pandas()
        assert len(frame) == len(run.metrics) and "unit" in frame.columns


def test_the_format_package_and_the_report_never_import_torch_or_audits():
    """`reports` reads runs through `runfmt` only: importing every report module loads
    neither torch nor any part of the engine (`audits`), nor numpy."""
    code = (
        "import sys, runfmt, reports, reports.build, reports.exports,"
        " reports.tables, reports.sheets, reports.images, reports.compare, reports.svg,"
        " reports.render\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('torch', 'audits', 'scapre', 'numpy'))\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.mark.parametrize(
    ("damage", "field"),
    [
        (lambda p: p["edits"][0].pop("kind"), "edits[0]: has no 'kind'"),
        (lambda p: p["edits"][0].update(config=[]), "edits[0].config"),
        (lambda p: next(iter(p["probes"].values())).pop("source"), "has no 'source'"),
        (lambda p: next(iter(p["probes"].values()))["cases"][0].update(index="0"), "index"),
        (lambda p: p.pop("sampling"), "has no 'sampling'"),
    ],
)
def test_the_engines_plan_needs_every_field_it_is_rebuilt_from(mini_run: Path, damage, field):
    """`status` and `score` rebuild the engine's plan: `read_plan(complete=True)` refuses a
    plan.json missing a field of it, in one line, where the report's lighter read passes."""
    from runfmt.reader import read_plan

    plan = read(mini_run / "plan.json")
    assert read_plan(mini_run / "plan.json", complete=True).edits
    damage(plan)
    write(mini_run / "plan.json", plan)
    read_plan(mini_run / "plan.json")  # the report needs none of these fields
    with pytest.raises(RunFormatError) as err:
        read_plan(mini_run / "plan.json", complete=True)
    assert "plan.json" in str(err.value) and field in str(err.value), str(err.value)
