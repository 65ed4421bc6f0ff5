"""Read a run directory into plain Python objects, refusing anything missing or garbled.

The report reads only saved files (results.json, plan.json, manifest.json, edit and image
records), never the code that made them, so a report can be rebuilt anywhere from the folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from audits.errors import AuditError

RESULTS_SCHEMA = "scapre-audit/results/1"
CLAIMS_SCHEMA = "scapre-audit/claims/1"
# edit and image ids are hex digests; anything else in a record is refused, never used as a path
_ID = re.compile(r"^[0-9a-f]{8,64}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]*$")  # suite names (scorers, probes): one path component


def is_safe_id(value: Any) -> bool:
    """True for an id that can be used as one path component (hex digits only)."""
    return isinstance(value, str) and bool(_ID.match(value))


@dataclass
class Run:
    """One run directory as the report sees it."""

    root: Path
    results: dict[str, Any]
    plan: dict[str, Any]
    manifest: dict[str, Any]
    edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    claims: list[dict[str, Any]] | None = None
    _images: dict[str, dict[tuple[str, int], str]] = field(default_factory=dict, repr=False)
    _images_root: Path | None = field(default=None, repr=False)
    _scores: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict, repr=False)

    @property
    def suite(self) -> dict[str, Any]:
        return self.results.get("suite") or {}

    @property
    def suite_hash(self) -> str:
        return str(self.suite.get("hash", ""))

    @property
    def reference(self) -> str:
        return str(self.results.get("reference_method") or "none")

    @property
    def metrics(self) -> list[dict[str, Any]]:
        return self.results["metrics"]

    def image_id(self, edit_id: str, prompt: str, seed: int) -> str | None:
        """The id of the image an edit made for (prompt, seed), or None when it is not saved."""
        if edit_id not in self._images:
            self._images[edit_id] = _index_images(self.root, edit_id)
        return self._images[edit_id].get((prompt, int(seed)))

    def verdicts(self, scorer: str, edit_id: str, probe: str) -> dict[str, Any]:
        """One evaluator's saved per-image records for one edit and probe:
        `{"labels": concept -> label, "images": image id -> record}` (empty when not saved)."""
        key = (scorer, edit_id, probe)
        if key not in self._scores:
            self._scores[key] = _read_scores(self.root, scorer, edit_id, probe)
        return self._scores[key]

    def image_path(self, edit_id: str, image_id: str) -> Path | None:
        """The PNG's path, only if both ids are plain hex and the file stays inside the run's own
        `images/` folder (a symlinked `images/` or image pointing elsewhere is refused)."""
        if not (is_safe_id(edit_id) and is_safe_id(image_id)):
            return None
        if self._images_root is None:
            self._images_root = self.root.resolve() / "images"
        path = (self.root / "images" / edit_id / f"{image_id}.png").resolve()
        if not path.is_relative_to(self._images_root) or not path.is_file():
            return None
        return path


def _read_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AuditError(
            f"{path.parent} is not a complete run directory: {what} is missing"
        ) from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise AuditError(f"cannot read {path}: {err}") from None


def _index_images(root: Path, edit_id: str) -> dict[tuple[str, int], str]:
    """(prompt, seed) -> image id for one edit, from the image records; bad records are skipped."""
    index: dict[tuple[str, int], str] = {}
    if not is_safe_id(edit_id):
        return index
    folder = root / "images" / edit_id
    if not folder.is_dir():
        return index
    for record_path in sorted(folder.glob("*.json")):
        try:
            record = json.loads(record_path.read_text(encoding="utf-8"))
            image_id, prompt, seed = record["image_id"], record["prompt"], int(record["seed"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        # the record must name its own file: a record pointing elsewhere is ignored
        if is_safe_id(image_id) and image_id == record_path.stem and isinstance(prompt, str):
            index.setdefault((prompt, seed), image_id)
    return index


def _read_scores(root: Path, scorer: str, edit_id: str, probe: str) -> dict[str, Any]:
    empty: dict[str, Any] = {"labels": {}, "images": {}}
    if not (_NAME.match(scorer) and _NAME.match(probe) and is_safe_id(edit_id)):
        return empty
    path = root / "scores" / scorer / edit_id / f"{probe}.json"
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        records = {str(r["image_id"]): r for r in doc.get("images", []) if isinstance(r, dict)}
        labels = doc.get("concept_labels") or {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return empty
    return {"labels": labels if isinstance(labels, dict) else {}, "images": records}


def load_run(path: Path | str) -> Run:
    """Load and check one run directory; any problem is an AuditError with one line."""
    root = Path(path)
    if not root.is_dir():
        raise AuditError(f"{root} is not a run directory (no such folder)")
    results = _read_json(root / "results.json", "results.json")
    if not isinstance(results, dict) or results.get("schema") != RESULTS_SCHEMA:
        raise AuditError(f"{root / 'results.json'}: expected schema {RESULTS_SCHEMA}")
    from audits.filecheck import IDENTITY, PLAN, RESULTS, check_file

    check_file(results, RESULTS, root / "results.json")
    plan = check_file(_read_json(root / "plan.json", "plan.json"), PLAN, root / "plan.json")
    manifest_path = root / "manifest.json"
    manifest = _read_json(manifest_path, "manifest.json") if manifest_path.exists() else {}
    if manifest:
        check_file(manifest, IDENTITY, manifest_path)
    run = Run(root=root, results=results, plan=plan, manifest=manifest)
    for edit in plan["edits"]:
        edit_id = edit.get("edit_id")
        record_path = root / "edits" / str(edit_id) / "edit.json"
        if is_safe_id(edit_id) and record_path.is_file():
            run.edits[edit_id] = _read_json(record_path, f"edits/{edit_id}/edit.json")
    claims_path = root / "claims.json"
    if claims_path.exists():
        claims = _read_json(claims_path, "claims.json")
        if not isinstance(claims, dict) or claims.get("schema") != CLAIMS_SCHEMA:
            raise AuditError(f"{claims_path}: expected schema {CLAIMS_SCHEMA}")
        run.claims = [c for c in claims.get("claims", []) if isinstance(c, dict)]
    return run
