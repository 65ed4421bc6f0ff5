"""Load an open_clip model named in scorer params, offline, and fingerprint it.

params: `model` (architecture name), `pretrained` (an open_clip tag such as `openai`, or a local
checkpoint file; relative paths are read from the suite folder), optional `model_config` (a JSON
model config file for a custom architecture, registered with `open_clip.add_model_config`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from audits.errors import AuditError
from audits.models.loading import module_sha256

SCORE_GROUP = 32  # images encoded together; part of every open_clip scorer's identity


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


def load_clip(params: dict[str, Any], root: Path, device: str, who: str) -> ClipModel:
    """An open_clip model in eval mode with its preprocessing and tokenizer, and its identity.

    `model` may be an architecture name (with `pretrained` = tag or checkpoint file, and an
    optional `model_config` JSON) or `local-dir:<folder>` (open_clip's folder format with
    open_clip_config.json and weights; `pretrained` is then not used)."""
    import open_clip

    arch = params.get("model")
    if not arch:
        raise AuditError(f"scorer '{who}' needs params.model (an open_clip architecture)")
    config_name, arch_config, source = arch, None, None
    pretrained = params.get("pretrained")
    if arch.startswith("local-dir:"):
        folder = local_path(arch[len("local-dir:") :], root, f"scorer '{who}': open_clip folder")
        config_name = f"local-dir:{folder}"
        cfg = folder / "open_clip_config.json"
        arch_config = json.loads(cfg.read_text()) if cfg.is_file() else None
        arch = f"local-dir:{folder.name}"
        pretrained = None
    elif params.get("model_config"):
        cfg_path = local_path(params["model_config"], root, f"scorer '{who}': model_config")
        open_clip.add_model_config(cfg_path)
        config_name = cfg_path.stem
        arch_config = json.loads(cfg_path.read_text())
    if pretrained:
        pretrained = str(pretrained)
        is_file = _is_file_ref(pretrained)
        what = f"scorer '{who}': checkpoint"
        source = str(local_path(pretrained, root, what)) if is_file else pretrained
    try:
        model, _, preprocess = open_clip.create_model_and_transforms(
            config_name, pretrained=source, device=device
        )
        tokenizer = open_clip.get_tokenizer(config_name)
    except Exception as err:  # open_clip raises RuntimeError/ValueError/OSError variously
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise AuditError(
            f"scorer '{who}': cannot load open_clip {arch} ({pretrained}): {first}"
        ) from err
    model.eval()
    identity = {
        "architecture": f"open_clip/{arch}",
        "architecture_config": arch_config,
        "pretrained_tag": None if pretrained and _is_file_ref(pretrained) else pretrained,
        "weights_sha256": module_sha256(model),
        "preprocessing": " ".join(repr(preprocess).split()),
        "open_clip_version": open_clip.__version__,
        "encode_group": SCORE_GROUP,
    }
    return ClipModel(model, preprocess, tokenizer, identity)
