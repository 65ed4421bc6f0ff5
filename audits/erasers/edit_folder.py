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
import shutil
from datetime import datetime, timezone
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


def check_out_dir(out: Path) -> None:
    """An edit folder is written only where nothing is: a new or empty folder."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise AuditError(f"--out {out} exists and is not empty; choose a new folder")


def edit_record(pipe, ref, concepts, eraser, preset, edit, device, started: float) -> dict:
    """edit.json: method, version, full config, concepts, the model's id and module hashes,
    package versions, hardware, timings and the sha256 of every edited tensor."""
    from audits.environment import hardware, package_versions
    from audits.models.families import detect
    from audits.models.loading import module_sha256, tensor_sha256

    record = {
        "schema": "scapre-audit/edit/1",
        "method": eraser.name,
        "eraser_version": eraser.version,
        "variant": edit.variant,
        "complete_method": eraser.complete,
        "preset": preset,
        "preset_source": eraser.preset_sources.get(preset) if preset else None,
        "config": eraser.to_config(),
        "concepts": list(concepts),
        "model": {
            "id": ref.model,
            "revision": ref.revision,
            "local": ref.local,
            "dtype": ref.dtype,
            "pipeline_class": type(pipe).__name__,
            "family": detect(pipe),
        },
        "packages": package_versions(),
        "hardware": hardware(device),
        "timings_s": edit.timings,
        "tensors": {name: tensor_sha256(w) for name, w in edit.weights.items()},
        "matrices": edit.reports,
    }
    if eraser.name == "scapre":
        import scapre

        record["solver_version"] = scapre.SOLVER_VERSION
    record["model"]["unet_sha256"] = module_sha256(pipe.unet)
    record["model"]["text_encoder_sha256"] = module_sha256(pipe.text_encoder)
    if getattr(pipe, "text_encoder_2", None) is not None:  # SDXL
        record["model"]["text_encoder_2_sha256"] = module_sha256(pipe.text_encoder_2)
    record["created"] = datetime.fromtimestamp(started, timezone.utc).isoformat()
    return record


def write_edit_folder(
    out: Path, pipe, edit, record: dict, base: Path | None = None, full_copy: bool = True
) -> None:
    """Write everything into a staging folder beside `out`, then move it into place: the linked
    pipeline when `base` allows it, else (or with `full_copy`) a complete copy."""
    from safetensors.torch import save_file

    import scapre
    from runfmt.staging import clean_leftovers, staging_dir

    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_leftovers(out.parent, recursive=False)  # staging folders of killed erases
    staging = staging_dir(out.parent, out.name)
    try:
        why = "--full-copy" if full_copy else linkable(base)
        if not why:
            assert base is not None
            record["pipeline"] = write_linked(staging, base, edit.weights)
        else:
            record["pipeline"] = {"layout": "full copy", "reason": why}
            with scapre.applied(pipe, edit.weights):  # the caller's pipeline stays unedited
                pipe.save_pretrained(staging, safe_serialization=True)
        save_file(
            {n: w.contiguous() for n, w in edit.weights.items()},
            str(staging / "delta.safetensors"),
            metadata={
                "method": record["method"],
                "variant": record["variant"],
                "config": json.dumps(record["config"], sort_keys=True),
            },
        )
        (staging / "edit.json").write_text(json.dumps(record, indent=2, sort_keys=True) + "\n")
        check_out_dir(out)
        if out.exists():
            out.rmdir()
        os.replace(staging, out)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
