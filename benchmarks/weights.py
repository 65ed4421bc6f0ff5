"""Benchmark the weight-space audit (`--stages weights`) against the text encoder's own time.

    flock /tmp/heavy.lock .venv/bin/python benchmarks/weights.py [--model /work/coord/sd15-random]

On an SD 1.5-shaped pipeline (random weights are enough: the cost does not depend on the
values), for artists100's target, neighbour and adversarial prompts (500 + 500 + 733), in one
process:
1. the text encoder alone on every distinct prompt (tokenize + forward, batches of 32): the
   floor any audit that reads the prompts pays;
2. the edits of `scapre` (the suite's large-scale preset) and `uce` on the 100 targets (the
   methods' own cost, reported apart: an audit of a vendor's checkpoint does not pay it);
3. the weight-space audit for none, scapre and uce: encode every prompt once (shared), then each
   method's measurements (`audits.weights.stage.Measurer`).
Ratio = (3) / (1); the target is <= 1.5. On a shared machine the two wall times, minutes apart,
see different loads, so the script also records CPU seconds (`ratio_cpu`) and the audit against
its own encoding step (`ratio_within_audit`), with `uptime` between the phases. Results:
benchmarks/results/weights-cpu.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PROBES = ("target", "neighbor", "adversarial")


def load_avg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def uptime() -> str:
    """`uptime`'s line (the load averages the docs quote beside every timing)."""
    import subprocess

    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "n/a"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="/work/coord/sd15-random")
    parser.add_argument("--suite", default="artists100")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--limit", type=int, default=None, help="first N prompts per probe")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/weights-cpu.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    from audits.erasers.prompts import text_stack
    from audits.models.loading import load_pipeline
    from audits.registry import ERASERS
    from audits.run.plan import EditUnit, RunPlan, plan_probe
    from audits.suites import load_suite
    from audits.weights.features import encode
    from audits.weights.stage import Measurer, all_prompts, method_guides

    load_before, uptime_before = load_avg(), uptime()
    suite = load_suite(args.suite)
    profile = suite.profile(None).name
    probes = {p: plan_probe(suite, p, profile, args.limit) for p in PROBES}
    counts = {p: len(probes[p].cases) for p in PROBES}
    targets = suite.concepts.names("target")
    pipe, _ = load_pipeline(args.model, device="cpu", dtype="float32")

    methods = {"scapre": suite.methods["scapre"].config, "uce": {}}
    units = [EditUnit("none", "none", "none", "", {}, ())]
    erasers = {}
    for name, config in methods.items():
        eraser = ERASERS.get(name).from_config(config)
        erasers[name] = eraser
        units.append(EditUnit(name, name, name, "", eraser.to_config(), tuple(targets)))
    plan = RunPlan(units, probes, [], {})
    prompts = all_prompts(plan, method_guides(plan))

    # 1. the text encoder alone
    stack = text_stack(pipe)
    started, cpu = time.perf_counter(), time.process_time()
    stack.encode(prompts, dtype=None, device=None, batch_size=32)  # tokenize + forward only
    encoder_s, encoder_cpu = time.perf_counter() - started, time.process_time() - cpu
    uptime_encoder = uptime()

    # 2. the edits (the methods' cost, not the audit's)
    edits, erase_s = {"none": {}}, {}
    for name, eraser in erasers.items():
        started = time.perf_counter()
        edits[name] = eraser.erase(pipe, targets).weights
        erase_s[name] = round(time.perf_counter() - started, 2)

    # 3. the weight-space audit of the three
    uptime_audit = uptime()
    started, cpu = time.perf_counter(), time.process_time()
    features = encode(pipe, prompts)
    setup_started = time.perf_counter()
    measurer = Measurer(pipe, plan, features, 1e-3)
    setup_s = time.perf_counter() - setup_started
    per_method = {}
    for unit in units:
        t0 = time.perf_counter()
        measurer.edit(unit, edits[unit.edit_id])
        per_method[unit.edit_id] = round(time.perf_counter() - t0, 2)
    audit_s, audit_cpu = time.perf_counter() - started, time.process_time() - cpu

    result = {
        "suite": args.suite,
        "limit": args.limit,
        "model": str(args.model),
        "prompts": {"distinct": len(prompts), **counts},
        "threads": args.threads,
        "text_encoder_s": round(encoder_s, 2),
        "audit_s": round(audit_s, 2),
        "audit_encode_s": round(features.seconds, 2),
        "audit_setup_s": round(setup_s, 2),
        "audit_per_method_s": per_method,
        "ratio": round(audit_s / encoder_s, 3),
        # wall times of two phases minutes apart swing with a shared machine's load; these
        # two are less exposed to it: CPU seconds of the process (all threads), and the audit
        # against its own encoding step (the same encoder on the same prompts, seconds apart)
        "text_encoder_cpu_s": round(encoder_cpu, 2),
        "audit_cpu_s": round(audit_cpu, 2),
        "ratio_cpu": round(audit_cpu / encoder_cpu, 3),
        "ratio_within_audit": round(audit_s / features.seconds, 3),
        "erase_s": erase_s,
        "load_average_before": load_before,
        "load_average_after": load_avg(),
        "uptime_before": uptime_before,
        "uptime_after_encoder": uptime_encoder,
        "uptime_before_audit": uptime_audit,
        "uptime_after": uptime(),
        "machine": f"{platform.machine()}, {os.cpu_count()} CPU(s), shared by other jobs",
        "torch": torch.__version__,
    }
    print(json.dumps(result, indent=1))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
