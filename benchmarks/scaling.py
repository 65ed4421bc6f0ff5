"""Benchmark `scapre-audit run` under torchrun: images per second with 1 and N processes.

    .venv/bin/python benchmarks/scaling.py                       # CPU: toy world, 1 and 2 processes
    .venv/bin/python benchmarks/scaling.py --device cuda         # GPUs: SD 1.5 shapes, 512x512 fp16

A small suite is written to a temporary folder (method `none`, one probe, one cheap scorer) so that
the generate stage dominates. Each configuration is a fresh run launched with
`torchrun --standalone --nproc_per_node N -m audits.cli run ...`; every rank records when its
generate stage starts and ends (the engine's `run_generate`, wrapped), and the generate time is
from the first rank's start to the last rank's end. Scaling efficiency is
throughput(N) / (N * throughput(1)). The baseline is a plain diffusers loop in this process (same
pipeline, prompts, seeds, steps and batch size; one process). Both sides include their first
call (no separate warm-up).

CPU: the toy world's model (audits/toyworld/weights/pipeline), 32x32, DPM-Solver++ 20 steps,
every process with one torch thread so that two processes use two cores. CUDA: an SD 1.5-shaped
pipeline with random weights (`audits.models.tiny.sd15_shaped_pipeline`) at 512x512 in fp16 with
the SD suites' sampler (PNDM, 50 steps: the reference of `scapre-audit plan`'s GPU-hours), with 1
and all visible GPUs. Results go to benchmarks/results/scaling-<device>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOYWORLD = ROOT / "audits" / "toyworld" / "weights" / "pipeline"

SUITE = """\
schema: 1
name: scaling
version: 0.1.0
model: {{family: {family}, id: "{model}", revision: main}}
generation: {{sampler: {sampler}, steps: {steps}, guidance_scale: 7.5, height: {size},
             width: {size}, seeds: {{start: 0, count: {seeds}}}, precision: {precision}}}
concepts: {{table: concepts.csv}}
erase_sets:
  all: {{}}
probes:
  target: {{kind: concept_prompts, purpose: target, concepts: target,
           templates: ["a photo of a {{concept}}"]}}
scorers:
  drift: {{kind: image_distance, params: {{distance: l1}}}}
metrics:
  image_drift: {{kind: image_drift, scorer: drift, probes: [target]}}
methods:
  none: {{kind: none}}
"""
CONCEPTS = ["red circle", "blue square", "green triangle", "yellow cross"]


def write_suite(folder: Path, model: Path, family: str, args) -> list[str]:
    """The benchmark suite; returns its prompts in plan order (one per concept)."""
    folder.mkdir(parents=True, exist_ok=True)
    text = SUITE.format(
        family=family,
        model=model,
        sampler=args.sampler,
        steps=args.steps,
        size=args.size,
        seeds=args.seeds,
        precision=args.precision,
    )
    (folder / "suite.yaml").write_text(text)
    rows = [f"{c},target" for c in CONCEPTS[: args.concepts]] + ["white star,retain"]
    (folder / "concepts.csv").write_text("concept,role\n" + "\n".join(rows) + "\n")
    (folder / "CARD.md").write_text("# scaling\nBenchmark suite.\n")
    return [f"a photo of a {c}" for c in CONCEPTS[: args.concepts]]


def worker(timing_dir: str, cli_args: list[str]) -> None:
    """One rank under torchrun: the engine's CLI with its generate stage timed."""
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    sys.path.insert(0, str(ROOT))
    import audits.run.generate_stage as generate_stage

    plain = generate_stage.run_generate

    def timed(*a, **kw):
        start = time.time()
        images = plain(*a, **kw)
        if torch.cuda.is_available():  # PNGs are written by now; this is only a formality
            torch.cuda.synchronize(int(os.environ.get("LOCAL_RANK", "0")))
        end = time.time()
        rank = os.environ.get("RANK", "0")
        record = {"rank": int(rank), "start": start, "end": end, "images": images}
        (Path(timing_dir) / f"rank{rank}.json").write_text(json.dumps(record))
        return images

    generate_stage.run_generate = timed  # the engine imports it at call time
    from audits.cli import main

    main(cli_args)


def launch(nproc: int, suite: Path, out: Path, args) -> dict:
    """One fresh run with `nproc` processes; the generate stage's images and seconds."""
    timing = out.parent / f"{out.name}-timing"
    timing.mkdir(parents=True)
    cli = ["run", str(suite), "--out", str(out), "--device", args.device]
    cli += ["--batch-size", str(args.batch_size), "--micro-batch", str(args.batch_size)]
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone"]
    command += ["--nproc_per_node", str(nproc), __file__, "--worker", str(timing), "--", *cli]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": str(args.threads)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    started = time.perf_counter()
    proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        sys.exit(f"torchrun with {nproc} process(es) failed:\n{proc.stderr[-2000:]}")
    ranks = [json.loads(p.read_text()) for p in sorted(timing.glob("rank*.json"))]
    assert len(ranks) == nproc, ranks
    seconds = max(r["end"] for r in ranks) - min(r["start"] for r in ranks)
    images = sum(r["images"] for r in ranks)
    return {
        "processes": nproc,
        "images": images,
        "images_per_rank": [r["images"] for r in sorted(ranks, key=lambda r: r["rank"])],
        "seconds_per_rank": [
            round(r["end"] - r["start"], 3) for r in sorted(ranks, key=lambda r: r["rank"])
        ],
        "generate_seconds": round(seconds, 3),
        "images_per_second": round(images / seconds, 4),
        "command_wall_seconds": round(wall, 3),
    }


