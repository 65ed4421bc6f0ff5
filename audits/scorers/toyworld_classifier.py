"""`toyworld_classifier`: the toy world's own supervised classifier (colour head x shape head).

Unlike a zero-shot CLIP, it was trained on the world's rendered ground truth, and its shape head
has a "none" class, so an image with no shape is labelled "no shape" instead of being forced onto
some concept. Labels are concept names ("red circle"), compared exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from audits.errors import AuditError
from audits.scorers.base import ImageItem, ScoreOutput, Scorer, ScorerParams

NO_SHAPE = "no shape"
NATIVE = 32  # the world's image size, the only one the classifier was trained on


@dataclass(frozen=True)
class ToyWorldClassifierParams(ScorerParams):
    weights: str | None = None


class ToyWorldClassifier(Scorer):
    params_class = ToyWorldClassifierParams
    kind = "toyworld_classifier"
    version = "toyworld_classifier/1"
    output = "label"

    @classmethod
    def _folder(cls, spec, context) -> Path:
        from audits.toyworld.paths import WEIGHTS_DIR

        folder = cls.params_of(spec).weights
        if folder is None:
            return WEIGHTS_DIR / "classifier"
        from audits.suites.paths import find_path

        return find_path(str(folder), context.suite_root) or Path(str(folder))

    @classmethod
    def weight_needs(cls, spec, context):
        from audits.evaluator_weights import ScorerNeeds, local_file_need

        path = cls._folder(spec, context) / "classifier.safetensors"
        return ScorerNeeds(needs=[local_file_need("toy-world classifier weights", path)])

    def build(self) -> None:
        from audits.evaluator_weights import local_file_need, locate
        from audits.models.loading import module_sha256
        from audits.toyworld.classifier import load_classifier

        path = self._folder(self.spec, self.context)
        found = locate(
            local_file_need("toy-world classifier weights", path / "classifier.safetensors"), None
        )
        if found.path is None:
            raise AuditError(f"scorer '{self.spec.name}': no classifier.safetensors in {path}")
        self.model = load_classifier(path)
        self.weights_sha256 = module_sha256(self.model)
        self.weights_file = found

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "architecture": "ToyClassifier (3 conv blocks, colour head 6, shape head 4 + none)",
            "weights_sha256": self.weights_sha256,
            "weights_file": self.weights_file.record(),
            "weights_verified": self.weights_file.verified,
            "preprocessing": (
                f"RGB uint8 -> [-1, 1] at its native {NATIVE}x{NATIVE} (other sizes resized by PIL"
                " bicubic first)"
            ),
            "labels": [*self.labels(), NO_SHAPE],
            "decision": "argmax of each head; shape 'none' -> 'no shape'",
            "threshold": None,
        }

    @staticmethod
    def labels() -> list[str]:
        from audits.toyworld.world import CONCEPTS

        return [c.name for c in CONCEPTS]

    def concept_labels(self) -> dict[str, str]:
        known = set(self.labels())
        return {c: c for c in self.context.concepts if c in known}

    @torch.no_grad()
    def score(self, items: list[ImageItem]) -> ScoreOutput:
        from audits.toyworld.classifier import predict

        records = []
        for item in items:  # one at a time: a label never depends on its batch
            image = item.image.convert("RGB")
            if image.size != (NATIVE, NATIVE):  # e.g. a run at --size 64
                from PIL import Image

                image = image.resize((NATIVE, NATIVE), Image.BICUBIC)
            (concept,) = predict(self.model, [image])
            records.append({"label": NO_SHAPE if concept is None else concept.name})
        return ScoreOutput(records)
