"""Atomic file writes: a reader (or a resumed run) sees a whole file or none, never a part.

Temporary files are named after their writer (`runfmt.staging`), so a killed writer's leftovers
are removed by the next run (`clean_leftovers`)."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from runfmt.staging import clean_leftovers, staging_dir, writer_prefix

__all__ = ["clean_leftovers", "staging_dir", "write_bytes", "write_json", "read_json"]


def write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary file in the same folder, fsync, then `os.replace` into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=writer_prefix(path.name, "tmp"), dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def dumps(data: Any) -> str:
    """The one JSON style of the run directory: sorted keys, indented, newline-terminated."""
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, data: Any) -> None:
    write_bytes(path, dumps(data).encode("utf-8"))


def read_json(path: Path) -> Any | None:
    """The parsed file, or None when it is missing or not valid JSON (a torn or foreign file)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str | None:
    """sha256 of a file's bytes, or None when it cannot be read."""
    try:
        return sha256_bytes(path.read_bytes())
    except OSError:
        return None
