"""The capacity claim (how many concepts a method erases at once while quality holds) and
the capacity ratio against the best baseline, over a scaling sweep."""

from __future__ import annotations

from typing import Any

from audits.claims.verdicts import (
    PAPER,
    REFERENCE,
    Claim,
    aggregate_rows,
    claim_result,
    find_row,
    fmt_interval,
    fmt_num,
)

CAPACITY_CLAIM = (
    "ScaPre unlearns up to 50 concepts at once while keeping generation quality acceptable"
    " (the paper never defines 'acceptable')"
)
CAPACITY_SOURCE = f"{PAPER}: abstract; Figure 1 (left) and Figure 4 (scaling)"
RATIO_CLAIM = (
    "ScaPre forgets up to 5x more concepts than the best baseline within acceptable quality limits"
)
RATIO_SOURCE = f"{PAPER}: abstract; Figures 1 and 4 (no threshold stated)"


def _bound_text(bound: dict[str, Any]) -> str:
    if "max_drop" in bound:
        return f"{bound['metric']} at most {bound['max_drop']:g} worse than the unedited model"
    if "max" in bound:
        return f"{bound['metric']} <= {bound['max']:g}"
    return f"{bound['metric']} >= {bound['min']:g}"


def capacity_definition(spec: dict[str, Any]) -> str:
    quality = "; ".join(_bound_text(b) for b in spec["quality"])
    return (
        f"capacity(method) = the largest k of the '{spec['erase_sets']}' sweep such that at every"
        f" sweep size <= k, {spec['forget_metric']} <= {spec['forget_max']:g} and {quality}"
        " (point estimates; 0 when the smallest size already fails)"
    )


def _quality_check(
    rows: list[dict[str, Any]], bound: dict[str, Any], method: str, erase_set: str
) -> dict[str, Any]:
    row = find_row(rows, bound["metric"], method, erase_set)
    out: dict[str, Any] = {"metric": bound["metric"], "value": None, "ok": None}
    if row is None or row.get("value") is None:
        out["reason"] = f"{bound['metric']} not measured for {method} at {erase_set}"
        return out
    value = row["value"]
    out.update(value=value, ci_low=row.get("ci_low"), ci_high=row.get("ci_high"), n=row.get("n"))
    if "max_drop" in bound:
        base = find_row(rows, bound["metric"], REFERENCE, erase_set)
        if base is None or base.get("value") is None:
            out["reason"] = f"{bound['metric']} of the unedited model not measured at {erase_set}"
            return out
        sign = 1.0 if base.get("higher_is_better", row.get("higher_is_better")) else -1.0
        drop = sign * (base["value"] - value)
        out.update(base=base["value"], drop=drop, max_drop=bound["max_drop"])
        out["ok"] = drop <= bound["max_drop"]
    elif "max" in bound:
        out.update(max=bound["max"], ok=value <= bound["max"])
    else:
        out.update(min=bound["min"], ok=value >= bound["min"])
    return out


def method_capacity(
    results: dict[str, Any], spec: dict[str, Any], method: str
) -> dict[str, Any] | None:
    """The method's ladder (one step per sweep size) and its capacity; None without sweep rows.

    `capacity` is None when a needed value is missing before the first failure; `censored` is
    True when every size passes (the true capacity may be larger than the sweep reaches)."""
    rows = aggregate_rows(results)
    prefix = f"{spec['erase_sets']}@"
    forget = sorted(
        (
            r
            for r in rows
            if r["metric"] == spec["forget_metric"]
            and r["method"] == method
            and r["erase_set"].startswith(prefix)
            and r.get("concept") is None
        ),
        key=lambda r: r["erase_set_size"],
    )
    if not forget:
        return None
    steps, capacity, failed_at = [], 0, None
    for row in forget:
        step: dict[str, Any] = {
            "size": row["erase_set_size"],
            "erase_set": row["erase_set"],
            "forget": {k: row.get(k) for k in ("value", "ci_low", "ci_high", "n")},
            "quality": [_quality_check(rows, b, method, row["erase_set"]) for b in spec["quality"]],
        }
        checks = [
            None if row.get("value") is None else row["value"] <= spec["forget_max"],
            *(q["ok"] for q in step["quality"]),
        ]
        step["passes"] = False if False in checks else None if None in checks else True
        steps.append(step)
        if failed_at is None and capacity is not None:
            if step["passes"] is True:
                capacity = step["size"]
            elif step["passes"] is False:
                failed_at = step["size"]
            else:
                capacity = None  # unknown: a value is missing before any failure
    return {
        "method": method,
        "capacity": capacity,
        "failed_at": failed_at,
        "censored": capacity is not None and failed_at is None,
        "sizes": [s["size"] for s in steps],
        "steps": steps,
    }


def capacity_claim(results: dict[str, Any], spec: dict[str, Any] | None) -> Claim:
    if not spec:
        return claim_result(
            "capacity",
            CAPACITY_CLAIM,
            CAPACITY_SOURCE,
            "not defined: the suite declares no claims.capacity parameters",
            "none",
            "not checkable",
            reason="the suite declares no claims.capacity parameters",
        )
    definition = capacity_definition(spec)
    got = method_capacity(results, spec, spec["method"])
    if got is None:
        return claim_result(
            "capacity",
            CAPACITY_CLAIM,
            CAPACITY_SOURCE,
            definition,
            "no sweep rows",
            "not checkable",
            reason=f"the run has no '{spec['erase_sets']}' sweep for method '{spec['method']}'",
        )
    claimed = spec.get("claimed_concepts") or max(got["sizes"])
    definition += f"; supported when capacity({spec['method']}) >= {claimed} concepts"
    if claimed != 50:
        definition += " (the paper's 50, scaled to this suite's concepts)"
    cap = got["capacity"]
    text = _capacity_text(got)
    details = {"claimed_concepts": claimed, "capacity": got}
    if cap is None:
        verdict, details["reason"] = "not checkable", "a needed value was not measured"
    elif cap >= claimed:
        verdict = "supported"
    elif got["failed_at"] is not None:
        verdict = "not supported"
    else:
        verdict = "not checkable"
        details["reason"] = f"the sweep stops at {max(got['sizes'])} concepts, below {claimed}"
    return claim_result(
        "capacity", CAPACITY_CLAIM, CAPACITY_SOURCE, definition, text, verdict, **details
    )


