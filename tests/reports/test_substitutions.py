"""Substituted numbers (fallback prompts, an evaluator's declared fallback) are marked in report
cells, with a footnote, and in tables/paper.{md,tex,csv}."""

from __future__ import annotations

import csv
import io

from reports import exports
from reports.tables import Cell, footnotes, marks_of
from runfmt import read_run
from tests.reports.test_exports import _fake_run, _row

PROMPTS = {
    "kind": "prompts",
    "part": "coco",
    "declared": "phiyodr/coco2017",
    "used": "everyday.csv",
    "reason": "offline",
}
FEATURES = {
    "kind": "evaluator",
    "part": "fid",
    "declared": "inception-v3-pool3-2048",
    "used": "clip-vit-l-14",
    "reason": "torch-fidelity is not installed",
}


def _run(tmp_path):
    metrics = []
    for method, clip, fid in (("none", 31.0, 0.0), ("scapre", 30.5, 2.5), ("uce", 30.0, 3.5)):
        metrics.append(_row("clip_score_coco", "clip_score", method, clip, higher=True))
        metrics[-1]["substitutions"] = [PROMPTS]
        metrics.append(_row("fid_vs_base", "fid_vs_base", method, fid))
        metrics[-1]["substitutions"] = [FEATURES]
        metrics.append(_row("forget_acc", "forget_acc", method, 0.5))
        metrics[-1]["substitutions"] = []
    return read_run(_fake_run(tmp_path / "run", metrics, profile_kind="clean"))


def test_cells_carry_marks_and_footnotes(tmp_path):
    run = _run(tmp_path)
    rows = {m["metric"]: m for m in run.metrics if m["method"] == "scapre"}
    assert marks_of(rows["clip_score_coco"]) == "\u2020"
    assert marks_of(rows["fid_vs_base"]) == "\u2021"
    assert marks_of(rows["forget_acc"]) == ""
    cell = Cell(rows["clip_score_coco"], False)
    assert cell.marks == "\u2020" and "everyday.csv instead of phiyodr/coco2017" in cell.title
    notes = footnotes(run.metrics)
    assert notes == [
        "\u2020 prompts from the probe's bundled fallback, not its declared dataset: coco:"
        " everyday.csv instead of phiyodr/coco2017 (offline).",
        "\u2021 the evaluator's declared fallback, not the declared evaluator: fid:"
        " clip-vit-l-14 instead of inception-v3-pool3-2048 (torch-fidelity is not installed).",
    ]


def test_paper_tables_mark_every_substituted_value(tmp_path):
    table = exports.paper_table(_run(tmp_path))
    headers = [c.metric for c in table.columns]
    clip, fid, acc = (headers.index(m) for m in ("clip_score_coco", "fid_vs_base", "forget_acc"))
    md = exports.to_markdown(table)
    assert "| scapre |" in md and "30.50\u2020" in md and "2.50\u2021" in md
    assert "\u2020 prompts from the probe's bundled fallback" in md
    tex = exports.to_latex(table)
    assert "30.50$^{\\dagger}$" in tex and "2.50$^{\\ddagger}$" in tex
    rows = list(csv.reader(io.StringIO(exports.to_csv(table))))
    assert rows[0][-1] == "substituted"
    scapre = next(r for r in rows if r[0] == "scapre")
    assert (
        float(scapre[1 + clip]) == 30.5 and float(scapre[1 + acc]) == 50.0
    )  # numbers stay numbers
    assert "\u2020" in scapre[-1] and "\u2021" in scapre[-1]
    assert fid >= 0 and any(r and r[0].startswith("\u2021") for r in rows)
