"""`fid` / `kid`: per-image features for Fréchet and kernel distances computed by torchmetrics.

The scorer stores each image's feature vector; the metrics (`fid_vs_base`, `kid`) hand stored
features to torchmetrics' FrechetInceptionDistance / KernelInceptionDistance. Features are
Inception-v3 pool3 (2048-d) when torchmetrics can build it (torch-fidelity installed and its
weights available); otherwise the declared fallback, open_clip image embeddings
(`params.fallback_features: clip`, with `model`/`pretrained`). The identity states which was used
and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from audits.errors import AuditError
from audits.scorers.base import ClipParams, ImageItem, ScoreOutput, Scorer
from audits.scorers.openclip_model import SCORE_GROUP


@dataclass(frozen=True)
class FIDParams(ClipParams):
    features: str = "inception-v3-pool3-2048"
    fallback_features: str | None = None
    reference: str = "base"


@dataclass(frozen=True)
class KIDParams(FIDParams):
    subsets: int = 100
    subset_size: int = 1000


class FIDScorer(Scorer):
    params_class = FIDParams
    kind = "fid"
    version = "fid-features/1"
    output = "features"

    def build(self) -> None:
        params = self.spec.params
        self.inception = None
        self.clip = None
        self.reason = ""
        wanted = params.get("features", "inception-v3-pool3-2048")
        if wanted.startswith("inception"):
            try:
                from torchmetrics.image.fid import NoTrainInceptionV3

                self.inception = NoTrainInceptionV3(
                    name="inception-v3-compat", features_list=["2048"]
                )
                self.inception.eval().to(self.context.device)
            except Exception as err:  # ModuleNotFoundError (torch-fidelity) or no weights offline
                self.reason = f"Inception-v3 unavailable ({type(err).__name__}: {err})"[:200]
        if self.inception is None:
            if not params.get("model"):
                raise AuditError(
                    f"scorer '{self.spec.name}': Inception-v3 features are unavailable here"
                    f" ({self.reason or wanted}) and no open_clip fallback is configured"
                    " (params.model / params.pretrained)"
                )
            from audits.scorers.openclip_model import load_clip

            ctx = self.context
            self.clip = load_clip(params, ctx.suite_root, ctx.device, self.spec.name)

    def identity(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "version": self.version}
        if self.inception is not None:
            out.update(
                features="inception-v3-pool3-2048 (torchmetrics NoTrainInceptionV3, FID weights)",
                preprocessing="uint8 RGB, resized to 299x299 inside the network",
                encode_group=SCORE_GROUP,
            )
        else:
            out.update(
                features="open_clip image embedding (L2-normalised)",
                fallback_reason=self.reason or "configured",
                **self.clip.identity,
            )
        return out

    @torch.no_grad()
    def score(self, items: list[ImageItem]) -> ScoreOutput:
        if self.inception is not None:
            rows = []
            for start in range(0, len(items), SCORE_GROUP):
                chunk = [
                    np.asarray(i.image.convert("RGB")) for i in items[start : start + SCORE_GROUP]
                ]
                x = torch.from_numpy(np.stack(chunk)).permute(0, 3, 1, 2)
                feats = self.inception(x.to(self.context.device))
                rows.append(feats.reshape(len(chunk), -1).double().cpu())
            feats = torch.cat(rows)
        else:
            feats = self.clip.image_features([i.image for i in items])
        return ScoreOutput([{} for _ in items], features=feats.double())


class KIDScorer(FIDScorer):
    params_class = KIDParams
    """Same features as `fid`; the kernel distance is computed by the `kid` metric."""

    kind = "kid"
    version = "kid-features/1"
