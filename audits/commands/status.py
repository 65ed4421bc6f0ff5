"""`scapre-audit status`: how far each stage of a run has got."""

from __future__ import annotations

from pathlib import Path

import typer


def status(run_dir: Path = typer.Argument(..., help="A run directory.")) -> None:
    """Show how far each stage of a run has got."""
    from audits.run import status as run_status

    for line in run_status(run_dir):
        typer.echo(line)
