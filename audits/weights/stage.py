"""`scapre-audit run SUITE --stages weights`: the weight-space audit, no image generated.

plan (the same edits, probes and results groups as the image audit) -> erase (the same edits,
saved as in any run) -> encode every distinct prompt once -> per edit, the exact closed forms of
`audits.weights.measure` -> results.json rows (`space: weights`) -> report.

The run folder is an ordinary run folder whose identity says `stages: weights`, so it can never
be resumed as, or mixed with, an image audit. results.json has no times or paths; the encoder
and measurement times go to `weights/timings.json`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import torch

from audits.metrics.base import CI_METHOD, MetricInput, Observation
from audits.metrics.weights import WEIGHT_METRICS, WEIGHTS_SPACE, reads_erased
from audits.run.plan import REFERENCE, RunPlan
from audits.weights import measure
from audits.weights.features import TOKENS, TextFeatures, encode, kv_weights
from runfmt.layout import RunDir

MEASURE_VERSION = "weights-space/1"
SHIFT_PURPOSES = ("target", "adversarial")
COLLATERAL_PURPOSES = ("neighbor", "quality")
VALIDATION = Path(__file__).with_name("validation.json")


def guide_of(config: dict[str, Any], concepts: tuple[str, ...], concept: str) -> str | None:
    """The guide prompt a method maps `concept` onto, from its config (`guide`: ScaPre;
    `guides`: UCE, RECE, one for all or one per concept); None for a method without one."""
    if "guide" in config:
        return config["guide"] or " "
    if "guides" in config:
        guides = list(config["guides"] or [])
        if not guides:
            return "" if str(config.get("variant", "")) == "2025" else " "
        if len(guides) == 1 or concept not in concepts:
            return guides[0]
        return guides[concepts.index(concept)]
    return None


def recovery_params(suite, profile_name: str) -> tuple[str, float]:
    """(attack name, regular_scale) of the suite's embedding-recovery attack (the profile's
    first, else the suite's first), default ('recover', 1e-3)."""
    attacks = getattr(suite, "attacks", {}) or {}
    names = list(suite.profile(profile_name).attacks or ()) + list(attacks)
    for name in names:
        spec = attacks.get(name)
        if spec is not None and spec.kind == "embedding_recovery":
            return name, float((spec.params or {}).get("regular_scale", 1e-3))
    return "recover", 1e-3


