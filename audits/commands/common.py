"""What the commands share: option help texts, the stage-line printer and the preflight
printer (the engine's results in words, never its logic)."""

from __future__ import annotations

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
STAGES_HELP = (
    "all (the image audit) or weights (the weight-space audit alone: no images; docs/weights.md)."
)
BUDGET_HELP = (
    "At most N objective evaluations per searching attack unit (UnlearnDiffAtk, Ring-A-Bell;"
    " quick look: the suites size budgets for a GPU; part of the run's identity)."
)
QUIET_HELP = "No progress bars, progress lines or stage lines (errors and results still print)."


def say(text: str) -> None:
    """A stage line on stderr (control characters escaped), unless `--quiet`."""
    from audits.run.progress import is_quiet
    from audits.textsafe import printable

    if not is_quiet():
        typer.echo(printable(text), err=True)


def quiet(on: bool) -> None:
    """`--quiet`: no progress bars or stage lines."""
    from audits.run.progress import set_quiet

    set_quiet(on)


def print_preflight(request, rate: float | None, as_json: bool) -> None:
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
