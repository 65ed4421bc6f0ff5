"""`scapre-audit suite validate|show|list|hash`: inspect concept suites from the command line.

Errors are raised as AuditError (SuiteError); `audits.cli.main` prints them on one line and exits
with code 2.
"""

from __future__ import annotations

import json

import typer

from audits.suites import expand_erase_sets, load_suite, probe_hash, suite_hash, suite_names
from audits.suites.cases import local_cases
from audits.suites.errors import display_path
from audits.suites.specs.evaluation import ScorerSpec
from audits.suites.suite import Suite

suite_app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    help="Validate, inspect and hash concept suites (suites/<name>/suite.yaml).",
)


@suite_app.command("validate")
def validate(
    path: str = typer.Argument(..., help="Suite folder, suite.yaml, or bundled suite name."),
    tokens: bool = typer.Option(True, help="Check every prompt fits CLIP's 77 tokens."),
) -> None:
    """Check a suite: schema, tables, registry names, references, prompt lengths."""
    suite = load_suite(path, tokens=tokens)
    typer.echo(f"ok {suite.name} {suite.version} suite_hash={suite_hash(suite)}")


@suite_app.command("hash")
def hash_(path: str = typer.Argument(..., help="Suite folder, suite.yaml, or name.")) -> None:
    """Print the suite hash (sha256 of the resolved spec and every table it reads)."""
    typer.echo(suite_hash(load_suite(path, tokens=False)))


@suite_app.command("list")
def list_() -> None:
    """List the suites found in $SCAPRE_AUDIT_SUITES and the bundled suites/ folder."""
    from audits.errors import AuditError

    for name in suite_names():
        try:
            suite = load_suite(name, tokens=False)
        except AuditError as err:
            typer.echo(f"{name:<20} INVALID  {err}")
            continue
        typer.echo(f"{name:<20} {suite.version:<8} {suite_hash(suite)[:12]}  {_summary(suite)}")


@suite_app.command("show")
def show(
    path: str = typer.Argument(..., help="Suite folder, suite.yaml, or bundled suite name."),
    as_json: bool = typer.Option(False, "--json", help="Print the resolved suite as JSON."),
) -> None:
    """Show a resolved suite: concepts, erase sets, probes, scorers, metrics, profiles."""
    suite = load_suite(path, tokens=False)
    if as_json:
        data = {"suite_hash": suite_hash(suite), **suite.to_config()}
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    for line in _describe(suite):
        typer.echo(line)


def _summary(suite: Suite) -> str:
    if suite.abstract:
        return "(abstract base)"
    assert suite.concepts is not None
    targets = len(suite.concepts.with_role("target"))
    retains = len(suite.concepts.with_role("retain"))
    profiles = ", ".join(suite.profiles) or "default"
    return f"{targets} targets, {retains} retained; profiles: {profiles}"


def _count(items: object, noun: str) -> str:
    n = items if isinstance(items, int) else len(items)  # type: ignore[arg-type]
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _labels(suite: Suite, scorer: ScorerSpec) -> str:
    if scorer.label_space == "none":
        return "no labels"
    if scorer.label_space == "labels":
        text = f"labels {', '.join(scorer.labels)}"
    elif scorer.label_space == "concepts":
        text = f"labels: the {_count(suite.concepts.concepts if suite.concepts else (), 'concept')}"
    else:
        text = f"labels: {scorer.label_space} by column {scorer.label_column}"
    return text + (f", threshold {scorer.threshold}" if scorer.threshold is not None else "")


def _describe(suite: Suite) -> list[str]:
    lines = [
        f"{suite.name} {suite.version}  suite_hash={suite_hash(suite)}",
        f"  file: {display_path(suite.yaml_path)}"
        + (f" (extends {suite.extends})" if suite.extends else ""),
    ]
    if suite.description:
        lines.append(f"  {suite.description.strip().splitlines()[0]}")
    if suite.model:
        m = suite.model
        lines.append(f"  model: {m.id} @ {m.revision} (family {m.family})")
    if suite.generation:
        g = suite.generation
        lines.append(
            f"  generation: {g.sampler}, {g.steps} steps, guidance {g.guidance_scale},"
            f" {g.width}x{g.height}, {g.images_per_prompt} seeds per prompt, {g.precision}"
        )
    if suite.concepts:
        lines.append(f"  concepts: {_summary(suite)} ({suite.concepts.table.relpath})")
        for erase_set in expand_erase_sets(suite.erase_sets, suite.concepts):
            lines.append(f"    erase set {erase_set.name}: {_count(erase_set.concepts, 'concept')}")
    for name, probe in suite.probes.items():
        count = len(local_cases(suite, probe, suite.generation)) if suite.generation else 0
        prompts = _count(count, "prompt")
        if probe.dataset:
            prompts = f"{probe.dataset.id} at run time ({prompts} offline)"
        lines.append(
            f"  probe {name}: {probe.kind}, {probe.purpose}, {prompts}"
            f" [{probe_hash(suite, name)[:12]}]"
        )
    for name, scorer in suite.scorers.items():
        lines.append(f"  scorer {name}: {scorer.kind}, {_labels(suite, scorer)}")
    for name, metric in suite.metrics.items():
        on = f" on {', '.join(metric.probes)}" if metric.probes else ""
        lines.append(f"  metric {name}: {metric.kind}{on}")
    lines.append(f"  methods: {', '.join(f'{n} ({m.kind})' for n, m in suite.methods.items())}")
    for name, profile in suite.profiles.items():
        mark = " [default]" if name == suite.default_profile else ""
        cites = f", {profile.cites}" if profile.cites else ""
        model = ""
        if profile.model:
            model = f", model {profile.model.id} (family {profile.model.family})"
        lines.append(f"  profile {name}: {profile.kind}{cites}{model}{mark}")
        if profile.description:
            lines.append(f"    {' '.join(profile.description.split())}")
    return lines
