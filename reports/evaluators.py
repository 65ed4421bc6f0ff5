"""Evaluator weights in a report: which evaluators ran on verified official weights, which did not
(a file with no pinned digest, or one whose digest differs from the pin), and declared
substitutions (FID on CLIP features instead of Inception), read from results.json's identities."""

from __future__ import annotations

from typing import Any


def _files(identity: dict[str, Any]) -> list[dict[str, Any]]:
    files = identity.get("weights_files") or []
    if identity.get("weights_file"):
        files = [identity["weights_file"], *files]
    return [f for f in files if isinstance(f, dict)]


def _describe(f: dict[str, Any]) -> str:
    text = f"{f.get('file')}: {f.get('status')}"
    if f.get("status") == "mismatch" and f.get("pinned_sha256"):
        have, pinned = str(f.get("sha256"))[:12], str(f["pinned_sha256"])[:12]
        text += f" (sha256 {have}..., pinned {pinned}...)"
    return text


def weights_status(evaluators: dict[str, Any]) -> list[dict[str, Any]]:
    """One entry per evaluator: name, status (verified, unverified, no weights file, not
    recorded), a one-line detail and its substitution (or None)."""
    out = []
    for name, identity in sorted((evaluators or {}).items()):
        if not isinstance(identity, dict):
            continue
        files = _files(identity)
        verified = identity.get("weights_verified")
        if verified is None and not files:
            status = "no weights file" if "kind" in identity else "not recorded"
        else:
            status = "verified" if verified else "unverified"
        detail = ", ".join(_describe(f) for f in files)
        out.append(
            {
                "evaluator": name,
                "status": status,
                "detail": detail,
                "substitution": identity.get("substitution"),
            }
        )
    return out


def weights_warnings(evaluators: dict[str, Any]) -> list[str]:
    """Banner lines: every evaluator not on verified weights (declared substitutions have their
    own marks and footnotes: reports.exports)."""
    lines = []
    for entry in weights_status(evaluators):
        if entry["status"] == "unverified":
            lines.append(
                f"evaluator '{entry['evaluator']}' ran on unverified weights ({entry['detail']}):"
                " its numbers are not those of the official evaluator"
            )
    return lines
