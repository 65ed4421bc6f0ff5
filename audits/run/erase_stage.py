"""Stage 1, erase: one delta per (method, concept set), written before its record."""

from __future__ import annotations

import time
from typing import Any

import torch

from audits.errors import AuditError
from audits.run.plan import EditUnit
from runfmt.atomic import sha256_file, write_bytes, write_json
from runfmt.layout import RunDir
from runfmt.schemas import EDIT_SCHEMA
from scapre.errors import ScaPreError


def run_erase(run: RunDir, edits: list[EditUnit], pipe, device: str, say) -> int:
    """Compute every edit that is not done; return how many were computed."""
    from audits.run.progress import progress_bar

    done = 0
    todo = [unit for unit in edits if not run.edit_done(unit.edit_id)]
    with progress_bar("erase", len(todo), "edits") as advance:
        for unit in todo:
            say(f"erase {unit.method} ({len(unit.concepts)} concept(s)) -> edits/{unit.edit_id}")
            try:
                weights, record = _compute(unit, pipe, device)
                _write(run, unit, weights, record)
            except (OSError, RuntimeError, ValueError, AuditError, ScaPreError) as err:
                where = f"erase unit {unit.method}/{unit.edit_id} ({len(unit.concepts)} concept(s))"
                raise AuditError(f"{where} failed: {err}") from err
            done += 1
            advance()
    return done


def _compute(unit: EditUnit, pipe, device: str) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    from audits.registry import ERASERS

    eraser = ERASERS.get(unit.kind).from_config(unit.config)
    started = time.perf_counter()
    edit = eraser.erase(pipe, list(unit.concepts), device=device)
    seconds = time.perf_counter() - started
    record = {
        "variant": edit.variant,
        "timings_s": {**edit.timings, "wall_s": seconds},
        "n_matrices": len(edit.weights),
    }
    return edit.weights, record


def _write(run: RunDir, unit: EditUnit, weights: dict[str, torch.Tensor], extra: dict) -> None:
    from safetensors.torch import save

    from audits.environment import package_versions
    from audits.models.loading import tensor_sha256

    folder = run.edit_dir(unit.edit_id)
    tensors = {n: w.detach().to("cpu").contiguous() for n, w in sorted(weights.items())}
    write_bytes(folder / "delta.safetensors", save(tensors, metadata={"edit_id": unit.edit_id}))
    record = {
        "schema": EDIT_SCHEMA,
        "edit_id": unit.edit_id,
        "method": unit.method,
        "eraser": unit.kind,
        "eraser_version": unit.version,
        "config": unit.config,
        "concepts": list(unit.concepts),
        "tensors": {n: tensor_sha256(w) for n, w in tensors.items()},
        "delta_sha256": sha256_file(folder / "delta.safetensors"),
        "packages": package_versions(),
        **extra,
    }
    write_json(folder / "edit.json", record)


def load_delta(run: RunDir, edit_id: str) -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(run.edit_dir(edit_id) / "delta.safetensors"))
