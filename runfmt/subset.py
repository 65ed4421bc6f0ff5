"""The subset of a suite's protocol a run used (`--limit`, `--seeds`, `--attack-budget`), in words
and as flags, for every place that shows a run's numbers (preflight, report). Torch-free."""

from __future__ import annotations


def subset_flags(
    limit: int | None, seeds: int | None, attack_budget: int | None = None
) -> list[str]:
    """The command-line flags that reproduce the subset (empty: the whole protocol)."""
    flags = ["--limit", str(limit)] if limit else []
    flags += ["--seeds", str(seeds)] if seeds else []
    return flags + (["--attack-budget", str(attack_budget)] if attack_budget else [])


def subset_text(limit: int | None, seeds: int | None, attack_budget: int | None = None) -> str:
    """The subset in words; a capped run says it is not the suite's full protocol."""
    if not limit and not seeds and not attack_budget:
        return "every prompt and seed of the suite's probes"
    parts = []
    if limit:
        parts.append(f"the first {limit} prompt(s) of each probe (--limit {limit})")
    if seeds:
        parts.append(f"the first {seeds} seed(s) of each prompt (--seeds {seeds})")
    if attack_budget:
        parts.append(
            f"attack budgets of at most {attack_budget} evaluation(s) per unit"
            f" (--attack-budget {attack_budget})"
        )
    return ", ".join(parts) + ": a quick look, not the suite's full protocol"
