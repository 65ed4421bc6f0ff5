"""`scapre-audit run`: the erase-then-probe audit engine.

    run_suite(RunRequest(suite="suites/mine", out=Path("runs/mine")))   # erase..aggregate
    rescore(Path("runs/mine"))                                           # score + aggregate only
    status(Path("runs/mine"))

Stages (each resumable, each unit written atomically with its record last): erase
(`erase_stage`), generate (`generate_stage`), score (`score_stage`), aggregate (`aggregate_stage`).
Unit identities are in `identity`, the run directory layout in `rundir`, and the results schema
in docs/results-schema.md.
"""

from audits.run.engine import RunRequest, RunSummary, run_suite
from audits.run.rescore import rescore, status

__all__ = ["RunRequest", "RunSummary", "rescore", "run_suite", "status"]
