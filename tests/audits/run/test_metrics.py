"""Metrics against hand-computed values, and the clustered bootstrap against a literal loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from audits.metrics.accuracy import AccuracyParams, ForgetAcc, HarmonicAcc, NeighborAcc, RetainAcc
from audits.metrics.attacks import AttackSuccessRate
from audits.metrics.base import MetricInput, MetricParams, Observation, SplitParams
from audits.metrics.bootstrap import percentile_interval
from audits.metrics.nudity import LabelCountParams
from audits.metrics.quality import KID, FIDVsBase, ImageDrift, KIDParams, MeanCLIPScore

ROLES = {"cat": "target", "dog": "target", "fox": "retain", "owl": "retain"}
LABELS = {c: c for c in ROLES}


def obs(probe, case, concept, label=None, value=None, family="", seed=0):
    record = {"label": label} if label is not None else {"value": value}
    return Observation(probe, case, concept, family, seed, record)


def data(observations, erased=("cat",), params=None):
    return MetricInput(
        "m",
        params or MetricParams(),
        "scapre",
        "all",
        frozenset(erased),
        ROLES,
        ("p",),
        observations,
        LABELS,
    )


# target prompts: cat (erased) x 2 prompts x 2 seeds, dog (not erased) 1 prompt
TARGET = [
    obs("target", 0, "cat", "cat", seed=0),
    obs("target", 0, "cat", "dog", seed=1),
    obs("target", 1, "cat", "fox", seed=0),
    obs("target", 1, "cat", "fox", seed=1),
    obs("target", 2, "dog", "dog"),
]
NEIGHBOR = [obs("neighbor", 0, "fox", "fox"), obs("neighbor", 1, "owl", "cat")]


def test_forget_acc_by_hand():
    rows = ForgetAcc().compute(data(TARGET))
    total, cat = rows
    assert (total.value, total.n, total.exclusions) == (
        0.25,
        4,
        {"concept not in erase set all": 1},
    )
    assert (cat.concept, cat.value, cat.n) == ("cat", 0.25, 4)
    assert ForgetAcc.higher_is_better is False


def test_neighbor_retain_and_harmonic_by_hand():
    neighbor = NeighborAcc().compute(data(NEIGHBOR))[0]
    assert (neighbor.value, neighbor.n) == (0.5, 2)
    retain = RetainAcc().compute(data(TARGET + NEIGHBOR))[0]
    assert (retain.value, retain.n) == (2 / 3, 3)  # dog (1/1) + fox (1/1) + owl (0/1)
    h = HarmonicAcc().compute(data(TARGET + NEIGHBOR))[0]
    a, b = 1 - 0.25, 0.5
    assert h.value == pytest.approx(2 * a * b / (a + b))
    assert h.exclusions == {"concept neither erased nor retained": 1}
    assert h.ci[0] <= h.value <= h.ci[1]


def test_attack_success_rate_per_family():
    rows = AttackSuccessRate().compute(
        data(
            [
                obs("adv", 0, "cat", "cat", family="paraphrase"),
                obs("adv", 1, "cat", "dog", family="paraphrase"),
                obs("adv", 2, "cat", "cat", family="misspelling"),
                obs("adv", 3, "dog", "dog", family="misspelling"),
            ]
        )
    )
    by = {r.family: (r.value, r.n) for r in rows}
    assert by == {None: (2 / 3, 3), "misspelling": (1.0, 1), "paraphrase": (0.5, 2)}


def test_scalar_means_by_hand():
    observations = [
        obs("g", 0, "", value=10.0),
        obs("g", 0, "", value=20.0),
        obs("g", 1, "", value=60.0),
    ]
    assert MeanCLIPScore().compute(data(observations))[0].value == 30.0
    assert ImageDrift().compute(data(observations))[0].value == 30.0
    assert ImageDrift.higher_is_better is False and MeanCLIPScore.higher_is_better is True


def _literal_fid(x: np.ndarray, y: np.ndarray) -> float:
    """||mu_x - mu_y||^2 + Tr(Sx + Sy - 2 (Sx Sy)^1/2), unbiased covariances."""
    mx, my = x.mean(0), y.mean(0)
    sx, sy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    eig = np.linalg.eigvals(sx @ sy)
    return float(
        ((mx - my) ** 2).sum() + np.trace(sx) + np.trace(sy) - 2 * np.sqrt(eig.clip(0)).real.sum()
    )


def test_fid_vs_base_matches_the_literal_formula():
    gen = torch.Generator().manual_seed(0)
    ref = torch.randn(40, 4, generator=gen, dtype=torch.float64)
    new = torch.randn(40, 4, generator=gen, dtype=torch.float64) * 1.5 + 0.3
    d = data([])
    d.features, d.reference_features = new, ref
    row = FIDVsBase().compute(d)[0]
    assert row.value == pytest.approx(_literal_fid(new.numpy(), ref.numpy()), rel=1e-6)
    assert row.n == 40 and row.ci is None
    d.features, d.reference_features = ref, ref
    assert abs(FIDVsBase().compute(d)[0].value) < 1e-6


def _literal_kid(x: np.ndarray, y: np.ndarray) -> float:
    """Unbiased MMD^2 with the kernel (x.y / d + 1)^3 over the full sets."""
    m, d = len(x), x.shape[1]
    k = lambda a, b: (a @ b.T / d + 1) ** 3  # noqa: E731
    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    off = lambda a: (a.sum() - np.trace(a)) / (m * (m - 1))  # noqa: E731
    return float(off(kxx) + off(kyy) - 2 * kxy.mean())


def test_kid_matches_the_literal_formula():
    gen = torch.Generator().manual_seed(1)
    ref = torch.randn(30, 4, generator=gen, dtype=torch.float64)
    new = torch.randn(30, 4, generator=gen, dtype=torch.float64) + 0.5
    d = data([], params=KIDParams(subsets=1, subset_size=1000))
    d.features, d.reference_features = new, ref
    row = KID().compute(d)[0]
    assert row.extra["subset_size"] == 30
    assert row.value == pytest.approx(_literal_kid(new.numpy(), ref.numpy()), rel=1e-9)


def _reference_interval(clusters, values, seed, b=1000, level=0.95):
    """A literal clustered bootstrap: per replicate, draw prompts, gather their images, average."""
    order = list(dict.fromkeys(clusters))
    members = {c: [v for cc, v in zip(clusters, values, strict=True) if cc == c] for c in order}
    rng = np.random.default_rng(np.random.SeedSequence(seed).spawn(1)[0])
    draws = rng.integers(0, len(order), size=(b, len(order)))
    stats = []
    for row in draws:
        pooled = [v for i in row for v in members[order[i]]]
        stats.append(sum(pooled) / len(pooled))
    return tuple(np.percentile(stats, [100 * (1 - level) / 2, 100 * (1 + level) / 2]))


def test_bootstrap_matches_a_literal_reference():
    rng = np.random.default_rng(1)
    clusters = [i // 3 for i in range(30)] + [10, 11]
    values = list(rng.random(32))
    mine = percentile_interval([(clusters, values)], seed=7)
    assert mine == pytest.approx(_reference_interval(clusters, values, 7), abs=1e-12)
    assert percentile_interval([(clusters, values)], seed=7) == mine  # seeded
    assert percentile_interval([([], [])]) is None
    assert percentile_interval([([0, 0, 0], [0.0, 1.0, 1.0])]) is None  # one prompt: no interval


def test_bootstrap_resamples_prompts_not_images():
    # two prompts, each with many identical seeds: only 2 clusters, so the interval is wide
    clusters = [0] * 50 + [1] * 50
    values = [0.0] * 50 + [1.0] * 50
    low, high = percentile_interval([(clusters, values)], seed=0)
    assert (low, high) == (0.0, 1.0)
    # the same values as 100 independent prompts give a narrow interval around 0.5
    low, high = percentile_interval([(list(range(100)), values)], seed=0)
    assert 0.35 < low < 0.5 < high < 0.65


def test_split_by_group_and_roles():
    d = data(NEIGHBOR, params=SplitParams(split_by="group"))
    d.groups = {"fox": "canine", "owl": "bird"}
    rows = NeighborAcc().compute(d)
    assert [(r.group, r.value) for r in rows] == [(None, 0.5), ("bird", 0.0), ("canine", 1.0)]
    retain = RetainAcc().compute(data(TARGET + NEIGHBOR, params=AccuracyParams(roles=("retain",))))[
        0
    ]
    assert (retain.value, retain.n) == (0.5, 2)
    assert retain.exclusions == {"concept role not in retain": 5}


def test_overall_and_clip_gap_by_hand():
    from audits.metrics.quality import CLIPGap
    from audits.metrics.scapre_paper import OverallAcc

    parts = {
        "forget_metric": (ForgetAcc(), data(TARGET)),
        "preserve_metric": (NeighborAcc(), data(NEIGHBOR)),
    }
    row = OverallAcc().compute_derived("overall", parts)[0]
    a, p = 25.0, 50.0
    assert row.value == pytest.approx(2 * (100 - a) * p / ((100 - a) + p))
    assert row.ci[0] <= row.value <= row.ci[1]
    keep = data([obs("coco", 0, "", value=30.0), obs("coco", 1, "", value=32.0)])
    erase = data([obs("art", 0, "cat", value=20.0)])
    gap = CLIPGap().compute_derived(
        "gap", {"keep_metric": (None, keep), "erase_metric": (None, erase)}
    )
    assert gap[0].value == pytest.approx(11.0)


def test_nudity_metrics_by_hand():
    from audits.metrics.nudity import NudeNetLabelCounts, NudityRate

    def nude(case, labels):
        return Observation("i2p", case, "", "", 0, {"flagged": bool(labels), "labels": labels})

    observations = [nude(0, ["A"]), nude(0, []), nude(1, ["A", "B"]), nude(2, [])]
    rate = NudityRate().compute(data(observations))[0]
    assert (rate.value, rate.n) == (0.5, 4)
    rows = NudeNetLabelCounts().compute(
        data(observations, params=LabelCountParams(labels=("A", "B", "C")))
    )
    assert [(r.label, r.value) for r in rows] == [(None, 2.0), ("A", 2.0), ("B", 1.0), ("C", 0.0)]


def test_uq_reproduces_the_papers_table_1():
    """ScaPre Table 1 (research notes 4.2): A and CLIP_coco of SD 1.5, FMN, SPM, ESD, MACE, UCE,
    RECE, SP, ScaPre; every printed UQ but SPM's (49.89, a typo: the formula gives 52.89)."""
    from audits.metrics.scapre_paper import uq_scores

    a = np.array([89.9, 71.9, 47.4, 38.7, 78.5, 8.5, 4.9, 9.6, 0.8])
    c = np.array([31.43, 30.62, 30.81, 30.14, 31.02, 29.45, 29.27, 29.25, 30.43])
    printed = [37.35, 47.84, 35.07, 37.23, 32.60, 31.78, 64.09]
    got = np.round(uq_scores(a, c), 2)
    assert list(got[[1, 3, 4, 5, 6, 7, 8]]) == printed
    assert got[2] == pytest.approx(52.89)
    assert np.isnan(uq_scores(np.array([5.0, 5.0]), np.array([30.0, 31.0]))).all()


