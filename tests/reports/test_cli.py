"""`scapre-audit report`: one run, several runs, bad input (one line, exit 2, nothing written)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from audits.cli import main
from tests.reports.conftest import read, write


def _cli(args: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    return exit_info.value.code or 0


def test_report_command_writes_the_report(mini_run: Path, capsys):
    assert _cli(["report", str(mini_run)]) == 0
    assert (mini_run / "report" / "index.html").is_file()
    assert "report:" in capsys.readouterr().out


def test_missing_run_is_one_line_and_writes_nothing(tmp_path: Path, capsys):
    out = tmp_path / "out"
    assert _cli(["report", str(tmp_path / "nonexistent"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_runs_of_different_suites_are_never_merged(mini_run: Path, tmp_path: Path, capsys):
    other = tmp_path / "other"
    shutil.copytree(mini_run, other)
    results = read(other / "results.json")
    results["suite"]["hash"] = "f" * 64
    write(other / "results.json", results)
    same = tmp_path / "same"
    shutil.copytree(mini_run, same)
    out = tmp_path / "cmp"
    assert _cli(["report", str(mini_run), str(same), str(other), "--out", str(out)]) == 0
    assert "WARNING" in capsys.readouterr().err
    index = (out / "index.html").read_text()
    assert 'class="warning"' in index and "NOT comparable" in index
    sections = index.split("<h2>Suite hash ")[1:]
    assert len(sections) == 2
    merged = next(s for s in sections if "run, same" in s)
    assert "run / scapre" in merged and "same / scapre" in merged and "other /" not in merged
    alone = next(s for s in sections if s.startswith("ffffffff"))
    assert "other / scapre" in alone and "run / " not in alone
    for label in ("run", "same", "other"):
        page = out / "runs" / label / "index.html"
        assert "NOT comparable" in page.read_text()
        assert 'href="../../index.html"' in page.read_text()


def test_several_runs_need_out(mini_run: Path, tmp_path: Path, capsys):
    assert _cli(["report", str(mini_run), str(mini_run)]) == 2
    assert "--out" in capsys.readouterr().err
