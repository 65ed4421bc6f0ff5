"""Contact sheets: for one concept, the unedited image beside each method's, same prompt and seed.

Only the first few prompts and seeds of each probe are shown (the page must stay small on
large runs); the page says how many there are in all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reports.images import ImageStore
from runfmt import Run
from runfmt.reader import PlanCase, PlanGroup

MAX_CASES = 3  # prompts per probe and concept
MAX_SEEDS = 2  # seeds per prompt
MAX_COLUMNS = 12  # edits side by side; beyond this, one per method


@dataclass
class SheetColumn:
    label: str
    edit_id: str
    reference: bool


@dataclass
class Sheet:
    """One probe's images for one concept: rows (prompt, seed) x columns (edits)."""

    probe: str
    purpose: str
    columns: list[SheetColumn]
    rows: list[tuple[str, int, list[str | None]]] = field(default_factory=list)
    n_cases: int = 0
    n_images: int = 0
    reduced: bool = False  # one column per method (its largest erase set) instead of every edit


def concept_probes(run: Run) -> dict[str, list[dict[str, Any]]]:
    """concept -> the probes (name, purpose, cases) that have prompts naming it."""
    out: dict[str, list[dict[str, Any]]] = {}
    for name, probe in run.plan.probes.items():
        by_concept: dict[str, list[PlanCase]] = {}
        for case in probe.cases:
            if case.concept:
                by_concept.setdefault(case.concept, []).append(case)
        for concept, cases in by_concept.items():
            out.setdefault(concept, []).append(
                {"probe": name, "purpose": probe.purpose, "cases": cases}
            )
    order = {"target": 0, "neighbor": 1, "adversarial": 2}
    for probes in out.values():
        probes.sort(key=lambda p: order.get(p["purpose"], 3))
    return out


def _columns(run: Run, concept: str, purpose: str) -> tuple[list[SheetColumn], bool]:
    """The unedited model, then each method's edits; (columns, reduced to one per method)."""
    # target and adversarial prompts are only shown for the edits that erased the concept
    erased_only = purpose in ("target", "adversarial")
    reference = None
    per_method: dict[str, list[PlanGroup]] = {}
    for g in run.plan.groups:
        if g.method == run.reference:
            reference = reference or g
        elif not erased_only or concept in g.concepts:
            per_method.setdefault(g.method, []).append(g)
    chosen = [g for groups in per_method.values() for g in groups]
    reduced = len({g.edit_id for g in chosen}) + 1 > MAX_COLUMNS
    if reduced:  # many erase sets: each method's largest one, so the page stays small
        chosen = [max(gs, key=lambda g: g.erase_set_size) for gs in per_method.values()]
    columns: list[SheetColumn] = []
    if reference is not None:
        columns.append(SheetColumn("unedited", reference.edit_id, True))
    seen = {c.edit_id for c in columns}
    for g in chosen:
        if g.edit_id not in seen:
            seen.add(g.edit_id)
            columns.append(SheetColumn(f"{g.method} @ {g.erase_set}", g.edit_id, False))
    return columns, reduced


def build_sheets(run: Run, concept: str, probes: list[dict[str, Any]], store: ImageStore):
    """The contact sheets of one concept, images copied into the report through `store`."""
    sheets = []
    for probe in probes:
        columns, reduced = _columns(run, concept, probe["purpose"])
        sheet = Sheet(probe["probe"], probe["purpose"], columns, n_cases=len(probe["cases"]))
        sheet.reduced = reduced
        sheet.n_images = sum(len(c.seeds) for c in probe["cases"])
        for case in probe["cases"][:MAX_CASES]:
            for seed in case.seeds[:MAX_SEEDS]:
                cells = []
                for col in columns:
                    image_id = run.image_id(col.edit_id, case.prompt, seed)
                    cells.append(store.add(col.edit_id, image_id) if image_id else None)
                sheet.rows.append((case.prompt, seed, cells))
        sheets.append(sheet)
    return sheets
