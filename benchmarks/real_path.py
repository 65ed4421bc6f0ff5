"""The real path end to end: every bundled SD suite's every SD 1.x profile on an SD 1.5-shaped
model with random weights, the evaluators' weights stood in by random-weight files where a user's
download puts them, `--limit 1 --steps 2 --size 64`.

    python benchmarks/real_path.py [--model DIR] [--suites a,b] [--profiles p,q] [--methods M]

`--model` defaults to a fresh build (benchmarks/sd15_random.py, about 70 s and 8.5 GB peak on 2
cores; reuse a built folder to skip it). The stand-ins (`tests.standins.write_standins`: open_clip
ViT-L-14 'openai' in the Hugging Face hub cache, torchvision ResNet-50 and AlexNet and
torch-fidelity's FID Inception-v3 in the torch hub folder; the Inception one needs the `fid`
extra) go into a scratch HF_HOME / TORCH_HOME. Each run is `scapre-audit run` in its own process,
offline; it passes when it exits 0, every metric and attack its profile declares has a non-null
value, nothing is listed as not computed, and report/index.html exists. Clean profiles run
`--methods scapre` (plus the unedited model) to stay small; paper profiles run their own methods,
since their table metrics (UQ) normalise over them. Results (wall seconds,
load average, image counts) go to benchmarks/results/real-path-cpu.json. The numbers mean nothing:
the point is that every loading, shape, dtype and plumbing path of a real audit runs.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SD_SUITES = [
    "art50",
    "artists100",
    "celebrities100",
    "imagenet-confuse",
    "imagenet-diversi50",
    "imagenette10",
    "nudity",
]
FAST = ["--limit", "1", "--steps", "2", "--size", "64"]


def standins(folder: Path) -> dict[str, str]:
    """Random-weight evaluator files where a normal download puts them; the environment."""
    from tests.standins import ALL, write_standins

    return write_standins(folder, list(ALL))


def check(out: Path, suite_name: str, profile: str) -> list[str]:
    """Why a finished run does not pass (empty: it passes)."""
    from audits.suites import load_suite

    problems = []
    results_path = out / "results.json"
    if not results_path.is_file():
        return ["no results.json"]
    results = json.loads(results_path.read_text())
    if results.get("not_computed"):
        problems.append(f"not computed: {results['not_computed']}")
    suite = load_suite(suite_name, tokens=False)
    spec = suite.profile(profile)
    rows = results["metrics"]
    for metric in spec.metrics:
        values = [r["value"] for r in rows if r["metric"] == metric]
        if not any(v is not None for v in values):
            problems.append(f"metric {metric}: {len(values)} row(s), no value")
    plan = json.loads((out / "plan.json").read_text())
    for attack in dict.fromkeys(u["attack"] for u in plan.get("attacks", [])):
        values = [r["value"] for r in rows if r["metric"].endswith(f":{attack}")]
        if not any(v is not None for v in values):
            problems.append(f"attack {attack}: {len(values)} row(s), no value")
    if not (out / "report" / "index.html").is_file():
        problems.append("no report/index.html")
    return problems


def run_one(model: Path, env: dict[str, str], suite: str, profile: str, out: Path, methods) -> dict:
    command = [sys.executable, "-m", "audits.cli", "run", suite, "--profile", profile]
    command += ["--model", str(model), "--out", str(out), *FAST]
    if methods:
        command += ["--methods", methods]
    started = time.perf_counter()
    load = os.getloadavg()[0]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    seconds = time.perf_counter() - started
    entry = {
        "suite": suite,
        "profile": profile,
        "exit": proc.returncode,
        "seconds": round(seconds, 1),
        "load_average_1min_at_start": round(load, 2),
    }
    if proc.returncode != 0:
        entry["problems"] = [proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""]
        return entry
    entry["summary"] = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    entry["problems"] = check(out, suite, profile)
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="an SD 1.5-shaped folder")
    parser.add_argument("--suites", default=",".join(SD_SUITES))
    parser.add_argument("--profiles", default=None, help="only these profiles (default: all)")
    parser.add_argument(
        "--methods", default="scapre", help="--methods of each run ('' = the profile's)"
    )
    parser.add_argument(
        "--standins-env", default=None, help="JSON environment of stand-ins already written"
    )
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/real-path-cpu.json")
    args = parser.parse_args()
    from audits.suites import load_suite

    work = args.work or Path(tempfile.mkdtemp(prefix="real-path-"))
    work.mkdir(parents=True, exist_ok=True)
    model = args.model
    if model is None:
        from benchmarks.sd15_random import build

        model = work / "sd15-random"
        if not (model / "BUILT.json").is_file():
            print(json.dumps(build(model)), flush=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env |= json.loads(args.standins_env) if args.standins_env else standins(work / "standins")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    wanted = set(args.profiles.split(",")) if args.profiles else None
    entries = []
    for suite in args.suites.split(","):
        loaded = load_suite(suite, tokens=False)
        for profile in loaded.profiles:
            if wanted and profile not in wanted:
                continue
            spec = loaded.profile(profile)
            if spec.model is not None and spec.model.family != "sd-v1":
                print(f"skip {suite}/{profile}: a {spec.model.family} profile", flush=True)
                continue  # an SD 1.5-shaped model stands in for SD 1.x only
            out = work / "runs" / f"{suite}-{profile}"
            methods = args.methods
            if methods is None:
                methods = "" if spec.kind == "paper" else "scapre"
            entry = run_one(model, env, suite, profile, out, methods)
            entries.append(entry)
            status = "ok" if entry["exit"] == 0 and not entry["problems"] else "FAIL"
            print(
                f"{status} {suite}/{profile} {entry['seconds']} s {entry['problems']}", flush=True
            )
    report = {
        "benchmark": "every bundled SD suite x profile, SD 1.5-shaped random model, stand-ins",
        "options": FAST + (["--methods", args.methods] if args.methods is not None else []),
        "model": str(model),
        "cores": os.cpu_count(),
        "runs": entries,
        "passed": sum(e["exit"] == 0 and not e["problems"] for e in entries),
        "total": len(entries),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(f"{report['passed']}/{report['total']} passed -> {args.out}")
    sys.exit(0 if report["passed"] == report["total"] else 1)


if __name__ == "__main__":
    main()
