"""Paper tables (Markdown, LaTeX, CSV): layouts, units, reported rows, escaping.

The paper-profile runs here are fabricated fixtures (tiny results.json files), not measurements.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from reports import exports
from runfmt import read_run
from tests.reports.conftest import read, write

SUITE = {"name": "imagenette10", "version": "0.1.0", "hash": "ab" * 32, "cites": "ScaPre"}


def _row(metric, kind, method, value, concept=None, higher=False):
    return {
        "metric": metric,
        "kind": kind,
        "method": method,
        "value": value,
        "concept": concept,
        "erase_set": "all",
        "erase_set_size": 2,
        "family": None,
        "group": None,
        "label": None,
        "higher_is_better": higher,
        "ci_low": None,
        "ci_high": None,
        "n": 10,
        "n_excluded": 0,
    }


def _fake_run(root: Path, metrics, profile_kind="paper", reported=(), not_computed=()) -> Path:
    root.mkdir(parents=True)
    plan = {
        "edits": [],
        "probes": {},
        "groups": [
            {"method": m, "erase_set": "all", "erase_set_size": 2, "concepts": [], "edit_id": m}
            for m in ("none", "scapre", "uce")
        ],
    }
    results = {
        "schema": "scapre-audit/results/1",
        "suite": {**SUITE, "profile": "scapre-table1", "profile_kind": profile_kind},
        "reference_method": "none",
        "metrics": metrics,
        "reported": list(reported),
        "not_computed": list(not_computed),
    }
    (root / "plan.json").write_text(json.dumps(plan))
    (root / "results.json").write_text(json.dumps(results))
    return root


REPORTED = [
    {
        "profile": "scapre-table1",
        "table": "Table 1",
        "source": "ScaPre Table 1",
        "metric": "forget_acc-scapre",
        "method": "ESD",
        "concept": None,
        "value": 12.5,
        "unit": "percent",
    },
    {
        "profile": "scapre-table1",
        "table": "Table 1",
        "source": "ScaPre Table 1",
        "metric": "forget_acc-scapre",
        "method": "ESD",
        "concept": "tench",
        "value": 0.02,
        "unit": "fraction",
    },
    {
        "profile": "scapre-table1",
        "table": "Table 1",
        "source": "ScaPre Table 1",
        "metric": "uq-scapre",
        "method": "my_method & co",
        "concept": None,
        "value": 1.5,
        "unit": "score",
    },
]


def _per_class_run(tmp_path: Path, profile_kind="paper") -> Path:
    metrics = []
    for method, acc in (("none", 0.9), ("scapre", 0.05), ("uce", 0.1)):
        metrics.append(_row("forget_acc-scapre", "forget_acc", method, acc))
        metrics.append(_row("forget_acc-scapre", "forget_acc", method, acc, concept="tench"))
        metrics.append(_row("forget_acc-scapre", "forget_acc", method, acc, concept="church"))
        metrics.append(_row("clip_score_coco", "clip_score", method, 31.0, higher=True))
    nc = [{"metric": "uq-scapre", "reason": "not implemented"}]
    return _fake_run(tmp_path / "run", metrics, profile_kind, REPORTED, nc)


def test_per_class_layout_with_reported_rows(tmp_path: Path):
    table = exports.paper_table(read_run(_per_class_run(tmp_path)))
    assert table.layout == "per-class"
    assert [c.header for c in table.columns] == [
        "tench (%)",
        "church (%)",
        "Avg (%)",
        "CLIP",
        "UQ",
    ]
    rows = dict(table.rows)
    assert rows["scapre"] == [5.0, 5.0, 5.0, 31.0, None]  # fractions shown in percent
    assert rows["ESD, reported (ScaPre Table 1)"] == [2.0, None, 12.5, None, None]
    assert rows["my_method & co, reported (ScaPre Table 1)"][-1] == 1.5
    assert any("Not computed in this run: UQ" in n for n in table.notes)

    md = exports.to_markdown(table)
    assert "| Method | tench (%) | church (%) | Avg (%) | CLIP | UQ |" in md
    assert "| scapre | 5.00 | 5.00 | 5.00 | 31.00 |  |" in md
    assert "| ESD, reported (ScaPre Table 1) | 2.00 |  | 12.50 |  |  |" in md
    assert "my\\_method & co" in md

    tex = exports.to_latex(table)
    assert "Method & tench (\\%) & church (\\%) & Avg (\\%) & CLIP & UQ \\\\" in tex
    assert "my\\_method \\& co, reported (ScaPre Table 1)" in tex
    assert "\\begin{tabular}{lrrrrr}" in tex

    rows_csv = list(csv.reader(io.StringIO(exports.to_csv(table))))
    assert rows_csv[0] == ["method", "tench (%)", "church (%)", "Avg (%)", "CLIP", "UQ"]
    assert rows_csv[2] == ["scapre", "5", "5", "5", "31", ""]


def test_clean_profile_never_shows_reported_values(tmp_path: Path):
    table = exports.paper_table(read_run(_per_class_run(tmp_path, profile_kind="clean")))
    assert table.layout == "metrics"
    assert not any("reported" in label for label, _ in table.rows)


def test_confuse_and_style_layouts(tmp_path: Path):
    confuse = []
    style = []
    for method in ("none", "scapre"):
        confuse += [
            _row("unlearn_acc-scapre", "forget_acc", method, 0.1),
            _row("preserve_acc-scapre", "retain_acc", method, 0.8, higher=True),
            _row("overall_acc-scapre", "overall_acc", method, 84.7, higher=True),
        ]
        style += [
            _row("clip_art-scapre", "clip_score", method, 20.0),
            _row("clip_score_coco", "clip_score", method, 30.0, higher=True),
            _row("clip_x-scapre", "clip_gap", method, 10.0, higher=True),
            _row("fid_coco", "fid_vs_base", method, 12.0),
        ]
    table = exports.paper_table(read_run(_fake_run(tmp_path / "c", confuse)))
    assert table.layout == "confuse"
    assert [c.header for c in table.columns] == [
        "Unlearn Acc (%)",
        "Preserve Acc (%)",
        "Overall Acc (%)",
    ]
    assert dict(table.rows)["scapre"] == [10.0, 80.0, 84.7]  # overall_acc is already percent
    table = exports.paper_table(read_run(_fake_run(tmp_path / "s", style)))
    assert table.layout == "style"
    assert [c.header for c in table.columns] == ["CLIP_art", "CLIP_coco", "CLIP_x", "FID"]


def test_saved_run_exports_every_aggregate_metric(mini_run: Path):
    results = read(mini_run / "results.json")
    results["methods"]["uce"]["kind"] = "uce"
    write(mini_run / "results.json", results)
    table = exports.paper_table(read_run(mini_run))
    headers = [c.header for c in table.columns]
    assert "forget_acc (%)" in headers and "image_drift" in headers
    assert "scapre @ all" in dict(table.rows) and "uce @ one" in dict(table.rows)


def test_paper_run_renders_with_reported_rows(tmp_path: Path):
    """A minimal paper-profile results.json (no images) still renders, reported rows labelled."""
    from reports.build import build_report

    out = build_report([_per_class_run(tmp_path)], tmp_path / "report")
    index = (out / "index.html").read_text()
    assert "ESD, reported (ScaPre Table 1)" in index
    assert "my_method &amp; co, reported (ScaPre Table 1)" in index
    assert "uq-scapre (not implemented)" in index
    assert "| ESD, reported (ScaPre Table 1) |" in (out / "tables" / "paper.md").read_text()
