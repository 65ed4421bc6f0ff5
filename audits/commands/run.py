"""`scapre-audit run`: erase, generate, score and aggregate a suite (logic in `audits.run`),
then say what the audit found."""

from __future__ import annotations

from pathlib import Path

import typer

from audits.commands import common


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
        None, "--limit", help="The first N prompts of each probe (quick look; part of the identity)"
    ),
    seeds: int = typer.Option(None, "--seeds", help=common.SEEDS_HELP),
    attack_budget: int = typer.Option(None, "--attack-budget", help=common.BUDGET_HELP),
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
        help=common.STAGES_HELP,
    ),
    weights_dir: Path = typer.Option(
        None, "--weights-dir", envvar="SCAPRE_AUDIT_WEIGHTS", help=common.WEIGHTS_HELP
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Load nothing: list what the run needs and what is here, and estimate the work"
        " (as `scapre-audit plan`).",
    ),
    images_per_second: float = typer.Option(
        None,
        "--images-per-second",
        help="With --dry-run: your GPU's SD 1.5 images/s at 512 px, 50 steps, fp16 (default 1.0,"
        " an assumption).",
    ),
    as_json: bool = typer.Option(False, "--json", help="With --dry-run: print JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=common.QUIET_HELP),
) -> None:
    """Erase, generate, score and aggregate a suite; rerun the same command to resume."""
    common.quiet(quiet)
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
        seeds=seeds,
        attack_budget=attack_budget,
        skip_unavailable=skip_unavailable,
        micro_batch=micro_batch,
        cache=cache,
        steps=steps,
        size=size,
        stages=stages,
        weights_dir=weights_dir,
    )
    if dry_run:
        common.print_preflight(request, images_per_second, as_json)
        return
    summary = run_suite(request, say=common.say)
    c = summary.counts
    typer.echo(
        f"{summary.out}: {c['edits']} edit(s), {c['images']} image(s), {c['scores']} score unit(s)"
        f" computed now; results.json has {len(summary.results['metrics'])} value(s)"
    )
    for line in findings(summary.out):
        typer.echo(line)


def findings(run_dir: Path) -> list[str]:
    """The report's summary in words (reports.summary), for the last lines of `run`."""
    from reports.summary import summarize
    from runfmt import read_run

    if not (Path(run_dir) / "results.json").is_file():
        return []  # not the main rank, or aggregate did not run
    lines = summarize(read_run(run_dir)).lines()
    if not lines:
        return []  # no forget metric (e.g. --stages weights): nothing to say in words
    report = Path(run_dir) / "report" / "index.html"
    return ["What this audit found:", *(f"- {line}" for line in lines)] + (
        [f"Details: {report}"] if report.is_file() else []
    )
