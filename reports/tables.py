"""Turn metric rows into the tables a reader compares: methods x metrics, with direction and best.

Shares (forget_acc, neighbor_acc, ...) are stored as fractions and shown as percent, so a
table reads like the papers; the header says which unit a column is in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from runfmt import Run
from runfmt.units import unit_of

BREAKDOWN_KEYS = ("family", "group", "label")
# a number made with something other than what the suite declares (results rows' `substitutions`)
MARKS = {"prompts": "\u2020", "evaluator": "\u2021"}  # dagger: prompt set; double: evaluator
MARK_MEANING = {
    "prompts": "prompts from the probe's bundled fallback, not its declared dataset",
    "evaluator": "the evaluator's declared fallback, not the declared evaluator",
}


def substitution_text(sub: dict[str, Any]) -> str:
    """One substitution in words: `coco: everyday.csv instead of phiyodr/coco2017 (offline)`."""
    reason = f" ({sub['reason']})" if sub.get("reason") else ""
    return f"{sub.get('part')}: {sub.get('used')} instead of {sub.get('declared')}{reason}"


def marks_of(row: dict[str, Any]) -> str:
    """The footnote marks of a results row's substitutions (empty when there are none)."""
    kinds = {s.get("kind") for s in row.get("substitutions") or []}
    return "".join(mark for kind, mark in MARKS.items() if kind in kinds)


def footnotes(rows: list[dict[str, Any]]) -> list[str]:
    """One line per substitution kind present, with every distinct substitution of that kind."""
    seen: dict[str, dict[str, None]] = {}
    for row in rows:
        for sub in row.get("substitutions") or []:
            seen.setdefault(str(sub.get("kind")), {})[substitution_text(sub)] = None
    return [
        f"{MARKS[kind]} {MARK_MEANING[kind]}: {'; '.join(seen[kind])}."
        for kind in MARKS
        if kind in seen
    ]


def is_fraction(kind: str | None) -> bool:
    return unit_of(kind) == "fraction"


def display_number(value: float | None, fraction: bool) -> str:
    """A value as the tables print it: percent with one decimal for shares, else 3 significant."""
    if value is None:
        return "n/a"
    if fraction:
        return f"{100 * value:.1f}"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"


@dataclass
class Cell:
    """One metric value with what the reader needs to trust it (shown on hover)."""

    row: dict[str, Any]
    fraction: bool
    best: bool = False

    @property
    def value(self) -> float | None:
        return self.row.get("value")

    @property
    def text(self) -> str:
        return display_number(self.value, self.fraction)

    @property
    def marks(self) -> str:
        return marks_of(self.row)

    @property
    def interval(self) -> str:
        lo, hi = self.row.get("ci_low"), self.row.get("ci_high")
        if lo is None or hi is None:
            return ""
        return f"[{display_number(lo, self.fraction)}, {display_number(hi, self.fraction)}]"

    @property
    def title(self) -> str:
        """The hover text: n, exclusions with reasons, interval method, evaluator."""
        row = self.row
        parts = [f"n = {row.get('n')}", f"excluded = {row.get('n_excluded', 0)}"]
        for reason, count in (row.get("exclusions") or {}).items():
            parts.append(f"  {count}: {reason}")
        ci = row.get("ci") or {}
        if ci and row.get("ci_low") is not None:
            parts.append(f"{ci.get('level', 0.95):.0%} interval: {ci.get('method', '')}")
        elif row.get("ci_low") is None:
            parts.append("no interval (set statistic or too few prompts)")
        parts.append(f"definition: {row.get('definition_version', row.get('kind', ''))}")
        if row.get("scorer"):
            parts.append(f"scorer: {row['scorer']}")
        parts.append(f"probe: {row.get('probe', '')}; edit: {row.get('edit_id', '')}")
        for sub in row.get("substitutions") or []:
            parts.append(f"{MARKS.get(sub.get('kind'), '*')} substituted: {substitution_text(sub)}")
        for key, value in (row.get("extra") or {}).items():
            if isinstance(value, (int, float, str)) or value is None:
                parts.append(f"{key} = {value}")  # e.g. an attack's base_rate, a part's n
        return "\n".join(parts)


@dataclass
class Column:
    metric: str
    kind: str
    higher_is_better: bool | None
    key: str = ""  # breakdown label (family/group/label value) or concept

    @property
    def arrow(self) -> str:
        if self.higher_is_better is None:
            return ""
        return "\u2191" if self.higher_is_better else "\u2193"

    @property
    def unit(self) -> str:
        return "%" if is_fraction(self.kind) else ""


@dataclass
class Row:
    label: str
    cells: list[Cell | None]
    reference: bool = False


@dataclass
class Table:
    """Rows (labels) x columns of cells; the best cell per column among erasing methods marked."""

    title: str
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)

    def add(self, label: str, cells: list[Cell | None], reference: bool = False) -> None:
        self.rows.append(Row(label, cells, reference))

    def mark_best(self) -> None:
        """Mark the best value of each column; the unedited reference never counts as best."""
        for j, col in enumerate(self.columns):
            if col.higher_is_better is None:
                continue
            cells = [r.cells[j] for r in self.rows if not r.reference and r.cells[j] is not None]
            values = [c.value for c in cells if c is not None and c.value is not None]
            if len(values) < 2:
                continue
            best = max(values) if col.higher_is_better else min(values)
            for c in cells:
                if c is not None and c.value == best:
                    c.best = True


