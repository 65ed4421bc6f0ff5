"""`checkpoint`: an edited UNet made elsewhere (ESD, full MACE, SPM, ...), audited without the tool
training it. The user names a UNet folder, a pipeline folder (its `unet/` is used) or a delta
file (`.safetensors`, UNet state-dict names -> new tensors) and pins it by sha256; a mismatch is
refused before anything is loaded.

The pin is `checkpoint_sha256(path)`: for a file, the sha256 of its bytes; for a folder, the
sha256 of "relative/path<TAB>sha256-of-file" lines over every regular, non-hidden file, sorted.
The edit holds only the tensors that differ from the pipeline's UNet.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Literal

import torch

from audits.erasers.base import Eraser, EraserEdit, Progress
from audits.erasers.config import EraserConfig
from audits.erasers.errors import EraserError
from audits.erasers.matrices import Stopwatch, check_pipeline

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            h.update(block)
    return h.hexdigest()


def checkpoint_sha256(path: str | Path) -> str:
    """The pin of a checkpoint file or folder (see the module docstring)."""
    path = Path(path)
    if path.is_file():
        return file_sha256(path)
    if not path.is_dir():
        raise EraserError(f"checkpoint {path} does not exist")
    h = hashlib.sha256()
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    for p in files:
        h.update(f"{p.relative_to(path).as_posix()}\t{file_sha256(p)}\n".encode())
    return h.hexdigest()


@dataclass(frozen=True)
class CheckpointConfig(EraserConfig):
    """Where the edited weights are, their pin, and which method made them (for the record)."""

    label: ClassVar[str] = "checkpoint"

    path: str = ""
    sha256: str = ""
    kind: Literal["auto", "unet", "pipeline", "delta"] = "auto"
    method: str = ""  # free text, e.g. "esd-x (paper settings)"; becomes part of the variant

    def validate(self) -> None:
        if self.sha256 and not _HEX64.match(self.sha256):
            raise EraserError(
                f"checkpoint sha256 must be 64 lowercase hex digits, got {self.sha256!r}"
            )


def resolve_kind(path: Path, kind: str) -> str:
    if kind != "auto":
        return kind
    if path.is_file():
        return "delta"
    if (path / "model_index.json").is_file():
        return "pipeline"
    if (path / "config.json").is_file():
        return "unet"
    raise EraserError(
        f"{path} is neither a delta file, a pipeline folder (model_index.json) nor a UNet "
        "folder (config.json)"
    )


def load_state(path: Path, kind: str) -> dict[str, torch.Tensor]:
    """UNet state dict (or the delta's tensors) of a verified checkpoint."""
    if kind == "delta":
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError) as err:
            raise EraserError(f"cannot read delta file {path}: {err}") from err
    from diffusers import UNet2DConditionModel

    folder = path / "unet" if kind == "pipeline" else path
    try:
        unet = UNet2DConditionModel.from_pretrained(str(folder), local_files_only=True)
    except (OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise EraserError(f"cannot load the UNet in {folder}: {first}") from err
    return unet.state_dict()


class CheckpointEraser(Eraser):
    """A user-supplied edited UNet, pipeline or delta, pinned by sha256."""

    name = "checkpoint"
    version = "checkpoint/1"
    config_class = CheckpointConfig
    edits = "whatever the supplied checkpoint changed (any UNet tensor)"
    summary = "bring-your-own edited UNet / pipeline / delta, verified by sha256"

    def check_ready(self) -> None:
        self._verified_path()

    def _verified_path(self) -> Path:
        """The checkpoint path once its sha256 matches the pin; refused otherwise."""
        cfg: CheckpointConfig = self.config
        if not cfg.path or not cfg.sha256:
            raise EraserError(
                "the checkpoint eraser needs path=... and sha256=... (the pin; compute it with "
                "audits.erasers.checkpoint.checkpoint_sha256)"
            )
        path = Path(cfg.path).expanduser()
        actual = checkpoint_sha256(path)
        if actual != cfg.sha256:
            raise EraserError(
                f"checkpoint {path} has sha256 {actual}, not the pinned {cfg.sha256}; refusing it"
            )
        return path

    def erase(
        self,
        pipe,
        concepts: Sequence[str],
        *,
        device: torch.device | str | None = None,
        progress: Progress | None = None,
    ) -> EraserEdit:
        cfg: CheckpointConfig = self.config
        check_pipeline(pipe)
        watch = Stopwatch(torch.device("cpu"))
        path = self._verified_path()
        watch.lap("verify_s")
        kind = resolve_kind(path, cfg.kind)
        state = load_state(path, kind)
        own = dict(pipe.unet.named_parameters())
        if kind != "delta":
            missing = sorted(set(own) - set(state))
            if missing:
                raise EraserError(
                    f"the checkpoint's UNet lacks {missing[0]} (and {len(missing) - 1} more); "
                    "it is not the same architecture"
                )
        weights = {}
        for name, value in state.items():
            if name not in own:
                if kind == "delta":
                    raise EraserError(f"delta names {name!r}, which this UNet does not have")
                continue  # buffers and other non-parameters of a full UNet
            if tuple(value.shape) != tuple(own[name].shape):
                raise EraserError(
                    f"checkpoint tensor {name} has shape {tuple(value.shape)}, "
                    f"the UNet's is {tuple(own[name].shape)}"
                )
            new = value.detach().to(device="cpu", dtype=own[name].dtype).contiguous()
            if kind == "delta" or not torch.equal(new, own[name].detach().cpu()):
                weights[name] = new
        watch.lap("load_s")
        variant = f"checkpoint/{kind}" + (f"/{cfg.method}" if cfg.method else "")
        reports = [{"name": n, "shape": list(w.shape)} for n, w in weights.items()]
        return EraserEdit(weights, watch.done(), variant, reports)
