"""Item 1: `report --out DIR` replaces only a folder it provably wrote, never a user's folder."""

from __future__ import annotations

import json
import shutil

from tests.reliability.conftest import cli, refused


def _user_project(tmp_path, marker: dict | None):
    proj = tmp_path / "proj"
    (proj / "src").mkdir(parents=True)
    (proj / "src" / "main.py").write_text("print(1)\n")
    (proj / "thesis.tex").write_text("x\n")
    (proj / "report.json").write_text("{}\n" if marker is None else json.dumps(marker))
    return proj


def _untouched(proj):
    assert (proj / "thesis.tex").read_text() == "x\n"
    assert (proj / "src" / "main.py").is_file()


def test_folder_with_any_report_json_is_not_replaced(tmp_path, small_run):
    proj = _user_project(tmp_path, None)
    refused(cli("report", small_run, "--out", proj), "refusing to replace", "proj")
    _untouched(proj)


def test_forged_marker_does_not_cover_foreign_files(tmp_path, small_run):
    proj = _user_project(tmp_path, {"schema": "scapre-audit/report/1"})
    refused(cli("report", small_run, "--out", proj), "which no report writes", "'src'")
    _untouched(proj)


def test_a_folder_holding_the_run_is_never_replaced(tmp_path, small_run):
    parent = tmp_path / "work"
    run = parent / "run"
    shutil.copytree(small_run, run)
    (parent / "report.json").write_text(json.dumps({"schema": "scapre-audit/report/1"}))
    refused(cli("report", run, "--out", parent), "holds the run")
    assert (run / "results.json").is_file()


def test_a_previous_report_is_still_replaced(tmp_path, small_run):
    out = tmp_path / "rep"
    assert cli("report", small_run, "--out", out).rc == 0
    (out / "index.html").write_text("old")
    assert cli("report", small_run, "--out", out).rc == 0
    assert (out / "index.html").read_text() != "old"
