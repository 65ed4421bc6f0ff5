"""The image-vs-weights rank correlation and the report's warning beside weak rows."""

from __future__ import annotations

import numpy as np

from audits.weights import validate


def test_spearman_with_ties_matches_the_textbook_value():
    x = np.array([1.0, 2.0, 2.0, 4.0, 5.0])
    y = np.array([5.0, 4.0, 4.0, 2.0, 1.0])
    assert abs(validate.spearman(x, y) + 1.0) < 1e-5  # torchmetrics: eps 1e-6 in the denominator
    assert validate.spearman(np.ones(5), y) is None  # no spread: no correlation
    # mean ranks of ties: x ranks (1, 4.5, 2, 6, 3, 4.5 - 1), y ranks (5, 1, 5, 1, 3, 5)
    x = np.array([0.1, 0.5, 0.2, 0.9, 0.3, 0.5])
    y = np.array([1.0, 0.0, 1.0, 0.0, 0.5, 1.0])
    rx, ry = np.array([1, 4.5, 2, 6, 3, 4.5]), np.array([5, 1.5, 5, 1.5, 3, 5])
    assert abs(validate.spearman(x, y) - np.corrcoef(rx, ry)[0, 1]) < 1e-5


def test_bootstrap_interval_is_seeded_and_brackets_the_estimate():
    rng = np.random.default_rng(0)
    x = rng.normal(size=30)
    y = -x + rng.normal(scale=0.5, size=30)
    ci = validate.interval(x, y, seed=7)
    assert ci == validate.interval(x, y, seed=7) and ci != validate.interval(x, y, seed=8)
    assert ci[0] < validate.spearman(x, y) < ci[1] < 0
    assert validate.interval(x[:3], y[:3], seed=7) is None  # too few points to resample


def test_pairs_of_different_profiles_or_models_are_refused(tmp_path):
    import json

    import pytest

    def write(name, **over):
        body = {
            "stages": "weights",
            "suite": {"name": "toyworld", "profile": "clean", "hash": "h", "version": "1"},
            "limit": None,
            "model": {"weights_sha256": {"unet": "a"}},
            "prompt_sets": {"target": {"sha256": "p"}},
            "metrics": [],
        } | over
        (tmp_path / name).mkdir()
        (tmp_path / name / "results.json").write_text(json.dumps(body))
        return str(tmp_path / name)

    w = write("w")
    ok = write("i", stages=None)
    assert len(validate.load_pairs([[w, ok]])[0]) == 1
    other = write("j", stages=None, model={"weights_sha256": {"unet": "b"}})
    with pytest.raises(SystemExit, match="different model weights"):
        validate.load_pairs([[w, other]])
    scaling = {"name": "toyworld", "profile": "scaling", "hash": "h", "version": "1"}
    with pytest.raises(SystemExit, match="same suite, profile"):
        validate.load_pairs([[w, write("k", stages=None, suite=scaling)]])
    prompts = write("m", stages=None, prompt_sets={"target": {"sha256": "q"}})
    with pytest.raises(SystemExit, match="different target prompts"):
        validate.load_pairs([[w, prompts]])
    with pytest.raises(SystemExit, match="not a --stages weights run"):
        validate.load_pairs([[ok, ok]])
    with pytest.raises(SystemExit) as err:  # the command: one line on stderr, exit 2
        validate.main(["--pair", w, other])
    assert err.value.code == 2


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
    entries = validate.correlate([(_results(w), _results(im), "p")])
    got = {(e["score"], e["method"]): e for e in entries}
    a = got[("kv_shift@target", "a")]
    assert a["rho"] == -1.0 and not a["weak"] and a["n"] == 8
    assert got[("kv_shift@target", "b")]["weak"]
    # an accuracy that varies in one point only: a perfect rho, still weak
    flat = [_row("forget_acc", "a", c, 0.5 if i == 7 else 0.0) for i, c in enumerate(concepts)]
    one = validate.correlate([(_results(w), _results(flat), "p")])
    e = next(e for e in one if e["method"] == "a")
    assert e["rho"] is not None and e["weak"] and "1 point(s)" in e["reason"]
    assert got[("kv_shift@target", "all methods")]["n"] == 16  # none left out
    assert a["where"] == "p" and "| p | `kv_shift@target` |" in validate.table(entries)


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
            },
            {
                "score": "kv_shift@target",
                "image_metric": "forget_acc",
                "method": "all methods",
                "rho": None,
                "ci_low": None,
                "ci_high": None,
                "n": 2,
                "where": "test",
                "weak": True,
            },
        ]
    }
    (dest / "results.json").write_text(json.dumps(results))
    html = (build_report([dest]) / "index.html").read_text()
    assert "uce (!)" in html and "uce: kv_shift@target vs image forget_acc" in html
    assert "scapre (!)" not in html  # the across-methods entry: one line per table, not per method
    tables = html.count("weight space, erase set")
    assert tables >= 1
    assert html.count("across methods: kv_shift@target vs image forget_acc: no rank") == tables
