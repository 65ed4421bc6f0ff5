"""The audit engine: check the request, then erase -> generate -> score -> aggregate, each stage
skipping what is already done, so rerunning a killed command continues where it stopped."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from audits.errors import AuditError
from audits.run.manifest import check_out_dir, check_resume, run_identity
from audits.run.model import choose_model, load_model
from audits.run.plan import RunPlan, plan_run, select_methods
from audits.run.provenance import model_source, provenance, results_header
from audits.run.selection import check_options, selected
from audits.suites import Suite, load_suite, suite_hash
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
    limit: int | None = None  # the first N prompts of each probe
    seeds: int | None = None  # the first N seeds of each prompt
    attack_budget: int | None = None  # at most N evaluations per searching attack unit
    skip_unavailable: bool = False
    micro_batch: int = 8
    cache: Path | None = None
    steps: int | None = None  # denoising steps instead of the suite's
    size: int | None = None  # square image size in pixels instead of the suite's
    stages: str = "all"  # or "weights": the weight-space audit alone (audits.weights.stage)
    weights_dir: Path | None = None  # evaluator weights (else $SCAPRE_AUDIT_WEIGHTS)

    def overrides(self) -> dict[str, int]:
        """The generation settings this request overrides (part of the run's identity)."""
        return {k: v for k, v in (("steps", self.steps), ("size", self.size)) if v is not None}


@dataclass
class RunSummary:
    """Where the run is, what this invocation computed (counts) and the results."""

    out: Path
    counts: dict[str, int] = field(default_factory=dict)
    results: dict[str, Any] | None = None


def default_out(suite: Suite, profile: str, stages: str = "all") -> Path:
    name = f"{suite.name}-{profile}" + ("-weights" if stages == "weights" else "")
    return Path("runs") / name


def run_suite(req: RunRequest, say: Say = print) -> RunSummary:
    """The whole audit for one request (see `scapre-audit run --help`).

    Everything that can be checked without the model is checked first; then the run folder is
    locked (one writer at a time, and the proof that it is writable), and only then does the
    model load."""
    from contextlib import nullcontext

    from audits.run.lock import run_lock
    from audits.run.ranks import Ranks

    check_options(req)
    ranks = Ranks.from_env()
    req = replace(req, device=ranks.device(req.device))
    suite = load_suite(req.suite)
    if suite.abstract:
        raise AuditError(f"suite {suite.name} is abstract (a base for `extends:`); run a suite")
    profile_name = suite.profile(req.profile).name
    out = Path(req.out) if req.out else default_out(suite, profile_name, req.stages)
    check_out_dir(out)  # a foreign folder is refused before anything is created in it
    created = not out.exists()
    with run_lock(out) if ranks.main else nullcontext():
        try:
            if req.stages == "weights":
                from audits.weights.stage import run_weights

                return run_weights(req, suite, profile_name, out, say)
            return _run_locked(req, suite, profile_name, out, ranks, say)
        except BaseException:
            if created and ranks.main:  # still under the lock: nobody else is in the folder
                _remove_if_only_lock(out)
            raise


def _remove_if_only_lock(out: Path) -> None:
    """Undo the folder a failed run created before it wrote anything of the run."""
    from audits.run.lock import LOCK_NAME

    try:
        if [p.name for p in out.iterdir()] == [LOCK_NAME]:
            (out / LOCK_NAME).unlink()
            out.rmdir()
    except OSError:
        pass


def _run_locked(req, suite, profile_name, out, ranks, say) -> RunSummary:
    from audits.models.sampling import sampling_dtype
    from audits.run.generate_stage import numerics
    from audits.run.manifest import write_manifest
    from runfmt.atomic import clean_leftovers, write_json

    methods = [
        m.name for m in select_methods(suite, suite.profile(profile_name).methods, req.methods)
    ]
    scorers, metrics, not_computed = selected(suite, profile_name, req.skip_unavailable)
    old = check_out_dir(out)  # read again under the lock: no other writer can change it now
    if ranks.main:
        clean_leftovers(out)  # what killed writers left (temporary files, staging folders)
        if req.cache:
            clean_leftovers(Path(req.cache))
    choice = choose_model(req, suite, profile_name)
    precision = suite.profile(profile_name).generation.precision
    dtype = sampling_dtype(precision, req.device)
    bytes_from = numerics(req.device)
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
        bytes_from,
        req.seeds,
        req.attack_budget,
    )
    if old:
        check_resume(
            {k: v for k, v in old["identity"].items() if k != "model"},
            {k: v for k, v in partial.items() if k != "model"},
            out,
        )
        if old["identity"]["model"].get("id") != choice.id:
            check_resume({"model": old["identity"]["model"]}, {"model": {"id": choice.id}}, out)

    # evaluators are loaded before the model, so a missing checkpoint or a label set that
    # cannot label the suite's concepts stops the run before any work
    built = build_scorers(suite, scorers, req.device, req.batch_size, req.weights_dir)
    check_labels(suite, profile_name, metrics, built, req.limit, req.seeds)
    started = time.perf_counter()
    pipe, model = load_model(choice, req.device, dtype, say)
    identity = run_identity(
        suite.name,
        suite_hash(suite),
        profile_name,
        methods,
        req.limit,
        model,
        req.micro_batch,
        req.overrides(),
        bytes_from,
        req.seeds,
        req.attack_budget,
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
        numerics=bytes_from,
        seeds=req.seeds,
        attack_budget=req.attack_budget,
    )
    if ranks.main and not old:  # the manifest first: from then on the directory is resumable
        out.mkdir(parents=True, exist_ok=True)
        methods_used = {
            e.method: {"kind": e.kind, "version": e.version, "config": e.config} for e in plan.edits
        }
        source = {"model_source": model_source(suite, choice.id, pipe, choice.path)}
        write_manifest(run, identity, provenance(suite, req) | {"methods": methods_used} | source)
    if ranks.main and not run.plan.is_file():  # the plan follows from the identity
        write_json(run.plan, plan.to_json())
    ranks.barrier()
    counts = run_stages(run, plan, suite, pipe, req, built, metrics, not_computed, say, ranks)
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return RunSummary(out, counts, _read_results(run))


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


