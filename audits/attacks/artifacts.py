"""Saved attack artifacts: what one attack unit found, so it can be inspected and replayed.

    attacks/<attack>/<edit_id>/<unit_id>.safetensors   prompt embeddings (embedding attacks)
    attacks/<attack>/<edit_id>/<unit_id>.json          record, written last: the attack (kind,
        version, tier, params with budget and seed), edit, concept, sources, the adversarial
        prompts or the embeddings' sha256 (file and per row), evaluations spent

No times enter a record, so the same unit gives the same bytes. A row's sha256 is that of its
float32 bytes; it is the row's identity in the images it renders and in replays.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import torch

from audits.attacks.base import AttackError
from audits.case import Case
from runfmt.atomic import read_json, sha256_file, write_bytes, write_json
from runfmt.schemas import ARTIFACT_SCHEMA


def row_sha256(row: torch.Tensor) -> str:
    return hashlib.sha256(row.to(torch.float32).contiguous().numpy().tobytes()).hexdigest()


def write_artifact(folder: Path, unit_id: str, record: dict[str, Any], embeds) -> dict[str, Any]:
    """Write the embeddings (if any), then the record; return the record."""
    if embeds is not None:
        from safetensors.torch import save

        path = folder / f"{unit_id}.safetensors"
        write_bytes(path, save({"prompt_embeds": embeds.contiguous()}, metadata={"unit": unit_id}))
        record = record | {
            "embeds_file": path.name,
            "embeds_sha256": sha256_file(path),
            "rows_sha256": [row_sha256(r) for r in embeds],
        }
    write_json(folder / f"{unit_id}.json", {"schema": ARTIFACT_SCHEMA, **record})
    return record


def artifact_done(folder: Path, unit_id: str) -> dict[str, Any] | None:
    """The record when it exists and its embeddings file has the sha256 it lists."""
    record = read_json(folder / f"{unit_id}.json")
    if not record or record.get("unit_id") != unit_id:
        return None
    embeds = record.get("embeds_file")
    if embeds and sha256_file(folder / embeds) != record["embeds_sha256"]:
        return None
    return record


def load_embeds(folder: Path, record: dict[str, Any]) -> torch.Tensor:
    from safetensors.torch import load_file

    return load_file(str(folder / record["embeds_file"]))["prompt_embeds"]


def artifact_sources(folder: Path, limit: int | None) -> dict[str, list[Case]]:
    """concept -> the saved adversarial inputs of every record in `folder`, as replay sources."""
    records = [read_json(p) for p in sorted(folder.glob("*.json"))]
    records = [r for r in records if r and r.get("schema") == ARTIFACT_SCHEMA]
    if not records:
        raise AttackError(f"no attack artifacts (*.json records) in {folder}")
    out: dict[str, list[Case]] = {}
    for rec in records:
        name = f"artifact:{rec['attack']['name']}/{rec['unit_id']}"
        for i, src in enumerate(rec["sources"]):
            seeds = tuple(src["seeds"])
            if rec.get("embeds_file"):
                source = Case(
                    name,
                    i,
                    src["prompt"],
                    seeds,
                    embeds_sha256=rec["rows_sha256"][i],
                    embeds_file=str(folder / rec["embeds_file"]),
                    embeds_row=i,
                )
            else:
                source = Case(name, i, rec["prompts"][i], seeds)
            out.setdefault(rec["concept"], []).append(source)
    return {c: s[:limit] if limit else s for c, s in out.items()}


def load_rows(sources: list[Case]) -> torch.Tensor:
    """The saved embedding rows the sources name, each checked against its sha256."""
    from safetensors.torch import load_file

    files: dict[str, torch.Tensor] = {}
    rows = []
    for s in sources:
        if not s.embeds_file:
            raise AttackError("a replay mixes saved prompts and saved embeddings; split it")
        if s.embeds_file not in files:
            files[s.embeds_file] = load_file(s.embeds_file)["prompt_embeds"]
        row = files[s.embeds_file][s.embeds_row]
        if row_sha256(row) != s.embeds_sha256:
            raise AttackError(f"{s.embeds_file} row {s.embeds_row} changed since it was planned")
        rows.append(row)
    return torch.stack(rows)
