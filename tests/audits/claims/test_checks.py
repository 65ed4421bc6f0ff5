"""Each claim function on hand-made results: both verdicts, the not-checkable paths, boundaries."""

from __future__ import annotations

import copy

import pytest

from audits.claims import check_claims
from audits.claims.capacity import capacity_claim, capacity_ratio_claim, method_capacity
from audits.claims.edit_time import edit_time_claim
from audits.claims.reproduce import compare_reported, reproduce_claims

CAPACITY = {
    "method": "scapre",
    "erase_sets": "sweep",
    "forget_metric": "forget_acc",
    "forget_max": 0.10,
    "quality": [{"metric": "clip_score", "max_drop": 1.0}, {"metric": "fid", "max": 20.0}],
    "claimed_concepts": 4,
    "claimed_ratio": 2.0,
}


def _row(metric, method, size, value, higher=False, ci=None, concept=None, kind=None):
    return {
        "metric": metric,
        "kind": kind or metric,
        "method": method,
        "erase_set": f"sweep@{size}" if isinstance(size, int) else size,
        "erase_set_size": size if isinstance(size, int) else 10,
        "concept": concept,
        "family": None,
        "group": None,
        "label": None,
        "value": value,
        "higher_is_better": higher,
        "n": 40,
        "ci_low": ci[0] if ci else None,
        "ci_high": ci[1] if ci else None,
    }


def _sweep(method, forget, clip, fid):
    """Rows of one method along sizes 1, 2, 4 (lists of values per size)."""
    rows = []
    for size, f, c, d in zip((1, 2, 4), forget, clip, fid, strict=True):
        rows += [
            _row("forget_acc", method, size, f, ci=(max(f - 0.05, 0), f + 0.05)),
            _row("clip_score", method, size, c, higher=True, ci=(c - 0.5, c + 0.5)),
            _row("fid", method, size, d),
        ]
    return rows


def results(scapre=None, uce=None, claims=None, reported=None):
    rows = _sweep("none", [0.9] * 3, [30.0] * 3, [0.0] * 3)
    rows += _sweep("scapre", *(scapre or ([0.0, 0.05, 0.1], [29.5, 29.2, 29.0], [5, 8, 12])))
    rows += _sweep("uce", *(uce or ([0.0, 0.0, 0.0], [29.5, 28.0, 25.0], [5, 30, 40])))
    return {
        "suite": {"profile": "clean", "claims": claims if claims is not None else {}},
        "methods": {"none": {}, "scapre": {}, "uce": {}},
        "metrics": rows,
        "reported": reported or [],
    }


def test_capacity_supported_at_the_threshold_boundary():
    # forget 0.10 == forget_max and clip drop 1.0 == max_drop at size 4: both pass (<=)
    res = results(scapre=([0.0, 0.05, 0.10], [29.5, 29.2, 29.0], [5, 8, 12]))
    claim = capacity_claim(res, CAPACITY)
    assert claim["verdict"] == "supported"
    got = claim["details"]["capacity"]
    assert got["capacity"] == 4 and got["censored"] and got["failed_at"] is None
    assert "forget_acc <= 0.1" in claim["definition"] and "at most 1 worse" in claim["definition"]


def test_capacity_not_supported_just_over_the_threshold():
    res = results(scapre=([0.0, 0.05, 0.1001], [29.5, 29.2, 29.0], [5, 8, 12]))
    claim = capacity_claim(res, CAPACITY)
    assert claim["verdict"] == "not supported"
    assert claim["details"]["capacity"]["capacity"] == 2
    assert claim["details"]["capacity"]["failed_at"] == 4


def test_quality_drop_uses_the_metric_direction():
    got = method_capacity(results(), CAPACITY, "uce")
    step2 = got["steps"][1]
    clip = step2["quality"][0]
    assert clip["base"] == 30.0 and clip["drop"] == pytest.approx(2.0) and clip["ok"] is False
    assert got["capacity"] == 1 and got["failed_at"] == 2


