"""Files a suite's attacks read (`csv:`, `artifacts:`): where they may be, and their content hash
(which enters the suite hash). Standard library only: hashing a suite never imports torch."""

from __future__ import annotations

import hashlib
from pathlib import Path

from audits.errors import AuditError

FILE_PARAMS = {"csv": "csv", "artifacts": "artifacts folder"}  # params naming what is read


def check_ref(path: str, suite_root: Path | None, what: str) -> None:
    """Refuse an absolute path, or one that exists but leaves the folder it is found in; a
    missing file is left for the run to report (see `resolve`)."""
    if Path(path).is_absolute() or path.startswith("~"):
        raise AuditError(f"{what} '{path}' must be relative (to the suite folder or the cwd)")
    for root in ([suite_root] if suite_root else []) + [Path.cwd()]:
        candidate = root / path
        if candidate.exists() and not candidate.resolve().is_relative_to(root.resolve()):
            raise AuditError(f"{what} '{path}' leaves {root}")


def resolve(path: str, suite_root: Path | None, what: str) -> Path:
    """`path` relative to the suite folder, then the working directory, and staying inside the
    one it is found in (no absolute paths, no `..` or symlink out); else a one-line error."""
    if Path(path).is_absolute() or path.startswith("~"):
        raise AuditError(f"{what} '{path}' must be relative (to the suite folder or the cwd)")
    roots = [suite_root] if suite_root else []
    roots.append(Path.cwd())
    for root in roots:
        candidate = root / path
        if candidate.exists():
            if not candidate.resolve().is_relative_to(root.resolve()):
                raise AuditError(f"{what} '{path}' leaves {root}")
            return candidate
    raise AuditError(f"{what} '{path}' not found (looked in the suite folder and {Path.cwd()})")


def content_sha256(path: Path) -> str:
    """sha256 of a file's bytes, or of a folder's files (sorted relative names and their
    sha256; symlinks and anything not a plain file are left out): what a replay reads."""
    if path.is_file():
        return hashlib.sha256(path.read_bytes()).hexdigest()
    digest = hashlib.sha256()
    for item in sorted(path.rglob("*")):
        if item.is_file() and not item.is_symlink():
            rel = item.relative_to(path).as_posix()
            digest.update(f"{rel}={hashlib.sha256(item.read_bytes()).hexdigest()};".encode())
    return digest.hexdigest()
