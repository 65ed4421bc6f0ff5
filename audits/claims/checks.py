"""The claim checks: pure functions from a run's saved JSON to claim results with verdicts.

Each claim result is `{id, claim, source, definition, measurement, verdict, details}`; the verdict
is "supported", "not supported" or "not checkable" (then `details.reason` says what the run
lacks). Thresholds come from the suite's `claims:` section as copied into results.json
(`suite.claims`), so a check reads only the run directory.
"""

from __future__ import annotations

from typing import Any

from runfmt.units import unit_of

VERDICTS = ("supported", "not supported", "not checkable")
PAPER = "ScaPre (Forget Many, Forget Right; ICLR 2026, arXiv 2601.06162)"
REFERENCE = "none"
GPU_HOUR_S = 3600.0

Claim = dict[str, Any]


def check_claims(
    results: dict[str, Any], edits: list[dict[str, Any]], manifest: dict[str, Any]
) -> list[Claim]:
    """Every claim, in a fixed order: capacity, capacity ratio, edit time, reproduction; only
    those of the profile's `claims:` selection when it has one."""
    suite = results.get("suite") or {}
    claims = suite.get("claims") or {}
    profile = (suite.get("profiles") or {}).get(suite.get("profile")) or {}
    picked = set(profile.get("claims") or ("capacity", "edit_time", "reproduce"))
    out: list[Claim] = []
    if "capacity" in picked:
        out += [
            capacity_claim(results, claims.get("capacity")),
            capacity_ratio_claim(results, claims.get("capacity")),
        ]
    if "edit_time" in picked:
        out.append(edit_time_claim(edits, manifest, claims.get("edit_time")))
    if "reproduce" in picked:
        out += reproduce_claims(results, claims.get("reproduce"))
    return out


