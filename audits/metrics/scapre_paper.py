"""Definitions from the ScaPre paper's tables, for its paper profiles.

`overall_acc`: Overall = 2(100 - A)P / ((100 - A) + P), A = unlearning accuracy and P = preserve
accuracy in percent (the harmonic mean of 100 - A and P), from two accuracy metrics of the suite
(`params.forget_metric`, `params.preserve_metric`).

`uq`: ScaPre's Unlearn & Quality score. Over the methods of one table (every method run on the same
erase set, the unedited model included), A = forget accuracy and C = CLIP score are each turned
into a z-score with the mean and population standard deviation over those methods, then squashed:
A~ = sigmoid((mean_A - A) / std_A), C~ = sigmoid((C - mean_C) / std_C), and
UQ = 100 * 2 A~ C~ / (A~ + C~).
This reproduces every UQ of the paper's Table 1 from its printed A and C but SPM's (a typo there,
research notes section 4.1). UQ therefore depends on which methods share the table: a run with
other methods gives other values, and the row's `extra.table_methods` says which were used.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from audits.errors import AuditError
from audits.metrics.accuracy import harmonic
from audits.metrics.base import (
    DerivedMetric,
    Metric,
    MetricInput,
    MetricParams,
    ResultRow,
    TableMetric,
)
from audits.metrics.bootstrap import LEVEL, REPLICATES, cluster_sums, percentile_interval, seed_for


@dataclass(frozen=True)
class OverallAccParams(MetricParams):
    forget_metric: str = ""
    preserve_metric: str = ""


@dataclass(frozen=True)
class UQParams(MetricParams):
    forget_metric: str = ""
    quality_metric: str = ""
    normalise_over: str = "methods_in_table"
    std: str = "population"

    def validate(self) -> None:
        if self.normalise_over != "methods_in_table":
            raise self.fail("normalise_over", "normalise_over must be methods_in_table")
        if self.std != "population":
            raise self.fail("std", "std must be population (the paper's choice)")


class OverallAcc(DerivedMetric):
    params_class = OverallAccParams
    kind = "overall_acc"
    definition_version = "overall_acc/scapre-1"
    higher_is_better = True
    parts = ("forget_metric", "preserve_metric")
    definition = (
        "ScaPre Overall, in percent: 2(100 - A)P / ((100 - A) + P) with A = the forget metric "
        "and P = the preserve metric (both in percent); the interval resamples the prompts of "
        "both parts independently"
    )

    def compute_derived(self, name, parts) -> list[ResultRow]:
        f_metric, f_data = parts["forget_metric"]
        p_metric, p_data = parts["preserve_metric"]
        forget, ex_f = f_metric.per_image(f_data)
        keep, ex_p = p_metric.per_image(p_data)
        seed = seed_for(name, f_data.method, f_data.erase_set, None, None, None)
        excluded = Counter()
        for reason, count in {**ex_f}.items():
            excluded[f"forget part: {reason}"] += count
        for reason, count in {**ex_p}.items():
            excluded[f"preserve part: {reason}"] += count
        n = len(forget) + len(keep)
        if not forget or not keep:
            return [ResultRow(None, n, exclusions=dict(excluded), ci_seed=seed)]
        a = sum(v for _, v in forget) / len(forget)
        p = sum(v for _, v in keep) / len(keep)
        samples = [
            ([o.cluster for o, _ in forget], [v for _, v in forget]),
            ([o.cluster for o, _ in keep], [v for _, v in keep]),
        ]
        ci = percentile_interval(samples, lambda x, y: 100 * harmonic(x, y), seed=seed)
        extra = {"A_percent": 100 * a, "P_percent": 100 * p}
        value = float(100 * harmonic(a, p))
        return [ResultRow(value, n, None, None, dict(excluded), ci, seed, extra)]


def part_values(metric: Metric, data: MetricInput):
    """(kept (observation, value) pairs, exclusion counts) of a part metric: recognised 1/0 for an
    accuracy, the score for a scalar metric such as `clip_score`."""
    if hasattr(metric, "per_image"):
        return metric.per_image(data)
    if metric.kind == "clip_score":
        from audits.metrics.quality import scalar_values

        return scalar_values(data)
    raise AuditError(f"metric '{data.name}' ({metric.kind}) cannot be a part of uq")


def uq_scores(a: np.ndarray, c: np.ndarray) -> np.ndarray:
    """UQ of every method (last axis) from forget accuracies `a` and CLIP scores `c`; NaN where a
    standard deviation over the methods is 0 (all methods equal: nothing to normalise)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        za = (a.mean(axis=-1, keepdims=True) - a) / a.std(axis=-1, keepdims=True)
        zc = (c - c.mean(axis=-1, keepdims=True)) / c.std(axis=-1, keepdims=True)
        at, ct = 1 / (1 + np.exp(-za)), 1 / (1 + np.exp(-zc))
        return 100 * 2 * at * ct / (at + ct)


