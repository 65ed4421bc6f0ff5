"""Build a report folder from one or more run directories.

The folder is self-contained (images copied in, relative links, no network) and replaced
atomically: everything is rendered into a temporary folder next to `out`, which then takes
its place, so a failed render never destroys a previous report.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reports import exports
from reports.compare import group_by_suite, suite_warnings
from reports.evaluators import weights_status, weights_warnings
from reports.glossary import TERMS, glossary
from reports.images import ImageStore
from reports.render import TEMPLATES, render
from reports.sheets import build_sheets, concept_probes
from reports.summary import summarize
from reports.svg import line_chart, tradeoff_chart
from reports.tables import (
    attack_tables,
    breakdown_tables,
    concept_table,
    edit_timings,
    footnotes,
    methods,
    overview_tables,
    scaling_series,
    tradeoff_points,
)
from reports.weights import NOTE as WEIGHTS_NOTE
from reports.weights import weight_tables
from runfmt import AuditError, Run, read_run
from runfmt.staging import clean_leftovers, staging_dir
from runfmt.subset import subset_flags, subset_text

MARKER = "report.json"  # written in every report folder; only such a folder is ever replaced
REPORT_SCHEMA = "scapre-audit/report/1"
CONCEPTS_PER_PAGE = 50


def _provenance(run: Run) -> dict[str, Any]:
    results, prov = run.results, run.manifest.provenance
    model = results.get("model") or {}
    return {
        "suite": {
            "name": "",
            "version": "",
            "hash": "",
            "profile": "",
            "profile_kind": "",
            "cites": "",
            **run.suite,
        },
        "model": {
            "id": model.get("id"),
            "revision": model.get("revision"),
            "resolved_revision": model.get("resolved_revision"),
            "pipeline_class": model.get("pipeline_class"),
            **_revision(run),
        },
        "weights": model.get("weights_sha256") or {},
        "generation": _generation(results),
        "subset": subset_text(*_subset(results)),
        "rerun_flags": " ".join(
            subset_flags(*_subset(results))
            + [f"--{k} {v}" for k, v in (results.get("generation_overrides") or {}).items()]
        ),
        "git": {"commit": None, "dirty": False, **(results.get("git") or prov.get("git") or {})},
        "created": prov.get("created", "n/a"),
        "hardware": ", ".join(f"{k}={v}" for k, v in (prov.get("hardware") or {}).items()),
        "packages": prov.get("packages") or {},
        "identity_recipe": results.get("identity_recipe", ""),
        "methods": results.get("methods") or {},
        "evaluators": results.get("evaluators") or {},
        "evaluator_weights": weights_status(results.get("evaluators") or {}),
        "prompt_sets": results.get("prompt_sets") or {},
    }


def _revision(run: Run) -> dict[str, Any]:
    """The pinned revision and what was loaded, in words (older runs record only `revision`)."""
    model = run.results.get("model") or {}
    source = run.results.get("model_source") or {}
    pinned = source.get("pinned_revision") or model.get("revision")
    resolved = source.get("resolved_revision") or model.get("resolved_revision")
    how = source.get("resolved_how") or ("hub snapshot commit" if resolved else "")
    if resolved:
        text = f"resolved {resolved} ({how})"
        if source.get("matches") is True:
            text += ": matches the pin"
        elif source.get("matches") is False:
            text += ": DIFFERS from the pin"
    else:
        text = f"not resolved ({how})" if how else "not resolved (not recorded by this run)"
    return {"pinned": pinned or "none (the suite pins no revision)", "resolved_text": text}


def _subset(results: dict[str, Any]) -> tuple:
    return results.get("limit"), results.get("seeds_per_prompt"), results.get("attack_budget")


def _generation(results: dict[str, Any]) -> str:
    """The sampler settings, each one overridden on the command line (--steps, --size) marked
    with the suite's own value."""
    over = results.get("generation_overrides") or {}
    suite = (results.get("suite") or {}).get("generation") or {}
    flags = {"steps": "steps", "height": "size", "width": "size"}
    parts = []
    for key, value in (results.get("generation") or {}).items():
        text = f"{key}={value}"
        if flags.get(key) in over and key in suite:
            text += f" (--{flags[key]}; the suite's: {suite[key]})"
        parts.append(text)
    return ", ".join(parts)


