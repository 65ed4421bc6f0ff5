"""`scapre-audit plan`: what `run` would need and do, loading nothing (`audits.run.preflight`)."""

from __future__ import annotations

from pathlib import Path

import typer

from audits.commands import common


def plan(
    suite: str = typer.Argument(..., help="A bundled suite name, a suite folder or suite.yaml."),
    model: str = typer.Option(None, "--model", help="Hub id or local pipeline folder."),
    methods: str = typer.Option(None, "--methods", help="Comma-separated suite methods."),
    profile: str = typer.Option(None, "--profile", help="Suite profile (default: the suite's)."),
    limit: int = typer.Option(None, "--limit", help="The first N prompts of each probe."),
    seeds: int = typer.Option(None, "--seeds", help=common.SEEDS_HELP),
    attack_budget: int = typer.Option(None, "--attack-budget", help=common.BUDGET_HELP),
    micro_batch: int = typer.Option(8, "--micro-batch"),
    steps: int = typer.Option(None, "--steps", help="Denoising steps instead of the suite's."),
    size: int = typer.Option(None, "--size", help="Image size in pixels instead of the suite's."),
    device: str = typer.Option(
        "cuda", "--device", help="Decides the sampling dtype (fp16 on GPU)."
    ),
    skip_unavailable: bool = typer.Option(False, "--skip-unavailable"),
    stages: str = typer.Option("all", "--stages", help=common.STAGES_HELP),
    images_per_second: float = typer.Option(
        None,
        "--images-per-second",
        help="Your GPU's SD 1.5 images/s at 512 px, 50 steps, fp16 (default 1.0, an assumption).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    weights_dir: Path = typer.Option(
        None, "--weights-dir", envvar="SCAPRE_AUDIT_WEIGHTS", help=common.WEIGHTS_HELP
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
        stages=stages,
        weights_dir=weights_dir,
    )
    common.print_preflight(request, images_per_second, as_json)
