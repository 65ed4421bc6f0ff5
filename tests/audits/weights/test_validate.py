"""The image-vs-weights rank correlation and the report's warning beside weak rows."""

from __future__ import annotations

import numpy as np

from audits.weights import validate


def test_spearman_with_ties_matches_the_textbook_value():
    x = np.array([1.0, 2.0, 2.0, 4.0, 5.0])
    y = np.array([5.0, 4.0, 4.0, 2.0, 1.0])
    assert abs(validate.spearman(x, y) + 1.0) < 1e-12
    assert validate.spearman(np.ones(5), y) is None  # no spread: no correlation
    assert validate.average_ranks(x).tolist() == [0.0, 1.5, 1.5, 3.0, 4.0]


def _results(rows):
    return {"metrics": rows}


def _row(metric, method, concept, value):
    return {
        "metric": metric,
        "method": method,
        "erase_set": "all",
        "concept": concept,
        "value": value,
        "family": None,
        "group": None,
    }


def test_correlation_entries_leave_the_reference_out_and_flag_weak():
    concepts = [f"c{i}" for i in range(8)]
    w = [_row("kv_shift@target", "a", c, i / 8) for i, c in enumerate(concepts)]
    w += [_row("kv_shift@target", "b", c, (i * 5 % 8) / 8) for i, c in enumerate(concepts)]
    w += [_row("kv_shift@target", "none", c, 0.0) for c in concepts]
    im = [_row("forget_acc", "a", c, 1 - i / 8) for i, c in enumerate(concepts)]
    im += [_row("forget_acc", "b", c, i / 8) for i, c in enumerate(concepts)]
    im += [_row("forget_acc", "none", c, 1.0) for c in concepts]
    entries = validate.correlate([(_results(w), _results(im), "p")], "test")
    got = {(e["score"], e["method"]): e for e in entries}
    a = got[("kv_shift@target", "a")]
    assert a["rho"] == -1.0 and not a["weak"] and a["n"] == 8
    assert got[("kv_shift@target", "b")]["weak"]
    assert got[("kv_shift@target", "all methods")]["n"] == 16  # none left out


def test_report_warns_beside_weak_rows(tmp_path, weights_run):
    import json
    import shutil

    from reports.build import build_report

    dest = tmp_path / "run"
    shutil.copytree(weights_run.out, dest, ignore=shutil.ignore_patterns("report"))
    results = json.loads((dest / "results.json").read_text())
    results["weights_validation"] = {
        "correlations": [
            {
                "score": "kv_shift@target",
                "image_metric": "forget_acc",
                "method": "uce",
                "rho": -0.1,
                "ci_low": -0.6,
                "ci_high": 0.5,
                "n": 12,
                "unit": "(method, erase set, concept) points",
                "where": "test",
                "weak": True,
            }
        ]
    }
    (dest / "results.json").write_text(json.dumps(results))
    html = (build_report([dest]) / "index.html").read_text()
    assert "uce (!)" in html and "uce: kv_shift@target vs image forget_acc" in html
    assert "scapre (!)" not in html
