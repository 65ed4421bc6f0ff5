"""Claims check: the paper's headline claims turned into measurements with verdicts.

    claims = check_claims(results, edit_records, manifest)  # pure: dicts in, claims out
    write_claims(Path("runs/x"))                      # reads the run dir, writes claims.json

Reads only saved JSON (results.json, edits/*/edit.json, manifest.json) and never imports torch,
so the report can use it. Definitions are in docs/claims.md.
"""

from audits.claims.checks import check_claims
from audits.claims.reported import REPORTED_SCHEMA, load_reported, reported_for_profile
from audits.claims.rundir import format_claims, read_run, write_claims
from audits.claims.verdicts import VERDICTS
from runfmt.schemas import CLAIMS_SCHEMA

__all__ = [
    "CLAIMS_SCHEMA",
    "REPORTED_SCHEMA",
    "VERDICTS",
    "check_claims",
    "format_claims",
    "load_reported",
    "read_run",
    "reported_for_profile",
    "write_claims",
]
