"""Build Stable Diffusion 1.5's or SDXL base 1.0's architecture with seeded random weights and save
it as a diffusers folder that `--model DIR` and `DiffusionPipeline.from_pretrained(DIR)` read.

    python benchmarks/random_model.py OUT [--family sd15|sdxl] [--dtype float32|float16]

sd15: 1.07B parameters, 4.3 GB on disk in fp32; sdxl: 3.47B parameters, 13.9 GB. Build times and
peak memory go to OUT/BUILT.json (docs/performance.md quotes them). The images either makes are
meaningless; every loading, shape and dtype path is the real model's.
Writes OUT/BUILT.json last, so a folder without it is an interrupted build.
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

FAMILIES = {
    "sd15": ("sd15_shaped_pipeline", "SD 1.5", ("unet", "vae", "text_encoder")),
    "sdxl": (
        "sdxl_shaped_pipeline",
        "SDXL base 1.0",
        ("unet", "vae", "text_encoder", "text_encoder_2"),
    ),
}


def build(out: Path, family: str = "sd15", dtype: str = "float32", seed: int = 0) -> dict:
    import torch

    from audits.models import tiny

    builder, what, parts = FAMILIES[family]
    start = time.perf_counter()
    pipe = getattr(tiny, builder)(seed=seed)
    pipe.to(dtype=getattr(torch, dtype)).save_pretrained(out)
    info = {
        "what": f"{what}-shaped pipeline, seeded random weights (audits.models.tiny.{builder})",
        "family": family,
        "seed": seed,
        "dtype": dtype,
        "parameters": {
            name: sum(p.numel() for p in getattr(pipe, name).parameters()) for name in parts
        },
        "seconds": round(time.perf_counter() - start, 1),
        "peak_rss_gb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2),
    }
    (out / "BUILT.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--family", default="sd15", choices=sorted(FAMILIES))
    parser.add_argument("--dtype", default="float32", choices=["float32", "float16"])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if (args.out / "BUILT.json").is_file():
        print(f"{args.out} is already built", file=sys.stderr)
        return
    print(json.dumps(build(args.out, args.family, args.dtype, args.seed)))


if __name__ == "__main__":
    main()
