"""Typed checks of the run files that `status`, `score` and `claims` read (manifest.json,
plan.json, results.json): a tampered or garbled file is one line naming the file and the field,
`plan.json: probes.target.cases[0].seeds: expected a list, got '0'`, never a traceback later.

A spec is a type (`str`, `int`, `NUM` for a finite number, `dict`, `list`), a tuple of specs (any
of them), `None` (null allowed), `[spec]` (a list of it), `{key: spec}` (an object with at least
those keys; `"?key"` marks an optional one) or `Each(spec)` (an object whose every value is spec).
Standard library only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from audits.errors import AuditError

NUM = "finite number"


@dataclass(frozen=True)
class Each:
    spec: Any


_NAMES = {str: "a string", int: "an integer", dict: "an object", list: "a list", bool: "a boolean"}


def _name(spec: Any) -> str:
    if spec is None:
        return "null"
    if spec == NUM:
        return "a finite number"
    if isinstance(spec, tuple):
        return " or ".join(_name(s) for s in spec)
    if isinstance(spec, list):
        return "a list"
    if isinstance(spec, (dict, Each)):
        return "an object"
    return _NAMES.get(spec, str(spec))


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _matches(value: Any, spec: Any) -> bool:
    if spec is None:
        return value is None
    if spec == NUM:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        try:
            return math.isfinite(float(value))
        except OverflowError:  # an integer like 10**400
            return False
    if isinstance(spec, tuple):
        return any(_matches(value, s) for s in spec)
    if isinstance(spec, list):
        return isinstance(value, list)
    if isinstance(spec, (dict, Each)):
        return isinstance(value, dict)
    if spec is int:
        return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63
    return isinstance(value, spec)


def check(value: Any, spec: Any, file: str, path: str = "") -> None:
    """Raise AuditError `file: path: expected ..., got ...` at the first mismatch."""
    where = f"{file}: {path}" if path else file
    if not _matches(value, spec):
        raise AuditError(f"{where}: expected {_name(spec)}, got {_show(value)}")
    if isinstance(spec, tuple):
        spec = next(s for s in spec if _matches(value, s))
    if isinstance(spec, list):
        for i, item in enumerate(value):
            check(item, spec[0], file, f"{path}[{i}]")
    elif isinstance(spec, Each):
        for key, item in value.items():
            check(item, spec.spec, file, f"{path}.{key}" if path else str(key))
    elif isinstance(spec, dict):
        for key, sub in spec.items():
            optional = key.startswith("?")
            key = key.lstrip("?")
            at = f"{path}.{key}" if path else key
            if key not in value:
                if optional:
                    continue
                raise AuditError(f"{file}: {at}: missing")
            check(value[key], sub, file, at)


IDENTITY = {
    "identity": {
        "schema": str,
        "suite_name": str,
        "suite_hash": str,
        "profile": str,
        "methods": [str],
        "limit": (int, None),
        "model": dict,
        "micro_batch": int,
    },
    "?provenance": dict,
}
CASE = {"probe": str, "index": int, "prompt": str, "seeds": [int], "concept": (str, None)}
PLAN = {
    "edits": [
        {
            "edit_id": str,
            "method": str,
            "kind": str,
            "version": str,
            "config": dict,
            "concepts": [str],
        }
    ],  # fmt: skip
    "probes": Each({"name": str, "purpose": str, "cases": [CASE], "prompt_set_sha256": str}),
    "groups": [
        {"method": str, "erase_set": str, "erase_set_size": int, "concepts": [str], "edit_id": str}
    ],
    "sampling": dict,
    "?attacks": [dict],
}
RESULTS = {
    "metrics": [{"metric": str, "method": str, "value": (NUM, None), "?concept": (str, None)}],
    "?suite": dict,
}


def check_file(data: Any, spec: Any, file: Path) -> Any:
    check(data, spec, str(file))
    return data
