"""Build Stable Diffusion 1.5's architecture with seeded random weights and save it as a diffusers
folder that `--model DIR` and `StableDiffusionPipeline.from_pretrained(DIR)` read.

    python benchmarks/sd15_random.py OUT [--dtype float32|float16]

About 70 s and 8.5 GB peak memory on 2 cores (fp32: 4.3 GB on disk). The images it makes are
meaningless; every loading, shape and dtype path is the real model's. Writes OUT/BUILT.json last,
so a folder without it is an interrupted build.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(out: Path, dtype: str = "float32", seed: int = 0) -> dict:
    import torch

    from audits.models.tiny import sd15_shaped_pipeline

    start = time.perf_counter()
    pipe = sd15_shaped_pipeline(seed=seed)
    pipe.to(dtype=getattr(torch, dtype)).save_pretrained(out)
    info = {
        "what": "SD 1.5-shaped pipeline, seeded random weights (audits.models.tiny)",
        "seed": seed,
        "dtype": dtype,
        "parameters": {
            name: sum(p.numel() for p in getattr(pipe, name).parameters())
            for name in ("unet", "vae", "text_encoder")
        },
        "seconds": round(time.perf_counter() - start, 1),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    (out / "BUILT.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if (args.out / "BUILT.json").is_file():
        print(f"{args.out} is already built", file=sys.stderr)
        return
    print(json.dumps(build(args.out, args.dtype, args.seed)))


if __name__ == "__main__":
    main()
