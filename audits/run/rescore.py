"""`score RUN` and `status RUN`: work on an existing run directory without generating anything."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from audits.errors import AuditError
from audits.run.manifest import check_resume
from audits.run.plan import RunPlan, plan_from_json
from runfmt.layout import MANIFEST, RunDir, run_manifest


def open_run(path: Path) -> tuple[RunDir, dict[str, Any], RunPlan]:
    """The run folder's manifest and plan, checked by the run-folder format's reader (a
    tampered file is one line naming file and field)."""
    from runfmt.reader import read_manifest, read_plan

    run = RunDir(Path(path))
    if run_manifest(run.root) is None:
        raise AuditError(f"{path} is not a scapre-audit run directory (no valid {MANIFEST})")
    manifest = read_manifest(run.manifest)
    if not run.plan.is_file():
        raise AuditError(f"{path} has no readable plan.json; rerun `scapre-audit run`")
    plan = read_plan(run.plan, complete=True)
    return run, dict(manifest.data), plan_from_json(dict(plan.data))


def incomplete_images(run: RunDir, plan: RunPlan) -> list[str]:
    missing = []
    for edit in plan.edits:
        for probe in plan.probes:
            for _, _, image_id in plan.images(edit.edit_id, probe):
                if not run.image_done(edit.edit_id, image_id):
                    missing.append(f"images/{edit.edit_id}/{image_id}")
    return sorted(set(missing))


def rescore(
    path: Path,
    device: str = "cpu",
    batch_size: int = 4,
    force: bool = False,
    skip_unavailable: bool = False,
    say=print,
    weights_dir: Path | None = None,
) -> dict[str, Any]:
    """Re-score a run's saved images with its suite's scorers and re-aggregate; never generate.
    Score files whose evaluator identity or images changed are recomputed; `force` redoes all."""
    from audits.run.lock import run_lock
    from audits.run.selection import check_bound

    check_bound("--batch-size", batch_size)
    open_run(path)  # refuse a folder that is not a run before creating the lock file in it
    with run_lock(Path(path), "run folder"):
        return _rescore(path, device, batch_size, force, skip_unavailable, say, weights_dir)


def _rescore(
    path, device, batch_size, force, skip_unavailable, say, weights_dir=None
) -> dict[str, Any]:
    from audits.run.engine import RunRequest, build_scorers, score_and_aggregate
    from audits.run.selection import selected
    from audits.suites import load_suite, suite_hash
    from runfmt.atomic import clean_leftovers

    run, manifest, plan = open_run(path)
    clean_leftovers(run.root)
    ident = manifest["identity"]
    suite_path = manifest.get("provenance", {}).get("suite_path")
    suite = load_suite(suite_path)
    check_resume({"suite_hash": ident["suite_hash"]}, {"suite_hash": suite_hash(suite)}, run.root)
    missing = incomplete_images(run, plan)
    if missing:
        raise AuditError(
            f"{len(missing)} image(s) are missing or corrupted (first: {missing[0]});"
            " rerun `scapre-audit run` with the original options to regenerate them"
        )
    scorers, metrics, skipped = selected(suite, ident["profile"], skip_unavailable)
    from audits.evaluator_weights import check_scorers, require_all

    require_all(check_scorers(suite, scorers, weights_dir), weights_dir)
    req = RunRequest(
        suite=str(suite.root), device=device, batch_size=batch_size, weights_dir=weights_dir
    )
    built = build_scorers(suite, scorers, device, batch_size, weights_dir)
    return score_and_aggregate(run, plan, suite, req, built, metrics, skipped, say, force=force)


def status(path: Path) -> list[str]:
    """Lines describing how far each stage of a run has got."""
    run, manifest, plan = open_run(path)
    ident = manifest["identity"]
    lines = [
        f"run {run.root}: suite {ident['suite_name']} (profile {ident['profile']},"
        f" hash {ident['suite_hash'][:12]}), methods {', '.join(ident['methods'])}",
    ]
    edits_done = sum(1 for e in plan.edits if run.edit_done(e.edit_id))
    lines.append(f"erase     {edits_done}/{len(plan.edits)} edit(s)")
    if ident.get("stages") == "weights":  # `--stages weights`: no images, no scores
        measured = len(list((run.root / "weights").glob("*.json"))) - 1
        lines.append(f"weights   {max(measured, 0)}/{len(plan.edits)} edit(s) measured (no images)")
        return [*lines, _aggregate_line(run.results)]
    total = {
        (e.edit_id, i)
        for e in plan.edits
        for p in plan.probes
        for _, _, i in plan.images(e.edit_id, p)
    }
    done = sum(1 for e, i in total if run.image_done(e, i))
    lines.append(f"generate  {done}/{len(total)} image(s)")
    if plan.attacks:
        from audits.attacks.artifacts import artifact_done
        from audits.run.attack_stage import artifact_folder

        made = sum(1 for u in plan.attacks if artifact_done(artifact_folder(run, u), u.unit_id))
        lines.append(f"attack    {made}/{len(plan.attacks)} unit(s)")
    score_files = list((run.root / "scores").glob("*/*/*.json"))
    lines.append(f"score     {len(score_files)} score file(s)")
    return [*lines, _aggregate_line(run.results)]


def _aggregate_line(path: Path) -> str:
    """The aggregate stage's line, from results.json read (and checked) by runfmt."""
    if not path.is_file():
        return "aggregate not yet"
    from runfmt.reader import read_results

    return f"aggregate results.json with {len(read_results(path)[0]['metrics'])} value(s)"
