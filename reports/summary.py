"""What a run found, in words: one sentence per method and erase set, derived from the numbers.

The numbers stay the source of truth; every word here follows from a value, its 95% interval
and the unedited model's value on the same inputs, by the rules below (tested):

- forgetting (the run's forget metric, e.g. `forget_acc`): "removed" when the method's interval
  lies entirely below the unedited model's and its value is at most `REMOVED_MAX`; "reduced"
  when the interval lies below but the value is higher; otherwise "did not remove" (the
  intervals overlap: the difference is within noise).
- neighbours (the run's preservation metric, e.g. `neighbor_acc`): "damaged" when the method's
  interval lies entirely below the unedited model's, else "kept" (within noise).
- attacks: for a concept the method removed, an attack "brought it back" when its success rate
  (counted only where the unedited model draws the concept) has a lower bound above 0 or a
  value of at least one half; otherwise "brought nothing back".
- within noise: for each pair of erasing methods on the same erase set, the metrics whose two
  intervals overlap (a conservative check: overlapping 95% intervals do not show a difference).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from reports.tables import display_number, erase_sets, is_aggregate, is_attack, is_fraction
from runfmt import Run

REMOVED_MAX = 0.10  # a forget value at most this (and below the unedited interval) is "removed"
FORGET_KINDS = ("forget_acc",)
KEEP_KINDS = ("neighbor_acc", "retain_acc")


@dataclass
class Summary:
    """`sentences`: one per method and erase set; `noise`: the pairs within noise."""

    sentences: list[str] = field(default_factory=list)
    noise: list[str] = field(default_factory=list)
    method_of: list[tuple[str, str]] = field(default_factory=list)  # (method, erase set)

    def lines(self) -> list[str]:
        out = list(self.sentences)
        if self.noise:
            out.append("Within noise (95% intervals overlap): " + "; ".join(self.noise) + ".")
        return out


def _value(row: dict[str, Any]) -> str:
    """`12.5% [3.1, 40.0]` for a share, `0.12 [0.10, 0.13]` otherwise."""
    frac = is_fraction(row.get("kind"))
    unit = "%" if frac else ""
    text = display_number(row.get("value"), frac) + unit
    if row.get("ci_low") is not None and row.get("ci_high") is not None:
        lo, hi = display_number(row["ci_low"], frac), display_number(row["ci_high"], frac)
        text += f" [{lo}, {hi}]"
    return text


def _below(row: dict[str, Any], ref: dict[str, Any]) -> bool:
    """The row's interval lies entirely below the reference's (no interval: the values)."""
    hi = row.get("ci_high") if row.get("ci_high") is not None else row.get("value")
    lo = ref.get("ci_low") if ref.get("ci_low") is not None else ref.get("value")
    return hi is not None and lo is not None and hi < lo


def overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two rows' 95% intervals overlap (rows without an interval never count as overlapping)."""
    if any(r.get(k) is None for r in (a, b) for k in ("ci_low", "ci_high")):
        return False
    return a["ci_low"] <= b["ci_high"] and b["ci_low"] <= a["ci_high"]


def _pick(rows: list[dict[str, Any]], kinds: tuple[str, ...]) -> str | None:
    """The metric name of the first aggregate row of one of `kinds` (its own kind name first)."""
    names = [r["metric"] for r in rows if r.get("kind") in kinds]
    for kind in kinds:
        if kind in names:
            return kind
    return names[0] if names else None


def _concepts(run: Run, erase_set: str) -> list[str]:
    for g in run.plan.get("groups", []):
        if g.get("erase_set") == erase_set:
            return [str(c) for c in g.get("concepts", [])]
    return []


def _names(concepts: list[str]) -> str:
    if len(concepts) <= 3:
        return " and ".join(concepts) if len(concepts) < 3 else ", ".join(concepts)
    return f"{len(concepts)} concepts"


