"""Several processes on one run (`torchrun` / `accelerate launch`): each rank takes a fixed share
of the units (unit index modulo world size), writes only its own files, and rank 0 aggregates
after a barrier. No collective touches images; per-image seeds and fixed image groups keep the
bytes independent of the number of ranks."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class Ranks:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> Ranks:
        """The launcher's RANK / WORLD_SIZE / LOCAL_RANK; one process when they are absent."""
        world = int(os.environ.get("WORLD_SIZE", "1"))
        if world <= 1:
            return cls()
        ranks = cls(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")))
        import torch.distributed as dist

        if not dist.is_initialized():
            dist.init_process_group("gloo")  # barriers only; works with and without GPUs
        return ranks

    @property
    def main(self) -> bool:
        return self.rank == 0

    def mine(self, index: int) -> bool:
        """Whether unit number `index` (in plan order) belongs to this rank."""
        return index % self.world == self.rank

    def barrier(self) -> None:
        if self.world > 1:
            import torch.distributed as dist

            dist.barrier()

    def device(self, device: str) -> str:
        """`cuda` means this rank's own GPU (cuda:LOCAL_RANK) when several ranks share a node."""
        return f"cuda:{self.local_rank}" if device == "cuda" and self.world > 1 else device
