"""`scapre-audit list erasers`: what this version provides."""

from __future__ import annotations

import typer

list_app = typer.Typer(no_args_is_help=True, help="List what this version provides.")


@list_app.command("erasers")
def erasers() -> None:
    """List the erasure methods: name, version, complete or PARTIAL, what each edits."""
    from audits.erasers.catalog import eraser_catalog, format_catalog

    for line in format_catalog(eraser_catalog()):
        typer.echo(line)
