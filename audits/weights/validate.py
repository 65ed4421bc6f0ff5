"""Validate the weight-space scores against images: Spearman rank correlation, with a bootstrap
interval, between each weight-space score and the image-level accuracy it should predict, over
(method, erase set, concept) points of paired runs (the same suite, profile and --limit, one run
with `--stages weights` and one ordinary image run).

    PYTHONPATH=. python -m audits.weights.validate --pair runs/clean-w runs/clean \\
        --pair runs/scaling-w runs/scaling --out audits/weights/validation.json

Pairs: kv_shift@target, kv_toward_guide@target, kv_recovery_residual@target against forget_acc
(per erased concept), kv_collateral@neighbor against neighbor_acc (per retained concept). The
unedited model is left out (its zero shift and full accuracy would make any score look good).
Each pair of runs (one profile) is correlated on its own: profiles share edits (the toy world's
`scaling` sweep@8 is `clean`'s `all`), so pooling them would count points twice. A score agrees
with images when it ranks points the opposite way to the accuracy (more K/V shift, less
recognition): `agreement = -rho`. An entry is weak when agreement < 0.5, when its interval
reaches 0, or when fewer than 3 points' image accuracy differs from the most common value (a
method that removes every concept from every image but one image has a rank correlation that one
image decides); the report prints a warning beside the rows of a weak (score, method).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

PAIRS = (
    ("kv_shift@target", "forget_acc"),
    ("kv_toward_guide@target", "forget_acc"),
    ("kv_recovery_residual@target", "forget_acc"),
    ("kv_collateral@neighbor", "neighbor_acc"),
)
WEAK = 0.5
MIN_VARIED = 3  # points whose image accuracy differs from the most common value
REPLICATES = 1000
REFERENCE = "none"
Key = tuple[str, str, str]  # (method, erase set, concept or "(all)")


def _spread(a: torch.Tensor) -> torch.Tensor:
    """Per column: does it hold two different values (a rank correlation needs spread)."""
    return (a.amax(0) > a.amin(0)) if a.ndim == 2 else (a.max() > a.min()).reshape(1)


def spearman(x, y) -> float | None:
    """Spearman's rho (torchmetrics: ties share their mean rank; its eps 1e-6 in the
    denominator moves a value by ~1e-6); None below 3 points or when one side has no spread
    (torchmetrics would return 0 there, which is no measurement)."""
    from torchmetrics.functional import spearman_corrcoef

    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    if len(xt) < 3 or not bool(_spread(xt) & _spread(yt)):
        return None
    return float(spearman_corrcoef(xt, yt))


def interval(x, y, seed: int, replicates: int = REPLICATES) -> tuple[float, float] | None:
    """95% percentile bootstrap of Spearman's rho, resampling points with replacement (every
    replicate at once: one column per replicate); replicates without spread are dropped, and
    no interval is given when more than half are."""
    from torchmetrics.functional import spearman_corrcoef

    xt, yt = torch.as_tensor(x, dtype=torch.float64), torch.as_tensor(y, dtype=torch.float64)
    if len(xt) < 4:
        return None
    idx = torch.from_numpy(np.random.default_rng(seed).integers(0, len(xt), (len(xt), replicates)))
    xs, ys = xt[idx], yt[idx]
    keep = _spread(xs) & _spread(ys)
    if int(keep.sum()) < replicates // 2:
        return None
    rho = spearman_corrcoef(xs[:, keep], ys[:, keep]).reshape(-1).numpy()
    lo, hi = np.percentile(rho, [2.5, 97.5])
    return float(lo), float(hi)


def values(results: dict, metric: str, per_concept: bool = True) -> dict[Key, float]:
    """One value per (method, erase set, concept) row of `metric` (or per aggregate row)."""
    return {
        (r["method"], r["erase_set"], r["concept"] or "(all)"): r["value"]
        for r in results["metrics"]
        if r["metric"] == metric
        and bool(r.get("concept")) == per_concept
        and r.get("value") is not None
        and r.get("family") is None
        and r.get("group") is None
    }


def points(weights: dict, images: dict, score: str, image: str, per_concept: bool = True):
    """(key, score value, image value) for every key both runs measured, the reference out."""
    w, i = values(weights, score, per_concept), values(images, image, per_concept)
    return [(k, w[k], i[k]) for k in sorted(set(w) & set(i)) if k[0] != REFERENCE]


def entry(pts: list, score: str, image: str, method: str, where: str, unit: str) -> dict:
    """One correlation with its interval and its weak/strong verdict."""
    from audits.metrics.bootstrap import seed_for

    x = [p[1] for p in pts]
    y = [p[2] for p in pts]
    rho = spearman(x, y)
    out: dict[str, Any] = {
        "score": score,
        "image_metric": image,
        "method": method,
        "n": len(pts),
        "unit": unit,
        "where": where,
    }
    if rho is None:
        return out | {
            "rho": None,
            "ci_low": None,
            "ci_high": None,
            "weak": True,
            "reason": "too few points or no spread in one of the two",
        }
    ci = interval(x, y, seed_for("weights-validation", score, image, method, where))
    agree_lo = -ci[1] if ci else None
    off_mode = len(y) - max(y.count(v) for v in set(y))
    result = out | {
        "rho": round(rho, 4),
        "ci_low": round(ci[0], 4) if ci else None,
        "ci_high": round(ci[1], 4) if ci else None,
        "weak": bool(-rho < WEAK or agree_lo is None or agree_lo <= 0 or off_mode < MIN_VARIED),
    }
    if off_mode < MIN_VARIED:  # e.g. UCE: every accuracy 0 but one image's 0.03
        result["reason"] = (
            f"the image accuracy differs from its most common value in {off_mode} point(s): "
            "the ranking rests on them, and so does the interval"
        )
    return result


def correlate(pairs: list[tuple[dict, dict, str]], per_concept: bool = True) -> list[dict]:
    """Entries for every (run pair, score, all methods and each method)."""
    unit = "(method, erase set, concept) points" if per_concept else "(method, erase set) points"
    entries = []
    for weights, images, where in pairs:
        for score, image in PAIRS:
            pts = points(weights, images, score, image, per_concept)
            for method in ["all methods", *sorted({p[0][0] for p in pts})]:
                mine = [p for p in pts if method == "all methods" or p[0][0] == method]
                entries.append(entry(mine, score, image, method, where, unit))
    return entries


def _source(wr: dict, ir: dict, w: str, i: str) -> dict[str, Any]:
    return {
        "weights_run": w,
        "weights_git": wr.get("git"),
        "images_git": ir.get("git"),
        "weights_suite_hash": wr["suite"]["hash"],
        "weights_suite_version": wr["suite"]["version"],
        "weights_model": (wr.get("model") or {}).get("weights_sha256"),
        "images_source": ir.get("source", i),
        "images_model": (ir.get("model") or {}).get("weights_sha256"),
        "suite": ir["suite"]["name"],
        "version": ir["suite"]["version"],
        "suite_hash": ir["suite"]["hash"],
        "profile": ir["suite"]["profile"],
        "limit": ir.get("limit"),
        "prompt_sets": {k: v["sha256"] for k, v in (ir.get("prompt_sets") or {}).items()},
    }


def _read(path: str) -> dict:
    p = Path(path)
    p = p if p.suffix == ".json" else p / "results.json"
    if not p.is_file():
        raise SystemExit(f"error: no results.json at {p}")
    return json.loads(p.read_text())


def load_pairs(
    pairs: list[list[str]], any_version: bool = False
) -> tuple[list[tuple[dict, dict, str]], list[dict]]:
    """Read each (weights run, image run) pair, refusing pairs of different suites, profiles,
    --limit, models or prompt sets (one line; `main` exits 2)."""
    out, sources = [], []
    for w, i in pairs:
        wr, ir = _read(w), _read(i)
        if wr.get("stages") != "weights":
            raise SystemExit(f"error: {w} is not a --stages weights run")
        same = (
            wr["suite"]["name"] == ir["suite"]["name"]
            and wr["suite"]["profile"] == ir["suite"]["profile"]
            and wr.get("limit") == ir.get("limit")
            and (any_version or wr["suite"]["hash"] == ir["suite"]["hash"])
        )
        if not same:
            raise SystemExit(f"error: {w} and {i} are not the same suite, profile and --limit")
        wm, im = ((r.get("model") or {}).get("weights_sha256") for r in (wr, ir))
        if wm and im and wm != im:
            raise SystemExit(f"error: {w} and {i} measured different model weights")
        shared = set(wr.get("prompt_sets") or {}) & set(ir.get("prompt_sets") or {})
        for name in sorted(shared):
            if wr["prompt_sets"][name]["sha256"] != ir["prompt_sets"][name]["sha256"]:
                raise SystemExit(f"error: {w} and {i} used different {name} prompts")
        out.append((wr, ir, f"{ir['suite']['name']} {ir['suite']['profile']}"))
        sources.append(_source(wr, ir, w, i))
    return out, sources


def table(entries: list[dict]) -> str:
    """The correlations as a Markdown table (docs/weights.md, the suite card)."""
    lines = [
        "| profile | weight-space score | image metric | method | points | Spearman rho [95% "
        "interval] | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for e in entries:
        if e["rho"] is None:
            rho = "n/a (" + e.get("reason", "") + ")"
        else:
            ci = "" if e["ci_low"] is None else f" [{e['ci_low']:+.2f}, {e['ci_high']:+.2f}]"
            rho = f"{e['rho']:+.2f}{ci}"
        verdict = "**weak**" if e["weak"] else "agrees"
        if e["rho"] is not None and e.get("reason"):
            verdict += " (image accuracy varies in fewer than 3 points)"
        lines.append(
            f"| {e['where']} | `{e['score']}` | {e['image_metric']} | {e['method']} | {e['n']} "
            f"| {rho} | {verdict} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pair",
        nargs=2,
        action="append",
        required=True,
        metavar=("WEIGHTS_RUN", "IMAGE_RUN"),
    )
    parser.add_argument("--out", type=Path, help="write the table as JSON (validation.json)")
    parser.add_argument("--markdown", type=Path, help="write the Markdown table")
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
    try:
        pairs, sources = load_pairs(args.pair, args.any_suite_version)
    except SystemExit as err:
        print(err, file=sys.stderr)
        raise SystemExit(2) from None
    entries = correlate(pairs, args.level == "concept")
    result = {
        "schema": "scapre-audit/weights-validation/1",
        "definition": __doc__.split("\n\n")[0].replace("\n", " "),
        "command": "python -m audits.weights.validate "
        + " ".join(f"--pair {w} {i}" for w, i in args.pair)
        + (f" --level {args.level}" if args.level != "concept" else "")
        + (" --any-suite-version" if args.any_suite_version else ""),
        "weak_rule": f"agreement = -rho; weak when agreement < {WEAK}, when its 95% interval "
        f"reaches 0, or when fewer than {MIN_VARIED} points' image accuracy differs from the "
        "most common value",
        "interval": f"95% percentile bootstrap over points, {REPLICATES} replicates, seeded",
        "level": args.level,
        "sources": sources,
        "correlations": entries,
    }
    print(table(entries))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    if args.markdown:
        args.markdown.write_text(table(entries) + "\n")
    return result


if __name__ == "__main__":
    main()
