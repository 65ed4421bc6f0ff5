"""`resnet50_imagenet`: torchvision ResNet-50 ImageNet-1k top-1, matched by class index.

The label of an image is the index (as text) of its top-1 class; a concept's label is the index in
its `label_column` of concepts.csv, so recognition is an exact class-index match (ScaPre's
object_erase.py matched lowercase class-name substrings instead). params: `weights` (a
torchvision `ResNet50_Weights` name, default IMAGENET1K_V2; its preprocessing is used),
optional `checkpoint` (a local state-dict file used instead of torchvision's download), `top_k`
(only 1 is supported).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from audits.errors import AuditError
from audits.models.loading import module_sha256
from audits.scorers.base import ImageItem, ScoreOutput, Scorer, ScorerParams
from audits.scorers.openclip_model import local_path


@dataclass(frozen=True)
class ResNet50Params(ScorerParams):
    weights: str = "IMAGENET1K_V2"
    checkpoint: str | None = None
    top_k: int = 1
    match: str | None = None

    def validate(self) -> None:
        self.only("match", ("class_index",))
        self.only("top_k", (1,))


class ResNet50ImageNet(Scorer):
    params_class = ResNet50Params
    kind = "resnet50_imagenet"
    version = "resnet50_imagenet/1"
    output = "label"

    @classmethod
    def _weights(cls, spec):
        from torchvision.models import ResNet50_Weights

        name = cls.params_of(spec).weights
        try:
            return ResNet50_Weights[name]
        except KeyError as err:
            known = ", ".join(w.name for w in ResNet50_Weights)
            raise AuditError(
                f"scorer '{spec.name}': unknown weights {name!r}; use {known}"
            ) from err

    @classmethod
    def _need(cls, spec, context):
        from audits.evaluator_weights import local_file_need, torch_hub_need

        weights = cls._weights(spec)
        checkpoint = cls.params_of(spec).checkpoint
        if checkpoint:
            path = local_path(checkpoint, context.suite_root, f"scorer '{spec.name}': checkpoint")
            return local_file_need(f"ResNet-50 checkpoint {path.name}", path)
        return torch_hub_need(f"torchvision ResNet-50 {weights.name} weights", weights.url)

    @classmethod
    def weight_needs(cls, spec, context):
        from audits.evaluator_weights import ScorerNeeds

        try:
            return ScorerNeeds(needs=[cls._need(spec, context)])
        except AuditError as err:
            return ScorerNeeds(problems=[str(err)])

    def build(self) -> None:
        from torchvision.models import resnet50

        from audits.evaluator_weights import require

        who = self.spec.name  # top_k and match are checked by the typed params
        if self.spec.label_space != "imagenet-1k" or not self.spec.label_column:
            raise AuditError(f"scorer '{who}' needs label_space: imagenet-1k and a label_column")
        self.weights = self._weights(self.spec)
        self.checkpoint = self.params.checkpoint
        found = require(self._need(self.spec, self.context), self.context.weights_dir, who)
        self.model = resnet50(weights=None)
        state = torch.load(str(found.path), map_location="cpu", weights_only=True)
        self.model.load_state_dict(state)
        self.weights_file = found
        self.model.eval().to(self.context.device)
        # the weights' own inference transform (resize 232 bilinear, centre crop 224, ImageNet
        # mean/std for IMAGENET1K_V2), applied to the PIL image as torchvision documents it
        self.preprocess = self.weights.transforms()

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "architecture": "torchvision/resnet50",
            "weights_tag": None if self.checkpoint else self.weights.name,
            "weights_sha256": module_sha256(self.model),
            "weights_file": self.weights_file.record(),
            "weights_verified": self.weights_file.verified,
            "preprocessing": " ".join(repr(self.preprocess).split()),
            "label_space": "imagenet-1k",
            "label_column": self.spec.label_column,
            "decision": "top-1 class index; recognised when it equals the concept's index",
            "threshold": None,
        }

    def concept_labels(self) -> dict[str, str]:
        column = self.spec.label_column
        table = self.context.concept_label_columns
        return {c: str(int(labels[column])) for c, labels in table.items() if column in labels}

    @torch.no_grad()
    def score(self, items: list[ImageItem]) -> ScoreOutput:
        records = []
        for item in items:  # one at a time: a label never depends on its batch
            x = self.preprocess(item.image.convert("RGB")).unsqueeze(0).to(self.context.device)
            probs = self.model(x).float().softmax(-1)[0]
            k = int(probs.argmax())
            records.append({"label": str(k), "p": round(float(probs[k]), 6)})
        return ScoreOutput(records)
