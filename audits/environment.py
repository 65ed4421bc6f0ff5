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

    # cpu_threads: the machine's logical CPUs; torch_threads: how many torch used (a timing on a
    # CPU depends on both, and OMP_NUM_THREADS can make them differ).
    info = {
        "device": device,
        "platform": platform.platform(),
        "cpu_threads": str(os.cpu_count()),
        "torch_threads": str(torch.get_num_threads()),
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info