def plain_loop(model: Path, prompts: list[str], args) -> dict:
    """The baseline: the same pipeline called directly, batch by batch, one process."""
    import diffusers
    import torch
    from diffusers import DiffusionPipeline

    diffusers.utils.logging.disable_progress_bar()
    dtype = torch.float16 if args.precision == "fp16" and args.device == "cuda" else torch.float32
    pipe = DiffusionPipeline.from_pretrained(
        str(model), dtype=dtype, safety_checker=None, requires_safety_checker=False
    ).to(args.device)
    pipe.set_progress_bar_config(disable=True)
    sys.path.insert(0, str(ROOT))
    from audits.models.sampling import set_scheduler

    set_scheduler(pipe, args.sampler)  # the very scheduler the engine builds
    work = [(p, s) for p in prompts for s in range(args.seeds)]
    if args.device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    with torch.no_grad():
        for i in range(0, len(work), args.batch_size):
            batch = work[i : i + args.batch_size]
            pipe(
                prompt=[p for p, _ in batch],
                num_inference_steps=args.steps,
                guidance_scale=7.5,
                height=args.size,
                width=args.size,
                generator=[torch.Generator("cpu").manual_seed(s) for _, s in batch],
                output_type="pil",
            )
    if args.device == "cuda":
        torch.cuda.synchronize()
    seconds = time.perf_counter() - start
    del pipe
    return {
        "processes": 1,
        "images": len(work),
        "generate_seconds": round(seconds, 3),
        "images_per_second": round(len(work) / seconds, 4),
    }


def sd15_shaped_pipeline(folder: Path) -> Path:
    """SD 1.5's architecture and scheduler config with random weights, saved in fp16."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.random_model import build

    build(folder, "sd15", "float16")  # loaded in fp16 anyway
    return folder


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main() -> None:
    if "--worker" in sys.argv:
        at = sys.argv.index("--worker")
        worker(sys.argv[at + 1], sys.argv[at + 3 :])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"])
    parser.add_argument("--processes", default=None, help="e.g. 1,2 (CUDA: 1 and all GPUs)")
    parser.add_argument("--concepts", type=int, default=4)
    parser.add_argument("--seeds", type=int, default=None, help="images per concept")
    parser.add_argument("--steps", type=int, default=None, help="default: 50 (CUDA), 20 (CPU)")
    parser.add_argument("--sampler", default=None, help="default: pndm (CUDA), dpmsolver++")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    import torch

    cuda = args.device == "cuda"
    args.threads = 1 if not cuda else int(os.environ.get("OMP_NUM_THREADS", "4"))
    torch.set_num_threads(args.threads)
    args.size = 512 if cuda else 32
    args.precision = "fp16" if cuda else "fp32"
    args.sampler = args.sampler or ("pndm" if cuda else "dpmsolver++")  # pndm: the SD suites'
    args.steps = args.steps or (50 if cuda else 20)
    args.seeds = args.seeds or (16 if cuda else 32)
    gpus = torch.cuda.device_count() if cuda else 0
    default = f"1,{gpus}" if cuda and gpus > 1 else ("1" if cuda else "1,2")
    processes = [int(n) for n in (args.processes or default).split(",")]
    out = Path(args.out or ROOT / "benchmarks" / "results" / f"scaling-{args.device}.json")
    with tempfile.TemporaryDirectory(prefix="scaling-") as tmp:
        tmp = Path(tmp)
        model = sd15_shaped_pipeline(tmp / "sd15") if cuda else TOYWORLD
        family = "sd-v1" if cuda else "toyworld"
        prompts = write_suite(tmp / "suite", model, family, args)
        results = {
            "benchmark": "scapre-audit run under torchrun, generate stage",
            "device": args.device,
            "gpu": torch.cuda.get_device_name(0) if cuda else None,
            "gpus_visible": gpus,
            "cpu": _cpu_name(),
            "cores": os.cpu_count(),
            "torch": torch.__version__,
            "threads_per_process": args.threads,
            "platform": platform.platform(),
            "model": "SD 1.5 shapes, random weights" if cuda else "toy world pipeline",
            "sampling": {
                "sampler": args.sampler,
                "steps": args.steps,
                "size": args.size,
                "precision": args.precision,
                "batch_size": args.batch_size,
            },
            "images": len(prompts) * args.seeds,
            "load_average_before": os.getloadavg(),
            "runs": [],
        }
        results["baseline_plain_diffusers"] = plain_loop(model, prompts, args)
        print("plain diffusers loop:", results["baseline_plain_diffusers"], flush=True)
        for n in processes:
            run = launch(n, tmp / "suite", tmp / f"run-{n}", args)
            results["runs"].append(run)
            print(f"{n} process(es):", run, flush=True)
        one = next((r for r in results["runs"] if r["processes"] == 1), None)
        for run in results["runs"]:
            if one:
                ratio = run["images_per_second"] / (run["processes"] * one["images_per_second"])
                run["scaling_efficiency"] = round(ratio, 4)
            base = results["baseline_plain_diffusers"]["images_per_second"]
            run["vs_plain_diffusers"] = round(run["images_per_second"] / base, 4)
        results["load_average_after"] = os.getloadavg()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"-> {out}")


if __name__ == "__main__":
    main()
