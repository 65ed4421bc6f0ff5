"""Scorers: evaluators that turn generated images into per-image records (a label, a number or a
feature vector), each declaring its identity (architecture, weights hash, preprocessing, label set,
threshold). Look them up by suite `kind` in `audits.registry.SCORERS`.
"""

from audits.scorers.base import ImageItem, ScoreOutput, Scorer, ScorerContext

__all__ = ["ImageItem", "ScoreOutput", "Scorer", "ScorerContext"]