def _ordered(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))


def erase_sets(run: Run) -> list[str]:
    return _ordered([g.erase_set for g in run.plan.groups])


def methods(run: Run) -> list[str]:
    """Methods in plan order, the reference first."""
    names = _ordered([g.method for g in run.plan.groups])
    names += [m.method for m in run.metrics if m.method not in names]
    names = _ordered(names)
    return sorted(names, key=lambda m: m != run.reference)


def is_aggregate(row: dict[str, Any]) -> bool:
    return row.get("concept") is None and all(row.get(k) is None for k in BREAKDOWN_KEYS)


def is_attack(row: dict[str, Any]) -> bool:
    """A row of one attack (`attack_success_rate/2`): shown in the attacks table, not the
    overview, where one column per attack would crowd out the metrics."""
    return bool(row.get("attack"))


def breakdown_key(row: dict[str, Any]) -> tuple[str, str] | None:
    for key in BREAKDOWN_KEYS:
        if row.get(key) is not None:
            return key, str(row[key])
    return None


def column_of(row: dict[str, Any], key: str = "") -> Column:
    return Column(row["metric"], str(row.get("kind", "")), row.get("higher_is_better"), key)


def overview_tables(run: Run) -> list[Table]:
    """One methods x metrics table per erase set, aggregate rows only."""
    tables = []
    for es in erase_sets(run):
        rows = [
            m
            for m in run.metrics
            if m.get("erase_set") == es
            and is_aggregate(m)
            and not is_attack(m)
            and m.get("space") != "weights"  # the weight-space section (reports.weights)
        ]
        columns = list({r["metric"]: column_of(r) for r in rows}.values())
        table = Table(f"erase set {es}", columns)
        for method in methods(run):
            by_metric = {r["metric"]: r for r in rows if r["method"] == method}
            if not by_metric:
                continue
            cells = [
                Cell(by_metric[c.metric], is_fraction(c.kind)) if c.metric in by_metric else None
                for c in columns
            ]
            table.add(method, cells, method == run.reference)
        table.mark_best()
        tables.append(table)
    return tables


def attack_tables(run: Run) -> list[Table]:
    """Per erase set, (method, and the unedited model on that method's attack inputs) x attack:
    the base-gated success rate, with the base model's own rate on the same inputs beside it."""
    tables = []
    for es in erase_sets(run):
        rows = [m for m in run.metrics if m.get("erase_set") == es and is_attack(m)]
        rows = [m for m in rows if m.get("concept") is None]
        if not rows:
            continue
        attacks = _ordered([r["attack"]["name"] for r in rows])
        tiers = {r["attack"]["name"]: r["attack"].get("tier") for r in rows}
        first = rows[0]
        columns = [
            Column(
                first["metric"],
                str(first.get("kind", "")),
                first.get("higher_is_better"),
                f"{name} (tier {tiers[name]})",
            )
            for name in attacks
        ]
        table = Table(f"attack success, erase set {es}", columns)
        for method in methods(run):
            mine = {r["attack"]["name"]: r for r in rows if r["method"] == method}
            if not mine:
                continue
            table.add(method, [Cell(mine[a], True) if a in mine else None for a in attacks])
            base = [Cell(_base_row(mine[a]), True) if a in mine else None for a in attacks]
            table.add(f"on {method}'s inputs", base, reference=True)  # shown "(unedited)"
        table.mark_best()
        tables.append(table)
    return tables


def _base_row(row: dict[str, Any]) -> dict[str, Any]:
    """The unedited model's rate on an attack row's inputs, as a row a Cell can show."""
    extra = row.get("extra") or {}
    return {
        "value": extra.get("base_rate"),
        "n": extra.get("base_n"),
        "n_excluded": 0,
        "definition_version": "share of the unedited model's images of the attack inputs "
        "that show the concept (extra.base_rate, no gate)",
        "probe": row.get("probe", ""),
        "edit_id": "the unedited model",
    }


def breakdown_tables(run: Run) -> list[Table]:
    """Per metric and erase set, methods x breakdown (attack family, concept group, label)."""
    found: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for row in run.metrics:
        bk = breakdown_key(row)
        if bk and row.get("concept") is None:
            found.setdefault((row["metric"], row.get("erase_set", ""), bk[0]), []).append(row)
    tables = []
    for (metric, es, key), rows in found.items():
        labels = _ordered([str(r[key]) for r in rows])
        first = rows[0]
        columns = [column_of(first, label) for label in labels]
        table = Table(f"{metric} by {key}, erase set {es}", columns)
        for method in methods(run):
            mine = {str(r[key]): r for r in rows if r["method"] == method}
            if mine:
                cells = [
                    Cell(mine[label], is_fraction(first.get("kind"))) if label in mine else None
                    for label in labels
                ]
                table.add(method, cells, method == run.reference)
        table.mark_best()
        tables.append(table)
    return tables


