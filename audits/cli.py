"""The `scapre-audit` command line. Each command lives in its own module of `audits.commands`;
this file wires them and turns errors into one line.

Errors a user can act on (AuditError, ScaPreError) and failures of the environment (OSError:
disk full, read-only or missing folders) print one line, `error: ...`, with control characters
shown as escapes, and exit with code 2; `--debug` shows the traceback instead.
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from audits.errors import AuditError

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Audit concept unlearning in text-to-image diffusion models.",
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(
        False, "--debug", help="Show tracebacks instead of one-line errors."
    ),
    version: bool = typer.Option(
        False,
        "--version",
        is_eager=True,
        callback=lambda value: _print_version() if value else None,
        help="Print the version of scapre-audit and exit.",
    ),
) -> None:
    """Audit concept unlearning in text-to-image diffusion models."""


def version_text() -> str:
    """`scapre-audit X.Y.Z` from the installed metadata (or pyproject.toml in a checkout)."""
    from importlib import metadata
    from pathlib import Path

    try:
        version = metadata.version("scapre-audit")
    except metadata.PackageNotFoundError:
        import re

        pyproject = Path(__file__).resolve().parents[1] / "pyproject.toml"
        found = re.search(r'^version = "([^"]+)"', pyproject.read_text(), re.M)
        version = found.group(1) if found else "unknown"
    return f"scapre-audit {version}"


def _print_version() -> None:
    typer.echo(version_text())
    raise typer.Exit()


def _register_commands() -> None:
    """One command a module in `audits.commands`, named after it."""
    from audits.commands import claims, erase, plan, report, run, score, status
    from audits.commands.list import list_app
    from audits.commands.suite import suite_app

    app.command("erase")(erase.erase)
    app.add_typer(list_app, name="list")
    app.add_typer(suite_app, name="suite")
    app.command("run")(run.run)
    app.command("plan")(plan.plan)
    app.command("status")(status.status)
    app.command("score")(score.score)
    app.command("claims")(claims.claims)
    app.command("report")(report.report)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, turning user errors into one line and exit code 2."""
    from scapre.errors import ScaPreError

    argv = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in argv
    # libraries log only errors: a refusal is the one `error:` line, not a log line before it
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("DIFFUSERS_VERBOSITY", "error")
    if not debug:  # open_clip warns on the root logger itself ("No pretrained weights loaded ...")
        logging.getLogger().addFilter(_drop_library_root_warnings)
    _register_commands()
    from audits.textsafe import printable

    try:
        app(args=argv, prog_name="scapre-audit", standalone_mode=True)
    except (AuditError, ScaPreError, OSError) as err:
        if debug:
            raise
        message = _os_message(err) if isinstance(err, OSError) else str(err)
        typer.echo(f"error: {printable(message)}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        sys.exit(130)


def _drop_library_root_warnings(record: logging.LogRecord) -> bool:
    """Root-logger records below ERROR from installed libraries are dropped (ours use `say`)."""
    return record.levelno >= logging.ERROR or "site-packages" not in record.pathname


def _os_message(err: OSError) -> str:
    """`cannot write|read PATH: No space left on device` for a failure of the file system."""
    reason = err.strerror or str(err) or type(err).__name__
    if err.filename is None:
        return f"{reason} ({type(err).__name__})"
    target = err.filename if err.filename2 is None else f"{err.filename} -> {err.filename2}"
    return f"{target}: {reason}"


if __name__ == "__main__":
    main()