def test_first_failure_stops_the_ladder_even_if_a_larger_set_passes():
    res = results(scapre=([0.0, 0.5, 0.0], [29.5, 29.5, 29.5], [1, 1, 1]))
    assert method_capacity(res, CAPACITY, "scapre")["capacity"] == 1


def test_capacity_not_checkable_paths():
    assert capacity_claim(results(), None)["verdict"] == "not checkable"
    no_sweep = {**CAPACITY, "erase_sets": "ladder"}
    claim = capacity_claim(results(), no_sweep)
    assert claim["verdict"] == "not checkable" and "no 'ladder' sweep" in claim["details"]["reason"]
    # a ladder that passes everywhere but stops below the claimed count
    claim = capacity_claim(results(), {**CAPACITY, "claimed_concepts": 50})
    assert claim["verdict"] == "not checkable" and "stops at 4" in claim["details"]["reason"]
    # a missing value before any failure
    res = results()
    for r in res["metrics"]:
        if r["method"] == "scapre" and r["metric"] == "fid" and r["erase_set"] == "sweep@2":
            r["value"] = None
    claim = capacity_claim(res, CAPACITY)
    assert claim["verdict"] == "not checkable"
    assert claim["details"]["capacity"]["capacity"] is None


def test_ratio_supported_and_arithmetic():
    claim = capacity_ratio_claim(results(), CAPACITY)  # scapre 4 (censored), uce 1
    assert claim["details"]["ratio"] == pytest.approx(4.0)
    assert claim["details"]["best_baselines"] == ["uce"]
    assert claim["details"]["ratio_is_lower_bound"] is True
    assert claim["verdict"] == "supported"


def test_ratio_not_supported():
    res = results(uce=([0.0, 0.0, 0.5], [29.5, 29.5, 29.5], [5, 5, 5]))  # uce 2, scapre 4+
    claim = capacity_ratio_claim(res, {**CAPACITY, "claimed_ratio": 5.0})
    # 4+/2 = 2 or more: below 5, but ScaPre is censored -> cannot say it is not supported
    assert claim["verdict"] == "not checkable"
    res = results(
        scapre=([0.0, 0.0, 0.5], [29.5, 29.5, 29.5], [5, 5, 5]),
        uce=([0.0, 0.0, 0.5], [29.5, 29.5, 29.5], [5, 5, 5]),
    )
    claim = capacity_ratio_claim(res, CAPACITY)
    assert claim["details"]["ratio"] == 1.0 and claim["verdict"] == "not supported"  # a tie


def test_ratio_with_a_zero_baseline_is_a_lower_bound():
    res = results(uce=([0.5, 0.5, 0.5], [29.5, 29.5, 29.5], [5, 5, 5]))
    claim = capacity_ratio_claim(res, CAPACITY)
    assert claim["details"]["best_capacity"] == 0
    assert claim["details"]["ratio"] == 4.0 and claim["details"]["ratio_is_lower_bound"]
    assert claim["verdict"] == "supported"


def test_ratio_not_supported_when_scapre_forgets_nothing_within_the_limits():
    fail = ([0.5, 0.5, 0.5], [29.5, 29.5, 29.5], [5, 5, 5])
    claim = capacity_ratio_claim(results(scapre=fail, uce=fail), CAPACITY)
    assert claim["verdict"] == "not supported" and "0/0" in claim["measurement"]
    assert claim["details"]["ratio"] is None and "no sweep size" in claim["details"]["why"]


def test_ratio_not_checkable_when_nothing_is_there():
    claim = capacity_ratio_claim(results(), {**CAPACITY, "baselines": ["rece"]})
    assert claim["verdict"] == "not checkable"
    assert capacity_ratio_claim(results(), None)["verdict"] == "not checkable"


EDIT_TIME = {
    "method": "scapre",
    "concepts": 50,
    "reported_seconds": 120.0,
    "reported_gpu_hours": 1.5,
    "reported_hardware": "NVIDIA RTX A6000",
}


def _edit(method, k, seconds):
    return {
        "edit_id": f"{method}{k}",
        "method": method,
        "concepts": [f"c{i}" for i in range(k)],
        "timings_s": {"total_s": seconds - 0.01, "wall_s": seconds},
    }


