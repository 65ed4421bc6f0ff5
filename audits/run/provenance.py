"""Provenance: the model fingerprint, the manifest's provenance block and the results header."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from audits.run.manifest import git_commit
from audits.run.plan import REFERENCE
from audits.suites import Suite
from runfmt.layout import RunDir

if TYPE_CHECKING:
    from audits.run.engine import RunRequest


def resolved_revision(pipe) -> str | None:
    """The hub commit a pipeline was loaded from (its cache snapshot folder), if any."""
    import re

    source = str(getattr(pipe.config, "_name_or_path", "") or "")
    match = re.search(r"snapshots[/\\]([0-9a-f]{40})", source)
    return match.group(1) if match else None


def model_fingerprint(pipe, ref) -> dict[str, Any]:
    from audits.models.loading import module_sha256

    weights = {
        "unet": module_sha256(pipe.unet),
        "text_encoder": module_sha256(pipe.text_encoder),
        "vae": module_sha256(pipe.vae),
    }
    if getattr(pipe, "text_encoder_2", None) is not None:  # SDXL
        weights["text_encoder_2"] = module_sha256(pipe.text_encoder_2)
    return {
        "id": ref.model,
        "revision": ref.revision,
        "resolved_revision": resolved_revision(pipe),
        "weights_sha256": weights,
        "pipeline_class": type(pipe).__name__,
    }


def model_source(
    suite: Suite, model_id: str, pipe, model_path: str | None = None
) -> dict[str, Any]:
    """The revision the suite pins and the one actually loaded: the hub snapshot's commit, or for
    a local folder the sha256 of its *.safetensors files (sorted by path, concatenated), the
    recipe suites pin. `matches` is None when either side is unknown."""
    from pathlib import Path

    pinned = suite.model.revision if suite.model and model_id == suite.model.id else None
    folder = Path(model_path or model_id).expanduser()
    if folder.is_dir():
        how = "sha256 of the local folder's *.safetensors files"
        resolved = folder_weights_sha256(folder) if pinned else None
        if resolved is None:
            how = "local folder, not hashed (no pinned revision)"
    else:
        how, resolved = "hub snapshot commit", resolved_revision(pipe)
    return {
        "pinned_revision": pinned,
        "resolved_revision": resolved,
        "resolved_how": how,
        "matches": None if not (pinned and resolved) else pinned == resolved,
    }


def folder_weights_sha256(root) -> str:
    """sha256 over a folder's *.safetensors files, sorted by relative path and concatenated."""
    import hashlib

    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.safetensors"), key=lambda p: p.relative_to(root).as_posix()):
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 24), b""):
                digest.update(block)
    return digest.hexdigest()


def provenance(suite: Suite, req: RunRequest) -> dict[str, Any]:
    from audits.environment import hardware, package_versions

    return {
        "suite_path": str(suite.root),
        "suite_version": suite.version,
        "packages": package_versions() | _more_versions(),
        "git": git_commit(),
        "hardware": hardware(req.device),
        "batch_size": req.batch_size,
    }


def _more_versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("open_clip_torch", "torchmetrics", "pillow"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def results_header(run: RunDir, suite: Suite) -> dict[str, Any]:
    from runfmt.atomic import read_json

    manifest = read_json(run.manifest) or {}
    ident = manifest.get("identity", {})
    plan = read_json(run.plan) or {}
    profile = suite.profile(ident.get("profile"))
    gen = profile.generation
    return {
        "suite": {
            "name": suite.name,
            "version": suite.version,
            "hash": ident.get("suite_hash"),
            "profile": profile.name,
            "profile_kind": profile.kind,
            "cites": profile.cites,
            "profiles": {
                name: {
                    "description": " ".join(p.description.split()),
                    "erase_sets": list(p.erase_sets),
                    "methods": list(p.methods),
                }
                | ({"claims": list(p.claims)} if p.claims else {})
                for name, p in suite.profiles.items()
            },
            "generation": {"steps": gen.steps, "height": gen.height, "width": gen.width},
        },
        "generation_overrides": ident.get("generation_overrides") or {},
        "identity_recipe": ident.get("identity_recipe"),
        "model": ident.get("model"),
        "model_source": (manifest.get("provenance") or {}).get("model_source"),
        "methods": {
            e["method"]: {"kind": e["kind"], "version": e["version"], "config": e["config"]}
            for e in plan.get("edits", [])
        },
        "limit": ident.get("limit"),
        "seeds_per_prompt": ident.get("seeds_per_prompt"),
        "attack_budget": ident.get("attack_budget"),
        "git": (manifest.get("provenance") or {}).get("git"),
        "safety_checker": False,
        "reference_method": REFERENCE,
    }
