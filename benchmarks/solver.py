"""Benchmark the ScaPre solver on real SD 1.5 or SDXL shapes (random weights) against the oracle.

    .venv/bin/python benchmarks/solver.py                      # CPU, m = 1..1000, writes JSON
    .venv/bin/python benchmarks/solver.py --device cuda --sizes 1,10,50,100
    .venv/bin/python benchmarks/solver.py --family sdxl --sizes 50 --oracle-matrices 0

`--family sdxl` builds every attn2 K/V matrix of SDXL base's UNet (140 matrices, 2048 wide, real
names and order; the rest of the UNet is not built, the solver never reads it) and both real-shaped
text encoders (CLIP ViT-L/14 and OpenCLIP ViT-bigG/14 with projection): about 4.2 GB of float32.

Times the edit end to end with the model already loaded (`scapre.compute_edit`), split into text
encoding and solving, and the peak memory it adds. The literal per-row oracle
(`tests/scapre/oracle.py`, as slow as the official loops) runs on a subset of matrices with the
same text features; the fast solver is timed on the same subset, and the ratio is reported.
Results go to benchmarks/results/solver-<device>.json; docs/performance.md records them.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import scapre  # noqa: E402
from audits.models.clip_tokenizer import build_clip_tokenizer  # noqa: E402
from audits.models.tiny import (  # noqa: E402
    sd15_shaped_unet,
    sdxl_kv_unet,
    vit_bigg_text_encoder,
    vit_l14_text_encoder,
)
from scapre.noise import SeededNoise  # noqa: E402


class _Pipe:
    """The parts of a pipeline the solver reads (no VAE needed to time an edit)."""

    def __init__(self, unet, text_encoder, tokenizer, text_encoder_2=None, tokenizer_2=None):
        self.unet, self.text_encoder, self.tokenizer = unet, text_encoder, tokenizer
        self.text_encoder_2, self.tokenizer_2 = text_encoder_2, tokenizer_2


def build_pipe(family: str, device) -> _Pipe:
    if family == "sdxl":
        return _Pipe(
            sdxl_kv_unet(device=device),
            vit_l14_text_encoder(device=device),
            build_clip_tokenizer(),
            vit_bigg_text_encoder(seed=1, device=device),
            build_clip_tokenizer(pad_token="!"),
        )
    return _Pipe(
        sd15_shaped_unet(device=device), vit_l14_text_encoder(device=device), build_clip_tokenizer()
    )


class _Recorder:
    """Seeded noise that also remembers every single draw, so the oracle can replay them."""

    def __init__(self, seed: int):
        self.inner, self.draws = SeededNoise(seed), []

    def draw(self, count, shape):
        out = self.inner.draw(count, shape)
        self.draws.extend(out.unbind(0))
        return out


def concept_names(m: int) -> list[str]:
    return [f"artist number {i}" for i in range(m)]


def peak_rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2


def peak_cuda_gb(device) -> float:
    return torch.cuda.max_memory_allocated(device) / 1024**3


def time_oracle(pipe, m: int, config, n_matrices: int, device) -> dict:
    """Oracle vs fast solver on the first `n_matrices` matrices of the official order."""
    from tests.scapre.oracle import oracle_edit_matrix

    refs = scapre.projections(pipe.unet)[:n_matrices]
    feats = scapre.pipeline_text_features(
        pipe, concept_names(m), dtype=torch.float64, device=device
    )
    mats = [(r.name, r.layer.weight) for r in refs]
    rec = _Recorder(config.seed)
    t0 = time.perf_counter()
    fast = scapre.edit_from_features(mats, feats, config, noise=rec)
    fast_s = time.perf_counter() - t0
    draws = iter(rec.draws)
    params = config.to_dict()
    t0 = time.perf_counter()
    worst = 0.0
    for name, W in mats:
        W0 = W.detach().to(device, torch.float64)
        ref = oracle_edit_matrix(
            W0,
            C=feats.C,
            X=feats.X,
            N=feats.N,
            e0=feats.e0,
            params=params,
            randn=lambda shape: next(draws).to(device),
        )
        err = float((fast.weights[name] - ref).norm() / ref.norm())
        worst = max(worst, err)
    oracle_s = time.perf_counter() - t0
    rows = sum(W.shape[0] for _, W in mats)
    return {
        "m": m,
        "matrices": [n for n, _ in mats],
        "rows": rows,
        "fast_s": fast_s,
        "oracle_s": oracle_s,
        "speedup": oracle_s / fast_s,
        "max_rel_diff": worst,
    }


MODELS = {
    "sd-v1": "SD 1.5 UNet + CLIP ViT-L/14 text encoder shapes, random weights (seed 0)",
    "sdxl": (
        "SDXL base: all 140 attn2 K/V matrices (2048 wide) + CLIP ViT-L/14 and OpenCLIP "
        "ViT-bigG/14 text encoders, real shapes, random weights"
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--family", choices=["sd-v1", "sdxl"], default="sd-v1")
    parser.add_argument("--sizes", default="1,10,50,100,500,1000")
    parser.add_argument("--preset", default="large-scale")
    parser.add_argument("--oracle-m", type=int, default=50)
    parser.add_argument("--oracle-matrices", type=int, default=2)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    device = torch.device(args.device)
    config = scapre.preset(args.preset)
    t0 = time.perf_counter()
    pipe = build_pipe(args.family, device)
    load_s = time.perf_counter() - t0
    base_rss = peak_rss_gb()
    results = {
        "benchmark": "scapre-solver",
        "preset": args.preset,
        "config": config.to_dict(),
        "device": str(device),
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "family": args.family,
        "model": MODELS[args.family],
        "matrices": len(scapre.projections(pipe.unet)),
        "model_build_s": load_s,
        "rss_after_model_gb": base_rss,
        "runs": [],
    }
    for m in [int(s) for s in args.sizes.split(",")]:
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
            before = torch.cuda.memory_allocated(device) / 1024**3
        edit = scapre.compute_edit(pipe, concept_names(m), config)
        run = {"m": m, **{k: round(v, 3) for k, v in edit.timings.items()}}
        for stat in ("rows_separated", "sign_rule_agreement", "mask_mean"):
            values = [getattr(r, stat) for r in edit.reports if getattr(r, stat) is not None]
            if values:
                run[f"mean_{stat}"] = round(sum(values) / len(values), 5)
        if device.type == "cuda":
            run["extra_peak_gpu_gb"] = round(peak_cuda_gb(device) - before, 3)
        run["peak_rss_gb"] = round(peak_rss_gb(), 3)
        run["extra_peak_rss_gb_so_far"] = round(peak_rss_gb() - base_rss, 3)
        results["runs"].append(run)
        print(json.dumps(run), flush=True)
    if args.oracle_matrices > 0:
        results["oracle"] = time_oracle(pipe, args.oracle_m, config, args.oracle_matrices, device)
        print(json.dumps(results["oracle"]), flush=True)
    suffix = "" if args.family == "sd-v1" else f"-{args.family}"
    out = Path(args.out or ROOT / f"benchmarks/results/solver{suffix}-{device.type}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
