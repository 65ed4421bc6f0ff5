"""Load an open_clip model named in scorer params, offline, as the field computes it, and
fingerprint it.

params: `model` (architecture name), `pretrained` (an open_clip tag such as `openai`, or a local
checkpoint file; relative paths are read from the suite folder), optional `model_config` (a JSON
model config file for a custom architecture, registered with `open_clip.add_model_config`),
optional `quick_gelu: true` (build QuickGELU whatever the architecture's config says, for a local
checkpoint trained with it; by default QuickGELU is used when the tag, the pinned digest or the
architecture's config says so).

The weights file is found by `audits.evaluator_weights` (the `--weights-dir` folder, then the
caches a normal download fills), hashed and compared with its pinned digest, and then loaded
from that path, so what was checked is what runs. OpenAI's weights were trained with
QuickGELU: for them the model is built with QuickGELU (open_clip's
`create_model('ViT-L-14', pretrained='openai')` builds GELU and only warns). Activation,
preprocessing and the weights file's digest and verification status are in the identity.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from audits.errors import AuditError
from audits.evaluator_weights import Located, Need, local_file_need, open_clip_need, require
from audits.models.loading import module_sha256
from audits.scorers.base import ClipParams

SCORE_GROUP = 32  # images encoded together; part of every open_clip scorer's identity

# OpenAI CLIP preprocessing (open_clip's pretrained cfg for the OpenAI tags)
OPENAI_PREPROCESS = {
    "mean": (0.48145466, 0.4578275, 0.40821073),
    "std": (0.26862954, 0.26130258, 0.27577711),
    "interpolation": "bicubic",
    "resize_mode": "shortest",
}
# pinned weights whose training activation is QuickGELU (see audits.evaluator_weights.PINS)
QUICK_GELU_PINS = {
    "timm/vit_large_patch14_clip_224.openai/open_clip_model.safetensors",
    "openai/ViT-L-14.pt",
}
OPENAI_JIT_EXTRA_KEYS = ("input_resolution", "context_length", "vocab_size")


@dataclass
class ClipModel:
    model: Any
    preprocess: Any
    tokenizer: Any
    identity: dict[str, Any]

    @torch.no_grad()
    def image_features(self, images: list) -> torch.Tensor:
        """L2-normalised image embeddings [N, D] in float32, computed in fixed groups of
        SCORE_GROUP images of the score unit, so a value never depends on `--batch-size`."""
        device = next(self.model.parameters()).device
        out = []
        for start in range(0, len(images), SCORE_GROUP):
            chunk = images[start : start + SCORE_GROUP]
            x = torch.stack([self.preprocess(i.convert("RGB")) for i in chunk]).to(device)
            out.append(self.model.encode_image(x).float().cpu())
        feats = torch.cat(out)
        return feats / feats.norm(dim=-1, keepdim=True).clamp_min(1e-12)

    @torch.no_grad()
    def text_features(self, texts: list[str]) -> torch.Tensor:
        """L2-normalised text embeddings [N, D], in the same fixed groups."""
        device = next(self.model.parameters()).device
        out = []
        for start in range(0, len(texts), SCORE_GROUP):
            tokens = self.tokenizer(texts[start : start + SCORE_GROUP]).to(device)
            out.append(self.model.encode_text(tokens).float().cpu())
        feats = torch.cat(out)
        return feats / feats.norm(dim=-1, keepdim=True).clamp_min(1e-12)


def local_path(value: str, root: Path, what: str) -> Path:
    """A user path: absolute as given; relative, found as `audits.suites.paths` says (the suite
    folder, the project root, the working directory)."""
    from audits.suites.paths import PROJECT_ROOT, find_path

    found = find_path(value, root)
    if found is not None:
        return found.resolve()
    raise AuditError(
        f"{what} {value} does not exist (looked in {root}, {PROJECT_ROOT} and {Path.cwd()})"
    )


def _is_file_ref(value: str) -> bool:
    return value.endswith((".pt", ".bin", ".pth", ".safetensors")) or "/" in value


def _tag_cfg(arch: str, tag: str) -> dict[str, Any]:
    """open_clip's pretrained cfg of (arch, tag), without importing open_clip for OpenAI's
    ViT-L-14 (the preflight stays light)."""
    base = arch.removesuffix("-quickgelu")
    if base == "ViT-L-14" and tag == "openai":
        return {
            "hf_hub": "timm/vit_large_patch14_clip_224.openai/",
            "quick_gelu": True,
            **OPENAI_PREPROCESS,
        }
    import open_clip

    cfg = open_clip.get_pretrained_cfg(arch, tag) or open_clip.get_pretrained_cfg(base, tag)
    if not cfg:
        known = ", ".join(open_clip.list_pretrained_tags_by_model(base)) or "none"
        raise AuditError(f"open_clip has no pretrained tag '{tag}' for {arch} (known: {known})")
    return dict(cfg)


@dataclass(frozen=True)
class ClipSetup:
    """A scorer's open_clip params resolved to what open_clip needs (no model built)."""

    arch: str  # the name shown in the identity
    config_name: str  # the name open_clip builds
    config_file: Path | None
    local_dir: Path | None
    tag: str | None
    need: Need | None
    quick_gelu: bool | None  # explicit param, else None