def concept_table(run: Run, concept: str) -> Table | None:
    """(method @ erase set) x metric for one concept's breakdown rows."""
    rows = [m for m in run.metrics if m.get("concept") == concept]
    if not rows:
        return None
    columns = list({r["metric"]: column_of(r) for r in rows}.values())
    table = Table(f"metrics for {concept}", columns)
    for method in methods(run):
        for es in erase_sets(run):
            mine = {
                r["metric"]: r for r in rows if r["method"] == method and r.get("erase_set") == es
            }
            if mine:
                cells = [
                    Cell(mine[c.metric], is_fraction(c.kind)) if c.metric in mine else None
                    for c in columns
                ]
                table.add(f"{method} @ {es}", cells, method == run.reference)
    table.mark_best()
    return table


@dataclass
class Series:
    """One method's metric value against the number of erased concepts."""

    method: str
    points: list[tuple[int, float, float | None, float | None]]  # size, value, lo, hi


def scaling_series(run: Run) -> dict[str, tuple[Column, list[Series]]]:
    """metric -> (column, per-method series over erase_set_size); only metrics with >1 size."""
    out: dict[str, tuple[Column, list[Series]]] = {}
    agg = [m for m in run.metrics if is_aggregate(m) and m.get("erase_set_size") is not None]
    for metric in _ordered([m["metric"] for m in agg]):
        rows = [m for m in agg if m["metric"] == metric and m.get("value") is not None]
        if len({r["erase_set_size"] for r in rows}) < 2:
            continue
        frac = is_fraction(rows[0].get("kind"))
        scale = 100.0 if frac else 1.0
        series = []
        for method in methods(run):
            pts = {}
            for r in rows:
                if r["method"] == method:
                    lo, hi = r.get("ci_low"), r.get("ci_high")
                    pts.setdefault(
                        int(r["erase_set_size"]),
                        (
                            int(r["erase_set_size"]),
                            r["value"] * scale,
                            None if lo is None else lo * scale,
                            None if hi is None else hi * scale,
                        ),
                    )
            if pts:
                series.append(Series(method, sorted(pts.values())))
        out[metric] = (column_of(rows[0]), series)
    return out


def edit_timings(run: Run) -> list[dict[str, Any]]:
    """Per edit: method, erase sets it serves, number of concepts, wall time in seconds."""
    sets: dict[str, list[str]] = {}
    for g in run.plan.groups:
        sets.setdefault(g.edit_id, []).append(g.erase_set)
    out = []
    for edit in run.plan.edits:
        record = run.edits.get(edit.edit_id)
        timings = dict(record.timings_s) if record else {}
        out.append(
            {
                "method": edit.method,
                "edit_id": edit.edit_id,
                "erase_sets": ", ".join(_ordered(sets.get(edit.edit_id, []))),
                "n_concepts": len(edit.concepts),
                "wall_s": timings.get("wall_s"),
                "n_matrices": record.n_matrices if record else None,
                "timings": timings,
            }
        )
    return out


@dataclass
class TradeoffPoint:
    """One method on one erase set: forgetting (100 - forget, %) and preservation (%)."""

    method: str
    erase_set: str
    x: float
    y: float
    x_lo: float | None
    x_hi: float | None
    y_lo: float | None
    y_hi: float | None
    reference: bool

    @property
    def label(self) -> str:
        return f"{self.method} @ {self.erase_set}"

    @property
    def short(self) -> str:
        return f"unedited @ {self.erase_set}" if self.reference else self.label


def tradeoff_points(run: Run) -> tuple[str, str, list[TradeoffPoint]] | None:
    """(forget metric, keep metric, points) when the run has a forget metric and a neighbour or
    retain metric, both shares; None otherwise."""
    agg = [m for m in run.metrics if is_aggregate(m) and not is_attack(m)]
    forget = next((m["metric"] for m in agg if m.get("kind") == "forget_acc"), None)
    keep = next((m["metric"] for m in agg if m.get("kind") in ("neighbor_acc", "retain_acc")), None)
    if forget is None or keep is None:
        return None
    points = []
    for es in erase_sets(run):
        for method in methods(run):
            f = next(
                (
                    m
                    for m in agg
                    if (m["metric"], m["method"], m.get("erase_set")) == (forget, method, es)
                ),
                None,
            )
            k = next(
                (
                    m
                    for m in agg
                    if (m["metric"], m["method"], m.get("erase_set")) == (keep, method, es)
                ),
                None,
            )
            if f is None or k is None or f.get("value") is None or k.get("value") is None:
                continue

            def pct(v):
                return None if v is None else 100.0 * v

            x_lo = None if f.get("ci_high") is None else 100.0 - pct(f["ci_high"])
            x_hi = None if f.get("ci_low") is None else 100.0 - pct(f["ci_low"])
            points.append(
                TradeoffPoint(
                    method,
                    es,
                    100.0 - pct(f["value"]),
                    pct(k["value"]),
                    x_lo,
                    x_hi,
                    pct(k.get("ci_low")),
                    pct(k.get("ci_high")),
                    method == run.reference,
                )
            )
    return forget, keep, points
