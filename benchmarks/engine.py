"""Benchmark the audit engine's stages on the toy world: how much scoring adds to generation.

    .venv/bin/python benchmarks/engine.py [--profile clean] [--limit 4] [--threads 2]

Runs `scapre-audit run suites/toyworld` in this process on a fresh folder, with the engine's
erase, generate and score stages wrapped by timers (the engine imports them at call time), and
reports each stage's seconds, images per second, and scoring time as a share of generation time
(issue #6's target: scoring adds <= 20%). Scorers are built before the stages and their build time
is reported on its own. Output: benchmarks/results/engine-<profile>-cpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(module, name: str, into: dict[str, float]) -> None:
    """Replace module.name by a wrapper adding its wall time to into[name]."""
    plain = getattr(module, name)

    def wrapper(*a, **kw):
        start = time.perf_counter()
        try:
            return plain(*a, **kw)
        finally:
            into[name] = into.get(name, 0.0) + time.perf_counter() - start

    setattr(module, name, wrapper)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", default="clean")
    ap.add_argument("--limit", type=int, default=None, help="prompt cases per probe")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--batch-size", type=int, default=64)
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    torch.set_num_threads(args.threads)
    from audits.run import engine, erase_stage, generate_stage, score_stage
    from audits.run.engine import RunRequest, run_suite

    times: dict[str, float] = {}
    timed(erase_stage, "run_erase", times)
    timed(generate_stage, "run_generate", times)
    timed(score_stage, "run_score", times)
    timed(engine, "build_scorers", times)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = run_suite(
            RunRequest(
                suite=str(ROOT / "suites" / "toyworld"),
                out=Path(tmp) / "run",
                profile=args.profile,
                limit=args.limit,
                batch_size=args.batch_size,
                device="cpu",
            ),
            say=lambda _: None,
        )
        total = time.perf_counter() - start
    images = summary.counts["images"]
    gen, score = times["run_generate"], times["run_score"]
    result = {
        "benchmark": "engine stages on the toy world (suites/toyworld)",
        "profile": args.profile,
        "limit": args.limit,
        "batch_size": args.batch_size,
        "torch_threads": args.threads,
        "images": images,
        "score_files": summary.counts["scores"],
        "seconds": {k: round(v, 2) for k, v in sorted(times.items())} | {"total": round(total, 2)},
        "images_per_second_generate": round(images / gen, 2),
        "scoring_share_of_generation": round(score / gen, 3),
        "target_scoring_share": 0.20,
        "hardware": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count()},
        "python": sys.version.split()[0],
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "benchmarks" / "results" / f"engine-{args.profile}-cpu.json"
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
