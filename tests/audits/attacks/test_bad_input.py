"""Bad attack input: one line on stderr, exit code 2, nothing written."""

from __future__ import annotations

import shutil

import pytest

from audits.cli import main
from tests.audits.attacks.conftest import REPO, SUITE, needs_toyworld

pytestmark = needs_toyworld


def _suite(tmp_path, attack_yaml: str):
    suite = tmp_path / "suite"
    shutil.copytree(SUITE, suite)
    yaml = (suite / "suite.yaml").read_text()
    yaml = yaml.replace("  recover:\n", attack_yaml + "  recover:\n").replace(
        "attacks: [adversarial-replay, recover, ring-a-bell, unlearndiffatk]", "attacks: [bad]"
    )
    (suite / "suite.yaml").write_text(yaml)
    return suite


def _fails(tmp_path, attack_yaml, capsys, monkeypatch) -> str:
    monkeypatch.chdir(REPO)
    suite = _suite(tmp_path, attack_yaml)
    out = tmp_path / "out"
    argv = ["run", str(suite), "--profile", "attacks", "--limit", "1", "--out", str(out)]
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert not out.exists()
    return err


def test_unknown_attack_kind_suggests_the_name(tmp_path, capsys, monkeypatch):
    err = _fails(tmp_path, "  bad:\n    kind: embeding_recovery\n", capsys, monkeypatch)
    assert "Unknown attack 'embeding_recovery'. Did you mean: embedding_recovery?" in err


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ("{regular_scale: -1}", "attack 'bad' (embedding_recovery): param regular_scale must be"),
        ("{regular_scael: 1}", "attack 'bad' (embedding_recovery): unknown param(s) regular_scael"),
        ("{regular_scale: high}", "attack 'bad' (embedding_recovery): param regular_scale"),
    ],
)
def test_bad_params_name_attack_and_param(tmp_path, capsys, monkeypatch, params, expected):
    yaml = f"  bad:\n    kind: embedding_recovery\n    probes: [target]\n    params: {params}\n"
    assert expected in _fails(tmp_path, yaml, capsys, monkeypatch)


def test_missing_csv_and_missing_column(tmp_path, capsys, monkeypatch):
    yaml = "  bad:\n    kind: prompt_replay\n    params: {csv: nowhere.csv}\n"
    err = _fails(tmp_path / "a", yaml, capsys, monkeypatch)
    assert "attack 'bad': csv 'nowhere.csv' not found" in err
    yaml = "  bad:\n    kind: prompt_replay\n    params: {csv: concepts.csv, prompt_column: text}\n"
    err = _fails(tmp_path / "b", yaml, capsys, monkeypatch)
    assert "missing column 'text'" in err
