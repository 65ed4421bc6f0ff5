"""Definitions from the ScaPre paper's tables, for its paper profiles.

`overall_acc`: Overall = 2(100 - A)P / ((100 - A) + P), A = unlearning accuracy and P = preserve
accuracy in percent (the harmonic mean of 100 - A and P), from two accuracy metrics of the suite
(`params.forget_metric`, `params.preserve_metric`). ScaPre's UQ ("Unlearn & Quality") is declared
but not implemented: its exact normalisation is not published in the material available to us.
"""

from __future__ import annotations

from collections import Counter

from audits.metrics.accuracy import harmonic
from audits.metrics.base import DerivedMetric, ResultRow
from audits.metrics.bootstrap import percentile_interval, seed_for


class OverallAcc(DerivedMetric):
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