class Measurer:
    """Per-edit measurements over the features of every probe, sharing what edits share."""

    def __init__(self, pipe, plan: RunPlan, features: TextFeatures, regular_scale: float):
        self.plan, self.features, self.regular_scale = plan, features, regular_scale
        self.base = measure.Base(kv_weights(pipe))
        self.kv_names = set(self.base.original)
        self.unet_state = {k: v.detach() for k, v in pipe.unet.state_dict().items()}
        self.probe_emb: dict[str, tuple[torch.Tensor, torch.Tensor]] = {}
        self.base_forms: dict[str, torch.Tensor] = {}
        self.moments: dict[tuple, torch.Tensor] = {}
        self.den_cache: dict = {}
        self.base_traces: dict[tuple, dict[str, float]] = {}  # tr(W_l S W_l^T) by moment
        self.old_sq: dict[str, float] = {}  # ||W||_F^2 of unedited UNet tensors, by name
        for name, probe in plan.probes.items():
            emb, last = features.of([c.prompt for c in probe.cases])
            self.probe_emb[name] = (emb, last)
            self.base_forms[name] = measure.after_bos(measure.token_forms(emb, self.base.g0))

    def edit(self, edit, new: dict[str, torch.Tensor]) -> dict[str, Any]:
        """Per-probe per-case values and per-probe extras of one edit."""
        grams = measure.edit_grams(self.base, new)
        share, total_sq, rel = (
            measure.kv_share(self.unet_state, new, self.kv_names, grams.diffs, self.old_sq)
            if new
            else (None, 0.0, 0.0)
        )
        out: dict[str, Any] = {
            "kv_share": share,
            "total_sq": total_sq,
            "relative_change": rel,
            "visibility": visibility(share),
            "probes": {},
        }
        kmap = rgram = None
        for name, probe in self.plan.probes.items():
            emb, last = self.probe_emb[name]
            n = emb.shape[0]
            zeros = torch.zeros(n, dtype=torch.float64)
            if grams.empty:
                dd = torch.zeros(n, emb.shape[1], dtype=torch.float64)
                shift = zeros
            else:
                dd = measure.token_forms(emb, grams.gdd)
                shift = measure.relative(measure.after_bos(dd), self.base_forms[name])
            values: dict[str, list[float | None]] = {"shift": shift.tolist()}
            if probe.purpose in SHIFT_PURPOSES:
                values["toward_guide"] = self._toward(edit, probe, emb, last, grams, dd)
            if probe.purpose == "target":
                if kmap is None:
                    kmap = measure.recovery_map(self.base, grams, self.regular_scale)
                    rgram = measure.residual_gram(self.base, grams, kmap)
                res = measure.token_forms(emb, rgram)
                values["recovery_residual"] = measure.relative(
                    measure.after_bos(res), self.base_forms[name]
                ).tolist()
            extra = {}
            if not grams.empty:
                key, moment = self._moment(name, probe, edit.concepts)
                if key not in self.base_traces:
                    self.base_traces[key] = measure.traces(self.base.grams, moment)
                dens, nums = self.base_traces[key], measure.traces(grams.dgrams, moment)
                extra = {
                    "by_kind": _round(measure.by_kind(nums, dens)),
                    "per_matrix": _round(measure.per_matrix(nums, dens)),
                }
            out["probes"][name] = {"values": values, "extra": extra}
        return out

    def _moment(self, name: str, probe, concepts: tuple[str, ...]) -> tuple[tuple, torch.Tensor]:
        """The probe's second moment over the prompts its metric reads: those of erased content
        (target, adversarial probes: `reads_erased`) or those naming no erased concept
        (neighbour, general)."""
        erased = set(concepts)
        if probe.purpose in SHIFT_PURPOSES:
            rows = [i for i, c in enumerate(probe.cases) if reads_erased(c.concept, erased)]
        else:
            rows = [i for i, c in enumerate(probe.cases) if not (c.concept and c.concept in erased)]
        key = (name, tuple(rows))
        if key not in self.moments:
            emb = self.probe_emb[name][0]
            self.moments[key] = measure.second_moment(emb[torch.tensor(rows, dtype=torch.long)])
        return key, self.moments[key]

    def _toward(self, edit, probe, emb, last, grams, dd) -> list[float | None]:
        guides = [guide_of(edit.config, edit.concepts, c.concept) for c in probe.cases]
        out: list[float | None] = [None] * len(guides)
        for guide in dict.fromkeys(g for g in guides if g is not None):
            rows = [i for i, g in enumerate(guides) if g == guide]
            g_emb, g_last = self.guide_features(guide)
            idx = torch.tensor(rows)
            values = measure.toward_guide(
                emb[idx],
                last[idx],
                g_emb,
                g_last,
                self.base,
                grams,
                dd[idx],
                self.den_cache,  # the denominators depend on the prompts and guide only
                (probe.name, guide, tuple(rows)),
            )
            for i, v in zip(rows, values.tolist(), strict=True):
                out[i] = v
        return out

    def guide_features(self, guide: str) -> tuple[torch.Tensor, int]:
        emb, last = self.features.of([guide])
        return emb[0], int(last[0])


def visibility(share: float | None) -> str:
    if share is None:
        return "no change"
    if share >= 0.99:
        return "visible"
    if share >= 0.01:
        return f"partly visible ({100 * share:.0f}% of the change is in K/V)"
    return "not visible to this audit"


def _round(d: dict) -> dict:
    return {k: None if v is None else round(v, 8) for k, v in d.items()}


def all_prompts(plan: RunPlan, measurer_guides: list[str]) -> list[str]:
    prompts = [c.prompt for p in plan.probes.values() for c in p.cases]
    return list(dict.fromkeys(prompts + measurer_guides))


def method_guides(plan: RunPlan) -> list[str]:
    out = []
    for e in plan.edits:
        for c in e.concepts or ("",):
            g = guide_of(e.config, e.concepts, c)
            if g is not None:
                out.append(g)
    return list(dict.fromkeys(out))