def _claims(run: Run) -> list[dict[str, Any]]:
    out = []
    for claim in run.claims or []:
        out.append(
            {
                "id": claim.id,
                "claim": claim.claim,
                "source": claim.source,
                "definition": claim.definition,
                "measurement": claim.measurement,
                "verdict": claim.verdict,
                "badge": re.sub(r"[^a-z]+", "-", claim.verdict.lower()).strip("-"),
                "details": claim.details,
            }
        )
    return out


def claims_profiles(run: Run) -> list[str]:
    """The suite's profiles that run the capacity claim's sweep with its method (read from
    results.json: `suite.claims` and `suite.profiles`)."""
    spec = ((run.suite.get("claims") or {}).get("capacity")) or {}
    sweep, method = spec.get("erase_sets"), spec.get("method")
    out = []
    for name, profile in (run.suite.get("profiles") or {}).items():
        sets = [str(s).partition("@")[0] for s in profile.get("erase_sets") or []]
        methods = profile.get("methods") or []
        if sweep in sets and (not methods or method in methods):
            out.append(str(name))
    return out


def _claims_view(run: Run, claims: list[dict[str, Any]]) -> dict[str, Any]:
    """Decided claims as rows; the not-checkable ones collapsed into one line with reasons."""
    decided = [c for c in claims if c["verdict"] != "not checkable"]
    open_ = [c for c in claims if c["verdict"] == "not checkable"]
    reasons = [
        f"{c['id']} ({(c['details'] or {}).get('reason') or c['measurement']})" for c in open_
    ]
    profiles = [p for p in claims_profiles(run) if p != run.suite.get("profile")]
    return {
        "decided": decided,
        "open": open_,
        "open_line": "; ".join(reasons),
        "profiles": profiles,
        "all_open": bool(claims) and not decided,
    }


def _write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


