"""`scapre-audit run | status | score`: the audit engine's commands (logic in `audits.run`)."""

from __future__ import annotations

from pathlib import Path

import typer

WEIGHTS_HELP = (
    "Folder of evaluator weights: CLIP, ResNet-50, LPIPS, Inception (layout:"
    " docs/evaluator-weights.md); the Hugging Face and torch"
    " hub caches are read too."
)
SEEDS_HELP = (
    "The first N seeds of each prompt (quick look: paper profiles have up to 500 per prompt;"
    " part of the run's identity)."
)
BUDGET_HELP = (
    "At most N objective evaluations per searching attack unit (UnlearnDiffAtk, Ring-A-Bell;"
    " quick look: the suites size budgets for a GPU; part of the run's identity)."
)
QUIET_HELP = "No progress bars, progress lines or stage lines (errors and results still print)."


def _say(text: str) -> None:
    from audits.run.progress import is_quiet
    from audits.textsafe import printable

    if not is_quiet():
        typer.echo(printable(text), err=True)


def _quiet(quiet: bool) -> None:
    from audits.run.progress import set_quiet

    set_quiet(quiet)


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
    seeds: int = typer.Option(None, "--seeds", help=SEEDS_HELP),
    attack_budget: int = typer.Option(None, "--attack-budget", help=BUDGET_HELP),
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
    weights_dir: Path = typer.Option(
        None, "--weights-dir", envvar="SCAPRE_AUDIT_WEIGHTS", help=WEIGHTS_HELP
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
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Erase, generate, score and aggregate a suite; rerun the same command to resume."""
    _quiet(quiet)
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
        _print_preflight(request, images_per_second, as_json)
        return
    summary = run_suite(request, say=_say)
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


def _print_preflight(request, rate: float | None, as_json: bool) -> None:
    """Print the preflight; exit 1 when something the run needs is missing."""
    import json

    from audits.run.preflight import DEFAULT_RATE, preflight

    result = preflight(request, DEFAULT_RATE if rate is None else rate)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=1))
    else:
        for line in result.lines():
            typer.echo(line)
    if result.problems:
        raise typer.Exit(1)


def plan(
    suite: str = typer.Argument(..., help="A bundled suite name, a suite folder or suite.yaml."),
    model: str = typer.Option(None, "--model", help="Hub id or local pipeline folder."),
    methods: str = typer.Option(None, "--methods", help="Comma-separated suite methods."),
    profile: str = typer.Option(None, "--profile", help="Suite profile (default: the suite's)."),
    limit: int = typer.Option(None, "--limit", help="The first N prompts of each probe."),
    seeds: int = typer.Option(None, "--seeds", help=SEEDS_HELP),
    attack_budget: int = typer.Option(None, "--attack-budget", help=BUDGET_HELP),
    micro_batch: int = typer.Option(8, "--micro-batch"),
    steps: int = typer.Option(None, "--steps", help="Denoising steps instead of the suite's."),
    size: int = typer.Option(None, "--size", help="Image size in pixels instead of the suite's."),
    device: str = typer.Option(
        "cuda", "--device", help="Decides the sampling dtype (fp16 on GPU)."
    ),
    skip_unavailable: bool = typer.Option(False, "--skip-unavailable"),
    images_per_second: float = typer.Option(
        None,
        "--images-per-second",
        help="Your GPU's SD 1.5 images/s at 512 px, 50 steps, fp16 (default 1.0, an assumption).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    weights_dir: Path = typer.Option(
        None, "--weights-dir", envvar="SCAPRE_AUDIT_WEIGHTS", help=WEIGHTS_HELP
    ),
) -> None:
    """What `run` would need and do, without loading anything: model, evaluator weights, prompt
    sets, and the work (edits, images, steps, GPU-hours). Exit 1 if something is missing."""
    from audits.run import RunRequest

    names = [m.strip() for m in methods.split(",")] if methods else None
    request = RunRequest(
        suite=suite,
        profile=profile,
        model=model,
        methods=names,
        limit=limit,
        seeds=seeds,
        attack_budget=attack_budget,
        skip_unavailable=skip_unavailable,
        micro_batch=micro_batch,
        steps=steps,
        size=size,
        device=device,
        weights_dir=weights_dir,
    )
    _print_preflight(request, images_per_second, as_json)


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
    weights_dir: Path = typer.Option(
        None, "--weights-dir", envvar="SCAPRE_AUDIT_WEIGHTS", help=WEIGHTS_HELP
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Re-score a run's saved images and rewrite results.json, without generating anything."""
    _quiet(quiet)
    from audits.run import rescore

    counts = rescore(
        run_dir, device, batch_size, force, skip_unavailable, say=_say, weights_dir=weights_dir
    )
    typer.echo(f"{run_dir}: {counts['scores']} score unit(s) computed; results.json rewritten")


def register(app: typer.Typer) -> None:
    app.command("run")(run)
    app.command("plan")(plan)
    app.command("status")(status)
    app.command("score")(score)