def measure_run(pipe, plan: RunPlan, run: RunDir, regular_scale: float, say) -> dict[str, Any]:
    """Every edit's measurements (written to weights/<edit_id>.json); returns them by edit."""
    from audits.run.erase_stage import load_delta
    from runfmt.atomic import write_json

    started = time.perf_counter()
    features = encode(pipe, all_prompts(plan, method_guides(plan)))
    say(f"weights: {len(features.prompts)} distinct prompt(s) encoded in {features.seconds:.1f} s")
    measurer = Measurer(pipe, plan, features, regular_scale)
    by_edit = {}
    for e in plan.edits:
        new = load_delta(run, e.edit_id) if e.method != REFERENCE else {}
        by_edit[e.edit_id] = measurer.edit(e, new)
        write_json(run.root / "weights" / f"{e.edit_id}.json", by_edit[e.edit_id])
    seconds = time.perf_counter() - started
    write_json(
        run.root / "weights" / "timings.json",
        {
            "text_encoder_s": round(features.seconds, 3),
            "total_s": round(seconds, 3),
            "prompts": len(features.prompts),
        },
    )
    return by_edit


def metrics_for(purpose: str) -> list[str]:
    if purpose in SHIFT_PURPOSES:
        kinds = ["kv_shift", "kv_toward_guide"]
        return kinds + (["kv_recovery_residual"] if purpose == "target" else [])
    if purpose in COLLATERAL_PURPOSES:
        return ["kv_collateral"]
    return []


def weight_rows(plan: RunPlan, suite, by_edit: dict, header: dict, attack: tuple[str, float]):
    """results.json rows of every weight-space metric for every results group, plan order."""
    assert suite.concepts is not None
    roles = {c.name: c.role for c in suite.concepts.concepts}
    groups_of = {c.name: c.group for c in suite.concepts.concepts}
    edits = {e.edit_id: e for e in plan.edits}
    rows = []
    for group in plan.groups:
        edit = edits[group.edit_id]
        measured = by_edit[group.edit_id]
        if edit.method != REFERENCE:
            rows += _rows_of(
                "kv_edit_share", "", plan, group, edit, measured, roles, groups_of, header, attack
            )
        for probe in plan.probes.values():
            for kind in metrics_for(probe.purpose):
                rows += _rows_of(
                    kind, probe.name, plan, group, edit, measured, roles, groups_of, header, attack
                )
    return rows


def _rows_of(kind, probe, plan, group, edit, measured, roles, groups_of, header, attack):
    metric = WEIGHT_METRICS[kind]()
    name = kind if not probe else f"{kind}@{probe}"
    if kind == "kv_edit_share":
        obs = [
            Observation(
                "",
                0,
                "",
                "",
                0,
                {
                    "value": measured["kv_share"],
                    "total_sq": measured["total_sq"],
                    "relative_change": round(measured["relative_change"], 8),
                    "visibility": measured["visibility"],
                },
            )
        ]
        probes: tuple[str, ...] = ()
    else:
        values = measured["probes"][probe]["values"]
        if metric.field not in values:
            return []
        obs = [
            Observation(
                probe,
                case.index,
                case.concept,
                case.family,
                0,
                {"value": v, "shift": s},
            )
            for case, v, s in zip(
                plan.probes[probe].cases, values[metric.field], values["shift"], strict=True
            )
        ]
        probes = (probe,)
    data = MetricInput(
        name=name,
        params=metric.params_class(),
        method=group.method,
        erase_set=group.erase_set,
        erased=frozenset(group.concepts),
        roles=roles,
        probes=probes,
        observations=obs,
        concept_labels={},
        groups=groups_of,
    )
    out = []
    for row in metric.compute(data):
        if kind == "kv_toward_guide" and row.n == 0:
            continue  # a method without a guide: the row would say nothing
        extra = dict(row.extra)
        if row.concept is None and probe and kind != "kv_toward_guide":
            extra.update(measured["probes"][probe]["extra"])
        if kind != "kv_edit_share":
            extra["visibility"] = measured["visibility"]
        out.append(
            {
                "metric": name,
                "kind": metric.kind,
                "definition_version": metric.definition_version,
                "higher_is_better": metric.higher_is_better,
                "space": WEIGHTS_SPACE,
                "method": group.method,
                "method_kind": edit.kind,
                "erase_set": group.erase_set,
                "erase_set_size": group.erase_set_size,
                "edit_id": group.edit_id,
                "probe": probe,
                "probes": list(probes),
                "concept": row.concept,
                "family": row.family,
                "group": row.group,
                "label": None,
                "value": row.value,
                "n": row.n,
                "n_excluded": sum(row.exclusions.values()),
                "exclusions": row.exclusions,
                "ci_low": row.ci[0] if row.ci else None,
                "ci_high": row.ci[1] if row.ci else None,
                "ci": {**CI_METHOD, "seed": row.ci_seed} if row.ci else None,
                "scorer": None,
                "evaluator": {
                    "weights_space": MEASURE_VERSION,
                    "tokens": TOKENS,
                    "matrices": "every cross-attention to_k and to_v",
                },
                "prompt_sets": {p: plan.probes[p].prompt_set_sha256 for p in probes},
                "seeds": [],
                "generation": None,
                "model": header.get("model"),
                "extra": extra,
            }
            | (_attack_block(attack) if kind == "kv_recovery_residual" else {})
        )
    return out


