"""The one case type: a prompt with the seeds its images use.

A probe expands to cases (`audits.suites.cases`), a run plans them (`RunPlan.probes`) and an
attack starts from them (its sources), so all three share this type. Where a case came from
(`template`, `origin`, `row`) serves error messages only; the embedding fields are set on a
replayed attack input only. The saved shapes (`to_plan`, `to_source`, `identity`) are part of
the run-folder format and of identities, so each names exactly the fields it always held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    """One prompt of a probe (numbered by `index` within it: the bootstrap's cluster)."""

    probe: str
    index: int
    prompt: str
    seeds: tuple[int, ...]
    concept: str = ""
    family: str = ""
    # where it came from, for one-line errors: a template number, or a file or data set and row
    template: int | None = None
    origin: str = ""
    row: int | None = None
    # a saved embedding row an attack replays: its content hash and where it is read from
    embeds_sha256: str = ""
    embeds_file: str = ""
    embeds_row: int = -1

    def _head(self) -> dict[str, Any]:
        return {"probe": self.probe, "index": self.index, "prompt": self.prompt}

    def to_plan(self) -> dict[str, Any]:
        """The case as plan.json saves it (and as the prompt set's sha256 hashes it)."""
        return self._head() | {
            "seeds": list(self.seeds),
            "concept": self.concept,
            "family": self.family,
        }

    def to_source(self) -> dict[str, Any]:
        """The case as an attack unit in plan.json saves its source."""
        return self._head() | {
            "seeds": list(self.seeds),
            "embeds_sha256": self.embeds_sha256,
            "embeds_file": self.embeds_file,
            "embeds_row": self.embeds_row,
        }

    def identity(self) -> dict[str, Any]:
        """What of an attack's source enters the attack unit's identity (never a file path)."""
        out = self._head() | {"seeds": list(self.seeds)}
        return out | ({"embeds_sha256": self.embeds_sha256} if self.embeds_sha256 else {})

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Case:
        """A case from either saved shape."""
        return cls(**{**data, "seeds": tuple(int(s) for s in data["seeds"])})
