"""Where the solver's pseudo-sample noise comes from.

The official code draws standard normals from the global, unseeded RNG in a fixed order. The
solver asks a NoiseSource for the same draws in the same order, so a recorded stream (the golden
vectors) can be replayed exactly, while the default source is seeded and draws on the CPU in
float32, so an edit is reproducible from its config on any device.
"""

from __future__ import annotations

from typing import Protocol

import torch


class NoiseSource(Protocol):
    def draw(self, count: int, shape: tuple[int, ...]) -> torch.Tensor:
        """Return `count` consecutive standard-normal draws of `shape`, stacked: (count, *shape)."""
        ...


class SeededNoise:
    """Standard normals from a seeded CPU generator (float32, device independent)."""

    def __init__(self, seed: int) -> None:
        self.generator = torch.Generator(device="cpu").manual_seed(seed)

    def draw(self, count: int, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.randn((count, *shape), generator=self.generator, dtype=torch.float32)


class ZeroNoise:
    """No noise at all (what `noise_sigma = 0` means); skips drawing entirely."""

    def draw(self, count: int, shape: tuple[int, ...]) -> torch.Tensor:
        return torch.zeros((count, *shape), dtype=torch.float32)
