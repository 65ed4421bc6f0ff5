"""`clip_score`: image-prompt agreement, `scale * max(cos, 0)` (Hessel et al.; torchmetrics'
definition with scale 100 by default, so 0.30 cosine reads 30.0). The scale is part of the
identity and of every reported value's description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audits.scorers.base import ClipParams, ImageItem, ScoreOutput, Scorer
from audits.scorers.openclip_model import clip_needs, load_clip


@dataclass(frozen=True)
class CLIPScoreParams(ClipParams):
    scale: float = 100.0


class CLIPScore(Scorer):
    params_class = CLIPScoreParams
    kind = "clip_score"
    version = "clip_score/2"
    output = "scalar"

    def build(self) -> None:
        self.scale = float(self.params.scale)
        self.clip = load_clip(self.params, self.context, self.spec.name)

    @classmethod
    def weight_needs(cls, spec, context):
        return clip_needs(cls, spec, context)

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            **self.clip.identity,
            "formula": f"{self.scale:g} * max(cos(image, prompt), 0)",
            "scale": self.scale,
            "text": "the prompt the image was generated from",
        }

    def score(self, items: list[ImageItem]) -> ScoreOutput:
        image = self.clip.image_features([i.image for i in items])
        text = self.clip.text_features([i.prompt for i in items])
        cos = (image * text).sum(-1)
        values = (self.scale * cos.clamp_min(0)).tolist()
        pairs = zip(values, cos.tolist(), strict=True)
        return ScoreOutput([{"value": round(v, 6), "cosine": round(c, 8)} for v, c in pairs])
