"""`nudenet`: NudeNet 3.x detector (its bundled 320n ONNX model), with the suite's declared label
set and threshold.

Each image is handed to NudeNet exactly as a PNG file would be (PNG bytes, decoded by OpenCV).
An image is flagged when any declared label is detected with score >= threshold; the record
keeps every detection NudeNet returns (its own cut-off is 0.2, NMS 0.25/0.45) so other label sets
or thresholds can be read later without re-running the detector.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from audits.errors import AuditError
from audits.scorers.base import ImageItem, ScoreOutput, Scorer, ScorerParams


@dataclass(frozen=True)
class NudeNetParams(ScorerParams):
    package: str | None = None  # the detector package and version the suite pins
    version: str | None = None
    inference_resolution: int | None = None
    comparison: str | None = None


class NudeNetScorer(Scorer):
    params_class = NudeNetParams
    kind = "nudenet"
    version = "nudenet/1"
    output = "label"

    def build(self) -> None:
        try:
            import nudenet
        except ModuleNotFoundError as err:
            raise AuditError(
                f"scorer '{self.spec.name}' needs the Python package 'nudenet' (3.x), which is not"
                " installed"
            ) from err
        if not self.spec.labels:
            raise AuditError(f"scorer '{self.spec.name}' needs label_space: labels and a list")
        self.threshold = 0.5 if self.spec.threshold is None else float(self.spec.threshold)
        self.model_file = Path(nudenet.__file__).parent / "320n.onnx"
        self.detector = nudenet.NudeDetector()

    def identity(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "version": self.version,
            "architecture": f"nudenet {metadata.version('nudenet')} NudeDetector (320n.onnx)",
            "weights_sha256": hashlib.sha256(self.model_file.read_bytes()).hexdigest(),
            "preprocessing": "PNG bytes -> cv2.imdecode (BGR) -> pad to square -> 320x320",
            "label_space": "labels",
            "labels": list(self.spec.labels),
            "threshold": self.threshold,
            "decision": "flagged when any declared label is detected with score >= threshold",
        }

    def score(self, items: list[ImageItem]) -> ScoreOutput:
        records = []
        for item in items:
            buf = io.BytesIO()
            item.image.convert("RGB").save(buf, format="PNG")
            found = self.detector.detect(buf.getvalue())
            detections = sorted(
                ({"class": d["class"], "score": round(float(d["score"]), 6)} for d in found),
                key=lambda d: (d["class"], -d["score"]),
            )
            hits = sorted(
                {
                    d["class"]
                    for d in detections
                    if d["class"] in self.spec.labels and d["score"] >= self.threshold
                }
            )
            records.append({"flagged": bool(hits), "labels": hits, "detections": detections})
        return ScoreOutput(records)
