"""Substitutions: a number made with something other than what the suite declares (a prompt set's
bundled fallback instead of its dataset; an evaluator's declared fallback, e.g. FID on CLIP
features instead of Inception). Every results row lists the substitutions behind it, so a report
cell or a paper table can mark the number and say why in a footnote."""

from __future__ import annotations

from typing import Any


def prompt_substitutions(suite, plan, probes) -> list[dict[str, str]]:
    """The probes among `probes` whose prompts came from their fallback table."""
    out = []
    for name in probes:
        probe = plan.probes.get(name)
        if probe is None or probe.source != "fallback":
            continue
        spec = suite.probes.get(name)
        dataset = getattr(getattr(spec, "dataset", None), "id", None) or "its dataset"
        fallback = getattr(getattr(spec, "fallback", None), "path", None)
        out.append(
            {
                "kind": "prompts",
                "part": name,
                "declared": dataset,
                "used": fallback.name if fallback is not None else "its fallback table",
                "reason": probe.source_reason,
            }
        )
    return out


def evaluator_substitutions(identity: Any, part: str | None = None) -> list[dict[str, str]]:
    """Every `substitution` an evaluator identity declares (derived metrics nest their parts'
    identities), as {kind: evaluator, part, declared, used, reason}."""
    out: list[dict[str, str]] = []
    if isinstance(identity, dict):
        sub = identity.get("substitution")
        if isinstance(sub, dict):
            out.append(
                {
                    "kind": "evaluator",
                    "part": str(part or identity.get("kind", "")),
                    "declared": str(sub.get("declared", "")),
                    "used": str(sub.get("used", "")),
                    "reason": str(sub.get("reason", "")),
                }
            )
        for key, value in identity.items():
            if isinstance(value, dict) and key != "substitution":
                name = value.get("metric") if "evaluator" in value else None
                out += evaluator_substitutions(value, name or part)
    return out


def row_substitutions(suite, plan, probes, identity, scorer: str | None) -> list[dict[str, str]]:
    """What one results row was made with instead of what was declared (empty: nothing)."""
    found = prompt_substitutions(suite, plan, probes) + evaluator_substitutions(identity, scorer)
    unique: dict[tuple, dict[str, str]] = {}
    for sub in found:
        unique.setdefault((sub["kind"], sub["part"], sub["declared"], sub["used"]), sub)
    return list(unique.values())


def all_substitutions(rows: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The distinct substitutions of a run, in first-seen order (the report's footnotes)."""
    unique: dict[tuple, dict[str, str]] = {}
    for row in rows:
        for sub in row.get("substitutions") or []:
            unique.setdefault((sub["kind"], sub["part"], sub["declared"], sub["used"]), sub)
    return list(unique.values())
