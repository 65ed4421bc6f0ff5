"""Metrics: numbers computed from saved score files, each declaring its definition version and
direction, with n, exclusions (with reasons) and a percentile bootstrap interval clustered by
prompt. Look them up by suite `kind` in `audits.registry.METRICS`.
"""

from audits.metrics.base import Metric, MetricInput, Observation, ResultRow

__all__ = ["Metric", "MetricInput", "Observation", "ResultRow"]
