"""`scapre-audit suite ...` through audits.cli.main: output, one-line errors, exit code 2."""

from __future__ import annotations

import json

import pytest

from audits.cli import main
from audits.suites import load_suite, suite_hash

from .test_suites_helpers import MINI_YAML, write_suite


def run(capsys, *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    out, err = capsys.readouterr()
    return info.value.code or 0, out, err


def test_validate_ok(capsys):
    code, out, err = run(capsys, "suite", "validate", "imagenette10")
    expected = suite_hash(load_suite("imagenette10", tokens=False))
    assert code == 0 and out.strip() == f"ok imagenette10 1.2.0 suite_hash={expected}"


def test_hash(capsys, tmp_path):
    folder = write_suite(tmp_path / "mini")
    code, out, _ = run(capsys, "suite", "hash", str(folder))
    assert code == 0 and out.strip() == suite_hash(load_suite(folder, tokens=False))


def test_list(capsys):
    code, out, _ = run(capsys, "suite", "list")
    assert code == 0
    for name in ("art50", "artists100", "celebrities100", "imagenet-confuse", "nudity"):
        assert f"\n{name} " in "\n" + out
    assert "(abstract base)" in out


def test_show_text_and_json(capsys):
    code, out, _ = run(capsys, "suite", "show", "celebrities100")
    assert (
        code == 0
        and "erase set mace@10: 10 concepts" in out
        and "profile mace-celebrities: paper" in out
    )
    code, out, _ = run(capsys, "suite", "show", "nudity", "--json")
    data = json.loads(out)
    assert code == 0 and data["name"] == "nudity" and len(data["suite_hash"]) == 64
    assert data["probes"]["i2p-sexual"]["dataset"]["where"][0]["value"] == "sexual"


def test_bad_suite_is_one_line_and_exit_2(capsys, tmp_path):
    folder = write_suite(
        tmp_path / "bad", MINI_YAML.replace("kind: clip_zeroshot", "kind: clip_zs")
    )
    code, out, err = run(capsys, "suite", "validate", str(folder))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1
    assert (
        lines[0].startswith("error: ")
        and "suite.yaml, line 31, field 'scorers.clip.kind'" in lines[0]
    )
    assert "Did you mean: clip_zeroshot?" in lines[0]


def test_bad_table_row_is_one_line_and_exit_2(capsys, tmp_path):
    folder = write_suite(
        tmp_path / "bad", **{"concepts.csv": "concept,role\ncat,target\ndog,kept\n"}
    )
    code, _, err = run(capsys, "suite", "hash", str(folder))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "concepts.csv, row 3, field 'role'" in err


def test_unknown_suite_name(capsys):
    code, _, err = run(capsys, "suite", "show", "nudityy")
    assert code == 2 and "Did you mean: nudity?" in err and len(err.strip().splitlines()) == 1


def test_list_marks_invalid_suites_in_extra_folders(capsys, tmp_path, monkeypatch):
    write_suite(tmp_path / "good")
    write_suite(tmp_path / "broken", MINI_YAML.replace("schema: 1", "schema: 9"))
    monkeypatch.setenv("SCAPRE_AUDIT_SUITES", str(tmp_path))
    code, out, _ = run(capsys, "suite", "list")
    assert code == 0
    assert any(
        line.startswith("good ") and "2 targets, 1 retained" in line for line in out.splitlines()
    )
    assert any(line.startswith("broken ") and "INVALID" in line for line in out.splitlines())


def test_relative_and_absolute_paths_give_the_same_hash(capsys, tmp_path, monkeypatch):
    folder = write_suite(tmp_path / "mini")
    code, absolute, _ = run(capsys, "suite", "hash", str(folder))
    monkeypatch.chdir(tmp_path)
    code_rel, relative, err = run(capsys, "suite", "validate", "mini")
    assert code == 0 and code_rel == 0, err
    assert relative.strip().endswith(f"suite_hash={absolute.strip()}")
