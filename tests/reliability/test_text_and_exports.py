"""Item 2 (CSV formula injection) and item 8's text cases: suite text refuses control characters
(tab allowed in prompts), every export escapes for its format, echoed text is escaped."""

from __future__ import annotations

import csv
import io
import shutil

from reports.exports import PaperColumn, PaperTable, to_csv, to_latex, to_markdown
from tests.reliability.conftest import cli, refused

EVIL = "red circle\r=cmd|' /C calc'!A0"


def _copy(rel_suite, tmp_path):
    suite = tmp_path / "suite"
    shutil.copytree(rel_suite, suite)
    return suite


def test_control_character_in_a_concept_name_is_refused(rel_suite, tmp_path):
    suite = _copy(rel_suite, tmp_path)
    table = suite / "concepts.csv"
    table.write_text(table.read_text().replace("fox,retain", f'"{EVIL}",retain'), newline="")
    line = refused(cli("suite", "validate", suite, "--no-tokens"), "concepts.csv", "\\r")
    assert "\r" not in line


def test_control_character_in_yaml_text_is_refused(rel_suite, tmp_path):
    suite = _copy(rel_suite, tmp_path)
    yaml = suite / "suite.yaml"
    yaml.write_text(yaml.read_text().replace("version: 0.1.0", 'version: "0.1.0\\n\\\\input{x}"'))
    refused(cli("suite", "validate", suite, "--no-tokens"), "suite.yaml", "version", "\\n")


def test_tab_in_a_prompt_is_allowed(rel_suite, tmp_path):
    suite = _copy(rel_suite, tmp_path)
    (suite / "general.csv").write_text("prompt\na house\tby a lake\n")
    result = cli("suite", "validate", suite, "--no-tokens")
    assert result.rc == 0, result.err


def _table(label: str) -> PaperTable:
    return PaperTable("t", "x", [PaperColumn("a,b", "m", "forget_acc")], [(label, [0.5])])


def test_csv_quotes_cr_and_neutralises_formula_starts():
    for label in (EVIL, "\t=1+1", "\r=1+1", " =1+1", "-2", '@SUM(A1)"', "a\nb"):
        text = to_csv(_table(label))
        rows = list(csv.reader(io.StringIO(text, newline="")))
        assert len(rows) == 2, (label, text)  # nothing in a label ends a row
        cell = rows[1][0]
        assert cell.lstrip(" ")[:1] not in ("=", "+", "-", "@", "\t", "\r")
        assert cell.endswith(label)
        assert "\r" not in text.replace('"' + cell.replace('"', '""') + '"', "")  # CR only quoted


def test_latex_comment_and_markdown_cannot_be_escaped_by_a_newline():
    table = _table("m")
    table.notes.append("suite v1\n\\input{/etc/passwd}")
    latex = to_latex(table)
    assert not any(line.startswith("\\input") for line in latex.splitlines())
    table.rows = [("a\r\n| x |", [1.0])]
    assert "\r" not in to_markdown(table) and "\n| x" not in to_markdown(table)


def test_control_characters_are_echoed_escaped(rel_suite):
    result = cli("run", rel_suite, "--methods", "nope\x1b[2J\rX")
    line = refused(result, "unknown method", "\\x1b[2J\\rX")
    assert "\x1b" not in result.err and "\r" not in result.err
    assert line