def _capacity_text(got: dict[str, Any]) -> str:
    sizes = ",".join(str(s) for s in got["sizes"])
    if got["capacity"] is None:
        return f"{got['method']}: capacity unknown (sweep {sizes}; a value is missing)"
    cap = f">= {got['capacity']}" if got["censored"] else str(got["capacity"])
    text = f"{got['method']}: capacity {cap} (sweep {sizes})"
    if got["failed_at"] is not None:
        step = next(s for s in got["steps"] if s["size"] == got["failed_at"])
        why = []
        if step["forget"]["value"] is not None and step["forget"]["value"] > 0:
            why.append(f"forget {fmt_interval(step['forget'])}")
        why += [
            f"{q['metric']} {fmt_num(q['value'])}"
            + (f" (drop {fmt_num(q['drop'])})" if q.get("drop") is not None else "")
            for q in step["quality"]
            if q["ok"] is False
        ]
        text += f"; fails at {got['failed_at']}: " + ", ".join(why)
    return text


def capacity_ratio_claim(results: dict[str, Any], spec: dict[str, Any] | None) -> Claim:
    """ScaPre's capacity over the best baseline's. Ties give 1. A best baseline of 0 (it fails at
    the smallest sweep size s) makes the ratio unbounded; capacity / s is then a lower bound.
    When both are 0 the ratio is undefined, but the claim (ScaPre forgets several times more
    concepts within the limits) is not supported: ScaPre forgets none within them.
    A capacity that passes the whole sweep is censored: the ratio is then a bound, and a verdict
    is given only when the bound decides it."""
    if not spec:
        return claim_result(
            "capacity-ratio",
            RATIO_CLAIM,
            RATIO_SOURCE,
            "not defined: the suite declares no claims.capacity parameters",
            "none",
            "not checkable",
            reason="the suite declares no claims.capacity parameters",
        )
    target = spec.get("claimed_ratio") or 5.0
    method = spec["method"]
    baselines = list(spec.get("baselines") or []) or [
        m for m in sorted(results.get("methods", {})) if m not in (REFERENCE, method)
    ]
    definition = (
        f"ratio = capacity({method}) / max capacity over baselines ({', '.join(baselines)}),"
        f" capacity as in the capacity claim; supported when ratio >= {target:g}"
    )
    ours = method_capacity(results, spec, method)
    theirs = [c for c in (method_capacity(results, spec, b) for b in baselines) if c is not None]
    details: dict[str, Any] = {"claimed_ratio": target, "baselines": baselines, "ratio": None}
    known = [c for c in theirs if c["capacity"] is not None]
    if ours is None or ours["capacity"] is None or not theirs:
        details["reason"] = "the run lacks a measured sweep for ScaPre or for any baseline"
    elif not known:
        details["reason"] = "no baseline capacity could be determined"
    if "reason" in details:
        return claim_result(
            "capacity-ratio",
            RATIO_CLAIM,
            RATIO_SOURCE,
            definition,
            "no ratio",
            "not checkable",
            **details,
        )
    best_cap = max(c["capacity"] for c in known)
    best = [c for c in known if c["capacity"] == best_cap]
    details.update(
        capacity=ours["capacity"],
        best_baselines=[c["method"] for c in best],
        best_capacity=best_cap,
        baseline_capacities={c["method"]: c["capacity"] for c in theirs},
    )
    lower = ours["censored"]  # the true ratio may be larger
    upper = any(c["censored"] for c in best)  # ... or smaller
    if best_cap == 0:
        if ours["capacity"] == 0:
            details["why"] = f"{method} stays within the limits at no sweep size"
            text = (
                f"{method} 0, best baseline 0: ratio undefined (0/0); {method} forgets no"
                " concept within the limits"
            )
            return claim_result(
                "capacity-ratio",
                RATIO_CLAIM,
                RATIO_SOURCE,
                definition,
                text,
                "not supported",
                **details,
            )
        ratio, lower = ours["capacity"] / min(ours["sizes"]), True
    else:
        ratio = ours["capacity"] / best_cap
    details.update(ratio=ratio, ratio_is_lower_bound=lower, ratio_is_upper_bound=upper)
    bound = "" if lower == upper else " or more" if lower else " or less"
    if lower and upper:
        bound = " (both capacities censored by the sweep)"
    text = (
        f"{method} {ours['capacity']}{'+' if ours['censored'] else ''} / best baseline"
        f" {best_cap}{'+' if upper else ''} ({', '.join(details['best_baselines'])})"
        f" = {ratio:.2f}{bound}"
    )
    if lower and upper:
        verdict = "not checkable"
        details["reason"] = "every compared method passes the whole sweep"
    elif ratio >= target:
        verdict = "not checkable" if upper else "supported"
    else:
        verdict = "not checkable" if lower else "not supported"
    if verdict == "not checkable" and "reason" not in details:
        details["reason"] = "the sweep is too short to decide (a capacity is censored)"
    return claim_result(
        "capacity-ratio", RATIO_CLAIM, RATIO_SOURCE, definition, text, verdict, **details
    )