def summarize(run: Run) -> Summary:
    """The run's findings in words (empty when it has no forget metric or no unedited row)."""
    ref_name = run.reference
    agg = [m for m in run.metrics if is_aggregate(m) and not is_attack(m)]
    forget, keep = _pick(agg, FORGET_KINDS), _pick(agg, KEEP_KINDS)
    out = Summary()
    if forget is None:
        return out
    for es in erase_sets(run):
        rows = [m for m in agg if m.get("erase_set") == es and m.get("value") is not None]
        by = {(m["method"], m["metric"]): m for m in rows}
        ref_forget = by.get((ref_name, forget))
        if ref_forget is None:
            continue
        ref_keep = by.get((ref_name, keep)) if keep else None
        concepts = _concepts(run, es)
        what = _names(concepts)
        methods = [m for m in dict.fromkeys(r["method"] for r in rows) if m != ref_name]
        for method in methods:
            f = by.get((method, forget))
            if f is None:
                continue
            out.method_of.append((method, es))
            out.sentences.append(
                _sentence(run, method, es, what, f, ref_forget, by.get((method, keep)), ref_keep)
            )
        out.noise += _within_noise(methods, es, by, [forget] + ([keep] if keep else []))
    return out


def _sentence(run, method, es, what, f, ref_f, k, ref_k) -> str:
    one = len(_concepts(run, es)) == 1
    removed = _below(f, ref_f)
    if removed and f["value"] <= REMOVED_MAX:
        verb = "removed"
    elif removed:
        verb = "reduced (did not remove)"
    else:
        verb = "did not remove"
    text = (
        f"{method} on {es} {verb} {what}: {f['metric']} {_value(f)} against {_value(ref_f)}"
        " unedited"
    )
    if not removed:
        text += " (within noise)"
    if k is not None and ref_k is not None:
        if _below(k, ref_k):
            drop = 100 * (ref_k["value"] - k["value"]) if is_fraction(k.get("kind")) else None
            points = f", {drop:.1f} points lost" if drop is not None else ""
            text += (
                f"; it damaged the neighbours: {k['metric']} {_value(k)} against"
                f" {_value(ref_k)} unedited{points}"
            )
        else:
            text += (
                f"; it kept the neighbours: {k['metric']} {_value(k)} against {_value(ref_k)}"
                " unedited (within noise)"
            )
    attacks = [
        m
        for m in run.metrics
        if is_attack(m)
        and m.get("concept") is None
        and m.get("method") == method
        and m.get("erase_set") == es
        and m.get("value") is not None
    ]
    for name, rows in _by_attack(attacks).items():
        for row in rows:
            label = f"{name} ({row['metric'].split(':')[0]})" if len(rows) > 1 else name
            if not removed:
                text += f"; {label}: {_value(row)} (nothing was removed to bring back)"
            elif (row.get("ci_low") or 0) > 0 or row["value"] >= 0.5:
                text += (
                    f"; the attack {label} brought {what} back in {_value(row)} of the images"
                    " where the unedited model draws {it}".replace("{it}", "it" if one else "them")
                )
            else:
                text += f"; the attack {label} brought nothing back ({_value(row)})"
    return text + "."


def _by_attack(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each attack's rows, without repeats: two metrics scored on the same attack images with
    the same result (e.g. a suite's attack_success_rate and a quick variant of it) say one
    thing; rows that differ are all kept and then named by their metric."""
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        name = str((row.get("attack") or {}).get("name", "attack"))
        same = (row["value"], row.get("ci_low"), row.get("ci_high"), row.get("n"))
        kept = out.setdefault(name, [])
        if all((r["value"], r.get("ci_low"), r.get("ci_high"), r.get("n")) != same for r in kept):
            kept.append(row)
    return out


def _within_noise(methods, es, by, metrics) -> list[str]:
    out = []
    for metric in metrics:
        for i, a in enumerate(methods):
            for b in methods[i + 1 :]:
                ra, rb = by.get((a, metric)), by.get((b, metric))
                if ra is not None and rb is not None and overlap(ra, rb):
                    out.append(f"{metric} of {a} and {b} on {es}")
    return out
