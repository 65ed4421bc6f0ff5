"""The paper's reported numbers as data (`suites/<suite>/reported.yaml`), read strictly.

A file holds tables as printed: a list of columns (the suite's method names where the method is
in the suite, otherwise the paper's name) and rows of values (null = not recovered). Each value
becomes one flat entry `{profile, table, source, metric, method, concept, value, unit[, note]}`;
those entries are what results.json carries under `reported` and what the claims check compares.
Every problem is one SuiteError naming the file, line and field.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from audits.suites.fields import Node
from audits.suites.yaml_io import load_yaml

REPORTED_SCHEMA = "scapre-audit/reported/1"
REPORTED_FILE = "reported.yaml"
UNITS = ("percent", "fraction", "score")
_METHOD_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def load_reported(
    path: Path,
    metrics: set[str] | None = None,
    profiles: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Every reported value of the file, in file order. With `metrics` / `profiles` (the suite's
    names), a name outside them is refused."""
    data, locs = load_yaml(Path(path))
    root = Node(data, (), locs)
    root.mapping(("schema", "paper", "tables"), ("schema", "tables"))
    schema = root.child("schema").str()
    if schema != REPORTED_SCHEMA:
        raise root.child("schema").error(f"expected '{REPORTED_SCHEMA}', got '{schema}'")
    if root.has("paper"):
        root.child("paper").str()
    entries: list[dict[str, Any]] = []
    seen: dict[tuple, str] = {}
    for table in root.child("tables").elements():
        for entry in _table_entries(table, metrics, profiles):
            key = (entry["profile"], entry["metric"], entry["method"], entry["concept"])
            if key in seen:
                raise table.error(f"{_describe(entry)} is given twice (first in {seen[key]})")
            seen[key] = entry["table"]
            entries.append(entry)
    return entries


def _table_entries(
    table: Node, metrics: set[str] | None, profiles: set[str] | None
) -> list[dict[str, Any]]:
    keys = ("table", "profile", "source", "methods", "rows")
    table.mapping((*keys, "note"), keys)
    if table.has("note"):  # documentation of the whole table; entries carry row notes
        table.child("note").str()
    name = table.child("table").str()
    profile = table.child("profile").name()
    if profiles is not None and profile not in profiles:
        raise table.child("profile").error(
            f"no profile '{profile}' in the suite (profiles: {', '.join(sorted(profiles))})"
        )
    source = table.child("source").str()
    methods = [_method(n) for n in table.child("methods").elements()]
    for i, method in enumerate(methods):
        if method in methods[:i]:
            raise table.child("methods").child(i).error(f"method '{method}' is listed twice")
    out = []
    for row in table.child("rows").elements():
        row.mapping(("metric", "concept", "unit", "values", "note", "notes"), ("metric", "unit"))
        metric = row.child("metric").name()
        if metrics is not None and metric not in metrics:
            raise row.child("metric").error(f"no metric '{metric}' in the suite")
        concept = row.child("concept").str() if row.has("concept") else None
        unit = row.child("unit").choice(UNITS)
        values = row.child("values").elements()
        if len(values) != len(methods):
            raise row.child("values").error(
                f"{len(values)} value(s) for {len(methods)} method column(s)"
            )
        notes = _notes(row, methods)
        for method, node in zip(methods, values, strict=True):
            if node.value is None:
                continue  # not recovered from the paper
            value = node.float(0.0, 100.0 if unit == "percent" else None)
            if unit == "fraction" and value > 1.0:
                raise node.error(f"a fraction must be at most 1, got {value}")
            entry = {
                "profile": profile,
                "table": name,
                "source": source,
                "metric": metric,
                "method": method,
                "concept": concept,
                "value": value,
                "unit": unit,
            }
            note = "; ".join(n for n in (notes.get(method), notes.get("")) if n)
            if note:
                entry["note"] = note
            out.append(entry)
    return out


def _method(node: Node) -> str:
    text = node.str()
    if not set(text) <= _METHOD_CHARS:
        raise node.error(f"'{text}' is not a method name (letters, digits, '.', '_', '-')")
    return text


def _notes(row: Node, methods: list[str]) -> dict[str, str]:
    """Row notes: `note` for the whole row (key ''), `notes` per method column."""
    out = {"": row.child("note").str()} if row.has("note") else {}
    if row.has("notes"):
        node = row.child("notes")
        node.mapping(tuple(methods))
        out.update({m: node.child(m).str() for m in node.value})
    return out


def _describe(entry: dict[str, Any]) -> str:
    concept = f", concept '{entry['concept']}'" if entry["concept"] else ""
    return f"metric '{entry['metric']}', method '{entry['method']}'{concept}"


def reported_for_profile(suite_root: Path, profile: str) -> tuple[list[dict[str, Any]], str | None]:
    """(entries of `profile`, sha256 of the file) from `<suite_root>/reported.yaml`; ([], None)
    when the suite has no such file."""
    path = Path(suite_root) / REPORTED_FILE
    if not path.is_file():
        return [], None
    entries = [e for e in load_reported(path) if e["profile"] == profile]
    return entries, hashlib.sha256(path.read_bytes()).hexdigest()
