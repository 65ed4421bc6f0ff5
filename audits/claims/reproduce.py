"""Reproduction: the run's values against the paper's reported numbers, table by table."""

from __future__ import annotations

from typing import Any

from audits.claims.verdicts import PAPER, Claim, aggregate_rows, claim_result, find_row, fmt_num
from runfmt.units import unit_of


def measured_unit(kind: str) -> str:
    return unit_of(kind)


def _convert(x: float | None, unit: str, to: str) -> float | None:
    if x is None or unit == to:
        return x
    if (unit, to) == ("fraction", "percent"):
        return 100.0 * x
    if (unit, to) == ("percent", "fraction"):
        return x / 100.0
    raise ValueError(f"cannot convert {unit} to {to}")


def compare_reported(entry: dict[str, Any], row: dict[str, Any] | None) -> dict[str, Any]:
    """One reported value against its measured row, in the reported unit: measured value and
    interval, difference (measured - reported), and whether the reported value lies inside."""
    out = {k: entry.get(k) for k in ("metric", "method", "concept", "value", "unit", "note")}
    out["reported"] = out.pop("value")
    out.update(measured=None, ci_low=None, ci_high=None, n=None, difference=None, inside=None)
    if row is None or row.get("value") is None:
        out["reason"] = "no measured value"
        return out
    unit = measured_unit(row.get("kind", ""))
    if {unit, entry["unit"]} not in ({"fraction", "percent"},) and unit != entry["unit"]:
        out["reason"] = f"units differ ({unit} measured, {entry['unit']} reported)"
        return out
    conv = {k: _convert(row.get(k), unit, entry["unit"]) for k in ("value", "ci_low", "ci_high")}
    out.update(
        measured=conv["value"],
        ci_low=conv["ci_low"],
        ci_high=conv["ci_high"],
        n=row.get("n"),
        difference=conv["value"] - entry["value"],
    )
    if conv["ci_low"] is None or conv["ci_high"] is None:
        out["reason"] = "no measured interval"
    else:
        out["inside"] = conv["ci_low"] <= entry["value"] <= conv["ci_high"]
    return out


def _table_verdict(comparisons: list[dict[str, Any]]) -> tuple[str, str]:
    decided = [c for c in comparisons if c["inside"] is not None]
    inside = sum(1 for c in decided if c["inside"])
    text = (
        f"{len(comparisons)} reported value(s) with a measured counterpart; {inside} of"
        f" {len(decided)} with an interval lie inside the measured 95% interval"
    )
    if not decided:
        return "not checkable", text
    return ("supported" if inside == len(decided) else "not supported"), text


def reproduce_claims(results: dict[str, Any], spec: dict[str, Any] | None) -> list[Claim]:
    """One claim per reported table of the run's profile, plus the headline value if named."""
    spec = spec or {}
    erase_set = spec.get("erase_set", "all")
    reported = results.get("reported") or []
    profile = (results.get("suite") or {}).get("profile")
    definition = (
        f"each reported value against the run's value of the same metric, method and concept"
        f" (erase set '{erase_set}'), in the paper's unit; the table is reproduced when every"
        " reported value with a measured 95% interval lies inside it"
    )
    if not reported:
        return [
            claim_result(
                "reproduce",
                f"The paper's reported numbers for this protocol ({profile})",
                PAPER,
                definition,
                "no reported values for this profile",
                "not checkable",
                reason=f"the suite reports no paper values for profile '{profile}'",
            )
        ]
    rows = aggregate_rows(results)
    by_table: dict[str, list[dict[str, Any]]] = {}
    for entry in reported:
        by_table.setdefault(entry["table"], []).append(entry)
    out = []
    for table, entries in by_table.items():
        comparisons = [
            compare_reported(e, find_row(rows, e["metric"], e["method"], erase_set, e["concept"]))
            for e in entries
        ]
        matched = [c for c in comparisons if c["measured"] is not None]
        verdict, text = _table_verdict(matched)
        details: dict[str, Any] = {
            "table": table,
            "erase_set": erase_set,
            "comparisons": matched,
            "unmatched": [
                {k: c[k] for k in ("metric", "method", "concept", "reason")}
                for c in comparisons
                if c["measured"] is None
            ],
        }
        if verdict == "not checkable":
            details["reason"] = "no reported value has a measured counterpart with an interval"
        slug = "".join(ch if ch.isalnum() else "-" for ch in table.lower()).strip("-")
        out.append(
            claim_result(
                f"reproduce-{slug}",
                f"{PAPER}, {table}: the values as printed",
                f"{entries[0]['source']}",
                definition,
                text,
                verdict,
                **details,
            )
        )
    head = spec.get("headline")
    if head:
        out.append(_headline_claim(rows, reported, head, erase_set))
    return out


def _headline_claim(
    rows: list[dict[str, Any]], reported: list[dict[str, Any]], head: dict[str, Any], erase_set
) -> Claim:
    entry = next(
        (
            e
            for e in reported
            if (e["metric"], e["method"], e["concept"])
            == (head["metric"], head["method"], head.get("concept"))
        ),
        None,
    )
    what = f"{head['metric']} of {head['method']}" + (
        f" for {head['concept']}" if head.get("concept") else ""
    )
    if entry is None:
        return claim_result(
            "headline",
            f"The paper's headline value: {what}",
            PAPER,
            "the reported value against the measured one",
            "no reported value",
            "not checkable",
            reason=f"no reported value for {what} in this profile",
        )
    claim = f"{what} is {entry['value']:g} {entry['unit']} ({entry['table']})"
    definition = (
        f"supported when the reported {entry['value']:g} lies inside the measured 95% interval"
        f" of {what} (erase set '{erase_set}'), in the paper's unit"
    )
    comp = compare_reported(
        entry, find_row(rows, head["metric"], head["method"], erase_set, head.get("concept"))
    )
    if comp["inside"] is None:
        text = comp.get("reason", "not measured")
        if comp["measured"] is not None:
            text = f"measured {fmt_num(comp['measured'])} {entry['unit']} ({text})"
        return claim_result(
            "headline",
            claim,
            entry["source"],
            definition,
            text,
            "not checkable",
            comparison=comp,
            reason=comp.get("reason"),
        )
    text = (
        f"measured {fmt_num(comp['measured'])}"
        f" [{fmt_num(comp['ci_low'])}, {fmt_num(comp['ci_high'])}]"
        f" {entry['unit']} (n={comp['n']}) vs reported {entry['value']:g}; difference"
        f" {comp['difference']:+.2f}"
    )
    verdict = "supported" if comp["inside"] else "not supported"
    return claim_result(
        "headline", claim, entry["source"], definition, text, verdict, comparison=comp
    )