def _manifest(device="cuda:0", gpu="NVIDIA H100 80GB HBM3"):
    hw = {"device": device, "cpu_threads": "16"} | ({"gpu": gpu} if gpu else {})
    return {"provenance": {"hardware": hw}}


def test_edit_time_on_a_gpu_both_directions():
    fast = edit_time_claim(
        [_edit("scapre", 50, 12.5), _edit("uce", 50, 1.0)], _manifest(), EDIT_TIME
    )
    assert fast["verdict"] == "supported"
    assert fast["details"]["seconds"] == 12.5
    assert fast["details"]["ratio_to_reported"] == pytest.approx(12.5 / 120)
    assert fast["details"]["ratio_to_gpu_hours"] == pytest.approx(12.5 / 5400)
    assert "NVIDIA H100" in fast["measurement"]
    slow = edit_time_claim([_edit("scapre", 50, 120.01)], _manifest(), EDIT_TIME)
    assert slow["verdict"] == "not supported"
    edge = edit_time_claim([_edit("scapre", 50, 120.0)], _manifest(), EDIT_TIME)
    assert edge["verdict"] == "supported"


def test_edit_time_not_checkable_on_cpu_or_without_a_50_concept_edit():
    cpu = edit_time_claim([_edit("scapre", 50, 3.0)], _manifest("cpu", None), EDIT_TIME)
    assert cpu["verdict"] == "not checkable" and cpu["details"]["seconds"] == 3.0
    assert "3.00 s" in cpu["measurement"] and "cpu" in cpu["details"]["reason"]
    assert "on cpu, 16 logical CPUs" in cpu["measurement"], cpu["measurement"]
    hw = {"device": "cpu", "cpu_threads": "2", "torch_threads": "1"}
    one = edit_time_claim([_edit("scapre", 50, 3.0)], {"provenance": {"hardware": hw}}, EDIT_TIME)
    assert "on cpu, 2 logical CPUs, torch on 1 thread(s)" in one["measurement"], one["measurement"]
    small = edit_time_claim([_edit("scapre", 8, 0.07)], _manifest(), EDIT_TIME)
    assert small["verdict"] == "not checkable"
    assert "largest: 8 concept(s)" in small["measurement"]
    assert edit_time_claim([], _manifest(), None)["verdict"] == "not checkable"


REPORTED = [
    {
        "profile": "clean",
        "table": "Table 1",
        "source": "paper, Table 1",
        "metric": "forget_acc",
        "method": "scapre",
        "concept": None,
        "value": 10.0,
        "unit": "percent",
    },
    {
        "profile": "clean",
        "table": "Table 1",
        "source": "paper, Table 1",
        "metric": "clip_score",
        "method": "scapre",
        "concept": None,
        "value": 31.0,
        "unit": "score",
    },
    {
        "profile": "clean",
        "table": "Table 1",
        "source": "paper, Table 1",
        "metric": "forget_acc",
        "method": "ESD",
        "concept": None,
        "value": 38.7,
        "unit": "percent",
    },
]


def _table_results(forget=0.08, clip=30.9):
    res = results(reported=copy.deepcopy(REPORTED), claims={"reproduce": {"erase_set": "all"}})
    res["metrics"] += [
        _row("forget_acc", "scapre", "all", forget, ci=(forget - 0.03, forget + 0.03)),
        _row("clip_score", "scapre", "all", clip, higher=True, ci=(clip - 0.2, clip + 0.2)),
    ]
    return res


def test_compare_converts_units_and_tests_the_interval():
    row = _row("forget_acc", "scapre", "all", 0.08, ci=(0.05, 0.11))
    comp = compare_reported(REPORTED[0], row)
    assert comp["measured"] == pytest.approx(8.0) and comp["difference"] == pytest.approx(-2.0)
    assert (comp["ci_low"], comp["ci_high"]) == (pytest.approx(5.0), pytest.approx(11.0))
    assert comp["inside"] is True
    boundary = compare_reported(
        REPORTED[0], _row("forget_acc", "scapre", "all", 0.08, ci=(0.05, 0.10))
    )
    assert boundary["inside"] is True  # the interval is closed
    no_ci = compare_reported(REPORTED[1], _row("clip_score", "scapre", "all", 30.0))
    assert no_ci["inside"] is None and no_ci["reason"] == "no measured interval"