def clip_params(params: ClipParams, root: Path, who: str) -> ClipSetup:
    """Resolve a scorer's typed open_clip params (`quick_gelu` is checked by them); raise
    AuditError naming the scorer."""
    arch = params.model
    if not arch:
        raise AuditError(f"scorer '{who}' needs params.model (an open_clip architecture)")
    quick = params.quick_gelu
    pretrained = params.pretrained
    if arch.startswith("local-dir:"):
        folder = local_path(arch[len("local-dir:") :], root, f"scorer '{who}': open_clip folder")
        files = [folder / n for n in ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")]
        present = [f for f in files if f.is_file()] or files[:1]
        need = local_file_need(f"open_clip weights in {folder.name}", present[0])
        return ClipSetup(
            f"local-dir:{folder.name}", f"local-dir:{folder}", None, folder, None, need, quick
        )
    config_file = None
    config_name = arch
    if params.model_config:
        config_file = local_path(params.model_config, root, f"scorer '{who}': model_config")
        config_name = config_file.stem
    if not pretrained:
        return ClipSetup(arch, config_name, config_file, None, None, None, quick)
    pretrained = str(pretrained)
    if _is_file_ref(pretrained):
        path = local_path(pretrained, root, f"scorer '{who}': checkpoint")
        need = local_file_need(f"open_clip {arch} checkpoint {path.name}", path)
        return ClipSetup(arch, config_name, config_file, None, None, need, quick)
    cfg = _tag_cfg(arch, pretrained)
    need = open_clip_need(arch, pretrained, cfg.get("hf_hub", ""))
    return ClipSetup(arch, config_name, config_file, None, pretrained, need, quick)


def clip_weight_need(params: ClipParams, root: Path, who: str) -> Need | None:
    """The weights file an open_clip scorer needs (None for random init)."""
    return clip_params(params, root, who).need


def _activation(model) -> str:
    """The MLP activation the built model uses (QuickGELU, GELU, ...)."""
    for module in model.modules():
        name = type(module).__name__
        if name in ("QuickGELU", "GELU", "SiLU", "ReLU"):
            return name if name != "GELU" else f"GELU({getattr(module, 'approximate', 'none')})"
    return "unknown"


_LOADED: dict[tuple, ClipModel] = {}  # one copy per (config, file, activation, device)


def load_clip(params: ClipParams, ctx, who: str) -> ClipModel:
    """An open_clip model in eval mode with its preprocessing, tokenizer and identity.

    `model` may be an architecture name (with `pretrained` = tag or checkpoint file, and an
    optional `model_config` JSON) or `local-dir:<folder>` (open_clip's folder format with
    open_clip_config.json and weights; `pretrained` is then not used). Scorers of one run that
    name the same model and file share one loaded copy (a ViT-L/14 is 1.7 GB in fp32)."""
    p = clip_params(params, ctx.suite_root, who)
    found: Located | None = require(p.need, ctx.weights_dir, who) if p.need else None
    key = (
        p.config_name,
        str(p.config_file),
        found.sha256 if found else None,
        str(found.path) if found else None,
        p.quick_gelu,
        str(ctx.device),
    )
    if key not in _LOADED:
        _LOADED.clear()  # keep at most one model alive between different requests
        _LOADED[key] = _load_clip(p, found, ctx, who)
    shared = _LOADED[key]
    return ClipModel(shared.model, shared.preprocess, shared.tokenizer, dict(shared.identity))


def _load_clip(p: ClipSetup, found: Located | None, ctx, who: str) -> ClipModel:
    import open_clip

    if p.config_file is not None:
        open_clip.add_model_config(p.config_file)
    arch_config = None
    if p.local_dir is not None:
        cfg = p.local_dir / "open_clip_config.json"
        arch_config = json.loads(cfg.read_text()) if cfg.is_file() else None
    elif p.config_file is not None:
        arch_config = json.loads(p.config_file.read_text())
    pin = found.candidate.pin if found and found.candidate else None
    pinned_quick = bool(
        found
        and found.verified
        and (pin in QUICK_GELU_PINS or found.pin_matched in QUICK_GELU_PINS)
    )
    tag_cfg = _tag_cfg(p.arch, p.tag) if p.tag else {}
    quick = p.quick_gelu
    if quick is None:
        quick = (
            bool(tag_cfg.get("quick_gelu"))
            or pinned_quick
            or (
                found is not None
                and found.candidate is not None
                and found.candidate.fmt == "openai-jit"
            )
        )
    kwargs: dict[str, Any] = {"force_quick_gelu": quick}
    if tag_cfg or pinned_quick:
        pre = tag_cfg or OPENAI_PREPROCESS
        kwargs.update(
            image_mean=tuple(pre["mean"]),
            image_std=tuple(pre["std"]),
            image_interpolation=pre.get("interpolation", "bicubic"),
            image_resize_mode=pre.get("resize_mode", "shortest"),
        )
    try:
        if p.local_dir is not None:
            model, _, preprocess = open_clip.create_model_and_transforms(
                p.config_name, device="cpu", **({"force_quick_gelu": True} if quick else {})
            )
        else:
            model, _, preprocess = open_clip.create_model_and_transforms(
                p.config_name, pretrained=None, device="cpu", **kwargs
            )
            if found is not None:
                _load_weights(model, found)
        tokenizer = open_clip.get_tokenizer(p.config_name)
    except AuditError:
        raise
    except Exception as err:  # open_clip raises RuntimeError/ValueError/OSError variously
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise AuditError(f"scorer '{who}': cannot load open_clip {p.arch}: {first}") from err
    model.eval().to(ctx.device)
    identity = {
        "architecture": f"open_clip/{p.arch}",
        "architecture_config": arch_config,
        "pretrained_tag": p.tag,
        "activation": _activation(model),
        "weights_sha256": module_sha256(model),
        "weights_file": found.record() if found else None,
        "weights_verified": bool(found and found.verified),
        "preprocessing": " ".join(repr(preprocess).split()),
        "open_clip_version": open_clip.__version__,
        "encode_group": SCORE_GROUP,
    }
    return ClipModel(model, preprocess, tokenizer, identity)


def _is_torchscript(path: Path) -> bool:
    """A TorchScript archive (OpenAI's own CLIP files are), not a pickled state dict."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as archive:
        return any(n.endswith("/constants.pkl") for n in archive.namelist())


def _load_weights(model, found: Located) -> None:
    """Load the located file into the built model (strict: every tensor must match)."""
    from open_clip.factory import load_checkpoint

    assert found.path is not None and found.candidate is not None
    if found.candidate.fmt == "openai-jit" or _is_torchscript(found.path):
        # OpenAI's TorchScript archive (their clip package's ViT-L-14.pt): its tensors are
        # open_clip's names, plus three integers open_clip does not keep
        state = torch.jit.load(str(found.path), map_location="cpu").state_dict()
        for key in OPENAI_JIT_EXTRA_KEYS:
            state.pop(key, None)
        model.load_state_dict({k: v.float() for k, v in state.items()})
        return
    load_checkpoint(model, str(found.path))


def clip_needs(scorer, spec, ctx):
    """`Scorer.weight_needs` of an open_clip scorer class: its weights file, or the param
    problem."""
    from audits.evaluator_weights import ScorerNeeds

    try:
        need = clip_weight_need(scorer.params_of(spec), ctx.suite_root, spec.name)
    except AuditError as err:
        return ScorerNeeds(problems=[str(err)])
    return ScorerNeeds(needs=[need] if need else [])
