"""The small things a first run meets: --version, one-line hub errors, whole resume messages,
profile descriptions in `suite show`, and the model revision that was pinned and resolved."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from audits.cli import main
from audits.errors import AuditError
from audits.run.manifest import check_resume


def run_cli(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(args)
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_version_prints_the_package_version(capsys):
    code, out, err = run_cli(["--version"], capsys)
    assert code == 0 and re.fullmatch(r"scapre-audit \d+\.\d+\.\d+\S*\n", out), (out, err)


def test_offline_hub_id_is_one_line_naming_the_id_and_the_ways_out(monkeypatch):
    from audits.models.loading import load_pipeline

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(AuditError) as err:
        load_pipeline("no-such-org/no-such-model", revision="abc123")
    text = str(err.value)
    assert "\n" not in text and text.count("no-such-org/no-such-model") == 1
    assert "HF_HUB_OFFLINE" in text and "--model PATH" in text and "abc123" in text
    assert "Cannot load model" not in text and "stacktrace" not in text
    monkeypatch.delenv("HF_HUB_OFFLINE")
    from audits.models.loading import hub_error

    assert "offline or the id is wrong" in hub_error("a/b", None)


def test_resume_message_names_the_field_and_both_whole_values(tmp_path):
    old = {"methods": ["none", "scapre", "scapre-preserve", "uce"], "limit": None}
    new = {"methods": ["none", "scapre", "uce", "speed"], "limit": None}
    with pytest.raises(AuditError) as err:
        check_resume(old, new, tmp_path)
    text = str(err.value)
    assert "field 'methods'" in text
    assert '["none", "scapre", "scapre-preserve", "uce"]' in text
    assert '["none", "scapre", "uce", "speed"]' in text
    assert 'only in the run: ["scapre-preserve"]' in text
    assert 'only in this command: ["speed"]' in text
    digest = "ab" * 32
    with pytest.raises(AuditError, match=r"field 'model.hash'.* abababababab\.\.\..* null"):
        check_resume({"model": {"hash": digest}}, {"model": {"hash": None}}, tmp_path)


def test_suite_show_prints_each_profile_description(capsys):
    from audits.suites import load_suite

    code, out, _ = run_cli(["suite", "show", "toyworld"], capsys)
    assert code in (0, None)
    suite = load_suite("toyworld", tokens=False)
    for name, profile in suite.profiles.items():
        assert f"profile {name}:" in out
        assert " ".join(profile.description.split())[:60] in out


def test_model_source_hashes_a_pinned_local_folder(tmp_path):
    from audits.run.provenance import folder_weights_sha256, model_source
    from audits.suites import load_suite

    suite = load_suite("toyworld", tokens=False)
    folder = Path(suite.model.id)
    if not folder.is_absolute():
        folder = Path(__file__).resolve().parents[2] / folder
    src = model_source(suite, suite.model.id, pipe=None) if folder.exists() else None
    if src is not None and Path(suite.model.id).is_dir():
        assert src["pinned_revision"] == suite.model.revision
        assert src["resolved_revision"] == folder_weights_sha256(folder)
        assert src["matches"] is True
    other = tmp_path / "m"
    (other / "unet").mkdir(parents=True)
    (other / "unet" / "w.safetensors").write_bytes(b"x")
    got = model_source(suite, str(other), pipe=None)
    assert got["pinned_revision"] is None and got["matches"] is None
