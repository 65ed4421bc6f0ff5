"""What every claim check shares: the verdicts, the claim result's shape, number
formatting and finding rows in results.json."""

from __future__ import annotations

from typing import Any

VERDICTS = ("supported", "not supported", "not checkable")
PAPER = "ScaPre (Forget Many, Forget Right; ICLR 2026, arXiv 2601.06162)"
REFERENCE = "none"
GPU_HOUR_S = 3600.0

Claim = dict[str, Any]


def claim_result(
    id: str, claim: str, source: str, definition: str, measurement: str, verdict: str, **details
) -> Claim:
    assert verdict in VERDICTS
    return {
        "id": id,
        "claim": claim,
        "source": source,
        "definition": definition,
        "measurement": measurement,
        "verdict": verdict,
        "details": details,
    }


def fmt_num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}g}" if abs(x) >= 1000 else f"{x:.{digits}f}"


def fmt_interval(row: dict[str, Any]) -> str:
    if row.get("ci_low") is None or row.get("ci_high") is None:
        return f"{fmt_num(row.get('value'))} (n={row.get('n')}, no interval)"
    low, high = fmt_num(row["ci_low"]), fmt_num(row["ci_high"])
    return f"{fmt_num(row['value'])} [{low}, {high}] (n={row['n']})"


def aggregate_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows that are whole values, not breakdowns (no family, group or label split)."""
    return [
        r
        for r in results.get("metrics", [])
        if r.get("family") is None and r.get("group") is None and r.get("label") is None
    ]


def find_row(
    rows: list[dict[str, Any]], metric: str, method: str, erase_set: str, concept: str | None = None
) -> dict[str, Any] | None:
    for r in rows:
        if (r["metric"], r["method"], r["erase_set"], r.get("concept")) == (
            metric,
            method,
            erase_set,
            concept,
        ):
            return r
    return None
