"""`fid` / `kid`: per-image features for Fréchet and kernel distances computed by torchmetrics.

The scorer stores each image's feature vector; the metrics (`fid_vs_base`, `kid`) hand stored
features to torchmetrics' FrechetInceptionDistance / KernelInceptionDistance.

params:
- `features`: `inception-v3-pool3-2048` (the default: torchmetrics' NoTrainInceptionV3, which
  needs the `torch-fidelity` package, the `fid` extra, and its weights file
  weights-inception-2015-12-05-6726825d.pth found by `audits.evaluator_weights`), a named
  open_clip preset (`clip-vit-l-14`: ViT-L-14 with OpenAI's weights) or `open_clip` (the model in
  `params.model` / `params.pretrained`);
- `fallback_features`: what to use when the declared features cannot be computed here (same
  names). A fallback in use is a substitution: the identity's `substitution` says what was
  declared, what was used and why, so every row computed from it carries the mark.
  Without `fallback_features`, `params.model` (if given) is the fallback, as before.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from audits.errors import AuditError
from audits.scorers.base import ClipParams, ImageItem, ScoreOutput, Scorer
from audits.scorers.openclip_model import SCORE_GROUP

INCEPTION = "inception-v3-pool3-2048"
INCEPTION_URL = (
    "https://github.com/toshas/torch-fidelity/releases/download/v0.2.0/"
    "weights-inception-2015-12-05-6726825d.pth"
)
CLIP_PRESETS = {"clip-vit-l-14": {"model": "ViT-L-14", "pretrained": "openai"}}
FEATURES = (INCEPTION, "open_clip", *CLIP_PRESETS)


def _inception_need():
    from audits.evaluator_weights import torch_hub_need

    return torch_hub_need("FID Inception-v3 weights (torch-fidelity)", INCEPTION_URL)


def feature_plan(spec) -> tuple[str, str | None]:
    """(declared features, fallback or None); the typed params refuse unknown features."""
    params = params_of(spec)
    declared = params.features
    fallback = params.fallback_features
    if fallback is None and params.model and declared != "open_clip":
        fallback = "open_clip"
    if "open_clip" in (declared, fallback) and not params.model:
        raise AuditError(f"scorer '{spec.name}': features open_clip needs params.model")
    return declared, fallback


def params_of(spec) -> FIDParams:
    """The spec's typed params (FID's or KID's, by its kind)."""
    return (KIDScorer if spec.kind == "kid" else FIDScorer).params_of(spec)


def clip_params_for(features: str, params: ClipParams) -> ClipParams:
    """The open_clip model of `features`: a preset's, else the scorer's own params."""
    return ClipParams(**CLIP_PRESETS[features]) if features in CLIP_PRESETS else params


def inception_unavailable(root) -> str | None:
    """Why torchmetrics' Inception cannot be built here (None when it can)."""
    from audits.evaluator_weights import locate

    if importlib.util.find_spec("torch_fidelity") is None:
        return "the torch-fidelity package is not installed (pip install 'scapre-audit[fid]')"
    found = locate(_inception_need(), root)
    if found.path is None:
        return f"its weights are missing. {found.where_to_put(root)}"
    return None


@dataclass(frozen=True)
class FIDParams(ClipParams):
    features: str = "inception-v3-pool3-2048"
    fallback_features: str | None = None
    reference: str = "base"

    def validate(self) -> None:
        super().validate()
        self.only("features", FEATURES)
        self.only("fallback_features", FEATURES)
        self.only("reference", ("base",))


@dataclass(frozen=True)
class KIDParams(FIDParams):
    subsets: int = 100
    subset_size: int = 1000


class FIDScorer(Scorer):
    params_class = FIDParams
    kind = "fid"
    version = "fid-features/2"
    output = "features"

    @classmethod
    def weight_needs(cls, spec, context):
        from audits.evaluator_weights import ScorerNeeds
        from audits.scorers.openclip_model import clip_weight_need

        try:
            declared, fallback = feature_plan(spec)
        except AuditError as err:
            return ScorerNeeds(problems=[str(err)])
        used, reason = declared, None
        if declared == INCEPTION:
            reason = inception_unavailable(context.weights_dir)
            if reason is None:
                return ScorerNeeds(needs=[_inception_need()])
            if fallback is None:
                return ScorerNeeds(problems=[f"Inception-v3 features: {reason}"])
            used = fallback
        notes = [f"substitution: {declared} -> {used} ({reason})"] if reason else []
        try:
            need = clip_weight_need(
                clip_params_for(used, params_of(spec)), context.suite_root, spec.name
            )
        except AuditError as err:
            return ScorerNeeds(problems=[str(err)], notes=notes)
        return ScorerNeeds(needs=[need] if need else [], notes=notes)

    def build(self) -> None:
        from audits.evaluator_weights import require
        from audits.scorers.openclip_model import load_clip

        declared, fallback = feature_plan(self.spec)
        self.inception = None
        self.clip = None
        self.substitution: dict[str, str] | None = None
        self.used = declared
        ctx = self.context
        if declared == INCEPTION:
            reason = inception_unavailable(ctx.weights_dir)
            if reason is None:
                from torchmetrics.image.fid import NoTrainInceptionV3

                found = require(_inception_need(), ctx.weights_dir, self.spec.name)
                self.inception = NoTrainInceptionV3(
                    name="inception-v3-compat",
                    features_list=["2048"],
                    feature_extractor_weights_path=str(found.path),
                )
                self.inception.eval().to(ctx.device)
                self.inception_file = found
                return
            if fallback is None:
                raise AuditError(
                    f"scorer '{self.spec.name}': Inception-v3 features cannot be computed here:"
                    f" {reason}; or declare params.fallback_features"
                )
            self.used = fallback
            self.substitution = {"declared": declared, "used": fallback, "reason": reason}
        self.clip = load_clip(clip_params_for(self.used, self.params), ctx, self.spec.name)

    def identity(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "version": self.version}
        if self.inception is not None:
            from importlib import metadata

            from audits.models.loading import module_sha256

            out.update(
                features=f"{INCEPTION} (torchmetrics NoTrainInceptionV3, FID weights)",
                preprocessing="uint8 RGB, resized to 299x299 inside the network (antialias)",
                weights_sha256=module_sha256(self.inception),
                weights_file=self.inception_file.record(),
                weights_verified=self.inception_file.verified,
                torch_fidelity_version=metadata.version("torch-fidelity"),
                encode_group=SCORE_GROUP,
            )
        else:
            out.update(
                features=f"{self.used}: open_clip image embedding (L2-normalised)",
                **self.clip.identity,
            )
        out["substitution"] = self.substitution
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
    version = "kid-features/2"
