"""The metric glossary: what each number on the page means, from the definitions the engine
stored in results.json (each metric class's own definition, version and direction, its unit,
evaluator and probes), never from the engine's code."""

from __future__ import annotations

from typing import Any

from runfmt import Run

UNIT_TEXT = {
    "fraction": "share of images, shown in percent",
    "percent": "percent",
    "score": "score as stored",
}

# the words every table uses, the same for every run
TERMS = [
    (
        "probe",
        "a set of prompts (and seeds) the audit generates images for: target prompts name "
        "an erased concept, neighbour prompts a concept that should survive, adversarial prompts "
        "try to bring an erased concept back indirectly, general prompts name no concept",
    ),
    (
        "erase set",
        "the concepts one edit erases together; `name@k` is the k-concept step of a "
        "sweep (e.g. ladder@2: the first two targets)",
    ),
    (
        "unedited",
        "the model before any edit (method `none`): every value is read against it, "
        "on the same prompts and seeds",
    ),
    (
        "n",
        "the number of images a value is computed from (hover a cell; excluded images are "
        "counted with their reason)",
    ),
    (
        "interval",
        "the 95% interval under each value: a percentile bootstrap that resamples "
        "prompts (all seeds of a prompt move together), so few prompts give wide intervals; two "
        "values whose intervals overlap are not shown to differ",
    ),
    (
        "recognised",
        "the evaluator's label for an image equals the label of the concept its "
        "prompt names (the mark under each image on the concept pages)",
    ),
]


def glossary(run: Run) -> list[dict[str, Any]]:
    """One entry per metric of the run, in results order."""
    stored = run.results.get("definitions") or {}
    seen: dict[str, dict[str, Any]] = {}
    for row in run.metrics:
        name = "attack:*" if row.get("attack") else str(row["metric"])
        if name in seen:
            continue
        d = stored.get(name) or {}
        higher = d.get("higher_is_better", row.get("higher_is_better"))
        seen[name] = {
            "name": "attack rows (one column per attack)" if name == "attack:*" else name,
            "kind": d.get("kind", row.get("kind", "")),
            "version": d.get("definition_version", row.get("definition_version", "")),
            "direction": "" if higher is None else f"{'higher' if higher else 'lower'} is better",
            "arrow": "" if higher is None else "\u2191" if higher else "\u2193",
            "unit": UNIT_TEXT.get(str(d.get("unit", "")), str(d.get("unit", "")) or "as stored"),
            "definition": d.get("definition") or "not recorded by this run (an older engine)",
            "description": d.get("description", ""),
            "evaluator": _evaluator(d, row),
            "probes": ", ".join(d.get("probes") or row.get("probes") or []),
        }
    return list(seen.values())


def _evaluator(d: dict[str, Any], row: dict[str, Any]) -> str:
    scorer = d.get("scorer") or row.get("scorer")
    if not scorer:
        return ""
    text = str(scorer)
    if d.get("scorer_kind"):
        text += f" ({d['scorer_kind']})"
    if d.get("scorer_description"):
        text += f": {d['scorer_description']}"
    return text