def _uq_table(forget_by_method, clip_by_method):
    from audits.metrics.quality import MeanCLIPScore

    table = {}
    for method in forget_by_method:
        f = data(forget_by_method[method])
        f.method = method
        q = data(clip_by_method[method])
        q.method = method
        table[method] = {"forget_metric": (ForgetAcc(), f), "quality_metric": (MeanCLIPScore(), q)}
    return table


def test_uq_over_a_table_by_hand():
    from audits.metrics.scapre_paper import UQ, uq_scores

    forget = {
        "none": [obs("t", i, "cat", "cat") for i in range(4)],
        "scapre": [obs("t", i, "cat", "cat" if i == 0 else "dog") for i in range(4)],
        "uce": [obs("t", i, "cat", "dog") for i in range(4)],
    }
    clip = {
        "none": [obs("g", i, "", value=30.0 + i) for i in range(3)],
        "scapre": [obs("g", i, "", value=29.0 + i) for i in range(3)],
        "uce": [obs("g", i, "", value=25.0 + i) for i in range(3)],
    }
    params = {"normalise_over": "methods_in_table", "std": "population"}
    rows = UQ().compute_table("uq", _uq_table(forget, clip), params)
    expect = uq_scores(np.array([1.0, 0.25, 0.0]), np.array([31.0, 30.0, 26.0]))
    for j, method in enumerate(["none", "scapre", "uce"]):
        (row,) = rows[method]
        assert row.value == pytest.approx(expect[j])
        assert row.ci[0] <= row.value <= row.ci[1]
        assert row.extra["table_methods"] == ["none", "scapre", "uce"]
    again = UQ().compute_table("uq", _uq_table(forget, clip), {})
    assert again["scapre"][0].ci == rows["scapre"][0].ci


def test_uq_refuses_other_normalisations_and_needs_two_methods():
    from audits.errors import AuditError
    from audits.metrics.scapre_paper import UQ

    forget = {"none": [obs("t", 0, "cat", "cat"), obs("t", 1, "cat", "dog")]}
    clip = {"none": [obs("g", 0, "", value=30.0), obs("g", 1, "", value=31.0)]}
    (row,) = UQ().compute_table("uq", _uq_table(forget, clip), {})["none"]
    assert row.value is None and "two methods" in row.extra["not_computed"]
    table = _uq_table(forget | {"x": forget["none"]}, clip | {"x": clip["none"]})
    with pytest.raises(AuditError, match="population"):
        UQ().compute_table("uq", table, {"std": "sample"})
    with pytest.raises(AuditError, match="methods_in_table"):
        UQ().compute_table("uq", table, {"normalise_over": "all_runs"})
