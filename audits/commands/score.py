"""`scapre-audit score`: re-score a run's saved images without generating anything."""

from __future__ import annotations

from pathlib import Path

import typer

from audits.commands import common


def score(
    run_dir: Path = typer.Argument(..., help="A run directory."),
    force: bool = typer.Option(False, "--force", help="Recompute every score file."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    batch_size: int = typer.Option(4, "--batch-size"),
    skip_unavailable: bool = typer.Option(False, "--skip-unavailable"),
    weights_dir: Path = typer.Option(
        None, "--weights-dir", envvar="SCAPRE_AUDIT_WEIGHTS", help=common.WEIGHTS_HELP
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=common.QUIET_HELP),
) -> None:
    """Re-score a run's saved images and rewrite results.json, without generating anything."""
    common.quiet(quiet)
    from audits.run import rescore

    counts = rescore(
        run_dir,
        device,
        batch_size,
        force,
        skip_unavailable,
        say=common.say,
        weights_dir=weights_dir,
    )
    typer.echo(f"{run_dir}: {counts['scores']} score unit(s) computed; results.json rewritten")
