"""Paper-style tables (Markdown, LaTeX, CSV) in the layout of the ScaPre paper's tables.

Layouts for a paper profile, chosen from the metric kinds present:
- per-class (Table 1, Imagenette): forget accuracy per class, Avg, CLIP, UQ;
- confuse (Table 4): Unlearn / Preserve / Overall accuracy (+ CLIP, UQ);
- style (Table 2, artists): CLIP_art, CLIP_coco, CLIP_x, FID;
- otherwise (and always for a clean profile) every aggregate metric, one column each, with
  one row per method and erase set.
Our shares are fractions; the tables print percent and say so in the header. When the suite is
a paper profile and results.json carries `reported` values, they get their own labelled rows so
a reader never mistakes the paper's number for ours.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from reports.tables import erase_sets, footnotes, is_aggregate, is_fraction, marks_of, methods
from runfmt import Run
from runfmt.subset import subset_text
from runfmt.units import PERCENT_KINDS


@dataclass
class PaperColumn:
    label: str
    metric: str
    kind: str
    concept: str | None = None

    @property
    def percent(self) -> bool:
        return is_fraction(self.kind) or self.kind in PERCENT_KINDS

    @property
    def header(self) -> str:
        return f"{self.label} (%)" if self.percent else self.label


@dataclass
class PaperTable:
    title: str
    layout: str
    columns: list[PaperColumn]
    rows: list[tuple[str, list[float | None]]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    subset: str = ""  # --limit / --seeds / --attack-budget in words, when the run used any
    # (row index, column index) -> footnote marks of a substituted value (reports.tables.MARKS)
    marks: dict[tuple[int, int], str] = field(default_factory=dict)

    def cell_marks(self, i: int) -> list[str]:
        return [self.marks.get((i, j), "") for j in range(len(self.columns))]


def _guess_kind(name: str) -> str:
    """The kind of a metric known only by name (not computed here, or only reported)."""
    low = name.lower()
    for needle, kind in (
        ("uq", "uq"),
        ("fid", "fid_vs_base"),
        ("clip_x", "clip_gap"),
        ("overall", "overall_acc"),
        ("preserve", "retain_acc"),
        ("unlearn", "forget_acc"),
        ("forget", "forget_acc"),
        ("neighbor", "neighbor_acc"),
        ("clip", "clip_score"),
    ):
        if needle in low:
            return kind
    return ""


def _metric_kinds(run: Run) -> dict[str, str]:
    kinds = {m["metric"]: str(m.get("kind", "")) for m in run.metrics}
    for item in run.results.get("not_computed") or []:
        name = item.get("metric") if isinstance(item, dict) else None
        if name and name not in kinds:
            kinds[name] = _guess_kind(name)
    for item in reported_values(run):
        kinds.setdefault(item["metric"], _guess_kind(item["metric"]))
    return kinds


def reported_values(run: Run) -> list[dict[str, Any]]:
    """The paper's own numbers, only for a paper profile (never mixed into a clean one)."""
    if run.suite.get("profile_kind") != "paper":
        return []
    out = []
    for item in run.results.get("reported") or []:
        if isinstance(item, dict) and {"metric", "method", "value", "source"} <= item.keys():
            out.append(item)
    return out


Pick = Callable[[str, str], bool]


def _pick(kinds: dict[str, str], test: Pick) -> str | None:
    return next((name for name, kind in kinds.items() if test(name, kind)), None)


