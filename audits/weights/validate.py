"""Validate the weight-space scores against images: Spearman rank correlation, with a bootstrap
interval, between each weight-space score and the image-level accuracy it should predict, over
(method, erase set, concept) points of paired runs (the same suite, profile and --limit, one run
with `--stages weights` and one ordinary image run).

    PYTHONPATH=. python -m audits.weights.validate --pair runs/clean-w runs/clean \\
        --pair runs/scaling-w runs/scaling --out audits/weights/validation.json

Pairs: kv_shift@target, kv_toward_guide@target, kv_recovery_residual@target against forget_acc
(per erased concept), kv_collateral@neighbor against neighbor_acc (per retained concept). The
unedited model is left out (its zero shift and full accuracy would make any score look good).
A score agrees with images when it ranks points the opposite way to the accuracy (more K/V
shift, less recognition): `agreement = -rho`. An entry is weak when agreement < 0.5 or its
interval reaches 0; the report prints a warning beside the rows of a weak (score, method).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

PAIRS = (
    ("kv_shift@target", "forget_acc"),
    ("kv_toward_guide@target", "forget_acc"),
    ("kv_recovery_residual@target", "forget_acc"),
    ("kv_collateral@neighbor", "neighbor_acc"),
)
WEAK = 0.5
REPLICATES = 1000


def average_ranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    ranks = np.empty(len(x))
    ranks[order] = np.arange(len(x), dtype=float)
    for v in np.unique(x):  # ties share their mean rank
        tied = x == v
        if tied.sum() > 1:
            ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3:
        return None
    rx, ry = average_ranks(np.asarray(x, float)), average_ranks(np.asarray(y, float))
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def interval(x, y, seed: int) -> tuple[float, float] | None:
    """95% percentile bootstrap of Spearman's rho, resampling points with replacement."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if len(x) < 4:
        return None
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(REPLICATES):
        idx = rng.integers(0, len(x), len(x))
        r = spearman(x[idx], y[idx])
        if r is not None:
            values.append(r)
    if len(values) < REPLICATES // 2:
        return None
    lo, hi = np.percentile(values, [2.5, 97.5])
    return float(lo), float(hi)


LEVEL = {"concept": True}  # False: one point per (method, erase set), the aggregate rows


def _per_concept(results: dict, metric: str) -> dict[tuple[str, str, str], float]:
    by_concept = LEVEL["concept"]
    return {
        (r["method"], r["erase_set"], r["concept"] or "(all)"): r["value"]
        for r in results["metrics"]
        if r["metric"] == metric
        and bool(r.get("concept")) == by_concept
        and r.get("value") is not None
        and r.get("family") is None
        and r.get("group") is None
    }


def points(pairs: list[tuple[dict, dict, str]], score: str, image: str, reference: str = "none"):
    """(label, method, score value, image value) over every paired run."""
    out = []
    for weights, images, label in pairs:
        w, i = _per_concept(weights, score), _per_concept(images, image)
        for key in sorted(set(w) & set(i)):
            if key[0] != reference:
                out.append((label, key, w[key], i[key]))
    return out


def correlate(pairs: list[tuple[dict, dict, str]], where: str) -> list[dict[str, Any]]:
    from audits.metrics.bootstrap import seed_for

    entries = []
    for score, image in PAIRS:
        pts = points(pairs, score, image)
        methods = sorted({p[1][0] for p in pts})
        for method in ["all methods", *methods]:
            mine = [p for p in pts if method == "all methods" or p[1][0] == method]
            x = np.array([p[2] for p in mine])
            y = np.array([p[3] for p in mine])
            rho = spearman(x, y)
            ci = interval(x, y, seed_for("weights-validation", score, image, method))
            if rho is None:
                entry = {"rho": None, "ci_low": None, "ci_high": None, "weak": True}
                entry["reason"] = "too few points or no spread in one of the two"
            else:
                agree_lo = -ci[1] if ci else None
                weak = -rho < WEAK or agree_lo is None or agree_lo <= 0
                entry = {
                    "rho": round(rho, 4),
                    "ci_low": round(ci[0], 4) if ci else None,
                    "ci_high": round(ci[1], 4) if ci else None,
                    "weak": bool(weak),
                }
            entries.append(
                {
                    "score": score,
                    "image_metric": image,
                    "method": method,
                    "n": len(mine),
                    "unit": "(method, erase set, concept) points"
                    if LEVEL["concept"]
                    else "(method, erase set) points",
                    "where": where,
                    **entry,
                }
            )
    return entries


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pair", nargs=2, action="append", metavar=("WEIGHTS_RUN", "IMAGE_RUN"))
    parser.add_argument("--where", default="")
    parser.add_argument("--out", type=Path)
    parser.add_argument(
        "--any-suite-version",
        action="store_true",
        help="pair runs of different suite versions (both hashes are recorded)",
    )
    parser.add_argument(
        "--level",
        choices=("concept", "aggregate"),
        default="concept",
        help="points: (method, erase set, concept) rows, or the (method, erase set) aggregates",
    )
    args = parser.parse_args(argv)
    LEVEL["concept"] = args.level == "concept"
    pairs, sources = [], []
    for w, i in args.pair:
        wr = json.loads((Path(w) / "results.json").read_text())
        ir = json.loads((Path(i) if i.endswith(".json") else Path(i) / "results.json").read_text())
        if wr.get("limit") != ir.get("limit") or (
            wr["suite"]["hash"] != ir["suite"]["hash"] and not args.any_suite_version
        ):
            raise SystemExit(f"{w} and {i} are not the same suite and --limit")
        pairs.append((wr, ir, f"{ir['suite']['profile']}"))
        sources.append(
            {
                "weights_suite_hash": wr["suite"]["hash"],
                "weights_suite_version": wr["suite"]["version"],
                "images_source": ir.get("source", str(i)),
                "suite": ir["suite"]["name"],
                "version": ir["suite"]["version"],
                "suite_hash": ir["suite"]["hash"],
                "profile": ir["suite"]["profile"],
                "limit": ir.get("limit"),
                "prompt_sets": {k: v["sha256"] for k, v in (ir.get("prompt_sets") or {}).items()},
            }
        )
    result = {
        "schema": "scapre-audit/weights-validation/1",
        "definition": __doc__.split("\n\n")[0].replace("\n", " "),
        "weak_rule": f"agreement = -rho; weak when agreement < {WEAK} or its 95% interval "
        "reaches 0",
        "interval": f"95% percentile bootstrap over points, {REPLICATES} replicates",
        "level": args.level,
        "sources": sources,
        "correlations": correlate(pairs, args.where),
    }
    for e in result["correlations"]:
        ci = "" if e["ci_low"] is None else f"[{e['ci_low']:+.2f}, {e['ci_high']:+.2f}]"
        rho = "n/a" if e["rho"] is None else f"{e['rho']:+.2f}"
        flag = "WEAK" if e["weak"] else ""
        print(
            f"{e['score']:28s} {e['image_metric']:13s} {e['method']:16s} n={e['n']:3d} "
            f"rho {rho} {ci} {flag}"
        )
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return result


if __name__ == "__main__":
    main()
