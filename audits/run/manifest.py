"""The run manifest: the fields that say what a run is (checked on resume) and its provenance.

`identity` holds every field that decides what the run computes; a resumed run must match each
one, and a mismatch names the field. `provenance` (versions, git commit, hardware, time) is
recorded for the reader and never compared.
"""

from __future__ import annotations

import subprocess
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from audits.errors import AuditError
from audits.run.identity import IDENTITY_RECIPE
from audits.run.lock import LOCK_NAME
from runfmt.atomic import write_json
from runfmt.layout import RunDir, run_manifest
from runfmt.schemas import RUN_SCHEMA


def git_commit() -> dict[str, Any]:
    """The commit of the scapre-audit checkout this code runs from, and whether it is dirty."""
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return {"commit": None, "dirty": None}
    return {"commit": commit or None, "dirty": bool(dirty) if commit else None}


def run_identity(
    suite_name: str,
    suite_hash: str,
    profile: str,
    methods: list[str],
    limit: int | None,
    model: dict[str, Any],
    micro_batch: int = 8,
    overrides: dict[str, int] | None = None,
    numerics: dict[str, Any] | None = None,
    seeds: int | None = None,
    attack_budget: int | None = None,
) -> dict[str, Any]:
    """The fields a resumed run must match exactly (`overrides`: --steps / --size; `numerics`:
    what besides the inputs decides an image's bytes, see `generate_stage.numerics`; `limit`
    and `seeds`: --limit and --seeds, the subset of the suite's prompts and seeds;
    `attack_budget`: --attack-budget). The last two are present only when given, so runs made
    before they existed resume unchanged."""
    capped = {"attack_budget": attack_budget} if attack_budget else {}
    return capped | {
        "numerics": numerics or {},
        "schema": RUN_SCHEMA,
        "identity_recipe": IDENTITY_RECIPE,
        "suite_name": suite_name,
        "suite_hash": suite_hash,
        "profile": profile,
        "methods": list(methods),
        "limit": limit,
        "seeds_per_prompt": seeds,
        "model": model,
        "micro_batch": micro_batch,
        "generation_overrides": dict(overrides or {}),
    }


def check_out_dir(out: Path) -> dict[str, Any] | None:
    """The existing manifest when `out` is a run directory, None when `out` is new or empty;
    refuse any other non-empty folder so nothing of the user's is overwritten."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise AuditError(f"--out {out} exists and is not a folder")
    if all(p.name == LOCK_NAME for p in out.iterdir()):
        return None  # new, or left by a run that failed before it began
    manifest = run_manifest(out)
    if manifest is None:
        raise AuditError(
            f"--out {out} is not empty and is not a scapre-audit run; choose a new folder"
        )
    return manifest


def check_resume(old: dict[str, Any], new: dict[str, Any], out: Path) -> None:
    """Refuse to continue a run whose identity differs; name the first differing field."""
    for key in sorted(set(old) | set(new)):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            for sub in sorted(set(a) | set(b)):
                if a.get(sub) != b.get(sub):
                    _refuse(out, f"{key}.{sub}", a.get(sub), b.get(sub))
        elif a != b:
            _refuse(out, key, a, b)


def _show(value: Any) -> str:
    """A value as a resume message prints it: whole (lists and names), hex digests shortened."""
    import json
    import re

    if isinstance(value, str) and re.fullmatch(r"[0-9a-f]{20,}", value):
        return value[:12] + "..."
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text if len(text) <= 300 else text[:297] + "..."


def _refuse(out: Path, field: str, was: Any, now: Any) -> None:
    detail = ""
    if isinstance(was, list) and isinstance(now, list):
        only_was = [x for x in was if x not in now]
        only_now = [x for x in now if x not in was]
        parts = [f"only in the run: {_show(only_was)}"] if only_was else []
        parts += [f"only in this command: {_show(only_now)}"] if only_now else []
        detail = f" ({'; '.join(parts) or 'same items, another order'})"
    raise AuditError(
        f"cannot resume {out}: field '{field}' differs: the run has {_show(was)}, this command"
        f" has {_show(now)}{detail}; use a new --out (or the original command)"
    )


def write_manifest(run: RunDir, identity: dict[str, Any], provenance: dict[str, Any]) -> None:
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(
        run.manifest, {"identity": identity, "provenance": {**provenance, "created": created}}
    )
