"""The run folder: where each unit's outputs and records live, and when a unit counts as done.

manifest.json                        what the run is (identity fields + provenance)
plan.json                            every edit, probe case and results group
edits/<edit_id>/delta.safetensors    new UNet weights (empty for `none`)
edits/<edit_id>/edit.json            the edit's record, written last
images/<edit_id>/<image_id>.png      one image per (prompt, seed), content-addressed
images/<edit_id>/<image_id>.json     the image's record (sha256 of the PNG), written last
attacks/<attack>/<edit_id>/<unit_id>.json (+ .safetensors)   an attack unit's artifact
scores/<scorer>/<edit_id>/<probe>.json            per-image scores + evaluator identity
scores/<scorer>/<edit_id>/<probe>.features.safetensors   features (FID/KID scorers)
scores/<scorer>/attacks/<attack>/<edit_id>/<unit_id>.json   an attack unit's labels
results.json                         every metric value with its provenance
claims.json, claims-sweep.svg        the claims check and its capacity plot
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from runfmt.atomic import read_json, sha256_file
from runfmt.schemas import RUN_SCHEMA

MANIFEST = "manifest.json"
PLAN = "plan.json"
RESULTS = "results.json"
CLAIMS = "claims.json"
SWEEP_SVG = "claims-sweep.svg"

# edit, image and unit ids are hex digests; anything else in a record is refused as a path part
_ID = re.compile(r"^[0-9a-f]{8,64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # suite names (scorers, probes): one path component


def is_safe_id(value: Any) -> bool:
    """True for an id that can be used as one path component (hex digits only)."""
    return isinstance(value, str) and bool(_ID.match(value))


def is_safe_name(value: Any) -> bool:
    """True for a suite name (scorer, probe) that can be used as one path component."""
    return isinstance(value, str) and bool(_NAME.match(value)) and ".." not in value


def run_manifest(path: Path | str) -> dict[str, Any] | None:
    """The folder's manifest when it is a scapre-audit run folder (a manifest.json whose
    identity carries the run schema), else None."""
    manifest = read_json(Path(path) / MANIFEST)
    if not isinstance(manifest, dict):
        return None
    identity = manifest.get("identity")
    if not isinstance(identity, dict) or identity.get("schema") != RUN_SCHEMA:
        return None
    return manifest


def is_run_dir(path: Path | str) -> bool:
    """True when `path` is a scapre-audit run folder (see `run_manifest`)."""
    return run_manifest(path) is not None


class RunDir:
    """Paths inside one run folder, and the done checks of its units."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    # -- paths --------------------------------------------------------------------------------
    @property
    def manifest(self) -> Path:
        return self.root / MANIFEST

    @property
    def plan(self) -> Path:
        return self.root / PLAN

    @property
    def results(self) -> Path:
        return self.root / RESULTS

    @property
    def claims(self) -> Path:
        return self.root / CLAIMS

    @property
    def sweep_svg(self) -> Path:
        return self.root / SWEEP_SVG

    def edit_dir(self, edit_id: str) -> Path:
        return self.root / "edits" / edit_id

    def edit_record(self, edit_id: str) -> Path:
        return self.edit_dir(edit_id) / "edit.json"

    def image_png(self, edit_id: str, image_id: str) -> Path:
        return self.root / "images" / edit_id / f"{image_id}.png"

    def image_record(self, edit_id: str, image_id: str) -> Path:
        return self.root / "images" / edit_id / f"{image_id}.json"

    def score_file(self, scorer: str, edit_id: str, probe: str) -> Path:
        return self.root / "scores" / scorer / edit_id / f"{probe}.json"

    def features_file(self, scorer: str, edit_id: str, probe: str) -> Path:
        return self.root / "scores" / scorer / edit_id / f"{probe}.features.safetensors"

    def artifact_folder(self, attack: str, edit_id: str) -> Path:
        return self.root / "attacks" / attack / edit_id

    def attack_score_file(self, scorer: str, attack: str, edit_id: str, unit_id: str) -> Path:
        return self.root / "scores" / scorer / "attacks" / attack / edit_id / f"{unit_id}.json"

    # -- done checks: a record exists and the outputs it lists have the hashes it lists ------
    def edit_done(self, edit_id: str) -> dict[str, Any] | None:
        record = read_json(self.edit_record(edit_id))
        if not record or record.get("edit_id") != edit_id:
            return None
        delta = self.edit_dir(edit_id) / "delta.safetensors"
        return record if sha256_file(delta) == record.get("delta_sha256") else None

    def image_done(self, edit_id: str, image_id: str) -> dict[str, Any] | None:
        """The image's record if the PNG on disk is exactly the one recorded (so a truncated or
        corrupted file counts as not done and is regenerated, never scored)."""
        record = read_json(self.image_record(edit_id, image_id))
        if not record or record.get("image_id") != image_id:
            return None
        png = self.image_png(edit_id, image_id)
        return record if sha256_file(png) == record.get("sha256") else None

    def score_done(self, scorer: str, edit_id: str, probe: str, unit_id: str) -> dict | None:
        record = read_json(self.score_file(scorer, edit_id, probe))
        if not record or record.get("unit_id") != unit_id:
            return None
        if record.get("features_sha256"):
            path = self.features_file(scorer, edit_id, probe)
            if sha256_file(path) != record["features_sha256"]:
                return None
        return record
