"""Shared training plumbing: thread count, seeding, timing logs and fp16 safetensors export."""

from __future__ import annotations

import json
import math
import os
import time
from pathlib import Path

import torch

DEFAULT_WORK = Path(os.environ.get("TOYWORLD_WORK", "/tmp/toyworld-work"))


def setup(seed: int, threads: int) -> torch.Generator:
    """Fix threads and seeds; CPU training is bit-reproducible for a fixed thread count."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    torch.use_deterministic_algorithms(True, warn_only=True)
    return torch.Generator().manual_seed(seed)


def cosine_lr(step: int, total: int, peak: float, warmup: int) -> float:
    """Linear warm-up then cosine decay to 5% of the peak."""
    if step < warmup:
        return peak * (step + 1) / warmup
    frac = (step - warmup) / max(1, total - warmup)
    return peak * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))


class Log:
    """Timestamped progress lines to stdout, plus a JSON summary per stage."""

    def __init__(self, stage: str):
        self.stage = stage
        self.t0 = time.time()

    def __call__(self, msg: str) -> None:
        print(f"[{self.stage} {time.time() - self.t0:7.1f}s] {msg}", flush=True)

    def elapsed(self) -> float:
        return time.time() - self.t0


def write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