def _claim(
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


def _num(x: float | None, digits: int = 3) -> str:
    return "n/a" if x is None else f"{x:.{digits}g}" if abs(x) >= 1000 else f"{x:.{digits}f}"


def _interval(row: dict[str, Any]) -> str:
    if row.get("ci_low") is None or row.get("ci_high") is None:
        return f"{_num(row.get('value'))} (n={row.get('n')}, no interval)"
    return f"{_num(row['value'])} [{_num(row['ci_low'])}, {_num(row['ci_high'])}] (n={row['n']})"


def aggregate_rows(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Rows that are whole values, not breakdowns (no family, group or label split)."""
    return [
        r
        for r in results.get("metrics", [])
        if r.get("family") is None and r.get("group") is None and r.get("label") is None
    ]


def _find(
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


# -- capacity -------------------------------------------------------------------------------
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
    row = _find(rows, bound["metric"], method, erase_set)
    out: dict[str, Any] = {"metric": bound["metric"], "value": None, "ok": None}
    if row is None or row.get("value") is None:
        out["reason"] = f"{bound['metric']} not measured for {method} at {erase_set}"
        return out
    value = row["value"]
    out.update(value=value, ci_low=row.get("ci_low"), ci_high=row.get("ci_high"), n=row.get("n"))
    if "max_drop" in bound:
        base = _find(rows, bound["metric"], REFERENCE, erase_set)
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
        return _claim(
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
        return _claim(
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
    return _claim("capacity", CAPACITY_CLAIM, CAPACITY_SOURCE, definition, text, verdict, **details)


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
            why.append(f"forget {_interval(step['forget'])}")
        why += [
            f"{q['metric']} {_num(q['value'])}"
            + (f" (drop {_num(q['drop'])})" if q.get("drop") is not None else "")
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
        return _claim(
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
        return _claim(
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
            return _claim(
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
    return _claim("capacity-ratio", RATIO_CLAIM, RATIO_SOURCE, definition, text, verdict, **details)


# -- edit time ------------------------------------------------------------------------------
EDIT_TIME_CLAIM = (
    "ScaPre completes the unlearning of 50 concepts in only 120 seconds (while Figure 3 of the"
    " same paper shows about 1.5 GPU-hours)"
)
EDIT_TIME_SOURCE = f"{PAPER}: abstract and Sec. 5.5 (120 s); Figure 3 (~1.5 GPU-hours)"


def edit_seconds(record: dict[str, Any]) -> float | None:
    """The timed edit alone: the eraser call (text features + solve), never model loading,
    image generation or scoring."""
    timings = record.get("timings_s") or {}
    value = timings.get("wall_s", timings.get("total_s"))
    return None if value is None else float(value)


def hardware_name(hardware: dict[str, Any]) -> str:
    device = str(hardware.get("device", "unknown"))
    if hardware.get("gpu"):
        return f"{hardware['gpu']} ({device})"
    threads = f", {hardware['cpu_threads']} CPU threads" if hardware.get("cpu_threads") else ""
    return f"{device}{threads}"


def edit_time_claim(
    edits: list[dict[str, Any]], manifest: dict[str, Any], spec: dict[str, Any] | None
) -> Claim:
    if not spec:
        return _claim(
            "edit-time",
            EDIT_TIME_CLAIM,
            EDIT_TIME_SOURCE,
            "not defined: the suite declares no claims.edit_time parameters",
            "none",
            "not checkable",
            reason="the suite declares no claims.edit_time parameters",
        )
    method, k = spec["method"], spec["concepts"]
    reported_s = spec["reported_seconds"]
    hours = spec.get("reported_gpu_hours")
    paper_hw = spec.get("reported_hardware") or "a GPU"
    definition = (
        f"wall time of the eraser call of '{method}' on {k} concepts (edits/*/edit.json"
        f" timings_s.wall_s: text features and solve; no loading, generation or scoring), on a"
        f" GPU as the paper ({paper_hw}); supported when <= {reported_s:g} s"
    )
    if hours is not None:
        definition += f"; also compared with Figure 3's {hours:g} GPU-hours"
    hardware = (manifest.get("provenance") or {}).get("hardware") or {}
    hw = hardware_name(hardware)
    mine = sorted(
        (e for e in edits if e.get("method") == method and edit_seconds(e) is not None),
        key=lambda e: (len(e.get("concepts", [])), e.get("edit_id", "")),
    )
    timed = [
        {"edit_id": e.get("edit_id"), "concepts": len(e["concepts"]), "seconds": edit_seconds(e)}
        for e in mine
    ]
    details: dict[str, Any] = {
        "hardware": hardware,
        "reported_seconds": reported_s,
        "reported_gpu_hours": hours,
        "reported_hardware": paper_hw,
        "edits": timed,
    }
    exact = [t for t in timed if t["concepts"] == k]
    if not exact:
        largest = max(timed, key=lambda t: t["concepts"], default=None)
        text = f"no edit of {k} concepts"
        if largest:
            text += (
                f"; largest: {largest['concepts']} concept(s) in {largest['seconds']:.3f} s on {hw}"
            )
        details["reason"] = f"the run has no edit of {k} concepts by '{method}'"
        return _claim(
            "edit-time",
            EDIT_TIME_CLAIM,
            EDIT_TIME_SOURCE,
            definition,
            text,
            "not checkable",
            **details,
        )
    seconds = max(t["seconds"] for t in exact)  # the slowest of equal-size edits
    details.update(seconds=seconds, ratio_to_reported=seconds / reported_s if reported_s else None)
    text = f"{seconds:.2f} s for {k} concepts on {hw} (paper: {reported_s:g} s"
    if hours is not None:
        details["ratio_to_gpu_hours"] = seconds / (hours * GPU_HOUR_S) if hours else None
        text += f"; Figure 3: {hours:g} GPU-h = {hours * GPU_HOUR_S:g} s"
    text += ")"
    if not str(hardware.get("device", "")).startswith("cuda"):
        details["reason"] = f"measured on {hw}, not on a GPU like the paper's {paper_hw}"
        verdict = "not checkable"
    else:
        verdict = "supported" if seconds <= reported_s else "not supported"
    return _claim(
        "edit-time", EDIT_TIME_CLAIM, EDIT_TIME_SOURCE, definition, text, verdict, **details
    )


# -- reproduction ---------------------------------------------------------------------------
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
            _claim(
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
            compare_reported(e, _find(rows, e["metric"], e["method"], erase_set, e["concept"]))
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
            _claim(
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
        return _claim(
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
        entry, _find(rows, head["metric"], head["method"], erase_set, head.get("concept"))
    )
    if comp["inside"] is None:
        text = comp.get("reason", "not measured")
        if comp["measured"] is not None:
            text = f"measured {_num(comp['measured'])} {entry['unit']} ({text})"
        return _claim(
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
        f"measured {_num(comp['measured'])} [{_num(comp['ci_low'])}, {_num(comp['ci_high'])}]"
        f" {entry['unit']} (n={comp['n']}) vs reported {entry['value']:g}; difference"
        f" {comp['difference']:+.2f}"
    )
    verdict = "supported" if comp["inside"] else "not supported"
    return _claim("headline", claim, entry["source"], definition, text, verdict, comparison=comp)
