"""The claim checks: pure functions from a run's saved JSON to claim results with verdicts.

Each claim result is `{id, claim, source, definition, measurement, verdict, details}`; the verdict
is "supported", "not supported" or "not checkable" (then `details.reason` says what the run
lacks). Thresholds come from the suite's `claims:` section as copied into results.json
(`suite.claims`), so a check reads only the run directory.
"""

from __future__ import annotations

from typing import Any

from audits.claims.capacity import capacity_claim, capacity_ratio_claim
from audits.claims.edit_time import edit_time_claim
from audits.claims.reproduce import reproduce_claims
from audits.claims.verdicts import Claim
from audits.suites.specs.profiles import CLAIM_SECTIONS


def check_claims(
    results: dict[str, Any], edits: list[dict[str, Any]], manifest: dict[str, Any]
) -> list[Claim]:
    """Every claim, in a fixed order: capacity, capacity ratio, edit time, reproduction; only
    those of the profile's `claims:` selection when it has one."""
    suite = results.get("suite") or {}
    claims = suite.get("claims") or {}
    profile = (suite.get("profiles") or {}).get(suite.get("profile")) or {}
    picked = set(profile.get("claims") or CLAIM_SECTIONS)
    out: list[Claim] = []
    if "capacity" in picked:
        out += [
            capacity_claim(results, claims.get("capacity")),
            capacity_ratio_claim(results, claims.get("capacity")),
        ]
    if "edit_time" in picked:
        out.append(edit_time_claim(edits, manifest, claims.get("edit_time")))
    if "reproduce" in picked:
        out += reproduce_claims(results, claims.get("reproduce"))
    return out
