"""Reading a run directory for the claims check and writing `<run>/claims.json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audits.claims.checks import check_claims
from audits.errors import AuditError
from runfmt import read_run as read_run_folder
from runfmt.atomic import write_bytes, write_json
from runfmt.layout import MANIFEST, RunDir, run_manifest
from runfmt.schemas import CLAIMS_SCHEMA


def read_run(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """(results, edit records sorted by edit id, manifest) of a finished run, read through the
    run-folder reader (so a tampered file is one line naming file and field); an AuditError
    otherwise."""
    layout = RunDir(Path(path))
    if run_manifest(layout.root) is None:
        raise AuditError(f"{path} is not a scapre-audit run directory (no valid {MANIFEST})")
    if not layout.results.exists():
        raise AuditError(f"{path} has no results.json yet; finish it with `scapre-audit run`")
    run = read_run_folder(layout.root, manifest_required=True)
    edits = [dict(run.edits[k].data) for k in sorted(run.edits)]
    return run.results, edits, dict(run.manifest.data)


def write_claims(path: Path) -> dict[str, Any]:
    """Check every claim of the run and write `<run>/claims.json` (atomic, deterministic), and
    the capacity sweep's plot `<run>/claims-sweep.svg` when the run has a sweep."""
    from audits.claims.plot import sweep_svg

    results, edits, manifest = read_run(path)
    layout = RunDir(Path(path))
    doc = {"schema": CLAIMS_SCHEMA, "claims": check_claims(results, edits, manifest)}
    write_json(layout.claims, doc)
    svg = sweep_svg(results)
    if svg is not None:
        write_bytes(layout.sweep_svg, svg.encode("utf-8"))
    return doc


def format_claims(doc: dict[str, Any]) -> list[str]:
    """A readable table: one block per claim with its verdict, definition and measurement."""
    lines = []
    for claim in doc["claims"]:
        lines.append(f"[{claim['verdict'].upper()}] {claim['id']}: {claim['claim']}")
        lines.append(f"    source:      {claim['source']}")
        lines.append(f"    definition:  {claim['definition']}")
        lines.append(f"    measurement: {claim['measurement']}")
        reason = claim["details"].get("reason")
        if reason and claim["verdict"] == "not checkable":
            lines.append(f"    why not:     {reason}")
    return lines
