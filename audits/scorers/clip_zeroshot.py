"""`clip_zeroshot`: open_clip zero-shot classification over the suite's label space.

Each label's text embedding is the normalised mean of its templates' embeddings (the open_clip
zero-shot recipe); an image's label is the argmax of cosine similarity. Labels are compared to a
case's concept exactly (`concept_labels`), never by substring.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from audits.errors import AuditError
from audits.scorers.base import ClipParams, ImageItem, ScoreOutput, Scorer
from audits.scorers.openclip_model import clip_needs, load_clip

DEFAULT_TEMPLATES = ("a photo of a {label}.",)


def fill(template: str, label: str) -> str:
    """The template with its `{label}` (or `{concept}`) placeholder replaced; no other braces."""
    return template.replace("{label}", label).replace("{concept}", label)


@dataclass(frozen=True)
class CLIPZeroShotParams(ClipParams):
    templates: tuple[str, ...] = ()
    label_templates: tuple[str, ...] = ()  # an older name of `templates`
    top_k: int = 1

    def validate(self) -> None:
        super().validate()
        self.only("top_k", (1,))


class CLIPZeroShot(Scorer):
    params_class = CLIPZeroShotParams
    kind = "clip_zeroshot"
    version = "clip_zeroshot/2"
    output = "label"

    def build(self) -> None:
        params = self.params
        self.labels = self.label_set()
        if not self.labels:
            raise AuditError(f"scorer '{self.spec.name}' needs label_space: concepts or labels")
        # `templates` or `label_templates` (both spellings appear in bundled suites); the typed
        # params refuse any top_k but 1
        self.templates = params.templates or params.label_templates or DEFAULT_TEMPLATES
        for t in self.templates:
            if "{label}" not in t and "{concept}" not in t:
                raise AuditError(
                    f"scorer '{self.spec.name}': template {t!r} has no {{label}} or {{concept}}"
                )
        self.clip = load_clip(self.params, self.context, self.spec.name)
        per_label = []
        for label in self.labels:
            feats = self.clip.text_features([fill(t, label) for t in self.templates])
            mean = feats.mean(0)
            per_label.append(mean / mean.norm().clamp_min(1e-12))
        self.label_features = torch.stack(per_label)

    @classmethod
    def weight_needs(cls, spec, context):
        return clip_needs(cls, spec, context)

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            **self.clip.identity,
            "label_space": self.spec.label_space,
            "labels": self.labels,
            "templates": list(self.templates),
            "decision": "argmax cosine over the label set (top-1)",
            "threshold": None,
        }

    def concept_labels(self) -> dict[str, str]:
        return {c: c for c in self.context.concepts if c in self.labels}

    def score(self, items: list[ImageItem]) -> ScoreOutput:
        feats = self.clip.image_features([i.image for i in items])
        sims = feats @ self.label_features.T
        probs = (100.0 * sims).softmax(dim=-1)
        records = []
        for row, p in zip(sims, probs, strict=True):
            k = int(row.argmax())
            records.append(
                {
                    "label": self.labels[k],
                    "cosine": round(float(row[k]), 6),
                    "p": round(float(p[k]), 6),
                }
            )
        return ScoreOutput(records)
