"""The params each built-in scorer reads, checked when a suite is validated (no torch import), so
a param the code would ignore is refused instead: every declared param is honoured or refused.

Values with a fixed set of choices are checked here too; the rest (files, tags, packages) are
checked by the scorer's `weight_needs` before any model loads.
"""

from __future__ import annotations

from typing import Any

_CLIP = ("model", "pretrained", "model_config", "quick_gelu")
_FEATURES = ("inception-v3-pool3-2048", "open_clip", "clip-vit-l-14")

PARAMS: dict[str, tuple[str, ...]] = {
    "clip_score": (*_CLIP, "scale"),
    "clip_zeroshot": (*_CLIP, "templates", "label_templates", "top_k"),
    "fid": (*_CLIP, "features", "fallback_features", "reference"),
    "kid": (*_CLIP, "features", "fallback_features", "reference"),
    "image_distance": (*_CLIP, "distance", "net"),
    "nudenet": ("package", "version", "inference_resolution", "model_file", "comparison"),
    "resnet50_imagenet": ("weights", "checkpoint", "match", "top_k"),
    "toyworld_classifier": ("weights",),
}

CHOICES: dict[tuple[str, str], tuple[Any, ...]] = {
    ("fid", "features"): _FEATURES,
    ("fid", "fallback_features"): _FEATURES,
    ("kid", "features"): _FEATURES,
    ("kid", "fallback_features"): _FEATURES,
    ("fid", "reference"): ("base",),
    ("kid", "reference"): ("base",),
    ("image_distance", "distance"): (
        "lpips",
        "pixel-rmse",
        "pixel-l1",
        "l1",
        "rmse",
        "clip-cosine",
    ),
    ("image_distance", "net"): ("alex", "vgg", "squeeze"),
    ("nudenet", "package"): ("nudenet",),
    ("nudenet", "comparison"): ("greater_equal", "greater_than"),
    ("nudenet", "inference_resolution"): (320,),  # others need model_file (checked at load)
    ("resnet50_imagenet", "match"): ("class_index",),
    ("resnet50_imagenet", "top_k"): (1,),
    ("clip_zeroshot", "top_k"): (1,),
    ("clip_score", "quick_gelu"): (True,),
    ("clip_zeroshot", "quick_gelu"): (True,),
    ("fid", "quick_gelu"): (True,),
    ("kid", "quick_gelu"): (True,),
    ("image_distance", "quick_gelu"): (True,),
}


def param_problem(kind: str, params: dict[str, Any]) -> tuple[str, str] | None:
    """(param key, message) of the first param of a built-in scorer kind that the code would not
    honour; None when all are read (or the kind is not built in)."""
    allowed = PARAMS.get(kind)
    if allowed is None:
        return None
    for key, value in params.items():
        if key not in allowed:
            return key, (
                f"param '{key}' is not read by scorer kind {kind}; it reads: {', '.join(allowed)}"
            )
        choices = CHOICES.get((kind, key))
        if key == "inference_resolution" and params.get("model_file"):
            continue
        if choices is not None and value not in choices:
            shown = ", ".join(str(c) for c in choices)
            return key, f"{key}: {value!r} is not supported by scorer kind {kind} (use {shown})"
    return None
