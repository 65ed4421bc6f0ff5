"""Reading a run directory for the claims check and writing `<run>/claims.json`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audits.claims.checks import CLAIMS_SCHEMA, check_claims
from audits.errors import AuditError
from audits.run.atomic import read_json, write_bytes, write_json
from audits.run.rundir import MANIFEST, RUN_SCHEMA

CLAIMS_FILE = "claims.json"
SWEEP_FILE = "claims-sweep.svg"


def read_run(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any]]:
    """(results, edit records, manifest) of a finished run; an AuditError otherwise."""
    root = Path(path)
    manifest = read_json(root / MANIFEST)
    identity = manifest.get("identity") if isinstance(manifest, dict) else None
    if not isinstance(identity, dict) or identity.get("schema") != RUN_SCHEMA:
        raise AuditError(f"{path} is not a scapre-audit run directory (no valid {MANIFEST})")
    results = read_json(root / "results.json")
    if not isinstance(results, dict):
        raise AuditError(f"{path} has no results.json yet; finish it with `scapre-audit run`")
    from audits.filecheck import IDENTITY, RESULTS, check_file

    check_file(manifest, IDENTITY, root / MANIFEST)
    check_file(results, RESULTS, root / "results.json")
    edits = [read_json(p) for p in sorted((root / "edits").glob("*/edit.json"))]
    return results, [e for e in edits if isinstance(e, dict)], manifest


def write_claims(path: Path) -> dict[str, Any]:
    """Check every claim of the run and write `<run>/claims.json` (atomic, deterministic), and
    the capacity sweep's plot `<run>/claims-sweep.svg` when the run has a sweep."""
    from audits.claims.plot import sweep_svg

    results, edits, manifest = read_run(path)
    doc = {"schema": CLAIMS_SCHEMA, "claims": check_claims(results, edits, manifest)}
    write_json(Path(path) / CLAIMS_FILE, doc)
    svg = sweep_svg(results)
    if svg is not None:
        write_bytes(Path(path) / SWEEP_FILE, svg.encode("utf-8"))
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
