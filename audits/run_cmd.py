"""`scapre-audit run | status | score`: the audit engine's commands (logic in `audits.run`)."""

from __future__ import annotations

from pathlib import Path

import typer


def _say(text: str) -> None:
    typer.echo(text, err=True)


def run(
    suite: str = typer.Argument(..., help="A bundled suite name, a suite folder or suite.yaml."),
    model: str = typer.Option(
        None, "--model", help="Hub id or local pipeline folder (default: the suite's)."
    ),
    methods: str = typer.Option(
        None, "--methods", help="Comma-separated suite methods (none is always run)."
    ),
    out: Path = typer.Option(
        None, "--out", help="Run directory (default: runs/<suite>-<profile>)."
    ),
    profile: str = typer.Option(None, "--profile", help="Suite profile (default: the suite's)."),
    batch_size: int = typer.Option(4, "--batch-size", help="Images per pipeline call."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    limit: int = typer.Option(
        None, "--limit", help="At most N prompt cases per probe (quick look)."
    ),
    skip_unavailable: bool = typer.Option(
        False, "--skip-unavailable", help="Leave out metrics/scorers not implemented here."
    ),
    cache: Path = typer.Option(
        None,
        "--cache",
        envvar="SCAPRE_AUDIT_CACHE",
        help="Image cache shared by runs on this machine (e.g. the unedited model's images).",
    ),
    micro_batch: int = typer.Option(
        8, "--micro-batch", help="Images the networks see together (part of each image's identity)."
    ),
    steps: int = typer.Option(
        None, "--steps", help="Denoising steps instead of the suite's (part of the run's identity)."
    ),
    size: int = typer.Option(
        None,
        "--size",
        help="Image height and width in pixels instead of the suite's (a multiple of 8; part of"
        " the run's identity).",
    ),
    stages: str = typer.Option(
        "all",
        "--stages",
        help="all (the image audit) or weights (the weight-space audit alone: no images; "
        "docs/weights.md).",
    ),
) -> None:
    """Erase, generate, score and aggregate a suite; rerun the same command to resume."""
    from audits.run import RunRequest, run_suite

    names = [m.strip() for m in methods.split(",")] if methods else None
    if names is not None and not all(names):
        from audits.errors import AuditError

        raise AuditError(f"empty method name in --methods {methods!r}")
    request = RunRequest(
        suite=suite,
        out=out,
        profile=profile,
        model=model,
        methods=names,
        batch_size=batch_size,
        device=device,
        limit=limit,
        skip_unavailable=skip_unavailable,
        micro_batch=micro_batch,
        cache=cache,
        steps=steps,
        size=size,
        stages=stages,
    )
    summary = run_suite(request, say=_say)
    c = summary.counts
    typer.echo(
        f"{summary.out}: {c['edits']} edit(s), {c['images']} image(s), {c['scores']} score unit(s)"
        f" computed now; results.json has {len(summary.results['metrics'])} value(s)"
    )


def status(run_dir: Path = typer.Argument(..., help="A run directory.")) -> None:
    """Show how far each stage of a run has got."""
    from audits.run import status as run_status

    for line in run_status(run_dir):
        typer.echo(line)


def score(
    run_dir: Path = typer.Argument(..., help="A run directory."),
    force: bool = typer.Option(False, "--force", help="Recompute every score file."),
    device: str = typer.Option("cpu", "--device", help="cpu, cuda or cuda:N."),
    batch_size: int = typer.Option(4, "--batch-size"),
    skip_unavailable: bool = typer.Option(False, "--skip-unavailable"),
) -> None:
    """Re-score a run's saved images and rewrite results.json, without generating anything."""
    from audits.run import rescore

    counts = rescore(run_dir, device, batch_size, force, skip_unavailable, say=_say)
    typer.echo(f"{run_dir}: {counts['scores']} score unit(s) computed; results.json rewritten")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("status")(status)
    app.command("score")(score)
