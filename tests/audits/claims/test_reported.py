"""The reported-numbers loader: the bundled files load against their suites; bad input is one
line naming the file, line and field."""

from __future__ import annotations

import textwrap

import pytest

from audits.claims.reported import load_reported, reported_for_profile
from audits.errors import AuditError
from audits.suites import load_suite

GOOD = textwrap.dedent(
    """\
    schema: scapre-audit/reported/1
    tables:
      - table: Table 1
        profile: paper
        source: paper, Table 1 [T5img]
        methods: [none, ESD, scapre]
        rows:
          - {metric: forget_acc, concept: cat, unit: percent, values: [90.0, null, 0.0]}
          - metric: forget_acc
            unit: percent
            values: [89.9, 38.7, 0.8]
            note: Avg Acc
            notes: {none: per-class mean differs}
    """
)


def _write(tmp_path, text):
    path = tmp_path / "reported.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path, text, **kw) -> str:
    with pytest.raises(AuditError) as info:
        load_reported(_write(tmp_path, text), **kw)
    message = str(info.value)
    assert "\n" not in message and "reported.yaml" in message
    return message


def test_good_file_expands_to_flat_entries(tmp_path):
    entries = load_reported(_write(tmp_path, GOOD), metrics={"forget_acc"}, profiles={"paper"})
    assert len(entries) == 5  # the null is left out
    assert entries[0] == {
        "profile": "paper",
        "table": "Table 1",
        "source": "paper, Table 1 [T5img]",
        "metric": "forget_acc",
        "method": "none",
        "concept": "cat",
        "value": 90.0,
        "unit": "percent",
    }
    assert entries[2]["note"] == "per-class mean differs; Avg Acc"
    assert entries[3]["note"] == "Avg Acc" and entries[3]["concept"] is None


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("schema: scapre-audit/reported/1", "schema: 2", "expected text"),
        ("schema: scapre-audit/reported/1", "schema: x/1", "expected 'scapre-audit/reported/1'"),
        ("    source:", "    sorce:", "line 5, field 'tables[0].sorce': unknown key 'sorce'"),
        ("unit: percent, values", "unit: percents, values", "'percents' is not one of"),
        ("[90.0, null, 0.0]", "[90.0, 0.0]", "2 value(s) for 3 method column(s)"),
        ("[90.0, null, 0.0]", "[190.0, null, 0.0]", "must be at most 100.0"),
        ("[90.0, null, 0.0]", "[ninety, null, 0.0]", "expected a number"),
        ("notes: {none:", "notes: {SPM:", "unknown key 'SPM'"),
        ("methods: [none, ESD, scapre]", "methods: [none, ESD, none]", "listed twice"),
        ("concept: cat, ", "", "is given twice"),
    ],
)
def test_bad_input_is_one_line(tmp_path, old, new, expected):
    assert old in GOOD
    message = _error(tmp_path, GOOD.replace(old, new, 1))
    assert expected in message, message


def test_unknown_metric_or_profile_of_the_suite(tmp_path):
    message = _error(tmp_path, GOOD, metrics={"forget_acc-scapre"})
    assert "no metric 'forget_acc' in the suite" in message and "line 8" in message
    message = _error(tmp_path, GOOD, profiles={"clean"})
    assert "no profile 'paper' in the suite" in message


def test_duplicate_yaml_keys_are_refused(tmp_path):
    message = _error(tmp_path, GOOD + "tables: []\n")
    assert "duplicate key 'tables'" in message


@pytest.mark.parametrize(
    ("suite", "n", "profile"),
    [
        ("imagenette10", 116, "scapre-table1"),
        ("imagenet-diversi50", 15, "scapre-table3"),
        ("imagenet-confuse", 29, "scapre-table4"),
        ("art50", 9, "scapre-table2"),
    ],
)
def test_bundled_reported_files_match_their_suites(suite, n, profile):
    s = load_suite(suite, tokens=False)
    entries = load_reported(s.root / "reported.yaml", set(s.metrics), set(s.profiles))
    assert len(entries) == n and {e["profile"] for e in entries} == {profile}
    in_suite = [e["method"] for e in entries if e["method"] in s.methods]
    assert set(in_suite) <= set(s.profile(profile).methods)
    concepts = {e["concept"] for e in entries} - {None}
    assert concepts <= set(s.concepts.names("target"))
    ours, sha = reported_for_profile(s.root, profile)
    assert ours == entries and len(sha) == 64
    assert reported_for_profile(s.root, "clean") == ([], sha)


def test_imagenette_headline_and_audit_notes():
    s = load_suite("imagenette10", tokens=False)
    entries = load_reported(s.root / "reported.yaml")
    avg = {
        e["method"]: e for e in entries if e["metric"] == "forget_acc-scapre" and not e["concept"]
    }
    assert avg["scapre"]["value"] == 0.8 and avg["none"]["value"] == 89.9
    assert "89.79" in avg["none"]["note"]
    spm = next(e for e in entries if e["metric"] == "uq-scapre" and e["method"] == "SPM")
    assert spm["value"] == 49.89 and "52.89" in spm["note"]
    assert not any(e["metric"] == "uq-scapre" and e["method"] == "none" for e in entries)


def test_suite_without_reported_file(tmp_path):
    assert reported_for_profile(tmp_path, "clean") == ([], None)
