"""The run-folder format: paths, schema versions, atomic writes, metric units, the base error
and a typed reader. Torch-free and imports nothing else of the project, so the engine writes
with it, and the report, the claims check and a notebook read with it.

    from runfmt import read_run
    run = read_run("runs/tw")            # checked; a bad file is one RunFormatError line
    [(r.metric, r.method, r.value, r.unit) for r in run.metrics]
"""

from runfmt.atomic import dumps, read_json, sha256_bytes, sha256_file, write_bytes, write_json
from runfmt.errors import AuditError, RunFormatError
from runfmt.layout import RunDir, is_run_dir, is_safe_id, run_manifest
from runfmt.reader import (
    ClaimRow,
    EditRecord,
    ImageRow,
    Manifest,
    MetricRow,
    Plan,
    ReportedRow,
    Run,
    read_run,
)
from runfmt.schemas import CLAIMS_SCHEMA, RESULTS_SCHEMA, RUN_SCHEMA
from runfmt.units import unit_of

__all__ = [
    "CLAIMS_SCHEMA",
    "RESULTS_SCHEMA",
    "RUN_SCHEMA",
    "AuditError",
    "ClaimRow",
    "EditRecord",
    "ImageRow",
    "Manifest",
    "MetricRow",
    "Plan",
    "ReportedRow",
    "Run",
    "RunDir",
    "RunFormatError",
    "dumps",
    "is_run_dir",
    "is_safe_id",
    "read_json",
    "read_run",
    "run_manifest",
    "sha256_bytes",
    "sha256_file",
    "unit_of",
    "write_bytes",
    "write_json",
]