def _columns(run: Run, kinds: dict[str, str]) -> tuple[str, list[PaperColumn]]:
    present = set(kinds.values()) if run.suite.get("profile_kind") == "paper" else set()

    def slots(spec: list[tuple[str, Pick]]) -> list[PaperColumn]:
        cols = []
        for label, test in spec:
            name = _pick(kinds, test)
            if name:
                cols.append(PaperColumn(label, name, kinds[name]))
        return cols

    if "overall_acc" in present:
        return "confuse", slots(
            [
                ("Unlearn Acc", lambda n, k: k == "forget_acc"),
                ("Preserve Acc", lambda n, k: k in ("retain_acc", "neighbor_acc")),
                ("Overall Acc", lambda n, k: k == "overall_acc"),
                ("CLIP", lambda n, k: k == "clip_score"),
                ("UQ", lambda n, k: k == "uq"),
            ]
        )
    if "clip_gap" in present:
        return "style", slots(
            [
                ("CLIP_art", lambda n, k: k == "clip_score" and "coco" not in n),
                ("CLIP_coco", lambda n, k: k == "clip_score" and "coco" in n),
                ("CLIP_x", lambda n, k: k == "clip_gap"),
                ("FID", lambda n, k: k in ("fid", "fid_vs_base")),
            ]
        )
    forget = _pick(kinds, lambda n, k: k == "forget_acc")
    per_class = [
        m["concept"] for m in run.metrics if m["metric"] == forget and m.get("concept") is not None
    ]
    if forget and per_class and present:
        cols = [PaperColumn(c, forget, "forget_acc", c) for c in dict.fromkeys(per_class)]
        cols.append(PaperColumn("Avg", forget, "forget_acc"))
        return "per-class", cols + slots(
            [("CLIP", lambda n, k: k == "clip_score"), ("UQ", lambda n, k: k == "uq")]
        )
    names = list(dict.fromkeys(m["metric"] for m in run.metrics if is_aggregate(m)))
    return "metrics", [PaperColumn(n, n, kinds[n]) for n in names]


def paper_table(run: Run) -> PaperTable:
    """The run's results (first erase set for a paper layout, all for others) as a paper table."""
    kinds = _metric_kinds(run)
    layout, columns = _columns(run, kinds)
    suite = run.suite
    title = f"{suite.get('name', '')} / {suite.get('profile', '')}"
    table = PaperTable(title, layout, columns)
    sets = erase_sets(run)
    shown = sets[:1] if layout != "metrics" else sets
    for es in shown:
        for method in methods(run):
            chosen = {
                (m["metric"], m.get("concept")): m
                for m in run.metrics
                if m["method"] == method
                and m.get("erase_set") == es
                and all(m.get(k) is None for k in ("family", "group", "label"))
            }
            if not chosen:
                continue
            row = []
            for j, col in enumerate(columns):
                source = chosen.get((col.metric, col.concept))
                value = source["value"] if source else None
                if value is not None and is_fraction(col.kind):
                    value = 100 * value
                row.append(value)
                if source and value is not None and marks_of(source):
                    table.marks[(len(table.rows), j)] = marks_of(source)
            label = method if len(shown) == 1 else f"{method} @ {es}"
            table.rows.append((label, row))
    reported = reported_values(run)
    sources: dict[tuple[str, str], dict[tuple[str, str | None], float]] = {}
    for item in reported:
        value = float(item["value"])
        kind = kinds.get(item["metric"], "")
        if item.get("unit") == "fraction" and (is_fraction(kind) or kind in PERCENT_KINDS):
            value *= 100
        key = (str(item["method"]), str(item["source"]))
        sources.setdefault(key, {})[(item["metric"], item.get("concept"))] = value
    for (method, source), values in sources.items():
        row = [values.get((c.metric, c.concept)) for c in columns]
        table.rows.append((f"{method}, reported ({source})", row))
    not_computed = [
        c.header for c in columns if not any(m["metric"] == c.metric for m in run.metrics)
    ]
    table.notes.append(
        f"Measured by scapre-audit: suite {suite.get('name', '')} {suite.get('version', '')}, "
        f"profile {suite.get('profile', '')}, suite hash {run.suite_hash[:16]}"
        + (f", erase set {shown[0]}" if len(shown) == 1 else "")
        + ". Shares are in percent; intervals are in the HTML report."
    )
    if not_computed:
        table.notes.append("Not computed in this run: " + ", ".join(not_computed) + ".")
    caps = [run.results.get(k) for k in ("limit", "seeds_per_prompt", "attack_budget")]
    if any(caps):  # a subset run's numbers must never pass for the full protocol's
        table.subset = f"Prompts and seeds: {subset_text(*caps)}."
        table.notes.append(table.subset)
    table.notes += footnotes(run.metrics)
    if reported:
        table.notes.append(
            "Rows marked 'reported' are the paper's published numbers, not measured here."
        )
    return table


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _md_escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for ch in "|<>*_`[]#":
        out = out.replace(ch, "\\" + ch)
    return "".join(" " if _is_control(ch) else ch for ch in out)


