"""The rows `scapre-audit list erasers` prints: name, version, what it edits, complete or partial.

Kept here so the command line only formats; plugins that fail to import show their error instead
of hiding the rest.
"""

from __future__ import annotations

from typing import Any

from audits.errors import AuditError


def eraser_catalog() -> list[dict[str, Any]]:
    """One row per registered eraser, built-ins and plugins alike, sorted by name."""
    from audits.registry import ERASERS

    rows = []
    for name in ERASERS.names():
        try:
            cls = ERASERS.get(name)
            rows.append(cls().describe() | {"presets": sorted(cls.presets)})
        except AuditError as err:
            rows.append({"name": name, "error": str(err)})
    return rows


def format_catalog(rows: list[dict[str, Any]]) -> list[str]:
    """Aligned text lines: name, version, complete/PARTIAL, what it edits."""
    lines = []
    for row in rows:
        if "error" in row:
            lines.append(f"{row['name']:<11} UNAVAILABLE  {row['error']}")
            continue
        status = "complete" if row["complete"] else "PARTIAL"
        lines.append(f"{row['name']:<11} {row['version']:<16} {status:<8} {row['edits']}")
    return lines
