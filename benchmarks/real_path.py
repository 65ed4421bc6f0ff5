"""The real path end to end: every bundled suite's every profile, with the evaluators' weights
stood in by random-weight files where a user's download puts them, `--limit 1 --seeds 1 --steps 2
--size 64`.

    python benchmarks/real_path.py [--model DIR] [--suites a,b] [--profiles p,q] [--methods M]

Models: SD 1.x profiles run on an SD 1.5-shaped model with random weights (`--model`, else a fresh
build by benchmarks/random_model.py; reuse a built folder); the `sdxl` profile runs on an
SDXL-shaped one (`--sdxl-model`, built by `benchmarks/random_model.py --family sdxl`: 3.5B
parameters, about 14 GB in fp32) or, without it, on the tiny SDXL-family pipeline
(`audits.models.tiny.tiny_sdxl_pipeline`: two CLIP text encoders, the text_time UNet, a few MB); the
toy world runs on its own bundled model. The stand-ins (`tests.standins.write_standins`: open_clip
ViT-L-14 'openai' in the Hugging Face hub cache, torchvision ResNet-50 and AlexNet and
torch-fidelity's FID Inception-v3 in the torch hub folder) go into a scratch HF_HOME / TORCH_HOME.

`--seeds 1` is part of the proof's command because the paper profiles use up to 500 seeds per
prompt (`--limit 1` alone would still mean 500 images per probe per edit). Each run is
`scapre-audit run` in its own process, offline; it passes when it exits 0, every metric and
attack its profile declares has a non-null value (or every one of its rows says why it has none:
an attack rate whose unedited model never drew the concept, which random weights never do, or FID
on the one image `--limit 1` leaves; listed under `marked`), nothing is listed as not computed,
and report/index.html exists. Clean profiles run `--methods scapre` (plus the unedited model) to
stay small; paper profiles run their own methods, since their table metrics (UQ) normalise over
them. `--attack-budget N` (default 2) caps the tier-1/2 searches, whose budgets are sized for a
GPU (200 UNet forward+backward passes per UnlearnDiffAtk unit is about half an hour on 2 CPU
cores here).
Results (exit, wall seconds, load average, peak memory, values) go to
benchmarks/results/real-path-cpu.json, and are merged into it when only some suites are run. The
numbers mean nothing: the point is that every loading, shape, dtype and plumbing path runs.
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

SUITES = [
    "art50",
    "artists100",
    "celebrities100",
    "imagenet-confuse",
    "imagenet-diversi50",
    "imagenette10",
    "nudity",
    "toyworld",
]
FAST = ["--limit", "1", "--seeds", "1", "--steps", "2", "--size", "64"]


def standins(folder: Path) -> dict[str, str]:
    """Random-weight evaluator files where a normal download puts them; the environment."""
    from tests.standins import ALL, write_standins

    return write_standins(folder, list(ALL))


def tiny_sdxl(folder: Path) -> Path:
    """The tiny SDXL-family pipeline saved as a diffusers folder (built once)."""
    if not (folder / "model_index.json").is_file():
        from audits.models.tiny import tiny_sdxl_pipeline

        tiny_sdxl_pipeline().save_pretrained(folder)
    return folder


def reasons(rows: list[dict]) -> list[str]:
    """Why each row of a name has no value, when every row says why: its exclusions name the
    images left out (an attack whose base model never drew the concept, FID on fewer than 2
    images) or its `extra.not_computed` names why the number is undefined (UQ when every
    method has the same A or C); empty when some row has a value or a row gives no reason."""
    if not rows or any(r["value"] is not None for r in rows):
        return []
    why = [_row_reasons(r) for r in rows]
    if not all(why):
        return []
    return sorted({reason for found in why for reason in found})


def _row_reasons(row: dict) -> list[str]:
    found = list(row.get("exclusions") or {})
    computed = (row.get("extra") or {}).get("not_computed")
    return found + ([str(computed)] if computed else [])


def check(out: Path, suite_name: str, profile: str, marked: list[str] | None = None) -> list[str]:
    """Why a finished run does not pass (empty: it passes). A metric or attack whose rows have
    no value passes only when every row states why (`reasons`); those go to `marked`."""
    from audits.suites import load_suite

    problems = []
    marked = [] if marked is None else marked
    results_path = out / "results.json"
    if not results_path.is_file():
        return ["no results.json"]
    results = json.loads(results_path.read_text())
    if results.get("not_computed"):
        problems.append(f"not computed: {results['not_computed']}")
    suite = load_suite(suite_name, tokens=False)
    spec = suite.profile(profile)
    rows = results["metrics"]
    plan = json.loads((out / "plan.json").read_text())
    named = [(f"metric {m}", [r for r in rows if r["metric"] == m]) for m in spec.metrics]
    for attack in dict.fromkeys(u["attack"] for u in plan.get("attacks", [])):
        named.append((f"attack {attack}", [r for r in rows if r["metric"].endswith(f":{attack}")]))
    for name, found in named:
        if any(r["value"] is not None for r in found):
            continue
        why = reasons(found)
        if why:
            marked.append(f"{name}: {len(found)} row(s) without a value, each says why: {why}")
        else:
            problems.append(f"{name}: {len(found)} row(s), no value")
    if not (out / "report" / "index.html").is_file():
        problems.append("no report/index.html")
    return problems


def counts(out: Path) -> dict:
    """Result rows, rows with a value, and rows marked with a substitution."""
    path = out / "results.json"
    if not path.is_file():
        return {}
    rows = json.loads(path.read_text())["metrics"]
    marked = [r for r in rows if (r.get("evaluator") or {}).get("substitution")]
    return {
        "rows": len(rows),
        "values": sum(r["value"] is not None for r in rows),
        "substituted_rows": len(marked),
    }


def run_one(
    model, env: dict[str, str], suite: str, profile: str, out: Path, methods, budget: int
) -> dict:
    command = [sys.executable, "-m", "audits.cli", "run", suite, "--profile", profile]
    command += ["--out", str(out), "--quiet", *FAST, "--attack-budget", str(budget)]
    if model is not None:
        command += ["--model", str(model)]
    if methods:
        command += ["--methods", methods]
    started = time.perf_counter()
    load = os.getloadavg()[0]
    with tempfile.TemporaryFile("w+") as stdout, tempfile.TemporaryFile("w+") as stderr:
        proc = subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr, text=True, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0), stderr.seek(0)
        out_text, err_text = stdout.read(), stderr.read()
    seconds = time.perf_counter() - started
    entry = {
        "suite": suite,
        "profile": profile,
        "model": str(model) if model else "the suite's own",
        "methods": methods or "the profile's",
        "exit": proc.returncode,
        "seconds": round(seconds, 1),
        "peak_rss_gb": round(usage.ru_maxrss / 2**20, 2),
        "load_average_1min_at_start": round(load, 2),
        "load_average_1min_at_end": round(os.getloadavg()[0], 2),
    }
    if proc.returncode != 0:
        entry["problems"] = [err_text.strip().splitlines()[-1] if err_text.strip() else ""]
        return entry
    lines = [line for line in out_text.splitlines() if ": " in line and "image(s)" in line]
    entry["summary"] = lines[0] if lines else ""
    entry |= counts(out)
    entry["marked"] = []
    entry["problems"] = check(out, suite, profile, entry["marked"])
    return entry


def merge(path: Path, report: dict) -> dict:
    """Replace the runs of this invocation in an earlier result file (chunked runs)."""
    if not path.is_file():
        return report
    old = json.loads(path.read_text())
    if old.get("options") != report["options"]:
        return report
    done = {(e["suite"], e["profile"]) for e in report["runs"]}
    runs = [e for e in old["runs"] if (e["suite"], e["profile"]) not in done] + report["runs"]
    order = {s: i for i, s in enumerate(SUITES)}
    runs.sort(key=lambda e: order.get(e["suite"], len(order)))
    return report | {"runs": runs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None, help="an SD 1.5-shaped folder")
    parser.add_argument(
        "--sdxl-model",
        type=Path,
        default=None,
        help="an SDXL-shaped folder for `sdxl` profiles (default: the tiny SDXL pipeline)",
    )
    parser.add_argument("--suites", default=",".join(SUITES))
    parser.add_argument("--profiles", default=None, help="only these profiles (default: all)")
    parser.add_argument(
        "--methods",
        default=None,
        help="--methods of each run (default: scapre for clean profiles, the profile's own for"
        " paper profiles; '' = the profile's own everywhere)",
    )
    parser.add_argument("--attack-budget", type=int, default=2, help="--attack-budget of each run")
    parser.add_argument(
        "--standins-env", default=None, help="JSON environment of stand-ins already written"
    )
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: temp)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/real-path-cpu.json")
    args = parser.parse_args()
    from audits.suites import load_suite

    work = args.work or Path(tempfile.mkdtemp(prefix="real-path-"))
    work.mkdir(parents=True, exist_ok=True)
    suites = args.suites.split(",")
    model = args.model
    sd1 = any(s != "toyworld" for s in suites)
    if model is None and sd1:
        from benchmarks.random_model import build

        model = work / "sd15-random"
        if not (model / "BUILT.json").is_file():
            print(json.dumps(build(model)), flush=True)
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env |= json.loads(args.standins_env) if args.standins_env else standins(work / "standins")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    wanted = set(args.profiles.split(",")) if args.profiles else None
    entries = []
    for suite in suites:
        loaded = load_suite(suite, tokens=False)
        for profile in loaded.profiles:
            if wanted and profile not in wanted:
                continue
            spec = loaded.profile(profile)
            family = spec.model.family if spec.model is not None else "sd-v1"
            use = {"sd-v1": model, "toyworld": None}.get(family)
            if family == "sdxl":
                use = args.sdxl_model or tiny_sdxl(work / "tiny-sdxl")
            elif family not in ("sd-v1", "toyworld"):
                print(f"skip {suite}/{profile}: no stand-in model of family {family}", flush=True)
                continue
            out = work / "runs" / f"{suite}-{profile}"
            methods = args.methods
            if methods is None:
                methods = "" if spec.kind == "paper" else "scapre"
            entry = run_one(use, env, suite, profile, out, methods, args.attack_budget)
            entries.append(entry)
            status = "ok" if entry["exit"] == 0 and not entry["problems"] else "FAIL"
            print(
                f"{status} {suite}/{profile} {entry['seconds']} s, peak {entry['peak_rss_gb']} GB,"
                f" load {entry['load_average_1min_at_start']}-{entry['load_average_1min_at_end']}"
                f" {entry.get('values', 0)}/{entry.get('rows', 0)} values {entry['problems']}",
                flush=True,
            )
    report = {
        "benchmark": "every bundled suite x profile, stand-in models and evaluator weights",
        "options": FAST + ["--attack-budget", str(args.attack_budget)],
        "model": str(model),
        "cores": os.cpu_count(),
        "runs": entries,
    }
    report = merge(args.out, report)
    report["passed"] = sum(e["exit"] == 0 and not e["problems"] for e in report["runs"])
    report["total"] = len(report["runs"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    mine = sum(e["exit"] == 0 and not e["problems"] for e in entries)
    print(f"{mine}/{len(entries)} passed ({report['passed']}/{report['total']} in {args.out})")
    sys.exit(0 if mine == len(entries) else 1)


if __name__ == "__main__":
    main()
