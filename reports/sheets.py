"""Contact sheets: for one concept, the unedited image beside each method's, same prompt and seed.

Only the first few prompts and seeds of each probe are shown (the page must stay small on
large runs); the page says how many there are in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reports.images import ImageStore
from runfmt import Run

MAX_CASES = 3  # prompts per probe and concept
MAX_SEEDS = 2  # seeds per prompt
MAX_COLUMNS = 12  # edits side by side; beyond this, one per method
LABEL_KINDS = ("forget_acc", "neighbor_acc", "retain_acc", "harmonic_acc", "attack_success_rate")
SCORE_KEYS = ("p", "score", "prob", "confidence")  # the first one a record has is shown


@dataclass
class SheetColumn:
    label: str
    edit_id: str
    reference: bool
    erases: bool = False  # this edit erased the sheet's concept


@dataclass
class SheetCell:
    """One image and what the evaluator decided for it."""

    src: str | None
    label: str | None = None
    score: float | None = None
    recognised: bool | None = None  # None: no verdict saved for this image

    @property
    def verdict(self) -> str:
        if self.label is None:
            return ""
        score = f" ({self.score:.2f})" if self.score is not None else ""
        return f"{self.label}{score}"


@dataclass
class Sheet:
    """One probe's images for one concept: rows (prompt, seed) x columns (edits)."""

    probe: str
    purpose: str
    columns: list[SheetColumn]
    rows: list[tuple[str, int, list[SheetCell]]] = field(default_factory=list)
    n_cases: int = 0
    n_images: int = 0
    reduced: bool = False  # one column per method (its largest erase set) instead of every edit
    scorer: str = ""  # the evaluator whose verdicts are shown under the images


def concept_probes(run: Run) -> dict[str, list[dict[str, Any]]]:
    """concept -> the probes (name, purpose, cases) that have images of it (a probe restricted
    by the plan's `image_concepts` has images only for the targets some edit erased)."""
    out: dict[str, list[dict[str, Any]]] = {}
    kept = run.plan.get("image_concepts") or {}
    for name, probe in run.plan["probes"].items():
        by_concept: dict[str, list[dict[str, Any]]] = {}
        for case in probe.get("cases", []):
            concept = case.get("concept")
            if concept and (name not in kept or concept in kept[name]):
                by_concept.setdefault(str(concept), []).append(case)
        for concept, cases in by_concept.items():
            out.setdefault(concept, []).append(
                {"probe": name, "purpose": probe.get("purpose", name), "cases": cases}
            )
    order = {"target": 0, "neighbor": 1, "adversarial": 2}
    for probes in out.values():
        probes.sort(key=lambda p: order.get(p["purpose"], 3))
    return out


def verdict_scorer(run: Run, probe: str) -> str:
    """The evaluator of the run's label metrics (forget_acc, neighbor_acc, ...) on this probe."""
    stored = run.results.get("definitions") or {}
    for d in stored.values():
        if d.get("kind") in LABEL_KINDS and probe in (d.get("probes") or []) and d.get("scorer"):
            return str(d["scorer"])
    for row in run.metrics:
        if (
            row.get("kind") in LABEL_KINDS
            and probe in (row.get("probes") or [])
            and row.get("scorer")
        ):
            return str(row["scorer"])
    return ""


def _columns(run: Run, concept: str) -> tuple[list[SheetColumn], bool]:
    """The unedited model, then every edit of every method (erasing this concept or not, so side
    effects show); (columns, reduced to one per method)."""
    reference = None
    per_method: dict[str, list[dict[str, Any]]] = {}
    for g in run.plan["groups"]:
        if g["method"] == run.reference:
            reference = reference or g
        else:
            per_method.setdefault(g["method"], []).append(g)
    chosen = [g for groups in per_method.values() for g in groups]
    reduced = len({g["edit_id"] for g in chosen}) + 1 > MAX_COLUMNS
    if reduced:  # many erase sets: each method's largest one erasing it, so the page stays small
        chosen = [
            max(gs, key=lambda g: (concept in g.get("concepts", []), g["erase_set_size"]))
            for gs in per_method.values()
        ]
    columns: list[SheetColumn] = []
    if reference is not None:
        columns.append(SheetColumn("unedited", reference["edit_id"], True))
    seen = {c.edit_id for c in columns}
    for g in chosen:
        if g["edit_id"] not in seen:
            seen.add(g["edit_id"])
            erases = concept in g.get("concepts", [])
            columns.append(
                SheetColumn(f"{g['method']} @ {g['erase_set']}", g["edit_id"], False, erases)
            )
    return columns, reduced


def _cell(run: Run, store: ImageStore, scorer: str, col, probe: str, concept: str, prompt, seed):
    image_id = run.image_id(col.edit_id, prompt, seed)
    if not image_id:
        return SheetCell(None)
    cell = SheetCell(store.add(col.edit_id, image_id))
    if scorer:
        saved = run.verdicts(scorer, col.edit_id, probe)
        record = saved["images"].get(image_id)
        if record is not None and record.get("label") is not None:
            cell.label = str(record["label"])
            score = next((record[k] for k in SCORE_KEYS if isinstance(record.get(k), float)), None)
            cell.score = score
            want = saved["labels"].get(concept)
            cell.recognised = None if want is None else cell.label == str(want)
    return cell


def build_sheets(run: Run, concept: str, probes: list[dict[str, Any]], store: ImageStore):
    """The contact sheets of one concept, images copied into the report through `store`."""
    sheets = []
    columns, reduced = _columns(run, concept)
    for probe in probes:
        scorer = verdict_scorer(run, probe["probe"])
        sheet = Sheet(probe["probe"], probe["purpose"], columns, n_cases=len(probe["cases"]))
        sheet.reduced, sheet.scorer = reduced, scorer
        sheet.n_images = sum(len(c.get("seeds", [])) for c in probe["cases"])
        for case in probe["cases"][:MAX_CASES]:
            for seed in list(case.get("seeds", []))[:MAX_SEEDS]:
                cells = [
                    _cell(run, store, scorer, col, probe["probe"], concept, case["prompt"], seed)
                    for col in columns
                ]
                sheet.rows.append((str(case["prompt"]), int(seed), cells))
        sheets.append(sheet)
    return sheets
