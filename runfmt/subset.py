"""The subset of a suite's prompts and seeds a run used (`--limit`, `--seeds`), in words and as
flags, for every place that shows a run's numbers (preflight, report). Torch-free."""

from __future__ import annotations


def subset_flags(limit: int | None, seeds: int | None) -> list[str]:
    """The command-line flags that reproduce the subset (empty: the whole suite)."""
    flags = ["--limit", str(limit)] if limit else []
    return flags + (["--seeds", str(seeds)] if seeds else [])


def subset_text(limit: int | None, seeds: int | None) -> str:
    """The subset in words; a capped run says it is not the suite's full protocol."""
    if not limit and not seeds:
        return "every prompt and seed of the suite's probes"
    parts = []
    if limit:
        parts.append(f"the first {limit} prompt(s) of each probe (--limit {limit})")
    if seeds:
        parts.append(f"the first {seeds} seed(s) of each prompt (--seeds {seeds})")
    return " and ".join(parts) + ": a quick look, not the suite's full protocol"