def render_run(
    run: Run,
    dest: Path,
    up: str = "",
    warnings: Sequence[str] = (),
    previous: Path | None = None,
) -> dict[str, int]:
    """Write one run's report into `dest`; returns page name -> size in bytes.

    `up` is the relative link to a parent comparison page (empty for a single-run report);
    `previous` is this run's earlier report folder, whose thumbnails are reused."""
    sizes: dict[str, int] = {}
    shutil.copyfile(TEMPLATES / "style.css", dest / "style.css")
    suite = run.suite
    title = f"{suite.get('name', 'run')} / {suite.get('profile', '')}: concept erasure audit"
    nav = [
        ("Overview", "index.html"),
        ("Concepts", "concepts.html"),
        ("Provenance", "index.html#provenance"),
    ]
    if up:
        nav.insert(0, ("All runs", up))
    common = {
        "root": "",
        "nav": nav,
        "warnings": [*warnings, *weights_warnings(run.results.get("evaluators") or {})],
    }

    probes_of = concept_probes(run)
    names = list(probes_of)
    names += [m.concept for m in run.metrics if m.concept and m.concept not in probes_of]
    names = list(dict.fromkeys(str(n) for n in names))
    href = {name: f"concept-{i:04d}.html" for i, name in enumerate(names, start=1)}

    store = ImageStore(run, dest, previous)
    for name in names:
        sheets = build_sheets(run, name, probes_of.get(name, []), store)
        page = render(
            "concept.html",
            title=f"Concept: {name}",
            table=concept_table(run, name),
            sheets=sheets,
            **common,
        )
        sizes[href[name]] = _write(dest / href[name], page)
    store.finish()

    pages = [
        (str(i + 1), "concepts.html" if i == 0 else f"concepts-{i + 1}.html")
        for i in range(max(1, -(-len(names) // CONCEPTS_PER_PAGE)))
    ]
    for i, (_, page_name) in enumerate(pages):
        chunk = names[i * CONCEPTS_PER_PAGE : (i + 1) * CONCEPTS_PER_PAGE]
        items = [
            {
                "name": n,
                "href": href[n],
                "probes": ", ".join(p["probe"] for p in probes_of.get(n, [])),
                "n_cases": sum(len(p["cases"]) for p in probes_of.get(n, [])),
            }
            for n in chunk
        ]
        page = render(
            "concepts.html", title="Concepts", page=i + 1, pages=pages, items=items, **common
        )
        sizes[page_name] = _write(dest / page_name, page)

    by_purpose: dict[str, list[tuple[str, str]]] = {}
    for name in names:
        for p in probes_of.get(name, []):
            by_purpose.setdefault(p["purpose"], []).append((name, href[name]))
    order = {"target": 0, "neighbor": 1, "adversarial": 2}
    by_purpose = dict(sorted(by_purpose.items(), key=lambda kv: order.get(kv[0], 3)))
    charts = [
        line_chart(series, f"{metric} {col.arrow}", f"{metric} ({col.unit or 'value'})")
        for metric, (col, series) in scaling_series(run).items()
    ]
    found = tradeoff_points(run)
    tradeoff = None
    if found and found[2]:
        forget, keep, points = found
        tradeoff = tradeoff_chart(points, f"forgetting = 100 - {forget} (%)", f"{keep} (%)")
    paper = exports.paper_table(run)
    tables_dir = dest / "tables"
    tables_dir.mkdir(exist_ok=True)
    _write(tables_dir / "paper.md", exports.to_markdown(paper))
    _write(tables_dir / "paper.tex", exports.to_latex(paper))
    _write(tables_dir / "paper.csv", exports.to_csv(paper))
    not_computed = [
        {"name": str(i.get("metric") or i.get("attack") or ""), "reason": str(i.get("reason", ""))}
        for i in run.not_computed
    ]
    page = render(
        "index.html",
        title=title,
        p=_provenance(run),
        reference=run.reference,
        method_names=methods(run),
        not_computed=not_computed,
        claims=_claims(run),
        claims_view=_claims_view(run, _claims(run)),
        summary=summarize(run),
        glossary=glossary(run),
        terms=TERMS,
        tradeoff=tradeoff,
        overview=overview_tables(run),
        substitutions=footnotes(run.metrics),
        n_concepts=len(names),
        concepts_href="concepts.html",
        by_purpose=list(by_purpose.items()),
        breakdowns=breakdown_tables(run),
        attacks=attack_tables(run),
        weights=weight_tables(run),
        weights_note=WEIGHTS_NOTE,
        charts=charts,
        timings=edit_timings(run),
        paper=paper,
        **common,
    )
    sizes["index.html"] = _write(dest / "index.html", page)
    return sizes


def _label(run: Run, used: set[str]) -> str:
    base = re.sub(r"[^A-Za-z0-9._-]+", "-", run.root.resolve().name).strip(".-") or "run"
    label, i = base, 2
    while label in used:
        label, i = f"{base}-{i}", i + 1
    used.add(label)
    return label


# every name a report writes at its top level; a folder holding anything else is not ours
_REPORT_ENTRY = re.compile(
    r"^(index\.html|style\.css|report\.json|concepts(-\d+)?\.html|concept-\d+\.html"
    r"|tables|img|runs)$"
)


def _check_out(out: Path, runs: Sequence[Run] = ()) -> None:
    """Only an empty folder or a folder this tool provably wrote may be replaced: its marker
    parses and carries the report schema, and every entry in it is a name a report writes.
    A folder that holds one of the runs being reported is never replaced."""
    if out.is_symlink() or (out.exists() and not out.is_dir()):
        raise AuditError(f"refusing to write the report to {out}: it is not a folder")
    target = out.resolve()
    for run in runs:
        if run.root.resolve().is_relative_to(target):
            raise AuditError(f"refusing to write the report to {out}: it holds the run {run.root}")
    if not out.is_dir() or not any(out.iterdir()):
        return
    try:
        marker = json.loads((out / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        marker = None
    if not isinstance(marker, dict) or marker.get("schema") != REPORT_SCHEMA:
        raise AuditError(
            f"refusing to replace {out}: it is not empty and not a scapre-audit report"
            f" (no {MARKER} with schema {REPORT_SCHEMA})"
        )
    foreign = sorted(p.name for p in out.iterdir() if not _REPORT_ENTRY.match(p.name))
    if foreign:
        raise AuditError(
            f"refusing to replace {out}: it holds {foreign[0]!r}, which no report writes"
        )


def build_report(run_dirs: Sequence[Path | str], out: Path | str | None = None) -> Path:
    """Render the report of one run (default `<RUN>/report`) or compare several (`out` needed).

    Returns the report folder. Warnings (runs of different suites) go to stderr and onto the
    page; errors are AuditError with one line and leave any previous report untouched."""
    if not run_dirs:
        raise AuditError("give at least one run directory")
    runs = [read_run(path) for path in run_dirs]
    if out is None:
        if len(runs) > 1:
            raise AuditError("several runs need --out (the folder for the comparison report)")
        out = runs[0].root / "report"
    out = Path(out)
    _check_out(out, runs)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_staging(out)
    tmp = staging_dir(out.parent, out.name)
    os.chmod(tmp, 0o755)  # mkdtemp makes it private; a report is meant to be served
    try:
        sizes: dict[str, int] = {}
        if len(runs) == 1:
            warnings: list[str] = []
            sizes = render_run(runs[0], tmp, previous=_previous(out))
            labels = [runs[0].root.resolve().name]
        else:
            used: set[str] = set()
            labelled = [(_label(run, used), run) for run in runs]
            labels = [label for label, _ in labelled]
            groups = group_by_suite(labelled)
            warnings = suite_warnings(groups)
            for label, run in labelled:
                sub = tmp / "runs" / label
                sub.mkdir(parents=True)
                old = _previous(out, f"runs/{label}")
                for name, size in render_run(run, sub, "../../index.html", warnings, old).items():
                    sizes[f"runs/{label}/{name}"] = size
            shutil.copyfile(TEMPLATES / "style.css", tmp / "style.css")
            summary = [
                {
                    "label": label,
                    "suite": run.suite.get("name", ""),
                    "version": run.suite.get("version", ""),
                    "profile": run.suite.get("profile", ""),
                    "hash": run.suite_hash,
                    "model": (run.results.get("model") or {}).get("id", ""),
                    "href": f"runs/{label}/index.html",
                }
                for label, run in labelled
            ]
            page = render(
                "compare.html",
                title="Comparison of runs",
                root="",
                nav=[("Comparison", "index.html")],
                warnings=warnings,
                runs=summary,
                groups=groups,
            )
            sizes["index.html"] = _write(tmp / "index.html", page)
        for warning in warnings:
            print(f"WARNING: {warning}", file=sys.stderr)
        marker = {
            "schema": REPORT_SCHEMA,
            "runs": labels,
            "suite_hashes": [run.suite_hash for run in runs],
            "largest_page_bytes": max(sizes.values()),
            "pages": len(sizes),
        }
        _write(tmp / MARKER, json.dumps(marker, indent=1) + "\n")
        _check_out(out, runs)  # again: the folder may have changed while the report rendered
        _replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _clean_staging(out: Path) -> None:
    """Remove the staging folders that killed report builds left beside `out`."""
    clean_leftovers(out.parent, recursive=False)


def _previous(out: Path, sub: str = "") -> Path | None:
    """The earlier report at `out` (or its part `sub`), whose thumbnails can be reused."""
    folder = out / sub if sub else out
    usable = folder.is_dir() and not folder.is_symlink()
    return folder if (out / MARKER).is_file() and usable else None


def _replace(tmp: Path, out: Path) -> None:
    """Put `tmp` at `out`; the old report is moved aside first and removed only after."""
    old = None
    if out.exists():
        old = staging_dir(out.parent, out.name, "old")
        os.replace(out, old / "report")
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
