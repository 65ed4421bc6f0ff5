"""What a record says about where it was made: package versions and hardware (recorded in edit
records and the run manifest, never part of an identity)."""

from __future__ import annotations

import os
import platform
from importlib import metadata


def package_versions() -> dict[str, str]:
    names = ["scapre-audit", "torch", "diffusers", "transformers", "safetensors", "numpy"]
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def hardware(device: str) -> dict[str, str]:
    import torch

    info = {"device": device, "platform": platform.platform(), "cpu_threads": str(os.cpu_count())}
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info