def test_reproduce_table_verdicts():
    [table] = reproduce_claims(_table_results(), {"erase_set": "all"})
    assert table["id"] == "reproduce-table-1" and table["verdict"] == "supported"
    assert len(table["details"]["comparisons"]) == 2
    assert table["details"]["unmatched"] == [
        {"metric": "forget_acc", "method": "ESD", "concept": None, "reason": "no measured value"}
    ]
    [table] = reproduce_claims(_table_results(clip=29.0), {"erase_set": "all"})
    assert table["verdict"] == "not supported" and "1 of 2" in table["measurement"]


def test_reproduce_not_checkable_and_headline():
    [claim] = reproduce_claims(results(), None)
    assert claim["verdict"] == "not checkable"
    spec = {"erase_set": "all", "headline": {"metric": "forget_acc", "method": "scapre"}}
    table, head = reproduce_claims(_table_results(forget=0.20), spec)
    assert head["id"] == "headline" and head["verdict"] == "not supported"
    assert head["details"]["comparison"]["difference"] == pytest.approx(10.0)
    _, head = reproduce_claims(_table_results(), spec)
    assert head["verdict"] == "supported" and "10 percent" in head["claim"]


def test_check_claims_lists_every_claim_once_with_a_verdict():
    claims = check_claims(
        _table_results() | {"suite": {"profile": "clean", "claims": {"capacity": CAPACITY}}},
        [_edit("scapre", 4, 0.1)],
        _manifest("cpu", None),
    )
    ids = [c["id"] for c in claims]
    assert ids == ["capacity", "capacity-ratio", "edit-time", "reproduce-table-1"]
    for claim in claims:
        assert claim["verdict"] in ("supported", "not supported", "not checkable")
        assert claim["claim"] and claim["source"] and claim["definition"] and claim["measurement"]


def test_the_sweep_plot_is_deterministic_and_names_each_method():
    from audits.claims.plot import sweep_svg

    res = results(claims={"capacity": CAPACITY})
    svg = sweep_svg(res)
    assert svg == sweep_svg(copy.deepcopy(res))
    assert svg.startswith("<svg") and "scapre (capacity 4)" in svg and "uce (capacity 1)" in svg
    assert sweep_svg(results()) is None  # no capacity parameters


def test_importing_the_claims_package_does_not_import_torch():
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = str(Path(__file__).resolve().parents[3])
    code = "import sys, audits.claims, audits.claims.plot; print('torch' in sys.modules)"
    env = {**os.environ, "PYTHONPATH": repo}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


def test_check_claims_keeps_only_the_profiles_selection():
    res = results(claims={"capacity": CAPACITY})
    every = [c["id"] for c in check_claims(res, [], {})]
    assert every[:3] == ["capacity", "capacity-ratio", "edit-time"]
    res["suite"]["profiles"] = {"clean": {"claims": ["capacity"]}}
    assert [c["id"] for c in check_claims(res, [], {})] == ["capacity", "capacity-ratio"]
    res["suite"]["profiles"] = {"clean": {"claims": ["edit_time"]}}
    assert [c["id"] for c in check_claims(res, [], {})] == ["edit-time"]


def test_every_claim_of_the_saved_demo_run_gets_a_verdict():
    """The README's demo (saved whole in the report fixture) decides every claim it lists."""
    from pathlib import Path

    from runfmt.atomic import read_json

    demo = Path(__file__).parents[2] / "reports" / "data" / "toyworld-demo"
    claims = check_claims(read_json(demo / "results.json"), [], read_json(demo / "manifest.json"))
    assert [c["id"] for c in claims] == ["capacity", "capacity-ratio"]
    assert all(c["verdict"] != "not checkable" for c in claims), claims
