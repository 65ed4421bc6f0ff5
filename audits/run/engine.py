"""The audit engine: check the request, then erase -> generate -> score -> aggregate, each stage
skipping what is already done, so rerunning a killed command continues where it stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audits.run.manifest import check_out_dir, check_resume, run_identity
from audits.run.plan import RunPlan, plan_run, select_methods
from audits.run.provenance import model_fingerprint, model_source, provenance, results_header
from audits.run.selection import check_options, selected
from audits.suites import Suite, load_suite, suite_hash
from audits.suites.paths import model_location
from runfmt.layout import RunDir

Say = Callable[[str], None]


@dataclass
class RunRequest:
    """What `scapre-audit run` was asked (see its --help); batch_size and device never change
    results, everything else is part of the run's identity."""

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
    cache: Path | None = None
    steps: int | None = None  # denoising steps instead of the suite's
    size: int | None = None  # square image size in pixels instead of the suite's
    stages: str = "all"  # or "weights": the weight-space audit alone (audits.weights.stage)

    def overrides(self) -> dict[str, int]:
        """The generation settings this request overrides (part of the run's identity)."""
        return {k: v for k, v in (("steps", self.steps), ("size", self.size)) if v is not None}


@dataclass
class RunSummary:
    """Where the run is, what this invocation computed (counts) and the results."""

    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    results: dict[str, Any] | None = None


def default_out(suite: Suite, profile: str) -> Path:
    return Path("runs") / f"{suite.name}-{profile}"


