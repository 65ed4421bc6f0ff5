"""Load diffusers pipelines from a hub id or a local folder, and fingerprint their weights."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import torch

from audits.errors import AuditError

DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


@dataclass(frozen=True)
class ModelRef:
    """Where a model came from: what `edit.json` and run manifests record."""

    model: str  # hub id or local path as given
    revision: str | None
    local: bool
    dtype: str


def load_pipeline(
    model: str,
    *,
    revision: str | None = None,
    local_files_only: bool = False,
    device: str = "cpu",
    dtype: str = "float32",
):
    """Load any diffusers text-to-image pipeline with the safety checker off (and recorded off).

    Only safetensors weights are read: a pickled checkpoint (`*.bin`, `*.ckpt`) is refused with
    one line before it is opened, so no pickle from a model folder or the hub ever runs."""
    import diffusers
    import transformers
    from diffusers import DiffusionPipeline

    diffusers.utils.logging.disable_progress_bar()
    diffusers.utils.logging.set_verbosity_error()  # keep the CLI's stderr to one line on error
    transformers.utils.logging.disable_progress_bar()

    if dtype not in DTYPES:
        raise AuditError(f"unknown dtype {dtype!r}; use one of {', '.join(DTYPES)}")
    path = Path(model).expanduser()
    is_local = path.exists()
    if is_local and not (path / "model_index.json").is_file():
        raise AuditError(f"{model} is not a diffusers pipeline folder (no model_index.json)")
    if not is_local and (model.startswith((".", "/", "~")) or model.count("/") > 1):
        raise AuditError(f"model path {model} does not exist")
    try:
        pipe = DiffusionPipeline.from_pretrained(
            str(path) if is_local else model,
            revision=None if is_local else revision,
            local_files_only=local_files_only or is_local,
            dtype=DTYPES[dtype],
            safety_checker=None,
            requires_safety_checker=False,
            use_safetensors=True,
        )
    except (OSError, ValueError) as err:
        if is_local:
            raise AuditError(f"cannot load model {model!r}: {_first_line(err, model)}") from err
        raise AuditError(hub_error(model, revision)) from err
    try:
        pipe.to(device)
    except (RuntimeError, AssertionError) as err:
        raise AuditError(f"cannot move the model to {device!r}: {err}") from err
    pipe.set_progress_bar_config(disable=True)
    return pipe, ModelRef(model=model, revision=revision, local=is_local, dtype=dtype)


def _first_line(err: BaseException, model: str) -> str:
    """The cause in one line, without diffusers' own "Cannot load model X:" prefix."""
    import re

    text = str(err).strip()
    line = text.splitlines()[0] if text else type(err).__name__
    line = re.sub(r"^(Cannot load model \S+?:\s*)+", "", line, flags=re.I)
    return line.split(" Please check out the root cause")[0].strip() or type(err).__name__


def hub_error(model: str, revision: str | None) -> str:
    """One line for a hub id that could not be loaded: offline or a wrong id, and what to do."""
    import os

    at = f" at revision {revision}" if revision else ""
    offline = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
    why = (
        "HF_HUB_OFFLINE is set and it is not in the local hub cache"
        if offline
        else "this machine is offline or the id is wrong"
    )
    return (
        f"cannot load model {model!r}{at} from the Hugging Face hub: {why}; download it once"
        " where there is network (then HF_HUB_OFFLINE=1 uses the cache), or pass a local"
        " diffusers folder with --model PATH"
    )


def tensor_sha256(tensor: torch.Tensor) -> str:
    """sha256 of a tensor's dtype, shape and raw bytes (what a safetensors file would hold)."""
    t = tensor.detach().to("cpu").contiguous().reshape(-1)  # 0-d tensors cannot view as bytes
    h = hashlib.sha256(f"{t.dtype}|{tuple(tensor.shape)}|".encode())
    h.update(t.view(torch.uint8).numpy().tobytes() if t.numel() else b"")
    return h.hexdigest()


def module_sha256(module: torch.nn.Module) -> str:
    """sha256 over a module's state dict (sorted names and tensor digests), file-format free."""
    h = hashlib.sha256()
    for name, tensor in sorted(module.state_dict().items()):
        h.update(f"{name}={tensor_sha256(tensor)};".encode())
    return h.hexdigest()
