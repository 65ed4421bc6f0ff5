"""Bad input: one line on stderr, exit code 2, nothing written or lost."""

from __future__ import annotations

import pytest

from audits.cli import main


def _fails(argv, capsys) -> str:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    return err


def test_unknown_suite(tmp_path, capsys):
    err = _fails(["run", "no-such-suite", "--out", str(tmp_path / "o")], capsys)
    assert "no-such-suite" in err
    assert not (tmp_path / "o").exists()


def test_unknown_method(tmp_path, suite_dir, capsys):
    err = _fails(
        ["run", str(suite_dir), "--methods", "scapre,bogus", "--out", str(tmp_path / "o")], capsys
    )
    assert "unknown method 'bogus'" in err
    assert not (tmp_path / "o").exists()


def test_limit_zero(tmp_path, suite_dir, capsys):
    err = _fails(["run", str(suite_dir), "--limit", "0", "--out", str(tmp_path / "o")], capsys)
    assert "--limit must be at least 1" in err
    assert not (tmp_path / "o").exists()


def test_foreign_out_dir_is_left_alone(tmp_path, suite_dir, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    err = _fails(["run", str(suite_dir), "--out", str(out)], capsys)
    assert "is not empty and is not a scapre-audit run" in err
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    assert (out / "notes.txt").read_text() == "keep me"


def test_status_and_score_on_non_runs(tmp_path, capsys):
    assert "not a scapre-audit run directory" in _fails(["status", str(tmp_path)], capsys)
    assert "not a scapre-audit run directory" in _fails(["score", str(tmp_path)], capsys)


def test_status_of_a_run(base_run, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["status", str(base_run.out)])
    assert exc.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "erase     2/2 edit(s)"
    assert lines[2] == "generate  16/16 image(s)"
    assert "results.json with" in lines[4]


def test_bad_uq_params_stop_before_any_work(tmp_path, suite_dir, capsys):
    import shutil

    bad = tmp_path / "suite"
    shutil.copytree(suite_dir, bad)
    yaml = (bad / "suite.yaml").read_text()
    yaml = yaml.replace("quality_metric: clip_score}", "quality_metric: clip_score, std: sample}")
    (bad / "suite.yaml").write_text(yaml)
    err = _fails(["run", str(bad), "--out", str(tmp_path / "o")], capsys)
    assert "metric 'uq': std must be population" in err
    assert not (tmp_path / "o").exists()


def test_progress_lines_off_a_terminal_and_quiet(run_copy, capsys, monkeypatch):
    """`score --force` off a terminal: stage lines and progress lines (count, rate) on stderr,
    nothing of it on stdout; with --quiet, stderr stays empty."""
    from reports import progress

    monkeypatch.setattr(progress, "_state", {"quiet": False, "every": 0.0})
    with pytest.raises(SystemExit) as exc:
        main(["score", str(run_copy), "--force"])
    assert exc.value.code in (0, None)
    out, err = capsys.readouterr()
    assert "scored" in err and "units (" in err and "/s" in err
    assert "units (" not in out and "scored" not in out
    with pytest.raises(SystemExit):
        main(["score", str(run_copy), "--force", "--quiet"])
    out, err = capsys.readouterr()
    assert err == "" and "results.json rewritten" in out


def test_run_ends_with_the_findings_in_words(base_run):
    from audits.commands.run import findings

    lines = findings(base_run.out)
    assert lines[0] == "What this audit found:"
    assert any(line.startswith("- scapre on all ") for line in lines)
    assert all("forget_acc" in line for line in lines[1:-1] if not line.startswith("- Within"))
