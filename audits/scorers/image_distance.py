"""`image_distance`: how far each edited image moved from the unedited model's image for the same
prompt and seed.

`params.distance`: `pixel-rmse` (root mean squared difference of RGB values scaled to [0, 1];
pixel space, the default), `pixel-l1` (alias `l1`: mean absolute difference, same scaling) or
`clip-cosine` (1 - cosine of open_clip image embeddings; feature space, needs `model` and
`pretrained`). The space is declared in the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from audits.errors import AuditError
from audits.scorers.base import ClipParams, ImageItem, ScoreOutput, Scorer

DISTANCES = ("pixel-rmse", "pixel-l1", "clip-cosine")
ALIASES = {"l1": "pixel-l1", "rmse": "pixel-rmse"}


@dataclass(frozen=True)
class ImageDistanceParams(ClipParams):
    distance: str = "pixel-rmse"
    net: str | None = None


class ImageDistance(Scorer):
    params_class = ImageDistanceParams
    kind = "image_distance"
    version = "image_distance/1"
    output = "scalar"
    needs_reference = True

    def build(self) -> None:
        asked = self.spec.params.get("distance", "pixel-rmse")
        self.distance = ALIASES.get(asked, asked)
        if self.distance not in DISTANCES:
            raise AuditError(
                f"scorer '{self.spec.name}': distance {self.distance!r} is not available"
                f" in this version; use one of {', '.join(DISTANCES)}"
            )
        self.clip = None
        if self.distance == "clip-cosine":
            from audits.scorers.openclip_model import load_clip

            ctx = self.context
            self.clip = load_clip(self.spec.params, ctx.suite_root, ctx.device, self.spec.name)

    def identity(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "version": self.version,
            "distance": self.distance,
        }
        if self.distance == "pixel-rmse":
            out["space"] = "pixel: RGB scaled to [0, 1], same size, RMSE over all values"
        elif self.distance == "pixel-l1":
            out["space"] = "pixel: RGB scaled to [0, 1], same size, mean absolute difference"
        else:
            out["space"] = "feature: 1 - cosine of open_clip image embeddings"
            out.update(self.clip.identity)
        out["reference"] = "the unedited model (method none), same prompt and seed"
        return out

    def score(self, items: list[ImageItem]) -> ScoreOutput:
        if self.clip is not None:
            a = self.clip.image_features([i.image for i in items])
            b = self.clip.image_features([i.reference for i in items])
            values = (1 - (a * b).sum(-1)).tolist()
        else:
            values = [_pixel(i.image, i.reference, self.distance) for i in items]
        return ScoreOutput([{"value": round(float(v), 8)} for v in values])


def _pixel(image, reference, distance: str) -> float:
    a = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    b = np.asarray(reference.convert("RGB"), dtype=np.float64) / 255.0
    if a.shape != b.shape:
        raise AuditError(f"image sizes differ: {a.shape} vs reference {b.shape}")
    if distance == "pixel-l1":
        return float(np.mean(np.abs(a - b)))
    return float(np.sqrt(np.mean((a - b) ** 2)))
