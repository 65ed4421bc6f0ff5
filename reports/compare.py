"""Several runs side by side, joined on the suite hash.

Two runs are only put in one table when their suite hashes are equal (same concepts, prompts,
metrics and tables); runs of different suites get separate tables and a loud warning.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reports.tables import Cell, Table, column_of, erase_sets, is_aggregate, is_fraction, methods
from runfmt import Run


@dataclass
class RunGroup:
    hash: str
    labels: list[str] = field(default_factory=list)
    runs: list[Run] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)


def group_by_suite(labelled: list[tuple[str, Run]]) -> list[RunGroup]:
    groups: dict[str, RunGroup] = {}
    for label, run in labelled:
        group = groups.setdefault(run.suite_hash, RunGroup(run.suite_hash))
        group.labels.append(label)
        group.runs.append(run)
    for group in groups.values():
        group.tables = comparison_tables(list(zip(group.labels, group.runs, strict=True)))
    return list(groups.values())


def suite_warnings(groups: list[RunGroup]) -> list[str]:
    if len(groups) < 2:
        return []
    parts = [f"{', '.join(g.labels)}: suite hash {g.hash[:16]}" for g in groups]
    return [
        "these runs have different suite hashes and are NOT comparable; they are shown in "
        "separate tables (" + "; ".join(parts) + ")"
    ]


def comparison_tables(labelled: list[tuple[str, Run]]) -> list[Table]:
    """Per erase set: (run / method) x aggregate metric, for runs of one suite hash."""
    hashes = {run.suite_hash for _, run in labelled}
    assert len(hashes) == 1, "comparison tables need runs of one suite hash"
    tables = []
    sets = list(dict.fromkeys(es for _, run in labelled for es in erase_sets(run)))
    for es in sets:
        rows = [
            (label, run, m)
            for label, run in labelled
            for m in run.metrics
            if m.get("erase_set") == es and is_aggregate(m)
        ]
        columns = list({m["metric"]: column_of(m) for _, _, m in rows}.values())
        table = Table(f"erase set {es}", columns)
        for label, run in labelled:
            for method in methods(run):
                mine = {
                    m["metric"]: m for lab, _, m in rows if lab == label and m["method"] == method
                }
                if mine:
                    cells: list[Cell | None] = [
                        Cell(mine[c.metric], is_fraction(c.kind)) if c.metric in mine else None
                        for c in columns
                    ]
                    table.add(f"{label} / {method}", cells, method == run.reference)
        table.mark_best()
        tables.append(table)
    return tables
