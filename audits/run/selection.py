"""Which parts of a suite profile a run can compute, checked before any work starts."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from audits.errors import AuditError
from audits.registry import NotImplementedEntryError
from audits.suites import Suite

if TYPE_CHECKING:
    from audits.run.engine import RunRequest


# the documented bounds of the run's numeric options (docs/reliability.md)
BOUNDS = {
    "--limit": (1, 10**9),
    "--seeds": (1, 10**9),
    "--attack-budget": (1, 10**9),
    "--micro-batch": (1, 256),
    "--batch-size": (1, 1024),
    "--steps": (1, 1000),
    "--size": (8, 4096),
}


def check_bound(flag: str, value: int) -> None:
    low, high = BOUNDS[flag]
    if value < low:
        raise AuditError(f"{flag} must be at least {low} (got {value})")
    if value > high:
        raise AuditError(f"{flag} must be at most {high} (got {value})")


STAGES = ("all", "weights")  # "weights": the weight-space audit alone (audits/weights/stage.py)


def check_options(req: RunRequest) -> None:
    """Every option's value, and its combination with `--stages`, before any work."""
    if req.stages not in STAGES:
        raise AuditError(f"--stages must be one of {', '.join(STAGES)} (got {req.stages!r})")
    if req.stages == "weights":
        if any(v is not None for v in (req.steps, req.size, req.seeds)):
            raise AuditError(
                "--steps, --size and --seeds change images; --stages weights makes none"
            )
        if os.environ.get("WORLD_SIZE", "1") not in ("", "0", "1"):
            raise AuditError("--stages weights runs in one process; launch it without torchrun")
    if req.limit is not None:
        check_bound("--limit", req.limit)
    if req.seeds is not None:
        check_bound("--seeds", req.seeds)
    if req.attack_budget is not None:
        check_bound("--attack-budget", req.attack_budget)
    check_bound("--micro-batch", req.micro_batch)
    if req.steps is not None:
        check_bound("--steps", req.steps)
    if req.size is not None:
        check_bound("--size", req.size)
        if req.size % 8:
            raise AuditError(f"--size must be a multiple of 8 pixels (got {req.size})")
    check_bound("--batch-size", req.batch_size)
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
        METRICS.get(spec.kind).check_params(name, spec.params)  # bad params stop before any work
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
    skipped += _unavailable_attacks(suite, profile, metrics)
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


def _unavailable_attacks(suite: Suite, profile, metrics: list[str]) -> list[dict]:
    """Attacks that cannot run (not implemented, or no attack_success_rate metric to score
    them); a typo in a kind or a bad param is an error here, before any work."""
    from audits.run.attack_plan import build_attack

    skipped = []
    scored = any(suite.metrics[m].kind == "attack_success_rate" for m in metrics)
    spec = suite.profiles.get(profile.name)
    if not scored and not (spec and spec.attacks):
        return []  # attacks picked only by "empty means all" need a metric that scores them
    for name in profile.attacks:
        try:
            build_attack(suite, name)
        except NotImplementedEntryError as err:
            skipped.append({"attack": name, "reason": str(err)})
            continue
        if not scored:
            reason = "no attack_success_rate metric in the profile to score it"
            skipped.append({"attack": name, "reason": reason})
    return skipped


def selected_attacks(suite: Suite, profile_name: str, not_computed: list[dict]) -> list[str]:
    """The profile's attacks that run (those not listed as not computed)."""
    profile = suite.profile(profile_name)
    skipped = {item.get("metric") for item in not_computed}
    metrics = [m for m in profile.metrics if m not in skipped]
    if not any(suite.metrics[m].kind == "attack_success_rate" for m in metrics):
        return []
    left_out = {item.get("attack") for item in not_computed}
    return [a for a in profile.attacks if a not in left_out]
