"""The `toyworld_classifier` scorer: exact labels on rendered ground truth, "no shape" on blanks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audits.errors import AuditError
from audits.scorers.base import ImageItem, ScorerContext
from audits.suites.specs.evaluation import ScorerSpec
from audits.toyworld.render import render
from audits.toyworld.world import CONCEPTS

SUITE = Path(__file__).resolve().parents[3] / "suites" / "toyworld"


def _scorer(params=None):
    from audits.scorers.toyworld_classifier import ToyWorldClassifier

    ctx = ScorerContext(tuple(c.name for c in CONCEPTS), {}, SUITE)
    spec = ScorerSpec("classifier", "toyworld_classifier", params=params or {})
    return ToyWorldClassifier.from_spec(spec, ctx)


def test_labels_rendered_concepts_and_blank_images():
    scorer = _scorer()
    items = [
        ImageItem(f"{c.name}-{i}", Image.fromarray(render(c, 123, i)), c.prompt, c.name)
        for c in CONCEPTS
        for i in range(2)
    ]
    blank = Image.fromarray(np.full((32, 32, 3), 235, dtype=np.uint8))
    records = scorer.score([*items, ImageItem("blank", blank, "a", "")]).records
    labels = [r["label"] for r in records]
    assert labels[:-1] == [i.concept for i in items]
    assert labels[-1] == "no shape"
    assert scorer.concept_labels()["red circle"] == "red circle"
    ident = scorer.identity()
    assert ident["kind"] == "toyworld_classifier" and len(ident["weights_sha256"]) == 64
    # scored alone or in a list: the same label
    assert scorer.score(items[5:6]).records == records[5:6]


def test_a_missing_weights_folder_is_one_clear_error(tmp_path):
    with pytest.raises(AuditError, match="no classifier.safetensors"):
        _scorer({"weights": str(tmp_path)})


def test_other_sizes_are_judged_at_the_native_32_px():
    """A run at another size (e.g. --size 64) is resized to the classifier's 32 px first."""
    from PIL import Image as PILImage

    scorer = _scorer()
    concepts = list(CONCEPTS)[:6]
    big = [
        ImageItem(
            c.name,
            Image.fromarray(render(c, 7, 0)).resize((64, 64), PILImage.NEAREST),
            c.prompt,
            c.name,
        )
        for c in concepts
    ]
    assert [r["label"] for r in scorer.score(big).records] == [c.name for c in concepts]
    ident = scorer.identity()
    assert "native 32x32" in ident["preprocessing"] and ident["weights_verified"] is True
