"""Item 6, tampered run files: a results.json, plan.json or manifest.json whose values have the
wrong type, are out of range or are missing is refused in one line naming the file, by every
command that reads it (report, status, claims, score), never a traceback."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.reliability.conftest import cli, refused

HUGE = 10**400  # json writes it as a 401-digit integer


def _metric(data):
    data["metrics"][0]["value"] = "high"


def _metric_huge(data):
    data["metrics"][0]["value"] = HUGE


def _metric_missing(data):
    del data["metrics"][0]["metric"]


def _suite_string(data):
    data["suite"] = "tinyaudit"


def _plan_edits(data):
    data["edits"] = "none"


def _plan_case(data):
    probe = next(iter(data["probes"].values()))
    probe["cases"][0]["seeds"] = "0"


def _manifest_identity(data):
    data["identity"]["methods"] = "none"


def _manifest_missing(data):
    del data["identity"]["profile"]


CASES = {
    "results.json": [_metric, _metric_huge, _metric_missing, _suite_string],
    "plan.json": [_plan_edits, _plan_case],
    "manifest.json": [_manifest_identity, _manifest_missing],
}
PARAMS = [(name, change) for name, changes in CASES.items() for change in changes]


@pytest.mark.parametrize(("name", "change"), PARAMS, ids=[f"{n}-{c.__name__}" for n, c in PARAMS])
def test_tampered_file_is_one_line(tmp_path, small_run, name, change):
    run = tmp_path / "run"
    shutil.copytree(small_run, run)
    data = json.loads((run / name).read_text())
    change(data)
    (run / name).write_text(json.dumps(data))
    commands = [("report", run, "--out", tmp_path / "rep"), ("status", run)]
    if name == "manifest.json":
        commands.append(("claims", run))
    for command in commands:
        refused(cli(*command), name)