def to_markdown(table: PaperTable) -> str:
    head = ["Method"] + [c.header for c in table.columns]
    lines = [f"**{_md_escape(table.title)}**", ""]
    lines.append("| " + " | ".join(_md_escape(h) for h in head) + " |")
    lines.append("|" + "---|" * len(head))
    for i, (label, values) in enumerate(table.rows):
        marks = table.cell_marks(i)
        cells = [_md_escape(label)] + [_fmt(v) + m for v, m in zip(values, marks, strict=True)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines += [_md_escape(n) for n in table.notes]
    return "\n".join(lines) + "\n"


_LATEX = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
}


def latex_escape(text: str) -> str:
    """Text safe in a LaTeX cell or `%` comment: specials escaped, control characters (a line
    break would end a comment and let the rest run as LaTeX) become spaces."""
    return "".join(_LATEX.get(ch, " " if _is_control(ch) else ch) for ch in text)


def _is_control(ch: str) -> bool:
    return ord(ch) < 32 or 127 <= ord(ch) < 160


def to_latex(table: PaperTable) -> str:
    head = ["Method"] + [c.header for c in table.columns]
    lines = [
        "% generated by scapre-audit report",
        "\\begin{table}[t]",
        "\\centering",
        f"\\caption{{{latex_escape(table.title)}}}",
        "\\begin{tabular}{l" + "r" * len(table.columns) + "}",
        "\\hline",
        " & ".join(latex_escape(h) for h in head) + " \\\\",
        "\\hline",
    ]
    for i, (label, values) in enumerate(table.rows):
        cells = [
            _fmt(v) + (f"$^{{{_latex_marks(m)}}}$" if m else "")
            for v, m in zip(values, table.cell_marks(i), strict=True)
        ]
        lines.append(" & ".join([latex_escape(label), *cells]) + " \\\\")
    lines += ["\\hline", "\\end{tabular}"]
    lines += [f"% {latex_escape(n)}" for n in table.notes]
    lines.append("\\end{table}")
    return "\n".join(lines) + "\n"


def _latex_marks(marks: str) -> str:
    return marks.replace("\u2020", "\\dagger").replace("\u2021", "\\ddagger")


_FORMULA = ("=", "+", "-", "@", "\t", "\r", "\n")
_QUOTE = ('"', ",", "\r", "\n", "\t")


def csv_text(text: str) -> str:
    """A label a spreadsheet will not run as a formula: a cell starting (after any spaces) with
    = + - @ TAB CR or LF gets a leading apostrophe."""
    return "'" + text if text.lstrip(" ")[:1] in _FORMULA else text


def csv_field(text: str) -> str:
    """One CSV field: quoted (quotes doubled) when it holds a quote, comma, CR, LF or TAB, so no
    character of it can end a row or a cell."""
    if any(ch in text for ch in _QUOTE):
        return '"' + text.replace('"', '""') + '"'
    return text


def footnotes_of(table: PaperTable) -> list[str]:
    """The table's substitution footnotes (the notes that start with a mark)."""
    return [n for n in table.notes if n[:1] in "\u2020\u2021"]


def to_csv(table: PaperTable) -> str:
    marked = bool(table.marks)
    head = ["method"] + [csv_text(c.header) for c in table.columns]
    rows = [head + (["substituted"] if marked else [])]
    for i, (label, values) in enumerate(table.rows):
        cells = [csv_text(label)] + ["" if v is None else f"{v:.6g}" for v in values]
        if marked:  # numbers stay numbers; which of them are substitutions, in words
            marks = table.cell_marks(i)
            cells.append(
                "; ".join(f"{c.header} {m}" for c, m in zip(table.columns, marks, strict=True) if m)
            )
        rows.append(cells)
    if marked:
        for note in footnotes_of(table):
            rows.append([csv_text(note)])
    if table.subset:
        rows.append([csv_text(table.subset)])
    return "".join(",".join(csv_field(cell) for cell in row) + "\n" for row in rows)