def _replicates(samples: Sequence[list], rng: np.random.Generator, b: int) -> np.ndarray:
    """[b, methods] pooled means when the prompts (shared by every method of a table) are
    resampled once per replicate and the same draw is applied to every method (paired)."""
    clusters = sorted({c for s in samples for c, _ in s}, key=repr)
    order = {c: i for i, c in enumerate(clusters)}
    idx = rng.integers(0, len(clusters), size=(b, len(clusters)))
    out = np.empty((b, len(samples)))
    for j, sample in enumerate(samples):
        ids = [order[c] for c, _ in sample]
        sums, counts = cluster_sums(ids, [v for _, v in sample])
        full_s, full_c = np.zeros(len(clusters)), np.zeros(len(clusters))
        seen = list(dict.fromkeys(ids))
        full_s[seen], full_c[seen] = sums, counts
        with np.errstate(divide="ignore", invalid="ignore"):
            out[:, j] = full_s[idx].sum(axis=1) / full_c[idx].sum(axis=1)
    return out


class UQ(TableMetric):
    kind = "uq"
    params_class = UQParams
    definition_version = "uq/scapre-1"
    higher_is_better = True
    parts = ("forget_metric", "quality_metric")
    definition = (
        "ScaPre UQ: 100 * 2 A~ C~ / (A~ + C~), A~ = sigmoid((mean_A - A) / std_A), "
        "C~ = sigmoid((C - mean_C) / std_C), A = the forget metric, C = the quality (CLIP score) "
        "metric; mean and population std over every method of the table (same erase set, the "
        "unedited model included); the interval resamples prompts, the same draw for every method"
    )

    def compute_table(self, name, table, params) -> dict[str, list[ResultRow]]:
        self.check_params(name, params)
        methods = sorted(table)
        first = next(iter(table.values()))
        erase_set = first["forget_metric"][1].erase_set
        forget, quality, excluded = [], [], {}
        for method in methods:
            (fm, fd), (qm, qd) = table[method]["forget_metric"], table[method]["quality_metric"]
            f, ex_f = part_values(fm, fd)
            q, ex_q = part_values(qm, qd)
            forget.append([(o.cluster, v) for o, v in f])
            quality.append([(o.cluster, v) for o, v in q])
            ex = Counter({f"forget part: {k}": v for k, v in ex_f.items()})
            ex.update({f"quality part: {k}": v for k, v in ex_q.items()})
            excluded[method] = dict(ex)
        seed = seed_for(name, "table", erase_set)
        empty = [m for m, f, q in zip(methods, forget, quality, strict=True) if not f or not q]
        if empty or len(methods) < 2:
            reason = (
                "fewer than two methods in the table"
                if len(methods) < 2
                else (f"no images for {', '.join(empty)}")
            )
            return {
                m: [
                    ResultRow(
                        None,
                        len(f) + len(q),
                        exclusions=excluded[m],
                        ci_seed=seed,
                        extra={"not_computed": reason, "table_methods": methods},
                    )
                ]
                for m, f, q in zip(methods, forget, quality, strict=True)
            }
        a = np.array([sum(v for _, v in s) / len(s) for s in forget])
        c = np.array([sum(v for _, v in s) / len(s) for s in quality])
        values = uq_scores(a, c)
        streams = np.random.SeedSequence(seed).spawn(2)
        reps = uq_scores(
            _replicates(forget, np.random.default_rng(streams[0]), REPLICATES),
            _replicates(quality, np.random.default_rng(streams[1]), REPLICATES),
        )
        single = any(len({cl for cl, _ in s}) < 2 for s in forget + quality)
        alpha = (1 - LEVEL) / 2
        norm = {
            "mean_A": float(a.mean()),
            "std_A": float(a.std()),
            "mean_C": float(c.mean()),
            "std_C": float(c.std()),
        }
        out: dict[str, list[ResultRow]] = {}
        for j, method in enumerate(methods):
            value = None if np.isnan(values[j]) else float(values[j])
            col = reps[:, j][~np.isnan(reps[:, j])]
            ci = None
            if value is not None and not single and len(col):
                low, high = np.percentile(col, [100 * alpha, 100 * (1 - alpha)])
                ci = (float(low), float(high))
            extra = {"A": float(a[j]), "C": float(c[j]), **norm, "table_methods": methods}
            if value is None:
                extra["not_computed"] = "every method has the same A or C (std 0)"
            n = len(forget[j]) + len(quality[j])
            out[method] = [ResultRow(value, n, None, None, excluded[method], ci, seed, extra)]
        return out