def _attack_block(attack: tuple[str, float]) -> dict[str, Any]:
    from audits.attacks.base import ACCESS
    from audits.attacks.embedding_recovery import EmbeddingRecovery

    name, scale = attack
    return {
        "weights_attack": {
            "name": name,
            "kind": EmbeddingRecovery.kind,
            "version": EmbeddingRecovery.version,
            "tier": EmbeddingRecovery.tier,
            "access": ACCESS[EmbeddingRecovery.tier],
            "budget": None,
            "seed": None,
            "params": {"regular_scale": scale},
        }
    }


def validation_table() -> dict[str, Any] | None:
    """The published image-vs-weights rank correlations (docs/weights.md), if bundled."""
    from runfmt.atomic import read_json

    return read_json(VALIDATION) if VALIDATION.is_file() else None


def run_weights(req, suite, profile_name: str, out: Path, say) -> Any:
    """The whole weight-space audit for one request, checked and locked by `run_suite` (the one
    front door); returns a RunSummary."""
    from audits.run.aggregate_stage import RESULTS_SCHEMA, prompt_set_records
    from audits.run.engine import RunSummary
    from audits.run.erase_stage import run_erase
    from audits.run.manifest import check_out_dir, check_resume, run_identity, write_manifest
    from audits.run.model import choose_model, load_model
    from audits.run.plan import plan_run, select_methods
    from audits.run.preflight import require, weights_items
    from audits.run.provenance import model_source, provenance, results_header
    from audits.suites import suite_hash
    from runfmt.atomic import clean_leftovers, write_json

    started = time.perf_counter()
    methods = [
        m.name for m in select_methods(suite, suite.profile(profile_name).methods, req.methods)
    ]
    old = check_out_dir(out)  # read again under the lock
    clean_leftovers(out)
    require(weights_items(req, suite, profile_name))  # before the model loads
    choice = choose_model(req, suite, profile_name)
    pipe, model = load_model(choice, req.device, "float32", say)
    from audits.run.generate_stage import numerics

    identity = run_identity(
        suite.name,
        suite_hash(suite),
        profile_name,
        methods,
        req.limit,
        model,
        req.micro_batch,
        None,
        numerics(req.device),  # the measured floats depend on it as images do
    ) | {"stages": "weights"}
    run = RunDir(out)
    if old:
        check_resume(old["identity"], identity, out)
    plan = plan_run(suite, profile_name, methods, req.limit, model, "float32", req.micro_batch)
    if not old:
        out.mkdir(parents=True, exist_ok=True)
        used = {
            e.method: {"kind": e.kind, "version": e.version, "config": e.config} for e in plan.edits
        }
        source = {"model_source": model_source(suite, choice.id, pipe, choice.path)}
        write_manifest(run, identity, provenance(suite, req) | {"methods": used} | source)
    if not run.plan.is_file():
        write_json(run.plan, plan.to_json())
    counts = {"edits": run_erase(run, plan.edits, pipe, req.device, say), "images": 0, "scores": 0}
    attack = recovery_params(suite, profile_name)
    by_edit = measure_run(pipe, plan, run, attack[1], say)
    header = results_header(run, suite)
    rows = weight_rows(plan, suite, by_edit, header, attack)
    results = {
        "schema": RESULTS_SCHEMA,
        **header,
        "stages": "weights",
        "reported": None,
        "reported_sha256": None,
        "evaluators": {},
        "prompt_sets": prompt_set_records(plan),
        "generation": None,
        "not_computed": [],
        "weights_validation": validation_table(),
        "metrics": rows,
    }
    write_json(run.results, results)
    say(f"results: {len(rows)} weight-space value(s) -> {run.results}")
    from reports.build import build_report

    say(f"report: {build_report([run.root]) / 'index.html'}")
    counts["seconds"] = round(time.perf_counter() - started, 3)
    return RunSummary(out, counts, results)
