"""`scapre-audit report RUN [RUN ...] [--out DIR]`: render saved results; never imports torch."""

from __future__ import annotations

from pathlib import Path

import typer


def report(
    runs: list[Path] = typer.Argument(
        ..., metavar="RUN", help="Run directories (several: a comparison)."
    ),
    out: Path | None = typer.Option(
        None, "--out", help="Report folder (default RUN/report; required for several runs)."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress lines or bars."),
) -> None:
    """Render an HTML report (+ Markdown, LaTeX and CSV tables) from saved run directories."""
    from reports.build import build_report
    from reports.progress import set_quiet

    set_quiet(quiet)

    folder = build_report(runs, out)
    typer.echo(f"report: {folder / 'index.html'}")
