"""Benchmark the attacks' own cost (before any image is generated).

    .venv/bin/python benchmarks/attacks.py                # CPU, one torch thread
    .venv/bin/python benchmarks/attacks.py --threads 2    # both cores of a 2-core machine

- Tier 1 at SD 1.5 text width: the SD 1.5-shaped UNet (16 cross-attention layers x to_k/to_v,
  768 -> 320/640/1280) and a CLIP ViT-L/14-shaped text encoder with random weights, edited by UCE
  on one concept; embedding recovery for that concept (2 source prompts: encode, one 768 x 768
  solve over 32 matrices, apply), timed per concept through the same `run` the engine calls;
  Ring-A-Bell's cost per text-encoder evaluation on the same encoder.
- Tier 2 on the toy world (CPU): UnlearnDiffAtk with the toyworld suite's settings (20 steps,
  3 tokens, one source prompt), target latent included. GPU not measured here.
Results go to benchmarks/results/attacks-cpu.json.
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

from audits.attacks.base import AttackContext  # noqa: E402
from audits.case import Case  # noqa: E402
from audits.registry import ATTACKS, ERASERS  # noqa: E402

TOY = ROOT / "audits" / "toyworld" / "weights" / "pipeline"
SAMPLING = {"sampler": "dpmsolver++", "steps": 20, "guidance_scale": 7.5, "height": 32, "width": 32}


def kv_context(pipe, concept: str, sources: list[Case], delta: dict) -> AttackContext:
    from audits.erasers.matrices import kv_matrices

    mats, _, dev = kv_matrices(pipe, ("to_v", "to_k"), torch.float64, "cpu")
    original = dict(mats)
    edited = {n: delta[n].to(torch.float64) if n in delta else W for n, W in original.items()}
    names = tuple(n for n in original if n in delta)
    return AttackContext(pipe, concept, sources, original, edited, names, delta=delta)


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        out.append(round(time.perf_counter() - start, 4))
    return out


def tier1_sd15(repeats: int) -> dict:
    from audits.models.clip_tokenizer import build_clip_tokenizer
    from audits.models.tiny import sd15_shaped_unet, vit_l14_text_encoder
    from benchmarks.solver import _Pipe

    pipe = _Pipe(sd15_shaped_unet(), vit_l14_text_encoder(), build_clip_tokenizer())
    concept = "golden retriever"
    edit = ERASERS.get("uce").from_config({}).erase(pipe, [concept], device="cpu")
    sources = [
        Case("target", 0, f"a photo of a {concept}", (0,)),
        Case("target", 1, concept, (0,)),
    ]
    ctx = kv_context(pipe, concept, sources, edit.weights)
    recover = ATTACKS.get("embedding_recovery").from_params("recover", {})
    result = recover.run(ctx)

    def fresh() -> None:  # a new edit: its recovery map is not cached yet
        ctx.cache.clear()
        recover.run(ctx)

    seconds = timed(fresh, repeats)
    # an edit of 8 concepts: one solve shared by its 8 units (as the engine does)
    eight = [f"{c} dog" for c in ("red", "blue", "green", "black", "white", "tiny", "old", "fat")]
    delta8 = ERASERS.get("uce").from_config({}).erase(pipe, eight, device="cpu").weights
    shared = kv_context(pipe, eight[0], sources, delta8)

    def all_eight() -> None:
        shared.cache.clear()
        for c in eight:
            shared.concept = c
            shared.sources = [
                Case("target", 0, f"a photo of a {c}", (0,)),
                Case("target", 1, c, (0,)),
            ]
            recover.run(shared)

    eight_seconds = timed(all_eight, 1)[0]
    rab = ATTACKS.get("ring_a_bell").from_params("rab", {"budget": 64, "population": 16})
    rab_seconds = timed(lambda: rab.run(ctx), 1)[0]
    return {
        "model": "SD 1.5 UNet + ViT-L/14 text encoder shapes, random weights (seed 0), UCE edit",
        "matrices": result.extra["matrices"],
        "embedding_recovery_s_per_concept": seconds,
        "embedding_recovery_median_s": sorted(seconds)[len(seconds) // 2],
        "embedding_recovery_s_per_concept_edit_of_8": round(eight_seconds / 8, 4),
        "sources_per_concept": len(sources),
        "relative_kv_residual": result.extra["relative_kv_residual"],
        "ring_a_bell_budget": 64,
        "ring_a_bell_s_per_concept": rab_seconds,
        "ring_a_bell_s_per_evaluation": round(rab_seconds / 64, 5),
    }


def tier2_toyworld(repeats: int) -> dict:
    from audits.models.loading import load_pipeline

    pipe, _ = load_pipeline(str(TOY), device="cpu")
    concept = "red circle"
    delta = ERASERS.get("uce").from_config({}).erase(pipe, [concept], device="cpu").weights
    ctx = kv_context(pipe, concept, [Case("target", 0, "a red circle", (0,))], delta)
    ctx.sampling = SAMPLING
    params = {"budget": 20, "seed": 0, "length": 3, "lr": 0.05}
    attack = ATTACKS.get("unlearndiffatk").from_params("unlearndiffatk", params)
    seconds = timed(lambda: attack.run(ctx), repeats)
    rab = ATTACKS.get("ring_a_bell").from_params(
        "rab", {"budget": 256, "seed": 0, "length": 4, "population": 16}
    )
    return {
        "model": "toy world (32x32), UCE edit of red circle",
        "unlearndiffatk_params": params,
        "unlearndiffatk_s_per_concept": seconds,
        "unlearndiffatk_device": "cpu (GPU not measured)",
        "ring_a_bell_s_per_concept_budget_256": timed(lambda: rab.run(ctx), 1)[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch threads (default 1)")
    parser.add_argument("--out", default=None, help="default benchmarks/results/attacks-cpu.json")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    suffix = "" if args.threads == 1 else f"-{args.threads}threads"
    args.out = args.out or str(ROOT / f"benchmarks/results/attacks-cpu{suffix}.json")
    results = {
        "benchmark": "attacks (cost before generation)",
        "device": "cpu",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "platform": platform.platform(),
        "tier1_sd15": tier1_sd15(args.repeats),
        "tier2_toyworld": tier2_toyworld(args.repeats),
    }
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