def run_suite(req: RunRequest, say: Say = print) -> RunSummary:
    """The whole audit for one request (see `scapre-audit run --help`)."""
    if req.stages != "all":
        from audits.weights.stage import STAGES, run_weights

        if req.stages not in STAGES:
            from audits.errors import AuditError

            raise AuditError(f"--stages must be one of {', '.join(STAGES)} (got {req.stages!r})")
        return run_weights(req, say)
    from audits.run.generate_stage import sampling_dtype
    from audits.run.manifest import write_manifest
    from runfmt.atomic import write_json

    check_options(req)
    from dataclasses import replace

    from audits.run.ranks import Ranks

    ranks = Ranks.from_env()
    req = replace(req, device=ranks.device(req.device))
    suite = load_suite(req.suite)
    profile_name = suite.profile(req.profile).name
    methods = [
        m.name for m in select_methods(suite, suite.profile(profile_name).methods, req.methods)
    ]
    scorers, metrics, not_computed = selected(suite, profile_name, req.skip_unavailable)
    out = Path(req.out) if req.out else default_out(suite, profile_name)
    old = check_out_dir(out)
    suite_model = suite.profile(profile_name).model
    assert suite_model is not None
    model_id = req.model or suite_model.id
    model_path = model_location(model_id, suite.root)  # a local folder, found from any cwd
    revision = None if req.model or Path(model_path).exists() else suite_model.revision
    from audits.run.preflight import preflight_items, require

    require(preflight_items(req, suite, profile_name, scorers))  # before anything heavy loads
    partial = run_identity(
        suite.name,
        suite_hash(suite),
        profile_name,
        methods,
        req.limit,
        {},
        req.micro_batch,
        req.overrides(),
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
    pipe, ref = load_pipeline(model_path, revision=revision, device=req.device, dtype=dtype)
    ref = replace(ref, model=model_id)  # records name the model as the suite or --model did
    check_family(pipe, suite_model.family, model_id, say)
    model = model_fingerprint(pipe, ref)
    identity = run_identity(
        suite.name,
        suite_hash(suite),
        profile_name,
        methods,
        req.limit,
        model,
        req.micro_batch,
        req.overrides(),
    )
    run = RunDir(out)
    if old:
        check_resume(old["identity"], identity, out)
    from audits.run.selection import selected_attacks

    attacks = selected_attacks(suite, profile_name, not_computed)
    plan = plan_run(
        suite,
        profile_name,
        methods,
        req.limit,
        model,
        dtype,
        req.micro_batch,
        attacks,
        req.overrides(),
    )
    # evaluators are loaded before any work, so a missing checkpoint stops the run at once
    built = build_scorers(suite, scorers, req.device, req.batch_size)
    if ranks.main and not old:  # the manifest first: from then on the directory is resumable
        out.mkdir(parents=True, exist_ok=True)
        methods_used = {
            e.method: {"kind": e.kind, "version": e.version, "config": e.config} for e in plan.edits
        }
        source = {"model_source": model_source(suite, model_id, pipe, model_path)}
        write_manifest(run, identity, provenance(suite, req) | {"methods": methods_used} | source)
    if ranks.main and not run.plan.is_file():  # the plan follows from the identity
        write_json(run.plan, plan.to_json())
    ranks.barrier()
    counts = run_stages(run, plan, suite, pipe, req, built, metrics, not_computed, say, ranks)
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return RunSummary(out, counts, _read_results(run))


def check_family(pipe, declared: str, model_id: str, say: Say) -> str:
    """Refuse a pipeline of no supported family (one line naming what was found); say so when
    it is not the family the suite or profile declares (a `--model` of another family)."""
    from audits.models.families import detect
    from audits.registry import MODEL_FAMILIES

    found = detect(pipe)
    expected = MODEL_FAMILIES.get(declared).structure
    if found != expected:
        say(f"note: {model_id} is a {found} pipeline; the suite declares family {declared}")
    return found


def run_stages(
    run, plan, suite, pipe, req, built, metrics, not_computed, say, ranks
) -> dict[str, int]:
    """Stages 1-4; with several ranks each takes every world-th unit, then waits for the rest."""
    from audits.run.erase_stage import run_erase
    from audits.run.generate_stage import run_generate
    from audits.run.image_cache import ImageCache

    mine = [e for i, e in enumerate(plan.edits) if ranks.mine(i)]
    counts = {"edits": run_erase(run, mine, pipe, req.device, say)}
    ranks.barrier()
    cache = ImageCache(req.cache) if req.cache else None
    counts["images"] = run_generate(run, plan, pipe, req.batch_size, say, cache, ranks)
    if plan.attacks:
        from audits.run.attack_stage import render_attacks, run_attacks

        ranks.barrier()
        counts["attack_units"] = run_attacks(run, plan, pipe, req.device, suite.root, say, ranks)
        ranks.barrier()
        counts["attack_images"] = render_attacks(run, plan, pipe, req.batch_size, say, ranks)
    del pipe
    ranks.barrier()
    counts.update(
        score_and_aggregate(run, plan, suite, req, built, metrics, not_computed, say, ranks=ranks)
    )
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
    ranks=None,
) -> dict[str, int]:
    """Stages 3 and 4 with the evaluators already built (`build_scorers`); rank 0 aggregates."""
    from audits.run.aggregate_stage import aggregate
    from audits.run.attack_score import attack_scorers, run_attack_score
    from audits.run.ranks import Ranks
    from audits.run.score_stage import run_score, scorer_probes

    ranks = ranks or Ranks()
    probes_by_scorer = scorer_probes(suite, metrics, list(built))
    attack_scoring = attack_scorers(suite, metrics) if plan.attacks else []
    for name in attack_scoring:  # the attacks' plain source prompts, for the plain rate
        sources = {p for u in plan.attacks for p in u.probes if p in plan.probes}
        probes_by_scorer.setdefault(name, [])
        probes_by_scorer[name] += sorted(sources - set(probes_by_scorer[name]))
    scored = run_score(run, plan, suite, built, probes_by_scorer, force, say, ranks)
    scored += run_attack_score(run, plan, suite, built, attack_scoring, force, say, ranks)
    ranks.barrier()
    if ranks.main:
        header = results_header(run, suite)
        results = aggregate(run, plan, suite, metrics, header, not_computed)
        say(f"results: {len(results['metrics'])} value(s) -> {run.results}")
        from audits.claims import write_claims

        write_claims(run.root)  # after aggregate: claims.json reads only the run directory
        from reports.build import build_report

        say(f"report: {build_report([run.root]) / 'index.html'}")
    ranks.barrier()
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


def _read_results(run: RunDir) -> dict[str, Any] | None:
    from runfmt.atomic import read_json

    return read_json(run.results)
