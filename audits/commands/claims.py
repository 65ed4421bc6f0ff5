"""`scapre-audit claims RUN`: the paper's claims checked against a finished run."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def claims(
    run: Path = typer.Argument(..., help="A run directory made by `scapre-audit run`."),
    as_json: bool = typer.Option(False, "--json", help="Print claims.json instead of the table."),
) -> None:
    """Check the paper's claims against RUN, print the verdicts and write RUN/claims.json."""
    from audits.claims import format_claims, write_claims
    from audits.run.lock import run_lock

    if not (run / "manifest.json").is_file():
        doc = write_claims(run)  # its own one-line refusal for a folder that is not a run
    else:
        with run_lock(run, "run folder"):
            doc = write_claims(run)
    if as_json:
        typer.echo(json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False))
        return
    for line in format_claims(doc):
        typer.echo(line)
    typer.echo(f"-> {run / 'claims.json'}")
