"""The audit engine: check the request, then erase -> generate -> score -> aggregate, each stage
skipping what is already done, so rerunning a killed command continues where it stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audits.errors import AuditError
from audits.registry import NotImplementedEntryError
from audits.run.manifest import check_out_dir, check_resume, git_commit, run_identity
from audits.run.plan import REFERENCE, RunPlan, plan_run, select_methods
from audits.run.rundir import RunDir
from audits.suites import Suite, load_suite, suite_hash

Say = Callable[[str], None]


@dataclass
class RunRequest:
    suite: str
    out: Path | None = None
    profile: str | None = None
    model: str | None = None
    methods: list[str] | None = None
    batch_size: int = 4
    device: str = "cpu"
    limit: int | None = None
    skip_unavailable: bool = False
    micro_batch: int = 8


@dataclass
class RunSummary:
    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    results: dict[str, Any] | None = None


def check_options(req: RunRequest) -> None:
    if req.limit is not None and req.limit < 1:
        raise AuditError(f"--limit must be at least 1 (got {req.limit})")
    if req.micro_batch < 1:
        raise AuditError(f"--micro-batch must be at least 1 (got {req.micro_batch})")
    if req.batch_size < 1:
        raise AuditError(f"--batch-size must be at least 1 (got {req.batch_size})")
    if req.device.startswith("cuda"):
        import torch

        if not torch.cuda.is_available():
            raise AuditError(f"--device {req.device} asked for, but CUDA is not available here")
    elif req.device != "cpu":
        raise AuditError(f"--device must be cpu, cuda or cuda:N (got {req.device!r})")


def selected(
    suite: Suite, profile_name: str, skip: bool
) -> tuple[list[str], list[str], list[dict]]:
    """(scorers, metrics, not computed) of a profile: every implementation is loaded now, so an
    unimplemented one is refused before any work (or, with `skip`, listed with its reason)."""
    from audits.registry import METRICS, SCORERS

    profile = suite.profile(profile_name)
    missing: dict[str, str] = {}
    for name in profile.scorers:
        try:
            SCORERS.get(suite.scorers[name].kind)
        except NotImplementedEntryError as err:
            missing[f"scorer {name}"] = str(err)
    metrics, skipped = [], []
    for name in profile.metrics:
        spec = suite.metrics[name]
        try:
            METRICS.get(spec.kind)
        except NotImplementedEntryError as err:
            skipped.append({"metric": name, "reason": str(err)})
            continue
        parts = getattr(METRICS.get(spec.kind), "parts", ())
        if parts:
            names = [spec.params.get(key) for key in parts]
            absent = [n for n in names if n not in metrics]
            if absent:
                reason = f"needs metric(s) {', '.join(map(str, absent))}, not computed here"
                skipped.append({"metric": name, "reason": reason})
            else:
                metrics.append(name)
            continue
        if f"scorer {spec.scorer}" in missing:
            skipped.append({"metric": name, "reason": missing[f"scorer {spec.scorer}"]})
            continue
        metrics.append(name)
    for name in profile.attacks:
        skipped.append({"attack": name, "reason": "attacks are not run in this version"})
    if skipped and not skip:
        first = next(iter(skipped))
        what = f"metric {first['metric']}" if "metric" in first else f"attack {first['attack']}"
        raise AuditError(
            f"{what} cannot be computed ({first['reason']}); {len(skipped)} item(s) in profile"
            f" '{profile.name}' are unavailable: run with --skip-unavailable to leave them out"
            " (they are listed in results.json)"
        )
    used = {suite.metrics[m].scorer for m in metrics if suite.metrics[m].scorer}
    scorers = [s for s in profile.scorers if s in used]
    return scorers, metrics, skipped


def default_out(suite: Suite, profile: str) -> Path:
    return Path("runs") / f"{suite.name}-{profile}"


def resolved_revision(pipe) -> str | None:
    """The hub commit a pipeline was loaded from (its cache snapshot folder), if any."""
    import re

    source = str(getattr(pipe.config, "_name_or_path", "") or "")
    match = re.search(r"snapshots[/\\]([0-9a-f]{40})", source)
    return match.group(1) if match else None


def model_fingerprint(pipe, ref) -> dict[str, Any]:
    from audits.models.loading import module_sha256

    return {
        "id": ref.model,
        "revision": ref.revision,
        "resolved_revision": resolved_revision(pipe),
        "weights_sha256": {
            "unet": module_sha256(pipe.unet),
            "text_encoder": module_sha256(pipe.text_encoder),
            "vae": module_sha256(pipe.vae),
        },
        "pipeline_class": type(pipe).__name__,
    }


def provenance(suite: Suite, req: RunRequest) -> dict[str, Any]:
    from audits.erase_cmd import hardware, package_versions

    return {
        "suite_path": str(suite.root),
        "suite_version": suite.version,
        "packages": package_versions() | _more_versions(),
        "git": git_commit(),
        "hardware": hardware(req.device),
        "batch_size": req.batch_size,
    }


def _more_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("open_clip_torch", "torchmetrics", "pillow"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def run_suite(req: RunRequest, say: Say = print) -> RunSummary:
    """The whole audit for one request (see `scapre-audit run --help`)."""
    from audits.run.atomic import write_json
    from audits.run.generate_stage import sampling_dtype
    from audits.run.manifest import write_manifest

    check_options(req)
    suite = load_suite(req.suite)
    profile_name = suite.profile(req.profile).name
    methods = [
        m.name for m in select_methods(suite, suite.profile(profile_name).methods, req.methods)
    ]
    scorers, metrics, not_computed = selected(suite, profile_name, req.skip_unavailable)
    out = Path(req.out) if req.out else default_out(suite, profile_name)
    old = check_out_dir(out)
    assert suite.model is not None
    model_id = req.model or suite.model.id
    revision = None if req.model or Path(model_id).expanduser().exists() else suite.model.revision
    partial = run_identity(
        suite.name, suite_hash(suite), profile_name, methods, req.limit, {}, req.micro_batch
    )
    if old:
        check_resume(
            {k: v for k, v in old["identity"].items() if k != "model"},
            {k: v for k, v in partial.items() if k != "model"},
            out,
        )
        if old["identity"]["model"].get("id") != model_id:
            check_resume({"model": old["identity"]["model"]}, {"model": {"id": model_id}}, out)

    from audits.models.loading import load_pipeline

    started = time.perf_counter()
    precision = suite.profile(profile_name).generation.precision
    dtype = sampling_dtype(precision, req.device)
    pipe, ref = load_pipeline(model_id, revision=revision, device=req.device, dtype=dtype)
    model = model_fingerprint(pipe, ref)
    identity = run_identity(
        suite.name, suite_hash(suite), profile_name, methods, req.limit, model, req.micro_batch
    )
    run = RunDir(out)
    if old:
        check_resume(old["identity"], identity, out)
    plan = plan_run(suite, profile_name, methods, req.limit, model, dtype, req.micro_batch)
    # evaluators are loaded before any work, so a missing checkpoint stops the run at once
    built = build_scorers(suite, scorers, req.device, req.batch_size)
    if not old:  # the manifest first: a directory with one is resumable from then on
        out.mkdir(parents=True, exist_ok=True)
        methods_used = {
            e.method: {"kind": e.kind, "version": e.version, "config": e.config} for e in plan.edits
        }
        write_manifest(run, identity, provenance(suite, req) | {"methods": methods_used})
    if not run.plan.is_file():  # the plan follows from the identity, so it can be rewritten
        write_json(run.plan, plan.to_json())
    counts = run_stages(run, plan, suite, pipe, req, built, metrics, not_computed, say)
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return RunSummary(out, counts, _read_results(run))


def run_stages(run, plan, suite, pipe, req, built, metrics, not_computed, say) -> dict[str, int]:
    from audits.run.erase_stage import run_erase
    from audits.run.generate_stage import run_generate

    counts = {"edits": run_erase(run, plan.edits, pipe, req.device, say)}
    counts["images"] = run_generate(run, plan, pipe, req.batch_size, say)
    del pipe
    counts.update(score_and_aggregate(run, plan, suite, req, built, metrics, not_computed, say))
    return counts


def score_and_aggregate(
    run: RunDir,
    plan: RunPlan,
    suite: Suite,
    req: RunRequest,
    built: dict[str, Any],
    metrics: list[str],
    not_computed: list[dict[str, str]],
    say: Say,
    force: bool = False,
) -> dict[str, int]:
    """Stages 3 and 4 with the evaluators already built (`build_scorers`)."""
    from audits.run.aggregate_stage import aggregate
    from audits.run.score_stage import run_score, scorer_probes

    probes_by_scorer = scorer_probes(suite, metrics, list(built))
    scored = run_score(run, plan, suite, built, probes_by_scorer, force, say)
    header = results_header(run, suite)
    results = aggregate(run, plan, suite, metrics, header, not_computed)
    say(f"results: {len(results['metrics'])} value(s) -> {run.results}")
    return {"scores": scored}


def build_scorers(suite: Suite, names: list[str], device: str, batch_size: int) -> dict[str, Any]:
    from audits.registry import SCORERS
    from audits.scorers.base import ScorerContext

    assert suite.concepts is not None
    ctx = ScorerContext(
        concepts=suite.concepts.names(),
        concept_label_columns={c.name: dict(c.labels) for c in suite.concepts.concepts},
        suite_root=suite.root,
        device=device,
        batch_size=batch_size,
    )
    return {n: SCORERS.get(suite.scorers[n].kind).from_spec(suite.scorers[n], ctx) for n in names}


def results_header(run: RunDir, suite: Suite) -> dict[str, Any]:
    from audits.run.atomic import read_json

    manifest = read_json(run.manifest) or {}
    ident = manifest.get("identity", {})
    plan = read_json(run.plan) or {}
    profile = suite.profile(ident.get("profile"))
    return {
        "suite": {
            "name": suite.name,
            "version": suite.version,
            "hash": ident.get("suite_hash"),
            "profile": profile.name,
            "profile_kind": profile.kind,
            "cites": profile.cites,
        },
        "identity_recipe": ident.get("identity_recipe"),
        "model": ident.get("model"),
        "methods": {
            e["method"]: {"kind": e["kind"], "version": e["version"], "config": e["config"]}
            for e in plan.get("edits", [])
        },
        "limit": ident.get("limit"),
        "git": (manifest.get("provenance") or {}).get("git"),
        "safety_checker": False,
        "reference_method": REFERENCE,
    }


def _read_results(run: RunDir) -> dict[str, Any] | None:
    from audits.run.atomic import read_json

    return read_json(run.results)
