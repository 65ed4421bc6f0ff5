"""Benchmark the closed-form baselines beside ScaPre on real SD 1.5 shapes (random weights).

    .venv/bin/python benchmarks/baselines.py                         # CPU, m = 10, 50, 100
    .venv/bin/python benchmarks/baselines.py --device cuda --methods uce,speed

Each method runs with its default configuration (ScaPre with the published large-scale preset)
through the same eraser interface `scapre-audit erase` uses, on the model `benchmarks/solver.py`
builds. Times are the edit alone (model loaded), split into text encoding and solving as each
eraser reports them. Results go to benchmarks/results/baselines-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audits.models.clip_tokenizer import build_clip_tokenizer  # noqa: E402
from audits.models.tiny import sd15_shaped_unet, vit_l14_text_encoder  # noqa: E402
from audits.registry import ERASERS  # noqa: E402
from benchmarks.solver import _Pipe, concept_names  # noqa: E402

CONFIGS = {"scapre": {"preset": "large-scale"}}
# MACE-CFR encodes ~60 prompts per concept (its templates), so beyond 10 concepts its cost is
# the text encoder's; the default sweep stops there (pass --full to run every size).
MAX_M = {"mace-cfr": 10}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--sizes", default="10,50,100")
    parser.add_argument("--methods", default="scapre,uce,time,rece,speed,mace-cfr")
    parser.add_argument("--out", default=None)
    parser.add_argument("--full", action="store_true", help="ignore the per-method size caps")
    args = parser.parse_args()
    device = torch.device(args.device)
    pipe = _Pipe(
        sd15_shaped_unet(device=device), vit_l14_text_encoder(device=device), build_clip_tokenizer()
    )
    results = {
        "benchmark": "closed-form baselines",
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "model": "SD 1.5 UNet + CLIP ViT-L/14 text encoder shapes, random weights (seed 0)",
        "runs": [],
    }
    for method in args.methods.split(","):
        eraser = ERASERS.get(method).from_config(CONFIGS.get(method))
        for m in [int(s) for s in args.sizes.split(",")]:
            if not args.full and m > MAX_M.get(method, m):
                continue
            t0 = time.perf_counter()
            edit = eraser.erase(pipe, concept_names(m))
            wall = time.perf_counter() - t0
            run = {
                "method": method,
                "version": eraser.version,
                "variant": edit.variant,
                "m": m,
                "wall_s": round(wall, 3),
                **{k: round(v, 3) for k, v in edit.timings.items()},
                "matrices": len(edit.weights),
            }
            results["runs"].append(run)
            print(json.dumps(run), flush=True)
            _write(results, args.out, device)  # after every run, so a stopped sweep keeps its data


def _write(results: dict, out: str | None, device: torch.device) -> None:
    path = Path(out or ROOT / f"benchmarks/results/baselines-{device.type}.json")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
