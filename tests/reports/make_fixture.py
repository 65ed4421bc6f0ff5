"""Build the small saved run the report tests read, from a real toy-world run directory.

    python tests/reports/make_fixture.py /tmp/tw-clean tests/reports/data/toyworld-mini

It keeps the methods none, scapre and uce (erase sets `all` and `one`, so the scaling curve has
two sizes), two target and two neighbour concepts, two prompts per concept and probe, the first
two seeds, and the images, image records and edit records of those. Metric values are copied
unchanged from the full run, so their `n` counts more images than the fixture holds; the
delta.safetensors files are left out (a report never reads them).

    python tests/reports/make_fixture.py --whole /tmp/tw-demo tests/reports/data/toyworld-demo

copies a small run whole (the `demo` profile with `--limit 4`: every method, the attack, score
files with per-image verdicts, `definitions`, claims), without any *.safetensors file and
without its report.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

METHODS = {"none", "scapre", "uce"}
CONCEPTS = {"red circle", "yellow square", "red square", "yellow circle"}
CASES_PER_CONCEPT = 2
SEEDS = 2


def _dump(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=None, sort_keys=True) + "\n", encoding="utf-8")


def trim(source: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    plan = json.loads((source / "plan.json").read_text())
    plan["edits"] = [e for e in plan["edits"] if e["method"] in METHODS]
    plan["groups"] = [g for g in plan["groups"] if g["method"] in METHODS]
    for probe in plan["probes"].values():
        kept, per_concept = [], {}
        for case in probe["cases"]:
            concept = case["concept"]
            if concept and concept not in CONCEPTS:
                continue
            if per_concept.get(concept, 0) >= CASES_PER_CONCEPT:
                continue
            per_concept[concept] = per_concept.get(concept, 0) + 1
            kept.append({**case, "seeds": case["seeds"][:SEEDS]})
        probe["cases"] = kept
    _dump(dest / "plan.json", plan)

    results = json.loads((source / "results.json").read_text())
    results["methods"] = {k: v for k, v in results["methods"].items() if k in METHODS}
    results["metrics"] = [
        m
        for m in results["metrics"]
        if m["method"] in METHODS and (m["concept"] is None or m["concept"] in CONCEPTS)
    ]
    _dump(dest / "results.json", results)

    manifest = json.loads((source / "manifest.json").read_text())
    manifest["identity"]["methods"] = [m for m in manifest["identity"]["methods"] if m in METHODS]
    prov = manifest["provenance"]
    prov["methods"] = {k: v for k, v in prov["methods"].items() if k in METHODS}
    _dump(dest / "manifest.json", manifest)

    wanted = {
        (c["prompt"], s) for p in plan["probes"].values() for c in p["cases"] for s in c["seeds"]
    }
    for edit in plan["edits"]:
        edit_id = edit["edit_id"]
        shutil.copyfile(source / "edits" / edit_id / "edit.json", _mk(dest / "edits" / edit_id))
        for record_path in sorted((source / "images" / edit_id).glob("*.json")):
            record = json.loads(record_path.read_text())
            if (record["prompt"], record["seed"]) in wanted:
                folder = dest / "images" / edit_id
                folder.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(record_path, folder / record_path.name)
                png = record_path.with_suffix(".png")
                shutil.copyfile(png, folder / png.name)


def _mk(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / "edit.json"


def whole(source: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    for path in sorted(source.rglob("*")):
        rel = path.relative_to(source)
        if path.is_dir() or rel.parts[0] == "report" or path.suffix == ".safetensors":
            continue
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest / rel)


if __name__ == "__main__":
    if sys.argv[1] == "--whole":
        whole(Path(sys.argv[2]), Path(sys.argv[3]))
    else:
        trim(Path(sys.argv[1]), Path(sys.argv[2]))
