"""Benchmark `scapre-audit report` on a large synthetic run: 100 concepts x 5 methods.

    .venv/bin/python benchmarks/report.py                 # 64x64 images (copied as they are)
    .venv/bin/python benchmarks/report.py --size 512      # SD-sized images (thumbnailed)

A run directory is synthesised in a temporary folder: 100 target concepts, 100 neighbours, the
unedited model plus 5 methods on three erase sets (all 100, sweep@1, sweep@10), target,
neighbour and adversarial probes (2 seeds each), a PNG and a record for every image, and a
results.json with aggregate, per-family and per-concept rows. Only rendering is timed (loading
the run included), first into a new folder, then again over that report (thumbnails reused); the
result (seconds, pages, largest page, report size) is printed and written
to benchmarks/results/report-<size>.json. No torch is imported.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

METHODS = ["scapre", "uce", "rece", "speed", "mace-cfr"]
FAMILIES = ["paraphrase", "indirect", "spacing"]


def _id(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]


def _pngs(size: int, count: int = 16) -> list[bytes]:
    """A few distinct images; writing bytes is cheap, drawing 10k images is not the point."""
    out = []
    for i in range(count):
        image = Image.new("RGB", (size, size), (20 * i % 256, 90, 255 - 15 * i))
        image.paste((255, 40 + 10 * i, 30), (size // 4, size // 4, size // 2 + i, size // 2 + i))
        buf = io.BytesIO()
        image.save(buf, "PNG")
        out.append(buf.getvalue())
    return out


def _row(metric, kind, method, es, size, edit_id, value, higher, **extra):
    row = {
        "metric": metric,
        "kind": kind,
        "definition_version": f"{kind}/1",
        "higher_is_better": higher,
        "method": method,
        "method_kind": method,
        "erase_set": es,
        "erase_set_size": size,
        "edit_id": edit_id,
        "probe": "target",
        "probes": ["target"],
        "concept": None,
        "family": None,
        "group": None,
        "label": None,
        "value": value,
        "n": 400,
        "n_excluded": 0,
        "exclusions": {},
        "ci_low": max(0.0, value - 0.05),
        "ci_high": value + 0.05,
        "ci": {"method": "percentile bootstrap", "level": 0.95, "replicates": 1000, "seed": 1},
        "scorer": "clip",
        "evaluator": {"kind": "clip_zeroshot", "labels": [f"concept {i}" for i in range(200)]},
        "extra": {},
    }
    row.update(extra)
    return row


def synthesise(root: Path, size: int) -> None:
    targets = [f"concept {i:03d}" for i in range(100)]
    neighbours = [f"neighbour {i:03d}" for i in range(100)]
    sets = [("all", targets), ("sweep@1", targets[:1]), ("sweep@10", targets[:10])]
    probes = {
        "target": [(c, f"a photo of {c}", "") for c in targets]
        + [(c, f"a painting of {c}", "") for c in targets],
        "neighbor": [(c, f"a photo of {c}", "") for c in neighbours],
        "adversarial": [
            (c, f"a picture that shows {c}", FAMILIES[i % 3]) for i, c in enumerate(targets)
        ],
    }
    plan = {"edits": [], "groups": [], "probes": {}, "sampling": {"height": size, "width": size}}
    for name, cases in probes.items():
        plan["probes"][name] = {
            "name": name,
            "purpose": name,
            "cases": [
                {"probe": name, "index": i, "prompt": p, "seeds": [0, 1], "concept": c, "family": f}
                for i, (c, p, f) in enumerate(cases)
            ],
        }
    edits = [("none", "all", [], _id("none"))]
    for method in METHODS:
        for es, concepts in sets:
            edits.append((method, es, concepts, _id(method, es)))
    pngs = _pngs(size)
    metrics = []
    for method, es, concepts, edit_id in edits:
        if method == "none":
            plan["edits"].append({"edit_id": edit_id, "method": "none", "concepts": []})
            for es2, concepts2 in sets:
                plan["groups"].append(
                    {
                        "method": "none",
                        "erase_set": es2,
                        "erase_set_size": len(concepts2),
                        "concepts": concepts2,
                        "edit_id": edit_id,
                    }
                )
        else:
            plan["edits"].append({"edit_id": edit_id, "method": method, "concepts": concepts})
            plan["groups"].append(
                {
                    "method": method,
                    "erase_set": es,
                    "erase_set_size": len(concepts),
                    "concepts": concepts,
                    "edit_id": edit_id,
                }
            )
        edit_dir = root / "edits" / edit_id
        edit_dir.mkdir(parents=True)
        (edit_dir / "edit.json").write_text(
            json.dumps(
                {
                    "edit_id": edit_id,
                    "method": method,
                    "n_matrices": 32,
                    "timings_s": {"wall_s": 0.01 * len(concepts) + 0.5},
                }
            )
        )
        folder = root / "images" / edit_id
        folder.mkdir(parents=True)
        k = 0
        for cases in plan["probes"].values():
            for case in cases["cases"]:
                for seed in case["seeds"]:
                    image_id = _id(edit_id, case["prompt"], seed)
                    data = pngs[k % len(pngs)]
                    k += 1
                    (folder / f"{image_id}.png").write_bytes(data)
                    record = {
                        "image_id": image_id,
                        "edit_id": edit_id,
                        "prompt": case["prompt"],
                        "seed": seed,
                        "sha256": hashlib.sha256(data).hexdigest(),
                    }
                    (folder / f"{image_id}.json").write_text(json.dumps(record))
    groups = plan["groups"]
    for g in groups:
        m, es, n, edit_id = g["method"], g["erase_set"], g["erase_set_size"], g["edit_id"]
        base = 0.9 if m == "none" else 0.1 + 0.002 * n
        metrics += [
            _row("forget_acc", "forget_acc", m, es, n, edit_id, base, False),
            _row("neighbor_acc", "neighbor_acc", m, es, n, edit_id, 0.85 - 0.001 * n, True),
            _row("harmonic_acc", "harmonic_acc", m, es, n, edit_id, 0.8, True),
            _row("clip_score", "clip_score", m, es, n, edit_id, 30.0, True),
            _row(
                "fid_vs_base",
                "fid_vs_base",
                m,
                es,
                n,
                edit_id,
                5.0,
                False,
                ci_low=None,
                ci_high=None,
            ),
        ]
        metrics += [
            _row(
                "attack_success_rate",
                "attack_success_rate",
                m,
                es,
                n,
                edit_id,
                0.3,
                False,
                family=f,
            )
            for f in FAMILIES
        ]
        metrics += [
            _row("forget_acc", "forget_acc", m, es, n, edit_id, base, False, concept=c)
            for c in g["concepts"]
        ]
        metrics += [
            _row("neighbor_acc", "neighbor_acc", m, es, n, edit_id, 0.8, True, concept=c)
            for c in neighbours
        ]
    results = {
        "schema": "scapre-audit/results/1",
        "suite": {
            "name": "synthetic100",
            "version": "0.0.0",
            "hash": "0" * 64,
            "profile": "clean",
            "profile_kind": "clean",
            "cites": "",
        },
        "reference_method": "none",
        "model": {"id": "synthetic", "weights_sha256": {"unet": "0" * 64}},
        "methods": {m: {"kind": m, "version": f"{m}/1", "config": {}} for m in ["none", *METHODS]},
        "metrics": metrics,
    }
    (root / "plan.json").write_text(json.dumps(plan))
    (root / "results.json").write_text(json.dumps(results))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=64, help="image side in pixels")
    args = parser.parse_args()
    from reports.build import build_report

    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        t0 = time.perf_counter()
        synthesise(run, args.size)
        synth_s = time.perf_counter() - t0
        n_images = sum(1 for _ in (run / "images").rglob("*.png"))
        t0 = time.perf_counter()
        out = build_report([run], Path(tmp) / "report")
        render_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        build_report([run], Path(tmp) / "report")  # again, over the previous report
        rerender_s = time.perf_counter() - t0
        pages = {p.name: p.stat().st_size for p in out.glob("*.html")}
        copied = list((out / "img").rglob("*.*"))
        result = {
            "benchmark": "report",
            "concepts": 100,
            "methods": len(METHODS),
            "erase_sets": 3,
            "image_size": args.size,
            "run_images": n_images,
            "results_rows": len(json.loads((run / "results.json").read_text())["metrics"]),
            "synthesis_s": round(synth_s, 2),
            "render_s": round(render_s, 2),
            "rerender_s": round(rerender_s, 2),
            "cpu_count": os.cpu_count(),
            "pages": len(pages),
            "largest_page": max(pages, key=pages.get),
            "largest_page_bytes": max(pages.values()),
            "index_bytes": pages["index.html"],
            "largest_concept_page_bytes": max(
                v for k, v in pages.items() if k.startswith("concept-")
            ),
            "images_copied": len(copied),
            "report_bytes": sum(p.stat().st_size for p in out.rglob("*") if p.is_file()),
            "platform": platform.platform(),
            "python": platform.python_version(),
        }
    print(json.dumps(result, indent=1))
    dest = ROOT / "benchmarks" / "results" / f"report-{args.size}.json"
    dest.write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
