"""`image_distance`: how far each edited image moved from the unedited model's image for the same
prompt and seed.

`params.distance`:
- `lpips` (torchmetrics' LPIPS, `params.net`: alex (default), vgg or squeeze): the v0.1 linear
  heads shipped in the torchmetrics wheel on a torchvision ImageNet trunk whose file is found by
  `audits.evaluator_weights` and verified; images as RGB in [0, 1] (`normalize=True`), native
  resolution;
  the value torchmetrics' `LearnedPerceptualImagePatchSimilarity(net_type, normalize=True)`
  gives for the pair;
- `pixel-rmse` (root mean squared difference of RGB values scaled to [0, 1]; the default);
- `pixel-l1` (alias `l1`: mean absolute difference, same scaling);
- `clip-cosine` (1 - cosine of open_clip image embeddings; needs `model` and `pretrained`).
The space is declared in the identity.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from audits.errors import AuditError
from audits.scorers.base import ClipParams, ImageItem, ScoreOutput, Scorer

DISTANCES = ("lpips", "pixel-rmse", "pixel-l1", "clip-cosine")
ALIASES = {"l1": "pixel-l1", "rmse": "pixel-rmse"}
LPIPS_NETS = {  # LPIPS net -> torchvision trunk (the weights torchmetrics' LPIPS would download)
    "alex": ("alexnet", "AlexNet_Weights"),
    "vgg": ("vgg16", "VGG16_Weights"),
    "squeeze": ("squeezenet1_1", "SqueezeNet1_1_Weights"),
}
LPIPS_GROUP = 32  # pairs computed together (fixed, so a value never depends on --batch-size)


def distance_of(spec) -> str:
    """The spec's distance by its full name (the typed params refuse any other)."""
    asked = ImageDistance.params_of(spec).distance
    return ALIASES.get(asked, asked)


def net_of(spec) -> str:
    """The LPIPS trunk (default alex)."""
    return ImageDistance.params_of(spec).net or "alex"


def lpips_trunk_need(net: str):
    """The torchvision ImageNet trunk file LPIPS `net` is built on."""
    import torchvision.models as tvm

    from audits.evaluator_weights import torch_hub_need

    arch, weights_enum = LPIPS_NETS[net]
    weights = getattr(tvm, weights_enum).DEFAULT
    return torch_hub_need(
        f"torchvision {arch} {weights.name} weights (LPIPS {net} trunk)", weights.url
    )


def lpips_heads_need(net: str):
    """The LPIPS linear heads shipped inside the torchmetrics wheel."""
    import inspect
    from pathlib import Path

    from torchmetrics.functional.image import lpips as tm_lpips

    from audits.evaluator_weights import local_file_need

    path = Path(inspect.getfile(tm_lpips)).parent / "lpips_models" / f"{net}.pth"
    return local_file_need(
        f"LPIPS {net} v0.1 linear heads (torchmetrics wheel)",
        path,
        f"torchmetrics/lpips_models/{net}.pth",
    )


@dataclass(frozen=True)
class ImageDistanceParams(ClipParams):
    distance: str = "pixel-rmse"
    net: str | None = None

    def validate(self) -> None:
        super().validate()
        self.only("distance", (*DISTANCES, *ALIASES))
        self.only("net", tuple(LPIPS_NETS))


class ImageDistance(Scorer):
    params_class = ImageDistanceParams
    kind = "image_distance"
    version = "image_distance/1"
    output = "scalar"
    needs_reference = True

    @classmethod
    def weight_needs(cls, spec, context):
        from audits.evaluator_weights import ScorerNeeds

        try:
            distance = distance_of(spec)
        except AuditError as err:
            return ScorerNeeds(problems=[str(err)])
        if distance == "lpips":
            net = net_of(spec)
            return ScorerNeeds(needs=[lpips_trunk_need(net), lpips_heads_need(net)])
        if distance == "clip-cosine":
            from audits.scorers.openclip_model import clip_needs

            return clip_needs(cls, spec, context)
        return ScorerNeeds()

    def build(self) -> None:
        self.distance = distance_of(self.spec)
        self.clip = None
        self.lpips = None
        self.files: list[dict[str, Any]] = []
        if self.distance == "clip-cosine":
            from audits.scorers.openclip_model import load_clip

            self.clip = load_clip(self.params, self.context, self.spec.name)
        elif self.distance == "lpips":
            self._build_lpips()

    def _build_lpips(self) -> None:
        """torchmetrics' LPIPS network with its trunk loaded from the located, verified file
        (the same tensors torchvision would load from its download)."""
        import torchvision.models as tvm
        from torchmetrics.functional.image.lpips import _NoTrainLpips

        from audits.evaluator_weights import require

        self.net = net_of(self.spec)
        who, root = self.spec.name, self.context.weights_dir
        trunk = require(lpips_trunk_need(self.net), root, who)
        heads = require(lpips_heads_need(self.net), root, who)
        arch, _ = LPIPS_NETS[self.net]
        tv = getattr(tvm, arch)(weights=None)
        tv.load_state_dict(torch.load(str(trunk.path), map_location="cpu", weights_only=True))
        model = _NoTrainLpips(net=self.net, pnet_rand=True, model_path=str(heads.path))
        for block in model.net.children():  # the trunk's slices hold torchvision's feature layers
            for index, layer in block.named_children():
                layer.load_state_dict(tv.features[int(index)].state_dict())
        self.lpips = model.eval().to(self.context.device)
        self.files = [trunk.record(), heads.record()]
        self.verified = trunk.verified and heads.verified
        from audits.models.loading import module_sha256

        self.weights_sha256 = module_sha256(self.lpips)

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
        elif self.distance == "lpips":
            from importlib import metadata

            out.update(
                space=f"feature: LPIPS v0.1 ({self.net}), torchmetrics",
                net=self.net,
                preprocessing="RGB uint8 -> [0, 1] -> [-1, 1] (normalize=True), native resolution",
                torchmetrics_version=metadata.version("torchmetrics"),
                weights_sha256=self.weights_sha256,
                weights_files=self.files,
                weights_verified=self.verified,
                encode_group=LPIPS_GROUP,
            )
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
        elif self.lpips is not None:
            values = self._lpips_values(items)
        else:
            values = [_pixel(i.image, i.reference, self.distance) for i in items]
        return ScoreOutput([{"value": round(float(v), 8)} for v in values])

    @torch.no_grad()
    def _lpips_values(self, items: list[ImageItem]) -> list[float]:
        out: list[float] = []
        for start in range(0, len(items), LPIPS_GROUP):
            chunk = items[start : start + LPIPS_GROUP]
            a = torch.stack([_unit(i.image) for i in chunk])
            b = torch.stack([_unit(i.reference) for i in chunk])
            if a.shape != b.shape:
                raise AuditError(f"image sizes differ: {tuple(a.shape)} vs {tuple(b.shape)}")
            device = self.context.device
            values = self.lpips(a.to(device), b.to(device), normalize=True)
            out += values.reshape(len(chunk)).float().cpu().tolist()
        return out


def _unit(image) -> torch.Tensor:
    """RGB [3, H, W] float32 in [0, 1]."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def _pixel(image, reference, distance: str) -> float:
    a = np.asarray(image.convert("RGB"), dtype=np.float64) / 255.0
    b = np.asarray(reference.convert("RGB"), dtype=np.float64) / 255.0
    if a.shape != b.shape:
        raise AuditError(f"image sizes differ: {a.shape} vs reference {b.shape}")
    if distance == "pixel-l1":
        return float(np.mean(np.abs(a - b)))
    return float(np.sqrt(np.mean((a - b) ** 2)))