def build_scorers(
    suite: Suite, names: list[str], device: str, batch_size: int, weights_dir=None
) -> dict[str, Any]:
    from audits.evaluator_weights import scorer_context
    from audits.registry import SCORERS

    ctx = scorer_context(suite, device, batch_size, weights_dir)
    return {n: SCORERS.get(suite.scorers[n].kind).from_spec(suite.scorers[n], ctx) for n in names}


def check_labels(
    suite: Suite,
    profile: str,
    metrics: list[str],
    built: dict[str, Any],
    limit: int | None,
    seeds: int | None = None,
) -> None:
    """Refuse a metric that compares labels to concepts when its scorer can label none of the
    concepts of its probes (it could only ever report None)."""
    from audits.registry import METRICS
    from audits.run.plan import plan_probe

    cases: dict[str, set[str]] = {}
    for name in metrics:
        spec = suite.metrics[name]
        if spec.scorer not in built or not METRICS.get(spec.kind).reads_concept_labels:
            continue
        concepts: set[str] = set()
        for probe in spec.probes:
            if probe not in cases:
                planned = plan_probe(suite, probe, profile, limit, seeds)
                cases[probe] = {c.concept for c in planned.cases if c.concept}
            concepts |= cases[probe]
        labels = built[spec.scorer].concept_labels()
        if concepts and not concepts & set(labels):
            first = ", ".join(sorted(concepts)[:3])
            raise AuditError(
                f"metric {name}: scorer {spec.scorer} cannot label any of its concepts"
                f" ({first}{', ...' if len(concepts) > 3 else ''}); fix the suite's concepts or"
                " scorer"
            )


def _read_results(run: RunDir) -> dict[str, Any] | None:
    from runfmt.atomic import read_json

    return read_json(run.results)
