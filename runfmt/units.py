"""The unit each metric kind stores its values in (results.json), for the readers that convert
or label them (reports, the claims check): shares in 0..1, percent, or a plain score.
Part of the torch-free run-folder format: the HTML report imports it."""

from __future__ import annotations

# shares in 0..1 (tables print them x100 with a % unit)
FRACTION_KINDS = frozenset(
    {
        "forget_acc",
        "neighbor_acc",
        "retain_acc",
        "harmonic_acc",
        "attack_success_rate",
        "nudity_rate",
    }
)
PERCENT_KINDS = frozenset({"overall_acc"})  # already in percent
UNITS = ("fraction", "percent", "score")


def unit_of(kind: str | None) -> str:
    """'fraction', 'percent' or 'score' (anything else: CLIP score, FID, UQ, distances)."""
    if kind in FRACTION_KINDS:
        return "fraction"
    return "percent" if kind in PERCENT_KINDS else "score"
