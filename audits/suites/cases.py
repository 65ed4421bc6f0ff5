"""Expand a probe into prompt cases: the exact prompts and seeds an audit will generate from."""

from __future__ import annotations

from audits.case import Case
from audits.suites.errors import display_path
from audits.suites.specs.model import GenerationSpec
from audits.suites.specs.probes import ProbeSpec
from audits.suites.suite import Suite
from audits.suites.tables import Table

PLACEHOLDER = "{concept}"


def render(template: str, concept: str) -> str:
    """Fill the `{concept}` placeholder (plain replacement: no other braces are special)."""
    return template.replace(PLACEHOLDER, concept)


def template_problem(template: str) -> str | None:
    """Why a template is unusable, or None."""
    if PLACEHOLDER not in template:
        return f"template must contain {PLACEHOLDER}"
    rest = template.replace(PLACEHOLDER, "")
    if "{" in rest or "}" in rest:
        return f"only the placeholder {PLACEHOLDER} may use braces"
    return None


def expand_concept_prompts(
    suite: Suite, probe: ProbeSpec, generation: GenerationSpec
) -> list[Case]:
    """Every template for every concept of the probe's role, in table order."""
    assert suite.concepts is not None
    seeds = probe.seeds or generation.seeds
    pairs = [
        (c, i, t)
        for c in suite.concepts.with_role(probe.concepts)
        for i, t in enumerate(probe.templates)
    ]
    cases = [
        Case(probe.name, k, render(t, c.name), seeds, c.name, template=i)
        for k, (c, i, t) in enumerate(pairs)
    ]
    return cases[: probe.limit] if probe.limit else cases


def expand_table(probe: ProbeSpec, table: Table, generation: GenerationSpec) -> list[Case]:
    """One case per table row; a `seed` column pins that row to one seed."""
    seeds = probe.seeds or generation.seeds
    cases = []
    for i, rec in enumerate(table.records()):
        row_seeds = (int(rec["seed"]),) if rec.get("seed") else seeds
        cases.append(
            Case(
                probe.name,
                i,
                rec["prompt"],
                row_seeds,
                rec.get("concept", ""),
                rec.get("family", ""),
                origin=display_path(table.path),
                row=table.row_numbers[i],
            )
        )
    return cases[: probe.limit] if probe.limit else cases


def expand_prompt_table(suite: Suite, probe: ProbeSpec, generation: GenerationSpec) -> list[Case]:
    assert probe.table is not None
    return expand_table(probe, probe.table, generation)


def local_cases(suite: Suite, probe: ProbeSpec, generation: GenerationSpec) -> list[Case]:
    """The cases that can be known without a network: for a remote probe, its fallback table."""
    if probe.kind == "concept_prompts":
        return expand_concept_prompts(suite, probe, generation)
    if probe.kind == "prompt_table":
        return expand_prompt_table(suite, probe, generation)
    if probe.kind == "hf_prompts":
        return expand_table(probe, probe.fallback, generation) if probe.fallback else []
    return plugin_cases(suite, probe, generation)


def plugin_cases(suite: Suite, probe: ProbeSpec, generation: GenerationSpec) -> list[Case]:
    """A probe kind registered by a plugin: its function (suite, probe, generation) -> cases,
    like the built-ins; a kind that yields no prompts is refused, never an empty probe."""
    from audits.errors import AuditError
    from audits.registry import PROBES

    made = PROBES.get(probe.kind)(suite, probe, generation)
    cases = list(getattr(made, "cases", made) or [])
    if not cases or not all(isinstance(c, Case) for c in cases):
        raise AuditError(
            f"probe '{probe.name}' (kind {probe.kind}) yields no prompt cases; a probe kind"
            " must return Case items (audits.case.Case)"
        )
    return cases


def probe_cases(suite: Suite, probe_name: str, profile: str | None = None) -> list[Case]:
    """The cases of one probe under a profile's generation settings, loading remote sets when
    allowed (see `audits.suites.remote`)."""
    generation = suite.profile(profile).generation
    probe = suite.probes[probe_name]
    if probe.kind == "hf_prompts":
        from audits.suites.remote import load_hf_prompts

        return load_hf_prompts(suite, probe, generation).cases
    return local_cases(suite, probe, generation)
