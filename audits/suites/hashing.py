"""`suite_hash`: one sha256 that changes exactly when what a suite asks changes.

It is taken over the canonical JSON (sorted keys, no whitespace, UTF-8) of the resolved suite
(after `extends:`, with defaults filled in and seeds expanded to their compact form), where every
table reference is replaced by the sha256 of that table's parsed header and rows, and the
documentation fields (`description`, `cites`) are left out. YAML formatting, key order, comments,
table file names and CSV quoting therefore do not change it; any value, row or cell does.
Prompts loaded at run time (`hf_prompts`) enter through their dataset id, revision and filter.
Files an attack replays (`csv:`, `artifacts:`) enter by the sha256 of their content.
"""

from __future__ import annotations

import copy
import hashlib
import json
from typing import Any

from audits.suites.suite import NAMED_SECTIONS, Suite

DOC_FIELDS = ("description", "cites")


def canonical_json(data: Any) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _strip(value: Any) -> Any:
    """Replace table references by their hashes."""
    if isinstance(value, dict):
        if set(value) == {"table", "sha256"}:
            return {"sha256": value["sha256"]}
        if set(value) == {"table", "sha256", "label_columns"}:
            return {"sha256": value["sha256"], "label_columns": value["label_columns"]}
        return {k: _strip(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_strip(v) for v in value]
    return value


def hash_payload(suite: Suite) -> dict[str, Any]:
    """What the hash is taken over (see the module docstring)."""
    # A deep copy: `to_config()` shares its params dicts with the live suite, and the edits below
    # (dropping doc fields, replacing attack files by their hashes) must not reach the suite.
    config = copy.deepcopy(suite.to_config())
    config.pop("description", None)
    for key in NAMED_SECTIONS:
        for spec in config.get(key, {}).values():
            for doc in DOC_FIELDS:
                spec.pop(doc, None)
    for spec in config.get("attacks", {}).values():
        _hash_files(spec.get("params") or {}, suite)
    return _strip(config)


def _hash_files(params: dict[str, Any], suite: Suite) -> None:
    """Replace each file an attack reads by its path and content hash (missing: left as is,
    for validation to refuse)."""
    from audits.attacks.files import FILE_PARAMS, content_sha256, resolve
    from audits.errors import AuditError

    for key, what in FILE_PARAMS.items():
        value = params.get(key)
        if isinstance(value, str) and value:
            try:
                path = resolve(value, suite.root, what)
            except AuditError:
                continue
            params[key] = {"path": value, "content_sha256": content_sha256(path)}


def suite_hash(suite: Suite) -> str:
    """sha256 (hex) of the canonical JSON of `hash_payload(suite)`."""
    return hashlib.sha256(canonical_json(hash_payload(suite)).encode("utf-8")).hexdigest()


def probe_hash(suite: Suite, name: str) -> str:
    """sha256 of one probe's prompt set: its spec (tables as content hashes, description left
    out) and, for `concept_prompts`, the names of the concepts it fills in. The prompt-set id
    that a metric reports; it changes only when this probe's prompts or seeds do."""
    probe = suite.probes[name]
    config = _strip(probe.to_config())
    config.pop("description", None)
    payload: dict[str, Any] = {"probe": config}
    if probe.kind == "concept_prompts" and suite.concepts is not None:
        payload["concepts"] = list(suite.concepts.names(probe.concepts))
    return hashlib.sha256(canonical_json(payload).encode("utf-8")).hexdigest()
