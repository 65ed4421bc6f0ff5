"""The summary in words follows from the numbers by fixed rules (reports/summary.py)."""

from __future__ import annotations

from pathlib import Path

from reports.summary import overlap, summarize
from runfmt import Run


def row(metric, kind, method, es, value, lo, hi, **extra):
    return {
        "metric": metric,
        "kind": kind,
        "method": method,
        "erase_set": es,
        "value": value,
        "ci_low": lo,
        "ci_high": hi,
        "n": 16,
        "higher_is_better": kind != "forget_acc",
        **extra,
    }


def make_run(metrics) -> Run:
    groups = [
        {
            "method": m,
            "erase_set": "pair",
            "erase_set_size": 2,
            "concepts": ["red circle", "red cross"],
            "edit_id": f"{i:016x}",
        }
        for i, m in enumerate(["none", "scapre", "scapre-preserve", "uce"])
    ]
    plan = {"edits": [], "groups": groups, "probes": {}}
    return Run.from_data(Path("."), {"metrics": metrics, "reference_method": "none"}, plan)


RUN = make_run(
    [
        row("forget_acc", "forget_acc", "none", "pair", 1.0, 1.0, 1.0),
        row("forget_acc", "forget_acc", "scapre", "pair", 1.0, 1.0, 1.0),
        row("forget_acc", "forget_acc", "scapre-preserve", "pair", 0.5, 0.25, 0.75),
        row("forget_acc", "forget_acc", "uce", "pair", 0.0, 0.0, 0.0),
        row("neighbor_acc", "neighbor_acc", "none", "pair", 0.99, 0.96, 1.0),
        row("neighbor_acc", "neighbor_acc", "scapre", "pair", 0.97, 0.93, 1.0),
        row("neighbor_acc", "neighbor_acc", "scapre-preserve", "pair", 0.98, 0.95, 1.0),
        row("neighbor_acc", "neighbor_acc", "uce", "pair", 0.39, 0.25, 0.54),
        row(
            "attack_success_rate",
            "attack_success_rate",
            "uce",
            "pair",
            1.0,
            1.0,
            1.0,
            attack={"name": "recover", "tier": 1},
        ),
        row(
            "attack_success_rate",
            "attack_success_rate",
            "scapre",
            "pair",
            1.0,
            1.0,
            1.0,
            attack={"name": "recover", "tier": 1},
        ),
    ]
)


def test_one_sentence_per_method_with_numbers_and_intervals():
    s = summarize(RUN)
    assert [m for m, _ in s.method_of] == ["scapre", "scapre-preserve", "uce"]
    scapre, preserve, uce = s.sentences
    assert scapre.startswith("scapre on pair did not remove red circle and red cross")
    assert "forget_acc 100.0% [100.0, 100.0] against 100.0% [100.0, 100.0] unedited" in scapre
    assert "kept the neighbours" in scapre and "nothing was removed to bring back" in scapre
    assert preserve.startswith("scapre-preserve on pair reduced (did not remove)")
    assert uce.startswith(
        "uce on pair removed red circle and red cross: forget_acc 0.0% [0.0, 0.0]"
    )
    assert (
        "damaged the neighbours: neighbor_acc 39.0% [25.0, 54.0] against 99.0% [96.0, 100.0]" in uce
    )
    assert "60.0 points lost" in uce
    assert (
        "the attack recover brought red circle and red cross back in 100.0% [100.0, 100.0]" in uce
    )
    assert uce.endswith("where the unedited model draws them.")


def test_within_noise_lists_pairs_whose_intervals_overlap():
    s = summarize(RUN)
    assert "neighbor_acc of scapre and scapre-preserve on pair" in s.noise
    assert not any("uce" in n and "neighbor_acc" in n for n in s.noise)
    assert not any(n.startswith("forget_acc of scapre and uce") for n in s.noise)
    assert s.lines()[-1].startswith("Within noise (95% intervals overlap): ")
    assert overlap({"ci_low": 0, "ci_high": 0.5}, {"ci_low": 0.5, "ci_high": 1})
    assert not overlap({"ci_low": 0, "ci_high": 0.4}, {"ci_low": 0.5, "ci_high": 1})
    assert not overlap({"ci_low": None, "ci_high": None}, {"ci_low": 0, "ci_high": 1})


def test_attack_that_finds_nothing_and_runs_without_forget_metric():
    metrics = [dict(r) for r in RUN.metrics if not r.get("attack")] + [
        row(
            "attack_success_rate",
            "attack_success_rate",
            "uce",
            "pair",
            0.0,
            0.0,
            0.0,
            attack={"name": "ring-a-bell", "tier": 1},
        )
    ]
    uce = summarize(make_run(metrics)).sentences[-1]
    assert "the attack ring-a-bell brought nothing back (0.0% [0.0, 0.0])" in uce
    only_quality = [dict(r) for r in RUN.metrics if r.kind == "neighbor_acc"]
    assert summarize(make_run(only_quality)).lines() == []


def test_an_attack_scored_by_two_metrics_is_said_once_or_named_by_metric():
    """The toy world's clean profile scores the replay attack with attack_success_rate and its
    quick variant: the same images, the same value, one clause; different values name both."""
    base = [dict(r) for r in RUN.metrics if not r.get("attack")]

    def attack(metric, value, lo, hi):
        kind = "attack_success_rate"
        return row(metric, kind, "uce", "pair", value, lo, hi, attack={"name": "replay"})

    same = [attack("asr:replay", 0.0, 0.0, 0.0), attack("asr-quick:replay", 0.0, 0.0, 0.0)]
    uce = summarize(make_run(base + same)).sentences[-1]
    assert uce.count("the attack replay brought nothing back (0.0% [0.0, 0.0])") == 1, uce
    differ = [attack("asr:replay", 0.0, 0.0, 0.0), attack("asr-quick:replay", 0.5, 0.25, 0.75)]
    uce = summarize(make_run(base + differ)).sentences[-1]
    assert "the attack replay (asr) brought nothing back" in uce, uce
    assert "the attack replay (asr-quick) brought red circle and red cross back in 50.0%" in uce
