"""The preflight (`scapre-audit plan`, `run --dry-run`): what a run needs and what is here, and how
much work it is, without loading any model. `run` makes the same checks before anything heavy.

Checked: the sampler and step count; the model (a local diffusers folder, or a hub id in the
Hugging Face cache, or downloadable when online); each evaluator's files; each remote prompt set
(cached, downloadable, or its bundled fallback, which is a substitution). The work estimate counts
edits, images (generated and attack renders), denoising steps and UNet evaluations, and converts
them to GPU-hours at a stated image rate scaled by steps and pixels.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from audits.errors import AuditError
from audits.run.model import choose_model
from runfmt.subset import subset_text

if TYPE_CHECKING:
    from audits.run.engine import RunRequest
    from audits.suites import Suite

# what `--images-per-second` means when not given: an assumption, stated with every estimate
DEFAULT_RATE = 1.0
RATE_REFERENCE = {"steps": 50, "pixels": 512}
RATE_NOTE = (
    "image(s)/s for SD 1.5 at 512 px, 50 steps, fp16 on one GPU, scaled by steps and pixels"
    " (an assumption unless --images-per-second gives yours; benchmarks/gpu.sh measures it)"
)
# attack kinds that render prompt embeddings (so the plain source prompts are rendered too)
EMBEDDING_ATTACKS = {"embedding_recovery"}


@dataclass(frozen=True)
class Item:
    """One thing the run needs: what it is, its status and whether its absence stops the run."""

    kind: str  # sampler, model, evaluator, dataset
    name: str
    status: str  # ok, present, download, fallback, missing, unchecked, ...
    detail: str = ""
    blocking: bool = False
    substitution: bool = False


@dataclass
class Preflight:
    suite: str
    profile: str
    methods: list[str]
    items: list[Item] = field(default_factory=list)
    work: dict[str, Any] = field(default_factory=dict)

    @property
    def problems(self) -> list[Item]:
        return [i for i in self.items if i.blocking]

    def to_json(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "profile": self.profile,
            "methods": self.methods,
            "ready": not self.problems,
            "items": [asdict(i) for i in self.items],
            "work": self.work,
        }

    def lines(self) -> list[str]:
        out = [f"preflight: {self.suite} / {self.profile}, methods {', '.join(self.methods)}"]
        for item in self.items:
            mark = "MISSING" if item.blocking else item.status
            note = " [substitution]" if item.substitution else ""
            out.append(
                f"  {item.kind:<10} {item.name}: {mark}{note}"
                + (f" - {item.detail}" if item.detail else "")
            )
        w = self.work
        if w.get("stages") == "weights":
            out.append(
                f"  work       {w['edits']} edit(s) ({_counts(w['edits_by_method'])}), weight space"
                f" only: no image, {w['prompts']:,} distinct prompt(s) encoded once"
            )
        elif w:
            out.append(
                f"  work       {w['edits']} edit(s) ({_counts(w['edits_by_method'])}), "
                f"{w['images']:,} image(s) ({w['generated_images']:,} generated, "
                f"{w['attack_images']:,} attack renders), {w['attack_units']} attack unit(s)"
            )
            out.append(
                f"             {w['denoising_steps']:,} denoising steps at {w['steps']} steps and"
                f" {w['height']}x{w['width']} px ({w['unet_evaluations']:,} UNet evaluations with"
                f" guidance), {w['attack_unet_passes']:,} UNet forward+backward passes of attacks"
            )
            if w.get("subset"):
                out.append(f"  subset     {w['subset']}")
            out.append(
                f"             about {w['gpu_hours']:.2f} GPU-hour(s) at {w['images_per_second']:g}"
                f" {RATE_NOTE}"
            )
        problems = self.problems
        if problems:
            first = problems[0]
            out.append(f"ready: no, {len(problems)} missing (first: {first.kind} {first.name})")
        else:
            out.append("ready: yes")
        return out


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} x{v}" for k, v in counts.items()) or "none"


# -- the checks ---------------------------------------------------------------------------
def sampler_item(sampler: str, steps: int) -> Item:
    from audits.models.sampling import check_sampler

    try:
        check_sampler(sampler, steps)
    except AuditError as err:
        return Item("sampler", f"{sampler}, {steps} step(s)", "refused", str(err), blocking=True)
    return Item("sampler", f"{sampler}, {steps} step(s)", "ok")


def hub_offline() -> bool:
    return os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


def model_item(model_id: str, revision: str | None) -> Item:
    """A local diffusers folder with its components, or a hub id in the local cache."""
    path = Path(model_id).expanduser()
    if path.exists():
        index = path / "model_index.json"
        if not index.is_file():
            return Item("model", model_id, "not a pipeline", "no model_index.json", blocking=True)
        import json

        try:
            data = json.loads(index.read_text())
        except (OSError, ValueError) as err:
            return Item("model", model_id, "unreadable", f"model_index.json: {err}", blocking=True)
        # components set in model_index.json (safety_checker: [null, null] is not set)
        parts = [k for k, v in data.items() if isinstance(v, list) and v and v[0] is not None]
        absent = [p for p in parts if not (path / p).is_dir()]
        if absent:
            detail = f"component folder(s) {', '.join(absent)} missing"
            return Item("model", model_id, "incomplete", detail, blocking=True)
        return Item("model", model_id, "present", f"local folder ({_size(path)})")
    if model_id.startswith((".", "/", "~")) or model_id.count("/") > 1:
        return Item("model", model_id, "missing", "the path does not exist", blocking=True)
    from huggingface_hub import constants, try_to_load_from_cache

    cached = try_to_load_from_cache(model_id, "model_index.json", revision=revision or "main")
    where = f"{model_id}@{revision or 'main'}"
    if isinstance(cached, str):
        return Item(
            "model", where, "present", f"in the Hugging Face cache ({constants.HF_HUB_CACHE})"
        )
    if hub_offline():
        detail = (
            f"not in the Hugging Face cache ({constants.HF_HUB_CACHE}) and HF_HUB_OFFLINE is set:"
            f" download it once (`hf download {model_id}`) or pass --model DIR"
        )
        return Item("model", where, "missing", detail, blocking=True)
    return Item(
        "model", where, "download", "not cached: downloaded from the hub when the run starts"
    )


def _size(path: Path) -> str:
    total = sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return f"{total / 1e9:.2f} GB"


def dataset_items(suite: Suite, probes: list[str]) -> list[Item]:
    """Each remote prompt set of the profile: cached, downloadable, or its fallback table."""
    from huggingface_hub import constants

    from audits.suites.remote import offline

    items = []
    for name in probes:
        spec = suite.probes[name]
        if spec.kind != "hf_prompts" or spec.dataset is None:
            continue
        src = spec.dataset
        label = f"{name} ({src.id}@{src.revision[:8] if src.revision else 'main'})"
        fallback = spec.fallback.path.name if spec.fallback is not None else "none"
        if offline():
            detail = f"offline: the bundled {fallback} stands in, and every number says so"
            items.append(Item("dataset", label, "fallback", detail, substitution=True))
            continue
        folder = Path(constants.HF_HUB_CACHE) / f"datasets--{src.id.replace('/', '--')}"
        if folder.is_dir():
            items.append(Item("dataset", label, "present", f"in the Hugging Face cache ({folder})"))
        else:
            detail = f"loaded at run time; if that fails, {fallback} stands in (a substitution)"
            items.append(Item("dataset", label, "download", detail))
    return items


def evaluator_items(suite: Suite, scorers: list[str], weights_dir=None) -> list[Item]:
    """Each evaluator the profile uses: every weights file found (where, sha256 against its pinned
    digest) or missing (which file, where to put it), missing packages, declared substitutions;
    no network is built (audits.evaluator_weights.check_scorers)."""
    from audits.evaluator_weights import check_scorers, weights_root

    root = weights_root(weights_dir)
    items = []
    for check in check_scorers(suite, scorers, weights_dir):
        name = f"{check.scorer} ({check.kind})"
        substituted = any(note.startswith("substitution") for note in check.notes)
        if not check.ok:
            missing = [f.where_to_put(root) for f in check.files if f.path is None]
            detail = "; ".join([*check.problems, *missing, *check.notes])
            items.append(Item("evaluator", name, "missing", detail, True, substituted))
            continue
        if not check.files:
            status = "no weights file"
        else:
            status = "verified" if check.verified else "UNVERIFIED"
        parts = [f"{f.path} ({f.status})" for f in check.files]
        items.append(
            Item("evaluator", name, status, "; ".join([*parts, *check.notes]), False, substituted)
        )
    return items


def preflight_items(req: RunRequest, suite: Suite, profile: str, scorers: list[str]) -> list[Item]:
    """Every check that needs no model: sampler, model, evaluators, remote prompt sets."""
    gen = suite.profile(profile).generation
    model = choose_model(req, suite, profile)
    items = [
        sampler_item(gen.sampler, req.steps or gen.steps),
        model_item(model.path, model.revision),
    ]
    items += evaluator_items(suite, scorers, req.weights_dir)
    items += dataset_items(suite, list(suite.profile(profile).probes))
    return items


def weights_items(req: RunRequest, suite: Suite, profile: str) -> list[Item]:
    """What `--stages weights` needs: the model and the prompt sets (no sampler, no evaluator)."""
    model = choose_model(req, suite, profile)
    probes = list(suite.profile(profile).probes)
    return [model_item(model.path, model.revision), *dataset_items(suite, probes)]


def require(items: list[Item]) -> None:
    """Stop (one line) at the first missing thing, before any model loads."""
    problems = [i for i in items if i.blocking]
    if problems:
        first = problems[0]
        more = f"; {len(problems) - 1} more: `scapre-audit plan` lists them" if problems[1:] else ""
        raise AuditError(f"{first.kind} {first.name}: {first.status}, {first.detail}{more}")


# -- the work --------------------------------------------------------------------------------
def _probe_plans(suite: Suite, profile: str, limit: int | None, cap: int | None = None):
    """Every probe of the profile planned without downloading: a remote prompt set counts as
    its fallback when offline, else as its declared `limit` rows (or the fallback's size)."""
    import hashlib

    from audits.case import Case
    from audits.run.identity import canonical
    from audits.run.plan import ProbePlan, first_seeds, plan_probe
    from audits.suites.cases import expand_table
    from audits.suites.remote import offline

    gen = suite.profile(profile).generation
    out = {}
    for name in suite.profile(profile).probes:
        spec = suite.probes[name]
        if spec.kind != "hf_prompts":
            out[name] = plan_probe(suite, name, profile, limit, cap)
            continue
        fallback = expand_table(spec, spec.fallback, gen) if spec.fallback is not None else []
        if offline() or not (spec.dataset and spec.dataset.limit):
            raw = [(c.prompt, tuple(c.seeds)) for c in fallback]
            source = "fallback" if offline() else "estimate"
        else:
            seeds = tuple(spec.seeds or gen.seeds)
            raw = [(f"<{spec.dataset.id} row {i}>", seeds) for i in range(spec.dataset.limit)]
            source = "estimate"
        kept = raw[:limit] if limit else raw
        cases = tuple(Case(name, i, p, first_seeds(s, cap)) for i, (p, s) in enumerate(kept))
        digest = hashlib.sha256(canonical([c.to_plan() for c in cases]).encode()).hexdigest()
        out[name] = ProbePlan(name, spec.purpose, cases, digest, source, "", len(raw))
    return out


def _edits_by_method(plan) -> dict[str, int]:
    """How many edits each method makes (the unedited reference is not an edit)."""
    by_method: dict[str, int] = {}
    for edit in plan.edits:
        if edit.kind != "none":
            by_method[edit.method] = by_method.get(edit.method, 0) + 1
    return by_method


def estimate_work(plan, rate: float) -> dict[str, Any]:
    """Counts of the run's work and GPU-hours at `rate` images/s (SD 1.5 reference settings)."""
    sampling = plan.sampling
    per_edit = sum(len(g) for g in plan.generation_groups())
    generated = per_edit * len(plan.edits)
    attack_images, passes = 0, 0
    for unit in plan.attacks:
        inputs = [(s.prompt, seed) for s in unit.sources for seed in s.seeds]
        if unit.kind == "prompt_replay":  # the same prompts: made anew only if not planned
            attack_images += 2 * sum(plan.group_rows(p, s) is None for p, s in inputs)
        else:
            attack_images += 2 * len(inputs)
            if unit.kind in EMBEDDING_ATTACKS:
                attack_images += sum(plan.group_rows(p, s) is None for p, s in inputs)
        if unit.tier == 2:
            passes += int(unit.params.get("budget") or 0)
    images = generated + attack_images
    steps = int(sampling["steps"])
    guided = float(sampling["guidance_scale"]) > 1.0
    pixels = int(sampling["height"]) * int(sampling["width"])
    scale = (steps / RATE_REFERENCE["steps"]) * pixels / RATE_REFERENCE["pixels"] ** 2
    # one forward+backward pass ~ 3 forward evaluations; a reference image is 2 x 50 of them
    image_equivalents = images * scale + passes * 3 / (2 * RATE_REFERENCE["steps"])
    by_method = _edits_by_method(plan)
    return {
        "edits": sum(by_method.values()),
        "edits_by_method": by_method,
        "images": images,
        "generated_images": generated,
        "attack_images": attack_images,
        "attack_units": len(plan.attacks),
        "attack_unet_passes": passes,
        "steps": steps,
        "height": sampling["height"],
        "width": sampling["width"],
        "denoising_steps": images * steps,
        "unet_evaluations": images * steps * (2 if guided else 1),
        "images_per_second": rate,
        "rate_reference": RATE_REFERENCE,
        "gpu_hours": image_equivalents / rate / 3600,
        "estimated_prompt_sets": [p.name for p in plan.probes.values() if p.source == "estimate"],
    }


def estimate_weights_work(suite: Suite, profile: str, methods: list[str], limit) -> dict:
    """A weight-space audit's work: its edits and the distinct prompts it encodes once (every
    probe's, with `--limit`), no image."""
    from audits.run.plan import plan_run

    model = {"weights_sha256": None, "pipeline_class": None}
    probes = _probe_plans(suite, profile, limit)
    plan = plan_run(suite, profile, methods, limit, model, "float32", 8, probes=probes)
    by_method = _edits_by_method(plan)
    prompts = {c.prompt for p in plan.probes.values() for c in p.cases}
    return {
        "stages": "weights",
        "edits": sum(by_method.values()),
        "edits_by_method": by_method,
        "images": 0,
        "prompts": len(prompts),
        "estimated_prompt_sets": [p.name for p in plan.probes.values() if p.source == "estimate"],
    }


def preflight(req: RunRequest, rate: float = DEFAULT_RATE) -> Preflight:
    """The whole preflight for one `run` request; loads no model and downloads nothing."""
    from audits.models.sampling import sampling_dtype
    from audits.run.plan import plan_run, select_methods
    from audits.run.selection import check_options, selected, selected_attacks
    from audits.suites import load_suite

    if not rate > 0:
        raise AuditError(f"--images-per-second must be > 0 (got {rate})")
    from dataclasses import replace

    check_options(replace(req, device="cpu"))  # a plan for a GPU can be made without one
    suite = load_suite(req.suite)
    profile = suite.profile(req.profile).name
    methods = [m.name for m in select_methods(suite, suite.profile(profile).methods, req.methods)]
    result = Preflight(suite.name, profile, methods)
    if req.stages == "weights":
        result.items = weights_items(req, suite, profile)
        result.work = estimate_weights_work(suite, profile, methods, req.limit)
        return result
    scorers, _, not_computed = selected(suite, profile, req.skip_unavailable)
    result.items = preflight_items(req, suite, profile, scorers)
    attacks = selected_attacks(suite, profile, not_computed)
    dtype = sampling_dtype(suite.profile(profile).generation.precision, req.device)
    model = {"weights_sha256": None, "pipeline_class": None}
    plan = plan_run(
        suite,
        profile,
        methods,
        req.limit,
        model,
        dtype,
        req.micro_batch,
        attacks,
        req.overrides(),
        probes=_probe_plans(suite, profile, req.limit, req.seeds),
        seeds=req.seeds,
        attack_budget=req.attack_budget,
    )
    result.work = estimate_work(plan, rate)
    result.work["subset"] = subset_text(req.limit, req.seeds, req.attack_budget)
    return result
