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


class ResNet50ImageNet(Scorer):
    params_class = ResNet50Params
    kind = "resnet50_imagenet"
    version = "resnet50_imagenet/1"
    output = "label"

    def build(self) -> None:
        from torchvision.models import ResNet50_Weights, resnet50

        params, who = self.spec.params, self.spec.name
        if int(params.get("top_k", 1)) != 1:
            raise AuditError(f"scorer '{who}': only top_k: 1 is supported in this version")
        if self.spec.label_space != "imagenet-1k" or not self.spec.label_column:
            raise AuditError(f"scorer '{who}' needs label_space: imagenet-1k and a label_column")
        name = params.get("weights", "IMAGENET1K_V2")
        try:
            self.weights = ResNet50_Weights[name]
        except KeyError as err:
            known = ", ".join(w.name for w in ResNet50_Weights)
            raise AuditError(f"scorer '{who}': unknown weights {name!r}; use {known}") from err
        self.checkpoint = params.get("checkpoint")
        if self.checkpoint:
            path = local_path(
                self.checkpoint, self.context.suite_root, f"scorer '{who}': checkpoint"
            )
            self.model = resnet50(weights=None)
            self.model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
        else:
            try:
                self.model = resnet50(weights=self.weights)
            except Exception as err:  # offline without a cached download
                raise AuditError(
                    f"scorer '{who}': cannot get torchvision ResNet-50 {name} weights ({err});"
                    " put them in the torch hub cache or give params.checkpoint"
                ) from err
        self.model.eval().to(self.context.device)
        self.preprocess = self.weights.transforms()

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "architecture": "torchvision/resnet50",
            "weights_tag": None if self.checkpoint else self.weights.name,
            "weights_sha256": module_sha256(self.model),
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
