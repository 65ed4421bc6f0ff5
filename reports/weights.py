"""The weight-space audit's section of a report (`space: weights` rows, docs/weights.md): one
methods x weight-metric table per erase set, and warnings beside the rows whose scores agree
only weakly with image-level results (the published validation bundled with the run)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reports.tables import Cell, Table, column_of, erase_sets, is_aggregate, methods
from runfmt import Run

NOTE = (
    "Weight-space audit: how each edit moved the cross-attention keys and values that the UNet "
    "reads from each prompt's text features, measured on the weights alone, with no image "
    "generated. It is a pre-screen and does not replace the image audit: a K/V shift is not "
    "proof that a concept is gone from the images, and edits outside the K/V matrices are not "
    "visible to it (kv_edit_share says how much of an edit it sees)."
)


def is_weight(row: dict[str, Any]) -> bool:
    return row.get("space") == "weights"


@dataclass
class WeightTable:
    table: Table
    warnings: list[str] = field(default_factory=list)


def weak_entries(run: Run) -> list[dict[str, Any]]:
    """The validation entries marked weak (docs/weights.md: |rho| < 0.5 or its interval
    reaching 0)."""
    table = run.results.get("weights_validation") or {}
    return [e for e in table.get("correlations", []) if e.get("weak")]


def _describe(e: dict[str, Any]) -> str:
    where = f"over {e.get('n')} {e.get('unit', 'points')} ({e.get('where', '')})"
    if e.get("rho") is None:
        return (
            f"{e['score']} vs image {e['image_metric']}: no rank correlation measurable {where}; "
            "not validated against images"
        )
    ci = ""
    if e.get("ci_low") is not None:
        ci = f" [{e['ci_low']:.2f}, {e['ci_high']:.2f}]"
    why = f" ({e['reason']})" if e.get("reason") else ""
    return (
        f"{e['score']} vs image {e['image_metric']}: rank correlation {e['rho']:.2f}{ci} "
        f"{where}: weak{why}, read this row with care"
    )


def weight_tables(run: Run) -> list[WeightTable]:
    weak = weak_entries(run)
    tables = []
    for es in erase_sets(run):
        rows = [m for m in run.metrics if m.get("erase_set") == es and is_weight(m)]
        rows = [m for m in rows if is_aggregate(m)]
        if not rows:
            continue
        columns = list({r["metric"]: column_of(r) for r in rows}.values())
        scored = {c.metric for c in columns}
        table = Table(f"weight space, erase set {es}", columns)
        warnings = []
        across = [e for e in weak if e.get("method") == "all methods" and e.get("score") in scored]
        for method in methods(run):
            by_metric = {r["metric"]: r for r in rows if r["method"] == method}
            if not by_metric:
                continue
            mine = [e for e in weak if e.get("score") in by_metric and e.get("method") == method]
            label = method
            first = next(iter(by_metric.values()))
            visibility = (first.get("extra") or {}).get("visibility")
            if visibility and visibility not in ("visible", "no change"):
                label += f" ({visibility})"
            if mine:
                label += " (!)"
                for e in mine:
                    warnings.append(f"{method}: {_describe(e)}")
            cells = [
                Cell(by_metric[c.metric], False) if c.metric in by_metric else None for c in columns
            ]
            table.add(label, cells, method == run.reference)
        warnings += [f"across methods: {_describe(e)}" for e in across]
        validated = {
            e.get("score")
            for e in (run.results.get("weights_validation") or {}).get("correlations", [])
        }
        unchecked = [c.metric for c in columns if c.metric not in validated]
        unchecked = [m for m in unchecked if not m.startswith("kv_edit_share")]
        if unchecked:
            warnings.append(
                "not validated against images (no image-level comparison published): "
                + ", ".join(unchecked)
            )
        table.mark_best()
        tables.append(WeightTable(table, warnings))
    return tables
