"""Edit folders that stay small: `delta.safetensors` and `edit.json` always, and a pipeline that
`StableDiffusionPipeline.from_pretrained(DIR)` loads without copying the base model's files.

Linked layout (the default when the base model is a diffusers folder on disk, or in the Hugging
Face cache, with its UNet in one `diffusion_pytorch_model.safetensors`): every file of the base
except the UNet's weights is hard-linked (a symbolic link where a hard link is impossible, e.g.
across file systems); the UNet folder holds a sharded checkpoint whose first shard is the base's
weights file (linked) and whose second, sorting last, holds only the edited tensors in the base's
dtype, with an index that maps every edited tensor to it. diffusers loads shards in name order,
so the edited tensors replace the base's. (diffusers' optional parallel shard loading,
`HF_ENABLE_PARALLEL_LOADING`, loads in any order: `erase` refuses the linked layout when it is
set.) `--full-copy` writes a complete, self-contained pipeline instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch

from audits.errors import AuditError

UNET_FILE = "diffusion_pytorch_model.safetensors"
BASE_SHARD = "diffusion_pytorch_model-00001-of-00002.safetensors"
EDIT_SHARD = "diffusion_pytorch_model-00002-of-00002.safetensors"
INDEX = "diffusion_pytorch_model.safetensors.index.json"


def base_folder(model: str, revision: str | None, local: bool) -> Path | None:
    """The folder the base pipeline was loaded from (a local folder or its hub cache
    snapshot), or None when it cannot be found without a download."""
    if local:
        return Path(model).expanduser().resolve()
    try:
        from huggingface_hub import snapshot_download

        return Path(snapshot_download(model, revision=revision, local_files_only=True))
    except Exception:  # not cached as a snapshot, or no hub: the full copy is written instead
        return None


def linkable(base: Path | None) -> str:
    """Why the linked layout cannot be used for `base` ("" when it can)."""
    if base is None:
        return "the base model's folder was not found on disk"
    if os.environ.get("HF_ENABLE_PARALLEL_LOADING", "").strip().lower() in ("1", "true", "yes"):
        return "HF_ENABLE_PARALLEL_LOADING is set (shards would load in any order)"
    if not (base / "model_index.json").is_file():
        return f"{base} has no model_index.json"
    if not (base / "unet" / UNET_FILE).is_file():
        return f"the base UNet is not one {UNET_FILE} (sharded, variant or .bin)"
    return ""


def _link(source: Path, dest: Path) -> str:
    """Hard-link `source` (its target, for a link) to `dest`; a symbolic link where that fails."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, dest)
        return "hard"
    except OSError:
        os.symlink(source.resolve(), dest)
        return "symbolic"


def write_linked(staging: Path, base: Path, weights: dict[str, torch.Tensor]) -> dict[str, Any]:
    """The linked pipeline in `staging` (see the module docstring); returns its description."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    kinds: set[str] = set()
    for path in sorted(base.rglob("*")):
        rel = path.relative_to(base)
        if path.is_dir() or rel.parts[0].startswith(".") or rel == Path("unet") / UNET_FILE:
            continue
        if rel.parts[0] == "unet" and rel.name.startswith("diffusion_pytorch_model"):
            continue  # other UNet weight files (variants) are not part of this pipeline
        kinds.add(_link(path, staging / rel))
    source = base / "unet" / UNET_FILE
    kinds.add(_link(source, staging / "unet" / BASE_SHARD))
    with safe_open(str(source), framework="pt") as f:
        names = list(f.keys())
        missing = sorted(set(weights) - set(names))
        if missing:
            raise AuditError(f"edited tensor {missing[0]} is not in {source}")
        edited = {n: weights[n].to(_dtype(f, n)) for n in weights}
    save_file(
        {n: t.contiguous().cpu() for n, t in edited.items()}, str(staging / "unet" / EDIT_SHARD)
    )
    total = source.stat().st_size + (staging / "unet" / EDIT_SHARD).stat().st_size
    weight_map = {n: BASE_SHARD for n in names} | {n: EDIT_SHARD for n in edited}
    index = {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))}
    (staging / "unet" / INDEX).write_text(json.dumps(index, indent=1) + "\n")
    return {
        "layout": "linked",
        "base": str(base),
        "links": "hard" if kinds == {"hard"} else "symbolic" if kinds == {"symbolic"} else "mixed",
        "edited_shard": f"unet/{EDIT_SHARD}",
    }


_DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def _dtype(handle, name: str) -> torch.dtype:
    """The dtype a tensor is stored in (the edited tensor is written in the same)."""
    code = handle.get_slice(name).get_dtype()
    if code not in _DTYPES:
        raise AuditError(f"tensor {name} is stored as {code}, which the linked layout cannot match")
    return _DTYPES[code]
