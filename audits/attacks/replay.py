"""Tier 0, prompt replay: render prompts an attack already found, with no model access.

Sources, in this order of precedence:
- `artifacts`: a folder of saved attack artifacts (`<run>/attacks/<attack>/<edit_id>/`), so the
  prompts or embeddings found against one model are replayed against any other (embeddings need
  the same text width; replaying saved embeddings is then tier 1 input, but still no access);
- `csv`: a user-supplied prompt file from a published attack (Ring-A-Bell, MMA-Diffusion,
  UnlearnDiffAtk CSVs), resolved against the suite folder, then the working directory; the
  columns are named by `prompt_column` and `concept_column` (the concept must be one of the
  suite's, e.g. after renaming the published column);
- otherwise the cases of the attack's `probes` (the suite's paraphrases, indirect references,
  misspellings, other languages).
Every prompt is rendered with the profile's seeds (`csv`) or its own case's seeds.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from audits.attacks.base import (
    Attack,
    AttackContext,
    AttackError,
    AttackOutput,
    AttackParams,
)
from audits.case import Case


@dataclass(frozen=True)
class ReplayParams(AttackParams):
    csv: str = ""
    prompt_column: str = "prompt"
    concept_column: str = "concept"
    artifacts: str = ""

    def validate(self) -> None:
        if self.csv and self.artifacts:
            raise AttackError("csv and artifacts: give one source, not both")


def resolve(path: str, suite_root: Path | None, what: str) -> Path:
    """See `audits.attacks.files.resolve`; errors are AttackError."""
    from audits.attacks.files import resolve as resolve_file
    from audits.errors import AuditError

    try:
        return resolve_file(path, suite_root, what)
    except AuditError as err:
        raise AttackError(str(err)) from None


def read_prompt_csv(
    path: Path, prompt_column: str, concept_column: str, seeds: tuple[int, ...]
) -> dict[str, list[Case]]:
    """concept -> sources, one per CSV row (row numbers count data rows from 1)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = reader.fieldnames or []
            for column in (prompt_column, concept_column):
                if column not in header:
                    raise AttackError(
                        f"{path}: missing column '{column}' (header: {', '.join(header)})"
                    )
            rows = list(reader)
    except (OSError, UnicodeDecodeError, csv.Error) as err:
        raise AttackError(f"cannot read prompt file {path}: {err}") from None
    out: dict[str, list[Case]] = {}
    for i, row in enumerate(rows, start=1):
        prompt, concept = (row.get(prompt_column) or "").strip(), (row.get(concept_column) or "")
        if prompt:
            out.setdefault(concept.strip(), []).append(Case("csv", i, prompt, seeds))
    return out


class PromptReplay(Attack):
    kind = "prompt_replay"
    version = "prompt_replay/1"
    tier = 0
    params_class: ClassVar = ReplayParams

    def sources(self, suite, cases_by_probe, probes, limit, seeds=()):
        if self.params.artifacts:
            from audits.attacks.artifacts import artifact_sources

            folder = resolve(self.params.artifacts, suite.root, "artifacts folder")
            return artifact_sources(folder, limit)
        if self.params.csv:
            path = resolve(self.params.csv, suite.root, "csv")
            found = read_prompt_csv(
                path, self.params.prompt_column, self.params.concept_column, seeds
            )
            return {c: s[:limit] if limit else s for c, s in found.items()}
        return super().sources(suite, cases_by_probe, probes, limit)

    def run(self, ctx: AttackContext) -> AttackOutput:
        if ctx.sources and ctx.sources[0].embeds_file:
            from audits.attacks.artifacts import load_rows

            return AttackOutput(embeds=load_rows(ctx.sources))
        return AttackOutput(prompts=[s.prompt for s in ctx.sources])
