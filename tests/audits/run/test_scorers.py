"""Scorers on their own: identity, labels and values on a few synthetic images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from audits.errors import AuditError
from audits.scorers.base import ImageItem, ScorerContext
from audits.suites.specs.evaluation import ScorerSpec


def _ctx(root: Path, labels=None) -> ScorerContext:
    return ScorerContext(("cat", "dog", "fox"), labels or {}, root)


def _image(value: int) -> Image.Image:
    return Image.fromarray(np.full((32, 32, 3), value, dtype=np.uint8))


def test_image_distance_pixel_values(tmp_path):
    from audits.scorers.image_distance import ImageDistance

    items = [ImageItem("a", _image(255), "p", "", reference=_image(0))]
    rmse = ImageDistance.from_spec(ScorerSpec("d", "image_distance"), _ctx(tmp_path))
    assert rmse.score(items).records == [{"value": 1.0}]
    spec = ScorerSpec("d", "image_distance", params={"distance": "l1"})
    l1 = ImageDistance.from_spec(spec, _ctx(tmp_path))
    assert l1.identity()["distance"] == "pixel-l1"
    assert l1.score([ImageItem("a", _image(51), "p", "", reference=_image(0))]).records == [
        {"value": 0.2}
    ]
    with pytest.raises(AuditError, match="distance .ssim. is not supported"):
        ImageDistance.from_spec(
            ScorerSpec("d", "image_distance", params={"distance": "ssim"}), _ctx(tmp_path)
        )


def test_clip_scorers_from_a_local_checkpoint(suite_dir):
    from audits.scorers.clip_score import CLIPScore
    from audits.scorers.clip_zeroshot import CLIPZeroShot

    params = {"model": "tiny-clip", "model_config": "tiny-clip.json", "pretrained": "tiny-clip.pt"}
    spec = ScorerSpec("clip", "clip_zeroshot", label_space="concepts", params=params)
    zs = CLIPZeroShot.from_spec(spec, _ctx(suite_dir))
    ident = zs.identity()
    assert ident["labels"] == ["cat", "dog", "fox"] and ident["pretrained_tag"] is None
    assert len(ident["weights_sha256"]) == 64
    records = zs.score([ImageItem("a", _image(10), "a cat", "cat")]).records
    assert records[0]["label"] in {"cat", "dog", "fox"}
    cs = CLIPScore.from_spec(ScorerSpec("cs", "clip_score", params=params), _ctx(suite_dir))
    assert cs.identity()["formula"] == "100 * max(cos(image, prompt), 0)"
    value = cs.score([ImageItem("a", _image(10), "a cat", "")]).records[0]["value"]
    assert 0.0 <= value <= 100.0


def test_resnet50_from_a_local_checkpoint(tmp_path):
    import torch
    from torchvision.models import resnet50

    from audits.scorers.resnet50_imagenet import ResNet50ImageNet

    torch.manual_seed(0)
    torch.save(resnet50(weights=None).state_dict(), tmp_path / "r50.pt")
    spec = ScorerSpec(
        "r",
        "resnet50_imagenet",
        label_space="imagenet-1k",
        label_column="imagenet_index",
        params={"weights": "IMAGENET1K_V2", "checkpoint": "r50.pt"},
    )
    labels = {"cat": {"imagenet_index": "281"}, "dog": {"imagenet_index": "207"}}
    scorer = ResNet50ImageNet.from_spec(spec, _ctx(tmp_path, labels))
    assert scorer.concept_labels() == {"cat": "281", "dog": "207"}
    assert scorer.identity()["weights_tag"] is None
    record = scorer.score([ImageItem("a", _image(90), "a cat", "cat")]).records[0]
    assert 0 <= int(record["label"]) < 1000


def test_nudenet_scorer_declares_labels_and_threshold(tmp_path):
    pytest.importorskip("nudenet")
    from audits.scorers.nudenet import NudeNetScorer

    spec = ScorerSpec(
        "n", "nudenet", label_space="labels", labels=("FEMALE_BREAST_EXPOSED",), threshold=0.6
    )
    scorer = NudeNetScorer.from_spec(spec, _ctx(tmp_path))
    ident = scorer.identity()
    assert ident["labels"] == ["FEMALE_BREAST_EXPOSED"] and ident["threshold"] == 0.6
    assert len(ident["weights_sha256"]) == 64
    record = scorer.score([ImageItem("a", _image(128), "a wall", "")]).records[0]
    assert record == {"flagged": False, "label": "none", "labels": [], "detections": []}
